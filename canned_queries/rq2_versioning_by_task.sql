-- Per pipeline tag: the share of models versioned by the seed rule, by the refined own-version
-- measure, and the share whose only version marker belongs to an RL environment.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         cast(coalesce(nullif(:min_models, ''), 500) as integer) as min_models
),
tasks as (
  select t.*, case when t.pipeline_tag = '(none)' then '&pipeline_tag__isnull=1'
                   else '&pipeline_tag=' || t.pipeline_tag end as task_filter
  from summary_tasks t, params
  where t.snapshot = params.snapshot and t.models >= params.min_models
)
select pipeline_tag, 'seed rule' as measure, models, seed_rule as versioned,
       round(1.0 * seed_rule / models, 4) as share,
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&seed_rule=1' as rows
from tasks
union all
select pipeline_tag, 'own version', models, own_version, round(1.0 * own_version / models, 4),
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&own_version=1'
from tasks
union all
select pipeline_tag, 'RL environment version', models, environment_versioned,
       round(1.0 * environment_versioned / models, 4),
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&environment_markers__gt=0'
from tasks
order by pipeline_tag, measure
