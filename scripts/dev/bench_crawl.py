"""Crawl throughput against the fake Hub, without and with 2% of each fault (`make bench-crawl`).

    python -m scripts.dev.bench_crawl [--snapshot data/snapshots/2024-07-11] [--out DIR]

For each fault setting it starts `python -m scripts.dev.fakehub` on a free port, runs the real
census crawl (`python -m scripts.acquire.census`) against it as a user would, and prints the
records, seconds, models per second and answers by status code from the snapshot's manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAULTS = {
    "no faults": [],
    "2% of each fault": [
        *("--rate-429", "0.02", "--rate-500", "0.02", "--rate-drop", "0.02", "--rate-truncate", "0.02"),
        *("--retry-after", "0", "--seed", "1"),
    ],
}


def crawl_once(snapshot: Path, out: Path, faults: list[str]) -> dict:
    """One crawl of a fresh fake Hub into `out`; returns the snapshot's manifest."""
    with open(out.with_name(out.name + "-fakehub.log"), "w") as hub_log:
        hub = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.dev.fakehub",
                "--snapshot",
                str(snapshot),
                "--port",
                "0",
                *faults,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=hub_log,
            text=True,
        )
        try:
            url = hub.stdout.readline().strip()  # its first line, once the records are loaded
            if not url:
                raise SystemExit(f"the fake Hub did not start; see {hub_log.name}")
            cmd = [sys.executable, "-m", "scripts.acquire.census", "--out", str(out), "--endpoint", url]
            subprocess.run([*cmd, "--log-every", "30"], cwd=ROOT, check=True)
        finally:
            hub.terminate()
            hub.wait(30)
    return json.loads((out / "MANIFEST.json").read_text())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshot", type=Path, default=ROOT / "data" / "snapshots" / "2024-07-11")
    default_out = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "hub-versioning-bench"
    p.add_argument("--out", type=Path, default=default_out, help="working folder, emptied first")
    args = p.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    for label, faults in FAULTS.items():
        m = crawl_once(args.snapshot, args.out / ("census-faults" if faults else "census"), faults)
        c = m["crawl"]
        print(
            f"{label}: {m['records']:,} models in {c['seconds']} s = {m['records'] / c['seconds']:,.0f} models/s, "
            f"requests {c['requests']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
