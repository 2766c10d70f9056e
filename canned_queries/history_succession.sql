-- Families (author/family) present in the oldest and the newest census: did the newest hold a higher
-- declared version than the oldest's highest, and did it come as a new repository or the same one?
with families as (
  select old_snapshot, new_snapshot, old_declared, outcome, count(*) as families,
         sum(kept) as kept_repositories, sum(kept_rewritten > 0) as kept_rewritten_families
  from history_succession
  group by old_declared, outcome
)
select old_snapshot, new_snapshot,
       case when old_declared then 'declared a version in ' || old_snapshot
            else 'declared no version in ' || old_snapshot end as population,
       outcome, families,
       sum(families) over (partition by old_declared) as population_families,
       round(1.0 * families / sum(families) over (partition by old_declared), 4) as share_raw,
       kept_repositories, kept_rewritten_families,
       '/hub/history_succession?old_declared=' || old_declared || '&outcome=' ||
         replace(outcome, ' ', '+') as family_rows
from families
order by old_declared desc, outcome
