"""Snapshot an MLflow Model Registry into a snapshot folder of kind `mlflow-registry`.

    python -m scripts.ingest_mlflow --tracking-uri URI --name LABEL [--registry-uri URI] [--out DIR]

It reads the registry through MLflow's own client (`mlflow.MlflowClient`), so whatever MLflow can
reach works: a tracking server (`http://host:5000`, credentials from the usual
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD / MLFLOW_TRACKING_TOKEN variables), a database
store (`sqlite:///mlflow.db`, `postgresql://...`) or Databricks (`databricks`, `databricks-uc`).

The folder (`data/snapshots/<LABEL>/` by default) holds `MANIFEST.json` and `registry.jsonl.gz`: one
registered model per line with its tags, aliases and every model version nested, in MLflow's own
field names. It is written into a hidden temporary folder and renamed into place at the end, so an
interrupted run leaves nothing that `scripts.build` would load; an existing folder is never
overwritten. MLflow is optional: `pip install -r requirements-mlflow.txt`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from scripts.snapshots import DEFAULT_SNAPSHOTS_DIR, sha256_of

KIND = "mlflow-registry"
DATA_FILE = "registry.jsonl.gz"
PAGE_SIZE = 1000  # registered models per search page; MLflow servers cap it at 1000

MODEL_FIELDS = [
    "id",
    "name",
    "description",
    "creation_timestamp",
    "last_updated_timestamp",
    "tags",
    "aliases",
    "versions",
]
VERSION_FIELDS = [
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "source",
    "run_id",
    "status",
    "status_message",
    "current_stage",
    "description",
    "tags",
    "user_id",
    "model_id",
]

CAVEATS = [
    "aliases, stages, tags and descriptions are as they stood at collection time: MLflow keeps no "
    "history of an alias moving from one version to another",
    "deleted model versions and deleted registered models are absent; MLflow never reuses a "
    "version number, so a deleted version leaves a gap in a model's numbering",
    "current_stage is MLflow's deprecated stage ('None', 'Staging', 'Production', 'Archived'); it "
    "is null where the registry has no stages (Databricks Unity Catalog)",
    "timestamps are milliseconds since 1970-01-01 UTC, as MLflow stores them",
    "a registry is private: unlike the Hub census, these records describe one team's practice",
]


class IngestError(Exception):
    """A snapshot that cannot be written; the message says why and where."""


def strip_credentials(uri: str) -> str:
    """The URI without a user name, password, query or fragment, for the manifest's `source`.

    `https://alice:secret@mlflow.example.com/` -> `https://mlflow.example.com/`;
    `postgresql://u:p@db/mlflow?sslmode=require&password=x` -> `postgresql://db/mlflow`.
    The query is dropped whole because database drivers accept passwords and tokens there.
    Rebuilt by hand, not with urlunsplit, which would turn `sqlite:////abs/path` into
    `sqlite://abs/path`.
    """
    parts = urlsplit(uri)
    if "://" not in uri:  # "databricks", "databricks-uc", a bare path
        return uri.split("?", 1)[0].split("#", 1)[0]
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}"


def redact(text: str, uri: str | None) -> str:
    """text with the URI's user name and password removed (MLflow's errors repeat the full URL)."""
    if not uri:
        return text
    userinfo = urlsplit(uri).netloc.rpartition("@")[0]
    if userinfo:
        text = text.replace(userinfo + "@", "")
        password = userinfo.partition(":")[2]
        if len(password) >= 6:  # a short one would also blank out ordinary letters
            text = text.replace(password, "***")
    return text


def check_label(label: str) -> str:
    """A snapshot label must be a plain folder name that find_snapshots will not skip."""
    if not label or "/" in label or "\\" in label or label.startswith(".") or label.endswith(".partial"):
        raise IngestError(
            f"--name {label!r}: must be a plain folder name (no '/', not starting with '.', "
            "not ending in '.partial')"
        )
    return label


def name_filter(name: str) -> str:
    """An MLflow filter string selecting one registered model's versions by exact name.

    MLflow's filter grammar has no escape character; a name is quoted with whichever of ' and "
    it does not contain.
    """
    for quote in ("'", '"'):
        if quote not in name:
            return f"name = {quote}{name}{quote}"
    raise IngestError(
        f"registered model {name!r}: contains both ' and \", which an MLflow filter "
        "string cannot quote; rename it to snapshot it"
    )


def version_record(mv) -> dict:
    return {
        "version": int(mv.version),
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "source": mv.source,
        "run_id": mv.run_id or None,
        "status": mv.status,
        "status_message": mv.status_message or None,
        "current_stage": getattr(mv, "current_stage", None),
        "description": mv.description or None,
        "tags": dict(sorted((mv.tags or {}).items())),
        "user_id": getattr(mv, "user_id", None) or None,
        # MLflow 3 links a version to a LoggedModel; absent in older registries.
        "model_id": getattr(mv, "model_id", None) or None,
    }


def model_record(rm, versions: Iterable) -> dict:
    # RegisteredModel.aliases is {alias: version}; versions from search may lack aliases.
    aliases = {alias: int(v) for alias, v in sorted((rm.aliases or {}).items())}
    return {
        "id": rm.name,  # scripts.snapshots.iter_records wants a string id on every line
        "name": rm.name,
        "description": rm.description or None,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
        "tags": dict(sorted((rm.tags or {}).items())),
        "aliases": aliases,
        "versions": sorted((version_record(mv) for mv in versions), key=lambda v: v["version"]),
    }


def registry_records(client) -> Iterator[dict]:
    """One record per registered model, in name order, read through MLflow's paged search."""
    from mlflow.utils import get_results_from_paginated_fn

    summaries = get_results_from_paginated_fn(
        lambda n, token: client.search_registered_models(max_results=n, page_token=token),
        PAGE_SIZE,
    )
    # Sorted here rather than with order_by, which not every registry backend accepts.
    for name in sorted({summary.name for summary in summaries}):
        # get_registered_model returns tags and aliases in full; some backends' search does not.
        rm = client.get_registered_model(name)
        versions = get_results_from_paginated_fn(
            lambda n, token, rm=rm: client.search_model_versions(
                name_filter(rm.name), max_results=n, page_token=token
            ),
            PAGE_SIZE,
        )
        yield model_record(rm, versions)


def write_snapshot(
    records: Iterable[dict],
    out: Path,
    label: str,
    source: str,
    client_version: str,
    registry_source: str | None = None,
) -> dict:
    """Write MANIFEST.json and the data file into `out` atomically; returns the manifest."""
    out = Path(out)
    if out.exists():
        raise IngestError(
            f"{out}: already exists; a snapshot is never overwritten, pick another --name or --out"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    # A dot-prefixed sibling: find_snapshots skips it, and the final rename stays on one file system.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        counts = {"records": 0, "versions": 0, "aliases": 0}
        # mtime=0 keeps the gzip header free of the write time: same registry, same sha256.
        with open(tmp / DATA_FILE, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            for record in records:
                gz.write(json.dumps(record, ensure_ascii=False, sort_keys=False).encode("utf-8") + b"\n")
                counts["records"] += 1
                counts["versions"] += len(record["versions"])
                counts["aliases"] += len(record["aliases"])
        manifest = {
            "snapshot": label,
            "kind": KIND,
            "records": counts["records"],
            "versions": counts["versions"],
            "aliases": counts["aliases"],
            "file": DATA_FILE,
            "sha256": sha256_of(tmp / DATA_FILE),
            "format": "gzip JSON Lines; one object per registered model in MLflow's field names "
            "(id = name), with its tags, aliases ({alias: version}) and every model version "
            "nested under versions, sorted by name",
            "fields": MODEL_FIELDS,
            "version_fields": VERSION_FIELDS,
            "collected": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": source,
            **({"registry_source": registry_source} if registry_source and registry_source != source else {}),
            "source_license": "private: the registry's owner decides whether it may be shared",
            "client_version": client_version,
            "caveats": CAVEATS,
        }
        (tmp / "MANIFEST.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if out.exists():  # created by someone else while we read the registry
            raise IngestError(f"{out}: appeared while the snapshot was written; not overwriting it")
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def check_sqlite_exists(uri: str) -> None:
    """MLflow creates an empty store for a sqlite:/// path that does not exist; a typo in the path
    would then give an empty snapshot instead of an error."""
    if uri.startswith("sqlite:"):
        from sqlalchemy.engine import make_url

        database = make_url(uri).database
        if not database or database == ":memory:":
            raise IngestError(f"{uri}: an in-memory SQLite store holds no registry to snapshot")
        path = Path(database)
        if not path.is_file():
            raise IngestError(f"{uri}: no such SQLite file ({path}); check the path")


def mlflow_distribution() -> str:
    """'mlflow 3.x' or 'mlflow-skinny 3.x', whichever provides the `mlflow` package here."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("mlflow", "mlflow-skinny"):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    import mlflow

    return f"mlflow {mlflow.__version__}"


def ingest(tracking_uri: str, label: str, out: Path | None = None, registry_uri: str | None = None) -> dict:
    """Read the registry at tracking_uri (and registry_uri, default the same) into a snapshot."""
    check_label(label)
    out = Path(out) if out is not None else DEFAULT_SNAPSHOTS_DIR / label
    if out.exists():
        raise IngestError(
            f"{out}: already exists; a snapshot is never overwritten, pick another --name or --out"
        )
    # The client must not phone home (MLflow's usage telemetry): the project runs without network.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    check_sqlite_exists(tracking_uri)
    if registry_uri:
        check_sqlite_exists(registry_uri)
    try:
        from mlflow import MlflowClient
    except ModuleNotFoundError:
        raise IngestError("MLflow is not installed: pip install -r requirements-mlflow.txt") from None
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
    with warnings.catch_warnings():
        # Stages are deprecated; reading current_stage still warns on some versions.
        warnings.simplefilter("ignore", FutureWarning)
        return write_snapshot(
            registry_records(client),
            out,
            label,
            strip_credentials(tracking_uri),
            mlflow_distribution(),
            strip_credentials(registry_uri) if registry_uri else None,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tracking-uri",
        required=True,
        help="MLflow tracking URI, e.g. http://localhost:5000 or sqlite:///mlflow.db",
    )
    parser.add_argument("--registry-uri", help="model registry URI when it differs from the tracking URI")
    parser.add_argument(
        "--name", required=True, help="snapshot label, the folder's name (e.g. acme-2024-08-01)"
    )
    parser.add_argument("--out", type=Path, help=f"snapshot folder (default: {DEFAULT_SNAPSHOTS_DIR}/LABEL)")
    args = parser.parse_args(argv)
    try:
        manifest = ingest(args.tracking_uri, args.name, args.out, args.registry_uri)
    except IngestError as e:
        print(f"ingest-mlflow failed: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # MlflowException and connection errors: say which registry failed
        message = redact(redact(str(e), args.tracking_uri), args.registry_uri)
        print(
            f"ingest-mlflow failed reading {strip_credentials(args.tracking_uri)}: "
            f"{type(e).__name__}: {message}",
            file=sys.stderr,
        )
        return 1
    out = args.out or DEFAULT_SNAPSHOTS_DIR / args.name
    print(
        f"{out}: {manifest['records']} registered models, {manifest['versions']} versions, "
        f"{manifest['aliases']} aliases ({manifest['client_version']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
