"""Cuts of the four snapshots of the Hub after 2024 for the fixture build, line for line from the
vendored files, each with a manifest of its own (sha256 and counts of the cut):

- nlp-models-2024: the rows of the ids the census cut kept, and every 20th row besides;
- weekly-changes-2025: in each file, the rows of the fixture's authors, the rows of ids the census
  cut kept, and every 100th row besides (so families, supersessions and deletions have real rows);
- frontier-models-2026-08 and weight-commits-2024: whole (small), copied byte for byte.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import shutil
from pathlib import Path

from scripts.snapshot.read import read_manifest


def census_ids(census: Path) -> set[str]:
    with gzip.open(census / read_manifest(census)["file"], "rb") as f:
        return {json.loads(line)["id"] for line in f}


def kept_lines(path: Path, keep) -> tuple[bytes, int, set[str]]:
    """The header and the kept data rows of a CSV file (by the id in its `id_column`), as bytes."""
    raw = path.read_bytes().decode("utf-8")
    lines = raw.splitlines(keepends=True)
    out, rows, ids = [lines[0]], 0, set()
    for index, line in enumerate(lines[1:]):
        model_id = next(csv.reader(io.StringIO(line)))[keep.column]
        if keep(index, model_id):
            out.append(line)
            rows += 1
            ids.add(model_id)
    return "".join(out).encode("utf-8"), rows, ids


class Keep:
    def __init__(self, column: int, ids: set[str], authors: set[str], every: int):
        self.column, self.ids, self.authors, self.every = column, ids, authors, every

    def __call__(self, index: int, model_id: str) -> bool:
        return model_id in self.ids or model_id.partition("/")[0] in self.authors or index % self.every == 0


def cut_population(source: Path, dest: Path, census: Path) -> None:
    manifest = read_manifest(source)
    data, rows, ids = kept_lines(source / manifest["file"], Keep(1, census_ids(census), set(), 20))
    dest.mkdir(parents=True)
    (dest / manifest["file"]).write_bytes(data)
    manifest.update(
        records=rows,
        models=len(ids),
        sha256=hashlib.sha256(data).hexdigest(),
        caveats=manifest["caveats"] + [f"test fixture: a cut of {rows} rows"],
    )
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def cut_weekly(source: Path, dest: Path, census: Path, authors: set[str]) -> None:
    manifest = read_manifest(source)
    keep = Keep(0, census_ids(census), authors, 100)
    records = 0
    for entry in manifest["files"]:
        data, rows, _ids = kept_lines(source / entry["file"], keep)
        (dest / entry["file"]).parent.mkdir(parents=True, exist_ok=True)
        (dest / entry["file"]).write_bytes(data)
        entry.update(rows=rows, sha256=hashlib.sha256(data).hexdigest())
        records += rows
    manifest.update(records=records, caveats=manifest["caveats"] + [f"test fixture: a cut of {records} rows"])
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def add_after_2024(source_root: Path, root: Path, authors: set[str]) -> None:
    """The four cuts into root, beside the census cut root/2024-07-11."""
    census = root / "2024-07-11"
    cut_population(source_root / "nlp-models-2024", root / "nlp-models-2024", census)
    cut_weekly(source_root / "weekly-changes-2025", root / "weekly-changes-2025", census, authors)
    for name in ("frontier-models-2026-08", "weight-commits-2024"):
        shutil.copytree(source_root / name, root / name)
