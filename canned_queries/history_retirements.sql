-- 2025: when a family adds a higher version, is the older version's repository deleted (retired) or
-- kept beside it? Census versions of families to which a higher version was added in the 16 weeks,
-- beside census versions of the same families to which none was.
select snapshot, grp, superseded, models, families, deleted,
       round(1.0 * deleted / models, 4) as share_deleted,
       deleted_after_newer,
       round(1.0 * deleted_after_newer / models, 4) as share_retired,
       models - deleted as kept,
       round(1.0 * (models - deleted) / models, 4) as share_kept,
       '/hub/weekly_supersessions?newer_model_id__' || case when superseded then 'notblank' else 'isblank' end || '=1'
         as model_rows
from history_retirements
order by superseded desc
