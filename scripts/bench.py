"""Benchmark: how close the build and the published site are to what the hardware allows.

    python -m scripts.bench [--runs 3] [--requests 50] [--out build/bench.json] [--skip-3m]

Every figure in one invocation, so that ratios compare like with like (docs/benchmarks.md says
how each is measured):

- floor_s: read and JSON-decode the 2024-07-11 census with the build's own reader, nothing else;
- build_s, build_peak_rss_mb: `python -m scripts.build` (what `make build` runs) on the vendored
  snapshots, in a child process whose process tree is polled for memory; build_over_floor;
- classify_names_per_s: the classifier alone, one process, on every 2024-07-11 record;
- build_3m_s, build_3m_peak_rss_mb: the build on a synthetic 3,000,000-record census made here
  from the real records (ids made distinct with a ~s<k> suffix), in a temporary folder that is
  removed afterwards;
- query_p95_ms.<page>: 95th percentile latency of each canned query (default parameters), a model
  page and a faceted table page, over HTTP from `datasette serve` with the site's own options;
- load_rps, load_errors: wrk, 16 connections for 30 s, spread over the RQ pages and the JSON
  their charts load.

Floor and build runs alternate, so that a change in the machine's load hits both alike. The
result is written to build/bench.json (figure -> number) and printed as a table with the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from scripts import publish, serve_options
from scripts.snapshots import DEFAULT_SNAPSHOTS_DIR, SnapshotError, iter_records, read_manifest

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = "2024-07-11"
# The censuses the repository vendors: build_s is the build of these (a clean clone's `make build`),
# even where data/snapshots holds more (fetched censuses, registries).
VENDORED = ("2024-07-11", "2022-02-21")
SYNTHETIC_RECORDS = 3_000_000

# Figure -> (comparison, limit) from the issue; the table says which are met.
TARGETS = {
    "build_over_floor": ("<=", 3),
    "build_s": ("<=", 60),
    "build_3m_peak_rss_mb": ("<=", 2000),
    "query_p95_ms.*": ("<=", 100),
    "load_errors": ("<=", 0),
}

# The pages that answer the research questions: their canned queries carry these prefixes.
RQ_PREFIXES = ("rq1_", "rq2_", "rq3_", "time_")


# ------------------------------------------------------------------------------------------------
# Statistics
# ------------------------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile: the smallest sample that at least 95% of samples do not exceed."""
    if not samples:
        raise ValueError("p95 of no samples")
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


# ------------------------------------------------------------------------------------------------
# Child processes: wall time and peak memory of the whole process tree
# ------------------------------------------------------------------------------------------------


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once it has gone)."""
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], poll_s: float = 0.05, cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run cmd; returns (wall seconds, peak MB of the summed RSS of its process tree, stdout).

    The memory is polled every poll_s seconds in a thread while the main thread waits, so the
    wall time is not rounded up to the polling interval. Summing RSS counts pages that a forked
    worker still shares with its parent twice: an upper bound of the tree's real footprint.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = psutil.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        peak = 0
        finished = threading.Event()

        def poll():
            nonlocal peak
            while not finished.is_set():
                peak = max(peak, tree_rss(proc))
                finished.wait(poll_s)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = proc.wait()
        elapsed = time.perf_counter() - started
        finished.set()
        poller.join()
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if code != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {code}:\n{tail}")
    return elapsed, peak / 2**20, stdout


FLOOR_CODE = """
import sys
from scripts.snapshots import iter_records
n = 0
for _ in iter_records(sys.argv[1]):
    n += 1
print(n)
"""


def floor_cmd(snapshot_dir: Path) -> list[str]:
    """Read and decode every record with the build's reader (scripts.snapshots.iter_records)."""
    data_file = snapshot_dir / read_manifest(snapshot_dir)["file"]
    return [sys.executable, "-c", FLOOR_CODE, str(data_file)]


def build_cmd(out: Path, snapshots_dir: Path | None = None) -> list[str]:
    """What `make build` runs, into `out` instead of build/hub.db."""
    cmd = [sys.executable, "-m", "scripts.build", "--out", str(out)]
    if snapshots_dir is not None:
        cmd += ["--snapshots", str(snapshots_dir)]
    return cmd


# ------------------------------------------------------------------------------------------------
# The classifier alone
# ------------------------------------------------------------------------------------------------


def classify_throughput(data_file: Path) -> tuple[int, float]:
    """(records, seconds) for classify_name over every record of data_file, in this process.

    The records are decoded first and only the classifier is timed, with the arguments the build
    passes (id, tags, pipeline_tag, library_name).
    """
    from scripts.classify import classify_name

    args = [
        (r["id"], r.get("tags") or (), r.get("pipeline_tag"), r.get("library_name"))
        for _, r in iter_records(data_file)
    ]
    started = time.perf_counter()
    for model_id, tags, pipeline_tag, library_name in args:
        classify_name(model_id, tags, pipeline_tag, library_name)
    return len(args), time.perf_counter() - started


def classify_cmd(snapshot_dir: Path) -> list[str]:
    data_file = snapshot_dir / read_manifest(snapshot_dir)["file"]
    return [sys.executable, "-m", "scripts.bench", "--classify-child", str(data_file)]


# ------------------------------------------------------------------------------------------------
# A synthetic census from the real one
# ------------------------------------------------------------------------------------------------

# A 2024-07-11 line starts {"_id":"<hex>","id":"<model id>", ... and carries "modelId":"<same>".
_ID_FIELD = re.compile(rb'"(id|modelId)":"((?:[^"\\]|\\.)*)"')


def _with_suffix(line: bytes, suffix: bytes) -> bytes:
    """The record with `suffix` appended to its id (and modelId), editing the JSON text in place.

    In a flat record (no nested object) an unescaped `"id":"` can only be a key, so the first one
    is the id; a record with a nested object is decoded and re-encoded instead.
    """
    if b"{" in line[1:]:  # a nested object could hold an "id" key: do it the slow, sure way
        record = json.loads(line)
        record["id"] += suffix.decode()
        if "modelId" in record:
            record["modelId"] += suffix.decode()
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    seen = set()

    def edit(m: re.Match) -> bytes:
        if m.group(1) in seen:
            return m.group(0)
        seen.add(m.group(1))
        return b'"' + m.group(1) + b'":"' + m.group(2) + suffix + b'"'

    return _ID_FIELD.sub(edit, line)


def synthesize_census(source: Path, dest_root: Path, records: int = SYNTHETIC_RECORDS) -> Path:
    """Write a census of `records` records to dest_root/<name>-synthetic/ (gzip JSONL + MANIFEST).

    The source records are cycled in order; pass 0 keeps their ids, pass k appends "~s<k>" to
    every id. Hub ids cannot hold "~" (a real id may well end in "-s2"), so all ids are distinct;
    every other field is real. Returns the folder.
    """
    manifest = read_manifest(source)
    folder = dest_root / f"{manifest.get('snapshot', source.name)}-synthetic"
    folder.mkdir(parents=True)
    data_file = folder / manifest["file"]
    source_lines = gzip.open(source / manifest["file"], "rb").read().splitlines(keepends=True)
    if not source_lines:
        raise SnapshotError(f"{source}: no records to cycle")
    written = 0
    digest = hashlib.sha256()

    class Hashing:  # the gzip stream's bytes go to the file and the digest alike
        def __init__(self, f):
            self.f = f

        def write(self, b):
            digest.update(b)
            return self.f.write(b)

        def flush(self):
            self.f.flush()

    with open(data_file, "wb") as raw:
        with gzip.GzipFile(fileobj=Hashing(raw), mode="wb", compresslevel=1, mtime=0) as out:
            cycle = 0
            while written < records:
                take = source_lines[: records - written]
                if cycle == 0:
                    out.writelines(take)
                else:
                    suffix = f"~s{cycle}".encode()
                    out.writelines(_with_suffix(line, suffix) for line in take)
                written += len(take)
                cycle += 1
    manifest.update(
        snapshot=folder.name,
        records=written,
        sha256=digest.hexdigest(),
        caveats=list(manifest.get("caveats", []))
        + [
            f"synthetic benchmark census: {manifest.get('snapshot', source.name)} cycled to "
            f"{written} records, ids of pass k suffixed ~s<k>"
        ],
    )
    (folder / "MANIFEST.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------------
# The served site
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(build_dir: Path, timeout_s: float = 60, settings: list[tuple[str, str]] = ()):
    """`datasette serve` of build_dir with the site's options (scripts/serve_options.py) on a free
    127.0.0.1 port; yields the base URL and stops the server afterwards. `settings` are extra
    `--setting NAME VALUE` pairs, after the site's own (to try a change before making it)."""
    import httpx

    port = free_port()
    datasette = Path(sys.executable).with_name("datasette")
    cmd = [
        str(datasette),
        "serve",
        *serve_options.database_args(build_dir),
        *serve_options.site_args(build_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    for name, value in settings:
        cmd += ["--setting", name, value]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
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
        yield base
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

    pages = {name: f"/{publish.DATABASE}/{name}" for name in publish.canned_queries()}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        (headline,) = conn.execute("select snapshot from snapshots where headline").fetchone()
        (key,) = conn.execute(
            "select key from models where snapshot = ? order by downloads desc limit 1", [headline]
        ).fetchone()
    finally:
        conn.close()
    pages["model_page"] = f"/{publish.DATABASE}/models/{key}"
    pages["about_page"] = "/about"
    pages["faceted_table_page"] = (
        f"/{publish.DATABASE}/model_versioning?snapshot={headline}&own_version=1&downloads__gte=0"
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
    totals["rps"] = totals["requests"] / (totals["duration_us"] / 1e6)
    return totals


# ------------------------------------------------------------------------------------------------
# The whole benchmark
# ------------------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def target_of(name: str):
    if name in TARGETS:
        return TARGETS[name]
    if name.startswith("query_p95_ms."):
        return TARGETS["query_p95_ms.*"]
    return None


def table(figures: dict[str, float]) -> str:
    from tabulate import tabulate

    rows = []
    for name, value in figures.items():
        target = target_of(name)
        met = "" if target is None else ("yes" if value <= target[1] else "NO")
        rows.append([name, value, "" if target is None else f"{target[0]} {target[1]}", met])
    return tabulate(rows, headers=["figure", "value", "target", "met"], floatfmt="g")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import platform
    import sqlite3

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk = shutil.which("wrk")
    wrk_version = (
        subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
        if wrk
        else "not installed"
    )
    from importlib.metadata import version

    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "system": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "datasette": version("datasette"),
        "wrk": wrk_version,
    }


def results_markdown(figures: dict[str, float], about: dict[str, str], command: str) -> str:
    """The committed results table (benchmarks/results.md): figures, targets, machine."""
    lines = [
        "# Benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with `{command}`"
        " (how each figure is measured: [docs/benchmarks.md](../docs/benchmarks.md)).",
        "",
        "| figure | value | target | met |",
        "|---|---:|---|---|",
    ]
    for name, value in figures.items():
        target = target_of(name)
        met = "" if target is None else ("yes" if value <= target[1] else "**no**")
        shown = f"{value:,}" if isinstance(value, int) or abs(value) >= 1000 else f"{value:g}"
        lines.append(
            f"| `{name}` | {shown} | {'' if target is None else f'{target[0]} {target[1]:,}'} | {met} |"
        )
    lines += ["", "Machine:", ""] + [f"- {k}: {v}" for k, v in about.items()] + [""]
    return "\n".join(lines)


def benchmark(
    runs: int,
    requests: int,
    work: Path,
    skip_3m: bool,
    load_seconds: int,
    settings: list[tuple[str, str]] = (),
) -> dict:
    figures: dict[str, float] = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
    headline_dir = DEFAULT_SNAPSHOTS_DIR / HEADLINE
    bench_build = work / "build" / "hub.db"
    vendored = work / "vendored"
    vendored.mkdir()
    for name in VENDORED:
        (vendored / name).symlink_to(DEFAULT_SNAPSHOTS_DIR / name)

    # Floor and build alternate: floor, build, floor, build, ...
    floors, builds, rss = [], [], []
    for i in range(runs):
        seconds, _, out = run_measured(floor_cmd(headline_dir))
        floors.append(seconds)
        say(f"floor run {i + 1}/{runs}: {seconds:.2f} s ({out.strip()} records)")
        seconds, peak, _ = run_measured(build_cmd(bench_build, vendored))
        builds.append(seconds)
        rss.append(peak)
        say(f"build run {i + 1}/{runs}: {seconds:.2f} s, peak {peak:.0f} MB")
    figures["floor_s"] = round(statistics.median(floors), 2)
    figures["build_s"] = round(statistics.median(builds), 2)
    figures["build_peak_rss_mb"] = round(statistics.median(rss))
    figures["build_over_floor"] = round(statistics.median(builds) / statistics.median(floors), 2)

    rates = []
    for i in range(runs):
        _, _, out = run_measured(classify_cmd(headline_dir))
        n, seconds = json.loads(out)
        rates.append(n / seconds)
        say(f"classify run {i + 1}/{runs}: {n} records in {seconds:.2f} s")
    figures["classify_names_per_s"] = round(statistics.median(rates))

    if not skip_3m:
        synthetic_root = work / "synthetic"
        started = time.perf_counter()
        folder = synthesize_census(headline_dir, synthetic_root)
        say(f"synthetic census {folder} written in {time.perf_counter() - started:.0f} s")
        times, peaks = [], []
        for i in range(runs):
            out3 = work / "build3m" / "hub.db"
            seconds, peak, _ = run_measured(build_cmd(out3, synthetic_root))
            times.append(seconds)
            peaks.append(peak)
            say(f"3M build run {i + 1}/{runs}: {seconds:.1f} s, peak {peak:.0f} MB")
            shutil.rmtree(out3.parent)
        shutil.rmtree(synthetic_root)
        figures["build_3m_s"] = round(statistics.median(times), 1)
        figures["build_3m_peak_rss_mb"] = round(statistics.median(peaks))

    pages = site_pages(bench_build)
    with served(bench_build.parent, settings=settings) as base:
        say(f"timing {len(pages)} pages, {requests} requests each, on {base}")
        for name, ms in page_latencies(base, pages, requests).items():
            figures[f"query_p95_ms.{name}"] = ms
        paths = rq_paths(pages)
        say(f"wrk: 16 connections, {load_seconds} s, over {len(paths)} RQ paths")
        load = run_wrk(base, paths, seconds=load_seconds)
    figures["load_rps"] = round(load["rps"], 1)
    figures["load_errors"] = load["errors"]
    figures["load_latency_p99_ms"] = load["latency_p99_ms"]
    figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per timed figure (median)")
    parser.add_argument("--requests", type=int, default=50, help="requests per page for query_p95_ms")
    parser.add_argument("--load-seconds", type=int, default=30, help="wrk duration")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--skip-3m", action="store_true", help="leave out the 3,000,000-record build")
    parser.add_argument(
        "--results", type=Path, help="also write the table as Markdown here (benchmarks/results.md)"
    )
    parser.add_argument(
        "--setting",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="extra datasette setting for the served site (to try one; the published figures use none)",
    )
    parser.add_argument("--classify-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.classify_child:
        print(json.dumps(classify_throughput(args.classify_child)))
        return 0
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (`make bench` installs it with apt-get)", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".bench-", dir=args.out.parent))
    try:
        figures = benchmark(
            args.runs,
            args.requests,
            work,
            args.skip_3m,
            args.load_seconds,
            [tuple(pair) for pair in args.setting],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print(f"\nwritten to {args.out}")
    if args.results:
        command = "python -m scripts.bench " + " ".join(argv if argv is not None else sys.argv[1:])
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(results_markdown(figures, machine(), command.strip()), encoding="utf-8")
        print(f"and to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
