-- The own-version share on one time axis: models created each month of 2022-2024 and still listed
-- in the headline census (its survivors), and ids new in the Hub's listing each week of 2025.
select 'census survivors, by month of creation' as population,
       m.snapshot,
       m.created_month as period,
       m.created_month || '-01' as period_start,
       'all' as relation,
       m.models,
       m.own_version,
       null as base_version_only,
       round(1.0 * m.own_version / m.models, 4) as share_own,
       null as share_base_only,
       '/hub/model_versioning?snapshot=' || m.snapshot || '&created_month=' || m.created_month as model_rows
from summary_months m
where m.snapshot = (select snapshot from snapshots where headline)
  and m.created_month between '2022-01' and '2024-12'
union all
select 'new ids of the week (2025 weekly listing)',
       w.snapshot,
       'week ending ' || w.week_ending,
       date(w.week_ending, '-6 days'),
       w.relation,
       w.models,
       w.own_version,
       w.base_version_only,
       round(1.0 * w.own_version / w.models, 4),
       round(1.0 * w.base_version_only / w.models, 4),
       '/hub/weekly_model_changes?change=added&week_ending=' || w.week_ending ||
         case when w.relation = 'all' then ''
              when w.relation = 'none declared' then '&relation__isblank=1'
              else '&relation=' || w.relation end
from time_weekly_versioning w
order by population, period_start, relation
