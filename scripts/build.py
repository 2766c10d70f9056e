"""Build build/hub.db from every snapshot folder: snapshot -> load -> classify -> derive -> publish.

    python -m scripts.build [--out build/hub.db] [--snapshots data/snapshots] [--headline NAME]

The database, inspect file and metadata are written into a folder of their own beside the target
and put in place together only when every stage has succeeded (Output), so a failed build leaves
the previous ones untouched.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ctypes
import errno
import json
import logging
import os
import resource
import shutil
import signal
import sqlite3
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from scripts import without_pandas  # noqa: F401  (before sqlite-utils: see its docstring)

# isort: split
import sqlite_utils
from tqdm import tqdm

from scripts import schema
from scripts.derive import hub_registry, summaries, versioning
from scripts.load import (
    census,
    frontier,
    organizations,
    packed_rows,
    population,
    refs,
    registry,
    weekly_changes,
    weight_changes,
    weight_commits,
)
from scripts.memory import collector_paused, release_freed_memory
from scripts.publish import search_index
from scripts.publish.metadata import METADATA_YML, site_metadata
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, Snapshot, SnapshotError, find_snapshots, verify

# The derive and publish stages' other modules (scipy, numpy, pyarrow, a Vega renderer: 140 MiB)
# are imported by the functions that use them, when the load stage is over: the load's workers are
# forked from this process before it, and the side process of the early downloads imports this
# module; neither needs them all.
if TYPE_CHECKING:
    from scripts.publish.early_downloads import EarlyDownloads

log = logging.getLogger("build")


def progress_bar(total: int | None, desc: str):
    # A bar on a terminal; in logs and CI, tqdm's output would be noise, so only log lines.
    return tqdm(total=total, desc=desc, unit=" models", unit_scale=True, disable=not sys.stderr.isatty())


def build(
    out: Path,
    snapshots_dir: Path = DEFAULT_SNAPSHOTS_DIR,
    headline: str | None = None,
    organizations_csv: Path = organizations.ORGANIZATIONS_CSV,
    workers: int | None = None,
) -> dict:
    """Build the database at `out` atomically; returns a summary (models per snapshot, seconds).

    The pipeline: snapshot (find and verify) -> load and classify (streamed together, in worker
    processes) -> derive -> publish (inspect file, site metadata, then all three put in place at
    once). Until that last step, the previous database, inspect file and metadata stay as they were.
    """
    clock = StageClock()
    output = Output(Path(out))
    output.remove_stale()
    with clock.stage("snapshot"):
        snapshots, headline = snapshot_stage(snapshots_dir, headline)
    try:
        with output.writing():
            with BuildRun(output.database, workers) as run:
                schema.create_all(run.db)
                with clock.stage("load"):
                    counts = load_stage(run, snapshots, headline, organizations_csv)
                run.close_pool()  # derive uses no worker: their memory is given back now
                with clock.stage("derive"):
                    early = derive_stage(run, snapshots, clock)
            publish_stage(output, clock, early)
    except sqlite3.OperationalError as e:
        if "full" not in str(e) and "disk I/O" not in str(e):
            raise
        raise BuildError(f"{output.database}: could not be written ({e})") from None
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise
        raise BuildError(f"{e.filename or output.generation}: {os.strerror(e.errno)}") from None
    summary = {"models": counts, **clock.summary()}
    log.info("built %s in %.1f s: %s", out, summary["seconds"], summary["models"])
    return summary


# The stage times of a build, written beside its files (and logged): {"seconds", "cpu_seconds",
# "peak_rss_mib", "stages": [{"stage", "seconds", "cpu_seconds", "peak_rss_mib"}, ...],
# "parts": [{"part", "seconds"}, ...]}; parts of the outputs stage (figures, downloads), and the
# derive stage's steps ("derive.<step>", with "thread_cpu_seconds": the build's own thread's CPU).
STAGES_FILE = "build.json"
STAGES = ("snapshot", "load", "derive", "outputs", "publish")
# Set to a stage's name, the build stops itself (SIGSTOP) as that stage begins: the fault tests
# kill it there or fill its disk, then let it go on.
STOP_AT = "HUB_BUILD_STOP_AT"


def cpu_seconds() -> float:
    """CPU time of this process, its finished children and its live ones (the classifier workers)."""
    total = sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
    except OSError:
        children = []
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime and stime
    return total


def peak_rss_mib() -> float:
    """The largest resident size any one process of the build has had so far (as `time -v` counts)."""
    return (
        max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        / 1024
    )


class StageClock:
    """Wall time, CPU time and peak memory of each stage: logged as each ends, and kept."""

    def __init__(self):
        self.started, self.cpu_started = time.monotonic(), cpu_seconds()
        self.stages: list[dict] = []
        self.parts: list[dict] = []  # parts of a stage that run side by side (figures, downloads)

    @contextlib.contextmanager
    def stage(self, name: str):
        if os.environ.get(STOP_AT) == name:
            os.kill(os.getpid(), signal.SIGSTOP)
        log.info("stage %s", name)
        wall, cpu = time.monotonic(), cpu_seconds()
        yield
        row = {
            "stage": name,
            "seconds": round(time.monotonic() - wall, 2),
            "cpu_seconds": round(cpu_seconds() - cpu, 2),
            "peak_rss_mib": round(peak_rss_mib(), 1),
        }
        self.stages.append(row)
        log.info(
            "stage %s done: %.1f s wall, %.1f s CPU, peak %.0f MiB",
            name,
            row["seconds"],
            row["cpu_seconds"],
            row["peak_rss_mib"],
        )

    def timed(self, name: str, call, *args):
        """call(*args), its wall time logged and kept as a part of the stage running it."""
        wall = time.monotonic()
        result = call(*args)
        row = {"part": name, "seconds": round(time.monotonic() - wall, 2)}
        self.parts.append(row)
        log.info("  %s done: %.1f s wall", name, row["seconds"])
        return result

    @contextlib.contextmanager
    def step(self, name: str):
        """A step of the running stage, in the calling thread: its wall time and that thread's CPU
        time (the stage's other threads and processes work beside it), logged and kept as a part."""
        wall, cpu = time.monotonic(), time.thread_time()
        yield
        row = {
            "part": name,
            "seconds": round(time.monotonic() - wall, 2),
            "thread_cpu_seconds": round(time.thread_time() - cpu, 2),
        }
        self.parts.append(row)
        log.info(
            "  %s done: %.1f s wall, %.1f s CPU in this thread",
            name,
            row["seconds"],
            row["thread_cpu_seconds"],
        )

    def summary(self) -> dict:
        return {
            "seconds": round(time.monotonic() - self.started, 1),
            "cpu_seconds": round(cpu_seconds() - self.cpu_started, 1),
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "stages": self.stages,
            "parts": self.parts,
        }

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


class BuildError(SnapshotError):
    """The build could not write its output (disk full, ...); the message names the file."""


class Output:
    """The database, its inspect file, the site's metadata, the findings' figures and the
    whole-table downloads, replaced as one unit.

    Each build writes all of them into a folder of its own beside `out`
    (`.hub.<pid>-<nonce>.build/`). They are put in place by one rename: `.hub.current`, a symbolic
    link to the folder of the newest build, is replaced by a link to the new folder, and `hub.db`,
    `inspect.json`, `metadata.json`, `figures/`, `downloads/` and the stage times are links through
    `.hub.current`. A build that fails or dies at any point leaves `.hub.current` as it was, so the
    site serves one build's files, never a mix; the next build removes what a dead one left behind.
    """

    # "downloads": scripts.publish.downloads.MOUNT (tests/test_build_faults.py checks that they agree).
    FILES = ("inspect.json", "metadata.json", "figures", "downloads", "build.json")

    def __init__(self, out: Path):
        self.out = out
        self.dir = out.parent
        self.current = self.dir / f".{out.stem}.current"
        # The process id (for remove_stale) and a nonce: a process may build more than once.
        self.generation = self.dir / f".{out.stem}.{os.getpid()}-{time.time_ns()}.build"
        self.database = self.generation / out.name
        self.inspect = self.generation / "inspect.json"
        self.metadata = self.generation / "metadata.json"

    def remove_stale(self) -> None:
        """Folders and temporary files of builds whose process is gone (killed, or crashed)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        live = os.readlink(self.current) if self.current.is_symlink() else None
        for path in self.dir.glob(f".{self.out.stem}.*.build"):
            pid = path.name.split(".")[2].partition("-")[0]
            if path.name != live and pid.isdigit() and not process_alive(int(pid)):
                log.info("removing %s, left by a build that did not finish", path)
                shutil.rmtree(path, ignore_errors=True)
        # Folders of earlier layouts' downloads and figures swaps: .downloads-<pid>-new, -old.
        for path in self.dir.glob(".*-*-*"):
            name, _, pid = path.name[1:].rpartition("-")[0].rpartition("-")
            if name in self.FILES and pid.isdigit() and not process_alive(int(pid)):
                log.info("removing %s, left by a build that did not finish", path)
                shutil.rmtree(path, ignore_errors=True)
        for path in self.dir.glob(".*.*.tmp*"):  # the temporary files of earlier versions of the build
            pid = path.name.split(".")[-2] if path.name.endswith(".tmp") else ""
            if pid.isdigit() and not process_alive(int(pid)):
                path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def writing(self):
        """The build's folder, removed unless it was published."""
        shutil.rmtree(self.generation, ignore_errors=True)
        self.generation.mkdir()
        try:
            yield self
        finally:
            if not (self.current.is_symlink() and os.readlink(self.current) == self.generation.name):
                shutil.rmtree(self.generation, ignore_errors=True)

    def publish(self) -> None:
        """Put the build's files in place at once (see the class's description)."""
        for folder, _, names in os.walk(self.generation):
            for name in names:
                with open(Path(folder) / name, "rb+") as f:
                    os.fsync(f.fileno())
        previous = os.readlink(self.current) if self.current.is_symlink() else None
        replace_with_link(self.current, self.generation.name)
        for name in (self.out.name, *self.FILES):
            target = f"{self.current.name}/{name}"
            path = self.dir / name
            if not (path.is_symlink() and os.readlink(path) == target):
                # Once, where these are still files or folders of an earlier layout.
                replace_with_link(path, target)
        if previous and previous != self.generation.name and previous.endswith(".build"):
            shutil.rmtree(self.dir / previous, ignore_errors=True)


def replace_with_link(path: Path, target: str) -> None:
    """Make `path` a symbolic link to `target` in one rename (readers see the old or the new).

    A folder of an earlier layout in its place is moved aside first (a rename cannot replace a
    folder by a link) and removed after."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    aside = None
    if path.is_dir() and not path.is_symlink():
        aside = path.with_name(f".{path.name}-{os.getpid()}-old")
        os.replace(path, aside)
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def snapshot_stage(snapshots_dir: Path, headline: str | None) -> tuple[list[Snapshot], str]:
    """Every snapshot folder, each verified against its manifest; and the headline census."""
    snapshots = find_snapshots(snapshots_dir)
    censuses = [s for s in snapshots if s.kind == SnapshotKind.CENSUS]
    if not censuses:
        raise SnapshotError(f"{snapshots_dir}: no snapshot of kind 'census'")
    headline = headline or max(s.name for s in censuses)
    if headline not in {s.name for s in censuses}:
        raise SnapshotError(f"--headline {headline}: no census snapshot of that name in {snapshots_dir}")
    for s in snapshots:
        if s.kind not in LOADERS:
            raise SnapshotError(f"{s.folder / 'MANIFEST.json'}: a {s.kind} snapshot cannot stand alone")
        log.info("verifying %s", s.data_file)
        verify(s)
    return snapshots, headline


@collector_paused()
def load_and_classify(organizations: dict, task: census.ChunkTask) -> census.PackedChunk:
    """A chunk of census lines -> its load rows and its classification rows, packed (in a worker).

    Decoding and classifying in the same process means each record is decoded once and never
    read back from SQLite; the writer copies the packed rows in (scripts/load/packed_rows.py)."""
    parsed = census.parse_chunk(task)
    markers, rows = versioning.classify_parsed(parsed.models, parsed.tag_lists, organizations)
    packed = packed_rows.pack(
        [*census.packed_tables(parsed), *versioning.packed_tables(markers, rows)],
        partial(census.pack_model_tags, parsed.tag_texts),
    )
    return census.PackedChunk(len(parsed.models), parsed.tag_texts, packed)


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


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when the build's process ends, however it ends (Linux prctl
    PR_SET_PDEATHSIG), so that no worker is left blocked on its pipe."""
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the build ended before the signal was asked for
        os._exit(1)


class BuildRun:
    """The database being built, with its worker pool and what the stages share."""

    def __init__(self, path: Path, workers: int | None):
        self.path = path
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.staging = path.with_name("staging.db")
        self.fts = path.with_name("fts.db")
        self.pool = None
        self.tag_keys: dict[str, int] = {}  # tag text -> tags.tag_key, across snapshots
        self.organizations: dict[str, tuple] = {}

    def __enter__(self) -> BuildRun:
        if self.workers > 1:
            # The workers are forked now, before this process opens the database: an SQLite
            # connection must not be carried across a fork (with "fork", all start at the first task).
            self.pool = ProcessPoolExecutor(
                self.workers, initializer=die_with_parent, initargs=(os.getpid(),)
            )
            self.pool.submit(int).result()
        self.db = sqlite_utils.Database(self.path)
        # A throw-away file until it is renamed: no journal, no fsync. The page cache stays at
        # SQLite's default: CREATE INDEX sorts in cache-sized runs, and small runs merge several
        # times faster than one huge in-memory sort (measured: 1.5 s instead of 4.9 s for model_tags).
        self.db.execute("pragma journal_mode = off")
        self.db.execute("pragma synchronous = off")
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()  # also on failure, so that the caller can remove the file
        self.close_pool()

    def close_pool(self) -> None:
        """Stop the worker processes; map runs in this process from then on."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def map(self, fn, tasks):
        """fn over tasks in the worker processes, results in task order (ordered_map)."""
        return ordered_map(self.pool, fn, tasks, 3 * self.workers)

    def attach_staging(self) -> None:
        """model_versioning is staged in a file of its own during the load: once loaded, two
        threads read it there (summaries, full-text index of the ids) while the writer indexes
        the database."""
        self.staging.unlink(missing_ok=True)
        self.db.execute("attach database ? as staging", [str(self.staging)])
        self.db.execute("pragma staging.journal_mode = off")
        self.db.execute("pragma staging.synchronous = off")
        versioning.create_staging(self.db, "staging")


def load_census(run: BuildRun, s: Snapshot) -> int:
    """Load and classify a census, chunk by chunk in the workers, written here in file order."""
    conn = run.db.conn
    expected = s.manifest.get("records")
    n = 0
    work = partial(load_and_classify, run.organizations)
    with progress_bar(expected, f"load and classify {s.name}") as bar:
        tasks = census.census_chunks(s, census.first_free_key(conn))
        for chunk in ordered_map(run.pool, work, tasks, 3 * run.workers):
            packed_rows.open_pack(conn, chunk.rows)
            n += census.copy_packed(conn, chunk, run.tag_keys)
            versioning.copy_packed(conn, "staging")
            bar.update(chunk.models)
    if expected is not None and n != expected:
        raise SnapshotError(f"{s.data_file}: {n} records, its manifest says {expected}")
    if n == 0:
        raise SnapshotError(f"{s.data_file}: holds no records; a census of no models is not built")
    log.info("loaded and classified %s: %d models", s.name, n)
    return n


def load_registry(run: BuildRun, s: Snapshot) -> int:
    n = registry.load_registry(run.db, s)
    log.info("loaded registry %s: %d registered models", s.name, n)
    return n


# Each kind of snapshot folder and its loader: (run, snapshot) -> records loaded. Git refs are
# not a folder of their own but part of a census (<census>/refs/, loaded by derive_stage).
LOADERS = {
    SnapshotKind.CENSUS: load_census,
    SnapshotKind.MLFLOW_REGISTRY: load_registry,
    SnapshotKind.WEIGHT_CHANGES: lambda run, s: weight_changes.load_weight_changes(run.db, s),
    SnapshotKind.MODEL_POPULATION: lambda run, s: population.load_population(run.db, s),
    SnapshotKind.WEEKLY_CHANGES: lambda run, s: weekly_changes.load_weekly_changes(run.db, s, run.map),
    SnapshotKind.MODEL_LIST: lambda run, s: frontier.load_frontier(run.db, s, run.map),
    SnapshotKind.WEIGHT_COMMITS: lambda run, s: weight_commits.load_weight_commits(run.db, s),
}


def load_stage(run: BuildRun, snapshots: list[Snapshot], headline: str, organizations_csv: Path) -> dict:
    """Every snapshot's records into their tables (censuses classified as they load)."""
    organizations.load_organizations(run.db, organizations_csv)
    run.organizations = organizations.organizations_map(run.db)
    run.attach_staging()
    packed_rows.attach(run.db.conn)
    counts: dict[str, int] = {}
    with run.db.conn:
        for s in snapshots:
            counts[s.name] = LOADERS[s.kind](run, s)
            census.load_snapshot_row(run.db, s, s.name == headline, counts[s.name])
    run.db.execute(f"detach database {packed_rows.SCHEMA}")
    census.check_unique_ids(run.db)
    return counts


class Prepared(NamedTuple):
    """What the derive stage prepares for the publish stage beside its own work: the downloads of
    the tables the load made final (a process), and the trigram index of the model ids in a file
    of its own (a thread; both read the staged versioning)."""

    downloads: EarlyDownloads
    trigrams: Future


# How much the nice value of the derive stage's work that nothing waits for until the outputs (the
# early downloads' process, the trigram index's thread) is raised: the build's thread, whose steps
# are the stage's length, gets a core first, and they the time it leaves.
SIDE_NICE = 10
# How much that of the threads whose results the build's thread takes within the stage (the
# models' full-text index, the summaries) is raised: less than SIDE_NICE, so they come before the
# side work, but enough that the build's thread keeps its core (at the build's own value the three
# shared two cores, and derive.tags took 15.6-16.7 s instead of 9.5-12.7 s).
HELPER_NICE = 5


def at_nice(increment: int, fn, *args):
    """fn(*args) in this thread with its nice value raised by `increment` (Linux gives each thread
    its own); for a thread that ends with it, since a raised nice value cannot be lowered without
    privileges."""
    thread = threading.get_native_id()
    os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + increment))
    return fn(*args)


def side_process_init(parent: int) -> None:
    """The early downloads' process: at SIDE_NICE, and killed with the build (die_with_parent)."""
    os.nice(SIDE_NICE)
    die_with_parent(parent)


def derive_stage(run: BuildRun, snapshots: list[Snapshot], clock: StageClock) -> Prepared:
    """The derived tables (derive_tables), while the downloads of the tables the load made final
    and the trigram index are made beside them; returns those, for publish_stage."""
    from scripts.publish.early_downloads import EarlyDownloads

    release_freed_memory()  # what the load freed, before the derive stage adds its own
    side = ThreadPoolExecutor(1)
    prepared = Prepared(
        EarlyDownloads(run.path, run.staging, side_process_init, (os.getpid(),)).start(),
        side.submit(
            at_nice, SIDE_NICE, search_index.build_trigrams, run.path.with_name("trigrams.db"), run.staging
        ),
    )
    side.shutdown(wait=False)  # its thread ends with the trigram index
    try:
        derive_tables(run, snapshots, prepared.downloads, clock)
    except BaseException:
        prepared.downloads.stop()
        raise
    return prepared


def derive_tables(run: BuildRun, snapshots: list[Snapshot], early: EarlyDownloads, clock: StageClock) -> None:
    """Tag counts, git refs, the staged classification copied in, summaries, full-text index,
    the Hub as a registry, where versions live outside names, and statistics for the planner;
    the robustness rows are computed by the `early` downloads' process. Each step is timed as a
    part of the stage (`derive.<step>`; a step that waits for a side thread counts the wait)."""
    from scripts.derive import (
        commit_messages,
        estimates,
        frontier_releases,
        group_estimates,
        history,
        rewrites,
        robustness,
        weekly,
    )
    from scripts.load import validation

    db = run.db
    # Two threads read the staged rows while this one writes: SQLite releases the GIL while it
    # computes, so they use the core that the classifier workers have just left. The summaries are
    # taken last, after the Hub registry: at HELPER_NICE their thread needs that long.
    with ThreadPoolExecutor(2) as side:
        fts_done = side.submit(at_nice, HELPER_NICE, census.build_fts, run.fts, run.staging)
        summaries_done = side.submit(
            at_nice, HELPER_NICE, summaries.compute_summaries, run.path.with_name("summaries.db"), run.staging
        )
        with db.conn:
            with clock.step("derive.tags"):
                census.finish_tags(db, run.tag_keys)
            with clock.step("derive.refs"):
                for s in snapshots:
                    if s.kind == SnapshotKind.CENSUS:
                        refs.load_refs(db, s)
            with clock.step("derive.copy_versioning"):
                versioning.copy_staged(db, "staging")
        db.execute("detach database staging")
        with db.conn, clock.step("derive.index_versioning"):
            versioning.index_derived(db)
        with clock.step("derive.models_fts"):
            census.attach_fts(db, fts_done.result())
        run.fts.unlink()  # the staged versioning stays until the early downloads have read it
        with db.conn, clock.step("derive.hub_registry"):
            hub_registry.derive_hub_registry(db)
        with db.conn, clock.step("derive.summaries"):
            summaries_path = summaries_done.result()
            summaries.store_summaries(db, summaries_path)
        summaries_path.unlink()
    # The hand labels beside this build's classification of the same ids, then the estimates
    # that correct the classifier's shares by its error on them.
    with db.conn:
        with clock.step("derive.validation"):
            log.info("validation sample: %d labelled ids", validation.load_validation(db))
            check_labelled_sample(db)
        with clock.step("derive.estimates"):
            manifest = validation.read_manifest(validation.VALIDATION_DIR)
            # The labels' rates and spread, measured once for the three steps that correct with them.
            fitted = group_estimates.fit(db, manifest) if estimates.labelled_census(db) else None
            log.info("estimates: %s", estimates.derive_estimates(db, manifest, fitted))
        with clock.step("derive.robustness"):
            log.info("robustness: %d rows", robustness.write_robustness(db, early.robustness_rows()))
    # Where versions live when not in names: weight rewrites, predecessors, succession.
    with db.conn:
        with clock.step("derive.history"):
            history.derive_history(db, fitted)
        # The closing question against a control group, commit messages, and the Hub after 2024.
        with clock.step("derive.rewrites"):
            rewrites.derive_rewrites(db, fitted)
        with clock.step("derive.commit_messages"):
            commit_messages.derive_commit_messages(db)
        with clock.step("derive.weekly"):
            weekly.derive_weekly(db)
        with clock.step("derive.frontier"):
            frontier_releases.derive_frontier(db)
    # Full statistics (not a sample: with sampled ones the planner passed over the covering index
    # of the RQ1 rows and that page took 0.5 s instead of 0.09 s).
    with clock.step("derive.analyze"):
        db.execute("analyze")


def check_labelled_sample(db: sqlite_utils.Database) -> None:
    """The corrected estimates need labelled ids of the census's simple random sample, both
    versioned and not (at least two of each); a census that holds too few of them (a small cut
    named like the labelled census) is refused here rather than in the statistics."""
    from scripts.derive import estimates
    from scripts.load import validation

    censuses = estimates.labelled_census(db)
    versioned = [
        r["label_scheme"] != "none" for census in censuses for r in estimates.labelled_uniform(db, census)
    ]
    positives, negatives = versioned.count(True), versioned.count(False)
    if censuses and (positives < 2 or negatives < 2):
        census_files = db.execute(
            "select group_concat(file, ', ') from snapshots where snapshot in (select value from json_each(?))",
            [json.dumps(sorted(censuses))],
        ).fetchone()[0]
        raise SnapshotError(
            f"{census_files}: holds {positives} versioned and {negatives} unversioned ids "
            f"of the labelled sample's '{estimates.UNIFORM}' stratum ({validation.VALIDATION_DIR}); "
            "the corrected estimates need two of each. Build the whole census, or give a cut "
            "another snapshot name so that the labels are not applied to it."
        )


def publish_stage(output: Output, clock: StageClock, prepared: Prepared) -> None:
    """Figures, downloads, inspect file and the site's metadata of the built database, all in the
    build's folder, then all of them put in place by one swap (Output.publish).

    The findings are written first (the database's last change); then the downloads, the
    inspect file (which takes the database's hash from the downloads' manifest, so the 1 GB file
    is hashed once) and last the figures. The largest downloads and the trigram index were made
    during the derive stage (`prepared`); they are taken as they are."""
    from scripts.publish import croissant, downloads, figures

    try:
        # before site_metadata checks the canned queries, one of which reads the trigram index
        trigrams = prepared.trigrams.result()
        clock.timed("search_index", search_index.write, output.database, METADATA_YML, trigrams)
        trigrams.unlink()
        release_freed_memory()  # what the derive stage freed, before the outputs
        metadata = site_metadata(db_path=output.database)
        with clock.stage("outputs"):
            charts = clock.timed("findings", write_findings, output.database, metadata)
            figures_dir = output.generation / "figures"
            figures_dir.mkdir()  # served even when no finding has a figure
            exported = clock.timed("early_downloads", prepared.downloads.result)
            # Its work done, the side process ends before the downloads are written; the figures
            # are drawn after them, once their batches' memory is given back: the renderer (about
            # 130 MiB, kept until the process ends) beside the downloads was the build's peak.
            prepared.downloads.stop()
            manifest = clock.timed(
                "downloads",
                downloads.write_downloads,
                output.database,
                output.generation / downloads.MOUNT,
                output.out.stem,
                exported,
            )
            exported[0].rmdir()  # emptied: its files are in the downloads folder now
            clock.timed("croissant", croissant.write_into, metadata, output.generation / downloads.MOUNT)
            clock.timed("inspect", write_inspect, output.database, output.inspect, output.out, manifest)
            release_freed_memory()
            clock.timed("figures", figures.draw_all, output.database, charts, figures_dir)
    finally:
        prepared.downloads.stop()
    with clock.stage("publish"):
        output.metadata.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        clock.write(output.generation / STAGES_FILE)
        output.publish()


def write_findings(db_path: Path, metadata: dict) -> list[tuple[str, dict]]:
    """The findings table (with the URLs of their figures) in the database; returns the charts to
    draw: (finding key, canned query) for each finding whose query this build lists."""
    from scripts.publish import figures, findings

    queries = metadata["databases"]["hub"]["queries"]
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        found = findings.compute(conn)
        charts = []
        for key, finding in found.items():
            # a finding whose query this build does not list (its data is absent) has no figure
            if finding["chart_query"] in queries:
                finding["figures"] = figures.figure_urls(key)
                charts.append((key, queries[finding["chart_query"]]))
        findings.write_table(conn, found)
    return charts


def write_inspect(db_path: Path, inspect_path: Path, served: Path, manifest: dict) -> None:
    """Datasette's inspect file (hash, size and table counts, as `datasette inspect` writes them) so
    that the immutable database starts fast; the hash is the downloads manifest's."""
    from scripts.publish import downloads

    with contextlib.closing(downloads.connect_read_only(db_path)) as conn:
        tables = conn.execute("select name, sql from sqlite_master where type = 'table'").fetchall()
        # `datasette inspect` counts no rows for the full-text (virtual) table: its count fails there.
        counts = {
            name: None
            if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
            else conn.execute(f"select count(*) from [{name}]").fetchone()[0]
            for name, sql in tables
        }
    info = {
        "hash": manifest["database"]["sha256"],
        "size": db_path.stat().st_size,
        "file": str(served),  # the served file, not the build's own
        "tables": {name: {"count": count} for name, count in counts.items()},
    }
    inspect_path.write_text(json.dumps({served.stem: info}, indent=2), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/hub.db"))
    parser.add_argument("--snapshots", type=Path, default=DEFAULT_SNAPSHOTS_DIR)
    parser.add_argument("--headline", help="census shown first (default: the newest)")
    parser.add_argument("--workers", type=int, help="classifier processes (default: up to 2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Arrow's own allocator keeps the export batches' memory for reuse; the system's gives it back
    # (release_freed_memory): about 22 MiB less per large table, measured. Read when pyarrow is
    # first imported, here and in the side process, which inherits it.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        build(args.out, args.snapshots, args.headline, workers=args.workers)
    except SnapshotError as e:
        print(f"build failed: {e}", file=sys.stderr)
        print(f"{args.out} was left as it was.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
