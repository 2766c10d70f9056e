"""Exports plugin: a CSV or JSON export is whole, or says that it was cut and where the rest is.

- A CSV export whose query fails answers with the status and message its JSON form would (400),
  not a 200 with an empty body; an interrupted query is a 400 "took too long", as in JSON.
- A CSV or JSON answer holding only part of the rows (one page of a table, the first
  max_returned_rows of a query) carries `X-Hub-Truncated` (how many rows and where the whole
  result is) and, in a CSV, a last line starting with `#` saying the same.
- The table pages' CSV link streams every row of the filtered table (`_stream=on`), up to the
  stream limit of plugins/hub_provenance.py, instead of the first 5,000 rows.
- A streamed CSV stops when its client goes away, instead of reading the table to its end.

The first three wrap Datasette 0.65's DataView.get (pinned in requirements.txt): the data of the
first page is where Datasette's own CSV writer drops the error and the cut.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import AsgiStream, Response
from datasette.views.base import DataView

DATABASE = "hub"
STREAM_DROPPED = ("_next", "_size", "_stream", "_nocount", "_nofacet")


def whole_result_at(request, data: dict) -> str:
    """Where the whole result is: the streamed CSV of a table, or the database for a query."""
    if data.get("table"):
        kept = [(k, v) for k, v in parse_qsl(request.query_string) if k not in STREAM_DROPPED]
        path = f"/{DATABASE}/{data['table']}.csv?" + urlencode(kept + [("_stream", "on")])
        return f"{path} (every row, up to the stream limit) or the files under /downloads/"
    return (
        "the query with LIMIT and OFFSET, the whole-table files under /downloads/,"
        f" or the database file /{DATABASE}.db"
    )


def cut_of(data: dict, streamed: bool) -> str | None:
    """Why the answer holds only part of the rows, or None if it is whole."""
    rows = len(data.get("rows") or [])
    if data.get("truncated"):
        return f"the first {rows:,} rows only (the server's limit per query)"
    if data.get("next") and not streamed:
        return f"one page of {rows:,} rows"
    return None


def note_cut(response, request, data: dict, streamed: bool, csv: bool):
    cut = cut_of(data, streamed)
    if cut is None:
        return response
    where = whole_result_at(request, data)
    header = f"{cut}; whole result: {where}"
    response.headers["x-hub-truncated"] = header.encode("ascii", "replace").decode("ascii")
    if csv and isinstance(response, AsgiStream):
        inner = response.stream_fn

        async def with_note(writer):
            await inner(writer)
            note = f"# cut: {header}".replace('"', '""')
            await writer.write(f'"{note}"\r\n')  # one quoted field: a CSV reader reads it whole

        response.stream_fn = with_note
    return response


_datasette_get = DataView.get


async def get_reporting_cuts(self, request):
    first: list[dict] = []
    data_fn = self.data
    fmt = (request.url_vars or {}).get("format")

    async def data(request, *args, **kwargs):
        try:
            result = await data_fn(request, *args, **kwargs)
        except QueryInterrupted:
            if first or fmt != "csv":
                raise
            return Response.text("SQL query took too long: ask for fewer rows\n", status=400)
        if not first and isinstance(result, tuple) and result and isinstance(result[0], dict):
            first.append(result[0])
        return result

    self.data = data
    response = await _datasette_get(self, request)
    if not first or fmt not in ("csv", "json"):
        return response
    data0 = first[0]
    if fmt == "csv" and data0.get("ok") is False and data0.get("error"):
        return Response.text(f"{data0['error']}\n", status=400)
    if fmt == "json" and not isinstance(response, Response):
        return response
    return note_cut(response, request, data0, bool(request.args.get("_stream")), fmt == "csv")


DataView.get = get_reporting_cuts


@hookimpl
def extra_template_vars(template, request, datasette):
    """The table page's CSV link streams the filtered rows whole."""
    if template != "table.html" or request is None:
        return {}
    kept = [
        (k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k not in STREAM_DROPPED
    ]
    table = (request.url_vars or {}).get("table")
    db = (request.url_vars or {}).get("database")
    if not table or not db:
        return {}
    url = datasette.urls.path(f"/{db}/{table}.csv?" + urlencode(kept + [("_stream", "on"), ("_size", "max")]))
    return {"url_csv": url}


class ClientGone(Exception):
    """The client of a streamed export closed its connection."""


def is_stream(scope) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
        return False
    args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return any(k == "_stream" for k, _ in args)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def stopping_when_gone(scope, receive, send):
            if not is_stream(scope):
                return await app(scope, receive, send)
            gone = asyncio.Event()

            async def watch():
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone.set()

            async def no_body():
                await gone.wait()
                return {"type": "http.disconnect"}

            async def checked_send(message):
                if gone.is_set():
                    raise ClientGone()
                await send(message)

            watcher = asyncio.create_task(watch())
            try:
                await app(scope, no_body, checked_send)
            except ClientGone:
                pass
            finally:
                watcher.cancel()

        return stopping_when_gone

    return wrap
