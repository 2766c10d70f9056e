"""Load stage for a weekly-changes snapshot: the ids added to and deleted from the Hub's listing
week by week (`added/added_model_MMDD.csv`, `deleted/deleted_model_MMDD.csv`, header
`Model ID,Type,Base Model`) into `weekly_model_changes`, then every distinct added id classified
into `listed_versioning` (scripts/derive/listed_versioning.py), its declared base model as evidence.
A deleted id needs no classification of its own: the deletions are read against versions of the
census and of the added ids (scripts/derive/weekly.py).

Each file is checked against its manifest entry (sha256, change, week, row count); each row's id is
a Hub model id, its Type one of the Hub's relations (or empty with no base model), its base models
Hub ids (a merge lists several); the same id twice in one file is refused. Errors name file and line.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial

import sqlite_utils

from scripts import schema
from scripts.derive import listed_versioning
from scripts.load import packed_rows
from scripts.load.csv_rows import check_rows, csv_rows, model_id
from scripts.memory import collector_paused
from scripts.snapshot.read import Snapshot, SnapshotError, listed_files, verify

HEADER = ("Model ID", "Type", "Base Model")
RELATIONS = ("finetune", "adapter", "quantized", "merge")
CHANGES = ("added", "deleted")
# One row per distinct added id, with the relation and base model of its first listing.
DISTINCT_IDS = """
    select model_id, relation, base_model from (
        select model_id, relation, base_model,
               row_number() over (partition by model_id order by week_ending, line) as rn
        from weekly_model_changes where snapshot = :snapshot and change = 'added')
    where rn = 1 order by model_id"""


def parse_row(where: str, fields: list[str], seen: dict[str, int]) -> tuple[str, str | None, str | None]:
    model, relation, bases = fields
    model_id(where, "Model ID", model)
    if model in seen:
        raise SnapshotError(f"{where}: Model ID {model} is also on line {seen[model]} of this file")
    if relation and relation not in RELATIONS:
        raise SnapshotError(f"{where}: Type {relation!r} is not one of {', '.join(RELATIONS)} or empty")
    if bool(relation) != bool(bases):
        raise SnapshotError(f"{where}: Type {relation!r} with Base Model {bases!r}: both or neither")
    for base in bases.split(",") if bases else ():
        model_id(where, "Base Model", base.strip())
    return model, relation or None, bases or None


def file_rows(snapshot: Snapshot, entry: dict) -> list[schema.WeeklyModelChange]:
    path = snapshot.folder / entry["file"]
    change, week = entry.get("change"), entry.get("week_ending")
    if change not in CHANGES or not entry["file"].startswith(f"{change}/"):
        raise SnapshotError(f"{snapshot.folder / 'MANIFEST.json'}: {entry['file']}: change {change!r}")
    try:
        datetime.date.fromisoformat(week)
    except (TypeError, ValueError):
        raise SnapshotError(
            f"{snapshot.folder / 'MANIFEST.json'}: {entry['file']}: week_ending {week!r}"
        ) from None
    rows, seen = [], {}
    source = str(path)  # once: a Path formats itself anew each time
    for line, fields in csv_rows(path, HEADER):
        model, relation, bases = parse_row(f"{source}:{line}", fields, seen)
        seen[model] = line
        rows.append(
            schema.WeeklyModelChange(snapshot.name, week, change, model, relation, bases, entry["file"], line)
        )
    check_rows(snapshot, path, entry.get("rows"), len(rows))
    return rows


@collector_paused()
def packed_file_rows(snapshot: Snapshot, entry: dict) -> tuple[int, bytes]:
    """file_rows of one manifest entry, packed for the writer (in a worker: the files are read
    side by side, and their rows cross as one bytes object each, scripts/load/packed_rows.py)."""
    rows = file_rows(snapshot, entry)
    return len(rows), packed_rows.pack([(schema.WEEKLY_MODEL_CHANGES, rows)])


def load_weekly_changes(db: sqlite_utils.Database, snapshot: Snapshot, mapper: Callable = map) -> int:
    """Every file's checked rows into weekly_model_changes, then the distinct ids classified with
    `mapper` (the build's worker pool; it reads the files too); returns the rows loaded."""
    verify(snapshot)
    packed_rows.attach(db.conn)
    n = 0
    for count, packed in mapper(partial(packed_file_rows, snapshot), listed_files(snapshot)):
        packed_rows.open_pack(db.conn, packed)
        packed_rows.copy(db.conn, schema.WEEKLY_MODEL_CHANGES)
        n += count
    check_rows(snapshot, snapshot.folder, snapshot.manifest.get("records"), n)
    schema.create_indexes(db, "weekly_model_changes")
    listed_versioning.classify_snapshot_ids(db, snapshot.name, DISTINCT_IDS, mapper)
    return n
