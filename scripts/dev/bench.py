"""Benchmark: how close the build and the published site are to what the hardware allows.

    python -m scripts.dev.bench [--runs 3] [--requests 50] [--out build/bench.json] [--skip-3m]
    python -m scripts.dev.bench --site build [--load-seconds 30]   # the served site's figures only
    python -m scripts.dev.bench --build-only [--repo PATH]         # floor and build figures only
    python -m scripts.dev.bench --reference PATH [--runs 2]        # this code against another's build

Every figure in one invocation, so that ratios compare like with like (docs/benchmarks.md says
how each is measured):

- floor_s: read and decode every record of every vendored snapshot, nothing else: JSON Lines
  (the censuses, git refs) with the build's own reader, the CSV files of the other snapshots with
  csv.reader;
- build_s, build_peak_rss_mb: `python -m scripts.build` (what a clean clone's `make build` runs:
  every snapshot folder of data/snapshots/), in a child process whose process tree is polled for
  memory; build_over_floor; and from that run's build.json (the run of median wall time):
  build_cpu_s, build_stage_s.<stage>, build_stage_cpu_s.<stage>, build_stage_peak_mib.<stage> (the
  largest single process so far, as build.json counts it) and build_part_s.<part> (the parts of
  the outputs stage, and the derive stage's steps, derive.<step>, with
  build_part_thread_cpu_s.<part>: the CPU time of the build's own thread in the step); with --repo, the build of another checkout (its code and its snapshots);
- reference_*, same_inputs_*, build_vs_reference (with --reference, alone): the build of another
  checkout (its code, its data/snapshots) and this checkout's build of the same snapshot folders,
  in turns: the wall and CPU seconds (user and system, of the build's whole process tree) and peak
  memory of each, and the ratio of their median wall times. A target set in seconds on a machine
  whose speed has changed since is read again through this ratio, on the inputs it was set on;
- classify_names_per_s: the classifier alone, one process, on every 2024-07-11 record;
- build_3m_s, build_3m_peak_rss_mb: the build on a synthetic 3,000,000-record census made here
  from the real records (ids made distinct with a -s<k> suffix), in a temporary folder that is
  removed afterwards;
- query_p95_ms.<page>: 95th percentile latency of each canned query (default parameters), a model
  page and a faceted table page, over HTTP from `datasette serve` with the site's own options;
- load_rps, load_errors: wrk, 16 connections for 30 s, spread over the RQ pages and the JSON
  their charts load;
- mixed_*, server_peak_rss_mb: 16 connections for 30 s, 12 on the heaviest pages and 4 on abusive
  queries (giant blobs, fts3_tokenizer, pragma_database_list: scripts/dev/mixed_load.py): errors
  and p99 of the normal pages, how fast the abusive ones are refused, the server's peak memory;
- visit_{rps,p50_ms,p99_ms,errors}.<page>: wrk, 16 connections on each page a visitor opens (home,
  /hub, About, each table, a search, two facets, each finding, the model page), --page-seconds each;
  search_uncached_*: the same on distinct searches (each one a cache miss);
- uncached_{rps,p50_ms,p99_ms,busy,errors,hits}.<page>: 16 connections on each page the cache
  cannot answer (searches, unfiltered and filtered facets, a filtered and sorted page, the model
  lookup: scripts/dev/uncached_load.py), every request a distinct URL or Host;
- heavy_*: wrk, 16 connections on the home page while 4 clients send uncachable heavy requests.

Floor and build runs alternate, so that a change in the machine's load hits both alike. The
result is written to build/bench.json (figure -> number) and printed as a table with the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from scripts.dev.measure import run_measured
from scripts.dev.mixed_load import ABUSIVE, refusal_times, run_heavy_mixed, run_mixed_load
from scripts.dev.site_load import (
    heavy_requests,
    page_latencies,
    rq_paths,
    run_wrk,
    served,
    site_pages,
    uncached_searches,
    visitor_load,
    visitor_pages,
)
from scripts.dev.synthetic import synthesize_census
from scripts.dev.uncached_load import uncached_figures
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, iter_records, read_manifest

ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "2024-07-11"
# The build's stage times, written beside its files (scripts/build.py STAGES_FILE).
BUILD_STAGES_FILE = "build.json"
# The mixed load test walks the HEAVIEST pages (by their measured p95) between abusive queries.
HEAVIEST = 6

# Figure -> (comparison, limit): the targets the table marks as met or not (docs/benchmarks.md).
TARGETS = {
    "build_over_floor": ("<=", 3),
    "build_s": ("<=", 45),
    "build_peak_rss_mb": ("<=", 400),
    "build_3m_peak_rss_mb": ("<=", 2000),
    "query_p95_ms.*": ("<=", 100),
    "load_errors": ("<=", 0),
    "refusal_max_ms.*": ("<=", 1000),
    "mixed_normal_errors": ("<=", 0),
    "mixed_abusive_not_refused": ("<=", 0),
    "mixed_abusive_p99_ms": ("<=", 3000),  # refused before the SQL time limit would stop them
    "server_peak_rss_mb": ("<=", 500),
    "visit_rps.*": (">=", 50),
    "visit_p99_ms.*": ("<=", 1000),
    "visit_errors.*": ("<=", 0),
    "heavy_home_p99_ms": ("<=", 1000),
    "heavy_home_errors": ("<=", 0),
    "uncached_errors.*": ("<=", 0),
    "uncached_hits.*": ("<=", 0),  # a hit would mean the figure measured the cache
}


FLOOR_CODE = """
import csv, gzip, sys
from pathlib import Path
from scripts.snapshot.read import find_snapshots, iter_records
n = 0
for s in find_snapshots(Path(sys.argv[1])):
    for entry in s.manifest.get("files") or [{"file": s.manifest["file"]}]:
        path = s.folder / entry["file"]
        if ".jsonl" in path.name:
            n += sum(1 for _ in iter_records(path))
        else:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8", newline="") as f:
                n += sum(1 for _ in csv.reader(f))
print(n)
"""


def floor_cmd(snapshots_dir: Path) -> list[str]:
    """Read and decode every record of every snapshot folder in snapshots_dir: JSON Lines records
    with the build's reader (scripts.snapshot.read.iter_records), CSV rows (header included) with
    csv.reader; prints how many."""
    return [sys.executable, "-c", FLOOR_CODE, str(snapshots_dir)]


def build_cmd(out: Path, snapshots_dir: Path | None = None) -> list[str]:
    """What `make build` runs, into `out` instead of build/hub.db."""
    cmd = [sys.executable, "-m", "scripts.build", "--out", str(out)]
    if snapshots_dir is not None:
        cmd += ["--snapshots", str(snapshots_dir)]
    return cmd


def stage_figures(build_json: dict) -> dict[str, float]:
    """The figures of one build's stage file (build.json): CPU seconds, and each stage's and
    part's seconds and peak memory."""
    figures: dict[str, float] = {"build_cpu_s": build_json["cpu_seconds"]}
    for row in build_json["stages"]:
        figures[f"build_stage_s.{row['stage']}"] = row["seconds"]
        figures[f"build_stage_cpu_s.{row['stage']}"] = row["cpu_seconds"]
        figures[f"build_stage_peak_mib.{row['stage']}"] = round(row["peak_rss_mib"])
    for row in build_json.get("parts", []):
        figures[f"build_part_s.{row['part']}"] = row["seconds"]
        if "thread_cpu_seconds" in row:  # a derive step: the CPU time of the build's thread in it
            figures[f"build_part_thread_cpu_s.{row['part']}"] = row["thread_cpu_seconds"]
    return figures


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
    return [sys.executable, "-m", "scripts.dev.bench", "--classify-child", str(data_file)]


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
    prefix = name.split(".", 1)[0] + ".*"
    if "." in name and prefix in TARGETS:
        return TARGETS[prefix]
    return None


def met(name: str, value) -> str | None:
    """ "yes"/"no" against the figure's target; None without a target or a number."""
    target = target_of(name)
    if target is None or not isinstance(value, (int, float)):
        return None
    comparison, limit = target
    return "yes" if (value >= limit if comparison == ">=" else value <= limit) else "no"


def table(figures: dict[str, float]) -> str:
    from tabulate import tabulate

    rows = []
    for name, value in figures.items():
        target = target_of(name)
        ok = met(name, value)
        rows.append(
            [
                name,
                value,
                "" if target is None else f"{target[0]} {target[1]}",
                (ok or "").replace("no", "NO"),
            ]
        )
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
        ok = {"yes": "yes", "no": "**no**", None: ""}[met(name, value)]
        if not isinstance(value, (int, float)):
            shown = str(value)
        else:
            shown = f"{value:,}" if isinstance(value, int) or abs(value) >= 1000 else f"{value:g}"
        lines.append(
            f"| `{name}` | {shown} | {'' if target is None else f'{target[0]} {target[1]:,}'} | {ok} |"
        )
    lines += ["", "Machine:", ""] + [f"- {k}: {v}" for k, v in about.items()] + [""]
    return "\n".join(lines)


def default_build_figures(runs: int, work: Path, repo: Path = ROOT) -> dict:
    """Floor and build figures of a clean clone's build of `repo` (its code, every snapshot folder
    of its data/snapshots); the build stays in work/build for the site figures."""
    snapshots_dir = repo / "data" / "snapshots"
    # Floor and build alternate: floor, build, floor, build, ...
    floors, builds = [], []
    for i in range(runs):
        seconds, _, out = run_measured(floor_cmd(snapshots_dir))
        floors.append(seconds)
        say(f"floor run {i + 1}/{runs}: {seconds:.2f} s ({out.strip()} records)")
        out_dir = work / f"build-{i}"
        seconds, peak, _ = run_measured(build_cmd(out_dir / "hub.db"), cwd=repo)
        stages = json.loads((out_dir / BUILD_STAGES_FILE).read_text(encoding="utf-8"))
        builds.append((seconds, peak, stages, out_dir))
        say(f"build run {i + 1}/{runs}: {seconds:.2f} s, peak {peak:.0f} MB, {stages['cpu_seconds']} CPU-s")
    builds.sort(key=lambda b: b[0])
    seconds, _, stages, kept = builds[len(builds) // 2]  # the run of median wall time
    for _, _, _, out_dir in builds:
        if out_dir != kept:
            shutil.rmtree(out_dir)
    kept.rename(work / "build")
    figures: dict[str, float] = {
        "floor_s": round(statistics.median(floors), 2),
        "build_s": round(statistics.median(b[0] for b in builds), 2),
        "build_peak_rss_mb": round(statistics.median(b[1] for b in builds)),
        "build_over_floor": round(statistics.median(b[0] for b in builds) / statistics.median(floors), 2),
    }
    figures.update(stage_figures(stages))
    return figures


def children_cpu_s() -> float:
    """User and system CPU seconds of this process's waited-for children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reference_figures(runs: int, work: Path, reference: Path) -> dict:
    """The build of `reference` (another checkout: its code and every folder of its data/snapshots)
    and this checkout's build of those same folders, in turns, `runs` times each; medians. The CPU
    time is measured from outside (getrusage), since an older checkout writes no build.json."""
    snapshots_dir = reference / "data" / "snapshots"
    runs_of: dict[str, list[tuple[float, float, float]]] = {"reference": [], "same_inputs": []}
    for i in range(runs):
        for name, cwd, extra in (("reference", reference, None), ("same_inputs", ROOT, snapshots_dir)):
            out_dir = work / f"{name}-{i}"
            cpu_before = children_cpu_s()
            seconds, peak, _ = run_measured(build_cmd(out_dir / "hub.db", extra), cwd=cwd)
            cpu = children_cpu_s() - cpu_before
            shutil.rmtree(out_dir, ignore_errors=True)
            runs_of[name].append((seconds, cpu, peak))
            say(f"{name} build run {i + 1}/{runs}: {seconds:.2f} s, {cpu:.1f} CPU-s, peak {peak:.0f} MB")
    figures: dict[str, float] = {}
    for name, measured in runs_of.items():
        figures[f"{name}_build_s"] = round(statistics.median(m[0] for m in measured), 2)
        figures[f"{name}_build_cpu_s"] = round(statistics.median(m[1] for m in measured), 1)
        figures[f"{name}_build_peak_rss_mb"] = round(statistics.median(m[2] for m in measured))
    figures["build_vs_reference"] = round(figures["same_inputs_build_s"] / figures["reference_build_s"], 3)
    return figures


def build_figures(runs: int, work: Path, skip_3m: bool) -> dict:
    """Floor, build, classifier and 3M-build figures; the build stays in work/build for the site
    figures."""
    headline_dir = DEFAULT_SNAPSHOTS_DIR / HEADLINE
    figures = default_build_figures(runs, work)
    rates = []
    for i in range(runs):
        _, _, out = run_measured(classify_cmd(headline_dir))
        n, seconds = json.loads(out)
        rates.append(n / seconds)
        say(f"classify run {i + 1}/{runs}: {n} records in {seconds:.2f} s")
    figures["classify_names_per_s"] = round(statistics.median(rates))
    if not skip_3m:
        figures.update(build_3m_figures(runs, work, headline_dir))
    return figures


def build_3m_figures(runs: int, work: Path, headline_dir: Path) -> dict:
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
    return {
        "build_3m_s": round(statistics.median(times), 1),
        "build_3m_peak_rss_mb": round(statistics.median(peaks)),
    }


def visitor_figures(base: str, db_path: Path, page_seconds: int, load_seconds: int) -> dict:
    """wrk on each page a visitor opens, on distinct searches, and on the home page under heavy load."""
    figures: dict[str, float] = {}
    pages = visitor_pages(db_path)
    say(f"wrk: 16 connections, {page_seconds} s on each of {len(pages)} visitor pages")
    for name, load in visitor_load(base, pages, page_seconds).items():
        figures[f"visit_rps.{name}"] = round(load["rps"], 1)
        figures[f"visit_p50_ms.{name}"] = load["latency_p50_ms"]
        figures[f"visit_p99_ms.{name}"] = load["latency_p99_ms"]
        figures[f"visit_errors.{name}"] = load["errors"]
        say(f"  {name}: {load['rps']:.1f} req/s, p99 {load['latency_p99_ms']} ms, {load['errors']} errors")
    load = run_wrk(base, uncached_searches(db_path), seconds=page_seconds, connections=16)
    figures["search_uncached_rps"] = round(load["rps"], 1)
    figures["search_uncached_p99_ms"] = load["latency_p99_ms"]
    figures["search_uncached_non2xx"] = load["non2xx"]
    # What was answered (the rest are 503s of a full queue, answered at once).
    figures["search_uncached_answered_rps"] = round(
        (load["requests"] - load["non2xx"]) / (load["duration_us"] / 1e6), 1
    )
    say(f"heavy mixed: 16 connections on / for {load_seconds} s, 4 clients of heavy requests")
    for name, value in run_heavy_mixed(base, "/", heavy_requests(db_path), seconds=load_seconds).items():
        figures["heavy_" + name.replace("page_", "home_").replace("heavy_", "requests_")] = value
    return figures


def site_figures(
    build_dir: Path, requests: int, load_seconds: int, settings=(), page_seconds: int = 10
) -> dict:
    """Page latencies, wrk on the RQ pages, and the mixed load test, on one `datasette serve`."""
    figures: dict[str, float] = {}
    pages = site_pages(build_dir / "hub.db")
    with served(build_dir, settings=settings) as server:
        # First, as a visitor finds the site just started: every page a cache miss at first.
        figures.update(visitor_figures(server.base, build_dir / "hub.db", page_seconds, load_seconds))
        say(f"timing {len(pages)} pages, {requests} requests each, on {server.base}")
        latencies = page_latencies(server.base, pages, requests)
        for name, ms in latencies.items():
            figures[f"query_p95_ms.{name}"] = ms
        for name, ms in refusal_times(server.base, ABUSIVE).items():
            figures[f"refusal_max_ms.{name}"] = ms
        paths = rq_paths(pages)
        say(f"wrk: 16 connections, {load_seconds} s, over {len(paths)} RQ paths")
        load = run_wrk(server.base, paths, seconds=load_seconds)
        figures["load_rps"] = round(load["rps"], 1)
        figures["load_errors"] = load["errors"]
        figures["load_latency_p99_ms"] = load["latency_p99_ms"]
        heaviest = sorted(latencies, key=latencies.get, reverse=True)[:HEAVIEST]
        say(f"mixed load: 16 connections, {load_seconds} s, {heaviest} and {len(ABUSIVE)} abusive queries")
        normal = [pages[n] for n in heaviest]
        mixed = run_mixed_load(server.base, server.pid, normal, list(ABUSIVE.values()), seconds=load_seconds)
        say(f"control: the same 12 normal connections, {load_seconds} s, without the abusive ones")
        control = run_mixed_load(server.base, server.pid, normal, [], load_seconds, 12, abusive_connections=0)
        # Last: their misses fill the response cache and push the landing pages out of it (LRU).
        say(f"uncached pages: 16 connections, {page_seconds} s on each, every request a cache miss")
        figures.update(uncached_figures(server.base, build_dir / "hub.db", page_seconds))
    if mixed["abusive_not_refused"]:
        say(f"abusive queries not refused: {mixed['abusive_not_refused']}")
    figures["mixed_normal_pages"] = ", ".join(heaviest)
    for name, value in mixed.items():
        figures[name if name.startswith("server_") else f"mixed_{name}"] = (
            len(value) if isinstance(value, list) else value
        )
    figures["mixed_control_normal_requests"] = control["normal_requests"]
    figures["mixed_control_normal_errors"] = control["normal_errors"]
    figures["mixed_control_normal_p99_ms"] = control["normal_p99_ms"]
    return figures


def benchmark(
    runs: int,
    requests: int,
    work: Path,
    skip_3m: bool,
    load_seconds: int,
    settings=(),
    page_seconds: int = 10,
) -> dict:
    figures: dict[str, float] = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
    figures.update(build_figures(runs, work, skip_3m))
    figures.update(site_figures(work / "build", requests, load_seconds, settings, page_seconds))
    figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per timed figure (median)")
    parser.add_argument("--requests", type=int, default=50, help="requests per page for query_p95_ms")
    parser.add_argument("--load-seconds", type=int, default=30, help="duration of each load test")
    parser.add_argument("--page-seconds", type=int, default=10, help="wrk on each visitor page")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--skip-3m", action="store_true", help="leave out the 3,000,000-record build")
    parser.add_argument(
        "--build-only", action="store_true", help="only the floor and build figures (no wrk needed)"
    )
    parser.add_argument("--keep-build", type=Path, help="with --build-only: move the measured build here")
    parser.add_argument(
        "--repo",
        type=Path,
        default=ROOT,
        help="with --build-only: the checkout whose build is measured (its code and data/snapshots)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        metavar="CHECKOUT",
        help="only this code's build against another checkout's, on that checkout's snapshot folders",
    )
    parser.add_argument(
        "--site",
        type=Path,
        metavar="BUILD_DIR",
        help="only the site figures, on this existing build (build/)",
    )
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
    if args.repo != ROOT and not args.build_only:
        parser.error("--repo goes with --build-only")
    if shutil.which("wrk") is None and not (args.build_only or args.reference):
        print("bench: wrk is not installed (`make bench` installs it with apt-get)", file=sys.stderr)
        return 1
    if args.reference and (args.site or args.build_only):
        parser.error("--reference goes alone (with --runs, --out and --results)")
    if args.reference and not (args.reference / "data" / "snapshots").is_dir():
        parser.error(f"--reference {args.reference}: no data/snapshots folder there")
    settings = [tuple(pair) for pair in args.setting]
    if args.site:
        figures = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
        figures.update(site_figures(args.site, args.requests, args.load_seconds, settings, args.page_seconds))
        figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".bench-", dir=args.out.parent))
        try:
            if args.reference:  # its own load averages: the build's rows stay those of its run
                figures = {"reference_loadavg_1m_before": round(os.getloadavg()[0], 2)}
                figures.update(reference_figures(args.runs, work, args.reference.resolve()))
                figures["reference_loadavg_1m_after"] = round(os.getloadavg()[0], 2)
            elif args.build_only:
                figures = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
                figures.update(default_build_figures(args.runs, work, args.repo.resolve()))
                figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
                if args.keep_build:  # to compare its content with another's (scripts/dev/compare_builds.py)
                    shutil.rmtree(args.keep_build, ignore_errors=True)
                    shutil.move(work / "build", args.keep_build)
            else:
                figures = benchmark(
                    args.runs,
                    args.requests,
                    work,
                    args.skip_3m,
                    args.load_seconds,
                    settings,
                    args.page_seconds,
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    write_results(figures, args, argv)
    return 0


RESULT_ROW = re.compile(r"^\| `([^`]+)` \|")


def merge_results(old: str, new: str) -> str:
    """The new results table with the rows of the old one that it does not measure, old rows first
    (a `--site` run keeps the build figures of the last full run, and says so)."""
    new_lines = new.splitlines()
    measured = {m.group(1) for line in new_lines if (m := RESULT_ROW.match(line))}
    kept = [line for line in old.splitlines() if (m := RESULT_ROW.match(line)) and m.group(1) not in measured]
    previous = next((line for line in old.splitlines() if line.startswith("Measured ")), "")
    lines = []
    for line in new_lines:
        lines.append(line)
        if line.startswith("Measured ") and kept:
            lines += ["", f"Figures that command does not measure are kept from the previous run. {previous}"]
        if line.startswith("|---") and kept:
            lines += kept
    return "\n".join(lines) + "\n"


def write_results(figures: dict, args, argv) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print(f"\nwritten to {args.out}")
    if args.results:
        command = "python -m scripts.dev.bench " + " ".join(argv if argv is not None else sys.argv[1:])
        args.results.parent.mkdir(parents=True, exist_ok=True)
        text = results_markdown(figures, machine(), command.strip())
        partial = args.site or args.build_only or args.reference
        if partial and args.results.exists():  # keep what this run does not measure
            text = merge_results(args.results.read_text(encoding="utf-8"), text)
        args.results.write_text(text, encoding="utf-8")
        print(f"and to {args.results}")


if __name__ == "__main__":
    sys.exit(main())
