-- Per pipeline tag: how the models that carry their own version write it (primary marker form).
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         cast(coalesce(nullif(:min_models, ''), 500) as integer) as min_models
),
versioned as (
  select f.pipeline_tag, f.form, f.models, t.own_version, t.snapshot,
         case when t.pipeline_tag = '(none)' then '&pipeline_tag__isnull=1'
              else '&pipeline_tag=' || t.pipeline_tag end as task_filter
  from summary_task_forms f
  join summary_tasks t on t.snapshot = f.snapshot and t.pipeline_tag = f.pipeline_tag, params
  where f.snapshot = params.snapshot and t.models >= params.min_models and f.form != 'unversioned'
)
select pipeline_tag, form, models, own_version as versioned_in_task,
       round(1.0 * models / own_version, 4) as share_of_versioned,
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&primary_form=' || form as rows
from versioned
order by pipeline_tag, models desc
