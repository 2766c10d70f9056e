"""Shared fixtures: a small census cut from the real vendored snapshots, a database built from it by
the real build, and the real Datasette app serving it the way `make serve` does."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
from pathlib import Path

import pytest

from scripts import build
from scripts.load.validation import VALIDATION_DIR, read_labels
from scripts.publish import site as site_config
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, read_manifest
from scripts.snapshot.write import write_snapshot

ROOT = Path(__file__).resolve().parent.parent

# Authors whose whole output the cut keeps, so that company, family and RL queries have real rows.
FIXTURE_AUTHORS = {
    "meta-llama",
    "facebook",
    "google",
    "mistralai",
    "microsoft",
    "openai",
    "Qwen",
    "stabilityai",
    "nvidia",
    "TheBloke",
    "sb3",
    "ThomasSimonini",
    "distilbert",
    "google-bert",
    "EleutherAI",
}


# The labelled ids, so that the fixture's validation_labels meets every one of them in its census.
_VALIDATION_MANIFEST, _LABELS = read_labels(VALIDATION_DIR)
VALIDATION_CENSUS = _VALIDATION_MANIFEST["census"]
LABELLED_IDS = frozenset(label.model_id for label in _LABELS)


def cut_snapshot(source: Path, dest: Path, step: int, per_author: int = 400) -> int:
    """Copy part of a vendored census into dest, line for line, with a fresh manifest.

    Kept: the 1,500 most downloaded models, every step-th record, up to per_author models of
    each FIXTURE_AUTHORS namespace, and every id of the validation sample (data/validation).
    """
    manifest = read_manifest(source)
    taken: dict[str, int] = {}
    labelled = LABELLED_IDS if manifest.get("snapshot") == VALIDATION_CENSUS else frozenset()

    def lines():
        with gzip.open(source / manifest["file"], "rb") as src:
            for index, line in enumerate(src):
                model_id = json.loads(line)["id"]
                author = model_id.partition("/")[0]
                favourite = author in FIXTURE_AUTHORS and taken.get(author, 0) < per_author
                if index < 1500 or index % step == 0 or favourite or model_id in labelled:
                    taken[author] = taken.get(author, 0) + 1
                    yield line

    def described(records: int) -> dict:
        return {
            **manifest,
            "caveats": manifest.get("caveats", []) + [f"test fixture: a cut of {records} records"],
        }

    written = write_snapshot(
        dest, manifest.get("kind", "census"), lines(), described, data_file=manifest["file"]
    )
    kept = written["records"]
    return kept


@pytest.fixture(scope="session")
def fixture_snapshots(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("snapshots")
    cut_snapshot(DEFAULT_SNAPSHOTS_DIR / "2024-07-11", root / "2024-07-11", step=97)
    cut_snapshot(DEFAULT_SNAPSHOTS_DIR / "2022-02-21", root / "2022-02-21", step=10)
    # Git refs of the top models, collected by the real crawler from the fake Hub.
    from tests.fakehub_fixture import add_refs

    add_refs(root / "2024-07-11", 1000)
    from tests.history_fixture import cut_weight_changes

    cut_weight_changes(
        DEFAULT_SNAPSHOTS_DIR / "weight-changes-2024", root / "weight-changes-2024", root / "2024-07-11"
    )
    from tests.after_2024_fixture import add_after_2024

    add_after_2024(DEFAULT_SNAPSHOTS_DIR, root, FIXTURE_AUTHORS)
    return root


@pytest.fixture(scope="session")
def fixture_build(fixture_snapshots, tmp_path_factory) -> Path:
    """build/ of the fixture: hub.db, inspect.json and metadata.json, made by the real build."""
    out = tmp_path_factory.mktemp("build") / "hub.db"
    build.build(out, fixture_snapshots, workers=1)
    return out.parent


@pytest.fixture(scope="session")
def fixture_db(fixture_build) -> Path:
    return fixture_build / "hub.db"


class SiteClient:
    """Datasette's own test client, driven from synchronous tests on one event loop."""

    def __init__(self, datasette):
        self.datasette = datasette
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, **kwargs):
        return self.loop.run_until_complete(self.datasette.client.get(path, **kwargs))


def make_datasette(build_dir: Path):
    """The app `make serve` runs: the one site configuration of scripts/publish/site.py."""
    return site_config.datasette_app(build_dir)


@pytest.fixture(scope="session")
def site(fixture_build) -> SiteClient:
    client = SiteClient(make_datasette(fixture_build))
    yield client
    client.loop.close()


@pytest.fixture
def snapshots_copy(fixture_snapshots, tmp_path) -> Path:
    """A private, writable copy of the fixture snapshots, for tests that damage them."""
    dest = tmp_path / "snapshots"
    shutil.copytree(fixture_snapshots, dest)
    return dest


@pytest.fixture
def built(tmp_path):
    """(snapshots folder, out, served state) after a good build of a real census cut: the starting
    point of the build's fault and door-check tests."""
    from tests.test_build_faults import CUT, served_state, vendored_lines, write_census

    snapshots = tmp_path / "snapshots"
    write_census(snapshots / "2022-02-21", vendored_lines("2022-02-21", CUT))
    out = tmp_path / "build" / "hub.db"
    build.build(out, snapshots, workers=1)
    return snapshots, out, served_state(out)
