"""Helpers for the crawler tests: real snapshot cuts, a fake Hub in a thread, the crawlers as processes."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from scripts.dev import fakehub
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, read_manifest
from scripts.snapshot.write import write_snapshot

ROOT = Path(__file__).resolve().parent.parent
CENSUS = DEFAULT_SNAPSHOTS_DIR / "2024-07-11"
RECORDED_REFS = ROOT / "data" / "fakehub" / "refs.jsonl"


def cut_census(dest: Path, first: int, also: set[str] = frozenset(), scan: int = 20_000) -> list[dict]:
    """A census folder with the first `first` records of the vendored 2024-07-11 census (its
    most downloaded), plus the records of `also` found in its first `scan` lines, line for line.
    Returns the records kept, in file order."""
    manifest = read_manifest(CENSUS)
    kept = []

    def lines():
        with gzip.open(CENSUS / manifest["file"], "rb") as src:
            for index, line in enumerate(src):
                if index >= max(first, scan if also else 0):
                    break
                rec = json.loads(line)
                if index < first or rec["id"] in also:
                    kept.append(rec)
                    yield line

    def described(records: int) -> dict:
        caveats = manifest["caveats"] + [f"test fixture: a cut of {records} records"]
        return {**manifest, "snapshot": dest.name, "caveats": caveats}

    write_snapshot(dest, manifest.get("kind", "census"), lines(), described, data_file=manifest["file"])
    return kept


def recorded_ids() -> set[str]:
    return {json.loads(line)["id"] for line in RECORDED_REFS.read_text().splitlines()}


@contextlib.contextmanager
def running_hub(snapshot: Path, faults: fakehub.Faults | None = None, **kw):
    """A fake Hub serving `snapshot` on a free port of 127.0.0.1, in a thread of this process."""
    hub = fakehub.serve(snapshot, port=0, faults=faults, **kw)
    try:
        yield hub
    finally:
        hub.shutdown()
        hub.server_close()


@contextlib.contextmanager
def running_hub_for(
    data: fakehub.HubData,
    faults: fakehub.Faults | None = None,
    latency: float = 0.0,
    misbehave: str | None = None,
):
    """Same, for records prepared by the test."""
    import threading

    hub = fakehub.FakeHub(data, faults or fakehub.Faults(), latency=latency, misbehave=misbehave)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    try:
        yield hub
    finally:
        hub.shutdown()
        hub.server_close()


def run_module(
    module: str, *args: str, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`python -m module args` from the repository root, as a user runs it (not on a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def start_module(module: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for_state(
    state_path: Path, key: str, at_least: int, proc: subprocess.Popen, timeout: float = 60
) -> dict:
    """Poll a crawl's checkpoint until state[key] >= at_least (the crawl must still be running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the crawl ended before {key} reached {at_least}: {proc.stderr.read()}")
        try:
            state = json.loads(state_path.read_text())
            if state.get(key, 0) >= at_least:
                return state
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.02)
    raise AssertionError(f"{state_path}: {key} did not reach {at_least} in {timeout}s")


def read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def add_refs(snapshot: Path, top: int, commits: bool = False) -> dict:
    """Give a census folder a refs/ folder, collected by the real crawler from a fake Hub serving that
    census (refs from data/fakehub/refs.jsonl, main only for the other models); returns its manifest.

    For fixtures whose site must show the refs query with rows."""
    from scripts.acquire import refs

    with running_hub(snapshot) as hub:
        opts = refs.RefsOptions(endpoint=hub.url, commits=commits, log_every=60)
        return refs.collect(snapshot, top, opts, token=False)


SECRET = "S3cretPassw0rd"  # the password of the crawlers' credential tests


def files_hold(folder, secret: str) -> list[str]:
    """The files under `folder` (gzip ones decompressed) whose bytes contain `secret`."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        if secret.encode() in data:
            found.append(str(path))
    return found
