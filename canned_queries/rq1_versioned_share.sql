-- RQ1 answered per census: the share with no own version, with a traditional own version
-- (major.minor.patch-like: v2, v0.2, 1.0.3) and with another scheme (Llama-2, gpt2, 2407,
-- step-1000), counted in the chosen unit (robustness: per model, per family, per author, or per
-- model without checkpoint-only names). A census is counted whole: share_raw has no sampling
-- error. Per model, where the census has hand labels, share_corrected and its 95% interval carry
-- the classifier's error (estimate_rq1: prediction-powered inference); the other units are
-- classifier counts only.
with params as (
  select coalesce(nullif(:unit, ''), 'model') as unit
),
counted as (
  select r.* from robustness r, params where r.question = 'rq1' and r.unit = params.unit
),
measures as (
  select snapshot, unit, units, models, 0 as measure_order, 'no own version' as estimate_measure,
         'no own version' as measure, 1 - own_version_share as share_raw,
         1 - seed_rule_share as share_seed, '&own_version=0' as filter from counted
  union all
  select snapshot, unit, units, models, 1, 'traditional',
         'traditional (v2, v0.2, 1.0.3: major.minor.patch-like)', traditional_share, null,
         '&own_version=1&primary_form__in=v_major,v_minor,v_patch,num_minor,num_patch' from counted
  union all
  select snapshot, unit, units, models, 2, 'other scheme',
         'other scheme (Llama-2, gpt2, 2407, step-1000, r2)', other_share, null,
         '&own_version=1&primary_form__in=generation,glued,date,prerelease,revision,checkpoint' from counted
)
select m.snapshot, m.measure, m.unit, m.units, m.models, round(m.share_raw, 6) as share_raw,
       e.share_corrected, e.corrected_low, e.corrected_high, e.labelled,
       round(coalesce(e.share_corrected, m.share_raw), 6) as share_shown,
       case when e.share_corrected is not null then 'corrected'
            when m.unit = 'model' then 'raw: no labelled ids for this census'
            else 'raw, ' || m.unit || ' unit: error not measured' end as share_shown_is,
       round(m.share_seed, 6) as share_seed, e.seed_study, m.measure_order,
       '/hub/model_versioning?snapshot=' || m.snapshot || m.filter as rows
from measures m
left join estimate_rq1 e on e.snapshot = m.snapshot and e.band = 'all'
     and e.measure = m.estimate_measure and m.unit = 'model'
order by m.snapshot desc, m.measure_order
