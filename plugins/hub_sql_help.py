"""Site plugin: SQL a newcomer can write.

- a query stopped by the time limit lands on a page that names the limit, keeps the SQL in an
  editor and points to the whole-table downloads (Datasette's own page has neither);
- a table page with a `snapshot` column whose rows come from two snapshots or more says which, and
  that counts and facets add them up unless one is chosen (templates/table.html);
- the database page lists every table with its description (templates/database.html reads them
  from the metadata; nothing here);
- the site's stylesheet on every page, so that tables scroll sideways at phone width instead of
  turning into a stack of cards.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response

DATABASE = "hub"
INTERRUPTED = "SQL Interrupted"
PRESENT_TIME_LIMIT_MS = 300


def interrupted_sql(exception) -> str | None:
    """The SQL of a query stopped by the time limit (Datasette re-raises it as 'SQL Interrupted')."""
    if getattr(exception, "title", None) != INTERRUPTED:
        return None
    cause = exception.__context__ or exception.__cause__
    return getattr(cause, "sql", None) or ""


@hookimpl
def extra_css_urls():
    return ["/assets/hub.css"]


@hookimpl
def handle_exception(datasette, request, exception):
    sql = interrupted_sql(exception)
    if sql is None or request.path.split("?")[0].endswith((".json", ".csv")):
        return None

    async def page():
        limit_ms = datasette.setting("sql_time_limit_ms")
        html = await datasette.render_template(
            "hub_time_limit.html",
            {"sql": request.args.get("sql") or sql, "limit_ms": limit_ms, "limit_s": limit_ms / 1000},
            request=request,
        )
        return Response.html(html, status=400)

    return page


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    if template != "table.html" or database != DATABASE or not table:
        return {}

    async def snapshot_note():
        db = datasette.get_database(DATABASE)
        columns = await db.table_columns(table)
        if "snapshot" not in columns or not await db.table_exists("snapshots"):
            return {"hub_snapshots": None}
        kinds = {
            r["snapshot"]: r["kind"] for r in (await db.execute("select snapshot, kind from snapshots")).rows
        }
        try:
            # the snapshots this table holds rows of (an index on snapshot makes it quick)
            present = await db.execute(
                f"select distinct snapshot from [{table}] order by snapshot desc",
                custom_time_limit=PRESENT_TIME_LIMIT_MS,
            )
            names = [r[0] for r in present.rows if r[0] is not None]
        except QueryInterrupted:
            names = sorted(kinds, reverse=True)
        chosen = request.args.get("snapshot") if request else None
        listed = [{"snapshot": n, "kind": kinds.get(n, "snapshot")} for n in names]
        if len(listed) < 2 and not chosen:
            return {"hub_snapshots": None}
        return {
            "hub_snapshots": {
                "all": listed,
                "chosen": chosen,
                "censuses": [r["snapshot"] for r in listed if r["kind"] == "census"] or names,
            }
        }

    return snapshot_note
