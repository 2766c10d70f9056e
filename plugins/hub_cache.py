"""Cache plugin: pages of the immutable database computed once per build, not once per visitor.

Every GET answer of the site's pages (home, database, table, row and canned-query pages, About, in
HTML, JSON or CSV) is kept whole in a bounded in-process LRU cache (cachetools, CACHE_BYTES of
bodies; an answer over ENTRY_BYTES is not kept) and served from it to the next visitor. Not cached:
arbitrary SQL (`?sql=`), streamed exports (`_stream`), `_trace`, the static mounts, the `/-/` pages
and anything but a 200 without a cookie.

The key holds the database's identity: the device, inode, size and modification time of the file
`build/hub.db` resolves to. The build publishes a new database by swapping a link, so a new build
changes the identity and no page of the old one is served from the cache again (a server serves
the new build's rows once restarted: its SQLite connections keep the file they opened). The host and
scheme are in the key too, since JSON answers carry absolute URLs.

A cached answer carries a strong `ETag` (the hash of the database's content, from its inspect file,
and of the body: the same on every server of one build) and `Cache-Control:
public, max-age=...`, so a CDN in front of a deployed copy revalidates cheaply (a matching
`If-None-Match` is answered 304 without a body), and `X-Hub-Cache: hit|miss` says where it came from.
Concurrent misses of one page wait for the first one's answer instead of all computing it. The
first visit of the home page (per build and host) also computes, in the background, one at a time
and only once no visitor's request has been answered for WARM_IDLE_S, the other landing pages
(the database page, About, each table, each canned query with its defaults), so that the
visitors after the first find them ready (`plugins.hub-cache.warm: false` in the metadata turns
this off). `/-/hub-cache.json` says how full the cache is.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import NamedTuple
from urllib.parse import parse_qsl

from cachetools import LRUCache
from datasette import hookimpl
from datasette.utils.asgi import Response

DATABASE = "hub"
CACHE_BYTES = 64 * 2**20  # ~300 home pages; the whole site's default pages are under 10 MB
ENTRY_BYTES = 2 * 2**20
# Browsers and CDNs may reuse an answer this long, then revalidate it with its ETag.
MAX_AGE_S = 300
# The warming computes a page only after this long without a visitor's request: one page holds
# the event loop for 0.1-0.25 s, which under steady load is a visitor's wait.
WARM_IDLE_S = 0.05
UNCACHED_PREFIXES = ("/-/", "/assets/", "/figures/", "/downloads/")
UNCACHED_ARGS = frozenset({"sql", "_stream", "_trace"})


class Entry(NamedTuple):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def entry_size(entry: Entry) -> int:
    return len(entry.body) + 1024


class ResponseCache:
    """One per Datasette instance, shared by the server's app and its internal client."""

    def __init__(self):
        self.entries = LRUCache(maxsize=CACHE_BYTES, getsizeof=entry_size)
        self.pending: dict[tuple, asyncio.Future] = {}  # key -> the first miss's answer
        self.warmed: set[tuple] = set()  # (identity, scheme, host) whose landing pages were computed
        self.tasks: set[asyncio.Task] = set()
        self.in_flight = 0  # visitors' requests being answered
        self.last_answered = 0.0  # the event loop's time when the last one ended


def response_cache(datasette) -> ResponseCache:
    if not hasattr(datasette, "_hub_response_cache"):
        datasette._hub_response_cache = ResponseCache()
    return datasette._hub_response_cache


def config(datasette) -> dict:
    return datasette.plugin_config("hub-cache") or {}


def database_identity(datasette) -> str:
    """Which file the database is now: changes when the build swaps in a new one."""
    path = datasette.get_database(DATABASE).path
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def cacheable(scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return False
    path = scope.get("path", "")
    if path.startswith(UNCACHED_PREFIXES):
        return False
    query = scope.get("query_string", b"").decode("latin-1")
    names = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    return not names & UNCACHED_ARGS


def header(scope, name: bytes) -> bytes:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return v
    return b""


def cache_key(scope, identity: str) -> tuple:
    return (
        identity,
        scope.get("scheme", "http"),
        header(scope, b"host"),
        scope.get("path", ""),
        scope.get("query_string", b""),
    )


class Recorder:
    """An ASGI send that keeps the answer; past ENTRY_BYTES it gives up and passes everything on."""

    def __init__(self, send):
        self.send = send
        self.start: dict | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False
        self.complete = False

    async def __call__(self, message):
        if self.passing:
            return await self.send(message)
        if message["type"] == "http.response.start":
            self.start = message
            return None
        if message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.size += len(self.chunks[-1])
            if not message.get("more_body", False):
                self.complete = True
            elif self.size > ENTRY_BYTES:
                await self.pass_on(more_body=True)
        return None

    async def pass_on(self, more_body: bool) -> None:
        """Send what was kept, as it came (too large to cache, or not worth caching)."""
        self.passing = True
        if self.start is not None:
            await self.send(self.start)
        await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body})

    def entry(self, version: str) -> Entry | None:
        if not self.complete or self.start is None or self.start.get("status") != 200:
            return None
        headers = [(k.lower(), v) for k, v in self.start.get("headers", [])]
        if any(k == b"set-cookie" for k, _ in headers):
            return None
        body = b"".join(self.chunks)
        etag = hashlib.sha256(version.encode() + b"\0" + body).hexdigest()[:32]
        kept = [(k, v) for k, v in headers if k not in (b"cache-control", b"etag", b"content-length")]
        kept += [(b"cache-control", f"public, max-age={MAX_AGE_S}".encode()), (b"etag", f'"{etag}"'.encode())]
        return Entry(200, kept, body, f'"{etag}"'.encode())


async def send_entry(scope, send, entry: Entry, state: bytes) -> None:
    headers = entry.headers + [(b"x-hub-cache", state)]
    etags = {t.strip() for t in header(scope, b"if-none-match").split(b",")}
    if entry.etag in etags or b"*" in etags:
        kept = [(k, v) for k, v in headers if k not in (b"content-type",)]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b"" if scope.get("method") == "HEAD" else entry.body
    headers.append((b"content-length", str(len(entry.body)).encode()))
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def compute(cache: ResponseCache, app, scope, receive, send, key, version: str) -> None:
    """The page from Datasette; kept if it can be, and sent either way."""
    recorder = Recorder(send)
    future = asyncio.get_running_loop().create_future()
    cache.pending[key] = future
    entry = None
    try:
        get_scope = dict(scope, method="GET")  # a HEAD miss computes the page a GET would be
        await app(get_scope, receive, recorder)
        entry = recorder.entry(version)
        if entry is not None and len(entry.body) <= ENTRY_BYTES:
            cache.entries[key] = entry
    finally:
        cache.pending.pop(key, None)
        future.set_result(entry)
    if entry is not None:
        await send_entry(scope, send, entry, b"miss")
    elif not recorder.passing:
        await recorder.pass_on(more_body=False)


async def landing_paths(datasette) -> list[str]:
    """The pages most visitors open: home, the database page, About, each table, each canned query."""
    db = datasette.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    tables = [t for t in await db.table_names() if t not in hidden]
    queries = datasette.metadata("queries", database=DATABASE) or {}
    return (
        ["/", f"/{DATABASE}", "/about"]
        + [datasette.urls.table(DATABASE, t) for t in tables]
        + [datasette.urls.table(DATABASE, q) for q in queries]
    )


async def no_body():
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message):
    return None


async def warm(cache: ResponseCache, app, datasette, scope, identity: str, version: str) -> None:
    """Compute the landing pages for this host, one at a time, so that the visitors after the first
    find them ready; a page that fails is left to its own visitor."""
    for path in await landing_paths(datasette):
        # Rendering a page holds the event loop: the warming waits for a pause between visitors
        # (under 16 connections, warming in every gap between two requests took the home page's
        # p99 from 0.07 s to 0.8 s).
        while not idle(cache):
            await asyncio.sleep(WARM_IDLE_S)
        page = dict(scope, method="GET", path=path, raw_path=path.encode(), query_string=b"")
        page["headers"] = [(b"host", header(scope, b"host"))]
        key = cache_key(page, identity)
        if key in cache.entries or key in cache.pending:
            continue
        try:
            await compute(cache, app, page, no_body, discard, key, version)
        except Exception:  # noqa: BLE001 - the visitor of that page gets the error instead
            continue


def idle(cache: ResponseCache) -> bool:
    now = asyncio.get_running_loop().time()
    return not cache.in_flight and now - cache.last_answered >= WARM_IDLE_S


def warm_once(cache: ResponseCache, app, datasette, scope, identity: str, version: str) -> None:
    """After the first visit of the home page by a host (per build), warm that host's landing pages."""
    site = (identity, scope.get("scheme", "http"), header(scope, b"host"))
    if site in cache.warmed:
        return
    cache.warmed.add(site)
    task = asyncio.get_running_loop().create_task(warm(cache, app, datasette, scope, identity, version))
    cache.tasks.add(task)
    task.add_done_callback(cache.tasks.discard)


@hookimpl(trylast=True)  # outermost wrapper: a hit skips every other check
def asgi_wrapper(datasette):
    def wrap(app):
        async def cached(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            cache = response_cache(datasette)
            cache.in_flight += 1
            try:
                await answer(cache, app, scope, receive, send)
            finally:
                cache.in_flight -= 1
                cache.last_answered = asyncio.get_running_loop().time()

        async def answer(cache, app, scope, receive, send):
            if not cacheable(scope):
                return await app(scope, receive, send)
            identity = database_identity(datasette)
            key = cache_key(scope, identity)
            entry = cache.entries.get(key)
            if entry is None and key in cache.pending:
                entry = await asyncio.shield(cache.pending[key])
            if entry is not None:
                return await send_entry(scope, send, entry, b"hit")
            version = datasette.get_database(DATABASE).hash or identity
            if scope.get("path") == "/" and config(datasette).get("warm", True):
                warm_once(cache, app, datasette, scope, identity, version)
            return await compute(cache, app, scope, receive, send, key, version)

        return cached

    return wrap


@hookimpl
def register_routes(datasette):
    async def cache_state(request):
        cache = response_cache(datasette)
        return Response.json(
            {
                "entries": len(cache.entries),
                "bytes": int(cache.entries.currsize),
                "max_bytes": int(cache.entries.maxsize),
                "warming": len(cache.tasks),
                "warmed_hosts": len(cache.warmed),
            }
        )

    return [(r"^/-/hub-cache\.json$", cache_state)]
