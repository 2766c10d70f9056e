"""Load stage for git refs: `<snapshot>/refs/` (written by scripts/acquire/refs.py) -> `model_refs` and
`model_commit_counts`.

- `model_refs`: one row per branch or tag of a model, with the version-marker classifier's reading
  of the ref's name (the same classifier as for model names), so that a branch `v1.2-jazzy` or
  `step143000` counts as a version kept outside the name.
- `model_commit_counts`: one row per model whose refs were asked for (the snapshot's top N by
  downloads), with the Hub's answer (`status`), how many branches and tags it has, and its number of
  commits on main. This is the denominator of "among the top N".

The build calls `load_refs(db, snapshot)` for every census snapshot once its models are loaded.
Both tables are declared in scripts/schema.py, and exist (empty) when no snapshot has refs, so
that the canned queries always compile.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.schema import CommitCount, Ref
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import Snapshot, SnapshotError, iter_records, read_manifest, verify

REFS_DIR = "refs"


def classify_ref(name: str) -> tuple[int, int, str | None, str | None]:
    """(seed_rule, own_version, first marker's text, its form) for a branch or tag name.

    The classifier reads model ids (`author/name`); a ref name has no author, and a `/` inside it
    (`release/v2`) separates words, not an author, so it is read as `release-v2`.
    """
    c = classify_name(name.replace("/", "-"))
    first = c.markers[0] if c.markers else None
    return int(c.seed_rule), int(c.own_version), first and first.text, first and first.form


def refs_snapshot(snapshot: Snapshot) -> Snapshot | None:
    folder = snapshot.folder / REFS_DIR
    if not (folder / "MANIFEST.json").is_file():
        return None
    manifest = read_manifest(folder)
    if manifest.get("kind") != SnapshotKind.REFS:
        raise SnapshotError(f"{folder / 'MANIFEST.json'}: kind {manifest.get('kind')!r}, expected 'refs'")
    if manifest.get("snapshot") not in (None, snapshot.name):
        raise SnapshotError(
            f"{folder / 'MANIFEST.json'}: collected for snapshot {manifest.get('snapshot')!r}, "
            f"but it lies in {snapshot.name!r}"
        )
    return Snapshot(snapshot.name, folder, manifest)


def load_refs(db: sqlite_utils.Database, snapshot: Snapshot) -> int:
    """Load the refs of one census snapshot; returns the model_refs rows loaded (0 without refs)."""
    refs = refs_snapshot(snapshot)
    if refs is None:
        return 0
    verify(refs)
    conn = db.conn
    keys = dict(conn.execute("select id, key from models where snapshot = ?", [snapshot.name]).fetchall())
    ref_rows, count_rows = [], []
    classified: dict[str, tuple] = {}
    path = refs.data_file
    for lineno, rec in iter_records(path):
        model_id = rec["id"]
        key = keys.get(model_id)
        if key is None:
            raise SnapshotError(f"{path}:{lineno}: {model_id} is not a model of snapshot {snapshot.name}")
        branches, tags = rec.get("branches") or [], rec.get("tags") or []
        for kind, items in (("branch", branches), ("tag", tags)):
            if not isinstance(items, list):
                raise SnapshotError(f"{path}:{lineno}: {kind} list of {model_id} is not a list")
            for item in items:
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    raise SnapshotError(f"{path}:{lineno}: a {kind} of {model_id} has no name")
                if name not in classified:
                    classified[name] = classify_ref(name)
                seed_rule, own_version, marker_text, marker_form = classified[name]
                ref_rows.append(
                    Ref(
                        snapshot=snapshot.name,
                        model=key,
                        model_id=model_id,
                        kind=kind,
                        name=name,
                        ref=item.get("ref"),
                        target_commit=item.get("targetCommit"),
                        is_main=int(kind == "branch" and name == "main"),
                        seed_rule=seed_rule,
                        own_version=own_version,
                        marker_text=marker_text,
                        marker_form=marker_form,
                    )
                )
        count_rows.append(
            CommitCount(
                snapshot=snapshot.name,
                model=key,
                model_id=model_id,
                rank=rec.get("rank"),
                downloads=rec.get("downloads"),
                status=rec.get("status", "ok"),
                branches=len(branches),
                tags=len(tags),
                commit_count=rec.get("commit_count"),
            )
        )
    conn.executemany(schema.MODEL_REFS.insert, ref_rows)
    try:
        conn.executemany(schema.MODEL_COMMIT_COUNTS.insert, count_rows)
    except sqlite3.IntegrityError as e:  # the unique index on model: the refs file lists a model twice
        raise SnapshotError(f"{path}: lists a model twice ({e})") from None
    return len(ref_rows)
