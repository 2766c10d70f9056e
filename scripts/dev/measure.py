"""Measuring child processes and samples: wall time, peak memory of a process tree, percentiles."""

from __future__ import annotations

import contextlib
import math
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest sample that at least `share` of the samples do not exceed."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def p95(samples: list[float]) -> float:
    return percentile(samples, 0.95)


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once it has gone)."""
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], poll_s: float = 0.05, cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run cmd; returns (wall seconds, peak MB of the summed RSS of its process tree, stdout).

    The memory is polled every poll_s seconds in a thread while the main thread waits, so the
    wall time is not rounded up to the polling interval. Summing RSS counts pages that a forked
    worker still shares with its parent twice: an upper bound of the tree's real footprint.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = psutil.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        peak = 0
        finished = threading.Event()

        def poll():
            nonlocal peak
            while not finished.is_set():
                peak = max(peak, tree_rss(proc))
                finished.wait(poll_s)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = proc.wait()
        elapsed = time.perf_counter() - started
        finished.set()
        poller.join()
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if code != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {code}:\n{tail}")
    return elapsed, peak / 2**20, stdout
