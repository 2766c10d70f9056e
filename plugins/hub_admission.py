"""Admission plugin: expensive requests that cannot be cached queue for slots of their own.

A request is heavy when its cost depends on what the visitor typed rather than on the build:
arbitrary SQL (`sql=`), full-text search (`_search`), a `_where` clause, a sort or facets on a
filtered table, a streamed or maximal export (`_stream`, `_size=max`). At most HEAVY_SLOTS of them
run at once and at most HEAVY_QUEUE more wait, each for up to HEAVY_WAIT_S; past that the answer is
503 with `Retry-After` (the three figures can be set in the metadata's `plugins.hub-admission`:
`slots`, `queue`, `wait_s`). Datasette has NUM_SQL_THREADS threads, so the other pages always find free
ones, and the pages most visitors open come from the cache (plugins/hub_cache.py) before this check.
"""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import parse_qsl

from datasette import hookimpl

DATABASE = "hub"
HEAVY_SLOTS = 2  # of the site's 4 SQL threads (scripts/publish/site.py: num_sql_threads)
HEAVY_QUEUE = 8
HEAVY_WAIT_S = 5.0
RETRY_AFTER_S = 5
# Arguments a table page takes that are not filters on its rows.
PAGE_ARGS = frozenset({"_size", "_labels", "_nolabels", "_shape", "_json", "_nl", "_nocount", "_nofacet"})
HEAVY_ARGS = frozenset({"sql", "_search", "_where", "_stream"})
ROW_PAGE = re.compile(rf"^/{DATABASE}/[^/]+/[^/]+$")


def is_heavy(scope) -> bool:
    """Whether the request's cost depends on what the visitor typed (not cacheable, not bounded)."""
    path = scope.get("path", "")
    if not (path == f"/{DATABASE}" or path.startswith((f"/{DATABASE}/", f"/{DATABASE}."))):
        return False
    if ROW_PAGE.match(path):
        return False
    args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    names = {k for k, _ in args}
    if names & HEAVY_ARGS or any(k.startswith("_search_") for k in names):
        return True
    if any(k == "_size" and v == "max" for k, v in args):
        return True
    filtered = any(not k.startswith("_") for k in names)
    reshaped = any(k.startswith(("_sort", "_facet")) for k in names)
    return filtered and reshaped


class Admission:
    """HEAVY_SLOTS running, HEAVY_QUEUE waiting; a request past both is turned away at once."""

    def __init__(self, slots: int = HEAVY_SLOTS, queue: int = HEAVY_QUEUE, wait_s: float = HEAVY_WAIT_S):
        self.slots = asyncio.Semaphore(slots)
        self.capacity = slots + queue
        self.wait_s = wait_s
        self.inside = 0  # running or waiting

    async def run(self, call) -> bool:
        """Run call() in a slot; False if it was turned away."""
        if self.inside >= self.capacity:
            return False
        self.inside += 1
        try:
            try:
                await asyncio.wait_for(self.slots.acquire(), self.wait_s)
            except TimeoutError:
                return False
            try:
                await call()
            finally:
                self.slots.release()
        finally:
            self.inside -= 1
        return True


async def busy(scope, send) -> None:
    message = (
        "The server is busy with other searches, SQL queries and exports: try again in"
        f" {RETRY_AFTER_S} s. The findings and table pages are not affected."
    )
    path = scope.get("path", "")
    if ".json" in path:
        body = json.dumps({"ok": False, "error": message, "status": 503, "title": "Busy"}).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        body, content_type = (message + "\n").encode(), b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
        (b"cache-control", b"no-store"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@hookimpl(tryfirst=True)  # innermost wrapper: the cache and the other checks answer before it
def asgi_wrapper(datasette):
    def wrap(app):
        async def admitted(scope, receive, send):
            if scope.get("type") != "http" or not is_heavy(scope):
                return await app(scope, receive, send)
            # One per Datasette instance (its server and internal client share it), made on the
            # server's event loop at the first heavy request.
            if not hasattr(datasette, "_hub_admission"):
                config = datasette.plugin_config("hub-admission") or {}
                datasette._hub_admission = Admission(
                    config.get("slots", HEAVY_SLOTS),
                    config.get("queue", HEAVY_QUEUE),
                    config.get("wait_s", HEAVY_WAIT_S),
                )
            if not await datasette._hub_admission.run(lambda: app(scope, receive, send)):
                await busy(scope, send)

        return admitted

    return wrap
