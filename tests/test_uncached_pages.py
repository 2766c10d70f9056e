"""The pages the cache cannot answer, made cheap (scripts/publish/search_index.py,
plugins/hub_facet_counts.py): the same answers as before, read from indexes and counts."""

from __future__ import annotations

import shutil
import sqlite3

import httpx
import pytest

from scripts import fts_index
from scripts.publish import search_index
from scripts.publish.metadata import CANNED_QUERIES_DIR
from tests.conftest import SiteClient, make_datasette

# Terms a visitor types into the model lookup, punctuation included (LIKE's `_` is a wildcard).
LOOKUP_TERMS = ["v0.2", "-7b-", "_v2", "Llama-3", "bert-base", "GGUF", "v1-", "ab"]


def like_ids(db, term: str) -> set[str]:
    """What the model lookup's LIKE alone finds, every row of it."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select model_id from model_versioning where model_id like ?", [f"%{term}%"]
            )
        }


@pytest.mark.parametrize("term", LOOKUP_TERMS)
def test_model_lookup_finds_what_like_finds(site, fixture_db, term):
    expected = like_ids(fixture_db, term)
    r = site.get(f"/hub/browse_model_lookup.json?q={term}&_shape=array")
    assert r.status_code == 200, r.text
    found = [row["model_id"] for row in r.json()]
    assert len(found) == min(len(expected), 200)
    assert set(found) <= expected
    if len(expected) <= 200:
        assert set(found) == expected


def test_model_lookup_terms_find_rows(fixture_db):
    """The terms above are not all empty in the fixture: the comparison compares something."""
    assert sum(bool(like_ids(fixture_db, t)) for t in LOOKUP_TERMS) >= 6


def test_model_lookup_reads_the_trigram_index(fixture_db):
    with sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True) as conn:
        query = (CANNED_QUERIES_DIR / "browse_model_lookup.sql").read_text(encoding="utf-8")
        plan = " | ".join(r[3] for r in conn.execute("explain query plan " + query, {"q": "mistral"}))
    assert "VIRTUAL TABLE INDEX" in plan and search_index.TRIGRAM_TABLE in plan, plan
    assert "SCAN v " not in plan + " ", plan


@pytest.mark.parametrize("term", ["bert", "v2", "gpt2", "llama"])
def test_model_versioning_search_finds_what_models_search_finds(site, term):
    def ids(table: str, column: str) -> set[str]:
        r = site.get(f"/hub/{table}.json?_search={term}&_shape=array&_size=max&_nofacet=1")
        assert r.status_code == 200, r.text
        return {row[column] for row in r.json()}

    versioning, models = ids("model_versioning", "model_id"), ids("models", "id")
    assert versioning, f"no model matches {term!r} in the fixture"
    assert versioning == models


@pytest.fixture(scope="module")
def counted_build(fixture_build, tmp_path_factory):
    """A copy of the fixture build whose every configured facet is counted (the fixture's tables
    are under search_index.MIN_ROWS rows, so the build counted none)."""
    dest = tmp_path_factory.mktemp("counted") / "build"
    shutil.copytree(fixture_build, dest, symlinks=True)
    metadata = search_index.read_yaml(search_index.METADATA_YML)
    with sqlite3.connect(dest / "hub.db") as conn:
        assert search_index.write_facet_counts(conn, search_index.configured_facets(metadata), min_rows=0) > 0
    return dest


def facets(client: SiteClient, path: str) -> dict:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return {
        name: ([(v["value"], v["count"]) for v in f["results"]], f["truncated"])
        for name, f in r.json()["facet_results"].items()
    }


@pytest.mark.parametrize(
    "table,everything",
    [
        ("models", "key__gte=0"),
        ("model_versioning", "model__gte=0"),
        ("version_markers", "marker_index__gte=0"),
    ],
)
def test_counted_facets_equal_datasette_counting(counted_build, table, everything):
    """The unfiltered page's facets (from facet_counts) against Datasette's own counting of the same
    rows (a filter that every row passes, so the plugin leaves it to Datasette)."""
    client = SiteClient(make_datasette(counted_build))
    try:
        counted = facets(client, f"/hub/{table}.json?_facet_size=max")
        live = facets(client, f"/hub/{table}.json?{everything}&_facet_size=max")
        assert counted and counted == live
        assert facets(client, f"/hub/{table}.json") == facets(client, f"/hub/{table}.json?{everything}")
    finally:
        client.loop.close()


def test_unfiltered_facets_are_read_from_the_counts(counted_build, tmp_path):
    """A count changed in facet_counts shows on the unfiltered page (and only there): the page
    reads the counts of the database it serves, so a new build's page shows the new build's."""
    dest = tmp_path / "build"
    shutil.copytree(counted_build, dest, symlinks=True)
    with sqlite3.connect(dest / "hub.db") as conn:
        conn.execute(
            "update facet_counts set count = 999999 where table_name = 'models' and column_name = 'pipeline_tag'"
            " and value = (select value from facet_counts where table_name = 'models'"
            " and column_name = 'pipeline_tag' order by count desc limit 1)"
        )
    client = SiteClient(make_datasette(dest))
    try:
        unfiltered = facets(client, "/hub/models.json")["pipeline_tag"][0]
        filtered = facets(client, "/hub/models.json?key__gte=0")["pipeline_tag"][0]
    finally:
        client.loop.close()
    assert unfiltered[0][1] == 999999
    assert filtered[0][1] != 999999


def test_facet_counts_sum_to_the_rows(counted_build):
    with sqlite3.connect(f"file:{counted_build / 'hub.db'}?mode=ro", uri=True) as conn:
        pairs = conn.execute("select distinct table_name, column_name from facet_counts").fetchall()
        assert ("models", "pipeline_tag") in pairs
        for table, column in pairs:
            (total,) = conn.execute(
                "select sum(count) from facet_counts where table_name = ? and column_name = ?",
                [table, column],
            ).fetchone()
            (rows,) = conn.execute(f"select count([{column}]) from [{table}]").fetchone()
            assert total == rows, (table, column)


def plan(conn: sqlite3.Connection, sql: str, params=()) -> str:
    return " | ".join(r[3] for r in conn.execute("explain query plan " + sql, params))


def test_filtered_pages_use_covering_indexes(fixture_db):
    """The SQL Datasette runs for a table filtered by census and task: its count, its configured
    facets and a sort by another column read an index, not the table."""
    with sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True) as conn:
        (snapshot,) = conn.execute("select snapshot from snapshots where headline").fetchone()
        where = "where snapshot = :s and pipeline_tag = :t"
        p = {"s": snapshot, "t": "text-generation"}
        models_facet = (
            f"select library_name as value, count(*) as count from (select * from models {where})"
            " where library_name is not null group by library_name order by count desc, value limit 31"
        )
        checks = {
            f"select count(*) from models {where}": "COVERING INDEX idx_models_snapshot_pipeline_tag",
            models_facet: "COVERING INDEX idx_models_snapshot_pipeline_tag_downloads_library_name",
            f"select * from models {where} order by likes desc limit 101": "INDEX idx_models_snapshot_pipeline_tag_likes",
            f"select * from model_versioning {where} order by downloads desc limit 101": (
                "INDEX idx_model_versioning_snapshot_pipeline_tag_downloads_primary_form_organization"
            ),
        }
        for column in ("primary_form", "organization"):
            sql = (
                f"select {column} as value, count(*) as count from (select * from model_versioning {where})"
                f" where {column} is not null group by {column} order by count desc, value limit 31"
            )
            checks[sql] = (
                "COVERING INDEX idx_model_versioning_snapshot_pipeline_tag_downloads_primary_form_organization"
            )
        for sql, index in checks.items():
            shown = plan(conn, sql, p)
            assert index in shown, f"{sql}\n{shown}"
            assert "TEMP B-TREE FOR ORDER BY" not in shown or "group by" in sql, shown


def test_uncached_load_is_never_answered_by_the_cache(fixture_build, fixture_db):
    """The bench's uncached figures on a served site: every page answers, none from the cache, and
    each page's URLs are distinct where the page takes a term."""
    from scripts.dev.site_load import served
    from scripts.dev.uncached_load import uncached_load, uncached_pages

    pages = uncached_pages(fixture_db)
    assert all(len(set(paths)) == len(paths) for paths in pages.values())
    assert len(pages["search_models"]) > 100 and len(pages["filtered_models"]) > 5
    chosen = {name: pages[name] for name in ("table_models", "search_models", "model_lookup")}
    with served(fixture_build) as server:
        # the same page twice with one Host is a hit: the count of hits can count something
        for _ in range(2):
            state = httpx.get(server.base + "/hub/models", timeout=60).headers.get("x-hub-cache")
        assert state == "hit"
        result = uncached_load(server.base, chosen, seconds=2, connections=4)
    for name, summary in result.items():
        assert summary["rps"] > 0 and summary["errors"] == 0 and summary["hits"] == 0, (name, summary)


def test_the_trigram_index_made_apart_is_the_one_made_in_place(fixture_db, tmp_path):
    """The build makes the index in a file of its own beside the derive stage (build_trigrams)
    and copies it in; its tables hold the same rows as the index made in the database itself."""
    db = tmp_path / "hub.db"
    shutil.copyfile(fixture_db, db)
    shadows = [f"{search_index.TRIGRAM_TABLE}_{s}" for s in fts_index.SHADOW_TABLES]

    def index_rows(built):
        with sqlite3.connect(db) as conn:
            search_index.write_trigrams(conn, built)
            conn.commit()
            return {t: conn.execute(f"select * from [{t}] order by 1").fetchall() for t in shadows}

    in_place = index_rows(None)
    apart = index_rows(search_index.build_trigrams(tmp_path / "trigrams.db", fixture_db))
    assert in_place == apart and len(in_place[shadows[2]]) > 1000  # docsize: one row per id
    with sqlite3.connect(db) as conn:
        found = {
            r[0]
            for r in conn.execute(
                f"select model_id from [{search_index.TRIGRAM_TABLE}] where model_id like '%bert-base%'"
            )
        }
    assert found == like_ids(fixture_db, "bert-base") and found
