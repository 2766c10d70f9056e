"""Which thread of a command's process tree spends how much CPU time, stage by stage:

    python -m scripts.dev.cpu_timeline [--log L] -- python -m scripts.build --out /tmp/c/hub.db

Each thread's user and system time is sampled every --poll seconds (psutil); a stage begins when
the command's output shows `stage <name>` (as scripts/build.py's StageClock logs it). Prints one
JSON object: per stage, its wall seconds and each thread's CPU seconds in it, largest first, with
its process's command line and the time the thread was first seen. A thread that ends between
two samples loses at most one poll interval of its time.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import psutil

from scripts.dev import measured_command

STAGE_LINE = re.compile(r"\bstage (\w+)$")


def thread_times(root: psutil.Process) -> dict[tuple[int, int], tuple[str, float]]:
    """(pid, thread id) -> (the end of the process's command line, the thread's CPU seconds)."""
    out = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                command = " ".join(proc.cmdline())[-48:]
                for t in proc.threads():
                    out[(proc.pid, t.id)] = (command, t.user_time + t.system_time)
    return out


def timeline(command: list[str], log: Path, poll_s: float) -> dict:
    """Run `command` (its output into `log`), sampling its threads every poll_s seconds; the CPU
    time of each thread in each stage the output names."""
    started = time.monotonic()
    seen: dict[tuple[int, int], tuple[str, float]] = {}  # last sample of every thread
    first_seen: dict[tuple[int, int], float] = {}
    marks: list[tuple[str, float, dict]] = [("(start)", 0.0, {})]  # stage, seconds, CPU at its start
    with open(log, "w") as out, open(log) as reading:
        proc = psutil.Popen(command, stdout=out, stderr=out)
        while True:
            done = proc.poll() is not None
            at = time.monotonic() - started
            for key, value in thread_times(proc).items():
                seen[key] = value
                first_seen.setdefault(key, at)
            for line in reading.read().splitlines():
                if match := STAGE_LINE.search(line.rstrip()):
                    marks.append((match.group(1), at, {k: cpu for k, (_, cpu) in seen.items()}))
            if done:
                break
            time.sleep(poll_s)
    end = time.monotonic() - started
    stages = []
    for i, (name, begun, at_start) in enumerate(marks):
        next_start = marks[i + 1][2] if i + 1 < len(marks) else {k: cpu for k, (_, cpu) in seen.items()}
        ended = marks[i + 1][1] if i + 1 < len(marks) else end
        threads = [
            {
                "pid": pid,
                "thread": tid,
                "command": seen[(pid, tid)][0],
                "first_seen_s": round(first_seen[(pid, tid)], 1),
                "cpu_s": round(cpu - at_start.get((pid, tid), 0.0), 2),
            }
            for (pid, tid), cpu in next_start.items()
            if cpu - at_start.get((pid, tid), 0.0) >= 0.05
        ]
        threads.sort(key=lambda t: -t["cpu_s"])
        stages.append(
            {
                "stage": name,
                "seconds": round(ended - begun, 1),
                "cpu_s": round(sum(t["cpu_s"] for t in threads), 1),
                "threads": threads,
            }
        )
    return {
        "command": command,
        "exit_code": proc.returncode,
        "seconds": round(end, 1),
        "cpu_s": round(sum(cpu for _, cpu in seen.values()), 1),
        "stages": stages,
    }


def main(argv=None) -> int:
    args = measured_command.arguments(__doc__, "build/cpu-timeline.log", 0.5, argv)
    return measured_command.report(timeline(args.command, args.log, args.poll))


if __name__ == "__main__":
    raise SystemExit(main())
