"""Git refs of the most-downloaded models: collected with the real client from the fake Hub (with
faults, killed and resumed), loaded into model_refs, classified, queried, and shown by the site."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3

import pytest
import sqlite_utils

from scripts import schema
from scripts.acquire import refs as fetch_refs
from scripts.classify import classify_name
from scripts.dev import fakehub
from scripts.load import refs
from scripts.snapshot.read import Snapshot, SnapshotError, read_manifest, verify
from tests.fakehub_fixture import (
    ROOT,
    SECRET,
    cut_census,
    files_hold,
    read_jsonl_gz,
    recorded_ids,
    run_module,
    running_hub_for,
    start_module,
    wait_for_state,
)

QUERY = ROOT / "canned_queries" / "refs_versions_outside_names.sql"
RECORDED = {
    json.loads(line)["id"]: json.loads(line) for line in fakehub.DEFAULT_REFS.read_text().splitlines()
}


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    """The 40 most downloaded models of the vendored census and the models of the recorded refs file."""
    folder = tmp_path_factory.mktemp("refs") / "2024-07-11"
    records = cut_census(folder, 40, also=recorded_ids())
    assert recorded_ids() <= {r["id"] for r in records}
    return folder, records


def by_downloads(records):
    return sorted(records, key=lambda r: (-r["downloads"], r["id"]))


def hub_data(records, missing=()):
    """The fake Hub's view: the census minus `missing` (deleted since), refs from the recorded file."""
    return fakehub.HubData(
        [dict(r) for r in records if r["id"] not in missing], fakehub.load_refs_file(fakehub.DEFAULT_REFS)
    )


def copy_census(census, dest):
    shutil.copytree(census[0], dest)
    return dest


@pytest.fixture(scope="module")
def collected(census, tmp_path_factory):
    """Refs of every model of the cut, collected through every kind of fault; one model is gone."""
    folder = copy_census(census, tmp_path_factory.mktemp("collected") / "2024-07-11")
    records = census[1]
    gone = by_downloads(records)[3]["id"]
    faults = fakehub.Faults(
        rate_429=0.03, rate_500=0.03, rate_drop=0.03, rate_truncate=0.03, retry_after=0, seed=11
    )
    with running_hub_for(hub_data(records, missing={gone}), faults) as hub:
        opts = fetch_refs.RefsOptions(endpoint=hub.url, backoff=0.01, max_backoff=0.05)
        manifest = fetch_refs.collect(folder, len(records), opts, token=False)
        stats = hub.stats
    return folder, manifest, stats, gone


def test_refs_are_collected_through_faults(census, collected):
    _, records = census
    folder, manifest, stats, gone = collected
    assert all(n > 0 for n in stats.faults.values()), stats.faults
    rows = read_jsonl_gz(folder / "refs" / "refs.jsonl.gz")
    verify(Snapshot(folder.name, folder / "refs", read_manifest(folder / "refs")))
    assert manifest["kind"] == "refs" and manifest["records"] == len(records) == len(rows)
    # One line per model, most downloaded first, each once.
    assert [r["id"] for r in rows] == [r["id"] for r in by_downloads(records)]
    assert [r["rank"] for r in rows] == list(range(1, len(records) + 1))
    statuses = {r["id"]: r["status"] for r in rows}
    assert statuses.pop(gone) == "not_found" and set(statuses.values()) == {"ok"}
    for row in rows:
        if row["id"] in RECORDED:
            assert [b["name"] for b in row["branches"]] == [
                b["name"] for b in RECORDED[row["id"]]["branches"]
            ]
        elif row["status"] == "ok":
            assert [b["name"] for b in row["branches"]] == ["main"]
        if row["status"] == "ok":
            assert row["tags"] == [] and row["commit_count"] == 1
            assert all(
                b["ref"] == f"refs/heads/{b['name']}" and len(b["targetCommit"]) == 40
                for b in row["branches"]
            )
    assert manifest["crawl"]["statuses"] == {"ok": len(records) - 1, "not_found": 1}
    assert any("1 not_found" in c for c in manifest["caveats"])
    assert not (folder / "refs.partial").exists()
    # The census itself is untouched.
    verify(Snapshot(folder.name, folder, read_manifest(folder)))


def test_refs_collection_killed_and_resumed_gives_the_same_file(census, tmp_path):
    whole = copy_census(census, tmp_path / "whole" / "2024-07-11")
    resumed = copy_census(census, tmp_path / "resumed" / "2024-07-11")
    top = str(len(census[1]))
    # Malformed bodies only: they are retried by fetch_refs' own policy (10 ms here), whereas
    # list_repo_commits waits its library's fixed 1 s before retrying a 500 or a dropped connection.
    with running_hub_for(
        hub_data(census[1]), fakehub.Faults(rate_truncate=0.05, seed=2), latency=0.01
    ) as hub:
        args = ["--top", top, "--endpoint", hub.url, "--backoff", "0.01", "--max-backoff", "0.05"]
        done = run_module("scripts.acquire.refs", "--snapshot", str(whole), *args)
        assert done.returncode == 0, done.stderr
        proc = start_module("scripts.acquire.refs", "--snapshot", str(resumed), *args)
        wait_for_state(resumed / "refs.partial" / "state.json", "done", 15, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert not (resumed / "refs").exists()
        again = run_module("scripts.acquire.refs", "--snapshot", str(resumed), *args)
        assert again.returncode == 0, again.stderr
        # Collected refs are never overwritten.
        twice = run_module("scripts.acquire.refs", "--snapshot", str(resumed), *args)
        assert twice.returncode == 1 and "never overwritten" in twice.stderr
    assert (resumed / "refs" / "refs.jsonl.gz").read_bytes() == (
        whole / "refs" / "refs.jsonl.gz"
    ).read_bytes()
    assert read_manifest(resumed / "refs")["crawl"]["resumes"] == 1


def minimal_db(path, census_folder, records) -> sqlite_utils.Database:
    """The tables load_refs and the canned query read, filled the way the build fills them."""
    db = sqlite_utils.Database(path)
    schema.create_all(db)
    db["models"].insert_all(
        ({"key": i + 1, "snapshot": census_folder.name, "id": r["id"]} for i, r in enumerate(records)),
        pk="key",
    )
    with open(ROOT / "data" / "organizations.csv", newline="", encoding="utf-8") as f:
        orgs = {row["namespace"].lower(): row["organization"] for row in csv.DictReader(f)}
    db["model_versioning"].insert_all(
        (
            {
                "model": i + 1,
                "organization": orgs.get(r["id"].partition("/")[0].lower()),
                "own_version": int(classify_name(r["id"]).own_version),
            }
            for i, r in enumerate(records)
        ),
        pk="model",
    )
    return db


def test_load_refs_classifies_ref_names(census, collected, tmp_path):
    folder, manifest, _, gone = collected
    records = census[1]
    db = minimal_db(tmp_path / "hub.db", folder, records)
    snapshot = Snapshot(folder.name, folder, read_manifest(folder))
    n = refs.load_refs(db, snapshot)
    lines = read_jsonl_gz(folder / "refs" / "refs.jsonl.gz")
    assert (
        n == sum(len(r.get("branches", [])) + len(r.get("tags", [])) for r in lines) == db["model_refs"].count
    )
    assert db["model_commit_counts"].count == len(records)
    rows = {(r["model_id"], r["name"]): r for r in db["model_refs"].rows}
    assert rows[("nomic-ai/gpt4all-j", "v1.2-jazzy")]["own_version"] == 1
    assert rows[("nomic-ai/gpt4all-j", "v1.2-jazzy")]["marker_form"] == "v_minor"
    assert rows[("EleutherAI/pythia-70m", "step143000")]["marker_form"] == "checkpoint"
    assert rows[("runwayml/stable-diffusion-v1-5", "fp16")]["own_version"] == 0
    assert rows[("EleutherAI/gpt-j-6b", "main")]["is_main"] == 1
    keys = dict(db.execute("select id, key from models").fetchall())
    assert all(r["model"] == keys[r["model_id"]] for r in db["model_refs"].rows)
    gone_row = db.execute(
        "select status, commit_count from model_commit_counts where model_id = ?", [gone]
    ).fetchone()
    assert gone_row == ("not_found", None)


def test_load_refs_without_refs_creates_empty_tables(census, tmp_path):
    folder, records = census
    db = minimal_db(tmp_path / "hub.db", folder, records)
    assert refs.load_refs(db, Snapshot(folder.name, folder, read_manifest(folder))) == 0
    assert db["model_refs"].count == 0 and db["model_commit_counts"].count == 0


def test_load_refs_reports_bad_files_with_file_and_line(census, collected, tmp_path):
    folder = copy_census(census, tmp_path / "2024-07-11")
    shutil.copytree(collected[0] / "refs", folder / "refs")
    db = minimal_db(tmp_path / "hub.db", folder, census[1][1:])  # the top model is not in this database
    with pytest.raises(SnapshotError, match=r"refs\.jsonl\.gz:1: .* is not a model of snapshot 2024-07-11"):
        refs.load_refs(db, Snapshot(folder.name, folder, read_manifest(folder)))
    (folder / "refs" / "refs.jsonl.gz").write_bytes(b"damaged")
    with pytest.raises(SnapshotError, match="sha256 mismatch"):
        refs.load_refs(db, Snapshot(folder.name, folder, read_manifest(folder)))


def test_the_canned_query_compares_versions_in_refs_and_in_names(census, collected, tmp_path):
    folder, _, _, gone = collected
    db = minimal_db(tmp_path / "hub.db", folder, census[1])
    refs.load_refs(db, Snapshot(folder.name, folder, read_manifest(folder)))
    db.conn.commit()  # load_refs leaves the transaction to its caller, the build
    conn = sqlite3.connect(tmp_path / "hub.db")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(QUERY.read_text(), {"snapshot": ""})]
    overall, per_org = rows[0], {r["organization"]: r for r in rows[1:]}
    assert overall["organization"].startswith("(all") and overall["snapshot"] == folder.name
    assert overall["models"] == len(census[1]) - 1 == sum(r["models"] for r in per_org.values())
    # The five Pythia models keep checkpoints in step branches and gpt4all-j its releases in v1.x
    # branches; the Stable Diffusion, GPT-J and GPTQ repositories have extra branches without versions.
    assert overall["version_in_ref_names"] == 6
    assert overall["with_extra_branches"] == len(RECORDED) and overall["with_tags"] == 0
    in_name = sum(int(classify_name(r["id"]).own_version) for r in census[1] if r["id"] != gone)
    assert overall["version_in_name"] == in_name
    assert overall["refs_not_name"] + overall["both_places"] == overall["version_in_ref_names"]
    eleuther = per_org["EleutherAI"]
    assert eleuther["version_in_ref_names"] == 5 and eleuther["models"] == 6  # five Pythia models and GPT-J
    assert round(overall["share_version_in_refs"], 3) == round(6 / overall["models"], 3)
    # A snapshot without refs gives no rows, not an error.
    assert list(conn.execute(QUERY.read_text(), {"snapshot": "1999-01-01"})) == []


def test_the_built_site_shows_the_refs_query(census, collected, tmp_path):
    from scripts import build
    from tests.conftest import SiteClient, make_datasette

    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    shutil.copytree(collected[0], snapshots / "2024-07-11")
    out = tmp_path / "build" / "hub.db"
    build.build(out, snapshots, workers=1)
    site = SiteClient(make_datasette(out.parent))
    try:
        page = site.get("/hub/refs_versions_outside_names")
        assert page.status_code == 200 and "Versions outside the name" in page.text
        data = site.get("/hub/refs_versions_outside_names.json?_shape=array").json()
    finally:
        site.loop.close()
    assert data[0]["organization"].startswith("(all") and data[0]["models"] == len(census[1]) - 1
    assert data[0]["version_in_ref_names"] == 6


def test_endpoint_credentials_are_sent_but_never_logged_or_written(census, tmp_path):
    folder = copy_census(census, tmp_path / "snapshots" / "2024-07-11")
    with running_hub_for(hub_data(census[1]), fakehub.Faults(rate_truncate=1.0, max_streak=0)) as hub:
        endpoint = hub.url.replace("http://", f"http://alice:{SECRET}@")
        args = ["--snapshot", str(folder), "--top", "10", "--endpoint", endpoint, "--backoff", "0.01"]
        failed = run_module("scripts.acquire.refs", *args, "--max-retries", "1")
        assert failed.returncode == 1 and "run the same command again to resume" in failed.stderr
        assert (folder / "refs.partial" / "state.json").is_file()
        assert files_hold(folder / "refs.partial", SECRET) == []
        hub.faults.rate_truncate = 0.0
        ok = run_module("scripts.acquire.refs", *args)
        assert ok.returncode == 0, ok.stderr
        assert hub.stats.basic_auth == hub.stats.requests >= 20  # refs and commits of ten models
    manifest = read_manifest(folder / "refs")
    assert (
        manifest["endpoint"] == hub.url and hub.url in manifest["source"] and hub.url in manifest["collected"]
    )
    assert manifest["crawl"]["resumes"] == 1
    assert files_hold(tmp_path, SECRET) == []
    assert SECRET not in failed.stdout + failed.stderr + ok.stdout + ok.stderr
