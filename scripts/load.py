"""Load stage: census snapshot records -> `snapshots`, `models`, `tags`, `model_tags`,
`model_base_models`, `model_datasets`, and the curated `organizations` file.

sqlite-utils owns the schema (tables, keys, indexes, full-text search). Rows go in through the
same connection with `executemany` on tuples, because the census has 4.8 million tag rows and the
per-row dict handling of `insert_all` would dominate the build time.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
import sqlite_utils

from scripts.snapshots import Snapshot, SnapshotError, iter_records

ORGANIZATIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "organizations.csv"

# The 2024-07-11 manifest: models created before the Hub kept creation dates carry one of these two
# timestamps. They mean "on or before 2022-03-02", so they are stored as NULL with a flag.
PLACEHOLDER_CREATED_AT = frozenset({"2022-03-02T23:29:04.000Z", "2022-03-02T23:29:05.000Z"})

# base_model tags name the relation in newer Hub data ("base_model:quantized:org/name").
BASE_MODEL_RELATIONS = frozenset({"adapter", "finetune", "merge", "quantized"})

BATCH = 20_000


def create_schema(db: sqlite_utils.Database) -> None:
    db["snapshots"].create(
        {
            "snapshot": str, "kind": str, "headline": int, "records": int, "collected": str,
            "source": str, "source_license": str, "format": str, "caveats": str, "sha256": str,
            "file": str, "endpoint": str, "client_version": str,
        },
        pk="snapshot",
    )
    db["models"].create(
        {
            "key": int, "snapshot": str, "id": str, "author": str, "name": str,
            "pipeline_tag": str, "library_name": str, "downloads": int, "likes": int,
            "created_at": str, "created_at_placeholder": int, "last_modified": str, "sha": str,
            "private": int, "gated": str, "tags": str,
        },
        pk="key",
        foreign_keys=[("snapshot", "snapshots", "snapshot")],
    )
    db["tags"].create({"tag_key": int, "tag": str, "kind": str, "value": str, "models": int}, pk="tag_key")
    db["model_tags"].create(
        {"model": int, "tag": int},
        foreign_keys=[("model", "models", "key"), ("tag", "tags", "tag_key")],
    )
    db["model_base_models"].create(
        {"model": int, "snapshot": str, "model_id": str, "base_model": str, "relation": str,
         "base_model_key": int},
        foreign_keys=[("model", "models", "key"), ("base_model_key", "models", "key")],
    )
    db["model_datasets"].create(
        {"model": int, "snapshot": str, "model_id": str, "dataset": str},
        foreign_keys=[("model", "models", "key")],
    )


def tag_kind(tag: str) -> tuple[str, str]:
    """('license', 'mit') for 'license:mit'; ('plain', tag) for a tag without a prefix."""
    prefix, sep, value = tag.partition(":")
    if sep and prefix and value:
        return prefix, value
    return "plain", tag


def base_model_of(tag_value: str) -> tuple[str, str | None]:
    """The base model id and relation of a base_model tag's value."""
    relation, sep, rest = tag_value.partition(":")
    if sep and relation in BASE_MODEL_RELATIONS:
        return rest, relation
    return tag_value, None


def repo_path(path: Path) -> str:
    """A path as the repository names it (data/snapshots/...), absolute when outside it."""
    try:
        return str(path.resolve().relative_to(ORGANIZATIONS_CSV.parent.parent))
    except ValueError:
        return str(path)


def load_snapshot_row(db: sqlite_utils.Database, snapshot: Snapshot, headline: bool, records: int) -> None:
    m = snapshot.manifest
    db["snapshots"].insert(
        {
            "snapshot": snapshot.name, "kind": snapshot.kind, "headline": int(headline),
            "records": records, "collected": m.get("collected"), "source": m.get("source"),
            "source_license": m.get("source_license"), "format": m.get("format"),
            "caveats": json.dumps(m.get("caveats", []), ensure_ascii=False),
            "sha256": m.get("sha256"), "file": repo_path(snapshot.data_file),
            "endpoint": m.get("endpoint"), "client_version": m.get("client_version"),
        },
        replace=True,
    )


def load_census(db: sqlite_utils.Database, snapshot: Snapshot, tag_keys: dict[str, int],
                progress=None) -> int:
    """Insert every record of a census snapshot; returns the number of models loaded.

    `tag_keys` maps tag text -> tag_key across snapshots; it is filled as new tags appear.
    A duplicate id within one snapshot is an error (the unique index raises it with the id).
    """
    conn = db.conn
    name = snapshot.name
    first_key = (conn.execute("select coalesce(max(key), 0) from models").fetchone()[0]) + 1
    key = first_key
    models, model_tags, bases, datasets = [], [], [], []
    source = snapshot.data_file

    def flush():
        conn.executemany("insert into models values (" + ",".join("?" * 16) + ")", models)
        conn.executemany("insert into model_tags values (?, ?)", model_tags)
        conn.executemany("insert into model_base_models values (?, ?, ?, ?, ?, NULL)", bases)
        conn.executemany("insert into model_datasets values (?, ?, ?, ?)", datasets)
        if progress is not None:
            progress(len(models))
        models.clear(); model_tags.clear(); bases.clear(); datasets.clear()

    for lineno, r in iter_records(source):
        model_id = r["id"]
        author, slash, model_name = model_id.partition("/")
        if not slash:  # legacy ids such as "bert-base-uncased" have no namespace
            author, model_name = None, model_id
        tags = r.get("tags") or []
        created = r.get("createdAt")
        placeholder = created in PLACEHOLDER_CREATED_AT
        gated = r.get("gated")
        models.append((
            key, name, model_id, r.get("author", author), model_name, r.get("pipeline_tag"),
            r.get("library_name"), r.get("downloads"), r.get("likes"),
            None if placeholder else created, int(placeholder), r.get("lastModified"), r.get("sha"),
            int(bool(r.get("private"))), None if gated in (None, False) else str(gated),
            json.dumps(tags, ensure_ascii=False),
        ))
        for tag in tags:
            tag_key = tag_keys.get(tag)
            if tag_key is None:
                tag_key = tag_keys[tag] = len(tag_keys) + 1
            model_tags.append((key, tag_key))
            if tag.startswith("base_model:"):
                base, relation = base_model_of(tag[11:])
                bases.append((key, name, model_id, base, relation))
            elif tag.startswith("dataset:"):
                datasets.append((key, name, model_id, tag[8:]))
        key += 1
        if len(models) >= BATCH:
            flush()
    flush()
    return key - first_key


def finish_tags(db: sqlite_utils.Database, tag_keys: dict[str, int]) -> None:
    """Write the tag dictionary, count models per tag, and resolve base models to rows."""
    db.conn.executemany(
        "insert into tags (tag_key, tag, kind, value) values (?, ?, ?, ?)",
        ((k, t, *tag_kind(t)) for t, k in tag_keys.items()),
    )
    db["model_tags"].create_index(["tag", "model"])
    db["model_tags"].create_index(["model"])
    db.execute("update tags set models = (select count(*) from model_tags where model_tags.tag = tags.tag_key)")
    try:
        db["models"].create_index(["snapshot", "id"], unique=True)
    except sqlite3.IntegrityError:
        raise SnapshotError(duplicate_ids_message(db)) from None
    db.execute(
        """update model_base_models set base_model_key = (
             select key from models where models.snapshot = model_base_models.snapshot
             and models.id = model_base_models.base_model)"""
    )
    for table, cols in [
        ("model_base_models", ["model"]), ("model_base_models", ["base_model"]),
        ("model_base_models", ["base_model_key"]), ("model_datasets", ["model"]),
        ("model_datasets", ["dataset"]), ("tags", ["kind", "models"]),
        ("models", ["snapshot", "downloads"]), ("models", ["author"]),
        ("models", ["pipeline_tag"]), ("models", ["library_name"]),
    ]:
        db[table].create_index(cols)
    db["models"].enable_fts(["id"], fts_version="FTS5", create_triggers=False)


def duplicate_ids_message(db: sqlite_utils.Database) -> str:
    """Which ids repeat, in which snapshot file and on which lines (keys run in line order)."""
    rows = db.execute(
        """select m.snapshot, s.file, m.id, group_concat(m.key - f.first + 1, ', ')
           from models m join snapshots s using (snapshot)
           join (select snapshot, min(key) as first from models group by snapshot) f using (snapshot)
           group by m.snapshot, m.id having count(*) > 1 limit 5"""
    ).fetchall()
    return "; ".join(f"{file}: model id {mid!r} appears more than once (lines {lines})"
                     for _, file, mid, lines in rows)


def load_organizations(db: sqlite_utils.Database, path: Path = ORGANIZATIONS_CSV) -> int:
    """The curated namespace -> organization map. Hub namespaces are case-insensitive
    (`Salesforce` and `salesforce` are one), so the key compares without case."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = list(rows[0]) if rows else ["namespace"]
    db.execute(
        "create table organizations (namespace text primary key collate nocase, "
        + ", ".join(f"[{c}] text" for c in columns if c != "namespace") + ")"
    )
    db["organizations"].insert_all(rows)
    return len(rows)
