-- Per company: how many of its models carry their own version, in how many forms, and how
-- consistently: the share of its versioned models in its most common form, and the entropy (bits)
-- of its form distribution (0 = a single form). share_corrected: the own-version share corrected for
-- the classifier's error rates (estimate_companies: Rogan-Gladen with the rates measured on the
-- labelled uniform sample, assumed to carry over to the company); labelled: its own labelled ids.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         coalesce(nullif(:kind, ''), 'company') as kind
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
  select f.organization, count(*) as forms, max(f.n) as top_n,
         -sum((1.0 * f.n / o.versioned) * log2(1.0 * f.n / o.versioned)) as entropy
  from forms f join orgs o using (organization) group by f.organization
),
top as (
  select organization, form as top_form,
         row_number() over (partition by organization order by n desc, form) as rank
  from forms
)
select o.organization, o.namespaces, o.models, o.versioned,
       round(1.0 * o.versioned / o.models, 4) as versioned_share,
       round(1.0 * o.seed_rule / o.models, 4) as seed_rule_share,
       coalesce(s.forms, 0) as forms, t.top_form,
       round(1.0 * s.top_n / nullif(o.versioned, 0), 4) as consistency,
       round(abs(coalesce(s.entropy, 0)), 4) as entropy_bits,
       e.share_raw, e.share_corrected, e.corrected_low, e.corrected_high, e.share_seed, e.labelled,
       e.labelled_errors, e.note,
       '/hub/model_versioning?snapshot=' || (select snapshot from params) ||
         '&organization=' || replace(o.organization, ' ', '+') || '&own_version=1' as versioned_rows
from orgs o left join stats s using (organization)
left join top t on t.organization = o.organization and t.rank = 1
left join estimate_companies e on e.snapshot = (select snapshot from params) and e.organization = o.organization
order by o.models desc
