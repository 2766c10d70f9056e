"""A real browser (Debian's headless Chromium, driven by Playwright) at 1366x768, a laptop screen,
on the real `datasette serve` of the fixture build: each finding's page states its answer, draws
its chart in the first screen and names the license in its footer; every charted query draws."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import sync_playwright

from scripts.dev import screenshots
from scripts.publish import metadata as publish

# Every charted query over the censuses (MLflow registry charts need a registry, which the
# fixture census has not; tests/test_mlflow.py covers those queries).
CHARTED = sorted(
    name
    for name, q in publish.canned_queries().items()
    if q.get("chart") and not name.startswith("registry_")
)
NUMBER = re.compile(r"\d[\d,.]*%?")


@pytest.fixture(scope="module")
def server(fixture_build):
    with screenshots.serving(fixture_build, screenshots.free_port()) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=screenshots.CHROMIUM, headless=True, args=screenshots.CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=screenshots.VIEWPORT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type in ("error", "warning") else None)
    yield page
    context.close()


def stored_findings(db) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from findings order by position")]
    finally:
        conn.close()


def chart_box(page):
    chart = page.wait_for_selector(screenshots.CHART, timeout=30_000)
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 60, box
    return box


def test_each_finding_page_answers_first_and_draws_its_chart_on_the_first_screen(
    server, page, fixture_db, fixture_build, tmp_path
):
    findings = stored_findings(fixture_db)
    assert [f["key"] for f in findings][:4] == ["rq1", "rq2", "rq3", "time"]
    for finding in findings:
        page.goto(f"{server}/hub/{finding['chart_query']}")
        shown = page.inner_text(".hub-answer")
        assert shown == finding["answer"]
        assert NUMBER.findall(shown) and NUMBER.findall(shown) == NUMBER.findall(finding["answer"])
        box = chart_box(page)
        assert box["y"] < screenshots.VIEWPORT["height"], (finding["key"], box)
        if finding["key"] == "closing_question":  # its two panels fit the first screen whole
            assert box["y"] + box["height"] <= screenshots.VIEWPORT["height"], (finding["key"], box)
        assert page.inner_text(".hub-seed").endswith(finding["seed_claim"])
        page.screenshot(path=str(tmp_path / f"{finding['key']}.png"))
        assert not page.errors, (finding["key"], page.errors)


def test_finding_pages_name_the_license_in_their_footer(server, page, fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    licenses = {r[0] for r in conn.execute("select source_license from snapshots")}
    conn.close()
    assert licenses
    for finding in stored_findings(fixture_db):
        page.goto(f"{server}/hub/{finding['chart_query']}")
        footer = page.inner_text("footer")
        for license_name in licenses:
            assert f"license: {license_name}" in footer, (finding["chart_query"], license_name)


def test_rq1_page_states_the_share_the_per_model_table_gives(server, page, fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    models, own = conn.execute(
        """select count(*), sum(own_version) from model_versioning
           where snapshot = (select snapshot from snapshots where headline)"""
    ).fetchone()
    conn.close()
    page.goto(f"{server}/hub/rq1_versioned_share")
    shown = page.inner_text(".hub-answer")
    assert f"{models:,} models" in shown
    assert f"the classifier alone counts {100 * (1 - own / models):.1f}%" in shown


def test_home_page_leads_with_the_findings_and_their_figures(server, page, fixture_db):
    page.goto(server + "/")
    findings = stored_findings(fixture_db)
    answers = page.locator(".hub-answer").all_inner_texts()
    assert answers == [f["answer"] for f in findings]
    first = page.locator(".hub-findings img").first
    first.wait_for()
    assert first.evaluate("img => img.complete && img.naturalWidth > 200")
    assert first.bounding_box()["y"] < screenshots.VIEWPORT["height"]


@pytest.mark.parametrize("name", CHARTED)
def test_charted_query_draws_its_chart(server, page, name):
    page.goto(f"{server}/hub/{name}")
    chart_box(page)
    assert "/-/static-plugins/datasette_vega" not in page.content()
    assert not page.errors, page.errors


def test_parameters_offer_their_values_with_the_default_chosen(server, page, fixture_db):
    page.goto(f"{server}/hub/rq3_company_consistency")
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    headline = conn.execute("select snapshot from snapshots where headline").fetchone()[0]
    censuses = [r[0] for r in conn.execute("select snapshot from snapshots where kind = 'census'")]
    kinds = {r[0] for r in conn.execute("select distinct kind from organizations")}
    conn.close()
    snapshot = page.locator("select[name=snapshot]")
    assert sorted(snapshot.locator("option").evaluate_all("os => os.map(o => o.value)")) == sorted(censuses)
    assert snapshot.input_value() == headline
    kind = page.locator("select[name=kind]")
    assert set(kind.locator("option").evaluate_all("os => os.map(o => o.value)")) == kinds | {"all"}
    assert kind.input_value() == "company"
    page.goto(f"{server}/hub/rq1_versioned_share")
    unit = page.locator("select[name=unit]")
    assert unit.locator("option").evaluate_all("os => os.map(o => o.value)") == [
        "model",
        "family",
        "author",
        "without_checkpoints",
    ]
    assert unit.input_value() == "model"


@pytest.mark.parametrize("name", ["rq1_versioned_share", "rq2_versioning_by_task", "rq3_company_consistency"])
@pytest.mark.parametrize("unit", ["family", "author", "without_checkpoints"])
def test_rq_charts_switch_the_unit_of_counting(server, page, name, unit):
    page.goto(f"{server}/hub/{name}?unit={unit}")
    chart_box(page)
    assert page.locator("select[name=unit]").input_value() == unit
    assert not page.errors, (name, unit, page.errors)
