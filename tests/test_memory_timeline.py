"""scripts/dev/memory_timeline.py on a real process tree: a parent and the child it starts, each
holding 60 MiB of written memory at once."""

from __future__ import annotations

import sys

from scripts.dev import memory_timeline

CHILD = "b = b'x' * (60 << 20); import time; time.sleep(2)"
PARENT = f"import subprocess, sys; b = b'y' * (60 << 20); subprocess.run([sys.executable, '-c', {CHILD!r}])"


def test_the_peak_counts_the_parent_and_its_child_together(tmp_path):
    result = memory_timeline.timeline([sys.executable, "-c", PARENT], tmp_path / "log", 0.1, 0.5)
    assert result["exit_code"] == 0
    assert result["peak_rss_sum_mib"] >= 120
    at_peak = result["at_peak_rss"]["processes"]
    assert len(at_peak) == 2 and all(p["rss"] >= 60 for p in at_peak)
    # the processes share little here, so their PSS adds up to nearly the same
    assert result["peak_pss_sum_mib"] >= 115
    assert result["timeline"] and result["timeline"][0]["seconds"] < 1  # the first sample is kept


def test_a_failing_command_is_reported(tmp_path):
    result = memory_timeline.timeline(
        [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log", 0.05, 1
    )
    assert result["exit_code"] == 3
