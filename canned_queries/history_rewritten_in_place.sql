-- Models whose weight files were rewritten in place (weight-changes snapshot, linked to the headline
-- census): the share whose name carries an own version, beside the share among census models of the
-- same tasks and libraries (each rewritten model counts its task-and-library cell's census share).
select census,
       grouping,
       grp,
       grp_order,
       case grouping when 'all' then 0 when 'rewrites' then 1 else 2 end * 1000 + grp_order as row_order,
       models,
       own_version,
       round(share_raw, 4) as share_raw,
       round(share_seed, 4) as share_seed,
       round(share_corrected, 4) as share_corrected,
       round(corrected_low, 4) as corrected_low,
       round(corrected_high, 4) as corrected_high,
       labelled,
       census_models,
       round(census_share_raw, 4) as census_share_raw,
       round(census_share_seed, 4) as census_share_seed,
       round(census_share_corrected, 4) as census_share_corrected,
       -- What the chart draws: the corrected shares when the census has labelled ids, else the raw.
       case when share_corrected is null then 'classifier (raw)' else 'corrected' end as estimate,
       round(coalesce(share_corrected, share_raw), 4) as share,
       -- The classifier's error interval of a corrected share; a raw census share has none.
       round(corrected_low, 4) as share_low,
       round(corrected_high, 4) as share_high,
       round(coalesce(census_share_corrected, census_share_raw), 4) as census_share,
       round(share_raw - census_share_raw, 4) as difference,
       models < 30 as small_group,
       '/hub/weight_change_models?model__notblank=1' ||
         case grouping when 'rewrites' then '&rewrites_band=' || replace(grp, '+', '%2B')
                       when 'task' then case when grp = '(no task)' then '&pipeline_tag__isblank=1'
                                             else '&pipeline_tag=' || grp end
                       else '' end as model_rows
from history_rewritten
order by row_order
