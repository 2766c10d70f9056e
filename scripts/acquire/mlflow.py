"""Snapshot an MLflow Model Registry into a snapshot folder of kind `mlflow-registry`.

    python -m scripts.acquire.mlflow --tracking-uri URI --name LABEL [--registry-uri URI] [--out DIR]
        [--connect-timeout 5]

It reads the registry through MLflow's own client (`mlflow.MlflowClient`), so whatever MLflow can
reach works: a tracking server (`http://host:5000`, credentials from the usual
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD / MLFLOW_TRACKING_TOKEN variables), a database
store (`sqlite:///mlflow.db`, `postgresql://...`) or Databricks (`databricks`, `databricks-uc`).

Before the client is made, the URIs are checked: an empty one is refused (MLflow would fall back
to a new `./mlflow.db`), a `sqlite:` file must exist (MLflow would create an empty store), and the
host of a server or database must accept a TCP connection within --connect-timeout seconds
(MLflow's own client retries a refused connection for minutes, silently). Credentials in a URI
(user info, token or password parameters) are redacted from everything logged, printed or written.

The folder (`data/snapshots/<LABEL>/` by default) holds `MANIFEST.json` and `registry.jsonl.gz`: one
registered model per line with its tags, aliases and every model version nested, in MLflow's own
field names, written by scripts/snapshot/write.py (a hidden staging folder renamed into place, so an
interrupted run leaves nothing that `scripts.build` would load; an existing folder is never
overwritten). MLflow is optional: `pip install -r requirements-mlflow.txt`.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from scripts.acquire.http import Progress, setup_logging
from scripts.acquire.redact import redact_text, redact_uri
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR
from scripts.snapshot.write import SnapshotExists, write_snapshot

log = logging.getLogger("acquire.mlflow")

DATA_FILE = "registry.jsonl.gz"
PAGE_SIZE = 1000  # registered models per search page; MLflow servers cap it at 1000
# Where a URI of these schemes listens when it names no port.
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "postgres": 5432, "mysql": 3306, "mssql": 1433}

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


def check_label(label: str) -> str:
    """A snapshot label must be a plain folder name that find_snapshots will not skip."""
    if not label or "/" in label or "\\" in label or label.startswith(".") or label.endswith(".partial"):
        raise IngestError(
            f"--name {label!r}: must be a plain folder name (no '/', not starting with '.', "
            "not ending in '.partial')"
        )
    return label


def check_uri(option: str, uri: str | None, timeout: float) -> None:
    """Refuse an empty URI and a missing SQLite file; check that a server's host answers, quickly."""
    if uri is None:
        return
    if not uri.strip():
        raise IngestError(
            f"{option} is empty; give the registry's URI, e.g. http://localhost:5000 or sqlite:///path/mlflow.db "
            "(MLflow would otherwise create a new, empty ./mlflow.db)"
        )
    if uri.startswith("sqlite:"):
        check_sqlite_exists(uri)
        return
    parts = urlsplit(uri)
    scheme = parts.scheme.partition("+")[0].lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        raise IngestError(f"{option} {redact_uri(uri)}: the port is not a number") from None
    if not parts.hostname or port is None:
        return  # databricks, a file store, a scheme whose client finds its own way
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise IngestError(
            f"{option} {redact_uri(uri)}: cannot connect to {parts.hostname}:{port} within {timeout:g} s "
            f"({reason}); is the server running and the address right?"
        ) from None


def check_sqlite_exists(uri: str) -> None:
    """MLflow creates an empty store for a sqlite:/// path that does not exist; a typo in the path
    would then give an empty snapshot instead of an error."""
    from sqlalchemy.engine import make_url

    database = make_url(uri).database
    if not database or database == ":memory:":
        raise IngestError(f"{redact_uri(uri)}: an in-memory SQLite store holds no registry to snapshot")
    path = Path(database)
    if not path.is_file():
        raise IngestError(f"{redact_uri(uri)}: no such SQLite file ({path}); check the path")


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
        "id": rm.name,  # the snapshot reader wants a string id on every line
        "name": rm.name,
        "description": rm.description or None,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
        "tags": dict(sorted((rm.tags or {}).items())),
        "aliases": aliases,
        "versions": sorted((version_record(mv) for mv in versions), key=lambda v: v["version"]),
    }


def registry_records(client, counts: dict, log_every: float = 10.0) -> Iterator[dict]:
    """One record per registered model, in name order, read through MLflow's paged search; counts
    the versions and aliases in `counts` and shows progress while it reads."""
    from mlflow.utils import get_results_from_paginated_fn

    summaries = get_results_from_paginated_fn(
        lambda n, token: client.search_registered_models(max_results=n, page_token=token), PAGE_SIZE
    )
    # Sorted here rather than with order_by, which not every registry backend accepts.
    names = sorted({summary.name for summary in summaries})
    log.info("%d registered models to read", len(names))
    progress = Progress(len(names), 0, "mlflow", log_every, unit="registered models")
    try:
        for name in names:
            # get_registered_model returns tags and aliases in full; some backends' search does not.
            rm = client.get_registered_model(name)
            versions = get_results_from_paginated_fn(
                lambda n, token, rm=rm: client.search_model_versions(
                    name_filter(rm.name), max_results=n, page_token=token
                ),
                PAGE_SIZE,
            )
            record = model_record(rm, versions)
            counts["versions"] += len(record["versions"])
            counts["aliases"] += len(record["aliases"])
            progress.update(1, f"{counts['versions']:,} versions")
            yield record
    finally:
        progress.close()


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


def manifest_fields(label: str, tracking_uri: str, registry_uri: str | None, counts: dict) -> dict:
    source, registry_source = redact_uri(tracking_uri), redact_uri(registry_uri) if registry_uri else None
    return {
        "snapshot": label,
        "versions": counts["versions"],
        "aliases": counts["aliases"],
        "format": "gzip JSON Lines; one object per registered model in MLflow's field names "
        "(id = name), with its tags, aliases ({alias: version}) and every model version "
        "nested under versions, sorted by name",
        "fields": MODEL_FIELDS,
        "version_fields": VERSION_FIELDS,
        "collected": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        **({"registry_source": registry_source} if registry_source and registry_source != source else {}),
        "source_license": "private: the registry's owner decides whether it may be shared",
        "client_version": mlflow_distribution(),
        "caveats": CAVEATS,
    }


def ingest(
    tracking_uri: str,
    label: str,
    out: Path | None = None,
    registry_uri: str | None = None,
    connect_timeout: float = 5.0,
    log_every: float = 10.0,
) -> dict:
    """Read the registry at tracking_uri (and registry_uri, default the same) into a snapshot."""
    check_label(label)
    out = Path(out) if out is not None else DEFAULT_SNAPSHOTS_DIR / label
    if out.exists():
        raise IngestError(
            f"{out}: already exists; a snapshot is never overwritten, pick another --name or --out"
        )
    check_uri("--tracking-uri", tracking_uri, connect_timeout)
    check_uri("--registry-uri", registry_uri, connect_timeout)
    # The client must not phone home (MLflow's usage telemetry): the project runs without network.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        from mlflow import MlflowClient
    except ModuleNotFoundError:
        raise IngestError("MLflow is not installed: pip install -r requirements-mlflow.txt") from None
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
    counts = {"versions": 0, "aliases": 0}
    with warnings.catch_warnings():
        # Stages are deprecated; reading current_stage still warns on some versions.
        warnings.simplefilter("ignore", FutureWarning)
        try:
            return write_snapshot(
                out,
                SnapshotKind.MLFLOW_REGISTRY,
                registry_records(client, counts, log_every),
                lambda _records: manifest_fields(label, tracking_uri, registry_uri, counts),
                data_file=DATA_FILE,
                compresslevel=9,
            )
        except SnapshotExists as e:
            raise IngestError(f"{e}; pick another --name or --out") from None


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
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        help="seconds to wait for the server's host (default %(default)s)",
    )
    parser.add_argument(
        "--log-every", type=float, default=10.0, help="seconds between progress lines when not on a terminal"
    )
    args = parser.parse_args(argv)
    setup_logging(args.tracking_uri, args.registry_uri)
    logging.captureWarnings(True)  # MLflow's warnings repeat URIs: through the redacting log records
    try:
        manifest = ingest(
            args.tracking_uri, args.name, args.out, args.registry_uri, args.connect_timeout, args.log_every
        )
    except IngestError as e:
        log.error("ingest-mlflow failed: %s", e)
        return 1
    except Exception as e:  # MlflowException and connection errors: say which registry failed
        message = redact_text(str(e), args.tracking_uri, args.registry_uri)
        log.error(
            "ingest-mlflow failed reading %s: %s: %s",
            redact_uri(args.tracking_uri),
            type(e).__name__,
            message,
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
