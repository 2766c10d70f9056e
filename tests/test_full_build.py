"""The real build on the full vendored censuses (about a minute), smoke-tested with `datasette --get`
as `make serve` would serve it."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import build
from scripts.publish import metadata as publish
from scripts.publish import site as site_config
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR

ROOT = Path(__file__).resolve().parent.parent


VENDORED = ("2024-07-11", "2022-02-21")


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    # Only the vendored censuses, even where a user has fetched or ingested more snapshots.
    snapshots = tmp_path_factory.mktemp("vendored")
    for name in VENDORED:
        (snapshots / name).symlink_to(DEFAULT_SNAPSHOTS_DIR / name)
    out = tmp_path_factory.mktemp("full") / "hub.db"
    summary = build.build(out, snapshots)
    return out.parent, summary


def test_every_census_record_is_in_the_database(full_build):
    build_dir, summary = full_build
    assert summary["models"] == {"2024-07-11": 760_000, "2022-02-21": 29_364}
    conn = sqlite3.connect(build_dir / "hub.db")
    counts = dict(conn.execute("select snapshot, count(*) from models group by snapshot"))
    assert counts == {"2024-07-11": 760_000, "2022-02-21": 29_364}
    assert dict(conn.execute("select snapshot, count(*) from model_versioning group by snapshot")) == counts
    assert conn.execute("select snapshot from snapshots where headline").fetchall() == [("2024-07-11",)]


def test_placeholder_dates_match_the_manifest(full_build):
    build_dir, _ = full_build
    conn = sqlite3.connect(build_dir / "hub.db")
    caveats = json.loads(
        conn.execute("select caveats from snapshots where snapshot = '2024-07-11'").fetchone()[0]
    )
    assert any("7,828 records" in c and "22,162 records" in c for c in caveats)
    (flagged,) = conn.execute("select count(*) from models where created_at_placeholder = 1").fetchone()
    assert flagged == 7_828 + 22_162


@pytest.mark.parametrize(
    "path",
    [f"/hub/{name}.json" for name in publish.canned_queries()]
    + ["/about", "/hub", "/hub/models?_search=llama", "/hub/model_versioning?_facet=primary_form"],
)
def test_served_pages_answer(full_build, path):
    """A listed query answers; one whose data this build lacks says what it needs instead."""
    build_dir, _ = full_build
    datasette = Path(sys.executable).with_name("datasette")
    args = site_config.database_args(build_dir) + site_config.site_args(build_dir)
    listed = json.loads((build_dir / "metadata.json").read_text())["databases"]["hub"]["queries"]
    name = path.removeprefix("/hub/").removesuffix(".json")
    if path.endswith(".json") and name not in listed:
        path = path.removesuffix(".json")
    result = subprocess.run([str(datasette), *args, "--get", path], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
    if name in publish.canned_queries() and name not in listed:
        assert "make fetch-refs" in result.stdout or "make ingest-mlflow" in result.stdout
