"""Derive stage: the Hub in 2025, week by week (the weekly-changes snapshot).

- `listed_versioning` rows are linked to the headline census by exact id (`census_model`).
- `time_weekly_versioning`: per week of first appearance and relation to a base model (none declared,
  finetune, adapter, quantized, merge; and all), the ids added that week, how many carry an own
  version in the name and how many only a base model's version (a quantized or adapter copy named
  after its base: `...-Llama-3.1-8B-GGUF`). These are a week's new ids (created or renamed that
  week), not a census's survivors: the time page shows them beside the census months, told apart.
- `weekly_supersessions` / `history_retirements`: when an id added in the 16 weeks declares a
  version higher than a version of the same family (author and family key) in the 2024-07-11
  census, is the older version's id deleted in the 16 weeks (a version retired) or kept beside it?
  The comparison: census ids of versioned families to which no higher version was added.
  "Kept" means not seen deleted in the 16 weeks (a deletion before 2025-03-12 or after 2025-07-02
  is not seen), for both groups alike.
"""

from __future__ import annotations

import sqlite_utils

from scripts.derive.history import headline_census

# A text that sorts like a version within one scheme: 'n' + zero-padded numbers, or 'd' + the date
# (the two never compare: a date edition is not higher than a number).
VERSION_KEY = """case
    when {p}primary_form = 'date' and {p}primary_date like '____%' then 'd' || {p}primary_date
    when {p}primary_form in ('v_major', 'v_minor', 'v_patch', 'num_minor', 'num_patch', 'generation', 'glued')
         and {p}primary_major is not null
        then 'n' || printf('%012d.%012d.%012d', {p}primary_major, coalesce({p}primary_minor, 0),
                           coalesce({p}primary_patch, 0))
    end"""
RELATIONS = ("none declared", "finetune", "adapter", "quantized", "merge")


def weekly_snapshot(db: sqlite_utils.Database) -> str | None:
    row = db.execute(
        "select snapshot from snapshots where kind = 'weekly-changes' order by snapshot desc"
    ).fetchone()
    return row and row[0]


def derive_weekly(db: sqlite_utils.Database) -> None:
    census = headline_census(db)
    db.execute(
        """update listed_versioning set census_model = (
               select m.key from models m where m.snapshot = :census and m.id = listed_versioning.model_id)""",
        {"census": census},
    )
    weekly = weekly_snapshot(db)
    if weekly is None:
        return
    weekly_shares(db, weekly)
    supersessions(db, weekly, census)


def weekly_shares(db: sqlite_utils.Database, weekly: str) -> None:
    db.execute(
        """
        insert into time_weekly_versioning
        with added as (
            select w.week_ending, coalesce(w.relation, 'none declared') as relation, l.own_version,
                   not l.own_version and l.base_model_markers > 0 as base_version_only
            -- the listed ids in order, each change found through its model_id index: a third less
            -- work than a lookup of the listed row for each of the 436,000 added changes
            from listed_versioning l
            cross join weekly_model_changes w on w.snapshot = l.snapshot and w.model_id = l.model_id
            where l.snapshot = :weekly and w.change = 'added'),
        counted as (
            select week_ending, relation, count(*) as n, sum(own_version) as own,
                   sum(base_version_only) as base_only
            from added group by week_ending, relation)
        select :weekly, week_ending, relation, n, own, base_only from counted
        union all
        -- a week's 'all' row adds up its relations' counts instead of grouping the changes again
        select :weekly, week_ending, 'all', sum(n), sum(own), sum(base_only) from counted group by week_ending""",
        {"weekly": weekly},
    )


def supersessions(db: sqlite_utils.Database, weekly: str, census: str | None) -> None:
    for name in ("wk_new", "wk_old", "wk_newer", "wk_deleted"):
        db.execute(f"drop table if exists temp.{name}")
    db.execute(
        f"""create temp table wk_new as
            select l.model_id, l.author, l.family, l.primary_text, {VERSION_KEY.format(p="l.")} as key,
                   min(w.week_ending) as week
            -- the versioned listed ids first (a sixth of them), then their changes by model_id: the
            -- other way round looked up a listed row for every added change
            from listed_versioning l
            cross join weekly_model_changes w
                on w.snapshot = l.snapshot and w.model_id = l.model_id and w.change = 'added'
            where l.snapshot = :weekly and l.own_version and l.family <> '' and l.census_model is null
            group by l.model_id""",
        {"weekly": weekly},
    )
    db.execute("delete from temp.wk_new where key is null")
    db.execute("create index temp.wk_new_family on wk_new(author, family)")
    # Each step into an indexed temporary table: the joins below look rows up instead of scanning.
    db.execute("drop table if exists temp.wk_old")
    db.execute(
        f"""create temp table wk_old as
            select v.model_id, v.author, v.family, v.primary_text, {VERSION_KEY.format(p="v.")} as key
            from model_versioning v
            where v.snapshot = :census and v.own_version and v.family <> ''
              and exists (select 1 from temp.wk_new n where n.author = v.author and n.family = v.family)""",
        {"census": census},
    )
    db.execute("delete from temp.wk_old where key is null")
    db.execute("drop table if exists temp.wk_newer")
    db.execute("""
        create temp table wk_newer as
        select model_id, newer_id, newer_text, week from (
            select o.model_id, n.model_id as newer_id, n.primary_text as newer_text, n.week,
                   row_number() over (partition by o.model_id order by n.week, n.key desc, n.model_id) as rn
            from temp.wk_old o join temp.wk_new n on n.author = o.author and n.family = o.family
                 and substr(n.key, 1, 1) = substr(o.key, 1, 1) and n.key > o.key)
        where rn = 1""")
    db.execute("create unique index temp.wk_newer_id on wk_newer(model_id)")
    db.execute("drop table if exists temp.wk_deleted")
    db.execute(
        """create temp table wk_deleted as
           select model_id, min(week_ending) as week from weekly_model_changes
           where snapshot = :weekly and change = 'deleted' group by model_id""",
        {"weekly": weekly},
    )
    db.execute("create unique index temp.wk_deleted_id on wk_deleted(model_id)")
    db.execute(
        """
        insert into weekly_supersessions
        select :weekly, o.model_id, o.author, o.family, o.primary_text, x.newer_id, x.newer_text, x.week,
               d.week,
               case when x.newer_id is null then case when d.week is null then 'no newer version, kept'
                                                      else 'no newer version, deleted' end
                    when d.week is null then 'newer version added, kept'
                    when d.week >= x.week then 'newer version added, then deleted (retired)'
                    else 'deleted before the newer version was added' end
        from temp.wk_old o
        left join temp.wk_newer x on x.model_id = o.model_id
        left join temp.wk_deleted d on d.model_id = o.model_id""",
        {"weekly": weekly},
    )
    db.execute(
        """
        insert into history_retirements
        select snapshot, newer_model_id is not null, case when newer_model_id is null
                   then 'census versions of the same families, no higher version added'
                   else 'census versions superseded by a higher version added in 2025' end,
               count(*), count(deleted_week),
               sum(outcome = 'newer version added, then deleted (retired)'), count(distinct author || '/' || family)
        from weekly_supersessions group by snapshot, newer_model_id is not null""",
    )
    for name in ("wk_new", "wk_old", "wk_newer", "wk_deleted"):
        db.execute(f"drop table if exists temp.{name}")
