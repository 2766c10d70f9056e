"""Classify stage for ids known without a census record (the weekly changes of 2025, a list of
frontier releases): each id through the same classifier as the census, with its declared base
model as evidence exactly as a record's `base_model:<relation>:<id>` tag is (scripts/classify/refers.py
rule 3), into `listed_versioning`.

`classify_ids(items)` is pure and runs in the build's worker processes (scripts/build.py hands
it chunks of ids); `classify_snapshot_ids` streams a snapshot's distinct ids out of SQLite in
chunks, maps them over the workers and writes the rows in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import sqlite_utils

from scripts import schema
from scripts.classify import classify_name

# Ids per chunk sent to a worker: enough that the trip is cheap, few enough that chunks in flight
# hold little memory.
CHUNK_IDS = 4_000


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
        primary = next((m for m in c.markers if m.refers_to == "self"), None)
        base_marker = next((m for m in c.markers if m.refers_to == "base_model"), None)
        out.append(
            (
                model_id,
                c.author,
                relation or None,
                bases or None,
                int(c.seed_rule),
                int(c.own_version),
                sum(m.refers_to == "base_model" for m in c.markers),
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


def classify_snapshot_ids(
    db: sqlite_utils.Database, snapshot: str, ids_sql: str, mapper: Callable = map
) -> int:
    """Classify the (model_id, relation, base) rows of `ids_sql` (one per distinct id, parameter
    :snapshot) with `mapper` (the worker pool's ordered map, or map), into listed_versioning."""
    # Read all ids first: the writer below must not insert while a cursor reads the same database.
    items = db.execute(ids_sql, {"snapshot": snapshot}).fetchall()
    n = 0
    for rows in mapper(classify_ids, chunks(items)):
        db.conn.executemany(schema.LISTED_VERSIONING.insert, [(snapshot, *r, None) for r in rows])
        n += len(rows)
    return n
