-- Per company: the distribution of version forms among its models that carry their own version.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         coalesce(nullif(:kind, ''), 'company') as kind
),
forms as (
  select f.organization, f.form, sum(f.models) as models
  from summary_author_forms f, params
  where f.snapshot = params.snapshot and f.organization is not null and f.form != 'unversioned'
    and (params.kind = 'all' or f.organization_kind = params.kind)
  group by f.organization, f.form
)
select organization, form, models,
       round(1.0 * models / sum(models) over (partition by organization), 4) as share_of_versioned,
       '/hub/model_versioning?snapshot=' || (select snapshot from params) || '&organization=' ||
         replace(organization, ' ', '+') || '&primary_form=' || form as rows
from forms
order by organization, models desc
