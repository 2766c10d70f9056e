"""Which process of a command's process tree holds how much memory, and when: the summed RSS the
bench's `build_peak_rss_mb` reports, the summed PSS beside it (shared pages split between the
processes that share them), and each process's share at the peak and every few seconds:

    python -m scripts.dev.memory_timeline [--every 10] -- python -m scripts.build --out /tmp/m/hub.db

Prints one JSON object; the command's own output goes to --log.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import psutil

from scripts.dev import measured_command

MIB = 1 << 20


def sample(root: psutil.Process) -> list[dict]:
    """Each live process of the tree: pid, the end of its command line, RSS/PSS/USS in MiB."""
    rows = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                info = proc.memory_full_info()
                command = " ".join(proc.cmdline())
                rows.append(
                    {
                        "pid": proc.pid,
                        "command": command[-48:],
                        "rss": info.rss // MIB,
                        "pss": info.pss // MIB,
                        "uss": info.uss // MIB,
                    }
                )
    return rows


def timeline(command: list[str], log: Path, poll_s: float, every_s: float) -> dict:
    """Run `command`, sampling its tree every poll_s seconds; the peaks and a sample every every_s."""
    started, last_kept = time.monotonic(), -every_s
    peaks = {"rss": (0, None), "pss": (0, None)}
    kept = []
    with open(log, "w") as out:
        proc = psutil.Popen(command, stdout=out, stderr=out)
        while proc.poll() is None:
            at, rows = round(time.monotonic() - started, 1), sample(proc)
            for measure in peaks:
                total = sum(r[measure] for r in rows)
                if total > peaks[measure][0]:
                    peaks[measure] = (total, {"seconds": at, "processes": rows})
            if at - last_kept >= every_s:
                kept.append({"seconds": at, "rss": sum(r["rss"] for r in rows), "processes": rows})
                last_kept = at
            time.sleep(poll_s)
    return {
        "command": command,
        "exit_code": proc.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "peak_rss_sum_mib": peaks["rss"][0],
        "at_peak_rss": peaks["rss"][1],
        "peak_pss_sum_mib": peaks["pss"][0],
        "at_peak_pss": peaks["pss"][1],
        "timeline": kept,
    }


def main(argv=None) -> int:
    def every(parser):
        parser.add_argument("--every", type=float, default=10.0, help="seconds between the samples printed")

    args = measured_command.arguments(__doc__, "build/memory-timeline.log", 0.25, argv, every)
    return measured_command.report(timeline(args.command, args.log, args.poll, args.every))


if __name__ == "__main__":
    raise SystemExit(main())
