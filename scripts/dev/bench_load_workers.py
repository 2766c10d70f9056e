"""The load workers' CPU seconds outside the classifier, in one process: every census chunk through
scripts/build.py's `load_and_classify` (parse, classify, pack) and every weekly-changes file and
distinct added id through the functions the workers run, with the classifier's own calls
(`classify_name`) timed apart, and each packed census chunk copied into a fresh database by the
writer's functions:

    python -m scripts.dev.bench_load_workers [--ids-from build/hub.db]

Prints one JSON object; `outside_classifier_cpu_seconds` is what the workers spend besides the
classifier's calls: parsing, checking, making rows and packing them. Run on a checkout of another commit (PYTHONPATH=that checkout) to compare.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from scripts import build, schema
from scripts.derive import listed_versioning, versioning
from scripts.load import census, organizations, packed_rows, weekly_changes
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, listed_files


class Timed:
    """A function whose calls' CPU seconds add up in `seconds` (process_time: the cheapest CPU
    clock, about 0.5 us a reading, so that timing the classifier's 1.28 million calls costs little)."""

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
    classify_parsed, the classifier and pack within it), and of the writer's copy of each packed
    chunk into a fresh database at `out`."""
    read, work, copy = Timed(next), Timed(build.load_and_classify), Timed(copy_chunk)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, out.with_name("staging.db")):
        path.unlink(missing_ok=True)
    models = 0
    with (
        timing(census, "parse_chunk") as parse,
        timing(versioning, "classify_parsed") as classify_parsed,
        timing(versioning, "classify_name") as classifier,
        timing(packed_rows, "pack") as pack,
        build.BuildRun(out, 1) as run,
    ):
        schema.create_all(run.db)
        run.attach_staging()
        packed_rows.attach(run.db.conn)
        with run.db.conn:
            for s in snapshots:
                if s.kind == SnapshotKind.CENSUS:
                    tasks = census.census_chunks(s, 1 + models)
                    while task := read(tasks, None):
                        models += copy(run, work(orgs, task))
    return {
        "census_cpu_seconds": work.seconds,
        "census_classifier_cpu_seconds": classifier.seconds,
        "census_parse_cpu_seconds": parse.seconds,
        "census_classify_rows_cpu_seconds": classify_parsed.seconds - classifier.seconds,
        "census_pack_cpu_seconds": pack.seconds,
        "writer_read_cpu_seconds": read.seconds,
        "writer_copy_cpu_seconds": copy.seconds,
        "models": models,
    }


def copy_chunk(run: build.BuildRun, chunk: census.PackedChunk) -> int:
    """The writer's part of scripts/build.py's load_census for one packed chunk."""
    packed_rows.open_pack(run.db.conn, chunk.rows)
    n = census.copy_packed(run.db.conn, chunk, run.tag_keys)
    versioning.copy_packed(run.db.conn, "staging")
    return n


def weekly_work(snapshots, ids_db: Path) -> dict:
    """CPU seconds of the weekly files' packed rows, and of classify_packed over the distinct added
    ids of a built database (and of the classifier within it)."""
    files, ids = Timed(weekly_changes.packed_file_rows), Timed(listed_versioning.classify_packed)
    conn = sqlite3.connect(f"file:{ids_db.resolve()}?mode=ro", uri=True)
    with timing(listed_versioning, "classify_name") as classifier:
        for s in snapshots:
            if s.kind == SnapshotKind.WEEKLY_CHANGES:
                for entry in listed_files(s):
                    files(s, entry)
                items = conn.execute(weekly_changes.DISTINCT_IDS, {"snapshot": s.name}).fetchall()
                for chunk in listed_versioning.chunks(items):
                    ids(s.name, chunk)
    return {
        "weekly_files_cpu_seconds": files.seconds,
        "weekly_ids_cpu_seconds": ids.seconds,
        "weekly_classifier_cpu_seconds": classifier.seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids-from", type=Path, default=Path("build/hub.db"), help="a built database")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-load-workers/hub.db"))
    args = parser.parse_args(argv)
    snapshots, _ = build.snapshot_stage(DEFAULT_SNAPSHOTS_DIR, None)
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    organizations.load_organizations(db, organizations.ORGANIZATIONS_CSV)
    orgs = organizations.organizations_map(db)
    started = time.monotonic()
    result = census_work(snapshots, orgs, args.out) | weekly_work(snapshots, args.ids_from)
    result["outside_classifier_cpu_seconds"] = (
        result["census_cpu_seconds"]
        - result["census_classifier_cpu_seconds"]
        + result["weekly_files_cpu_seconds"]
        + result["weekly_ids_cpu_seconds"]
        - result["weekly_classifier_cpu_seconds"]
    )
    result = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
    result["seconds"] = round(time.monotonic() - started, 1)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
