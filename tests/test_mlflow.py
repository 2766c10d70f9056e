"""MLflow registry ingestion, end to end, against a real MLflow Model Registry.

The registry is MLflow's own SQLAlchemy store on a SQLite file in a temporary folder, filled
through MlflowClient (registered models, versions, aliases, tags, descriptions, deprecated stage
transitions, a deleted version). It is read back by `python -m scripts.acquire.mlflow`, loaded by
the real build beside a cut of the census, and served by Datasette: every model, version, alias
and tag the client reports must come out of the site.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils

if os.environ.get("CI"):
    import mlflow  # CI installs requirements-mlflow.txt: a missing MLflow there is a failure
else:
    mlflow = pytest.importorskip(
        "mlflow", reason="MLflow is optional: pip install -r requirements-mlflow.txt"
    )

from scripts import build, schema  # noqa: E402
from scripts.acquire import mlflow as ingest_mlflow  # noqa: E402
from scripts.acquire.redact import redact_uri  # noqa: E402
from scripts.classify import classify_name  # noqa: E402
from scripts.load import registry  # noqa: E402
from scripts.snapshot.read import SnapshotError, find_snapshots, read_manifest, verify  # noqa: E402
from scripts.snapshot.write import write_snapshot  # noqa: E402
from tests.conftest import SiteClient, make_datasette  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LABEL = "acme-registry"
# No usage telemetry from MLflow, here or in the ingest subprocess: the project runs offline.
ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}


def fill_registry(uri: str) -> None:
    """A small registry with the features the study compares: numbered versions, aliases, tags,
    Markdown descriptions, stage transitions, a deleted version, names that carry a version."""
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("training")

    def version(name, description=None, tags=None, with_run=True):
        run_id = client.create_run(experiment).info.run_id if with_run else None
        source = f"runs:/{run_id}/model" if run_id else f"s3://acme-models/{name}/artifact"
        return client.create_model_version(
            name, source=source, run_id=run_id, tags=tags, description=description
        )

    client.create_registered_model(
        "fraud-detector",
        tags={"team": "risk", "task": "classification"},
        description="# Fraud detector\n\nScores card transactions.",
    )
    for i in range(1, 5):
        version(
            "fraud-detector",
            description=f"retrained, week {i}",
            tags={"validation_status": "approved"} if i == 3 else None,
            with_run=i != 2,
        )
    client.set_registered_model_alias("fraud-detector", "champion", "3")
    client.set_registered_model_alias("fraud-detector", "challenger", "4")

    client.create_registered_model("churn-model-v1", tags={"team": "growth"})
    version("churn-model-v1")
    version("churn-model-v1")
    client.set_registered_model_alias("churn-model-v1", "prod", "2")

    client.create_registered_model("churn-model-v2", description="Second generation: *gradient boosting*.")
    for _ in range(3):
        version("churn-model-v2")
    client.delete_model_version("churn-model-v2", "2")  # numbers are never reused: 1, 3
    client.set_registered_model_alias("churn-model-v2", "prod", "3")
    client.set_registered_model_alias("churn-model-v2", "release_v2_1", "1")

    client.create_registered_model("recsys_2024_05")
    version("recsys_2024_05", tags={"dataset": "clicks-2024-05", "owner": "ml-platform"})

    client.create_registered_model("bob's ranker")  # a quote: the version search must still find it
    version("bob's ranker", with_run=False)

    client.create_registered_model("empty-model", tags={"status": "placeholder"})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated, still served
        client.transition_model_version_stage("fraud-detector", "1", "Production")
        client.transition_model_version_stage("fraud-detector", "1", "Archived")
        client.transition_model_version_stage("fraud-detector", "2", "Staging")
        client.transition_model_version_stage("fraud-detector", "3", "Production")
        client.transition_model_version_stage("churn-model-v1", "2", "Production")


def read_back(uri: str) -> dict:
    """Everything the client says about the registry, straight from MlflowClient: the truth the
    snapshot and the site are compared with."""
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    truth = {}
    for rm in client.search_registered_models(max_results=1000):
        rm = client.get_registered_model(rm.name)
        quote = '"' if "'" in rm.name else "'"
        versions = {
            int(mv.version): mv for mv in client.search_model_versions(f"name = {quote}{rm.name}{quote}")
        }
        truth[rm.name] = {
            "model": rm,
            "aliases": {a: int(v) for a, v in rm.aliases.items()},
            "versions": versions,
        }
    return truth


@pytest.fixture(scope="module")
def registry_uri(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder}/mlflow.db"
    fill_registry(uri)
    return uri


@pytest.fixture(scope="module")
def truth(registry_uri) -> dict:
    return read_back(registry_uri)


def run_ingest(*args):
    return subprocess.run(
        [sys.executable, "-m", "scripts.acquire.mlflow", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def snapshot_dir(registry_uri, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry-snapshots") / LABEL
    result = run_ingest("--tracking-uri", registry_uri, "--name", LABEL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "6 registered models, 10 versions, 5 aliases" in result.stdout
    return out


# --- the snapshot folder -------------------------------------------------------------------------


def test_the_truth_is_what_the_registry_was_filled_with(truth):
    # Guards the comparison below: a fill that silently failed would make every test vacuous.
    assert sorted(truth) == [
        "bob's ranker",
        "churn-model-v1",
        "churn-model-v2",
        "empty-model",
        "fraud-detector",
        "recsys_2024_05",
    ]
    assert sorted(truth["churn-model-v2"]["versions"]) == [1, 3]
    assert truth["fraud-detector"]["versions"][1].current_stage == "Archived"


def test_manifest_describes_the_snapshot(snapshot_dir, registry_uri, truth):
    manifest = read_manifest(snapshot_dir)
    assert manifest["snapshot"] == LABEL and manifest["kind"] == "mlflow-registry"
    assert manifest["records"] == len(truth)
    assert manifest["versions"] == sum(len(t["versions"]) for t in truth.values())
    assert manifest["aliases"] == sum(len(t["aliases"]) for t in truth.values())
    assert manifest["source"] == registry_uri
    assert manifest["client_version"].endswith(mlflow.__version__)
    assert datetime.fromisoformat(manifest["collected"]).tzinfo is not None
    assert manifest["caveats"]
    (snapshot,) = find_snapshots(snapshot_dir.parent)
    verify(snapshot)  # the manifest's sha256 is the data file's
    assert snapshot.kind == "mlflow-registry"
    assert not [p for p in snapshot_dir.parent.iterdir() if p.name.startswith(".")], "temp folder left"


def test_snapshot_holds_every_model_version_alias_and_tag(snapshot_dir, truth):
    with gzip.open(snapshot_dir / read_manifest(snapshot_dir)["file"], "rt", encoding="utf-8") as f:
        records = {r["name"]: r for r in map(json.loads, f)}
    assert records.keys() == truth.keys()
    for name, t in truth.items():
        r, rm = records[name], t["model"]
        assert r["id"] == name
        assert r["description"] == (rm.description or None)
        assert r["tags"] == rm.tags
        assert r["aliases"] == t["aliases"]
        assert r["creation_timestamp"] == rm.creation_timestamp
        assert [v["version"] for v in r["versions"]] == sorted(t["versions"])
        for v in r["versions"]:
            mv = t["versions"][v["version"]]
            assert (
                v["source"],
                v["run_id"],
                v["status"],
                v["current_stage"],
                v["description"],
                v["tags"],
                v["creation_timestamp"],
            ) == (
                mv.source,
                mv.run_id or None,
                mv.status,
                mv.current_stage,
                mv.description or None,
                mv.tags,
                mv.creation_timestamp,
            ), (name, v["version"])


def test_paging_through_the_registry_loses_nothing(registry_uri, snapshot_dir, tmp_path, monkeypatch):
    # Pages of 2: three pages of registered models, two of fraud-detector's versions.
    monkeypatch.setattr(ingest_mlflow, "PAGE_SIZE", 2)
    manifest = ingest_mlflow.ingest(registry_uri, "paged", tmp_path / "paged")
    assert manifest["sha256"] == read_manifest(snapshot_dir)["sha256"]  # byte for byte the same


def test_an_existing_snapshot_is_never_overwritten(snapshot_dir, registry_uri):
    before = (snapshot_dir / "MANIFEST.json").read_bytes()
    result = run_ingest("--tracking-uri", registry_uri, "--name", LABEL, "--out", str(snapshot_dir))
    assert result.returncode == 1
    assert "already exists" in result.stderr and str(snapshot_dir) in result.stderr
    assert (snapshot_dir / "MANIFEST.json").read_bytes() == before


def test_a_missing_sqlite_store_is_an_error_not_an_empty_snapshot(tmp_path):
    missing = tmp_path / "typo.db"
    result = run_ingest("--tracking-uri", f"sqlite:///{missing}", "--name", "x", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert "no such SQLite file" in result.stderr and str(missing) in result.stderr
    assert not missing.exists() and not (tmp_path / "x").exists()


def test_an_interrupted_write_leaves_nothing(tmp_path):
    def records():
        yield {"id": "a", "name": "a", "tags": {}, "aliases": {}, "versions": []}
        raise ConnectionError("tracking server went away")

    out = tmp_path / "snaps" / "broken"
    with pytest.raises(ConnectionError):
        write_snapshot(
            out, "mlflow-registry", records(), {"snapshot": "broken"}, data_file="registry.jsonl.gz"
        )
    assert list((tmp_path / "snaps").iterdir()) == []


@pytest.mark.parametrize(
    "uri, source",
    [
        ("https://alice:s3cret-token@mlflow.example.com:5000/", "https://mlflow.example.com:5000/"),
        (
            "postgresql://ml:pw@db.internal/mlflow?sslmode=require&password=x",
            "postgresql://db.internal/mlflow?sslmode=require",
        ),
        ("sqlite:////srv/mlflow/mlflow.db", "sqlite:////srv/mlflow/mlflow.db"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        ("databricks-uc", "databricks-uc"),
    ],
)
def test_credentials_are_stripped_from_the_source(uri, source):
    assert redact_uri(uri) == source


def test_bad_label_is_refused():
    for label in ["", "../x", ".hidden", "crawl.partial"]:
        with pytest.raises(ingest_mlflow.IngestError):
            ingest_mlflow.check_label(label)


# --- the loader ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(snapshot_dir, tmp_path_factory) -> sqlite_utils.Database:
    db = sqlite_utils.Database(tmp_path_factory.mktemp("loaded") / "registry.db")
    schema.create_all(db)
    (snapshot,) = find_snapshots(snapshot_dir.parent)
    assert registry.load_registry(db, snapshot) == 6
    return db


def test_loaded_tables_match_the_registry(loaded, truth):
    models = {r["name"]: r for r in loaded["registry_models"].rows}
    assert models.keys() == truth.keys()
    versions = {(r["name"], r["version"]): r for r in loaded["registry_versions"].rows}
    assert versions.keys() == {(n, v) for n, t in truth.items() for v in t["versions"]}
    aliases = {(r["name"], r["alias"]): r["version"] for r in loaded["registry_aliases"].rows}
    assert aliases == {(n, a): v for n, t in truth.items() for a, v in t["aliases"].items()}
    tags = {(r["name"], r["version"], r["tag"]): r["value"] for r in loaded["registry_tags"].rows}
    expected_tags = {(n, None, k): v for n, t in truth.items() for k, v in t["model"].tags.items()}
    expected_tags |= {
        (n, num, k): val
        for n, t in truth.items()
        for num, mv in t["versions"].items()
        for k, val in mv.tags.items()
    }
    assert tags == expected_tags
    for name, t in truth.items():
        m = models[name]
        assert m["versions"] == len(t["versions"])
        assert m["latest_version"] == max(t["versions"], default=None)
        assert m["aliases"] == len(t["aliases"])
        assert m["staged_versions"] == sum(mv.current_stage != "None" for mv in t["versions"].values())
        assert m["description"] == (t["model"].description or None)
        for number, mv in t["versions"].items():
            row = versions[(name, number)]
            assert row["stage"] == mv.current_stage
            assert row["registered_model"] == m["key"]
            assert row["is_latest"] == (number == m["latest_version"])
            assert row["created_at"].endswith("Z")
            assert datetime.fromisoformat(row["created_at"]).timestamp() * 1000 == pytest.approx(
                mv.creation_timestamp, abs=1
            )


def test_names_and_aliases_are_classified_like_hub_names(loaded):
    models = {r["name"]: r for r in loaded["registry_models"].rows}
    for name, row in models.items():
        c = classify_name(name)
        assert (row["own_version"], row["seed_rule"], row["primary_form"], row["family"]) == (
            int(c.own_version),
            int(c.seed_rule),
            c.primary_form,
            c.family,
        )
    # What a reader of the names expects, whatever the classifier's internals:
    assert models["churn-model-v2"]["own_version"] == 1 and models["churn-model-v2"]["primary_text"] == "v2"
    assert models["churn-model-v1"]["family"] == models["churn-model-v2"]["family"]
    assert models["fraud-detector"]["own_version"] == 0
    aliases = {r["alias"]: r for r in loaded["registry_aliases"].rows}
    assert aliases["release_v2_1"]["own_version"] == 1
    assert aliases["champion"]["own_version"] == 0 and aliases["prod"]["own_version"] == 0


def test_a_bad_record_is_reported_with_file_and_line(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    lines = [
        {"id": "ok", "name": "ok", "versions": [{"version": 1}], "aliases": {}, "tags": {}},
        {"id": "broken", "name": "broken", "versions": [{"version": "two"}], "aliases": {}, "tags": {}},
    ]
    with gzip.open(folder / "registry.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in lines)
    (folder / "MANIFEST.json").write_text(
        json.dumps({"snapshot": "bad", "kind": "mlflow-registry", "records": 2, "file": "registry.jsonl.gz"})
    )
    (snapshot,) = find_snapshots(tmp_path)
    with pytest.raises(SnapshotError, match=r"registry\.jsonl\.gz:2: registered model 'broken'"):
        db = sqlite_utils.Database(memory=True)
        schema.create_all(db)
        registry.load_registry(db, snapshot)


# --- the site ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_with_registry(fixture_snapshots, snapshot_dir, tmp_path_factory):
    """The real build over the census cut plus the registry snapshot, served by Datasette."""
    snapshots = tmp_path_factory.mktemp("with-registry") / "snapshots"
    shutil.copytree(fixture_snapshots, snapshots)
    shutil.copytree(snapshot_dir, snapshots / LABEL)
    out = snapshots.parent / "build" / "hub.db"
    summary = build.build(out, snapshots, workers=1)
    assert summary["models"][LABEL] == 6
    client = SiteClient(make_datasette(out.parent))
    yield client, out
    client.loop.close()


def rows(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_site_shows_every_model_version_and_alias(site_with_registry, truth):
    client, _ = site_with_registry
    models = rows(client, "/hub/registry_models.json?_shape=objects&_size=max")
    assert sorted((m["name"], m["versions"], m["latest_version"]) for m in models) == sorted(
        (n, len(t["versions"]), max(t["versions"], default=None)) for n, t in truth.items()
    )
    versions = rows(client, "/hub/registry_versions.json?_shape=objects&_size=max")
    assert sorted((v["name"], v["version"], v["stage"], v["source"]) for v in versions) == sorted(
        (n, num, mv.current_stage, mv.source) for n, t in truth.items() for num, mv in t["versions"].items()
    )
    aliases = rows(client, "/hub/registry_aliases.json?_shape=objects&_size=max")
    assert sorted((a["name"], a["alias"], a["version"]) for a in aliases) == sorted(
        (n, a, v) for n, t in truth.items() for a, v in t["aliases"].items()
    )
    snapshot = rows(client, f"/hub/snapshots.json?_shape=objects&snapshot={LABEL}")
    assert snapshot[0]["kind"] == "mlflow-registry" and snapshot[0]["records"] == len(truth)


def test_registry_overview_beside_the_hub(site_with_registry, truth):
    client, db_path = site_with_registry
    by_source = {r["source"]: r for r in rows(client, "/hub/registry_overview.json?_shape=objects")}
    r = by_source[LABEL]
    n = len(truth)
    assert r["kind"] == "MLflow registry" and r["registered_models"] == n
    assert r["model_versions"] == sum(len(t["versions"]) for t in truth.values())
    assert r["share_with_alias"] == round(sum(bool(t["aliases"]) for t in truth.values()) / n, 4)
    assert r["share_with_stage"] == round(
        sum(any(mv.current_stage != "None" for mv in t["versions"].values()) for t in truth.values()) / n, 4
    )
    assert r["names_with_version"] == sum(classify_name(name).own_version for name in truth)
    # The Hub's row for the census beside it, from the census tables.
    conn = sqlite3.connect(db_path)
    hub = by_source["2024-07-11"]
    assert hub["kind"] == "Hub families as registry"
    assert (
        hub["names"]
        == conn.execute("select count(*) from models where snapshot = '2024-07-11'").fetchone()[0]
    )
    assert (
        hub["registered_models"]
        == conn.execute(
            "select count(*) from (select distinct author, family from model_versioning "
            "where snapshot = '2024-07-11' and author is not null)"
        ).fetchone()[0]
    )


def test_registry_queries_count_aliases_stages_and_versioned_names(site_with_registry, truth):
    client, _ = site_with_registry
    aliases = {r["alias"]: r for r in rows(client, "/hub/registry_alias_names.json?_shape=objects")}
    uses: dict[str, list] = {}
    for t in truth.values():
        for alias, v in t["aliases"].items():
            uses.setdefault(alias, []).append(v == max(t["versions"]))
    assert {a: (r["registered_models"], r["on_latest_version"]) for a, r in aliases.items()} == {
        a: (len(u), sum(u)) for a, u in uses.items()
    }

    stages = {r["stage"]: r["versions"] for r in rows(client, "/hub/registry_stage_use.json?_shape=objects")}
    expected: dict[str, int] = {}
    for t in truth.values():
        for mv in t["versions"].values():
            expected[mv.current_stage] = expected.get(mv.current_stage, 0) + 1
    assert stages == expected

    per_model = {
        r["versions"]: r["registered_models"]
        for r in rows(client, f"/hub/registry_versions_per_model.json?_shape=objects&source={LABEL}")
    }
    counts: dict[int, int] = {}
    for t in truth.values():
        counts[len(t["versions"])] = counts.get(len(t["versions"]), 0) + 1
    assert per_model == counts

    named = {r["name"]: r for r in rows(client, "/hub/registry_name_markers.json?_shape=objects")}
    assert set(named) == {n for n in truth if classify_name(n).own_version or classify_name(n).seed_rule}
    assert named["churn-model-v1"]["names_in_family"] == 2
    assert named["churn-model-v2"]["latest_version"] == 3 and named["churn-model-v2"]["name_declares"] == "v2"


# --- refused early, progress, credentials ----------------------------------------------------------

SECRET = "S3cretPassw0rd"


def test_an_empty_tracking_uri_is_refused_before_mlflow_runs(tmp_path):
    stray = ROOT / "mlflow.db"
    existed = stray.exists()
    for args in (
        ["--tracking-uri", ""],
        ["--tracking-uri", " "],
        ["--tracking-uri", "x", "--registry-uri", ""],
    ):
        result = run_ingest(*args, "--name", "x", "--out", str(tmp_path / "x"))
        assert result.returncode == 1, result.stderr
        assert "is empty" in result.stderr and "mlflow.db" in result.stderr
        assert not (tmp_path / "x").exists()
    assert stray.exists() == existed  # MLflow's fallback store was never created


def test_an_unreachable_server_fails_fast_with_the_address_and_no_secret(tmp_path):
    with socket.socket() as s:  # a port of this machine that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://alice:{SECRET}@127.0.0.1:{port}/?token={SECRET}"
    started = time.monotonic()
    result = run_ingest(
        "--tracking-uri", uri, "--name", "x", "--out", str(tmp_path / "x"), "--connect-timeout", "2"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert f"cannot connect to 127.0.0.1:{port} within 2 s" in result.stderr, result.stderr
    assert f"http://127.0.0.1:{port}/" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert elapsed < 30  # MLflow's own retries alone take minutes
    assert not (tmp_path / "x").exists()


def test_a_server_that_hangs_up_fails_without_echoing_credentials(tmp_path):
    # It accepts the connection (the early check passes) and closes it: MLflow's own error then
    # repeats the URL it was given, token and all.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    uri = f"http://alice:{SECRET}@127.0.0.1:{port}/?token={SECRET}"
    out = tmp_path / "snapshots" / "x"
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.acquire.mlflow",
                "--tracking-uri",
                uri,
                "--name",
                "x",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env={**ENV, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        listener.close()
    assert result.returncode == 1
    assert f"ingest-mlflow failed reading http://127.0.0.1:{port}/" in result.stderr, result.stderr
    assert "MlflowException" in result.stderr and "registered-models/search" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert not out.exists()


def test_progress_is_shown_while_the_registry_is_read(registry_uri, tmp_path):
    result = run_ingest(
        "--tracking-uri", registry_uri, "--name", "progress", "--out", str(tmp_path / "p"), "--log-every", "0"
    )
    assert result.returncode == 0, result.stderr
    assert "6 registered models to read" in result.stderr
    counts = [
        line for line in result.stderr.splitlines() if "mlflow: " in line and "registered models/s" in line
    ]
    assert any("mlflow: 1 registered models" in line for line in counts), result.stderr
    assert any("mlflow: 6 registered models" in line for line in counts)
