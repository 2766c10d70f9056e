"""The summaries (scripts/derive/summaries.py) on the fixture build's real rows: those added up
from the shared cells are, row for row and in order, the GROUP BY over every model that defines
them."""

from __future__ import annotations

import sqlite3

import pytest

from scripts.derive import summaries

FORM = summaries.FORM
# Each summary read through the cells, as one GROUP BY over model_versioning.
DEFINITIONS = {
    "summary_tasks": """
        select snapshot, coalesce(pipeline_tag, '(none)'), count(*), sum(seed_rule), sum(own_version),
               sum(environment_markers > 0), sum(seed_rule and not own_version), sum(dataset_markers > 0),
               sum(base_model_markers > 0)
        from model_versioning group by snapshot, coalesce(pipeline_tag, '(none)')""",
    "summary_task_forms": f"""
        select snapshot, coalesce(pipeline_tag, '(none)'), {FORM}, count(*)
        from model_versioning group by 1, 2, 3""",
    "summary_authors": """
        select snapshot, author, organization, organization_kind, count(*), sum(seed_rule),
               sum(own_version), sum(downloads)
        from model_versioning where author is not null group by snapshot, author""",
    "summary_author_forms": f"""
        select snapshot, author, organization, organization_kind, {FORM}, count(*)
        from model_versioning where author is not null group by snapshot, author, 5""",
}


@pytest.fixture(scope="module")
def computed(fixture_db, tmp_path_factory):
    path = summaries.compute_summaries(tmp_path_factory.mktemp("summaries") / "summaries.db", fixture_db)
    conn = sqlite3.connect(path)
    conn.execute("attach database ? as built", [f"file:{fixture_db}?mode=ro"])
    yield conn
    conn.close()


@pytest.mark.parametrize("table", sorted(DEFINITIONS))
def test_a_summary_of_the_cells_is_its_group_by_over_every_model(computed, table):
    got = computed.execute(f"select * from main.[{table}] order by rowid").fetchall()
    expected = computed.execute(
        DEFINITIONS[table].replace("from model_versioning", "from built.model_versioning")
    )
    assert got == expected.fetchall() and len(got) > 20
    # And the build stored them as computed.
    assert got == computed.execute(f"select * from built.[{table}] order by rowid").fetchall()


def test_an_organization_is_one_per_author(computed):
    # What the author cells rest on: an author's organization and its kind are its namespace's.
    mixed = computed.execute(
        """select count(*) from (select snapshot, author from built.model_versioning where author is not null
           group by 1, 2 having count(distinct coalesce(organization, '')) > 1
                             or count(distinct coalesce(organization_kind, '')) > 1)"""
    ).fetchone()[0]
    assert mixed == 0
