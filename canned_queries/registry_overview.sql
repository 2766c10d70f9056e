-- Each MLflow registry snapshot beside each Hub census laid out as a registry (families as
-- registered models, their models as versions, single-model families included).
with registries as (
  select snapshot as source, 'MLflow registry' as kind,
         count(*) as registered_models, sum(versions) as model_versions,
         max(versions) as max_versions,
         sum(aliases > 0) as with_alias, sum(staged_versions > 0) as with_stage,
         count(*) as names, sum(own_version) as names_with_version, sum(seed_rule) as names_seed_rule
  from registry_models
  group by snapshot
),
hub_sizes as (
  select snapshot, sum(families) as families, sum(models) as models, max(versions) as max_versions
  from hub_registry_sizes group by snapshot
),
hub_names as (
  select snapshot, sum(models) as names, sum(own_version) as own_version, sum(seed_rule) as seed_rule
  from summary_downloads group by snapshot
),
hub as (
  select s.snapshot as source, 'Hub families as registry' as kind,
         s.families, s.models, s.max_versions,
         null, null,  -- the Hub has no aliases or stages: a repository is its own name
         n.names, n.own_version, n.seed_rule
  from hub_sizes s join hub_names n using (snapshot)
),
sources as (select * from registries union all select * from hub)
select source, kind, registered_models, model_versions,
       round(1.0 * model_versions / nullif(registered_models, 0), 3) as versions_per_model,
       max_versions,
       round(1.0 * with_alias / nullif(registered_models, 0), 4) as share_with_alias,
       round(1.0 * with_stage / nullif(registered_models, 0), 4) as share_with_stage,
       names, names_with_version,
       round(1.0 * names_with_version / nullif(names, 0), 4) as share_names_with_version,
       round(1.0 * names_seed_rule / nullif(names, 0), 4) as share_names_seed_rule
from sources
where :source = '' or source = :source
order by kind desc, source desc
