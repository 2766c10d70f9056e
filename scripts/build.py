"""Build build/hub.db from every snapshot folder: snapshot -> load -> classify -> derive -> publish.

    python -m scripts.build [--out build/hub.db] [--snapshots data/snapshots] [--headline NAME]

The database is written to a temporary file beside the target and moved into place only when
every stage has succeeded, so a failed build leaves the previous database untouched.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import sqlite_utils
from tqdm import tqdm

from scripts import derive, hub_registry, load, refs, registry, summaries
from scripts.publish.metadata import site_metadata
from scripts.snapshots import DEFAULT_SNAPSHOTS_DIR, SnapshotError, find_snapshots, verify

log = logging.getLogger("build")


def progress_bar(total: int | None, desc: str):
    # A bar on a terminal; in logs and CI, tqdm's output would be noise, so only log lines.
    return tqdm(total=total, desc=desc, unit=" models", unit_scale=True, disable=not sys.stderr.isatty())


def build(
    out: Path,
    snapshots_dir: Path = DEFAULT_SNAPSHOTS_DIR,
    headline: str | None = None,
    organizations_csv: Path = load.ORGANIZATIONS_CSV,
    workers: int | None = None,
) -> dict:
    """Build the database at `out` atomically; returns a summary (models per snapshot, seconds)."""
    started = time.monotonic()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    snapshots = find_snapshots(snapshots_dir)
    censuses = [s for s in snapshots if s.kind == "census"]
    if not censuses:
        raise SnapshotError(f"{snapshots_dir}: no snapshot of kind 'census'")
    headline = headline or max(s.name for s in censuses)
    if headline not in {s.name for s in censuses}:
        raise SnapshotError(f"--headline {headline}: no census snapshot of that name in {snapshots_dir}")
    for s in snapshots:
        log.info("verifying %s", s.data_file)
        verify(s)

    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        summary = _build_into(tmp, snapshots, headline, organizations_csv, workers)
        inspect_tmp = out.with_name(f".inspect.{os.getpid()}.tmp")
        write_inspect(tmp, inspect_tmp, out.stem)
        metadata = site_metadata(db_path=tmp)
        metadata_tmp = out.with_name(f".metadata.{os.getpid()}.tmp")
        metadata_tmp.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        # The database last: until it moves, the old build (and its inspect file) stay coherent
        # enough to serve; a crash between these renames is re-run by the next `make build`.
        os.replace(metadata_tmp, out.with_name("metadata.json"))
        os.replace(inspect_tmp, out.with_name("inspect.json"))
        os.replace(tmp, out)
    finally:
        # Temporary files of this build: database, staging, full-text index, inspect, metadata.
        for leftover in out.parent.glob(f".*.{os.getpid()}.tmp*"):
            leftover.unlink(missing_ok=True)
    summary["seconds"] = round(time.monotonic() - started, 1)
    log.info("built %s in %.1f s: %s", out, summary["seconds"], summary["models"])
    return summary


def load_and_classify(organizations: dict, task: load.ChunkTask):
    """A chunk of census lines -> its load rows and its classification rows (in a worker).

    Decoding and classifying in the same process means each record is decoded once and never
    read back from SQLite; the writer gets rows ready for executemany."""
    parsed = load.parse_chunk(task)
    classified = derive.classify_parsed(parsed.models, parsed.tag_lists, organizations)
    return parsed._replace(tag_lists=None), classified


def ordered_map(pool: ProcessPoolExecutor | None, fn, tasks, depth: int):
    """fn over tasks, results in task order; with a pool, at most `depth` tasks are in flight
    (bounded memory, and the workers keep busy while this process writes earlier results)."""
    if pool is None:
        yield from map(fn, tasks)
        return
    pending = collections.deque()
    for task in tasks:
        pending.append(pool.submit(fn, task))
        if len(pending) >= depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _build_into(path: Path, snapshots, headline: str, organizations_csv: Path, workers) -> dict:
    workers = workers or min(2, os.cpu_count() or 1)
    pool = None
    if workers > 1:
        # The workers are forked now, before this process opens the database: an SQLite
        # connection must not be carried across a fork (with "fork", all start at the first task).
        pool = ProcessPoolExecutor(workers)
        pool.submit(int).result()
    db = sqlite_utils.Database(path)
    try:
        return _stages(db, path, snapshots, headline, organizations_csv, pool, workers)
    finally:
        db.close()  # also on failure, so that the caller can remove the file
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _stages(
    db: sqlite_utils.Database,
    path: Path,
    snapshots,
    headline: str,
    organizations_csv: Path,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> dict:
    # A throw-away file until it is renamed: no journal, no fsync. The page cache stays at
    # SQLite's default: CREATE INDEX sorts in cache-sized runs, and small runs merge several times
    # faster than one huge in-memory sort (measured: 1.5 s instead of 4.9 s for model_tags).
    db.execute("pragma journal_mode = off")
    db.execute("pragma synchronous = off")
    load.create_schema(db)
    derive.create_schema(db)
    load.load_organizations(db, organizations_csv)
    organizations = derive.organizations_map(db)
    # model_versioning is staged in a file of its own during the load: once loaded, two threads
    # read it there (summaries, full-text index of the ids) while the writer indexes this file.
    staging = path.with_name(f".staging.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    db.execute("attach database ? as staging", [str(staging)])
    db.execute("pragma staging.journal_mode = off")
    db.execute("pragma staging.synchronous = off")
    derive.create_staging(db, "staging")

    counts: dict[str, int] = {}
    tag_keys: dict[str, int] = {}
    conn = db.conn
    work = partial(load_and_classify, organizations)
    with db.conn:
        for s in snapshots:
            if s.kind == "census":
                expected = s.manifest.get("records")
                n = 0
                with progress_bar(expected, f"load and classify {s.name}") as bar:
                    tasks = load.census_chunks(s, load.first_free_key(conn))
                    for parsed, (markers, versioning) in ordered_map(pool, work, tasks, 3 * workers):
                        n += load.insert_parsed(conn, parsed, tag_keys)
                        derive.insert_classified(conn, markers, versioning, "staging")
                        bar.update(len(parsed.models))
                if expected is not None and n != expected:
                    raise SnapshotError(f"{s.data_file}: {n} records, its manifest says {expected}")
                load.load_snapshot_row(db, s, s.name == headline, n)
                log.info("loaded and classified %s: %d models", s.name, n)
            elif s.kind == "mlflow-registry":
                n = registry.load_registry(db, s)
                load.load_snapshot_row(db, s, False, n)
                log.info("loaded registry %s: %d registered models", s.name, n)
            else:
                raise SnapshotError(f"{s.folder / 'MANIFEST.json'}: unknown snapshot kind {s.kind!r}")
            counts[s.name] = n
    load.check_unique_ids(db)

    # Two threads read the staged rows while this one writes: SQLite releases the GIL while it
    # computes, so they use the core that the classifier workers have just left.
    fts_path = path.with_name(f".fts.{os.getpid()}.tmp")
    with ThreadPoolExecutor(2) as side:
        # In (snapshot, id) order, as enable_fts read them before (through the unique index).
        fts_done = side.submit(
            load.build_fts,
            fts_path,
            staging,
            "select model, model_id from source.model_versioning order by snapshot, model_id",
        )
        summaries_done = side.submit(summaries.compute_summaries, staging)
        with db.conn:
            load.finish_tags(db, tag_keys)
            for s in snapshots:
                if s.kind == "census":
                    refs.load_refs(db, s)
            derive.copy_staged(db, "staging")
        db.execute("detach database staging")
        with db.conn:
            derive.index_derived(db)
            summaries.store_summaries(db, summaries_done.result())
        load.attach_fts(db, fts_done.result())
    staging.unlink()
    fts_path.unlink()
    with db.conn:
        hub_registry.derive_hub_registry(db)
    # Full statistics (not a sample: with sampled ones the planner passed over the covering index
    # of the RQ1 rows and that page took 0.5 s instead of 0.09 s).
    db.execute("analyze")
    return {"models": counts}


def write_inspect(db_path: Path, inspect_path: Path, name: str) -> None:
    """Datasette's inspect file (hash and table counts) so that the immutable database starts fast."""
    datasette = Path(sys.executable).with_name("datasette")
    data = json.loads(
        subprocess.run(
            [str(datasette), "inspect", str(db_path)], check=True, capture_output=True, text=True
        ).stdout
    )
    # inspect names the database after the file it read; the served file is `name`.db.
    inspect_path.write_text(json.dumps({name: next(iter(data.values()))}, indent=2), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/hub.db"))
    parser.add_argument("--snapshots", type=Path, default=DEFAULT_SNAPSHOTS_DIR)
    parser.add_argument("--headline", help="census shown first (default: the newest)")
    parser.add_argument("--workers", type=int, help="classifier processes (default: up to 2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        build(args.out, args.snapshots, args.headline, workers=args.workers)
    except SnapshotError as e:
        print(f"build failed: {e}", file=sys.stderr)
        print(f"{args.out} was left as it was.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
