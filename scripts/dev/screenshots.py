"""Screenshots of the findings pages at 1366x768 (a laptop screen) in headless Chromium.

    python -m scripts.dev.screenshots [--build build] [--out build/screenshots] [--port 18601]

Serves the build with the site's one configuration (scripts/publish/site.py), opens the home page,
each finding's query page and the About page, waits for the chart to be drawn and writes one PNG of
the first screen of each (what a reader sees without scrolling). tests/test_browser.py uses the same
server and browser settings.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts.publish import site

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 768}
# No background traffic on a closed network, and a fresh profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART = "#hub-chart svg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(build: Path, port: int):
    """`datasette serve` of the build on 127.0.0.1:port, until the block ends."""
    proc = subprocess.Popen(
        site.serve_command(build, "127.0.0.1", port),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(base + "/-/versions.json").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"datasette did not start: {proc.stdout.read().decode()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def finding_pages(build: Path) -> list[tuple[str, str]]:
    """(name, path) of the home page, each finding's query page and the About page."""
    conn = sqlite3.connect(f"file:{site.database_path(build)}?mode=ro", uri=True)
    try:
        queries = [r[0] for r in conn.execute("select chart_query from findings order by position")]
    finally:
        conn.close()
    return [("home", "/"), *[(q, f"/hub/{q}") for q in queries], ("about", "/about")]


def take(page, base: str, name: str, path: str, out: Path) -> Path:
    page.goto(base + path)
    if path.startswith("/hub/"):
        page.wait_for_selector(CHART, timeout=30_000)
    shot = out / f"{name}.png"
    page.screenshot(path=str(shot))
    return shot


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=site.BUILD)
    parser.add_argument("--out", type=Path, default=site.BUILD / "screenshots")
    parser.add_argument("--port", type=int, default=18601)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with serving(args.build, args.port) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        for name, path in finding_pages(args.build):
            shot = take(page, base, name, path, args.out)
            print(f"{shot}  {VIEWPORT['width']}x{VIEWPORT['height']}  {shot.stat().st_size:,} bytes")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
