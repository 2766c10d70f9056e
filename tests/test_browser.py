"""A real browser (Debian's headless Chromium, driven by Playwright) opens each RQ query page of
the real `datasette serve` and finds the chart that datasette-vega drew."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from scripts.publish import metadata as publish
from scripts.publish import site as site_config

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Every charted query over the censuses (MLflow registry charts need a registry, which the
# fixture census has not; tests/test_mlflow.py covers those queries).
RQ_QUERIES = sorted(
    name
    for name, q in publish.canned_queries().items()
    if q.get("chart") and not name.startswith("registry_")
)
# As the machine notes advise: no background traffic on a closed network, a fresh profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(fixture_build):
    port = free_port()
    datasette = Path(sys.executable).with_name("datasette")
    args = site_config.database_args(fixture_build) + site_config.site_args(fixture_build)
    proc = subprocess.Popen(
        [str(datasette), "serve", *args, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/-/versions.json").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"datasette did not start: {proc.stdout.read().decode()}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        yield context.new_page()
        browser.close()


@pytest.mark.parametrize("name", RQ_QUERIES)
def test_rq_page_draws_its_chart(server, page, name, tmp_path):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/hub/{name}")
    # datasette-vega renders with vega-embed into an SVG or a canvas once the rows have loaded.
    chart = page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=20_000)
    box = chart.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 20
    assert "g.mark=" in page.url, "the chart settings are in the URL, so the chart can be shared"
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    assert not errors, errors
