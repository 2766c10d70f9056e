"""Site plugin: charts that draw on arrival, links from figures to the rows they count, and the
About page's live figures."""

import json

from datasette import hookimpl
from markupsafe import Markup, escape

DATABASE = "hub"


@hookimpl
def extra_body_script(view_name, database, request, datasette):
    """On a canned query page with chart settings, preset datasette-vega's URL fragment.

    datasette-vega reads its settings from `#g.mark=...&g.x_column=...` once the query's rows
    have loaded; writing the fragment first (unless the visitor brought their own) makes the
    chart appear without a click, and the settings stay shareable in the URL.
    """
    # Datasette writes whatever this returns into a <script>: "" when there is nothing to add.
    if database != DATABASE or request is None:
        return ""
    name = (request.url_vars or {}).get("table")
    if not name:
        return ""

    async def script():
        query = await datasette.get_canned_query(DATABASE, name, None)
        chart = (query or {}).get("chart")
        # A full Vega-Lite spec ($schema) is not datasette-vega's: it is drawn by its own page code.
        if not chart or "$schema" in chart:
            return ""
        fragment = "&".join(f"g.{k}={v}" for k, v in chart.items())
        return (
            "if (!location.hash || location.hash === '#') "
            f"history.replaceState(null, '', location.pathname + location.search + {json.dumps('#' + fragment)});"
        )

    return script


@hookimpl
def render_cell(value, column):
    """Columns named *rows or *_row hold site-relative links to the counted rows: make them links."""
    if (
        (column.endswith("rows") or column.endswith("_row"))
        and isinstance(value, str)
        and value.startswith("/")
    ):
        return Markup(f'<a href="{escape(value)}">open rows</a>')
    return None


@hookimpl
def extra_template_vars(template, datasette):
    """The About page reads the snapshots table, so its figures are those of the served build."""
    if template != "pages/about.html":
        return {}

    async def snapshot_rows():
        db = datasette.get_database(DATABASE)
        rows = (await db.execute("select * from snapshots order by headline desc, snapshot desc")).rows
        return [dict(r, caveats=json.loads(r["caveats"] or "[]")) for r in rows]

    async def counts():
        db = datasette.get_database(DATABASE)
        sql = """select snapshot, count(*) as models, sum(seed_rule) as seed_rule,
                        sum(own_version) as own_version
                 from model_versioning group by snapshot order by snapshot desc"""
        return [dict(r) for r in (await db.execute(sql)).rows]

    async def validation():
        """The validation sample, the classifier's measured accuracy and the corrected RQ1 split."""
        db = datasette.get_database(DATABASE)
        if not await db.table_exists("validation_sample"):
            return None
        sample = (await db.execute("select * from validation_sample")).first()
        accuracy = {
            r["stratum"]: dict(r) for r in (await db.execute("select * from classifier_accuracy")).rows
        }
        rq1 = await db.execute(
            """select * from estimate_rq1 where band = 'all' and snapshot = ?
               order by case measure when 'no own version' then 0 when 'own version' then 1
                        when 'traditional' then 2 else 3 end""",
            [sample["census"]],
        )
        return {"sample": dict(sample), "accuracy": accuracy, "rq1": [dict(r) for r in rq1.rows]}

    async def vars_():
        return {
            "snapshot_rows": await snapshot_rows(),
            "versioning_counts": await counts(),
            "validation": await validation(),
        }

    return vars_
