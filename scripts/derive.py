"""Derive stage: run the classifier over every loaded model and write the derived tables.

- `version_markers`: one row per marker found in a model name.
- `model_versioning`: one row per model, with the context the research questions group by
  (snapshot, author, organization, pipeline_tag, downloads, creation month) copied in, so that
  the canned queries read one table.
- summary tables that the canned queries read instead of re-aggregating 790,000 rows per request.

The classifier is pure and per-record: the build classifies each chunk of census lines in the
worker process that parsed it (`classify_parsed`), and writes the rows here (`insert_classified`),
so the records are decoded once and never read back from SQLite.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from scripts.classify import classify_name


def create_schema(db: sqlite_utils.Database) -> None:
    db["version_markers"].create(
        {
            "model": int,
            "snapshot": str,
            "model_id": str,
            "marker_index": int,
            "text": str,
            "form": str,
            "refers_to": str,
            "position": int,
            "major": int,
            "minor": int,
            "patch": int,
            "date": str,
            "evidence": str,
        },
        foreign_keys=[("model", "models", "key")],
    )
    db["version_markers"].create_index(["model"])  # rows arrive in model order (load.create_schema)
    db["model_versioning"].create(
        {
            "model": int,
            "snapshot": str,
            "model_id": str,
            "author": str,
            "organization": str,
            "organization_kind": str,
            "organization_relation": str,
            "pipeline_tag": str,
            "library_name": str,
            "downloads": int,
            "created_month": str,
            "created_at_placeholder": int,
            "seed_rule": int,
            "own_version": int,
            "marker_count": int,
            "self_markers": int,
            "environment_markers": int,
            "dataset_markers": int,
            "base_model_markers": int,
            "unclear_markers": int,
            "primary_form": str,
            "primary_text": str,
            "primary_major": int,
            "primary_minor": int,
            "primary_patch": int,
            "primary_date": str,
            "family": str,
        },
        pk="model",
        foreign_keys=[("model", "models", "key")],
    )


# SQLite's NOCASE collation (organizations.namespace) folds ASCII letters only; so does this.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def organizations_map(db: sqlite_utils.Database) -> dict[str, tuple]:
    """namespace folded as NOCASE folds it -> (organization, kind, relation)."""
    return {
        ns.translate(_ASCII_LOWER): (org, kind, relation)
        for ns, org, kind, relation in db.execute(
            "select namespace, organization, kind, relation from organizations"
        )
    }


def classify_parsed(
    models: list[tuple],
    tag_lists: list[list],
    organizations: dict[str, tuple],
) -> tuple[list[tuple], list[tuple]]:
    """(version_markers rows, model_versioning rows) of a chunk of `models` rows and their tags.

    Pure; runs in the worker process that parsed the chunk. The model_versioning row carries the
    model's context (author, organization, task, downloads, creation month) as the queries group
    by it: the organization is the organizations row whose namespace equals the author without
    case, as in SQL `organizations.namespace = models.author` with the table's NOCASE key.
    """
    markers_out, versioning_out = [], []
    no_org = (None, None, None)
    # marker_count, self, environment, dataset, base_model, unclear markers; primary_form, text,
    # major, minor, patch, date: for the many names without a marker.
    unmarked = (0, 0, 0, 0, 0, 0, None, None, None, None, None, None)
    for row, tags in zip(models, tag_lists):
        (
            key,
            snapshot,
            model_id,
            author,
            _name,
            pipeline_tag,
            library_name,
            downloads,
            _likes,
            created_at,
            placeholder,
        ) = row[:11]
        c = classify_name(model_id, tags, pipeline_tag, library_name)
        if c.markers:
            counts = {"self": 0, "environment": 0, "dataset": 0, "base_model": 0, "unclear": 0}
            p = None  # the primary marker: the first that versions the model itself
            for i, m in enumerate(c.markers):
                counts[m.refers_to] += 1
                if p is None and m.refers_to == "self":
                    p = m
                markers_out.append(
                    (
                        key,
                        snapshot,
                        model_id,
                        i,
                        m.text,
                        m.form,
                        m.refers_to,
                        m.position,
                        m.major,
                        m.minor,
                        m.patch,
                        m.date,
                        m.evidence or None,
                    )
                )
            marks = (
                len(c.markers),
                counts["self"],
                counts["environment"],
                counts["dataset"],
                counts["base_model"],
                counts["unclear"],
                c.primary_form,
                p and p.text,
                p and p.major,
                p and p.minor,
                p and p.patch,
                p and p.date,
            )
        else:
            marks = unmarked[:6] + (c.primary_form,) + unmarked[7:]
        org = organizations.get(author.translate(_ASCII_LOWER), no_org) if isinstance(author, str) else no_org
        versioning_out.append(
            (
                key,
                snapshot,
                model_id,
                author,
                *org,
                pipeline_tag,
                library_name,
                downloads,
                created_month(created_at),
                placeholder,
                int(c.seed_rule),
                int(c.own_version),
                *marks,
                c.family,
            )
        )
    return markers_out, versioning_out


def created_month(created_at) -> str | None:
    """substr(created_at, 1, 7) as SQLite computes it ('2024-07' of '2024-07-11T...')."""
    if created_at is None:
        return None
    if isinstance(created_at, bool):
        created_at = int(created_at)
    return str(created_at)[:7]


def insert_classified(
    conn: sqlite3.Connection, markers: list[tuple], versioning: list[tuple], versioning_schema: str = "main"
) -> None:
    """Write a chunk's classification rows; model_versioning rows go to `versioning_schema`'s
    table (the build stages them in an attached file of their own: create_staging)."""
    conn.executemany("insert into version_markers values (" + ",".join("?" * 13) + ")", markers)
    conn.executemany(
        f"insert into [{versioning_schema}].model_versioning values (" + ",".join("?" * 27) + ")", versioning
    )


def create_staging(db: sqlite_utils.Database, schema: str) -> None:
    """model_versioning, declared exactly as in main, in the attached database `schema`.

    The build writes model_versioning there during the load, so that other threads can read it
    (summaries, full-text index) from that file while the build's writer works on its own file;
    copy_staged then moves the rows into main."""
    (create_sql,) = db.execute(
        "select sql from main.sqlite_master where type = 'table' and name = 'model_versioning'"
    ).fetchone()
    prefix = 'CREATE TABLE "model_versioning"'
    if not create_sql.startswith(prefix):
        raise RuntimeError(f"unexpected declaration of model_versioning: {create_sql[:80]}")
    db.execute(f'CREATE TABLE [{schema}]."model_versioning"' + create_sql[len(prefix) :])


def copy_staged(db: sqlite_utils.Database, schema: str) -> None:
    db.execute(f"insert into main.model_versioning select * from [{schema}].model_versioning order by model")


def index_derived(db: sqlite_utils.Database) -> None:
    """The indexes of the derived tables, made once their rows are in (one sort each)."""
    for table, cols in [
        ("version_markers", ["form"]),
        ("version_markers", ["refers_to"]),
        ("version_markers", ["snapshot", "form"]),
        ("model_versioning", ["snapshot", "downloads"]),
        ("model_versioning", ["author"]),
        ("model_versioning", ["organization"]),
        ("model_versioning", ["pipeline_tag"]),
        ("model_versioning", ["snapshot", "author", "family"]),
        ("model_versioning", ["primary_form"]),
        # For the site's pages over this table (docs/benchmarks.md has the timings): its default
        # sort (downloads) and the model lookup's "most downloaded first"; its default facets
        # own_version and seed_rule; and, covering, the rows behind RQ1's figures (snapshot,
        # own_version=1, downloads >= N) with the columns its other default facets count.
        ("model_versioning", ["downloads"]),
        ("model_versioning", ["own_version"]),
        ("model_versioning", ["seed_rule"]),
        (
            "model_versioning",
            ["snapshot", "own_version", "downloads", "seed_rule", "primary_form", "organization"],
        ),
    ]:
        db[table].create_index(cols)
