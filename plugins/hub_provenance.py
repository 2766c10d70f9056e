"""Site plugin: where the data comes from and how to take it whole.

- every page's footer and header block name each snapshot's source and data license, the seed
  study and how to cite (configuration `plugins.hub-provenance`, written by
  scripts/publish/provenance.py at build time);
- table pages link their whole-table downloads (build/downloads/MANIFEST.json);
- a streamed CSV of more rows than STREAM_ROW_LIMIT is refused with a pointer to those files,
  instead of being cut at Datasette's max_csv_mb with a 200;
- the files are served as downloads (gzip and Parquet types), and the pages of features this build
  has no data for say what they need.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

DATABASE = "hub"
PLUGIN = "hub-provenance"
MOUNT = "downloads"
# A streamed CSV of more rows is refused: in the default sort (by downloads) Datasette streams a
# few hundred rows a second on 790,000-row tables, and the files hold every row.
STREAM_ROW_LIMIT = 50_000
CONTENT_TYPES = {".gz": "application/gzip", ".parquet": "application/vnd.apache.parquet"}
CSV_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+)\.csv$")
LIMIT = re.compile(r"\blimit\s+(\d+)\s*;?\s*$", re.IGNORECASE)
# Count-like columns whose integers are printed with thousands separators.
COUNT_COLUMNS = re.compile(
    r"^(downloads|likes|models|records|rows|labelled|versioned|families|versions|family_versions|"
    r"declared_versions|seed_rule|own_version|commit_count|branches|tags|n|[a-z_]*_(models|count|rows))$"
)
SHARE_COLUMNS = re.compile(r"(^|_)share(s)?($|_)|^corrected_(low|high)$|^consistency$|^ci95_(low|high)$")


def config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def downloads_manifest(datasette) -> dict | None:
    for mount, folder in datasette.static_mounts:
        if mount == MOUNT:
            path = Path(folder) / "MANIFEST.json"
            if path.exists():
                return json.loads(path.read_text(encoding="utf-8"))
    return None


def table_downloads(manifest: dict | None, table: str) -> dict | None:
    for entry in (manifest or {}).get("tables", []):
        if entry["table"] == table:
            return entry
    return None


def capped_rows(sql: str) -> int | None:
    """N for a query whose SQL ends in LIMIT N."""
    match = LIMIT.search(sql or "")
    return int(match.group(1)) if match else None


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    async def provenance():
        manifest = downloads_manifest(datasette)
        name = table or ((request.url_vars or {}).get("table") if request else None)
        capped = None
        if database == DATABASE and name:
            query = await datasette.get_canned_query(DATABASE, name, None)
            if query:
                capped = capped_rows(query.get("sql"))
        return {
            "provenance": config(datasette),
            "downloads": manifest,
            "table_downloads": table_downloads(manifest, name) if name else None,
            "capped_rows": capped,
        }

    return provenance


@hookimpl
def render_cell(value, column):
    """Counts with thousands separators, shares (stored 0..1) as percentages, on HTML pages only."""
    if isinstance(value, bool) or column is None:
        return None
    if isinstance(value, int) and abs(value) >= 1000 and COUNT_COLUMNS.match(column):
        return f"{value:,}"
    if isinstance(value, float) and 0.0 <= value <= 1.0 and SHARE_COLUMNS.search(column):
        return f"{100 * value:.1f}%"
    return None


def refusal(table: str, rows: int | None, limit: int, entry: dict | None) -> Response:
    counted = f"{rows:,} rows" if rows is not None else "more rows than could be counted in time"
    lines = [
        f"Refused: this streamed CSV export of {table} would be {counted}; this server streams at "
        f"most {limit:,} rows per export (a longer one would be slow and could be cut).",
    ]
    if entry:
        lines.append(f"The whole table ({entry['rows']:,} rows) is a file, written with the database:")
        for f in entry["files"]:
            lines.append(f"  /{MOUNT}/{f['file']}  {f['bytes']:,} bytes  sha256 {f['sha256']}")
    lines.append(
        f"Or narrow the export with filters (e.g. ?snapshot=...&_stream=on), or download /{DATABASE}.db."
    )
    return Response.text("\n".join(lines) + "\n", status=400)


def streams(args: list[tuple[str, str]]) -> bool:
    """Whether Datasette streams this CSV: it reads the first `_stream` value, and any non-empty
    text (`1`, `on`, but also `0` and `off`) is true."""
    return next((v for k, v in args if k == "_stream"), "") != ""


async def stream_refusal(datasette, path: str, query_string: str) -> Response | None:
    match = CSV_PATH.match(path)
    args = parse_qsl(query_string, keep_blank_values=True)
    if not match or not streams(args):
        return None
    # Datasette decodes /hub/m~6Fdels.csv to the table models: so does this check.
    if tilde_decode(match.group("database")) != DATABASE:
        return None
    table = tilde_decode(match.group("table"))
    db = datasette.get_database(DATABASE)
    if table not in await db.table_names():
        return None
    kept = [(k, v) for k, v in args if k not in ("_stream", "_size", "_nocount", "_dl", "_header")]
    probe = await datasette.client.get(
        datasette.urls.table(DATABASE, table, format="json") + "?" + urlencode(kept + [("_size", "0")])
    )
    if probe.status_code != 200:
        return None  # Datasette answers the bad request itself
    rows = probe.json().get("filtered_table_rows_count")
    limit = config(datasette).get("stream_row_limit", STREAM_ROW_LIMIT)
    if rows is not None and rows <= limit:
        return None
    return refusal(table, rows, limit, table_downloads(downloads_manifest(datasette), table))


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            path = scope.get("path", "")
            if path.startswith(f"/{MOUNT}/"):
                return await app(scope, receive, _as_download(send, path))
            refused = await stream_refusal(datasette, path, scope.get("query_string", b"").decode("latin-1"))
            if refused is not None:
                return await refused.asgi_send(send)
            return await app(scope, receive, send)

        return guarded

    return wrap


def _as_download(send, path: str):
    """Serve the files as what they are: the static mount would call a .csv.gz text/csv."""
    suffix = Path(path).suffix
    name = Path(path).name

    async def wrapped(message):
        if (
            message["type"] == "http.response.start"
            and message.get("status") == 200
            and suffix in CONTENT_TYPES
        ):
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-type"]
            headers.append((b"content-type", CONTENT_TYPES[suffix].encode()))
            headers.append((b"content-disposition", f'attachment; filename="{name}"'.encode()))
            message = dict(message, headers=headers)
        await send(message)

    return wrapped


@hookimpl
def register_routes(datasette):
    absent = config(datasette).get("absent", {}).get("queries", {})
    if not absent:
        return []
    names = "|".join(re.escape(n) for n in absent)

    async def absent_query(request, datasette):
        name = request.url_vars["name"]
        need = absent[name]
        html = await datasette.render_template(
            "hub_absent_feature.html", {"name": name, "need": need}, request=request
        )
        # The page is what a link to the query leads to; its data formats do not exist here.
        return Response.html(html, status=404 if request.url_vars.get("format") else 200)

    return [(rf"^/{DATABASE}/(?P<name>{names})(\.(?P<format>json|csv))?$", absent_query)]


def format_bytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["megabytes"] = format_bytes
    env.filters["markup_escape"] = lambda s: Markup(escape(s))
