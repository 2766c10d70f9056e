"""Site plugin: the home page at phone width. The findings' figures are drawn for a laptop screen
(their labels would shrink to a few pixels on a phone), so the home page carries each finding's
chart spec and, on a narrow screen only, plugins/static/hub-phone.js redraws it from the query's
rows, fitted to the screen, legends below."""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup

DATABASE = "hub"


def script_json(value) -> Markup:
    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@hookimpl
def extra_template_vars(template, datasette):
    if template != "index.html":
        return {}

    async def phone_charts():
        db = datasette.get_database(DATABASE)
        if "findings" not in await db.table_names():
            return {"hub_phone_charts": {}}
        charts = {}
        for (name,) in (await db.execute("select chart_query from findings order by position")).rows:
            query = await datasette.get_canned_query(DATABASE, name, None) if name else None
            if query and query.get("chart"):
                charts[name] = script_json(query["chart"])
        return {"hub_phone_charts": charts}

    return phone_charts
