"""The served site under measurement: `datasette serve` of a build, page latencies, wrk load."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from scripts.dev.measure import p95
from scripts.publish import metadata, site

ROOT = site.ROOT
# The pages that answer the research questions: their canned queries carry these prefixes.
RQ_PREFIXES = ("rq1_", "rq2_", "rq3_", "time_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:PORT
    pid: int  # the `datasette serve` process, for its memory


@contextlib.contextmanager
def served(build_dir: Path, timeout_s: float = 60, settings: list[tuple[str, str]] = (), port: int = 0):
    """`datasette serve` of build_dir with the site's configuration (scripts/publish/site.py) on
    127.0.0.1 (a free port unless one is given); yields a Server and stops it afterwards. `settings`
    are extra `--setting NAME VALUE` pairs, after the site's own (to try a change before making it)."""
    import httpx

    cmd = site.serve_command(build_dir, port=port or free_port())
    for name, value in settings:
        cmd += ["--setting", name, value]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{cmd[cmd.index('--port') + 1]}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(
                    f"datasette serve exited with {proc.returncode}:\n{log.read().decode()[-3000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/-/versions.json", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"datasette serve did not answer on {base} within {timeout_s} s")
            time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def site_pages(db_path: Path) -> dict[str, str]:
    """Figure name -> path of every page timed: each canned query with its default parameters,
    the model page of the headline's most downloaded model, and a faceted table page (the rows
    RQ1's headline figure links to, with model_versioning's default facets)."""
    import sqlite3

    pages = {name: f"/{site.DATABASE}/{name}" for name in metadata.canned_queries()}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        (headline,) = conn.execute("select snapshot from snapshots where headline").fetchone()
        (key,) = conn.execute(
            "select key from models where snapshot = ? order by downloads desc limit 1", [headline]
        ).fetchone()
    finally:
        conn.close()
    pages["model_page"] = f"/{site.DATABASE}/models/{key}"
    pages["about_page"] = "/about"
    pages["faceted_table_page"] = (
        f"/{site.DATABASE}/model_versioning?snapshot={headline}&own_version=1&downloads__gte=0"
    )
    return pages


def rq_paths(pages: dict[str, str]) -> list[str]:
    """The RQ pages and the JSON their charts load: what a class of students opens."""
    paths = []
    for name, path in pages.items():
        if name.startswith(RQ_PREFIXES):
            paths += [path, f"{path}.json?_shape=array"]
    return paths


def page_latencies(base: str, pages: dict[str, str], requests: int) -> dict[str, float]:
    """name -> p95 latency in ms over `requests` sequential GETs (after one unmeasured warm-up).
    A page that does not answer 200 is an error, not a number."""
    import httpx

    result = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, path in pages.items():
            r = client.get(path)
            if r.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {r.status_code}: {r.text[:500]}")
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                r = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {r.status_code}")
            result[name] = round(p95(samples), 1)
    return result


# wrk's Lua: each connection walks the page list from its own offset; every non-2xx answer is
# counted per thread, and done() prints one JSON line with the totals.
WRK_LUA = """
local paths = {%(paths)s}
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end
function init(args)
  n = offset
  non2xx = 0
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "latency_p50_ms": %%.1f, "latency_p99_ms": %%.1f}\\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_script(paths: list[str]) -> str:
    return WRK_LUA % {"paths": ", ".join(json.dumps(p) for p in paths)}


def run_wrk(base: str, paths: list[str], seconds: int = 30, connections: int = 16, threads: int = 2) -> dict:
    """wrk against base, spread over paths; returns its totals (requests, errors by kind, ...)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(paths))
        script.flush()
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script.name, base],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no totals:\n{out}")
    totals = json.loads(line[len("WRK_JSON ") :])
    totals["errors"] = sum(totals[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    if totals["requests"] == 0:  # no answer at all in the run: wrk's own counts stay at 0
        totals["errors"] = max(totals["errors"], connections)
    totals["rps"] = totals["requests"] / (totals["duration_us"] / 1e6)
    return totals


# The pages a visitor opens, for the per-page load figures: the search and the two facets are
# those the issue measured (2026-12-06) on `models`, 790,000 rows.
SEARCH_PAGE = f"/{site.DATABASE}/models?_search=llama"
FACET_PAGES = {
    "facet_pipeline_tag": f"/{site.DATABASE}/models?_facet=pipeline_tag",
    "facet_organization": f"/{site.DATABASE}/model_versioning?_facet=organization",
}


def visitor_pages(db_path: Path) -> dict[str, str]:
    """Figure name -> path, in the order a visitor meets them: the home page, the database page,
    About, each table page, a search, two facets, each finding's page and the model page."""
    import sqlite3

    pages = {"home": "/", "database": f"/{site.DATABASE}", "about": "/about"}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "select name from sqlite_master t where type = 'table' and name not like 'sqlite_%'"
                # full-text indexes and their shadow tables: hidden by Datasette, nobody's page
                " and not exists (select 1 from sqlite_master v where v.sql like 'CREATE VIRTUAL TABLE%'"
                " and t.name like v.name || '%') order by name"
            )
        ]
        findings = [q for (q,) in conn.execute("select chart_query from findings order by position") if q]
    finally:
        conn.close()
    pages |= {f"table_{t}": f"/{site.DATABASE}/{t}" for t in tables}
    pages["search"] = SEARCH_PAGE
    pages |= FACET_PAGES
    pages |= {f"finding_{q}": f"/{site.DATABASE}/{q}" for q in findings}
    pages["model_page"] = site_pages(db_path)["model_page"]
    return pages


def uncached_searches(db_path: Path, n: int = 4000) -> list[str]:
    """n distinct searches (the authors of the most downloaded models, one word each): every
    request a page not yet in the cache, as when visitors each type their own search."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        authors = [
            a
            for (a,) in conn.execute(
                "select author from models where author glob '[a-z]*' and author not glob '*[^a-z0-9]*'"
                " group by author order by max(downloads) desc limit ?",
                [n],
            )
        ]
    finally:
        conn.close()
    return [f"/{site.DATABASE}/models?_search={a}" for a in authors]


def heavy_requests(db_path: Path) -> list[str]:
    """Uncachable heavy requests of the mixed run: distinct searches, ad-hoc SQL, facets on
    filtered rows, a sort on a filtered table and large exports."""
    import urllib.parse

    searches = uncached_searches(db_path, 2000)
    paths = []
    for i, search in enumerate(searches):
        paths.append(search)
        sql = f"select pipeline_tag, count(*) from models where downloads >= {i} group by pipeline_tag"
        paths.append(f"/{site.DATABASE}.json?" + urllib.parse.urlencode({"sql": sql}))
        paths.append(f"/{site.DATABASE}/models?downloads__gte={i}&_facet=library_name&_facet=author")
        paths.append(f"/{site.DATABASE}/model_versioning?downloads__gte={i}&_sort=model_id")
        paths.append(f"/{site.DATABASE}/models.csv?downloads__gte={1000 + i}&_stream=on")
    return paths


def visitor_load(base: str, pages: dict[str, str], seconds: int, connections: int = 16) -> dict[str, dict]:
    """name -> wrk totals (requests/s, p50, p99, errors) of `connections` connections on that one page."""
    return {
        name: run_wrk(base, [path], seconds=seconds, connections=connections) for name, path in pages.items()
    }
