-- Versioned share by month of creation in each census with creation dates; models whose creation
-- date is the Hub's placeholder, and censuses without creation dates, are rows of their own.
select m.snapshot, m.created_month as period, measure.name as measure, m.models,
       case measure.name when 'seed rule' then m.seed_rule else m.own_version end as versioned,
       round(1.0 * case measure.name when 'seed rule' then m.seed_rule else m.own_version end / m.models, 4) as share,
       case when m.created_month like '____-__' then 'month of creation'
            when m.created_month = 'unknown' then 'whole census (no creation dates)'
            else 'placeholder creation date' end as period_kind,
       '/hub/model_versioning?snapshot=' || m.snapshot ||
         case when m.created_month like '____-__' then '&created_month=' || m.created_month
              when m.created_month = 'unknown' then '&created_month__isnull=1&created_at_placeholder=0'
              else '&created_at_placeholder=1' end ||
         case measure.name when 'seed rule' then '&seed_rule=1' else '&own_version=1' end as versioned_rows
from summary_months m
join (select 'seed rule' as name union all select 'own version') as measure
order by period, measure
