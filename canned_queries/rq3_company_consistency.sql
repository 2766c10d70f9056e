-- Per company: how many of its models carry their own version, in how many forms, and how
-- consistently: the share of its versioned models in its most common form, counted in the chosen
-- unit (robustness: one vote per model, per family, per namespace, or per model without
-- checkpoint-only names), and the entropy (bits, per model) of its form distribution (0 = a single
-- form). A census is counted whole: these shares have no sampling error. The own-version share
-- per model also carries the company's estimate (estimate_companies): share_corrected with the
-- 95% interval of the classifier's error where it is measured, or its labelled share where the
-- company was read in full by hand.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         coalesce(nullif(:kind, ''), 'company') as kind,
         coalesce(nullif(:unit, ''), 'model') as unit
),
forms as (
  select f.organization, f.form, sum(f.models) as n
  from summary_author_forms f, params
  where f.snapshot = params.snapshot and f.organization is not null and f.form != 'unversioned'
    and (params.kind = 'all' or f.organization_kind = params.kind)
  group by f.organization, f.form
),
orgs as (
  select a.organization, count(*) as namespaces, sum(a.models) as models,
         sum(a.own_version) as versioned, sum(a.seed_rule) as seed_rule
  from summary_authors a, params
  where a.snapshot = params.snapshot and a.organization is not null
    and (params.kind = 'all' or a.organization_kind = params.kind)
  group by a.organization
),
stats as (
  select f.organization, count(*) as forms,
         -sum((1.0 * f.n / o.versioned) * log2(1.0 * f.n / o.versioned)) as entropy
  from forms f join orgs o using (organization) group by f.organization
)
select o.organization, o.namespaces, o.models, o.versioned, r.unit, r.units, r.versioned_models,
       r.versioned_units, round(r.own_version_share, 6) as versioned_share,
       round(r.seed_rule_share, 6) as seed_rule_share,
       coalesce(s.forms, 0) as forms, r.top_form, round(r.consistency, 6) as consistency,
       round(abs(coalesce(s.entropy, 0)), 4) as entropy_bits,
       e.share_raw, e.share_corrected, e.corrected_low, e.corrected_high,
       case when r.unit != 'model' then null
            else round(coalesce(e.share_corrected, e.share_raw), 6) end as share_shown,
       case when r.unit != 'model' then null
            when e.share_corrected is not null and e.method = 'read in full by hand' then 'read in full by hand'
            when e.share_corrected is not null then 'corrected'
            else 'raw: error not measured' end as share_shown_is,
       e.share_seed, e.labelled, e.labelled_own, e.labelled_errors, e.method, e.error_measured, e.note,
       '/hub/model_versioning?snapshot=' || (select snapshot from params) ||
         '&organization=' || replace(o.organization, ' ', '+') || '&own_version=1' as versioned_rows
from orgs o left join stats s using (organization)
join robustness r on r.snapshot = (select snapshot from params) and r.question = 'rq3'
     and r.group_name = o.organization and r.unit = (select unit from params)
left join estimate_companies e on e.snapshot = (select snapshot from params) and e.organization = o.organization
order by o.models desc
