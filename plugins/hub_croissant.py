"""Site plugin: the dataset's Croissant 1.1 description at /croissant.json, and its schema.org/Dataset
part embedded in the home page as JSON-LD (what dataset search engines read).

The file is written with the build's downloads (scripts/publish/croissant.py, build/downloads/
croissant.json); its contentUrls are relative to the site's root, so it is served at the root, and
/downloads/croissant.json (where the static mount would serve it, with those URLs wrong) redirects
there.
"""

from __future__ import annotations

import json
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

MOUNT = "downloads"
FILE = "croissant.json"


def croissant_path(datasette) -> Path | None:
    for mount, folder in datasette.static_mounts:
        if mount == MOUNT:
            return Path(folder) / FILE
    return None


def read_croissant(datasette) -> dict | None:
    path = croissant_path(datasette)
    if path is None or not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_summary(document: dict) -> dict:
    """The schema.org/Dataset part (no record sets, no Responsible-AI fields)."""
    return {k: v for k, v in document.items() if k != "recordSet" and not k.startswith("rai:")}


def script_json(value) -> Markup:
    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


async def serve_croissant(datasette, request):
    path = croissant_path(datasette)
    if path is None or not path.exists():
        return Response.text(
            "This build has no croissant.json: run `make build` "
            "(python -m scripts.publish.croissant --build build).\n",
            status=404,
        )
    return Response(
        path.read_text(encoding="utf-8"),
        content_type="application/ld+json; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{FILE}"'},
    )


async def moved(request):
    return Response.redirect(f"/{FILE}")


@hookimpl
def register_routes():
    return [(rf"^/{FILE}$", serve_croissant), (rf"^/{MOUNT}/{FILE}$", moved)]


@hookimpl
def extra_template_vars(template, datasette):
    """Every page: whether /croissant.json exists (the footer links it only then); the home page:
    the dataset's JSON-LD."""
    path = croissant_path(datasette)
    found = {"hub_croissant": path is not None and path.exists()}
    if template != "index.html" or not found["hub_croissant"]:
        return found
    return {**found, "hub_dataset_jsonld": script_json(dataset_summary(read_croissant(datasette)))}
