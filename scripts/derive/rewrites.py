"""Derive stage: the closing question against a control group, and predecessors by definition.

- `population_models` (loaded by scripts/load/population.py) is linked to the headline census
  (`model`, by exact id) and to the weight-changes snapshot drawn from it (`rewritten`, `rewrites`):
  a model of the population absent from the weight-change list had no weight file rewritten.
- `history_control`: within that population and the census, the own-version share of the models
  rewritten in place and of those not rewritten (the control group), overall, by number of rewrites
  (0 for the control group) and by variant; raw (a census count: no sampling error) and, when the
  census has hand-labelled ids, corrected for the classifier's error by the method of the tasks and
  companies (scripts/derive/group_estimates.py: error rates by reading, measured on every labelled
  id; the interval is the classifier's uncertainty, not a sampling one).
- `history_predecessor_definitions`: the share of declared major and minor versions whose previous
  version is on the Hub (history_declared_versions, scripts/derive/history.py) under each
  definition of the population, the one closest to Ajibode et al. first: their population's models
  (in the census), families with two or more distinct declared versions.
"""

from __future__ import annotations

import sqlite_utils

from scripts.derive import estimates, group_estimates
from scripts.derive.history import REWRITE_BANDS, band_sql, headline_census
from scripts.load import validation

CONTROL = "not rewritten (control group)"
REWRITTEN = "rewritten in place"


def derive_rewrites(db: sqlite_utils.Database, fitted: group_estimates.Fit | None = None) -> None:
    """`fitted`: the labels' group_estimates.fit, if the caller has it."""
    census = headline_census(db)
    if not db.execute("select exists (select 1 from population_models)").fetchone()[0]:
        return
    link_population(db, census)
    control_rows(db, census)
    correct_control(db, census, fitted)
    predecessor_definitions(db)


def link_population(db: sqlite_utils.Database, census: str | None) -> None:
    db.execute(
        """update population_models set census = :census,
               model = (select m.key from models m where m.snapshot = :census and m.id = population_models.model_id)""",
        {"census": census},
    )
    # Each id's rewrites, looked up through an index (an id may be in more than one such snapshot).
    db.execute("drop table if exists temp.rewrites_by_id")
    db.execute("""create temp table rewrites_by_id as
                  select model_id, max(rewrites) as rewrites from weight_change_models group by model_id""")
    db.execute("create unique index temp.rewrites_by_id_key on rewrites_by_id(model_id)")
    db.execute("""update population_models set rewrites = (
                      select r.rewrites from temp.rewrites_by_id r where r.model_id = population_models.model_id)""")
    db.execute("drop table if exists temp.rewrites_by_id")
    db.execute("update population_models set rewritten = rewrites is not null")


def control_rows(db: sqlite_utils.Database, census: str | None) -> None:
    label, order = band_sql("p.rewrites")
    db.execute(
        f"""
        insert into history_control (census, grouping, grp, grp_order, rewritten, models, own_version,
                                     share_raw, share_seed)
        with members as (
            select p.*, v.own_version, v.seed_rule,
                   case when p.rewritten then '{REWRITTEN}' else '{CONTROL}' end as arm,
                   case when p.rewritten then {label} else '0' end as band,
                   case when p.rewritten then ({order}) + 1 else 0 end as band_order
            from population_models p join model_versioning v on v.model = p.model
            where p.model is not null)
        select :census, 'all', arm, not rewritten, rewritten, count(*), sum(own_version), avg(own_version),
               avg(seed_rule) from members group by arm
        union all
        select :census, 'rewrites', band, band_order, rewritten, count(*), sum(own_version), avg(own_version),
               avg(seed_rule) from members group by band
        union all
        select :census, 'variant', variant || ', ' || arm, not rewritten, rewritten, count(*), sum(own_version),
               avg(own_version), avg(seed_rule) from members group by variant, arm""",
        {"census": census},
    )


def correct_control(
    db: sqlite_utils.Database, census: str | None, fitted: group_estimates.Fit | None = None
) -> None:
    """share_corrected of every history_control row by the per-group method of the tasks and
    companies (scripts/derive/group_estimates.py), when the census is the labelled one."""
    manifest = validation.read_manifest(validation.VALIDATION_DIR)
    if census != manifest["census"] or census not in estimates.labelled_census(db):
        return
    label, order = band_sql("p.rewrites")
    members = f"""
        with members as (
            select p.model, p.variant,
                   case when p.rewritten then '{REWRITTEN}' else '{CONTROL}' end as arm,
                   case when p.rewritten then {label} else '0' end as band
            from population_models p where p.model is not null)
        select 'all' || char(31) || arm as grp, model from members
        union all select 'rewrites' || char(31) || band, model from members
        union all select 'variant' || char(31) || variant || ', ' || arm, model from members"""
    found = group_estimates.estimate_sets(db, manifest, members, fitted=fitted)
    db.conn.executemany(
        """update history_control set share_corrected = ?, corrected_low = ?, corrected_high = ?,
               labelled = ? where grouping = ? and grp = ?""",
        [(e.point, e.low, e.high, e.labelled, *key.split("\x1f", 1)) for key, e in found.items()],
    )


# Each definition of the population whose declared versions are counted: (order, label, the
# history_declared_versions rows it keeps). Families are an author's models with the same family key.
DEFINITIONS = (
    (
        0,
        "closest to Ajibode et al.: their population (NLP models, in the census), families with 2+ distinct declared versions",
        "nlp",
    ),
    (1, "families with 2+ distinct declared versions (the whole census)", "versions >= 2"),
    (2, "families of 2+ models (the Hub as a registry)", "family_models >= 2"),
    (3, "every family (single-model families included)", "1"),
)


def predecessor_definitions(db: sqlite_utils.Database) -> None:
    """Versions with their predecessor on the Hub, per census, definition and level."""
    db.execute("drop table if exists temp.declared_distinct")
    db.execute("""
        create temp table declared_distinct as
        select snapshot, author, family, count(*) as versions from history_declared_versions
        group by snapshot, author, family""")
    db.execute(
        "create unique index temp.declared_distinct_key on declared_distinct(snapshot, author, family)"
    )
    for order, label, keep in DEFINITIONS[1:]:
        db.execute(
            f"""insert into history_predecessor_definitions
                select d.snapshot, ?, ?, d.level, count(*), sum(d.has_predecessor)
                from history_declared_versions d
                join temp.declared_distinct f using (snapshot, author, family)
                where d.expects_predecessor and {keep} group by d.snapshot, d.level""",
            [label, order],
        )
    nlp_definition(db, *DEFINITIONS[0][:2])
    db.execute("drop table if exists temp.declared_distinct")


def nlp_definition(db: sqlite_utils.Database, order: int, label: str) -> None:
    """The paper's population: the declared versions of the population's models in the census,
    families of 2+ distinct such versions; a predecessor counts when it is among them."""
    db.execute("drop table if exists temp.nlp_versions")
    # The first own marker of each population model only (a window over every marker of the census,
    # joined afterwards, would be scanned once per model).
    db.execute("""
        create temp table nlp_versions as
        with first_self as (
            select m.model, m.major, m.minor, m.form,
                   row_number() over (partition by m.model order by m.position, m.rowid) as rn
            from population_models p join version_markers m on m.model = p.model and m.refers_to = 'self')
        select distinct v.snapshot, v.author, v.family, d.major, coalesce(d.minor, 0) as minor
        from first_self d join model_versioning v on v.model = d.model
        where d.rn = 1 and d.major is not null
          and d.form in ('v_major', 'v_minor', 'v_patch', 'num_minor', 'num_patch', 'generation', 'glued')
          and v.family is not null and v.family <> ''""")
    db.execute("create index temp.nlp_versions_key on nlp_versions(snapshot, author, family, major, minor)")
    db.execute(
        """
        insert into history_predecessor_definitions
        with fam as (select snapshot, author, family from temp.nlp_versions group by 1, 2, 3 having count(*) >= 2),
        versions as (
            select n.*, case when n.minor = 0 then 'major' else 'minor' end as level,
                   case when n.minor = 0 then n.major >= 2 else not (n.major = 0 and n.minor = 1) end as expects
            from temp.nlp_versions n join fam using (snapshot, author, family))
        select v.snapshot, ?, ?, v.level, count(*),
               sum(exists (select 1 from temp.nlp_versions p
                           where p.snapshot = v.snapshot and p.author = v.author and p.family = v.family
                             and p.major = v.major - (v.level = 'major')
                             and (v.level = 'major' or p.minor = v.minor - 1)))
        from versions v where v.expects group by v.snapshot, v.level""",
        [label, order],
    )
    db.execute("drop table if exists temp.nlp_versions")


BANDS = ["0", *(name for _lo, _hi, name in REWRITE_BANDS)]
