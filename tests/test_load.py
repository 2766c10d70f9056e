"""The loader and the build on real snapshot records."""

import gzip
import json
import sqlite3

import pytest

from scripts import build
from scripts.load.census import PLACEHOLDER_CREATED_AT
from scripts.snapshot.read import (
    SnapshotError,
    find_snapshots,
    iter_records,
    listed_files,
    read_manifest,
    sha256_of,
)


def source_records(snapshots_dir, name):
    manifest = read_manifest(snapshots_dir / name)
    return [r for _, r in iter_records(snapshots_dir / name / manifest["file"])]


def test_every_record_is_loaded_once(fixture_db, fixture_snapshots):
    conn = sqlite3.connect(fixture_db)
    for name in ("2024-07-11", "2022-02-21"):
        records = source_records(fixture_snapshots, name)
        ids = [r[0] for r in conn.execute("select id from models where snapshot = ? order by key", [name])]
        assert ids == [r["id"] for r in records]
        (n,) = conn.execute("select records from snapshots where snapshot = ?", [name]).fetchone()
        assert n == len(records)


def test_fields_are_carried_over(fixture_db, fixture_snapshots):
    conn = sqlite3.connect(fixture_db)
    conn.row_factory = sqlite3.Row
    record = source_records(fixture_snapshots, "2022-02-21")[0]
    row = conn.execute(
        "select * from models where snapshot = '2022-02-21' and id = ?", [record["id"]]
    ).fetchone()
    assert row["sha"] == record["sha"] and row["last_modified"] == record["lastModified"]
    assert row["downloads"] == record["downloads"] and row["likes"] == record["likes"]
    assert [row["author"], row["name"]] == record["id"].split("/", 1)
    assert json.loads(row["tags"]) == record["tags"]


def test_placeholder_creation_dates_become_null(fixture_db, fixture_snapshots):
    records = source_records(fixture_snapshots, "2024-07-11")
    placeholders = {r["id"] for r in records if r.get("createdAt") in PLACEHOLDER_CREATED_AT}
    assert placeholders, "the fixture holds models with placeholder dates"
    conn = sqlite3.connect(fixture_db)
    flagged = {
        r[0]
        for r in conn.execute(
            "select id from models where snapshot = '2024-07-11' and created_at_placeholder = 1"
        )
    }
    assert flagged == placeholders
    assert (
        conn.execute(
            "select count(*) from models where created_at_placeholder = 1 and created_at is not null"
        ).fetchone()[0]
        == 0
    )
    assert (
        conn.execute("select count(*) from models where created_at like '2022-03-02T23:29:0%'").fetchone()[0]
        == 0
    )


def test_base_model_and_dataset_relations(fixture_db, fixture_snapshots):
    records = source_records(fixture_snapshots, "2024-07-11")
    expected_bases = {
        (r["id"], t[len("base_model:") :])
        for r in records
        for t in r.get("tags", [])
        if t.startswith("base_model:")
    }
    expected_datasets = {
        (r["id"], t[len("dataset:") :])
        for r in records
        for t in r.get("tags", [])
        if t.startswith("dataset:")
    }
    conn = sqlite3.connect(fixture_db)
    bases = set(
        conn.execute("select model_id, base_model from model_base_models where snapshot = '2024-07-11'")
    )
    datasets = set(conn.execute("select model_id, dataset from model_datasets where snapshot = '2024-07-11'"))
    assert bases == expected_bases and len(bases) > 10
    assert datasets == expected_datasets and len(datasets) > 10
    # A base model that is itself in the census is resolved to its row.
    resolved = conn.execute(
        """select b.base_model, m.id from model_base_models b join models m on m.key = b.base_model_key
           where b.snapshot = '2024-07-11'"""
    ).fetchall()
    assert resolved and all(base == mid for base, mid in resolved)


def test_tags_are_queryable_with_their_kinds(fixture_db):
    conn = sqlite3.connect(fixture_db)
    kinds = dict(conn.execute("select kind, count(*) from tags group by kind"))
    assert {"plain", "license", "dataset", "base_model", "arxiv", "region"} <= set(kinds)
    (mit_models,) = conn.execute(
        """select count(*) from model_tags mt join tags t on t.tag_key = mt.tag
           where t.kind = 'license' and t.value = 'mit'"""
    ).fetchone()
    (by_json,) = conn.execute(
        "select count(*) from models where exists (select 1 from json_each(models.tags) where value = 'license:mit')"
    ).fetchone()
    assert mit_models == by_json > 0


def test_organizations_match_without_case(fixture_db):
    conn = sqlite3.connect(fixture_db)
    rows = conn.execute(
        "select author, organization from model_versioning where author = 'meta-llama' limit 1"
    ).fetchall()
    assert rows == [("meta-llama", "Meta")]


def test_sha256_mismatch_is_a_clear_error(snapshots_copy):
    path = snapshots_copy / "2022-02-21" / "models.jsonl.gz"
    data = path.read_bytes()
    path.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(SnapshotError, match=r"2022-02-21/models.jsonl.gz: sha256 mismatch"):
        build.build(snapshots_copy.parent / "out" / "hub.db", snapshots_copy)


def test_corrupt_line_is_reported_with_file_and_line(snapshots_copy, tmp_path):
    folder = snapshots_copy / "2022-02-21"
    lines = gzip.open(folder / "models.jsonl.gz", "rt").read().splitlines(keepends=True)
    lines[41] = lines[41][:30] + "\n"  # a truncated record on line 42
    with gzip.open(folder / "models.jsonl.gz", "wt") as f:
        f.writelines(lines)
    manifest = read_manifest(folder)
    manifest["sha256"] = sha256_of(folder / "models.jsonl.gz")
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match=r"2022-02-21/models.jsonl.gz:42: not valid JSON"):
        build.build(tmp_path / "out" / "hub.db", snapshots_copy)


def test_failed_build_leaves_previous_database_untouched(snapshots_copy, tmp_path, fixture_build):
    out = tmp_path / "build" / "hub.db"
    build.build(out, snapshots_copy, workers=1)
    before = sha256_of(out)
    inspect_before = (out.parent / "inspect.json").read_text()
    listing_before = sorted(p.name for p in out.parent.iterdir())
    # A record with an id that is already in the snapshot: the load fails midway.
    folder = snapshots_copy / "2024-07-11"
    lines = gzip.open(folder / "models.jsonl.gz", "rt").read().splitlines(keepends=True)
    with gzip.open(folder / "models.jsonl.gz", "wt") as f:
        f.writelines(lines + [lines[5]])
    manifest = read_manifest(folder)
    manifest.update(sha256=sha256_of(folder / "models.jsonl.gz"), records=len(lines) + 1)
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(
        SnapshotError,
        match=rf"models.jsonl.gz: model id '{json.loads(lines[5])['id']}' appears more than once \(lines 6, {len(lines) + 1}\)",
    ):
        build.build(out, snapshots_copy, workers=1)
    assert sha256_of(out) == before
    assert (out.parent / "inspect.json").read_text() == inspect_before
    # nothing added or left behind (no temporary files), nothing of the good build removed
    assert sorted(p.name for p in out.parent.iterdir()) == listing_before
    assert {"hub.db", "inspect.json", "metadata.json"} <= set(listing_before)


def test_build_command_reports_errors_and_exits_nonzero(snapshots_copy, tmp_path, capsys):
    (snapshots_copy / "2022-02-21" / "MANIFEST.json").write_text("{not json")
    code = build.main(["--out", str(tmp_path / "hub.db"), "--snapshots", str(snapshots_copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert "2022-02-21/MANIFEST.json: not valid JSON" in err and "left as it was" in err


def test_vendored_snapshots_match_their_manifests():
    """The real censuses, at full size: checksums and record counts as the manifests say."""
    snapshots = {s.name: s for s in find_snapshots()}
    assert {"2024-07-11", "2022-02-21"} <= set(snapshots)
    for s in snapshots.values():
        if "files" in s.manifest:  # a snapshot of several files: each against its own sha256
            for entry in listed_files(s):
                assert sha256_of(s.folder / entry["file"]) == entry["sha256"], (s.name, entry["file"])
            continue
        assert sha256_of(s.data_file) == s.manifest["sha256"]
