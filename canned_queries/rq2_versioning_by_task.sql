-- Per pipeline tag: the share of models versioned by the seed rule, by the refined own-version
-- measure, and the share whose only version marker belongs to an RL environment. The own-version
-- rows also carry the share corrected for the classifier's error rates (estimate_tasks: Rogan-Gladen
-- with the rates measured on the labelled uniform sample, assumed to carry over to the task) and the
-- number of labelled ids the task itself holds.
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
       round(1.0 * seed_rule / models, 4) as share, round(1.0 * seed_rule / models, 4) as share_raw,
       null as share_corrected, null as corrected_low, null as corrected_high,
       round(1.0 * seed_rule / models, 4) as share_seed, null as labelled, null as labelled_errors,
       null as note,
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&seed_rule=1' as rows
from tasks
union all
select t.pipeline_tag, 'own version', t.models, t.own_version, round(1.0 * t.own_version / t.models, 4),
       e.share_raw, e.share_corrected, e.corrected_low, e.corrected_high, e.share_seed, e.labelled,
       e.labelled_errors, e.note,
       '/hub/model_versioning?snapshot=' || t.snapshot || t.task_filter || '&own_version=1'
from tasks t left join estimate_tasks e on e.snapshot = t.snapshot and e.pipeline_tag = t.pipeline_tag
union all
select pipeline_tag, 'RL environment version', models, environment_versioned,
       round(1.0 * environment_versioned / models, 4), round(1.0 * environment_versioned / models, 4),
       null, null, null, null, null, null, null,
       '/hub/model_versioning?snapshot=' || snapshot || task_filter || '&environment_markers__gt=0'
from tasks
order by pipeline_tag, measure
