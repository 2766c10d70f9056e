-- Per pipeline tag: the share of models versioned by the seed rule, by the refined own-version
-- measure, and the share whose names carry an RL environment's version, counted in the chosen unit
-- (robustness: per model, family, author, or per model without checkpoint-only names). A census is
-- counted whole: share_raw has no sampling error. Per model, the own-version row carries the
-- task's estimate (estimate_tasks): share_corrected with the 95% interval of the classifier's
-- error where it is measured. share_shown is the share the chart draws and the findings quote,
-- share_shown_is says which it is.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         cast(coalesce(nullif(:min_models, ''), 500) as integer) as min_models,
         coalesce(nullif(:unit, ''), 'model') as unit
),
tasks as (
  select r.*, t.pipeline_tag,
         case when t.pipeline_tag = '(none)' then '&pipeline_tag__isnull=1'
              else '&pipeline_tag=' || t.pipeline_tag end as task_filter
  from summary_tasks t, params
  join robustness r on r.snapshot = t.snapshot and r.question = 'rq2' and r.group_name = t.pipeline_tag
       and r.unit = params.unit
  where t.snapshot = params.snapshot and t.models >= params.min_models
),
measures as (
  select pipeline_tag, 'seed rule' as measure, unit, units, models, seed_rule_share as share_raw,
         snapshot, task_filter || '&seed_rule=1' as filter from tasks
  union all
  select pipeline_tag, 'own version', unit, units, models, own_version_share, snapshot,
         task_filter || '&own_version=1' from tasks
  union all
  select pipeline_tag, 'RL environment version', unit, units, models, environment_share, snapshot,
         task_filter || '&environment_markers__gt=0' from tasks
),
shown as (
  select m.*, e.share_corrected, e.corrected_low, e.corrected_high, e.labelled, e.labelled_own,
         e.method, e.error_measured,
         case when m.measure != 'own version' then 'raw'
              when m.unit != 'model' then 'raw, ' || m.unit || ' unit: error not measured'
              when e.share_corrected is not null and e.method = 'read in full by hand' then 'read in full by hand'
              when e.share_corrected is not null then 'corrected'
              else 'raw: error not measured' end as share_shown_is
  from measures m
  left join estimate_tasks e on m.measure = 'own version' and m.unit = 'model'
       and e.snapshot = m.snapshot and e.pipeline_tag = m.pipeline_tag
)
select pipeline_tag, measure, unit, units, models, round(share_raw, 6) as share_raw,
       share_corrected, corrected_low, corrected_high,
       round(coalesce(share_corrected, share_raw), 6) as share_shown, share_shown_is,
       labelled, labelled_own, method, error_measured,
       '/hub/model_versioning?snapshot=' || snapshot || filter as rows
from shown
order by pipeline_tag, measure
