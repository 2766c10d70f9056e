"""scripts/dev/cpu_timeline.py on a real process tree: a first stage that spins in the main
thread, a second that spins in a thread of its own and in a child process; each thread's CPU time
is counted in the stage it was spent in."""

from __future__ import annotations

import json
import sys

import pytest

from scripts.dev import cpu_timeline

CHILD = "import time\nt = time.thread_time()\nwhile time.thread_time() - t < 0.6: pass\n"
PROGRAM = f"""
import subprocess, sys, threading, time
def spin():
    t = time.thread_time()
    while time.thread_time() - t < 0.6: pass
print("build stage first", flush=True)
spin()
print("build stage second", flush=True)
worker = threading.Thread(target=spin)
worker.start()
subprocess.run([sys.executable, "-c", {CHILD!r}])
worker.join()
time.sleep(0.3)
"""


def test_each_threads_time_is_counted_in_its_stage(tmp_path):
    result = cpu_timeline.timeline([sys.executable, "-c", PROGRAM], tmp_path / "log", 0.05)
    assert result["exit_code"] == 0
    stages = {s["stage"]: s for s in result["stages"]}
    assert list(stages) == ["(start)", "first", "second"]
    first, second = stages["first"]["threads"], stages["second"]["threads"]
    main_pid = first[0]["pid"]
    assert first[0]["thread"] == main_pid and first[0]["cpu_s"] >= 0.5  # the main thread spun
    assert all(t["cpu_s"] < 0.2 for t in first[1:])
    spinners = [t for t in second if t["cpu_s"] >= 0.5]
    assert len(spinners) == 2  # the thread and the child process
    assert {t["pid"] == main_pid and t["thread"] != main_pid for t in spinners} == {True, False}
    assert 1.0 <= result["cpu_s"] <= 3.0


def test_a_failing_command_is_reported(tmp_path):
    result = cpu_timeline.timeline([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log", 0.05)
    assert result["exit_code"] == 3 and [s["stage"] for s in result["stages"]] == ["(start)"]


def test_the_command_line_prints_the_stages_as_json(tmp_path, capsys):
    log = tmp_path / "logs" / "run.log"
    code = cpu_timeline.main(
        ["--log", str(log), "--poll", "0.05", "--", sys.executable, "-c", "print('stage x')"]
    )
    assert code == 0 and log.read_text() == "stage x\n"
    assert [s["stage"] for s in json.loads(capsys.readouterr().out)["stages"]] == ["(start)", "x"]
    with pytest.raises(SystemExit) as refused:
        cpu_timeline.main(["--log", str(log)])
    assert refused.value.code == 2 and "give the command to measure after --" in capsys.readouterr().err
