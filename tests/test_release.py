"""`make release` on the fixture build: a complete folder whose every checksum holds, made twice from
the same inputs (the same build, and a second build of the same snapshots) with the same bytes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts import build
from scripts.publish import croissant, downloads, release

EXPECTED = {
    "hub.db",
    "croissant.json",
    "CITATION.cff",
    ".zenodo.json",
    "datasheet.md",
    "data-dictionary.md",
    "data-dictionary.csv",
    "LICENSE-code",
    "licenses/GPL-3.0.txt",
    "licenses/Apache-2.0.txt",
    "SHA256SUMS",
    "downloads/MANIFEST.json",
}


@pytest.fixture(scope="module")
def released(fixture_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    done = subprocess.run(
        [sys.executable, "-m", "scripts.publish.release", "--build", str(fixture_build), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    version, _ = release.version_of()
    folder = out / f"hub-versioning-{version}"
    assert str(folder) in done.stdout
    return folder


def test_the_folder_is_complete(released, fixture_build):
    files = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    assert EXPECTED <= files
    manifest = downloads.read_manifest(fixture_build / downloads.MOUNT)
    for table in manifest["tables"]:
        for f in table["files"]:
            assert f"downloads/{f['file']}" in files
    assert not [p for p in released.parent.iterdir() if p.name.startswith(".")], "a staging folder was left"


def test_every_checksum_holds_for_sha256sum_itself(released):
    listed = (released / release.SUMS).read_text(encoding="utf-8").splitlines()
    files = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    assert {line.split("  ", 1)[1] for line in listed} == files - {release.SUMS}
    done = subprocess.run(
        ["sha256sum", "--strict", "-c", release.SUMS], cwd=released, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(listed)
    assert release.check_sums(released) == []


def test_a_changed_byte_is_caught(released, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    with open(copy / "downloads" / "models.parquet", "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    (copy / "datasheet.md").unlink()
    assert release.check_sums(copy) == ["datasheet.md", "downloads/models.parquet"]


def test_citation_zenodo_and_croissant_agree_on_version_and_license(released):
    cff = yaml.safe_load((released / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((released / ".zenodo.json").read_text(encoding="utf-8"))
    document = json.loads((released / "croissant.json").read_text(encoding="utf-8"))
    assert cff["type"] == "dataset" and cff["version"] == zenodo["version"] == document["version"]
    assert zenodo["publication_date"] == cff["date-released"] == document["datePublished"]
    assert zenodo["license"] == {"id": cff["license"]}
    assert "repository-code" not in cff or "example." not in cff["repository-code"]
    notes = " ".join(r.get("notes", "") for r in cff["references"])
    for source in (
        "2024-07-11",
        "2022-02-21",
        "weight-changes-2024",
        "nlp-models-2024",
        "weekly-changes-2025",
        "frontier-models-2026-08",
        "weight-commits-2024",
    ):
        assert source in notes, source


def test_the_data_dictionary_is_every_downloadable_column_with_its_description(released, fixture_build):
    manifest = json.loads((released / "downloads" / "MANIFEST.json").read_text(encoding="utf-8"))
    with open(released / "data-dictionary.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["table"], r["column"]) for r in rows] == [
        (t["table"], c) for t in manifest["tables"] for c in t["columns"]
    ]
    metadata = json.loads((fixture_build / "metadata.json").read_text(encoding="utf-8"))
    described = metadata["databases"]["hub"]["tables"]["model_versioning"]["columns"]
    own = next(r for r in rows if (r["table"], r["column"]) == ("model_versioning", "own_version"))
    assert own["type"] == "Integer" and own["description"] == described["own_version"]
    assert sum(1 for r in rows if not r["description"]) < len(rows) / 4
    markdown = (released / "data-dictionary.md").read_text(encoding="utf-8")
    assert "## version_markers" in markdown and "| `refers_to` |" in markdown


def test_the_release_croissant_is_the_served_one(released, fixture_build):
    served = croissant.write(fixture_build)
    assert (released / "croissant.json").read_bytes() == served.read_bytes()


def test_two_releases_of_the_same_inputs_are_identical(released, fixture_build, fixture_snapshots, tmp_path):
    """The same build released again gives the same bytes; so does a second build of the same
    snapshots, file for file, where the formats allow (the SQLite file included, as measured here)."""
    again = release.write_release(fixture_build, tmp_path / "again")
    assert (again / release.SUMS).read_bytes() == (released / release.SUMS).read_bytes()

    rebuilt = tmp_path / "rebuild" / "hub.db"
    build.build(rebuilt, fixture_snapshots, workers=1)
    other = release.write_release(rebuilt.parent, tmp_path / "other")
    first = dict(_sums(released))
    second = dict(_sums(other))
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == [], differing


def _sums(folder: Path):
    for line in (folder / release.SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        yield name, digest


def test_mlcroissant_reads_the_release_records_as_the_database_holds_them(released):
    import sqlite3

    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(released / "croissant.json"))
    records = list(dataset.records("estimate_rq1"))
    conn = sqlite3.connect(f"file:{released / 'hub.db'}?mode=ro", uri=True)
    try:
        expected = conn.execute(
            "select snapshot, measure, models from estimate_rq1 order by rowid"
        ).fetchall()
    finally:
        conn.close()
    read = [
        (r["estimate_rq1/snapshot"].decode(), r["estimate_rq1/measure"].decode(), r["estimate_rq1/models"])
        for r in records
    ]
    assert read == expected
