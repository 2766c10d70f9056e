"""The weight-changes loader (scripts/weight_changes.py) on the vendored snapshot and the fixture's cut
of it, and the build's refusal of damaged rows, each named by file and line."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from scripts import build
from scripts.load.weight_changes import read_weight_changes
from scripts.snapshot.read import (
    DEFAULT_SNAPSHOTS_DIR,
    SnapshotError,
    find_snapshots,
    read_manifest,
    sha256_of,
)

VENDORED = DEFAULT_SNAPSHOTS_DIR / "weight-changes-2024"
ROOT = Path(__file__).resolve().parent.parent


def snapshot_of(folder: Path):
    (found,) = [s for s in find_snapshots(folder.parent) if s.folder == folder]
    return found


def csv_rows(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_vendored_snapshot_matches_its_manifest():
    manifest = read_manifest(VENDORED)
    assert manifest["kind"] == "weight-changes"
    assert sha256_of(VENDORED / manifest["file"]) == manifest["sha256"]
    rows = read_weight_changes(snapshot_of(VENDORED))
    assert len(rows) == manifest["records"] == 30_784
    assert len({r.model_id for r in rows}) == manifest["models"] == 16_271
    assert all(r.commits >= 2 and r.rewrites == r.commits - 1 for r in rows)
    first = rows[0]
    assert (first.model_id, first.file, first.commits, first.line) == (
        "01-ai/Yi-34B",
        "model-00001-of-00007.safetensors",
        2,
        2,
    )


def test_page_counts_hold_on_the_vendored_files():
    """The counts the rewritten-in-place page states: 16,271 models, 15,644 in the 2024-07-11 census by
    exact id, 5 more only without case, 622 absent."""
    models = {r.model_id for r in read_weight_changes(snapshot_of(VENDORED))}
    with gzip.open(DEFAULT_SNAPSHOTS_DIR / "2024-07-11" / "models.jsonl.gz", "rt", encoding="utf-8") as f:
        ids = {json.loads(line)["id"] for line in f}
    folded = {i.lower() for i in ids}
    exact = models & ids
    caseless = {m for m in models - exact if m.lower() in folded}
    assert (len(models), len(exact), len(caseless), len(models - exact - caseless)) == (
        16_271,
        15_644,
        5,
        622,
    )
    page = (ROOT / "canned_queries" / "history_rewritten_in_place.yml").read_text(encoding="utf-8")
    for figure in ("16,271 models, 15,644 of them", "5 more match only without case, and 622 are not"):
        assert figure in " ".join(page.split())


def test_fixture_rows_are_loaded_and_linked_to_the_census(fixture_db, fixture_snapshots):
    folder = fixture_snapshots / "weight-changes-2024"
    manifest = read_manifest(folder)
    expected = csv_rows(folder / manifest["file"])
    conn = sqlite3.connect(fixture_db)
    loaded = conn.execute(
        "select owner, model_name, file, commits, line from weight_file_changes order by line"
    ).fetchall()
    assert [list(r[:3]) + [str(r[3])] for r in loaded] == expected
    assert [r[4] for r in loaded] == list(range(2, len(expected) + 2))
    assert manifest["records"] == len(expected) + 1  # write_snapshot counts the header line too
    (records,) = conn.execute(
        "select records from snapshots where snapshot = 'weight-changes-2024'"
    ).fetchone()
    assert records == len(expected)
    # Linked by exact id to the headline census, and only there.
    census_ids = {
        json.loads(line)["id"] for line in gzip.open(fixture_snapshots / "2024-07-11" / "models.jsonl.gz")
    }
    linked = dict(conn.execute("select model_id, model from weight_change_models"))
    assert {i for i, key in linked.items() if key is not None} == {i for i in linked if i in census_ids}
    assert 0 < sum(key is None for key in linked.values()) < len(linked)
    mismatched = conn.execute(
        """select count(*) from weight_change_models w join models m on m.key = w.model
           where m.id <> w.model_id or m.snapshot <> '2024-07-11'"""
    ).fetchone()
    assert mismatched == (0,)
    # Each model's rewrites: its most rewritten file's commits, less the first upload.
    most = {}
    for owner, name, _file, commits in expected:
        most[f"{owner}/{name}"] = max(most.get(f"{owner}/{name}", 0), int(commits))
    got = dict(conn.execute("select model_id, rewrites from weight_change_models"))
    assert got == {m: c - 1 for m, c in most.items()}


def damaged_copy(tmp_path: Path, edit) -> Path:
    """A copy of the vendored snapshot whose CSV lines went through `edit`, with its sha256 updated."""
    folder = tmp_path / "snapshots" / "weight-changes-2024"
    shutil.copytree(VENDORED, folder)
    path = folder / "weight_file_changes.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")
    manifest = read_manifest(folder)
    manifest["sha256"] = sha256_of(path)
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def replace_line(number: int, text: str):
    def edit(lines):
        return lines[: number - 1] + [text] + lines[number:]

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            replace_line(7, "01-ai,Yi-34B,model.safetensors,two\n"),
            r":7: changed_frequency 'two' is not a whole",
        ),
        (
            replace_line(9, "01-ai,Yi-34B,model.safetensors,1\n"),
            r":9: changed_frequency '1': .* at least twice",
        ),
        (replace_line(11, "01-ai/x,Yi-34B,model.safetensors,3\n"), r":11: owner '01-ai/x' is not one part"),
        (replace_line(12, "01-ai,,model.safetensors,3\n"), r":12: model_name '' is not one part"),
        (replace_line(13, "01-ai,Yi-34B,model.safetensors\n"), r":13: 3 fields, expected 4"),
        (replace_line(1, "owner,model,file,frequency\n"), r":1: header"),
        (
            lambda lines: lines + [lines[3]],
            r":30786: 01-ai/Yi-34B model-00003-of-00007.safetensors is also on line 4",
        ),
        (lambda lines: lines[:-1], r": 30783 records, .*MANIFEST.json says 30784"),
    ],
)
def test_bad_rows_are_refused_with_file_and_line(tmp_path, edit, message):
    folder = damaged_copy(tmp_path, edit)
    with pytest.raises(SnapshotError, match="weight-changes-2024/weight_file_changes.csv" + message):
        read_weight_changes(snapshot_of(folder))


def test_build_refuses_a_changed_file_and_keeps_no_database(snapshots_copy, tmp_path):
    path = snapshots_copy / "weight-changes-2024" / "weight_file_changes.csv.gz"
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines(keepends=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(lines[:-1])  # one row fewer, the manifest unchanged
    out = tmp_path / "out" / "hub.db"
    with pytest.raises(SnapshotError, match=r"weight_file_changes.csv.gz: sha256 mismatch"):
        build.build(out, snapshots_copy, workers=1)
    assert not out.exists()
