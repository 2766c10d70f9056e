"""The robustness table (scripts/derive/robustness.py): each question's measure per model, per
family, per author and without checkpoint-only names, recomputed here in SQL from model_versioning
and version_markers, the per-model tables, on the fixture build's real rows."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import pytest

from scripts.derive import robustness

CHECKPOINT_ONLY = """
    select model from model_versioning v where own_version and not exists (
        select 1 from version_markers m where m.model = v.model and m.refers_to = 'self'
        and m.form != 'checkpoint')"""


@pytest.fixture(scope="module")
def conn(fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def row(conn, snapshot, question, group, unit) -> sqlite3.Row:
    return conn.execute(
        "select * from robustness where snapshot = ? and question = ? and group_name = ? and unit = ?",
        [snapshot, question, group, unit],
    ).fetchone()


def snapshots(conn) -> list[str]:
    return [r[0] for r in conn.execute("select distinct snapshot from model_versioning")]


def test_every_group_has_all_four_units(conn):
    counts = conn.execute(
        "select snapshot, question, group_name, group_concat(unit) from robustness group by 1, 2, 3"
    ).fetchall()
    assert counts
    for c in counts:
        assert sorted(c[3].split(",")) == sorted(robustness.UNITS), tuple(c)
    for r in conn.execute("select * from robustness where units > 0"):
        assert r["traditional_share"] + r["other_share"] == pytest.approx(r["own_version_share"], abs=2e-6)


@pytest.mark.parametrize(
    "unit, key",
    [
        ("model", "model"),
        ("family", "coalesce(author, '') || '/' || family"),
        ("author", "coalesce(author, '')"),
    ],
)
def test_rq1_one_vote_per_unit(conn, unit, key):
    for snapshot in snapshots(conn):
        # every unit's vote is the share of its models with their own version
        expected, units = conn.execute(
            f"""select avg(share), count(*) from (select avg(own_version) as share from model_versioning
                where snapshot = ? group by {key})""",
            [snapshot],
        ).fetchone()
        got = row(conn, snapshot, "rq1", "all", unit)
        assert got["own_version_share"] == pytest.approx(expected, abs=1e-6)
        assert got["units"] == units


def test_rq1_without_checkpoint_only_names(conn):
    for snapshot in snapshots(conn):
        models, own, seed = conn.execute(
            f"""select count(*), sum(own_version), sum(seed_rule) from model_versioning
                where snapshot = ? and model not in ({CHECKPOINT_ONLY})""",
            [snapshot],
        ).fetchone()
        left_out = conn.execute(
            f"select count(*) from model_versioning where snapshot = ? and model in ({CHECKPOINT_ONLY})",
            [snapshot],
        ).fetchone()[0]
        got = row(conn, snapshot, "rq1", "all", "without_checkpoints")
        assert got["models"] == models
        assert got["own_version_share"] == pytest.approx(own / models, abs=1e-6)
        assert got["seed_rule_share"] == pytest.approx(seed / models, abs=1e-6)
        whole = row(conn, snapshot, "rq1", "all", "model")
        assert whole["models"] - got["models"] == left_out


def test_a_checkpoint_only_name_is_left_out(conn):
    # A real census name whose only own version is a checkpoint: counted per model, left out without.
    (model,) = conn.execute(
        "select model from model_versioning where model_id = 'jiobiala24/wav2vec2-base-checkpoint-10'"
    ).fetchone()
    forms = {
        r[0]
        for r in conn.execute(
            "select form from version_markers where model = ? and refers_to = 'self'", [model]
        )
    }
    assert forms == {"checkpoint"}
    assert model in {r[0] for r in conn.execute(CHECKPOINT_ONLY)}


def test_rq2_per_author_in_a_task(conn):
    task = "reinforcement-learning"
    for snapshot in snapshots(conn):
        expected = conn.execute(
            """select avg(own), avg(seed), avg(env) from (select avg(own_version) as own, avg(seed_rule) as seed,
                      avg(environment_markers > 0) as env from model_versioning
               where snapshot = ? and pipeline_tag = ? group by coalesce(author, ''))""",
            [snapshot, task],
        ).fetchone()
        got = row(conn, snapshot, "rq2", task, "author")
        if expected[0] is None:
            assert got is None
            continue
        assert (got["own_version_share"], got["seed_rule_share"], got["environment_share"]) == pytest.approx(
            tuple(expected), abs=1e-6
        )


def test_rq3_consistency_per_family(conn):
    """One vote per family with an own version, split among its versioned models' forms."""
    checked = 0
    for snapshot in snapshots(conn):
        companies = conn.execute(
            """select organization from model_versioning where snapshot = ? and own_version
               and organization is not null group by organization having count(*) >= 10""",
            [snapshot],
        ).fetchall()
        for (organization,) in companies:
            votes: dict[str, float] = defaultdict(float)
            families = conn.execute(
                """select author, family, primary_form, count(*) from model_versioning
                   where snapshot = ? and organization = ? and own_version group by 1, 2, 3""",
                [snapshot, organization],
            ).fetchall()
            sizes: dict[tuple, int] = defaultdict(int)
            for author, family, _, n in families:
                sizes[(author, family)] += n
            for author, family, form, n in families:
                votes[form] += n / sizes[(author, family)]
            got = row(conn, snapshot, "rq3", organization, "family")
            assert got["versioned_units"] == len(sizes)
            assert got["consistency"] == pytest.approx(max(votes.values()) / len(sizes), abs=1e-6)
            assert votes[got["top_form"]] == pytest.approx(max(votes.values()))
            checked += 1
    assert checked >= 5


def test_the_columns_give_the_same_floats_as_the_row_by_row_definition(fixture_db):
    # The build computes over columns (numpy); group_row is the definition, one dict per row.
    plain = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    try:
        cursor = plain.execute(robustness.SELECT)
        names = [d[0] for d in cursor.description]
        by_row = robustness.robustness_rows([dict(zip(names, r)) for r in cursor])
        by_column = robustness.column_robustness_rows(robustness.read_columns(plain))
        stored = plain.execute("select * from robustness order by rowid").fetchall()
    finally:
        plain.close()
    assert len(by_row) > 100
    assert by_column == by_row  # exactly: every sum taken in the same order
    assert [tuple(r.values()) for r in by_column] == stored


def test_the_columns_are_the_grouped_rows_in_sqlite_order(fixture_db):
    # read_columns groups and sorts the models itself; SQLite's GROUP BY and ORDER BY over the
    # same rows is the reference. Small batches: an author or family runs across batches.
    plain = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    try:
        expected = plain.execute(f"{robustness.SELECT} order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10").fetchall()
        cols = robustness.read_columns(plain, batch=997)
    finally:
        plain.close()
    text = {c: [cols.texts[code] for code in cols.codes[c]] for c in robustness.TEXT_COLUMNS}
    number = {c: cols.numbers[c].tolist() for c in robustness.NUMBER_COLUMNS}
    got = [
        tuple(text[c][i] if c in text else number[c][i] for c in (*robustness.GROUP_ORDER, "models"))
        for i in range(len(cols.numbers["models"]))
    ]
    assert len(got) == len(expected) > 1000
    unit_columns = [robustness.GROUP_ORDER.index(c) for c in ("author", "family")]
    strip = [i for i in range(len(expected[0])) if i not in unit_columns]
    assert [[r[i] for i in strip] for r in got] == [[r[i] for i in strip] for r in expected]
    for i in unit_columns:  # each author and family one number, and each number one text
        pairs = {(e[i], g[i]) for e, g in zip(expected, got)}
        assert len(pairs) == len({t for t, _ in pairs}) == len({n for _, n in pairs}) > 100
