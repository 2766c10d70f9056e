"""The mixed load test: the heaviest pages of the site under load while abusive queries arrive.

Each connection is a thread with its own HTTP client sending one request after another for a fixed
time: most walk the normal pages, the others the abusive queries. Every answer's status and time is
kept per kind, and the server's resident memory (its process tree) is polled throughout, so one run
says whether the normal pages kept answering (errors, p99), how fast the abusive queries were
refused, and how much memory the server took.
"""

from __future__ import annotations

import threading
import time
import urllib.parse

import psutil

from scripts.dev.measure import percentile, tree_rss

DATABASE = "hub"


def sql_path(sql: str) -> str:
    return f"/{DATABASE}.json?" + urllib.parse.urlencode({"sql": sql})


# Name -> path of each abusive request: giant blobs, many blobs under the length limit, functions
# and pragmas that read outside the data. Each must be refused (an HTTP 4xx), and quickly.
ABUSIVE = {
    "randomblob_where": f"/{DATABASE}/models?"
    + urllib.parse.urlencode({"_where": "length(randomblob(900000000))>0"}),
    "zeroblob_sql": sql_path("select length(hex(zeroblob(450000000)))"),
    "many_blobs": sql_path("select hex(randomblob(3000000)) from models limit 5000"),
    "fts3_tokenizer": sql_path("select hex(fts3_tokenizer('simple'))"),
    "pragma_database_list": sql_path("select * from pragma_database_list"),
}


def refusal_times(base: str, abusive: dict[str, str], requests: int = 5) -> dict[str, float]:
    """name -> slowest of `requests` sequential refusals of each abusive path, in ms, on an otherwise
    idle server; an answer that is not a 4xx is an error, not a number."""
    import httpx

    result = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, path in abusive.items():
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                status = client.get(path).status_code
                samples.append((time.perf_counter() - started) * 1000)
                if not 400 <= status < 500:
                    raise RuntimeError(f"{path}: HTTP {status}, not refused")
            result[name] = round(max(samples), 1)
    return result


def _client_loop(base: str, paths: list[str], offset: int, deadline: float, out: list) -> None:
    """Request paths in turn from offset until deadline; append (path, status, ms) to out."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        n = offset
        while time.monotonic() < deadline:
            path = paths[n % len(paths)]
            n += 1
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError as e:
                status = f"{type(e).__name__}"
            out.append((path, status, (time.perf_counter() - started) * 1000))


def _poll_rss(pid: int, stop: threading.Event, peak: list[int], interval_s: float = 0.1) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], tree_rss(process))
        stop.wait(interval_s)


def run_mixed_load(
    base: str,
    server_pid: int,
    normal: list[str],
    abusive: list[str],
    seconds: float = 30,
    connections: int = 16,
    abusive_connections: int = 4,
) -> dict:
    """connections clients for `seconds`, abusive_connections of them on the abusive paths."""
    deadline = time.monotonic() + seconds
    results: list[list] = [[] for _ in range(connections)]
    threads = []
    for i in range(connections):
        paths = abusive if i < abusive_connections else normal
        threads.append(threading.Thread(target=_client_loop, args=(base, paths, i * 7, deadline, results[i])))
    stop, peak = threading.Event(), [tree_rss(psutil.Process(server_pid))]
    poller = threading.Thread(target=_poll_rss, args=(server_pid, stop, peak), daemon=True)
    poller.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    poller.join()
    return summarize(
        [r for rs in results[abusive_connections:] for r in rs],
        [r for rs in results[:abusive_connections] for r in rs],
        peak[0],
    )


def summarize(normal: list[tuple], abusive: list[tuple], peak_rss: int) -> dict:
    """Figures of one run from its (path, status, ms) answers."""
    normal_ms = [ms for _, _, ms in normal]
    refused = [ms for _, status, ms in abusive if isinstance(status, int) and 400 <= status < 500]
    not_refused = sorted(
        {f"{path} -> {status}" for path, status, _ in abusive if not 400 <= _int(status) < 500}
    )
    return {
        "normal_requests": len(normal),
        "normal_errors": sum(1 for _, status, _ in normal if status != 200),
        "normal_p50_ms": round(percentile(normal_ms, 0.50), 1) if normal_ms else None,
        "normal_p99_ms": round(percentile(normal_ms, 0.99), 1) if normal_ms else None,
        "abusive_requests": len(abusive),
        "abusive_refused": len(refused),
        "abusive_not_refused": not_refused,
        "abusive_p99_ms": round(percentile(refused, 0.99), 1) if refused else None,
        "abusive_max_ms": round(max(refused), 1) if refused else None,
        "server_peak_rss_mb": round(peak_rss / 2**20),
    }


def _int(status) -> int:
    return status if isinstance(status, int) else 0


def run_heavy_mixed(
    base: str,
    page: str,
    heavy: list[str],
    seconds: int = 30,
    connections: int = 16,
    heavy_connections: int = 4,
) -> dict:
    """wrk with `connections` connections on one page while `heavy_connections` clients send
    uncachable heavy requests (distinct searches, ad-hoc SQL, facets on filtered rows, exports)
    one after another: the page's figures, and how the heavy ones were answered."""
    from scripts.dev.site_load import run_wrk

    deadline = time.monotonic() + seconds
    results: list[list] = [[] for _ in range(heavy_connections)]
    threads = [
        threading.Thread(target=_client_loop, args=(base, heavy, i * 997, deadline, results[i]))
        for i in range(heavy_connections)
    ]
    for t in threads:
        t.start()
    page_load = run_wrk(base, [page], seconds=seconds, connections=connections)
    for t in threads:
        t.join()
    answers = [r for rs in results for r in rs]
    heavy_ms = [ms for _, status, ms in answers if status == 200]
    return {
        "page_rps": round(page_load["rps"], 1),
        "page_p50_ms": page_load["latency_p50_ms"],
        "page_p99_ms": page_load["latency_p99_ms"],
        "page_errors": page_load["errors"],
        "heavy_sent": len(answers),
        "heavy_answered": len(heavy_ms),
        "heavy_busy_503": sum(1 for _, status, _ in answers if status == 503),
        "heavy_other": sum(1 for _, status, _ in answers if status not in (200, 503)),
        "heavy_p50_ms": round(percentile(heavy_ms, 0.50), 1) if heavy_ms else None,
    }
