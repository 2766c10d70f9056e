"""Derive stage: run the classifier over every loaded model and write the derived tables.

- `version_markers`: one row per marker found in a model name.
- `model_versioning`: one row per model, with the context the research questions group by
  (snapshot, author, organization, pipeline_tag, downloads, creation month) copied in, so that
  the canned queries read one table.
- summary tables that the canned queries read instead of re-aggregating 790,000 rows per request.

The classifier is pure and per-record: the build classifies each chunk of census lines in the
worker process that parsed it (`classify_parsed`); the worker packs the rows (`packed_tables`) and
the writer copies them in (`copy_packed`), so the records are decoded once and never read back.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.load import packed_rows
from scripts.load.organizations import ASCII_LOWER
from scripts.schema import Model


def classify_parsed(
    models: list[Model],
    tag_lists: list[list],
    organizations: dict[str, tuple],
) -> tuple[list[tuple], list[tuple]]:
    """(version_markers rows, model_versioning rows) of a chunk of `models` rows and their tags.

    Pure; runs in the worker process that parsed the chunk. The model_versioning row carries the
    model's context (author, organization, task, downloads, creation month) as the queries group
    by it: the organization is the organizations row whose namespace equals the author without
    case, as in SQL `organizations.namespace = models.author` with the table's NOCASE key.

    Rows are plain tuples in their table's column order (scripts/schema.py), as packed_rows.pack
    binds them: a named row built by keyword cost about as much as the rest of this function
    (tests/test_versioning_rows.py holds each value to its column's name).
    """
    markers_out, versioning_out = [], []
    no_org = (None, None, None)
    for m, tags in zip(models, tag_lists):
        key, snapshot, model_id, author = m.key, m.snapshot, m.id, m.author
        c = classify_name(model_id, tags, m.pipeline_tag, m.library_name)
        counts = dict.fromkeys(REFERS_COUNTS, 0)
        primary = None  # the primary marker: the first that versions the model itself
        for i, marker in enumerate(c.markers):
            counts[marker.refers_to] += 1
            if primary is None and marker.refers_to == "self":
                primary = marker
            markers_out.append(
                (
                    key,  # model
                    snapshot,
                    model_id,
                    i,  # marker_index
                    marker.text,
                    marker.form,
                    marker.refers_to,
                    marker.position,
                    marker.major,
                    marker.minor,
                    marker.patch,
                    marker.date,
                    marker.evidence or None,
                )
            )
        org = organizations.get(author.translate(ASCII_LOWER), no_org) if isinstance(author, str) else no_org
        organization, organization_kind, organization_relation = org
        versioning_out.append(
            (
                key,  # model
                snapshot,
                model_id,
                author,
                organization,
                organization_kind,
                organization_relation,
                m.pipeline_tag,
                m.library_name,
                m.downloads,
                created_month(m.created_at),
                m.created_at_placeholder,
                int(c.seed_rule),
                int(c.own_version),
                len(c.markers),  # marker_count
                counts["self"],  # self_markers, then environment_, dataset_, base_model_, unclear_markers
                counts["environment"],
                counts["dataset"],
                counts["base_model"],
                counts["unclear"],
                c.primary_form,
                primary and primary.text,  # primary_text, then primary_major, _minor, _patch, _date
                primary and primary.major,
                primary and primary.minor,
                primary and primary.patch,
                primary and primary.date,
                c.family,
            )
        )
    return markers_out, versioning_out


# What a marker's refers_to can be: model_versioning counts each (self_markers ...).
REFERS_COUNTS = ("self", "environment", "dataset", "base_model", "unclear")


def created_month(created_at) -> str | None:
    """substr(created_at, 1, 7) as SQLite computes it ('2024-07' of '2024-07-11T...')."""
    if created_at is None:
        return None
    if isinstance(created_at, bool):
        created_at = int(created_at)
    return str(created_at)[:7]


def packed_tables(markers: list[tuple], versioning: list[tuple]) -> list[tuple]:
    """A chunk's classification rows, as packed_rows.pack takes them (in the worker)."""
    return [(schema.VERSION_MARKERS, markers), (schema.MODEL_VERSIONING, versioning)]


def copy_packed(conn: sqlite3.Connection, versioning_schema: str = "main") -> None:
    """Copy a packed chunk's classification rows (opened as packed_rows.SCHEMA); model_versioning
    rows go to `versioning_schema`'s table (the build stages them in an attached file of its own,
    made by create_staging)."""
    packed_rows.copy(conn, schema.VERSION_MARKERS)
    packed_rows.copy(conn, schema.MODEL_VERSIONING, versioning_schema)


def create_staging(db: sqlite_utils.Database, staging: str) -> None:
    """model_versioning, declared exactly as in main, in the attached database `staging`.

    The build writes model_versioning there during the load, so that other threads can read it
    (summaries, full-text index) from that file while the build's writer works on its own file;
    copy_staged then moves the rows into main."""
    schema.create_in(db, "model_versioning", staging)


def copy_staged(db: sqlite_utils.Database, staging: str) -> None:
    db.execute(f"insert into main.model_versioning select * from [{staging}].model_versioning order by model")


def index_derived(db: sqlite_utils.Database) -> None:
    """The indexes of the derived tables, made once their rows are in (one sort each)."""
    schema.create_indexes(db, "version_markers")
    schema.create_indexes(db, "model_versioning")
