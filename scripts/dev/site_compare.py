"""Per-page load figures of one build served with a given plugins folder, to compare two versions.

    git show 127dbe3:plugins/hub_guard.py > /tmp/before/hub_guard.py   # ... each plugin
    python -m scripts.dev.site_compare --build build --plugins-dir /tmp/before --out before.json
    python -m scripts.dev.site_compare --build build --out after.json

For each page a visitor opens (scripts/dev/site_load.py: visitor_pages) one unmeasured GET, then
wrk with 16 connections for --seconds; then distinct uncached searches, and the home page under 4
clients of heavy requests (scripts/dev/mixed_load.py: run_heavy_mixed) for twice --seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts.dev import mixed_load, site_load
from scripts.publish import site


def figures(load: dict) -> dict:
    return {
        "rps": round(load["rps"], 1),
        "p50": load["latency_p50_ms"],
        "p99": load["latency_p99_ms"],
        "errors": load["errors"],
    }


def main(argv=None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("build"))
    parser.add_argument("--plugins-dir", type=Path, default=site.PLUGINS_DIR)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    site.PLUGINS_DIR = args.plugins_dir  # read by site.serve_command
    db = args.build / "hub.db"
    result = {}
    with site_load.served(args.build) as server:
        for name, path in site_load.visitor_pages(db).items():
            httpx.get(server.base + path, timeout=120)  # one visitor before the crowd
            result[name] = figures(site_load.run_wrk(server.base, [path], seconds=args.seconds))
            print(name, result[name], flush=True)
        searches = site_load.uncached_searches(db)
        result["search_uncached"] = figures(site_load.run_wrk(server.base, searches, seconds=args.seconds))
        result["heavy_mixed"] = mixed_load.run_heavy_mixed(
            server.base, "/", site_load.heavy_requests(db), seconds=2 * args.seconds
        )
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
