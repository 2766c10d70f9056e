"""A phone (390x844, headless Chromium) on the real `datasette serve` of the fixture build: the home
page and each finding's page fit the screen's width, draw their charts inside it with legends below
the plot and labels of a readable size, and tables scroll sideways instead of stacking into cards."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import sync_playwright

from scripts.dev import screenshots

PHONE = {"width": 390, "height": 844}
MIN_LABEL_PX = 9.0  # rendered height of a chart's text; the desktop figure shrunk to 390 px gave ~3

# For every chart in the page: its box, its smallest text and whether each legend sits below the plot.
MEASURE = """(selector) => Array.from(document.querySelectorAll(selector)).map((svg) => {
  const box = svg.getBoundingClientRect();
  const texts = Array.from(svg.querySelectorAll("text")).filter((t) => t.textContent.trim());
  const heights = texts.map((t) => t.getBoundingClientRect().height).filter((h) => h > 0);
  const axes = Array.from(svg.querySelectorAll("g.role-axis")).map((g) => g.getBoundingClientRect().top);
  const legends = Array.from(svg.querySelectorAll("g.role-legend")).map((g) => g.getBoundingClientRect().top);
  return {left: box.left, right: box.right, width: box.width, smallest: Math.min(...heights),
          texts: heights.length, lowestAxisTop: Math.max(...axes), legendTops: legends};
})"""


@pytest.fixture(scope="module")
def server(fixture_build):
    with screenshots.serving(fixture_build, screenshots.free_port()) as base:
        yield base


@pytest.fixture(scope="module")
def phone():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=screenshots.CHROMIUM, headless=True, args=screenshots.CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        yield page
        browser.close()


def findings(db) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select key, chart_query from findings order by position")]
    finally:
        conn.close()


def assert_fits(page, selector: str, where: str) -> list[dict]:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where}: the page is {width} px wide on a {PHONE['width']} px screen"
    charts = page.evaluate(MEASURE, selector)
    assert charts, f"{where}: no chart drawn"
    for chart in charts:
        assert chart["left"] >= 0 and chart["right"] <= PHONE["width"], (where, chart)
        assert chart["texts"] > 3 and chart["smallest"] >= MIN_LABEL_PX, (where, chart)
        for top in chart["legendTops"]:
            assert top >= chart["lowestAxisTop"] - 1, f"{where}: a legend beside the plot, not below: {chart}"
    return charts


def test_home_page_fits_a_phone_with_a_readable_chart_per_finding(server, phone, fixture_db, tmp_path):
    keys = findings(fixture_db)
    phone.goto(f"{server}/")
    phone.wait_for_function(
        "(n) => document.querySelectorAll('.hub-phone-chart svg.marks').length >= n",
        arg=len(keys),
        timeout=60_000,
    )
    charts = assert_fits(phone, ".hub-phone-chart svg.marks", "home page")
    assert len(charts) == len(keys)
    assert any(c["legendTops"] for c in charts), "no chart of the home page has a legend to check"
    hidden = phone.evaluate(
        "() => Array.from(document.querySelectorAll('.hub-figure img')).every((i) => i.hidden)"
    )
    assert hidden, "the desktop figures are still shown beside the phone charts"
    phone.screenshot(path=str(tmp_path / "home-390.png"), full_page=False)
    assert not phone.errors, phone.errors


def test_each_finding_page_fits_a_phone_and_its_table_scrolls(server, phone, fixture_db):
    for finding in findings(fixture_db):
        where = f"/hub/{finding['chart_query']}"
        phone.goto(server + where)
        phone.wait_for_selector("#hub-chart svg.marks", timeout=60_000)
        assert_fits(phone, "#hub-chart svg.marks", where)
        table = phone.evaluate(
            """() => {
              const t = document.querySelector("table.rows-and-columns");
              if (!t) return null;
              const row = t.querySelector("tbody tr"), head = t.querySelector("thead tr");
              const cells = Array.from(row.children).map((c) => c.getBoundingClientRect());
              return {row: getComputedStyle(row).display, head: head.getBoundingClientRect().top,
                      table: t.getBoundingClientRect().top, cells: cells.length,
                      tops: new Set(cells.map((c) => Math.round(c.top))).size,
                      sideBySide: cells.every((c, i) => i === 0 || c.left > cells[i - 1].left),
                      wrapper: getComputedStyle(t.parentElement).overflowX};
            }"""
        )
        assert table is not None, where
        assert table["row"] == "table-row" and table["wrapper"] == "auto", (where, table)
        assert table["head"] >= table["table"] - 1, (where, "the header row is moved off screen", table)
        # a row's cells side by side on one line, not one under the other as cards
        assert table["cells"] > 1 and table["tops"] == 1 and table["sideBySide"], (where, "stacked", table)
    assert not phone.errors, phone.errors
