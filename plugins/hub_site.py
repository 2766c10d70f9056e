"""Site plugin: the findings on the home page, each canned query's answer and Vega-Lite chart at the
top of its page, parameters with their defaults and valid values (a wrong value is refused with a
message), links from figures to the rows they count, and the About page's live figures.

The charts are the canned queries' `chart:` specs (Vega-Lite v5, coloured by the build with
scripts/publish/palette.py) fed the rows of the page, drawn by vega-embed from the files vendored
in plugins/static/vega (served at /assets/vega/, so the site needs no network).
"""

import json
import re
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

DATABASE = "hub"
# A canned query's name starts with its topic; the pages of a topic open with its finding's answer.
TOPIC_FINDING = {
    "rq1": "rq1",
    "rq2": "rq2",
    "rq3": "rq3",
    "time": "time",
    "history": "closing_question",
    "refs": "closing_question",
}


def finding_for(findings: list[dict], name: str) -> tuple[dict | None, bool]:
    """The finding a query's page opens with, and whether the query is that finding's own chart."""
    for f in findings:
        if f["chart_query"] == name:
            return f, True
    key = TOPIC_FINDING.get(name.partition("_")[0])
    return next((f for f in findings if f["key"] == key), None), False


def finding_row(row) -> dict:
    return dict(row, figures=json.loads(row["figures"] or "{}"), parts=json.loads(row["parts"] or "null"))


async def read_findings(datasette) -> list[dict]:
    """The findings the build stored, in page order."""
    db = datasette.get_database(DATABASE)
    if "findings" not in await db.table_names():
        return []
    return [finding_row(r) for r in (await db.execute("select * from findings order by position")).rows]


def script_json(value) -> Markup:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def chart_data(columns, rows) -> Markup:
    return script_json([dict(zip(columns, tuple(row))) for row in rows or []])


def parameter_inputs(query: dict, args) -> list[dict]:
    """Each parameter of a canned query with the visitor's value (else its default) and options."""
    specs = query.get("parameters") or {}
    inputs = []
    for name in query.get("params", []):
        spec = specs.get(name, {})
        default = spec.get("default")
        value = args.get(name) or ("" if default is None else str(default))
        inputs.append(
            {
                "name": name,
                "value": value,
                "default": default,
                "options": spec.get("values"),
                "type": spec.get("type", "text"),
                "description": spec.get("description", ""),
            }
        )
    return inputs


@hookimpl
def extra_template_vars(template, request, datasette):
    if template == "pages/about.html":
        return about_vars(datasette)
    if template == "index.html":

        async def index_vars():
            return {"hub_findings": await read_findings(datasette)}

        return index_vars
    if template != "query.html" or request is None:
        return {}
    name = (request.url_vars or {}).get("table")
    if not name or (request.url_vars or {}).get("database") != DATABASE:
        return {}

    async def query_vars():
        query = await datasette.get_canned_query(DATABASE, name, None) or {}
        finding, own = finding_for(await read_findings(datasette), name)
        defaults_only = not any(request.args.get(p) for p in query.get("params", []))
        return {
            "hub_chart": query.get("chart"),
            "hub_chart_json": script_json(query.get("chart")),
            "hub_chart_data": chart_data,
            "hub_finding": finding,
            "hub_finding_is_own": own,
            "hub_defaults_only": defaults_only,
            "hub_params": parameter_inputs(query, request.args),
        }

    return query_vars


ASCII_WHOLE_NUMBER = re.compile(r"[0-9]+")


def parameter_problem(query: dict, pairs: list[tuple[str, str]]) -> str | None:
    """Why the visitor's parameters cannot be answered, or None (mirrors scripts/publish/parameters.py,
    whose resolved values and defaults the metadata carries). A parameter given twice is refused
    (Datasette would use one of them), and a whole number is ASCII digits only (Python's int()
    also reads full-width digits, signs, spaces and underscores)."""
    specs = query.get("parameters") or {}
    for name in query.get("params", []):
        values, spec = [v for k, v in pairs if k == name], specs.get(name, {})
        if len(values) > 1:
            return f"{name} is given {len(values)} times ({', '.join(map(repr, values[:5]))}): give it once"
        value = values[0] if values else ""
        if value == "":
            continue
        if spec.get("type") == "choice" and value not in spec.get("values", []):
            shown = ", ".join(spec.get("values", [])[:30]) or "(none in this build)"
            return f"{name}={value!r} is not one of the valid values: {shown}"
        if spec.get("type") == "integer":
            if not ASCII_WHOLE_NUMBER.fullmatch(value):
                return f"{name}={value!r} is not a whole number in digits 0-9 (default {spec.get('default')})"
            number = int(value)
            if "min" in spec and number < spec["min"]:
                return f"{name}={value!r} is below its minimum, {spec['min']}"
    return None


@hookimpl
def asgi_wrapper(datasette):
    """Refuse a canned query whose parameter is not valid with a 400 and a message, in HTML, JSON
    or CSV as asked, instead of answering zero rows (or every row)."""

    def wrap(app):
        async def checked(scope, receive, send):
            path = scope.get("path", "") if scope.get("type") == "http" else ""
            prefix = f"/{DATABASE}/"
            name = path[len(prefix) :] if path.startswith(prefix) else ""
            stem, _, ext = name.partition(".")
            stem = tilde_decode(stem) if stem else stem  # Datasette decodes /hub/rq1~5Fversioned_share
            if stem and "/" not in stem:
                query = (datasette.metadata("queries", database=DATABASE) or {}).get(stem)
                if query and query.get("params"):
                    query_string = scope.get("query_string", b"").decode("utf-8", "replace")
                    pairs = parse_qsl(query_string, keep_blank_values=True)
                    problem = parameter_problem(query, pairs)
                    if problem:
                        response = await refusal(datasette, stem, problem, ext)
                        await response.asgi_send(send)
                        return
            await app(scope, receive, send)

        return checked

    return wrap


async def refusal(datasette, name: str, problem: str, ext: str) -> Response:
    message = f"{problem}. Leave the parameter empty for its default."
    if ext == "json":
        return Response.json(
            {"ok": False, "error": message, "status": 400, "title": "Invalid parameter"}, 400
        )
    if ext:
        return Response.text(message + "\n", status=400)
    await datasette.invoke_startup()  # a no-op once the server has started
    html = await datasette.render_template(
        "error.html",
        {"ok": False, "error": message, "status": 400, "title": f"Invalid parameter for {name}"},
    )
    return Response.html(html, status=400)


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


def about_vars(datasette):
    """The About page reads the snapshots table, so its figures are those of the served build."""

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
        if not accuracy.get("all", {}).get("in_census"):
            # A build without the labelled census (a cut, or the 2022 census alone): no accuracy.
            return {"sample": dict(sample), "census_absent": True}
        rq1 = await db.execute(
            """select * from estimate_rq1 where band = 'all' and snapshot = ?
               order by case measure when 'no own version' then 0 when 'own version' then 1
                        when 'traditional' then 2 else 3 end""",
            [sample["census"]],
        )
        check = await db.execute("select * from estimate_group_check order by rowid")
        readings = await db.execute("select * from estimate_readings order by reading_order")
        return {
            "sample": dict(sample),
            "accuracy": accuracy,
            "rq1": [dict(r) for r in rq1.rows],
            "group_check": [dict(r) for r in check.rows],
            "group_check_summary": [
                dict(r) for r in (await db.execute("select * from estimate_group_check_summary")).rows
            ],
            "readings": [dict(r) for r in readings.rows],
        }

    async def vars_():
        return {
            "snapshot_rows": await snapshot_rows(),
            "versioning_counts": await counts(),
            "validation": await validation(),
            "hub_findings": await read_findings(datasette),
        }

    return vars_
