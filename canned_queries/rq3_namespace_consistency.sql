-- Per namespace (Hub author) with at least :min_versioned versioned models: forms and consistency.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         cast(coalesce(nullif(:min_versioned, ''), 20) as integer) as min_versioned
),
authors as (
  select a.* from summary_authors a, params
  where a.snapshot = params.snapshot and a.own_version >= params.min_versioned
),
forms as (
  select f.author, f.form, f.models as n from summary_author_forms f
  join authors a on a.snapshot = f.snapshot and a.author = f.author
  where f.form != 'unversioned'
),
stats as (
  select f.author, count(*) as forms, max(f.n) as top_n,
         -sum((1.0 * f.n / a.own_version) * log2(1.0 * f.n / a.own_version)) as entropy
  from forms f join authors a using (author) group by f.author
),
top as (
  select author, form as top_form,
         row_number() over (partition by author order by n desc, form) as rank from forms
)
select a.author, a.organization, a.models, a.own_version as versioned,
       round(1.0 * a.own_version / a.models, 4) as versioned_share, s.forms, t.top_form,
       round(1.0 * s.top_n / a.own_version, 4) as consistency,
       round(abs(s.entropy), 4) as entropy_bits,
       '/hub/model_versioning?snapshot=' || a.snapshot || '&author=' || a.author || '&own_version=1' as versioned_rows
from authors a join stats s using (author)
join top t on t.author = a.author and t.rank = 1
order by a.organization is null, a.own_version desc
