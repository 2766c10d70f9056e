"""Figures for papers: a canned query's chart, fed the rows of its default parameters, rendered at
build time to SVG and PNG with vl-convert (the Vega-Lite compiler and renderer, no browser).

The files land in build/figures/ and are served at /figures/ (scripts/publish/site.py); the page of
each finding and the About page link them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import vl_convert

# The Vega-Lite release vl-convert compiles with: the newest v5 it bundles, as the site's specs are v5.
VL_VERSION = "5.21"
URL_PREFIX = "/figures/"
PNG_SCALE = 2  # 2x pixels: sharp in print and on high-density screens


class FigureError(Exception):
    pass


def rows_of(conn: sqlite3.Connection, query: dict) -> list[dict]:
    values = {p: "" for p in query.get("params", [])}
    cursor = conn.execute(query["sql"], values)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def with_data(chart: dict, rows: list[dict], title: str | None = None) -> dict:
    """The chart as a standalone spec: its rows inline, a white background, the query's title."""
    spec = {**chart, "data": {"values": rows}, "background": "white"}
    if title and "title" not in chart:
        spec["title"] = title
    return spec


def figure_urls(key: str) -> dict[str, str]:
    """format -> site URL of the figures `render` writes for finding `key`."""
    return {"svg": f"{URL_PREFIX}{key}.svg", "png": f"{URL_PREFIX}{key}.png"}


def draw_all(db_path: Path, charts: list[tuple[str, dict]], figures_dir: Path) -> None:
    """Render each (finding key, canned query) of `charts` from the database at db_path, read only."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for key, query in charts:
            render(conn, key, query, figures_dir)
    finally:
        conn.close()


def render(conn: sqlite3.Connection, key: str, query: dict, figures_dir: Path) -> dict[str, str]:
    """Write figures_dir/<key>.svg and .png of the query's chart; returns format -> site URL."""
    chart = query.get("chart")
    if not chart:
        raise FigureError(f"canned query {query.get('title')!r} has no chart to draw for finding {key}")
    spec = with_data(chart, rows_of(conn, query), query.get("title"))
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    try:
        svg = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)
        # The PNG rasterised from that SVG: the same bytes as vegalite_to_png's, which would
        # compile and lay out the chart a second time (half of each figure's time).
        png = vl_convert.svg_to_png(svg, scale=PNG_SCALE)
    except ValueError as e:
        raise FigureError(f"finding {key}: its chart does not render: {e}") from None
    (figures_dir / f"{key}.svg").write_text(svg, encoding="utf-8")
    (figures_dir / f"{key}.png").write_bytes(png)
    return figure_urls(key)
