-- Declared versions whose previous version is on the Hub, under each definition of the population:
-- the one closest to Ajibode et al. first, then the whole census's families with two or more
-- distinct declared versions, families of two or more models, and every family.
select snapshot, definition, definition_order, level, versions, with_predecessor,
       round(1.0 * with_predecessor / versions, 4) as share_raw,
       case level when 'major' then 0.43 else 0.35 end as paper_share
from history_predecessor_definitions
order by snapshot desc, definition_order, level
