"""The process-wide memory helpers (scripts/memory.py): the cyclic collector paused for a piece of
work and restored after it, however it ends, and kept paused until the last of overlapping pauses
in several threads ends."""

from __future__ import annotations

import gc
import threading

import pytest

from scripts.memory import collector_paused


def test_the_collector_is_paused_for_a_chunk_and_restored_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a chunk that fails")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_as_a_decorator_each_call_pauses_it():
    @collector_paused()
    def work():
        return gc.isenabled()

    assert work() is False and work() is False
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_resume_it_when_the_last_ends():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with collector_paused():
            second_in.set()
            first_out.wait(10)
            seen["after the first ended"] = gc.isenabled()
        seen["after both ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen == {"after the first ended": False, "after both ended": True}
