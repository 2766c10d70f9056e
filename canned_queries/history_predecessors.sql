-- Declared versions whose previous version exists in the same family and census: for a major version
-- M (M >= 2), any M-1.x; for a minor version M.n, M.(n-1). Families of two or more models (the Hub seen
-- as a registry, hub_registry_families) and every family, single-model families included.
with groups as (
  select snapshot, 'families of 2+ models (Hub as registry)' as population, 0 as population_order,
         level, count(*) as versions, sum(has_predecessor) as with_predecessor
  from history_declared_versions
  where expects_predecessor and family_models >= 2
  group by snapshot, level
  union all
  select snapshot, 'every family (single-model families included)', 1, level, count(*), sum(has_predecessor)
  from history_declared_versions
  where expects_predecessor
  group by snapshot, level
)
select snapshot, population, level, versions, with_predecessor,
       round(1.0 * with_predecessor / versions, 4) as share_raw,
       case level when 'major' then 0.43 else 0.35 end as paper_share,
       population_order,
       '/hub/history_declared_versions?snapshot=' || snapshot || '&level=' || level ||
         '&expects_predecessor=1&has_predecessor=0' ||
         case when population_order = 0 then '&family_models__gte=2' else '' end as missing_rows
from groups
order by snapshot desc, population_order, level
