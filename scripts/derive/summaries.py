"""Summary tables: the aggregates the canned queries read, computed once at build time.

Each is a GROUP BY over `model_versioning` (four of them through the cells they share, CELLS), so
every figure on the site can be traced to the model rows it counts (the canned queries link back
to them). Forms are the primary (first `self`) marker's form; a model without its own version
counts under 'unversioned'.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from scripts import schema

# Forms of a model: its primary own-version form, or 'unversioned'.
FORM = "coalesce(primary_form, 'unversioned')"

# Two groupings that four summaries share, each taken once (a GROUP BY over the 790,000 models is
# a sort of them all): per task and form, and per author and form; the summaries by task and by
# author add their cells up (sums of integers: the same figures).
CELLS = {
    "task_cells": f"""
        select snapshot, coalesce(pipeline_tag, '(none)') as pipeline_tag, {FORM} as form,
               count(*) as models, sum(seed_rule) as seed_rule, sum(own_version) as own_version,
               sum(environment_markers > 0) as environment_versioned,
               sum(seed_rule and not own_version) as seed_rule_not_own,
               sum(dataset_markers > 0) as dataset_versioned,
               sum(base_model_markers > 0) as base_model_versioned
        from model_versioning group by 1, 2, 3""",
    # An author's organization is its namespace's: one per author.
    "author_cells": f"""
        select snapshot, author, organization, organization_kind, {FORM} as form, count(*) as models,
               sum(seed_rule) as seed_rule, sum(own_version) as own_version, sum(downloads) as downloads
        from model_versioning where author is not null group by snapshot, author, 5""",
}

SUMMARIES = {
    "summary_downloads": """
        select snapshot, downloads, count(*) as models, sum(seed_rule) as seed_rule,
               sum(own_version) as own_version
        from model_versioning group by snapshot, downloads""",
    "summary_tasks": """
        select snapshot, pipeline_tag, sum(models) as models, sum(seed_rule) as seed_rule,
               sum(own_version) as own_version, sum(environment_versioned) as environment_versioned,
               sum(seed_rule_not_own) as seed_rule_not_own, sum(dataset_versioned) as dataset_versioned,
               sum(base_model_versioned) as base_model_versioned
        from task_cells group by snapshot, pipeline_tag""",
    "summary_task_forms": "select snapshot, pipeline_tag, form, models from task_cells order by rowid",
    "summary_authors": """
        select snapshot, author, organization, organization_kind, sum(models) as models,
               sum(seed_rule) as seed_rule, sum(own_version) as own_version, sum(downloads) as downloads
        from author_cells group by snapshot, author""",
    "summary_author_forms": """
        select snapshot, author, organization, organization_kind, form, models
        from author_cells order by rowid""",
    "summary_months": """
        select snapshot,
               case when created_at_placeholder then 'on or before 2022-03-02'
                    else coalesce(created_month, 'unknown') end as created_month,
               count(*) as models, sum(seed_rule) as seed_rule, sum(own_version) as own_version
        from model_versioning group by 1, 2""",
    # Families of two or more models: how many of their models carry a version, in how many
    # forms, how concentrated on the most common form, and the versions in order.
    "summary_families": f"""
        with members as (
            select snapshot, author, family, organization, model, own_version, {FORM} as form,
                   primary_text, primary_major, primary_minor, primary_patch, primary_date
            from model_versioning where author is not null),
        families as (
            select snapshot, author, family, max(organization) as organization, count(*) as models,
                   sum(own_version) as versioned
            from members group by snapshot, author, family having count(*) >= 2),
        form_counts as (
            select m.snapshot, m.author, m.family, m.form, count(*) as n
            from members m join families f using (snapshot, author, family)
            where m.own_version group by 1, 2, 3, 4),
        form_stats as (
            select fc.snapshot, fc.author, fc.family, count(*) as forms, max(fc.n) as top_n,
                   -sum((1.0 * fc.n / f.versioned) * log2(1.0 * fc.n / f.versioned)) as entropy
            from form_counts fc join families f using (snapshot, author, family)
            group by 1, 2, 3),
        top_form as (
            select snapshot, author, family, form,
                   row_number() over (partition by snapshot, author, family
                                      order by n desc, form) as rank
            from form_counts),
        versions as (
            select snapshot, author, family,
                   group_concat(primary_text, ' < ') as versions
            from (select distinct m.snapshot, m.author, m.family, m.primary_text,
                         m.primary_date, m.primary_major, m.primary_minor, m.primary_patch
                  from members m join families f using (snapshot, author, family)
                  where m.own_version
                  order by m.primary_date, m.primary_major, m.primary_minor, m.primary_patch,
                           m.primary_text)
            group by 1, 2, 3)
        select f.snapshot, f.author, f.family, f.organization, f.models, f.versioned,
               coalesce(s.forms, 0) as forms, t.form as top_form,
               round(1.0 * s.top_n / nullif(f.versioned, 0), 4) as consistency,
               round(abs(coalesce(s.entropy, 0)), 4) as entropy_bits, v.versions
        from families f
        left join form_stats s using (snapshot, author, family)
        left join top_form t on t.snapshot = f.snapshot and t.author = f.author
             and t.family = f.family and t.rank = 1
        left join versions v using (snapshot, author, family)""",
}


def compute_summaries(out_path: Path, db_path: Path) -> Path:
    """Every summary computed into a database of its own at out_path (one table each, rows in
    the select's order), from the database at db_path attached read-only (the build's staging
    file, which holds model_versioning), so that the build can aggregate in a thread while its
    writer makes indexes in the main file; store_summaries copies them in. The rows stay in
    SQLite: 460,000 of them held as Python tuples took 100 MB of the build's peak."""
    out_path, db_path = Path(out_path).resolve(), Path(db_path).resolve()
    out_path.unlink(missing_ok=True)
    conn = sqlite3.connect(out_path.as_uri(), uri=True)
    try:
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute("attach database ? as source", [db_path.as_uri() + "?mode=ro"])
        for cells, select in CELLS.items():
            conn.execute(f"create temp table [{cells}] as {select}")
        for table, select in SUMMARIES.items():
            conn.execute(f"create table main.[{table}] as {select}")
            columns = tuple(d[0] for d in conn.execute(f"select * from main.[{table}] limit 0").description)
            if columns != schema.TABLES[table].names:
                raise RuntimeError(
                    f"{table}: the select gives {columns}, scripts/schema.py declares "
                    f"{schema.TABLES[table].names}"
                )
        conn.commit()
        conn.execute("detach database source")
        return out_path
    finally:
        conn.close()


def store_summaries(db: sqlite_utils.Database, computed: Path) -> None:
    """Copy the summaries of compute_summaries into their tables (scripts/schema.py), in the
    order they were computed, then index them."""
    db.conn.commit()  # nor attached inside one
    db.execute("attach database ? as summaries", [Path(computed).resolve().as_uri() + "?mode=ro"])
    try:
        for table in SUMMARIES:
            db.execute(f"insert into main.[{table}] select * from summaries.[{table}] order by rowid")
    finally:
        db.conn.commit()  # a database cannot be detached inside a transaction that read it
        db.execute("detach database summaries")
    for table in SUMMARIES:
        schema.create_indexes(db, table)
