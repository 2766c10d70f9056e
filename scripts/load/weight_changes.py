"""Load stage for a weight-changes snapshot: `<snapshot>/weight_file_changes.csv` -> `weight_file_changes`.

A snapshot of kind `weight-changes` lists, for the models of a study's population, every model
weight file whose git history on the Hub holds at least two commits touching it (the first upload
included), as CSV with the header `owner,model_name,file_changed,changed_frequency` (or the same gzipped, `.csv.gz`). Each such file
was rewritten in place, under the same model id: its versions live in git history, not in the name.

One row per (model, weight file, commits). The rows are checked before any goes in: the file's
sha256 against the manifest, the header, every field (an owner and a name without `/`, a file
path, a whole number of commits of at least 2), no (model, file) twice, and the manifest's
counts of records and models; a bad row is refused with its file and line.

The rows are linked to the census and to model_versioning by scripts/derive/history.py, once every
census is loaded (`model` and `census` stay NULL until then).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import sqlite_utils

from scripts import schema
from scripts.schema import WeightFileChange
from scripts.snapshot.read import Snapshot, SnapshotError, verify

HEADER = ("owner", "model_name", "file_changed", "changed_frequency")


def parse_row(path: Path, line: int, fields: list[str], snapshot: str) -> WeightFileChange:
    """One CSV row -> its table row; SnapshotError naming file and line if a field is wrong."""
    where = f"{path}:{line}"
    if len(fields) != len(HEADER):
        raise SnapshotError(f"{where}: {len(fields)} fields, expected {len(HEADER)} ({','.join(HEADER)})")
    owner, name, file, frequency = fields
    for label, value in (("owner", owner), ("model_name", name)):
        if not value or value != value.strip() or "/" in value:
            raise SnapshotError(f"{where}: {label} {value!r} is not one part of a Hub model id")
    if not file or file != file.strip():
        raise SnapshotError(f"{where}: file_changed {file!r} is not a file path")
    try:
        commits = int(frequency)
    except ValueError:
        raise SnapshotError(f"{where}: changed_frequency {frequency!r} is not a whole number") from None
    if commits < 2 or frequency != str(commits):
        raise SnapshotError(
            f"{where}: changed_frequency {frequency!r}: the snapshot lists files changed at least twice"
        )
    return WeightFileChange(
        snapshot, f"{owner}/{name}", owner, name, file, commits, commits - 1, line, None, None
    )


def read_weight_changes(snapshot: Snapshot) -> list[WeightFileChange]:
    """Every row of the snapshot's CSV, checked (see the module's docstring); sha256 first."""
    verify(snapshot)
    path = snapshot.data_file
    rows: list[WeightFileChange] = []
    first_line: dict[tuple[str, str], int] = {}
    line = 1
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if tuple(header or ()) != HEADER:
                raise SnapshotError(f"{path}:1: header {header!r}, expected {','.join(HEADER)}")
            for fields in reader:
                line = reader.line_num
                row = parse_row(path, line, fields, snapshot.name)
                seen = first_line.setdefault((row.model_id, row.file), line)
                if seen != line:
                    raise SnapshotError(f"{path}:{line}: {row.model_id} {row.file} is also on line {seen}")
                rows.append(row)
    except UnicodeDecodeError as e:
        raise SnapshotError(f"{path}: not UTF-8 after line {line} ({e.reason})") from None
    except csv.Error as e:
        raise SnapshotError(f"{path}:{line + 1}: not valid CSV ({e})") from None
    check_counts(snapshot, rows)
    return rows


def check_counts(snapshot: Snapshot, rows: list[WeightFileChange]) -> None:
    """The manifest's counts of records (data rows) and models. A manifest written by write_snapshot
    counts every line of the file, the header too, and says so with `header_lines: 1`."""
    manifest_path = snapshot.folder / "MANIFEST.json"
    header_lines = snapshot.manifest.get("header_lines", 0)
    counts = {"records": len(rows) + header_lines, "models": len({r.model_id for r in rows})}
    for key, actual in counts.items():
        expected = snapshot.manifest.get(key)
        if expected is not None and expected != actual:
            raise SnapshotError(f"{snapshot.data_file}: {actual} {key}, {manifest_path} says {expected}")


def load_weight_changes(db: sqlite_utils.Database, snapshot: Snapshot) -> int:
    """Insert the snapshot's checked rows into weight_file_changes; returns how many."""
    rows = read_weight_changes(snapshot)
    db.conn.executemany(schema.WEIGHT_FILE_CHANGES.insert, rows)
    return len(rows)
