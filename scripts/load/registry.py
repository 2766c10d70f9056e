"""Load an `mlflow-registry` snapshot (written by scripts.acquire.mlflow) into four tables:

- `registry_models`: one row per registered model, with the version-marker classifier's verdict on
  its name (does the name itself carry a version, as `churn-model-v2` does?)
- `registry_versions`: one row per model version (MLflow's integer version, stage, source, run)
- `registry_aliases`: one row per alias (`models:/name@champion`), with the classifier's verdict
  on the alias name
- `registry_tags`: one row per tag, of a registered model or of a model version

scripts.build calls `load_registry` for each snapshot of kind `mlflow-registry`. The tables are
declared in scripts/schema.py and exist (empty) when no registry was ingested, so the `registry_*`
canned queries always compile and answer with no rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from scripts.classify import classify_name
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import Snapshot, SnapshotError, iter_records

KIND = SnapshotKind.MLFLOW_REGISTRY


def iso_ms(ms) -> str | None:
    """MLflow's milliseconds since the epoch as the Hub's timestamp format, 2024-05-01T09:30:00.123Z."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def classifier_columns(name: str) -> dict:
    """The classifier's verdict on a registry name, as scripts.schema.CLASSIFIER_COLUMNS.

    Registry names have no `author/` part (MLflow forbids '/' in them), so the whole name is the
    name the classifier reads; a Unity Catalog name `catalog.schema.model` is read by its last part.
    """
    c = classify_name(name)
    primary = next((m for m in c.markers if m.refers_to == "self"), None)
    return {
        "seed_rule": int(c.seed_rule),
        "own_version": int(c.own_version),
        "marker_count": len(c.markers),
        "primary_form": c.primary_form,
        "primary_text": primary.text if primary else None,
        "family": c.family,
    }


def classified_part(name: str, unity_catalog: bool) -> str:
    return name.rsplit(".", 1)[-1] if unity_catalog else name


def _check_record(path, lineno: int, r: dict) -> None:
    """Raise SnapshotError naming file and line when a record lacks what the tables need."""

    def bad(what):
        raise SnapshotError(f"{path}:{lineno}: registered model {r.get('id')!r}: {what}")

    if not isinstance(r.get("versions", []), list):
        bad("versions must be a list")
    for field in ("tags", "aliases"):
        if not isinstance(r.get(field, {}), dict):
            bad(f"{field} must be an object")
    seen = set()
    for v in r.get("versions", []):
        if not isinstance(v, dict) or not isinstance(v.get("version"), int):
            bad(f"a version without an integer version number: {v!r:.200}")
        if v["version"] in seen:
            bad(f"version {v['version']} appears twice")
        seen.add(v["version"])
        if not isinstance(v.get("tags", {}), dict):
            bad(f"version {v['version']}: tags must be an object")
    for alias, version in r.get("aliases", {}).items():
        if not isinstance(version, int):
            bad(f"alias {alias!r} must name an integer version, not {version!r}")


def _version_rows(snapshot, name, model_key, version_key, vs, by_version, latest, versions, tags):
    """Append the registry_versions rows of one registered model's versions, and their tags;
    returns (last version key used, version number -> key, versions in a stage)."""
    version_keys = {}
    staged = 0
    for v in vs:
        version_key += 1
        version_keys[v["version"]] = version_key
        stage = v.get("current_stage")
        staged += stage not in (None, "None")
        versions.append(
            {
                "key": version_key,
                "registered_model": model_key,
                "snapshot": snapshot.name,
                "name": name,
                "version": v["version"],
                "created_at": iso_ms(v.get("creation_timestamp")),
                "last_updated_at": iso_ms(v.get("last_updated_timestamp")),
                "stage": stage,
                "status": v.get("status"),
                "status_message": v.get("status_message"),
                "source": v.get("source"),
                "run_id": v.get("run_id"),
                "logged_model_id": v.get("model_id"),
                "user_id": v.get("user_id"),
                "description": v.get("description"),
                "aliases": ", ".join(sorted(by_version.get(v["version"], []))) or None,
                "is_latest": int(v["version"] == latest),
            }
        )
        for tag, value in (v.get("tags") or {}).items():
            tags.append(
                {
                    "registered_model": model_key,
                    "model_version": version_key,
                    "snapshot": snapshot.name,
                    "name": name,
                    "version": v["version"],
                    "level": "model_version",
                    "tag": tag,
                    "value": value,
                }
            )
    return version_key, version_keys, staged


def _last_keys(db: sqlite_utils.Database, snapshot: Snapshot) -> tuple[int, int]:
    """The highest registry_models and registry_versions keys so far (new rows number on)."""
    conn = db.conn
    if conn.execute("select 1 from registry_models where snapshot = ?", [snapshot.name]).fetchone():
        raise SnapshotError(
            f"{snapshot.folder}: a registry snapshot named {snapshot.name!r} is already loaded"
        )
    model_key = conn.execute("select coalesce(max(key), 0) from registry_models").fetchone()[0]
    version_key = conn.execute("select coalesce(max(key), 0) from registry_versions").fetchone()[0]
    return model_key, version_key


def load_registry(db: sqlite_utils.Database, snapshot: Snapshot) -> int:
    """Insert every registered model of an mlflow-registry snapshot; returns how many.

    The caller (scripts.build) verifies the snapshot's sha256 and writes its `snapshots` row.
    """
    if snapshot.kind != KIND:
        raise SnapshotError(f"{snapshot.folder / 'MANIFEST.json'}: kind {snapshot.kind!r}, expected {KIND!r}")
    source = str(snapshot.manifest.get("registry_source") or snapshot.manifest.get("source") or "")
    unity_catalog = source.startswith("databricks-uc")
    model_key, version_key = _last_keys(db, snapshot)
    models, versions, aliases, tags = [], [], [], []
    names: dict[str, int] = {}
    path = snapshot.data_file
    for lineno, r in iter_records(path):
        _check_record(path, lineno, r)
        name = r.get("name", r["id"])
        if name in names:
            raise SnapshotError(f"{path}:{lineno}: registered model {name!r} already on line {names[name]}")
        names[name] = lineno
        model_key += 1
        vs = r.get("versions", [])
        latest = max((v["version"] for v in vs), default=None)
        alias_map = r.get("aliases", {})
        by_version: dict[int, list[str]] = {}
        for alias, v in alias_map.items():
            by_version.setdefault(v, []).append(alias)
        version_key, version_keys, staged = _version_rows(
            snapshot, name, model_key, version_key, vs, by_version, latest, versions, tags
        )
        for tag, value in (r.get("tags") or {}).items():
            tags.append(
                {
                    "registered_model": model_key,
                    "model_version": None,
                    "snapshot": snapshot.name,
                    "name": name,
                    "version": None,
                    "level": "registered_model",
                    "tag": tag,
                    "value": value,
                }
            )
        for alias, v in sorted(alias_map.items()):
            aliases.append(
                {
                    "registered_model": model_key,
                    "model_version": version_keys.get(v),
                    "snapshot": snapshot.name,
                    "name": name,
                    "alias": alias,
                    "version": v,
                    **classifier_columns(alias),
                }
            )
        models.append(
            {
                "key": model_key,
                "snapshot": snapshot.name,
                "name": name,
                "description": r.get("description"),
                "created_at": iso_ms(r.get("creation_timestamp")),
                "last_updated_at": iso_ms(r.get("last_updated_timestamp")),
                "versions": len(vs),
                "latest_version": latest,
                "aliases": len(alias_map),
                "tags": len(r.get("tags") or {}),
                "staged_versions": staged,
                **classifier_columns(classified_part(name, unity_catalog)),
            }
        )
    expected = snapshot.manifest.get("records")
    if expected is not None and expected != len(models):
        raise SnapshotError(
            f"{path}: {len(models)} registered models, {snapshot.folder / 'MANIFEST.json'} says {expected}"
        )
    db["registry_models"].insert_all(models)
    db["registry_versions"].insert_all(versions)
    db["registry_aliases"].insert_all(aliases)
    db["registry_tags"].insert_all(tags)
    return len(models)
