-- The closing question against a control group: within the population the weight-change list was
-- drawn from (the study's NLP models, in the headline census), the own-version share of the models
-- whose weights were rewritten in place and of those that were not; by number of rewrites and by
-- variant. Raw shares are census counts; corrected ones carry the classifier's error.
select census,
       grouping,
       grp,
       grp_order,
       case grouping when 'all' then 0 when 'rewrites' then 1 else 2 end * 100 + grp_order as row_order,
       rewritten,
       models,
       own_version,
       round(share_raw, 4) as share_raw,
       round(share_corrected, 4) as share_corrected,
       round(corrected_low, 4) as corrected_low,
       round(corrected_high, 4) as corrected_high,
       labelled,
       round(share_seed, 4) as share_seed,
       '/hub/population_models?model__notblank=1&rewritten=' || rewritten ||
         case when grouping = 'rewrites' and rewritten then '&rewrites__gte=' || cast(grp as integer) else '' end ||
         case when grouping = 'variant' then '&variant=' || substr(grp, 1, instr(grp, ',') - 1) else '' end
         as model_rows
from history_control
order by row_order
