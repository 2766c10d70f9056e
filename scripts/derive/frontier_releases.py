"""Derive stage: RQ3 for the frontier labs, 2023-2026 (the frontier-models snapshot).

Each listed release gets a date where one is known (`dated_by`): the creation month of the same id
in the 2024-07-11 census, else the source's corrected release date, else the week the id first
appeared in the 2025 weekly listing; and an era: 'to 2024-07-11' (in that census) or 'after
2024-07-11' (not in it). `frontier_lab_schemes` counts, per lab and era (and over both), the releases
with an own version in the name and the scheme of that version: v-numbers (v2, v0.3), bare numbers
(Llama-3.1, Qwen2.5, 2), date editions (-2507, -0528), other (preview, revision, checkpoint);
`main_scheme` is the era's most common scheme among versioned releases.
"""

from __future__ import annotations

import sqlite_utils

from scripts.derive.history import headline_census

SCHEME = """case
    when not l.own_version then 'none'
    when l.primary_form in ('v_major', 'v_minor', 'v_patch') then 'v-number'
    when l.primary_form in ('num_minor', 'num_patch', 'generation', 'glued') then 'bare number'
    when l.primary_form = 'date' then 'date edition'
    else 'other' end"""
ERAS = ("to 2024-07-11", "after 2024-07-11")


def derive_frontier(db: sqlite_utils.Database) -> None:
    if not db.execute("select exists (select 1 from frontier_models)").fetchone()[0]:
        return
    census = headline_census(db)
    db.execute(
        """
        update frontier_models set
            census_model = (select m.key from models m where m.snapshot = :census and m.id = frontier_models.model_id)""",
        {"census": census},
    )
    # The week each id was first listed in 2025, looked up once per frontier id (CROSS JOIN keeps
    # that order: left to itself, the planner scanned the 535,000 weekly changes instead).
    db.execute("drop table if exists temp.first_listed")
    db.execute("""
        create temp table first_listed as
        select w.model_id, min(w.week_ending) as week from frontier_models f
        cross join weekly_model_changes w on w.model_id = f.model_id and +w.change = 'added'
        group by w.model_id""")
    db.execute("create unique index temp.first_listed_id on first_listed(model_id)")
    db.execute(
        """
        update frontier_models set
            created_month = coalesce(
                (select v.created_month from model_versioning v where v.model = frontier_models.census_model
                   and not v.created_at_placeholder),
                substr(actual_release_date, 1, 7),
                (select substr(week, 1, 7) from temp.first_listed l where l.model_id = frontier_models.model_id)),
            dated_by = case
                when census_model is not null then 'census creation month'
                when actual_release_date is not null then 'release date correction'
                when exists (select 1 from temp.first_listed l where l.model_id = frontier_models.model_id)
                    then 'week first listed (2025)'
                end,
            era = case when census_model is not null then :to else :after end""",
        {"to": ERAS[0], "after": ERAS[1]},
    )
    db.execute("drop table if exists temp.first_listed")
    db.execute(
        f"""
        insert into frontier_lab_schemes
        with releases as (
            select f.snapshot, f.org, f.era, l.own_version, {SCHEME} as scheme
            from frontier_models f join listed_versioning l on l.snapshot = f.snapshot and l.model_id = f.model_id),
        eras as (select * from releases union all select snapshot, org, 'all', own_version, scheme from releases),
        counted as (
            select snapshot, org, era, count(*) as releases, sum(own_version) as own_version,
                   sum(scheme = 'v-number') as v_number, sum(scheme = 'bare number') as bare_number,
                   sum(scheme = 'date edition') as date_edition, sum(scheme = 'other') as other
            from eras group by snapshot, org, era)
        select c.*, (select e.scheme from eras e where e.org = c.org and e.era = c.era and e.scheme <> 'none'
                     group by e.scheme order by count(*) desc, e.scheme limit 1)
        from counted c""",
    )
