"""Derive stage: run the classifier over every loaded model and write the derived tables.

- `version_markers`: one row per marker found in a model name.
- `model_versioning`: one row per model, with the context the research questions group by
  (snapshot, author, organization, pipeline_tag, downloads, creation month) copied in, so that
  the canned queries read one table.
- summary tables that the canned queries read instead of re-aggregating 790,000 rows per request.

The classifier is pure and per-record, so the records are classified in a process pool.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor

import sqlite_utils

from scripts.classify import classify_name

CHUNK = 5_000


def create_schema(db: sqlite_utils.Database) -> None:
    db["version_markers"].create(
        {
            "model": int, "snapshot": str, "model_id": str, "marker_index": int, "text": str,
            "form": str, "refers_to": str, "position": int, "major": int, "minor": int,
            "patch": int, "date": str, "evidence": str,
        },
        foreign_keys=[("model", "models", "key")],
    )
    db["model_versioning"].create(
        {
            "model": int, "snapshot": str, "model_id": str, "author": str, "organization": str,
            "organization_kind": str, "organization_relation": str, "pipeline_tag": str, "library_name": str, "downloads": int, "created_month": str,
            "created_at_placeholder": int, "seed_rule": int, "own_version": int,
            "marker_count": int, "self_markers": int, "environment_markers": int,
            "dataset_markers": int, "base_model_markers": int, "unclear_markers": int,
            "primary_form": str, "primary_text": str, "primary_major": int, "primary_minor": int,
            "primary_patch": int, "primary_date": str, "family": str,
        },
        pk="model",
        foreign_keys=[("model", "models", "key")],
    )


def classify_chunk(rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(marker rows, versioning rows) for a chunk of model rows; runs in a worker process."""
    markers_out, versioning_out = [], []
    for key, snapshot, model_id, tags_json, pipeline_tag, library_name in rows:
        c = classify_name(model_id, json.loads(tags_json), pipeline_tag, library_name)
        counts = {"self": 0, "environment": 0, "dataset": 0, "base_model": 0, "unclear": 0}
        primary = None
        for i, m in enumerate(c.markers):
            counts[m.refers_to] += 1
            if primary is None and m.refers_to == "self":
                primary = m
            markers_out.append((key, snapshot, model_id, i, m.text, m.form, m.refers_to, m.position,
                                m.major, m.minor, m.patch, m.date, m.evidence or None))
        p = primary
        versioning_out.append((
            key, int(c.seed_rule), int(c.own_version), len(c.markers), counts["self"],
            counts["environment"], counts["dataset"], counts["base_model"], counts["unclear"],
            c.primary_form, p and p.text, p and p.major, p and p.minor, p and p.patch,
            p and p.date, c.family,
        ))
    return markers_out, versioning_out


def iter_model_chunks(db: sqlite_utils.Database):
    cursor = db.execute(
        "select key, snapshot, id, tags, pipeline_tag, library_name from models "
        "where snapshot in (select snapshot from snapshots where kind = 'census') order by key"
    )
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            return
        yield rows


def classify_models(db: sqlite_utils.Database, workers: int | None = None, progress=None) -> int:
    """Fill version_markers and a staging table of per-model results; returns models classified."""
    conn = db.conn
    conn.execute(
        """create temp table classified (model integer primary key, seed_rule, own_version,
           marker_count, self_markers, environment_markers, dataset_markers, base_model_markers,
           unclear_markers, primary_form, primary_text, primary_major, primary_minor,
           primary_patch, primary_date, family)"""
    )
    workers = workers or min(2, os.cpu_count() or 1)
    total = 0

    def store(result):
        nonlocal total
        markers, versioning = result
        conn.executemany("insert into version_markers values (" + ",".join("?" * 13) + ")", markers)
        conn.executemany("insert into temp.classified values (" + ",".join("?" * 16) + ")", versioning)
        total += len(versioning)
        if progress is not None:
            progress(len(versioning))

    chunks = iter_model_chunks(db)
    if workers <= 1:
        for chunk in chunks:
            store(classify_chunk(chunk))
    else:
        with ProcessPoolExecutor(workers) as pool:
            # map() keeps order and bounds nothing, so feed it a window at a time to cap memory.
            window = []
            for chunk in chunks:
                window.append(chunk)
                if len(window) >= workers * 4:
                    for result in pool.map(classify_chunk, window):
                        store(result)
                    window = []
            for result in pool.map(classify_chunk, window):
                store(result)
    return total


def fill_model_versioning(db: sqlite_utils.Database) -> None:
    """Join the classifier's per-model results with the model context the queries group by."""
    db.execute(
        """insert into model_versioning
           select m.key, m.snapshot, m.id, m.author, o.organization, o.kind, o.relation, m.pipeline_tag,
                  m.library_name, m.downloads, substr(m.created_at, 1, 7), m.created_at_placeholder,
                  c.seed_rule, c.own_version, c.marker_count, c.self_markers,
                  c.environment_markers, c.dataset_markers, c.base_model_markers,
                  c.unclear_markers, c.primary_form, c.primary_text, c.primary_major,
                  c.primary_minor, c.primary_patch, c.primary_date, c.family
           from models m join temp.classified c on c.model = m.key
           -- organizations.namespace compares without case, as the Hub does
           left join organizations o on o.namespace = m.author
           order by m.key"""
    )
    db.execute("drop table temp.classified")
    for table, cols in [
        ("version_markers", ["model"]), ("version_markers", ["form"]),
        ("version_markers", ["refers_to"]), ("version_markers", ["snapshot", "form"]),
        ("model_versioning", ["snapshot", "downloads"]), ("model_versioning", ["author"]),
        ("model_versioning", ["organization"]), ("model_versioning", ["pipeline_tag"]),
        ("model_versioning", ["snapshot", "author", "family"]), ("model_versioning", ["primary_form"]),
    ]:
        db[table].create_index(cols)
