-- Do the commit messages of weight rewrites name a version (v2, version 1.1, update ... to 1.1),
-- where the model id does not? Commits and repositories of the weight-commits snapshot.
select unit, grp, grp_order, total, version_in_message,
       round(1.0 * version_in_message / total, 4) as share_message,
       in_census, own_version_in_id,
       round(1.0 * own_version_in_id / in_census, 4) as share_id,
       '/hub/weight_commits?message_version__notblank=1' ||
         case grp_order when 0 then '&rewrite=1' when 1 then '&rewrite=0' else '' end as message_rows
from history_commit_versions
order by grp_order
