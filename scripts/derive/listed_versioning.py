"""Classify stage for ids known without a census record (the weekly changes of 2025, a list of
frontier releases): each id through the same classifier as the census, with its declared base
model as evidence exactly as a record's `base_model:<relation>:<id>` tag is (scripts/classify/refers.py
rule 3), into `listed_versioning`.

`classify_ids(items)` is pure and runs in the build's worker processes (scripts/build.py hands
it chunks of ids); `classify_snapshot_ids` streams a snapshot's distinct ids out of SQLite in
chunks, maps them over the workers (`classify_packed`) and copies the packed rows in, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial

import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.load import packed_rows
from scripts.memory import collector_paused

# Ids per chunk sent to a worker: enough that the trip is cheap, few enough that chunks in flight
# hold little memory.
CHUNK_IDS = 4_000
# Where classify_snapshot_ids keeps the ids it classifies.
LISTED_IDS = "temp.listed_ids"


def base_tags(relation: str | None, bases: str | None) -> list[str]:
    """The `base_model:` tags a Hub record would carry for this declared relation and base models
    (a merge lists several, separated by ', ')."""
    if not bases:
        return []
    prefix = f"base_model:{relation}:" if relation else "base_model:"
    return [prefix + b.strip() for b in bases.split(",") if b.strip()]


def classify_ids(items: list[tuple[str, str | None, str | None]]) -> list[tuple]:
    """(model_id, relation, base models) -> listed_versioning rows without their snapshot: the
    classification of the id with its base models as tags, its primary (first own) marker."""
    out = []
    for model_id, relation, bases in items:
        c = classify_name(model_id, base_tags(relation, bases))
        primary = base_marker = None  # the first own marker, the first of the base model
        base_markers = 0
        for m in c.markers:
            if m.refers_to == "self" and primary is None:
                primary = m
            elif m.refers_to == "base_model":
                base_markers += 1
                base_marker = base_marker or m
        out.append(
            (
                model_id,
                c.author,
                relation or None,
                bases or None,
                int(c.seed_rule),
                int(c.own_version),
                base_markers,
                c.primary_form,
                primary and primary.text,
                primary and primary.major,
                primary and primary.minor,
                primary and primary.patch,
                primary and primary.date,
                base_marker and base_marker.text,
                c.family,
            )
        )
    return out


def chunks(rows: Iterable[tuple], size: int = CHUNK_IDS) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@collector_paused()
def classify_packed(snapshot: str, items: list[tuple[str, str | None, str | None]]) -> bytes:
    """classify_ids of a chunk, as whole listed_versioning rows packed for the writer (in a
    worker: the rows cross to the writer as one bytes object, scripts/load/packed_rows.py)."""
    rows = [(snapshot, *r, None) for r in classify_ids(items)]
    return packed_rows.pack([(schema.LISTED_VERSIONING, rows)])


def classify_snapshot_ids(
    db: sqlite_utils.Database, snapshot: str, ids_sql: str, mapper: Callable = map
) -> int:
    """Classify the (model_id, relation, base) rows of `ids_sql` (one per distinct id, parameter
    :snapshot) with `mapper` (the worker pool's ordered map, or map), into listed_versioning."""
    # The ids wait in a temporary table, in order, and are read a chunk at a time, each read whole
    # before the writer below inserts (it must not insert while a cursor reads the same database):
    # the 535,000 weekly ids held at once made the build's process 195 MiB at its load-stage peak, not 155.
    db.execute(f"create temp table {LISTED_IDS} as {ids_sql}", {"snapshot": snapshot})
    try:
        (count,) = db.execute(f"select count(*) from {LISTED_IDS}").fetchone()
        packed_rows.attach(db.conn)
        for packed in mapper(partial(classify_packed, snapshot), listed_id_chunks(db, count)):
            packed_rows.open_pack(db.conn, packed)
            packed_rows.copy(db.conn, schema.LISTED_VERSIONING)
    finally:
        db.execute(f"drop table {LISTED_IDS}")
    return count


def listed_id_chunks(db: sqlite_utils.Database, count: int, size: int = CHUNK_IDS) -> Iterator[list[tuple]]:
    """The rows of LISTED_IDS (rowids 1..count, in the order they were selected), `size` at a time."""
    for start in range(0, count, size):
        yield db.execute(
            f"select * from {LISTED_IDS} where rowid > ? and rowid <= ? order by rowid", [start, start + size]
        ).fetchall()
