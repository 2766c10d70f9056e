"""Classify every name the build classifies, and print a digest of the results and names/s.

The classifier is pure, so two versions of its code agree on a build exactly when they agree on
each of these inputs: run this on both and compare the digests (and, with --dump, diff the dumps).

    python -m scripts.dev.classify_check [--snapshots data/snapshots] [--dump FILE]

Inputs, as the build gives them to `classify_name`:
- every census record (scripts/load/census.py's parser): id, tags, pipeline_tag, library_name;
- the distinct added ids of a weekly-changes snapshot and the ids of a frontier-models snapshot,
  with their declared base models as tags (scripts/derive/listed_versioning.py), read through the
  loaders themselves into an in-memory database;
- the ids of a model-population snapshot, alone (no tags), as extra coverage.

Only the classifier calls are timed (process CPU time); names/s is per input group and overall.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import resource
import sys
import time
from pathlib import Path

import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.derive import listed_versioning
from scripts.load import census, frontier, population, weekly_changes
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import find_snapshots

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 5_000  # names classified between two clock readings


def census_inputs(snapshot):
    """(id, tags, pipeline_tag, library_name) of every record, parsed as the build parses them."""
    for task in census.census_chunks(snapshot, 1):
        parsed = census.parse_chunk(task)
        for m, tags in zip(parsed.models, parsed.tag_lists):
            yield m.id, tags, m.pipeline_tag, m.library_name


def listed_inputs(snapshot, load):
    """The (id, base tags) pairs a loader hands to listed_versioning.classify_ids."""
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    items = []

    def capture(fn, chunks):
        # The loader maps its file reads too: those run; only the classification is captured.
        if getattr(fn, "func", None) is not listed_versioning.classify_packed:
            return map(fn, chunks)
        for chunk in chunks:
            items.extend(chunk)
        return []

    load(db, snapshot, capture)
    for model_id, relation, bases in items:
        yield model_id, listed_versioning.base_tags(relation, bases), None, None


def population_inputs(snapshot):
    for row in population.read_population(snapshot):
        yield row.model_id, (), None, None


def inputs(snapshots_dir: Path):
    """(group name, iterator of classify_name arguments) for every snapshot that has names."""
    for s in find_snapshots(snapshots_dir):
        if s.kind == SnapshotKind.CENSUS:
            yield f"census {s.name}", census_inputs(s)
        elif s.kind == SnapshotKind.WEEKLY_CHANGES:
            yield f"weekly added {s.name}", listed_inputs(s, weekly_changes.load_weekly_changes)
        elif s.kind == SnapshotKind.MODEL_LIST:
            yield f"frontier {s.name}", listed_inputs(s, frontier.load_frontier)
        elif s.kind == SnapshotKind.MODEL_POPULATION:
            yield f"population {s.name}", population_inputs(s)


def batched(items, size: int):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=Path, default=ROOT / "data" / "snapshots")
    parser.add_argument("--dump", type=Path, help="write one line per classification (its repr)")
    args = parser.parse_args(argv)
    digest = hashlib.sha256()
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    total_n, total_cpu = 0, 0.0
    for group, args_iter in inputs(args.snapshots):
        n, cpu = 0, 0.0
        group_digest = hashlib.sha256()
        for chunk in batched(args_iter, CHUNK):
            started = time.process_time()
            results = [classify_name(*a) for a in chunk]
            cpu += time.process_time() - started
            text = "".join(repr(c) + "\n" for c in results)
            group_digest.update(text.encode())
            digest.update(text.encode())
            if dump:
                dump.write(text)
            n += len(chunk)
        total_n, total_cpu = total_n + n, total_cpu + cpu
        rate = n / cpu if cpu else 0
        print(f"{group}: {n} names, {cpu:.1f} CPU-s, {rate:,.0f} names/s, {group_digest.hexdigest()[:16]}")
    if dump:
        dump.close()
    print(f"all: {total_n} names, {total_cpu:.1f} CPU-s, {total_n / total_cpu:,.0f} names/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB (this process: inputs, caches and the digest's state)")
    print(f"digest {digest.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
