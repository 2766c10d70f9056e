"""The load workers' CPU seconds, in one process: every census chunk through scripts/build.py's
`load_and_classify` (parse, classify, pack) and every weekly-changes file and chunk of distinct
added ids through the functions the workers run, each packed census chunk then copied into a fresh
database by the writer's functions; and, in a fresh process of its own, the classifier's calls
alone (`classify_name`) on the same inputs in the same order, so that what the workers spend
besides classifying (parsing, checking, making rows, packing) is the difference:

    python -m scripts.dev.bench_load_workers [--ids-from build/hub.db]

Prints one JSON object. Every timer wraps a whole chunk (a per-call timer on the classifier's 1.28
million calls would add seconds of its own). Run on a checkout of another commit (PYTHONPATH=that
checkout) to compare: the classifier's calls are made as that checkout's worker makes them (with
the cyclic collector paused for a chunk where its worker pauses it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from scripts import build, schema
from scripts.classify import classify_name
from scripts.derive import listed_versioning, versioning
from scripts.load import census, organizations, packed_rows, weekly_changes
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, listed_files


class Timed:
    """A function whose calls' CPU seconds add up in `seconds`."""

    def __init__(self, fn):
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *args, **kwargs):
        start = time.process_time()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - start


@contextmanager
def timing(module, name: str):
    """module.name replaced by a Timed of it while the block runs."""
    timed = Timed(getattr(module, name))
    setattr(module, name, timed)
    try:
        yield timed
    finally:
        setattr(module, name, timed.fn)


def census_work(snapshots, orgs: dict, out: Path) -> dict:
    """CPU seconds of reading the census chunks, of load_and_classify over each (and of parse_chunk,
    classify_parsed and pack within it), and of the writer's copy of each packed chunk into a
    fresh database at `out`."""
    read, work, copy = Timed(next), Timed(build.load_and_classify), Timed(copy_chunk)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, out.with_name("staging.db")):
        path.unlink(missing_ok=True)
    models = 0
    with (
        timing(census, "parse_chunk") as parse,
        timing(versioning, "classify_parsed") as classify_parsed,
        timing(packed_rows, "pack") as pack,
        build.BuildRun(out, 1) as run,
    ):
        schema.create_all(run.db)
        run.attach_staging()
        packed_rows.attach(run.db.conn)
        with run.db.conn:
            for s in census_snapshots(snapshots):
                tasks = census.census_chunks(s, 1 + models)
                while task := read(tasks, None):
                    models += copy(run, work(orgs, task))
    return {
        "census_cpu_seconds": work.seconds,
        "census_parse_cpu_seconds": parse.seconds,
        "census_classify_parsed_cpu_seconds": classify_parsed.seconds,
        "census_pack_cpu_seconds": pack.seconds,
        "writer_read_cpu_seconds": read.seconds,
        "writer_copy_cpu_seconds": copy.seconds,
        "models": models,
    }


def census_snapshots(snapshots) -> list:
    return [s for s in snapshots if s.kind == SnapshotKind.CENSUS]


def copy_chunk(run: build.BuildRun, chunk: census.PackedChunk) -> int:
    """The writer's part of scripts/build.py's load_census for one packed chunk."""
    packed_rows.open_pack(run.db.conn, chunk.rows)
    n = census.copy_packed(run.db.conn, chunk, run.tag_keys)
    versioning.copy_packed(run.db.conn, "staging")
    return n


def weekly_items(snapshots, ids_db: Path) -> list[tuple[str, list]]:
    """(snapshot, its distinct added ids as the build reads them) of each weekly-changes snapshot,
    from a built database."""
    conn = sqlite3.connect(f"file:{ids_db.resolve()}?mode=ro", uri=True)
    return [
        (s.name, conn.execute(weekly_changes.DISTINCT_IDS, {"snapshot": s.name}).fetchall())
        for s in snapshots
        if s.kind == SnapshotKind.WEEKLY_CHANGES
    ]


def weekly_work(snapshots, ids_db: Path) -> dict:
    """CPU seconds of the weekly files' packed rows, and of classify_packed over the distinct ids."""
    files, ids = Timed(weekly_changes.packed_file_rows), Timed(listed_versioning.classify_packed)
    for s in snapshots:
        if s.kind == SnapshotKind.WEEKLY_CHANGES:
            for entry in listed_files(s):
                files(s, entry)
    for name, items in weekly_items(snapshots, ids_db):
        for chunk in listed_versioning.chunks(items):
            ids(name, chunk)
    return {"weekly_files_cpu_seconds": files.seconds, "weekly_ids_cpu_seconds": ids.seconds}


def as_the_worker_runs() -> contextlib.AbstractContextManager:
    """The cyclic collector paused for a chunk where this checkout's workers pause it."""
    try:  # scripts.memory since 2026-12-07; packed_rows's own before
        from scripts.memory import collector_paused as paused
    except ImportError:
        paused = getattr(packed_rows, "collector_paused", None)
    return paused() if paused else contextlib.nullcontext()


def classifier_only(snapshots, ids_db: Path) -> dict:
    """CPU seconds of the classifier's calls alone, chunk by chunk as the workers make them: the
    census models (parsed first, not counted) and the distinct added ids with their base tags."""
    census_cpu = weekly_cpu = 0.0
    for s in census_snapshots(snapshots):
        for task in census.census_chunks(s, 1):
            parsed = census.parse_chunk(task)
            calls = [
                (m.id, tags, m.pipeline_tag, m.library_name)
                for m, tags in zip(parsed.models, parsed.tag_lists)
            ]
            del parsed
            with as_the_worker_runs():
                start = time.process_time()
                for call in calls:
                    classify_name(*call)
                census_cpu += time.process_time() - start
    for _, items in weekly_items(snapshots, ids_db):
        for chunk in listed_versioning.chunks(items):
            calls = [(m, listed_versioning.base_tags(r, b)) for m, r, b in chunk]
            with as_the_worker_runs():
                start = time.process_time()
                for call in calls:
                    classify_name(*call)
                weekly_cpu += time.process_time() - start
    return {"census_classifier_cpu_seconds": census_cpu, "weekly_classifier_cpu_seconds": weekly_cpu}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids-from", type=Path, default=Path("build/hub.db"), help="a built database")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-load-workers/hub.db"))
    parser.add_argument("--classifier-only", action="store_true", help="the classifier's calls alone")
    args = parser.parse_args(argv)
    snapshots, _ = build.snapshot_stage(DEFAULT_SNAPSHOTS_DIR, None)
    if args.classifier_only:
        print(json.dumps(classifier_only(snapshots, args.ids_from)))
        return 0
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    organizations.load_organizations(db, organizations.ORGANIZATIONS_CSV)
    orgs = organizations.organizations_map(db)
    started = time.monotonic()
    result = census_work(snapshots, orgs, args.out) | weekly_work(snapshots, args.ids_from)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    alone = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.dev.bench_load_workers",
            "--classifier-only",
            "--ids-from",
            str(args.ids_from),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result |= json.loads(alone.stdout)
    workers = (
        result["census_cpu_seconds"] + result["weekly_files_cpu_seconds"] + result["weekly_ids_cpu_seconds"]
    )
    result["workers_cpu_seconds"] = workers
    classifier = result["census_classifier_cpu_seconds"] + result["weekly_classifier_cpu_seconds"]
    result["outside_classifier_cpu_seconds"] = workers - classifier
    result = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
