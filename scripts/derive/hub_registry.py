"""The Hub seen as a model registry: each family of two or more models, in MLflow's shape.

MLflow's Model Registry gives a registered model integer versions 1, 2, 3... in the order they are
registered, and `models:/name/latest` resolves the highest. The Hub has no such numbering: a new
release is a new repository whose name may declare a version (`Llama-3.1` after `Llama-3`). This
stage lays the classifier's families out as registered models so the two can be compared:

- registered model = `author/family` (the classifier's family: the name with its version markers
  and sizes taken out), for families of two or more models of one author in one census snapshot;
  models without an author (legacy ids such as `gpt2`) belong to no one's registry and are left out
- registry_version = the model's rank by creation time within its family (1 = oldest), ties broken
  by model id; `is_latest` marks the highest, what MLflow's `latest` would resolve to
- declared version = the model's first marker that versions the model itself (`refers_to =
  'self'`), beside the registry number

Creation times: the 2024-07-11 census gives models created before the Hub kept dates a placeholder
(stored as created_at NULL, created_at_placeholder = 1). Those models are older than every dated
model (the earliest real date is 2022-03-02T23:46:41Z, after both placeholders), so they rank
first, but their order among themselves is unknown: they rank by id and are never said to
conflict with each other (`order_basis` = 'on or before 2022-03-02'). The 2022-02-21 census has no
creation dates at all: its families are numbered by id only (`order_basis` = 'unknown') and show no
order conflicts.

Tables (all plain SQL over `models`, `model_versioning`, `version_markers`):
- hub_registry_versions: one row per model in a family of 2+, with order conflicts resolved in
- hub_registry_gaps: holes in a family's declared sequence (v1, v3 and no v2)
- hub_registry_families: one row per family of 2+, with its counts
- hub_registry_sizes: how many families have 1, 2, 3... models (singletons included), for
  comparison with the versions per registered model of an MLflow registry
"""

from __future__ import annotations

import sqlite_utils

from scripts import schema

# A declared version is compared only with versions of the same scheme: v2 with 3.1 with Llama-2
# (numbers), 2407 with 2024-05 (dates), step-1000 with step-2000 (checkpoints). Pre-release words
# (alpha, beta, preview) carry no order and are never compared.
SCHEME = """case
    when d.form in ('v_major', 'v_minor', 'v_patch', 'num_minor', 'num_patch', 'generation', 'glued')
        then 'number'
    when d.form = 'date' and d.date like '--%' then 'month-day'
    else d.form end"""

# A text that sorts like the version: zero-padded numbers (v1 = v1.0 = v1.0.0), or the ISO date.
KEY = """case
    when d.form = 'date' then d.date
    when d.form = 'prerelease' or d.major is null then null
    else printf('%012d.%012d.%012d', d.major, coalesce(d.minor, 0), coalesce(d.patch, 0)) end"""

TABLES = ["hub_registry_versions", "hub_registry_gaps", "hub_registry_families", "hub_registry_sizes"]


def derive_hub_registry(db: sqlite_utils.Database) -> None:
    """(Re)fill the hub_registry_* tables (scripts/schema.py) from models, model_versioning and
    version_markers."""
    conn = db.conn
    for table in TABLES:
        conn.execute(f"delete from [{table}]")
    _versions(db)
    _conflicts(db)
    _gaps(db)
    _families_and_sizes(db)
    conn.execute("drop table temp.hr_declared")
    conn.execute("drop table temp.hr_conflicts")
    conn.execute("drop table temp.hr_families")


def _versions(db: sqlite_utils.Database) -> None:
    conn = db.conn
    conn.execute("drop table if exists temp.hr_declared")
    # The declared version: each model's first marker that versions the model itself.
    conn.execute(f"""
        create temp table hr_declared as
        select model, text, form, major, minor, patch, date, {SCHEME} as scheme, {KEY} as key
        from (select *, row_number() over (partition by model order by position, rowid) as rn
              from version_markers where refers_to = 'self') as d
        where rn = 1""")
    conn.execute("create unique index temp.hr_declared_model on hr_declared(model)")
    # The families of two or more models with their sizes, grouped once for the versions below
    # and the table of family sizes (whose singletons are the rest of the models).
    conn.execute("drop table if exists temp.hr_families")
    conn.execute("""
        create temp table hr_families as
        select snapshot, author, family, count(*) as versions from model_versioning
        where author is not null and family is not null and family <> ''
        group by snapshot, author, family having count(*) >= 2""")

    conn.execute("""
        insert into hub_registry_versions (model, snapshot, author, family, registered_model,
            model_id, created_at, order_basis, registry_version, family_versions, is_latest,
            declared_text, declared_form, declared_scheme, declared_major, declared_minor,
            declared_patch, declared_date, declared_key)
        select f.model, f.snapshot, f.author, f.family, f.author || '/' || f.family, f.model_id,
            f.created_at,
            case when f.created_at is not null then 'created_at'
                 when f.created_at_placeholder then 'on or before 2022-03-02'
                 else 'unknown' end,
            f.registry_version, f.family_versions, f.registry_version = f.family_versions,
            d.text, d.form, d.scheme, d.major, d.minor, d.patch, d.date, d.key
        from (
            select m.snapshot, mv.author, mv.family, m.key as model, m.id as model_id,
                   m.created_at, m.created_at_placeholder,
                   count(*) over fam as family_versions,
                   -- NULL created_at (placeholder or no dates) sorts first: those are the oldest
                   row_number() over (fam order by m.created_at, m.id) as registry_version
            from model_versioning mv join models m on m.key = mv.model
            where mv.author is not null and mv.family is not null and mv.family <> ''
              -- only families of two or more: they are a seventh of the models, and the windows
              -- over every model took most of this stage's time (mv.snapshot is m.snapshot)
              and (mv.snapshot, mv.author, mv.family) in (
                  select snapshot, author, family from temp.hr_families)
            window fam as (partition by m.snapshot, mv.author, mv.family)
        ) as f
        left join hr_declared d on d.model = f.model
        where f.family_versions >= 2""")
    schema.create_indexes(db, "hub_registry_versions")


def _conflicts(db: sqlite_utils.Database) -> None:
    conn = db.conn

    # Order conflicts: a model whose declared version is lower than one created strictly earlier
    # in the same family and scheme (v2 published before v1). The GROUPS frame makes models with
    # equal created_at (and all NULL ones) peers, so a tie is never called a conflict.
    conn.execute("drop table if exists temp.hr_conflicts")
    conn.execute("""
        create temp table hr_conflicts as
        select model, snapshot, registered_model, declared_scheme, declared_key, max_before from (
            select model, snapshot, registered_model, declared_scheme, declared_key,
                   max(declared_key) over (
                       partition by snapshot, registered_model, declared_scheme
                       order by created_at groups between unbounded preceding and 1 preceding
                   ) as max_before
            from hub_registry_versions where declared_key is not null)
        where declared_key < max_before""")
    # Name the earliest-created model that declared that higher version.
    conn.execute("""
        update hub_registry_versions set
            earlier_higher_model = e.model, earlier_higher_model_id = e.model_id,
            earlier_higher_version = e.declared_text
        from hr_conflicts c
        join hub_registry_versions e on e.model = (
            select x.model from hub_registry_versions x
            where x.snapshot = c.snapshot and x.registered_model = c.registered_model
              and x.declared_scheme = c.declared_scheme and x.declared_key = c.max_before
            order by x.registry_version limit 1)
        where hub_registry_versions.model = c.model""")


def _gaps(db: sqlite_utils.Database) -> None:
    conn = db.conn
    # Gaps in the declared numbers: majors (v1, v3: no v2), and minors within one major where both
    # ends state a minor (v0.1, v0.3: no v0.2; Phi-3 then Phi-3.5 is not read as a gap).
    conn.execute("""
        insert into hub_registry_gaps
        with majors as (
            select snapshot, registered_model, author, family, declared_major as n,
                   min(registry_version) as rv
            from hub_registry_versions where declared_scheme = 'number'
            group by snapshot, registered_model, declared_major),
        minors as (
            select snapshot, registered_model, author, family, declared_major as major,
                   declared_minor as n, min(registry_version) as rv
            from hub_registry_versions where declared_scheme = 'number' and declared_minor is not null
            group by snapshot, registered_model, declared_major, declared_minor),
        steps as (
            select snapshot, registered_model, author, family, 'major' as level,
                   n as after_n, lead(n) over w as before_n, rv as after_rv,
                   lead(rv) over w as before_rv, null as major
            from majors window w as (partition by snapshot, registered_model order by n)
            union all
            select snapshot, registered_model, author, family, 'minor', n, lead(n) over w, rv,
                   lead(rv) over w, major
            from minors window w as (partition by snapshot, registered_model, major order by n))
        select s.snapshot, s.registered_model, s.author, s.family, s.level,
               a.declared_text, b.declared_text, s.before_n - s.after_n - 1,
               case when s.level = 'major' then
                        case when s.before_n - s.after_n = 2 then s.after_n + 1
                             else (s.after_n + 1) || '-' || (s.before_n - 1) end
                    else case when s.before_n - s.after_n = 2 then s.major || '.' || (s.after_n + 1)
                              else s.major || '.' || (s.after_n + 1) || '-' || s.major || '.' || (s.before_n - 1) end
               end,
               a.model, a.model_id, b.model, b.model_id
        from steps s
        join hub_registry_versions a on a.snapshot = s.snapshot
             and a.registered_model = s.registered_model and a.registry_version = s.after_rv
        join hub_registry_versions b on b.snapshot = s.snapshot
             and b.registered_model = s.registered_model and b.registry_version = s.before_rv
        where s.before_n - s.after_n > 1""")
    schema.create_indexes(db, "hub_registry_gaps")


def _families_and_sizes(db: sqlite_utils.Database) -> None:
    conn = db.conn

    conn.execute("""
        insert into hub_registry_families
        select v.snapshot, v.registered_model, v.author, v.family, count(*),
               count(v.declared_text), min(v.created_at), max(v.created_at),
               max(case when v.is_latest then v.model end),
               max(case when v.is_latest then v.model_id end),
               max(case when v.is_latest then v.declared_text end),
               count(v.earlier_higher_model),
               (select count(*) from hub_registry_gaps g
                where g.snapshot = v.snapshot and g.registered_model = v.registered_model),
               sum(v.order_basis = 'on or before 2022-03-02')
        from hub_registry_versions v group by v.snapshot, v.registered_model""")
    schema.create_indexes(db, "hub_registry_families")

    # Family sizes including single-model families: what the Hub would look like as a registry
    # where every model is a version of its family.
    conn.execute("""
        insert into hub_registry_sizes
        with multi as (
            select snapshot, versions, count(*) as families, sum(versions) as models
            from temp.hr_families group by snapshot, versions),
        singles as (
            select f.snapshot, 1 as versions,
                   f.models - coalesce((select sum(m.models) from multi m where m.snapshot = f.snapshot), 0)
                       as families
            from (select snapshot, count(*) as models from model_versioning
                  where author is not null and family is not null and family <> ''
                  group by snapshot) as f)
        select snapshot, versions, families, models from multi
        union all
        select snapshot, versions, families, families from singles where families > 0
        order by 1, 2""")
