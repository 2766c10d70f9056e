"""Derive stage: where versions live when not in names, computed once at build time.

- `weight_change_models`: one row per model of a weight-changes snapshot (weight files rewritten in
  place, scripts/weight_changes.py), linked to the headline census and to model_versioning: its
  number of rewrites (commits of its most rewritten weight file, less the first upload) beside
  what its name says (own version, seed rule, primary form).
- `history_rewritten`: among those models, the share whose name carries an own version, overall,
  by number of rewrites and by task, beside the share among the census models of the same tasks
  and libraries: each member counts its (pipeline_tag, library_name) cell's census share, so the
  comparison has the group's own mix of tasks and libraries.
- `history_declared_versions`: one row per version declared in a family (author/family, versions
  told apart by major.minor; the first marker that versions the model itself, in the number
  scheme of scripts/derive/hub_registry.py), with whether the previous version exists in the same family
  and census: for a major version M (M.0 or bare M, M >= 2), any version M-1.x; for a minor version
  M.n, M.(n-1) (M.0 and bare M alike). First releases (majors 0 and 1, minor 0.1) expect none.
  `history_predecessor_shares` counts them per census, level and population (families of two or
  more models, the Hub as a registry; every family).
- `history_succession`: one row per family present in the oldest and in the newest census, with
  whether the newest holds a higher declared version than the oldest's highest, and whether that
  version came as a new repository (an id absent from the oldest census) or the same one, and how
  many of the oldest census's repositories were kept under the same id.
"""

from __future__ import annotations

import sqlite_utils

from scripts import schema
from scripts.derive import estimates, group_estimates
from scripts.derive.hub_registry import KEY, SCHEME
from scripts.load import validation

# Bands of rewrites (commits of the most rewritten weight file, less the first upload).
REWRITE_BANDS = (
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 4, "3-4"),
    (5, 9, "5-9"),
    (10, 99, "10-99"),
    (100, None, "100+"),
)
# Seed figures of Ajibode et al. (EMSE 2025): versions whose predecessor is on the Hub.
PAPER_PREDECESSOR_SHARE = {"major": 0.43, "minor": 0.35}


def band_sql(column: str) -> tuple[str, str]:
    """SQL CASE expressions of a rewrites count's band label and its order."""
    label = " ".join(f"when {column} >= {lo} then '{name}'" for lo, _hi, name in reversed(REWRITE_BANDS))
    order = " ".join(
        f"when {column} >= {lo} then {i}" for i, (lo, _hi, _n) in reversed(list(enumerate(REWRITE_BANDS)))
    )
    return f"case {label} end", f"case {order} end"


def headline_census(db: sqlite_utils.Database) -> str | None:
    row = db.execute("select snapshot from snapshots where kind = 'census' and headline = 1").fetchone()
    return row and row[0]


def derive_history(db: sqlite_utils.Database, fitted: group_estimates.Fit | None = None) -> None:
    """Fill the four tables (created by scripts/schema.py) from models, model_versioning,
    version_markers and weight_file_changes; `fitted`: the labels' group_estimates.fit, if the
    caller has it."""
    census = headline_census(db)
    link_weight_changes(db, census)
    derive_rewritten(db, census)
    correct_rewritten(db, census, fitted)
    derive_declared_versions(db)
    derive_succession(db)


def link_weight_changes(db: sqlite_utils.Database, census: str | None) -> None:
    """Each weight-change row to its model in the headline census (by exact id), then per model."""
    db.execute(
        """update weight_file_changes set census = :census, model = (
               select m.key from models m where m.snapshot = :census and m.id = weight_file_changes.model_id)""",
        {"census": census},
    )
    schema.create_indexes(db, "weight_file_changes")
    label, order = band_sql("max(w.commits) - 1")
    db.execute(f"""
        insert into weight_change_models
        select w.snapshot, w.model_id, w.model, w.census, count(*), max(w.commits), max(w.commits) - 1,
               {label}, {order}, v.pipeline_tag, v.library_name, v.own_version, v.seed_rule,
               v.primary_form, v.primary_text
        from weight_file_changes w left join model_versioning v on v.model = w.model
        group by w.snapshot, w.model_id""")
    schema.create_indexes(db, "weight_change_models")


# The groups of rewritten models: all of them, by number of rewrites, by task.
REWRITTEN_MEMBERS = """
    select 'all' as grouping, 'all rewritten models' as grp, 0 as grp_order, w.*
    from weight_change_models w where w.model is not null
    union all
    select 'rewrites', rewrites_band, band_order, w.* from weight_change_models w where w.model is not null
    union all
    select 'task', coalesce(pipeline_tag, '(no task)'), 0, w.*
    from weight_change_models w where w.model is not null"""
# A (task, library) cell of the census, as one key.
CELL = "coalesce(pipeline_tag, '') || char(31) || coalesce(library_name, '')"


def derive_rewritten(db: sqlite_utils.Database, census: str | None) -> None:
    # The census's own-version and seed-rule shares per (task, library) cell.
    db.execute("drop table if exists temp.history_cells")
    db.execute(
        """create temp table history_cells as
           select coalesce(pipeline_tag, '') as task, coalesce(library_name, '') as library,
                  count(*) as n, avg(own_version) as own, avg(seed_rule) as seed
           from model_versioning where snapshot = ? group by pipeline_tag, library_name""",
        [census],
    )
    db.execute("create unique index temp.history_cells_key on history_cells(task, library)")
    db.execute(
        f"""
        insert into history_rewritten (census, grouping, grp, grp_order, models, own_version, share_raw,
            share_seed, census_models, census_share_raw, census_share_seed)
        with members as ({REWRITTEN_MEMBERS}),
        group_cells as (
            select grouping, grp, sum(c.n) as census_models from (
                select distinct grouping, grp, coalesce(pipeline_tag, '') as task,
                       coalesce(library_name, '') as library from members) as g
            join temp.history_cells c on c.task = g.task and c.library = g.library
            group by grouping, grp)
        select :census, m.grouping, m.grp, m.grp_order, count(*), sum(m.own_version), avg(m.own_version),
               avg(m.seed_rule), g.census_models, avg(c.own), avg(c.seed)
        from members m
        join temp.history_cells c on c.task = coalesce(m.pipeline_tag, '') and c.library = coalesce(m.library_name, '')
        join group_cells g on g.grouping = m.grouping and g.grp = m.grp
        group by m.grouping, m.grp""",
        {"census": census},
    )
    # Tasks in order of size, largest first.
    db.execute("""
        update history_rewritten set grp_order = (
            select count(*) from history_rewritten o where o.grouping = 'task'
              and (o.models > history_rewritten.models
                   or (o.models = history_rewritten.models and o.grp < history_rewritten.grp)))
        where grouping = 'task'""")


def correct_rewritten(
    db: sqlite_utils.Database, census: str | None, fitted: group_estimates.Fit | None = None
) -> None:
    """Corrected shares of history_rewritten, when the census is the labelled one, by the per-group
    method of the tasks and companies (scripts/derive/group_estimates.py): each group of rewritten
    models as a set, and the census comparator as the same mix of (task, library) cells, each cell
    corrected as a set and weighted by the group's models in it; `labelled` counts each group's
    own labelled ids."""
    manifest = validation.read_manifest(validation.VALIDATION_DIR)
    if census != manifest["census"] or census not in estimates.labelled_census(db):
        return
    fitted = fitted or group_estimates.fit(db, manifest)
    groups = group_estimates.estimate_sets(
        db,
        manifest,
        f"with members as ({REWRITTEN_MEMBERS}) select grouping || char(31) || grp as grp, model from members",
        fitted=fitted,
    )
    cells = group_estimates.estimate_sets(
        db,
        manifest,
        f"""select {CELL} as grp, model from model_versioning
            where snapshot = ? and {CELL} in (select {CELL} from weight_change_models where model is not null)""",
        [census],
        fitted=fitted,
    )
    mix: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for r in db.query(
        f"with members as ({REWRITTEN_MEMBERS}) select grouping, grp, {CELL} as cell, count(*) as n "
        "from members group by 1, 2, 3"
    ):
        mix.setdefault((r["grouping"], r["grp"]), []).append((r["cell"], r["n"]))
    db.conn.executemany(
        """update history_rewritten set share_corrected = ?, corrected_low = ?, corrected_high = ?,
               census_share_corrected = ?, labelled = ? where grouping = ? and grp = ?""",
        [
            (e.point, e.low, e.high, _mixed(mix[key], cells), e.labelled, *key)
            for key, e in ((tuple(k.split("\x1f", 1)), e) for k, e in groups.items())
        ],
    )


def _mixed(cells_of_group: list[tuple[str, int]], cells: dict) -> float | None:
    """The corrected cells' points weighted by the group's models in each; None if one is unmeasured."""
    points = [(cells[cell].point, n) for cell, n in cells_of_group]
    if any(p is None for p, _ in points):
        return None
    return sum(p * n for p, n in points) / sum(n for _, n in points)


# Each model's declared version: its first marker that versions the model itself, when that marker
# is in the number scheme (v2, 3.1, Llama-2, Qwen2), with its sort key (scripts/derive/hub_registry.py).
DECLARED = f"""
    select d.model, d.text, d.major, coalesce(d.minor, 0) as minor, {KEY} as key
    from (select *, row_number() over (partition by model order by position, rowid) as rn
          from version_markers where refers_to = 'self') as d
    where d.rn = 1 and d.major is not null and ({SCHEME}) = 'number'"""

# Families as scripts/derive/hub_registry.py takes them: an author's models with the same family.
IN_FAMILY = "v.author is not null and v.family is not null and v.family <> ''"


def derive_declared_versions(db: sqlite_utils.Database) -> None:
    db.execute("drop table if exists temp.history_declared")
    db.execute(f"create temp table history_declared as {DECLARED}")
    db.execute("create unique index temp.history_declared_model on history_declared(model)")
    db.execute("drop table if exists temp.history_family_sizes")
    # The sizes of the families that declare a version only, each counted in the family index: the
    # census holds 715,000 families, most of one model and none declared.
    db.execute(f"""
        create temp table history_family_sizes as
        select f.snapshot, f.author, f.family,
               (select count(*) from model_versioning x
                where x.snapshot = f.snapshot and x.author = f.author and x.family = f.family) as models
        from (select distinct v.snapshot, v.author, v.family
              from temp.history_declared d join model_versioning v on v.model = d.model
              where {IN_FAMILY}) as f""")
    db.execute(
        "create unique index temp.history_family_sizes_key on history_family_sizes(snapshot, author, family)"
    )
    db.execute("""
        insert into history_declared_versions (snapshot, registered_model, author, family, family_models,
            level, major, minor, version, models, example_model_id, expects_predecessor, predecessor)
        select v.snapshot, v.author || '/' || v.family, v.author, v.family, s.models,
               case when d.minor = 0 then 'major' else 'minor' end, d.major, d.minor,
               d.major || '.' || d.minor, count(*), min(v.model_id),
               case when d.minor = 0 then d.major >= 2 else not (d.major = 0 and d.minor = 1) end,
               case when d.minor = 0 then (d.major - 1) || '.x' else d.major || '.' || (d.minor - 1) end
        from temp.history_declared d
        join model_versioning v on v.model = d.model
        join temp.history_family_sizes s on s.snapshot = v.snapshot and s.author = v.author and s.family = v.family
        group by v.snapshot, v.author, v.family, d.major, d.minor""")
    schema.create_indexes(db, "history_declared_versions", unique=True)  # for the lookups below
    db.execute("""
        update history_declared_versions set has_predecessor = exists (
            select 1 from history_declared_versions p
            where p.snapshot = history_declared_versions.snapshot
              and p.author = history_declared_versions.author and p.family = history_declared_versions.family
              and p.major = history_declared_versions.major - (history_declared_versions.level = 'major')
              and (history_declared_versions.level = 'major' or p.minor = history_declared_versions.minor - 1))
        where expects_predecessor""")
    schema.create_indexes(db, "history_declared_versions", unique=False)
    # The page's figures: versions with their predecessor, per census, population and level.
    db.execute("""
        insert into history_predecessor_shares
        select snapshot, 'families of 2+ models (Hub as registry)', 0, level, count(*), sum(has_predecessor)
        from history_declared_versions where expects_predecessor and family_models >= 2
        group by snapshot, level
        union all
        select snapshot, 'every family (single-model families included)', 1, level, count(*),
               sum(has_predecessor)
        from history_declared_versions where expects_predecessor
        group by snapshot, level""")


def census_pair(db: sqlite_utils.Database) -> tuple[str, str] | None:
    """The oldest and the newest census, if the build holds two."""
    old, new, n = db.execute(
        "select min(snapshot), max(snapshot), count(*) from snapshots where kind = 'census'"
    ).fetchone()
    return (old, new) if n >= 2 else None


def derive_succession(db: sqlite_utils.Database) -> None:
    pair = census_pair(db)
    if pair is None:
        return
    # The models of every family present in both censuses, with their declared versions.
    db.execute("drop table if exists temp.history_fam")
    db.execute(
        """
        create temp table history_fam as
        select v.snapshot, v.author, v.family, v.model, v.model_id, d.key, d.text
        from (select distinct o.author, o.family from model_versioning o
              where o.snapshot = :old and o.author is not null and o.family is not null and o.family <> ''
                and exists (select 1 from model_versioning n
                            where n.snapshot = :new and n.author = o.author and n.family = o.family)) as b
        join model_versioning v on v.snapshot in (:old, :new) and v.author = b.author and v.family = b.family
        left join temp.history_declared d on d.model = v.model""",
        {"old": pair[0], "new": pair[1]},
    )
    db.execute("create index temp.history_fam_key on history_fam(snapshot, author, family, key)")
    db.execute(
        """
        insert into history_succession
        with fam as (select * from temp.history_fam),
        old as (
            select f.author, f.family, count(*) as n, count(f.key) as declared, max(f.key) as top_key,
                   count(m.key) as kept, count(w.model) as kept_rewritten
            from fam f
            left join models m on m.snapshot = :new and m.id = f.model_id
            left join weight_change_models w on w.model = m.key
            where f.snapshot = :old group by f.author, f.family),
        new as (
            select f.author, f.family, count(*) as n, max(f.key) as top_key from fam f
            where f.snapshot = :new group by f.author, f.family),
        newer as (
            select f.author, f.family, f.model_id,
                   exists (select 1 from models m where m.snapshot = :old and m.id = f.model_id) as existed,
                   row_number() over (partition by f.author, f.family order by f.key desc, f.model_id) as rn
            from fam f join old o on o.author = f.author and o.family = f.family
            where f.snapshot = :new and f.key > coalesce(o.top_key, ''))
        select :old, :new, o.author || '/' || o.family, o.author, o.family, o.n, n.n, o.kept,
               o.kept_rewritten, o.declared > 0,
               (select min(f.text) from fam f where f.snapshot = :old and f.author = o.author
                  and f.family = o.family and f.key = o.top_key),
               (select min(f.text) from fam f where f.snapshot = :new and f.author = o.author
                  and f.family = o.family and f.key = n.top_key),
               x.model_id is not null, x.model_id, not x.existed,
               case when x.model_id is not null and not x.existed then 'newer version as a new repository'
                    when x.model_id is not null then 'newer version in the same repository'
                    when o.kept > 0 then 'no newer version and repository kept'
                    else 'no newer version and old repositories gone' end
        from old o join new n on n.author = o.author and n.family = o.family
        left join newer x on x.author = o.author and x.family = o.family and x.rn = 1""",
        {"old": pair[0], "new": pair[1]},
    )
    schema.create_indexes(db, "history_succession")
    for name in ("history_cells", "history_declared", "history_family_sizes", "history_fam"):
        db.execute(f"drop table if exists temp.{name}")
