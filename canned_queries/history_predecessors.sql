-- Declared versions whose previous version exists in the same family and census: for a major version
-- M (M >= 2), any M-1.x; for a minor version M.n, M.(n-1). Families of two or more models (the Hub seen
-- as a registry, hub_registry_families) and every family, single-model families included
-- (history_predecessor_shares, counted at build time from history_declared_versions).
select snapshot, population, level, versions, with_predecessor,
       round(1.0 * with_predecessor / versions, 4) as share_raw,
       case level when 'major' then 0.43 else 0.35 end as paper_share,
       population_order,
       '/hub/history_declared_versions?snapshot=' || snapshot || '&level=' || level ||
         '&expects_predecessor=1&has_predecessor=0' ||
         case when population_order = 0 then '&family_models__gte=2' else '' end as missing_rows
from history_predecessor_shares
order by snapshot desc, population_order, level
