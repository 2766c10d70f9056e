"""The loaders of the four snapshots of the Hub after 2024 on the vendored files: counts per file,
sha256 per file, and bad rows refused with file and line; and the listed ids classified as the
census's records are."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from scripts.classify import classify_record
from scripts.derive.listed_versioning import classify_ids
from scripts.load.frontier import read_frontier
from scripts.load.population import read_population
from scripts.load.weekly_changes import file_rows
from scripts.load.weight_commits import read_weight_commits
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, SnapshotError, find_snapshots, listed_files, verify

VENDORED = DEFAULT_SNAPSHOTS_DIR


def snapshot(folder: Path):
    (found,) = [s for s in find_snapshots(folder.parent) if s.folder == folder]
    return found


def data_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_population_counts_and_the_id_listed_twice():
    s = snapshot(VENDORED / "nlp-models-2024")
    rows = read_population(s)
    raw = data_rows(s.data_file)
    assert len(raw) == s.manifest["records"] == 52_227
    assert len(rows) == s.manifest["models"] == len({r[1] for r in raw}) == 52_226
    (twice,) = [r for r in rows if r.listed == 2]
    assert twice.model_id == "Locutusque/Hyperion-1.5-Mistral-7B"
    variants = {
        v: sum(r[3] == v for r in raw) for v in ("finetuned", "quantized", "compressed", "deduplicated")
    }
    assert variants == {"finetuned": 48_552, "quantized": 3_502, "compressed": 93, "deduplicated": 80}


def test_weekly_counts_per_file():
    s = snapshot(VENDORED / "weekly-changes-2025")
    verify(s)
    added, deleted, total = set(), set(), 0
    for entry in listed_files(s):
        rows = file_rows(s, entry)
        assert len(rows) == entry["rows"] == len(data_rows(s.folder / entry["file"])), entry["file"]
        assert {r.week_ending for r in rows} == {entry["week_ending"]}
        (added if entry["change"] == "added" else deleted).update(r.model_id for r in rows)
        total += len(rows)
    assert total == s.manifest["records"] == 535_469
    assert (len(added), len(deleted)) == (435_785, 98_755)


def test_frontier_and_commit_counts():
    s = snapshot(VENDORED / "frontier-models-2026-08")
    rows = read_frontier(s)
    assert (sum(r.list == "primary" for r in rows), sum(r.list == "secondary" for r in rows)) == (1_772, 186)
    openai = {r.model_id: r for r in rows if r.org == "openai"}
    assert openai["openai/gpt-oss-120b"].actual_release_date == "2025-08-05"
    c = snapshot(VENDORED / "weight-commits-2024")
    commits = read_weight_commits(c)
    assert len(commits) == 8_171
    assert len({r.model_id for r in commits}) == 1_031
    assert len({(r.model_id, r.commit_hash) for r in commits}) == 4_737
    assert all("\\" not in r.file for r in commits if r.file.startswith(r.model_id.split("/")[0]))


def copy_with(tmp_path: Path, name: str, file: str, edit) -> Path:
    """A copy of a vendored snapshot with one file edited and its manifest's sha256 updated."""
    dest = tmp_path / name
    shutil.copytree(VENDORED / name, dest)
    path = dest / file
    path.chmod(0o644)
    path.write_bytes(edit(path.read_bytes()))
    manifest_path = dest / "MANIFEST.json"
    manifest_path.chmod(0o644)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for entry in manifest.get("files", []):
        if entry["file"] == file:
            entry["sha256"] = digest
    if manifest.get("file") == file:
        manifest["sha256"] = digest
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return dest


def replace_line(number: int, old: bytes, new: bytes):
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        assert old in lines[number - 1]
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
        return b"\n".join(lines)

    return edit


def test_a_bad_weekly_row_is_refused_with_file_and_line(tmp_path):
    file = "added/added_model_0319.csv"
    folder = copy_with(tmp_path, "weekly-changes-2025", file, replace_line(3, b",finetune,", b",distilled,"))
    s = snapshot(folder)
    entry = next(e for e in listed_files(s) if e["file"] == file)
    with pytest.raises(SnapshotError, match=rf"{folder / file}:3: Type 'distilled'"):
        file_rows(s, entry)


def test_a_bad_population_id_is_refused_with_file_and_line(tmp_path):
    file = "all_NLP_with_quantization.csv"
    folder = copy_with(
        tmp_path, "nlp-models-2024", file, replace_line(2, b"athirdpath/Eileithyia", b"Eileithyia")
    )
    with pytest.raises(
        SnapshotError, match=rf"{folder / file}:2: model_name 'Eileithyia-20b' is not a Hub model id"
    ):
        read_population(snapshot(folder))


def test_a_bad_commit_date_is_refused_with_its_line(tmp_path):
    file = "repository_evolution_commits.csv"
    # Row 1's message spans lines 2-8; row 2 is line 9.
    folder = copy_with(
        tmp_path, "weight-commits-2024", file, replace_line(9, b"2023-03-20 04:00:35", b"20/03/2023")
    )
    with pytest.raises(SnapshotError, match=rf"{folder / file}:9: date '20/03/2023'"):
        read_weight_commits(snapshot(folder))


def test_a_changed_file_fails_its_sha256(tmp_path):
    dest = tmp_path / "frontier-models-2026-08"
    shutil.copytree(VENDORED / "frontier-models-2026-08", dest)
    (dest / "models.csv").chmod(0o644)
    with open(dest / "models.csv", "a", encoding="utf-8") as f:
        f.write("acme,Model-2,acme/Model-2\n")
    with pytest.raises(SnapshotError, match=r"models.csv: sha256 mismatch"):
        verify(snapshot(dest))


def test_a_frontier_row_count_off_its_manifest_is_refused(tmp_path):
    folder = copy_with(
        tmp_path, "frontier-models-2026-08", "extra_models.csv", lambda b: b + b"acme,M-2,acme/M-2\n"
    )
    with pytest.raises(SnapshotError, match=r"extra_models.csv: 187 rows, .*MANIFEST.json says 186"):
        read_frontier(snapshot(folder))


def test_listed_ids_are_classified_as_census_records_with_base_model_tags():
    """Real weekly rows: the listed classification is the census path's (classify_record) with the
    declared base model as a base_model tag."""
    s = snapshot(VENDORED / "weekly-changes-2025")
    rows = data_rows(s.folder / "added/added_model_0402.csv")[:3000]
    listed = classify_ids([(m, t or None, b or None) for m, t, b in rows])
    base_only = 0
    for (model, relation, base), got in zip(rows, listed):
        tags = [f"base_model:{relation}:{b.strip()}" for b in base.split(",")] if base else []
        c = classify_record({"id": model, "tags": tags})
        assert (got[0], got[5], got[7]) == (model, int(c.own_version), c.primary_form), model
        base_only += not got[5] and got[6] > 0
    # Quantized and adapter copies named after their base carry its version, not their own.
    assert base_only > 100
