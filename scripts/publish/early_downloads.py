"""Publish stage, begun while the database is derived: the downloads of the tables that no stage
after the load changes (`models`, `version_markers`, and `model_versioning` as staged), written by
a process of their own on the core the derive stage's single writer leaves idle.

They are most of the downloads' time. The process reads a copy of the database taken as the load
ends (a reader beside the writer would block its commits) and the staged `model_versioning`;
write_downloads then moves their files in as they are, after checking that each table still has
the rows it had (scripts/publish/downloads.py).
"""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from scripts.derive import robustness
from scripts.memory import release_freed_memory

# Each table final once the load's rows are in, and the file it is read from then ("database":
# the copy of the main file; "staging": the staged versioning, see BuildRun.attach_staging).
FINAL_AFTER_LOAD = {"models": "database", "version_markers": "database", "model_versioning": "staging"}


class EarlyDownloads:
    """The export of FINAL_AFTER_LOAD in a spawned process: started by `start`, collected by
    `result` (the (folder, entries) write_downloads takes); `stop` ends the process and removes
    the copied and staged files it read."""

    def __init__(self, database: Path, staging: Path, initializer=None, initargs=()):
        self.database, self.staging = Path(database), Path(staging)
        self.copy = self.database.with_name("early-downloads.db")
        self.folder = self.database.with_name("early-downloads")
        self.initializer, self.initargs = initializer, initargs
        self.pool = None
        self.pending = None
        self.tasks = []  # its AsyncResults: stop() closes a pool whose tasks all ended

    def sources(self) -> list[tuple[str, str]]:
        """(file, table) of each table of FINAL_AFTER_LOAD that this build has."""
        files = {"database": self.copy, "staging": self.staging}
        present = {kind: table_names(path) for kind, path in files.items()}
        return [(str(files[kind]), t) for t, kind in FINAL_AFTER_LOAD.items() if t in present[kind]]

    def start(self) -> EarlyDownloads:
        """Copy the database (committed, nothing writing it) and start the export beside the caller."""
        shutil.copyfile(self.database, self.copy)
        # "spawn": a fresh interpreter, not a fork of the build's process with its memory and its
        # open SQLite connection.
        context = multiprocessing.get_context("spawn")
        # One process for its two tasks (robustness, export), each giving the heap it
        # freed back as it ends (trimmed_call) rather than keeping it for the next. Not a fresh
        # process per task (maxtasksperchild): its worker replacement made the pool's join hang.
        self.pool = context.Pool(1, self.initializer, self.initargs)
        # The robustness rows first: the derive stage waits for them half-way through.
        self.robustness = self.pool.apply_async(
            trimmed_call, (robustness_rows, str(self.staging), str(self.copy))
        )
        # One table at a time: the export has the derive stage's length to finish in, and alone
        # a table took less CPU time and 50 MiB less memory than two side by side (measured:
        # 15.5 CPU-s and 190 MiB against 21.8 CPU-s and 243 MiB for the three tables).
        self.pending = self.pool.apply_async(
            trimmed_call, (export_tables, self.sources(), str(self.folder), 1)
        )
        self.tasks = [self.robustness, self.pending]
        return self

    def robustness_rows(self) -> list[dict]:
        """The rows of the robustness table, computed in the process from the same rows as the
        database's (scripts/derive/robustness.py reads only model_versioning and version_markers)."""
        return self.robustness.get()

    def result(self) -> tuple[Path, list[dict]]:
        """Wait for the export; its files' folder and manifest entries."""
        return self.folder, self.pending.get()

    def stop(self) -> None:
        """End the process (at once, if it is still working) and remove the files it read."""
        if self.pool is not None:
            if all(task.ready() for task in self.tasks):
                self.pool.close()  # idle: its process ends as it reads the pool's end
            else:
                self.pool.terminate()
            self.pool.join()
            self.pool = None
        self.copy.unlink(missing_ok=True)
        self.staging.unlink(missing_ok=True)


def robustness_rows(staging: str, loaded: str) -> list[dict]:
    """In the process: the staged model_versioning as `main`, the copy's version_markers beside it
    (the copy's own model_versioning is still empty and is not seen)."""
    with closing(sqlite3.connect(f"file:{staging}?mode=ro", uri=True)) as conn:
        conn.execute("attach database ? as loaded", [f"file:{loaded}?mode=ro"])
        rows = robustness.column_robustness_rows(robustness.read_columns(conn))
    return rows


def export_tables(*args):
    """downloads.export_tables, imported in the process that runs it: its pyarrow (about 30 MiB)
    is not needed by the build's process until the outputs stage."""
    from scripts.publish import downloads

    return downloads.export_tables(*args)


def trimmed_call(fn, *args):
    """fn(*args), then the heap it freed given back to the system (see release_freed_memory)."""
    try:
        return fn(*args)
    finally:
        release_freed_memory()


def table_names(path: Path) -> set[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {t for (t,) in conn.execute("select name from sqlite_master where type = 'table'")}
