"""A fake Hugging Face Hub on 127.0.0.1 that serves a snapshot's records through the Hub's routes.

    python -m scripts.dev.fakehub --snapshot data/snapshots/2024-07-11 --port 8765 [--max-records N]
        [--rate-429 0.05 --retry-after 1] [--rate-500 0.05] [--rate-drop 0.05] [--rate-truncate 0.05]
        [--max-streak 2] [--seed 0] [--quota 500 --window 300] [--refs data/fakehub/refs.jsonl]

It exists so that the crawlers (scripts/acquire/census.py, scripts/acquire/refs.py) can be run and tested
offline with the real `huggingface_hub` client over real HTTP. Routes, as the Hub serves them:

- `GET /api/models?limit=&sort=&expand=` a page of records and, when more follow, a
  `Link: <absolute url>; rel="next"` header whose URL carries an opaque `cursor` (keyset paging:
  "after the record with this id, in this order"). `sort` is one of downloads, likes, createdAt,
  lastModified, trendingScore, always descending as on the Hub, ties broken by `_id` (or id);
  without `sort`, the snapshot file's order. `expand` (or `expand[]`, repeated) projects each
  record to `_id`, `id` and the fields asked for that the record has: the fake Hub never invents a
  field the snapshot lacks. `limit` is the page size, at most 1000 as on the Hub.
- `GET /api/models/{id}` one record.
- `GET /api/models/{id}/refs` `{"branches": [...], "converts": [], "tags": [...]}`.
- `GET /api/models/{id}/commits/{rev}` commits, newest first, 50 a page with a `Link` header.

Refs and commits come, in this order, from the snapshot's own `refs/refs.jsonl.gz` (written by
scripts/acquire/refs.py), from the small file `--refs` (default data/fakehub/refs.jsonl, see its
README), or else a model of the snapshot has only `main` and one commit. Ids not in the snapshot
answer 404 with `X-Error-Code: RepoNotFound`, as the Hub does.

Misbehaviours (`--misbehave`): next links that cycle, empty pages with ever new cursors, a
redirect of every listing to another host (MISBEHAVIOURS).

Faults, drawn per request with a seeded random generator: a 429 with `Retry-After` and
`RateLimit` headers, a 500, a connection dropped half-way through the body, a 200 whose JSON body
is cut short. `--max-streak K` bounds how many faults in a row one URL can get (0: no bound), so
that a test with faults always ends. `--quota Q --window W` adds the Hub's fixed-window rate limit:
past Q API requests in a W-second window, 429 until the window ends. `GET /_fakehub/stats` (not a
Hub route) returns counts of requests and of every fault injected.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import functools
import hashlib
import json
import logging
import random
import socket
import sys
import threading
import time
import typing
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from huggingface_hub.hf_api import ExpandModelProperty_T

from scripts.snapshot.read import Snapshot, SnapshotError, iter_records, read_manifest

log = logging.getLogger("fakehub")

DEFAULT_REFS = Path(__file__).resolve().parents[2] / "data" / "fakehub" / "refs.jsonl"
SORTS = ("downloads", "likes", "createdAt", "lastModified", "trendingScore")
# The client's own list of expandable properties: the fake Hub rejects others with a 400, as the Hub does.
EXPANDABLE = frozenset(typing.get_args(ExpandModelProperty_T))
MAX_PAGE = 1000
COMMITS_PAGE = 50
FAULTS = ("429", "500", "drop", "truncate")


@dataclass
class Faults:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0
    rate_truncate: float = 0.0
    retry_after: int = 1
    max_streak: int = 2
    seed: int = 0
    quota: int = 0  # API requests allowed per window; 0 = no rate limit
    window: int = 300

    def __post_init__(self):
        total = self.rate_429 + self.rate_500 + self.rate_drop + self.rate_truncate
        if not 0 <= total <= 1 or min(self.rate_429, self.rate_500, self.rate_drop, self.rate_truncate) < 0:
            raise ValueError(
                f"fault rates must be between 0 and 1 and add up to at most 1 (they add up to {total})"
            )


@dataclass
class Stats:
    requests: int = 0
    pages: int = 0
    records_served: int = 0
    faults: dict = field(default_factory=lambda: {k: 0 for k in FAULTS})
    rate_limited: int = 0
    authorized: int = 0  # requests that carried an Authorization header (never its value)
    basic_auth: int = 0  # of which HTTP basic auth (user info of the crawler's endpoint)
    routes: dict = field(default_factory=dict)


@functools.total_ordering
class _Desc:
    """A value that sorts in reverse, so that one ascending key gives the Hub's descending order."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return self.value == other.value

    def __lt__(self, other):
        return other.value < self.value if self.value is not None else False


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(text: str):
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def synthetic_sha(*parts: str) -> str:
    """A stable 40-hex id for a ref or commit the fake Hub has no record of (never a real commit)."""
    return hashlib.sha1("\0".join(("fakehub",) + parts).encode()).hexdigest()


def load_refs_file(path: Path) -> dict[str, dict]:
    """id -> {"branches", "tags", "converts", "commits"|"commit_count"} from a JSON Lines file (.gz or not)."""
    out = {}
    for lineno, rec in iter_records(path):
        for key in ("branches", "tags"):
            items = rec.get(key, [])
            if not isinstance(items, list) or not all(
                isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
            ):
                raise SnapshotError(f"{path}:{lineno}: {key} must be a list of objects with a string name")
        if (
            rec.get("status", "ok") == "ok"
        ):  # the refs crawl records models the Hub no longer had, without refs
            out[rec["id"]] = rec
    return out


class HubData:
    """The records and refs the fake Hub serves, with one precomputed order per sort."""

    def __init__(self, records: list[dict], refs: dict[str, dict]):
        self.records = records
        self.index = {r["id"]: i for i, r in enumerate(records)}
        if len(self.index) != len(records):
            raise SnapshotError("the snapshot holds the same id twice; the fake Hub needs unique ids")
        self.refs = refs
        self._orders: dict[str | None, list[int]] = {None: list(range(len(records)))}
        self._keys: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_snapshot(
        cls, folder: Path, max_records: int | None = None, refs_file: Path | None = DEFAULT_REFS
    ):
        folder = Path(folder)
        snapshot = Snapshot(folder.name, folder, read_manifest(folder))
        records = []
        for _, rec in iter_records(snapshot.data_file):
            if max_records is not None and len(records) >= max_records:
                break
            records.append(rec)
        refs: dict[str, dict] = {}
        if refs_file is not None and Path(refs_file).is_file():
            refs.update(load_refs_file(Path(refs_file)))
        own = folder / "refs" / "refs.jsonl.gz"
        if own.is_file():  # the snapshot's own refs win over the recorded file
            refs.update(load_refs_file(own))
        return cls(records, refs)

    def update(self, model_id: str, **fields) -> None:
        """Change a record while the Hub is being crawled (downloads move, as on the real Hub)."""
        with self._lock:
            self.records[self.index[model_id]].update(fields)
            self._orders = {None: self._orders[None]}
            self._keys = {}

    def sort_key(self, rec: dict, sort: str) -> tuple:
        """Where a record stands in a listing: ascending along the listing's order."""
        value = rec.get(sort)
        tiebreak = rec.get("_id") or rec["id"]
        return (1, _Desc(None), tiebreak) if value is None else (0, _Desc(value), tiebreak)

    def order(self, sort: str | None) -> tuple[list[int], list[tuple] | None]:
        """Record indices in listing order, and their sort keys (None for the file's order)."""
        with self._lock:
            if sort not in self._orders:
                recs = self.records
                keyed = sorted((self.sort_key(r, sort), i) for i, r in enumerate(recs))
                self._orders[sort] = [i for _, i in keyed]
                self._keys[sort] = [k for k, _ in keyed]
            return self._orders[sort], self._keys.get(sort)

    def page(self, sort: str | None, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
        """One page of records and the cursor of the next page (None on the last).

        As on the Hub, the cursor is a keyset position: the sort value and tie-break of the last
        record served. The next page starts after that key in the listing as it is *now*, so a
        record whose value moved across the cursor between two pages is missed or listed twice.
        """
        order, keys = self.order(sort)
        start = 0
        if cursor:
            state = _unb64(cursor)
            if state.get("s") != sort:
                raise ValueError("cursor does not belong to this listing")
            if sort is None:
                if state.get("after") not in self.index:
                    raise ValueError("cursor does not belong to this listing")
                start = self.index[state["after"]] + 1
            else:
                flag, value, tiebreak = state["k"]
                start = bisect.bisect_right(keys, (flag, _Desc(value), tiebreak))
        chosen = [self.records[i] for i in order[start : start + limit]]
        if not chosen or start + limit >= len(order):
            return chosen, None
        last = chosen[-1]
        if sort is None:
            return chosen, _b64({"s": None, "after": last["id"]})
        flag, value, tiebreak = self.sort_key(last, sort)
        return chosen, _b64({"s": sort, "k": [flag, value.value, tiebreak]})

    def repo_refs(self, model_id: str) -> dict:
        rec = self.refs.get(model_id)
        if rec is not None:
            branches, tags = rec.get("branches", []), rec.get("tags", [])
        else:
            branches = [{"name": "main", "targetCommit": self.records[self.index[model_id]].get("sha")}]
            tags = []

        def shape(items, prefix):
            return [
                {
                    "name": i["name"],
                    "ref": i.get("ref") or f"refs/{prefix}/{i['name']}",
                    "targetCommit": i.get("targetCommit") or synthetic_sha(model_id, prefix, i["name"]),
                }
                for i in items
            ]

        return {"branches": shape(branches, "heads"), "converts": [], "tags": shape(tags, "tags")}

    def repo_commits(self, model_id: str, rev: str) -> list[dict] | None:
        """Commits of `rev`, newest first; None when the revision does not exist."""
        refs = self.repo_refs(model_id)
        names = {i["name"]: i["targetCommit"] for i in refs["branches"] + refs["tags"]}
        if rev not in names and rev not in names.values():
            return None
        rec = self.refs.get(model_id, {})
        if rev in ("main", names.get("main")) and isinstance(rec.get("commits"), list):
            return rec["commits"]
        count = rec.get("commit_count") if rev in ("main", names.get("main")) else None
        count = count if isinstance(count, int) and count > 0 else 1
        head = names.get(rev, rev)
        commits = []
        for n in range(count):  # a made-up linear history ending at the ref's target commit
            commits.append(
                {
                    "id": head if n == 0 else synthetic_sha(model_id, "commit", str(count - n)),
                    "title": "initial commit" if n == count - 1 else f"commit {count - n}",
                    "message": "",
                    "authors": [{"user": "fakehub"}],
                    "date": time.strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1_600_000_000 + 86_400 * (count - n))
                    ),
                }
            )
        return commits


# Listings that break the Hub's paging, for the crawler's tests (--misbehave):
# cycle           the second page's next link leads back to the first page;
# empty-pages     every page after the first is empty, each with a new cursor;
# redirect:URL    every listing request answers 302 to URL (another host) + the request's path.
MISBEHAVIOURS = ("cycle", "empty-pages", "redirect:")


def check_misbehaviour(misbehave: str | None) -> str | None:
    if misbehave is not None and not (
        misbehave in MISBEHAVIOURS[:2] or (misbehave.startswith("redirect:") and len(misbehave) > 9)
    ):
        raise ValueError(f"--misbehave {misbehave!r}: one of cycle, empty-pages, redirect:URL")
    return misbehave


class FakeHub(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, data: HubData, faults: Faults, port: int = 0, latency: float = 0.0, misbehave: str | None = None
    ):
        super().__init__(("127.0.0.1", port), Handler)
        self.data = data
        self.faults = faults
        self.latency = latency
        self.misbehave = check_misbehaviour(misbehave)
        self.stats = Stats()
        self.lock = threading.Lock()
        self.rng = random.Random(faults.seed)
        self.streaks: dict[str, int] = {}
        self.window_start = time.monotonic()
        self.window_count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def draw_fault(self, key: str) -> str | None:
        """The fault to inject for this request (or None), bounded per URL by max_streak."""
        f = self.faults
        with self.lock:
            streak = self.streaks.get(key, 0)
            u = self.rng.random()
            fault = None
            if not f.max_streak or streak < f.max_streak:
                for name, rate in zip(FAULTS, (f.rate_429, f.rate_500, f.rate_drop, f.rate_truncate)):
                    if u < rate:
                        fault = name
                        break
                    u -= rate
            self.streaks[key] = streak + 1 if fault else 0
            if fault:
                self.stats.faults[fault] += 1
            return fault

    def rate_limit(self) -> tuple[int, int] | None:
        """(remaining, seconds to reset) of the fixed window, counting this request; None without a quota."""
        f = self.faults
        if not f.quota:
            return None
        with self.lock:
            now = time.monotonic()
            if now - self.window_start >= f.window:
                self.window_start, self.window_count = now, 0
            self.window_count += 1
            reset = max(1, int(f.window - (now - self.window_start) + 0.999))
            return f.quota - self.window_count, reset


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub; every answer carries Content-Length
    # Headers and body go out in two writes; with Nagle's algorithm and delayed ACKs each answer on
    # a kept-alive connection would wait ~40 ms.
    disable_nagle_algorithm = True
    server: FakeHub

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.address_string(), *args)

    def do_GET(self):
        hub = self.server
        parts = urlsplit(self.path)
        with hub.lock:
            hub.stats.requests += 1
            hub.stats.authorized += "Authorization" in self.headers
            hub.stats.basic_auth += self.headers.get("Authorization", "").startswith("Basic ")
        if parts.path == "/_fakehub/stats":
            with hub.lock:
                body = json.dumps(hub.stats.__dict__).encode()
            return self.send_json(200, body)
        if not parts.path.startswith("/api/models"):
            return self.send_error_json(404, "Not Found")
        if (hub.misbehave or "").startswith("redirect:"):
            return self.send_error_json(302, "Found", {"Location": hub.misbehave[9:] + self.path})
        if hub.latency:
            time.sleep(hub.latency)
        limit_state = hub.rate_limit()
        extra = {}
        if limit_state is not None:
            remaining, reset = limit_state
            extra = {
                "RateLimit": f'"api";r={max(remaining, 0)};t={reset}',
                "RateLimit-Policy": f'"fixed window";"api";q={hub.faults.quota};w={hub.faults.window}',
            }
            if remaining < 0:
                with hub.lock:
                    hub.stats.rate_limited += 1
                return self.send_error_json(429, "Too Many Requests", {**extra, "Retry-After": str(reset)})
        fault = hub.draw_fault(self.path)
        if fault == "429":
            t = hub.faults.retry_after
            return self.send_error_json(
                429,
                "Too Many Requests",
                {
                    "Retry-After": str(t),
                    "RateLimit": f'"api";r=0;t={t}',
                    "RateLimit-Policy": f'"fixed window";"api";q={hub.faults.quota or 500};w={hub.faults.window}',
                },
            )
        if fault == "500":
            return self.send_error_json(
                500, "Internal Error - We're working hard to fix this as soon as possible!"
            )
        try:
            status, body, headers = self.route(parts)
        except ValueError as e:
            return self.send_error_json(400, str(e))
        headers.update(extra)
        if status == 200 and fault == "drop":
            return self.send_dropped(body, headers)
        if status == 200 and fault == "truncate":
            body = body[: max(1, len(body) // 2)]
        self.send_json(status, body, headers)

    def route(self, parts) -> tuple[int, bytes, dict]:
        hub = self.server
        path = unquote(parts.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if path in ("/api/models", "/api/models/"):
            return self.list_models(query)
        rest = path[len("/api/models/") :]
        kind, model_id, rev = "info", rest, None
        if rest.endswith("/refs"):
            kind, model_id = "refs", rest[: -len("/refs")]
        elif "/commits/" in rest:
            model_id, _, rev = rest.partition("/commits/")
            kind = "commits"
        with hub.lock:
            hub.stats.routes[kind] = hub.stats.routes.get(kind, 0) + 1
        if model_id not in hub.data.index:
            return (
                404,
                json.dumps({"error": "Repository not found"}).encode(),
                {"X-Error-Code": "RepoNotFound"},
            )
        if kind == "info":
            return 200, json.dumps(hub.data.records[hub.data.index[model_id]]).encode(), {}
        if kind == "refs":
            return 200, json.dumps(hub.data.repo_refs(model_id)).encode(), {}
        commits = hub.data.repo_commits(model_id, rev)
        if commits is None:
            return (
                404,
                json.dumps({"error": f"Invalid rev id: {rev}"}).encode(),
                {"X-Error-Code": "RevisionNotFound"},
            )
        page = int(dict(query).get("p", "0") or 0)
        chunk = commits[page * COMMITS_PAGE : (page + 1) * COMMITS_PAGE]
        headers = {}
        if (page + 1) * COMMITS_PAGE < len(commits):
            nxt = f"{self.base_url()}/api/models/{model_id}/commits/{quote(rev, safe='')}?p={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return 200, json.dumps(chunk).encode(), headers

    def list_models(self, query: list[tuple[str, str]]) -> tuple[int, bytes, dict]:
        hub = self.server
        params = {k: v for k, v in query if k not in ("expand", "expand[]")}
        expand = [v for k, v in query if k in ("expand", "expand[]")]
        unknown = [e for e in expand if e not in EXPANDABLE]
        if unknown:
            raise ValueError(f"Invalid expand: {', '.join(unknown)}")
        sort = params.get("sort") or None
        if sort is not None and sort not in SORTS:
            raise ValueError(f"Invalid sort: {sort}")
        try:
            limit = min(int(params.get("limit") or MAX_PAGE), MAX_PAGE)
        except ValueError:
            raise ValueError(f"Invalid limit: {params.get('limit')}") from None
        if limit < 1:
            raise ValueError("limit must be positive")
        if hub.misbehave == "empty-pages" and params.get("cursor"):
            records, cursor = [], params["cursor"] + "0"
        else:
            records, cursor = hub.data.page(sort, params.get("cursor"), limit)
        if expand:
            keep = {"_id", "id", *expand}
            records = [{k: v for k, v in r.items() if k in keep} for r in records]
        with hub.lock:
            hub.stats.pages += 1
            hub.stats.records_served += len(records)
            hub.stats.routes["list"] = hub.stats.routes.get("list", 0) + 1
        headers = {}
        if cursor is not None:
            # The next URL repeats the request's parameters, with the new cursor, as the Hub's does.
            nxt = [(k, v) for k, v in query if k != "cursor"] + [("cursor", cursor)]
            if hub.misbehave == "cycle" and params.get("cursor"):
                nxt = [(k, v) for k, v in query if k != "cursor"]  # back to the first page
            headers["Link"] = f'<{self.base_url()}/api/models?{urlencode(nxt)}>; rel="next"'
        return 200, json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode(), headers

    def base_url(self) -> str:
        return f"http://{self.headers.get('Host') or f'127.0.0.1:{self.server.server_address[1]}'}"

    def send_json(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, status: int, message: str, headers: dict | None = None):
        self.send_json(status, json.dumps({"error": message}).encode(), headers)

    def send_dropped(self, body: bytes, headers: dict):
        """Announce the whole body, send half of it, and cut the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(
    snapshot: Path,
    port: int = 0,
    faults: Faults | None = None,
    max_records: int | None = None,
    refs_file: Path | None = DEFAULT_REFS,
    latency: float = 0.0,
    misbehave: str | None = None,
) -> FakeHub:
    """A started fake Hub (in a daemon thread); call .shutdown() and .server_close() to stop it."""
    data = HubData.from_snapshot(snapshot, max_records=max_records, refs_file=refs_file)
    data.order("createdAt")  # the crawler's default listing, sorted before the first request
    hub = FakeHub(data, faults or Faults(), port=port, latency=latency, misbehave=misbehave)
    threading.Thread(target=hub.serve_forever, name="fakehub", daemon=True).start()
    return hub


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshot", type=Path, required=True, help="snapshot folder whose records to serve")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    p.add_argument("--max-records", type=int, help="serve only the first N records of the snapshot")
    p.add_argument("--refs", type=Path, default=DEFAULT_REFS, help="refs/commits file (default: %(default)s)")
    p.add_argument("--rate-429", type=float, default=0.0, help="share of requests answered 429")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds of injected 429s")
    p.add_argument("--rate-500", type=float, default=0.0, help="share of requests answered 500")
    p.add_argument("--rate-drop", type=float, default=0.0, help="share of requests cut mid-body")
    p.add_argument(
        "--rate-truncate", type=float, default=0.0, help="share of 200s with a cut-short JSON body"
    )
    p.add_argument("--max-streak", type=int, default=2, help="most faults in a row for one URL (0: no bound)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--quota", type=int, default=0, help="API requests per window, as the Hub's rate limit (0: none)"
    )
    p.add_argument("--window", type=int, default=300, help="rate-limit window in seconds")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    p.add_argument("--misbehave", help="break the paging: cycle, empty-pages or redirect:URL")
    p.add_argument("--verbose", action="store_true", help="log every request")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        faults = Faults(
            args.rate_429,
            args.rate_500,
            args.rate_drop,
            args.rate_truncate,
            args.retry_after,
            args.max_streak,
            args.seed,
            args.quota,
            args.window,
        )
        data = HubData.from_snapshot(args.snapshot, args.max_records, args.refs)
        check_misbehaviour(args.misbehave)
    except (SnapshotError, ValueError) as e:
        print(f"fakehub: {e}", file=sys.stderr)
        return 2
    data.order("createdAt")  # sort the crawler's default listing now, not during the first request
    hub = FakeHub(data, faults, port=args.port, latency=args.latency, misbehave=args.misbehave)
    # The first line of stdout is the URL, so that scripts and tests can start it on port 0.
    print(hub.url, flush=True)
    log.info(
        "serving %d records of %s at %s (refs for %d models)",
        len(data.records),
        args.snapshot,
        hub.url,
        len(data.refs),
    )
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        hub.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
