"""The build's helper threads run below its own thread (scripts/build.py, at_nice)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from scripts import build


def own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_helper_thread_runs_at_its_raised_nice_value_and_the_caller_keeps_its_own():
    before = own_nice()
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(build.at_nice, build.HELPER_NICE, own_nice).result()
    assert seen == min(19, before + build.HELPER_NICE)
    assert own_nice() == before


def test_side_work_runs_below_the_helpers():
    with ThreadPoolExecutor(1) as pool:
        helper = pool.submit(build.at_nice, build.HELPER_NICE, own_nice).result()
    with ThreadPoolExecutor(1) as pool:
        side = pool.submit(build.at_nice, build.SIDE_NICE, own_nice).result()
    assert side > helper or side == 19


def test_the_raise_stops_at_the_lowest_priority():
    def raised_twice():
        return build.at_nice(15, build.at_nice, 15, own_nice)

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(raised_twice).result() == 19
