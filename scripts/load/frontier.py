"""Load stage for a model-list snapshot of frontier releases (Interconnects-AI/tracked-models):
`models.csv` (the primary list) and `extra_models.csv` (the secondary list), header
`org,model,modelId`, with each model's parameters (`model_parameters.csv`), its organization's
region (`organization_regions.csv`) and any release-date correction (`release_date_corrections.csv`,
after `#` comment lines) joined in, into `frontier_models`; then every id classified into
`listed_versioning` (scripts/derive/listed_versioning.py).

Each file is checked against its manifest entry (sha256, rows); modelId must be org/model, an id
listed once; a parameter count a number; a date YYYY-MM-DD. Errors name file and line.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import sqlite_utils

from scripts import schema
from scripts.derive import listed_versioning
from scripts.load.csv_rows import check_rows, csv_rows, model_id
from scripts.snapshot.read import Snapshot, SnapshotError, listed_files, verify

LISTS = {"models.csv": "primary", "extra_models.csv": "secondary"}
HEADERS = {
    "models.csv": ("org", "model", "modelId"),
    "extra_models.csv": ("org", "model", "modelId"),
    "model_parameters.csv": ("model_id", "total_params_b", "active_params_b", "is_moe", "notes"),
    "organization_regions.csv": ("hf_org", "region", "notes"),
    "release_date_corrections.csv": ("model_id", "hf_created_at", "actual_release_date", "notes"),
}
IDS = "select model_id, null, null from frontier_models where snapshot = :snapshot order by model_id"


def number(where: str, field: str, value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        raise SnapshotError(f"{where}: {field} {value!r} is not a number") from None


def date(where: str, field: str, value: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SnapshotError(f"{where}: {field} {value!r} is not a date (YYYY-MM-DD)") from None


def read_file(snapshot: Snapshot, name: str, rows_expected: int | None) -> list[tuple[str, int, list[str]]]:
    path = snapshot.folder / name
    rows = [(f"{path}:{line}", line, fields) for line, fields in csv_rows(path, HEADERS[name])]
    check_rows(snapshot, path, rows_expected, len(rows))
    return rows


def context(files: dict[str, list]) -> tuple[dict, dict, dict]:
    """Parameters per model id, region per organization, release-date correction per model id."""
    params, regions, releases = {}, {}, {}
    for where, _line, (model, total, active, moe, notes) in files["model_parameters.csv"]:
        params[model_id(where, "model_id", model)] = (
            number(where, "total_params_b", total),
            number(where, "active_params_b", active),
            {"": None, "true": 1, "false": 0, "True": 1, "False": 0}.get(moe, moe),
            notes or None,
        )
    for _where, _line, (org, region, _notes) in files["organization_regions.csv"]:
        regions[org.lower()] = region or None
    for where, _line, (model, created, actual, notes) in files["release_date_corrections.csv"]:
        releases[model_id(where, "model_id", model)] = (
            date(where, "hf_created_at", created),
            date(where, "actual_release_date", actual),
            notes or None,
        )
    return params, regions, releases


def read_frontier(snapshot: Snapshot) -> list[schema.FrontierModel]:
    verify(snapshot)
    entries = {e["file"]: e for e in listed_files(snapshot)}
    missing = set(HEADERS) - set(entries)
    if missing:
        raise SnapshotError(
            f"{snapshot.folder / 'MANIFEST.json'}: does not list {', '.join(sorted(missing))}"
        )
    files = {name: read_file(snapshot, name, entries[name].get("rows")) for name in HEADERS}
    params, regions, releases = context(files)
    out, seen = [], {}
    for name, list_name in LISTS.items():
        for where, line, (org, model, listed_id) in files[name]:
            model_id(where, "modelId", listed_id)
            if listed_id != f"{org}/{model}":
                raise SnapshotError(f"{where}: modelId {listed_id!r} is not org/model ({org}/{model})")
            if listed_id in seen:
                raise SnapshotError(f"{where}: {listed_id} is also listed at {seen[listed_id]}")
            seen[listed_id] = where
            total, active, moe, param_notes = params.get(listed_id, (None, None, None, None))
            hf_created, released, release_notes = releases.get(listed_id, (None, None, None))
            out.append(
                schema.FrontierModel(
                    snapshot.name, listed_id, org, model, list_name, name, line,
                    regions.get(org.lower()), total, active, moe, param_notes, hf_created, released, release_notes,
                    None, None, None, None,
                )
            )  # fmt: skip
    check_rows(snapshot, snapshot.folder, snapshot.manifest.get("records"), len(out), "listed models")
    return out


def load_frontier(db: sqlite_utils.Database, snapshot: Snapshot, mapper: Callable = map) -> int:
    """The checked rows into frontier_models, then their ids classified; returns the models loaded."""
    rows = read_frontier(snapshot)
    db.conn.executemany(schema.FRONTIER_MODELS.insert, rows)
    listed_versioning.classify_snapshot_ids(db, snapshot.name, IDS, mapper)
    return len(rows)
