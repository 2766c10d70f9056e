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
from scripts.schema import Model, Versioning, VersionMarker


def classify_parsed(
    models: list[Model],
    tag_lists: list[list],
    organizations: dict[str, tuple],
) -> tuple[list[VersionMarker], list[Versioning]]:
    """(version_markers rows, model_versioning rows) of a chunk of `models` rows and their tags.

    Pure; runs in the worker process that parsed the chunk. The model_versioning row carries the
    model's context (author, organization, task, downloads, creation month) as the queries group
    by it: the organization is the organizations row whose namespace equals the author without
    case, as in SQL `organizations.namespace = models.author` with the table's NOCASE key.
    """
    markers_out, versioning_out = [], []
    no_org = (None, None, None)
    for m, tags in zip(models, tag_lists):
        c = classify_name(m.id, tags, m.pipeline_tag, m.library_name)
        counts = dict.fromkeys(REFERS_COUNTS, 0)
        primary = None  # the primary marker: the first that versions the model itself
        for i, marker in enumerate(c.markers):
            counts[marker.refers_to] += 1
            if primary is None and marker.refers_to == "self":
                primary = marker
            markers_out.append(
                VersionMarker(
                    model=m.key,
                    snapshot=m.snapshot,
                    model_id=m.id,
                    marker_index=i,
                    text=marker.text,
                    form=marker.form,
                    refers_to=marker.refers_to,
                    position=marker.position,
                    major=marker.major,
                    minor=marker.minor,
                    patch=marker.patch,
                    date=marker.date,
                    evidence=marker.evidence or None,
                )
            )
        author = m.author
        org = organizations.get(author.translate(ASCII_LOWER), no_org) if isinstance(author, str) else no_org
        organization, organization_kind, organization_relation = org
        versioning_out.append(
            Versioning(
                model=m.key,
                snapshot=m.snapshot,
                model_id=m.id,
                author=author,
                organization=organization,
                organization_kind=organization_kind,
                organization_relation=organization_relation,
                pipeline_tag=m.pipeline_tag,
                library_name=m.library_name,
                downloads=m.downloads,
                created_month=created_month(m.created_at),
                created_at_placeholder=m.created_at_placeholder,
                seed_rule=int(c.seed_rule),
                own_version=int(c.own_version),
                marker_count=len(c.markers),
                self_markers=counts["self"],
                environment_markers=counts["environment"],
                dataset_markers=counts["dataset"],
                base_model_markers=counts["base_model"],
                unclear_markers=counts["unclear"],
                primary_form=c.primary_form,
                primary_text=primary and primary.text,
                primary_major=primary and primary.major,
                primary_minor=primary and primary.minor,
                primary_patch=primary and primary.patch,
                primary_date=primary and primary.date,
                family=c.family,
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


def packed_tables(markers: list[VersionMarker], versioning: list[Versioning]) -> list[tuple]:
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
