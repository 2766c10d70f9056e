"""Pages the cache cannot answer, under load: searches, facets, filtered and sorted table pages.

    python -m scripts.dev.uncached_load [--site build] [--seconds 8] [--out build/uncached.json]

Each page is a list of distinct URLs (a search term, a filter value per request) and every request
carries a Host of its own, which is part of the response cache's key (plugins/hub_cache.py): no
request is answered from the cache, as when each visitor asks their own question. An answer
marked `X-Hub-Cache: hit` is counted apart (`uncached_hits.<page>`, which must stay 0).

Per page, at CONNECTIONS concurrent connections for `seconds`: `uncached_rps` (answers 200 per
second), `uncached_p50_ms` and `uncached_p99_ms` (of the 200 answers), `uncached_busy` (503 from
the admission slots, plugins/hub_admission.py, counted apart from the errors) and `uncached_errors`
(any other status or a failed connection). The client is asyncio + httpx in this process: at the
few hundred requests per second these pages allow, it takes a small part of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import sys
import time
from pathlib import Path

from scripts.dev.measure import percentile
from scripts.publish import site

CONNECTIONS = 16
DB = site.DATABASE


def headline(conn: sqlite3.Connection) -> str:
    return conn.execute("select snapshot from snapshots where headline").fetchone()[0]


def search_terms(conn: sqlite3.Connection, n: int = 4000) -> list[str]:
    """n distinct one-word searches: the authors of the most downloaded models (letters and digits)."""
    return [
        a
        for (a,) in conn.execute(
            "select author from models where author glob '[a-z]*' and author not glob '*[^a-z0-9]*'"
            " group by author order by max(downloads) desc limit ?",
            [n],
        )
    ]


def uncached_pages(db_path: Path) -> dict[str, list[str]]:
    """Page name -> its distinct URLs: searches on both searchable tables, the two big tables
    unfiltered (their configured facets), the two facets the visitor figures load, both tables
    filtered by task (their configured facets over the filtered rows), a filtered page sorted by
    another column, and the model lookup."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        snapshot = headline(conn)
        terms = search_terms(conn)
        tasks = [
            t
            for (t,) in conn.execute(
                "select pipeline_tag from models where snapshot = ? and pipeline_tag is not null"
                " group by pipeline_tag order by count(*) desc",
                [snapshot],
            )
        ]
    finally:
        conn.close()
    by_task = f"snapshot={snapshot}&pipeline_tag="
    return {
        "search_models": [f"/{DB}/models?_search={t}" for t in terms],
        "search_model_versioning": [f"/{DB}/model_versioning?_search={t}" for t in terms],
        "table_models": [f"/{DB}/models"],
        "table_model_versioning": [f"/{DB}/model_versioning"],
        "facet_pipeline_tag": [f"/{DB}/models?_facet=pipeline_tag"],
        "facet_organization": [f"/{DB}/model_versioning?_facet=organization"],
        "filtered_models": [f"/{DB}/models?{by_task}{t}" for t in tasks],
        "filtered_model_versioning": [f"/{DB}/model_versioning?{by_task}{t}" for t in tasks],
        "sorted_filtered_models": [f"/{DB}/models?{by_task}{t}&_sort_desc=likes" for t in tasks],
        "model_lookup": [f"/{DB}/browse_model_lookup?q={t}" for t in terms],
    }


async def _load(base: str, paths: list[str], seconds: float, connections: int) -> list[tuple]:
    """(status, ms, cache state) of every answer of `connections` clients walking paths."""
    import httpx

    answers: list[tuple] = []
    numbers = itertools.count()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            n = next(numbers)
            started = time.perf_counter()
            try:
                r = await http.get(paths[n % len(paths)], headers={"host": f"u{n}.uncached.test"})
                answers.append(
                    (r.status_code, (time.perf_counter() - started) * 1000, r.headers.get("x-hub-cache"))
                )
            except httpx.HTTPError as e:
                answers.append((type(e).__name__, (time.perf_counter() - started) * 1000, None))

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(connections)))
    return answers


def summarize(answers: list[tuple], seconds: float) -> dict:
    ok = [ms for status, ms, _ in answers if status == 200]
    return {
        "rps": round(len(ok) / seconds, 1),
        "p50_ms": round(percentile(ok, 0.5), 1) if ok else None,
        "p99_ms": round(percentile(ok, 0.99), 1) if ok else None,
        "busy": sum(1 for status, _, _ in answers if status == 503),
        "errors": sum(1 for status, _, _ in answers if status not in (200, 503)),
        "hits": sum(1 for _, _, cache in answers if cache == "hit"),
    }


def drain(base: str, quick_ms: float = 50, limit_s: float = 60) -> None:
    """Wait until the server answers a trivial page quickly again: the requests still running
    when the clients stopped (their answers unread) would otherwise load what is measured next."""
    import httpx

    deadline = time.monotonic() + limit_s
    with httpx.Client(base_url=base, timeout=limit_s) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            http.get("/-/versions.json")
            if (time.perf_counter() - started) * 1000 < quick_ms:
                return
            time.sleep(0.2)


def uncached_load(
    base: str, pages: dict[str, list[str]], seconds: float, connections: int = CONNECTIONS
) -> dict:
    """name -> summary of `connections` connections on that page's distinct URLs for `seconds`."""
    result = {}
    for name, paths in pages.items():
        started = time.monotonic()
        answers = asyncio.run(_load(base, paths, seconds, connections))
        result[name] = summarize(answers, time.monotonic() - started)
        drain(base)
    return result


def uncached_figures(base: str, db_path: Path, seconds: float) -> dict[str, float]:
    """The bench's figures: uncached_{rps,p50_ms,p99_ms,busy,errors,hits}.<page>."""
    figures = {}
    for name, summary in uncached_load(base, uncached_pages(db_path), seconds).items():
        for measure, value in summary.items():
            figures[f"uncached_{measure}.{name}"] = value
    return figures


def main(argv=None) -> int:
    from scripts.dev.site_load import served

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("build"), help="the build folder to serve")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--only", nargs="*", help="page names (default: all)")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    pages = uncached_pages(args.site / "hub.db")
    if args.only:
        pages = {name: pages[name] for name in args.only}
    with served(args.site) as server:
        figures = {}
        for name, summary in uncached_load(server.base, pages, args.seconds).items():
            print(name, json.dumps(summary), flush=True)
            figures |= {f"uncached_{measure}.{name}": value for measure, value in summary.items()}
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
