"""The build's load stage alone, in a fresh process: its wall time, the CPU seconds of the writer
(this process) and of the whole stage (with its worker processes), and the classification's
CPU seconds alone, so that what the load costs besides classifying can be told apart:

    python -m scripts.dev.bench_load [--out /tmp/load/hub.db] [--classify-only]

Prints one JSON object. Run on a checkout of another commit (PYTHONPATH=that checkout) to compare.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import time
from pathlib import Path

import sqlite_utils

from scripts import build, schema
from scripts.derive import listed_versioning, versioning
from scripts.load import census, organizations, weekly_changes
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_only(out: Path) -> dict:
    """build.load_stage into a fresh database at `out`, measured."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, out.with_name("staging.db")):
        path.unlink(missing_ok=True)
    snapshots, headline = build.snapshot_stage(DEFAULT_SNAPSHOTS_DIR, None)
    started = time.monotonic()
    with build.BuildRun(out, None) as run:
        schema.create_all(run.db)
        cpu, writer = build.cpu_seconds(), own_cpu()
        counts = build.load_stage(run, snapshots, headline, organizations.ORGANIZATIONS_CSV)
        return {
            "seconds": round(time.monotonic() - started, 1),
            "cpu_seconds": round(build.cpu_seconds() - cpu, 1),
            "writer_cpu_seconds": round(own_cpu() - writer, 1),
            "writer_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "records": counts,
        }


def classify_only(weekly_ids_db: Path) -> dict:
    """CPU seconds of the classifier's calls of the load stage, in this process: every census
    chunk (parsed first, not counted) and the weekly changes' distinct added ids, as read from a
    built database."""
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    organizations.load_organizations(db, organizations.ORGANIZATIONS_CSV)
    orgs = organizations.organizations_map(db)
    census_cpu = 0.0
    snapshots, _ = build.snapshot_stage(DEFAULT_SNAPSHOTS_DIR, None)
    for s in snapshots:
        if s.kind == SnapshotKind.CENSUS:
            for task in census.census_chunks(s, 1):
                parsed = census.parse_chunk(task)
                start = own_cpu()
                versioning.classify_parsed(parsed.models, parsed.tag_lists, orgs)
                census_cpu += own_cpu() - start
    weekly = [s.name for s in snapshots if s.kind == SnapshotKind.WEEKLY_CHANGES]
    conn = sqlite3.connect(f"file:{weekly_ids_db.resolve()}?mode=ro", uri=True)
    items = [i for name in weekly for i in conn.execute(weekly_changes.DISTINCT_IDS, {"snapshot": name})]
    start = own_cpu()
    for chunk in listed_versioning.chunks(items):
        listed_versioning.classify_ids(chunk)
    return {
        "census_classify_cpu_seconds": round(census_cpu, 1),
        "weekly_classify_cpu_seconds": round(own_cpu() - start, 1),
        "weekly_ids": len(items),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-load/hub.db"))
    parser.add_argument(
        "--classify-only", action="store_true", help="classification alone; reads the weekly ids from --out"
    )
    args = parser.parse_args(argv)
    result = classify_only(args.out) if args.classify_only else load_only(args.out)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
