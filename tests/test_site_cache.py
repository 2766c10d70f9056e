"""The served site under many visitors: the response cache (plugins/hub_cache.py), admission of
heavy requests (plugins/hub_admission.py) and complete or marked exports (plugins/hub_exports.py),
against a real `datasette serve` of a copy of the fixture build laid out as the build publishes it
(hub.db, inspect.json and metadata.json as links through `.hub.current`)."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import os
import re
import shutil
import time
import urllib.parse

import httpx
import pytest

from scripts.dev.site_load import served

STREAM_LIMIT = 1000  # rows a streamed CSV may hold on this copy (the site's is 50,000)
PUBLISHED = ("hub.db", "inspect.json", "metadata.json")


def publish(build, generation: str) -> None:
    """Point build/.hub.current at build/<generation> in one rename, as scripts/build.py does."""
    tmp = build / ".hub.current.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(generation, tmp)
    os.replace(tmp, build / ".hub.current")


@pytest.fixture(scope="module")
def linked_build(fixture_build, tmp_path_factory):
    build = tmp_path_factory.mktemp("linked")
    generation = build / ".hub.1.build"
    generation.mkdir()
    for name in PUBLISHED:
        shutil.copy2(fixture_build / name, generation / name)
    metadata = json.loads((generation / "metadata.json").read_text())
    metadata["plugins"]["hub-provenance"]["stream_row_limit"] = STREAM_LIMIT
    # One heavy request at a time and one waiting, so that 16 at once surely fill the queue on the
    # small fixture (the site's own: 2 slots, 8 waiting).
    metadata["plugins"]["hub-admission"] = {"slots": 1, "queue": 1, "wait_s": 5}
    # Each page computed only when asked for, so that hits and misses here are the test's own.
    metadata["plugins"]["hub-cache"] = {"warm": False}
    (generation / "metadata.json").write_text(json.dumps(metadata))
    for folder in ("figures", "downloads"):
        if (fixture_build / folder).exists():
            shutil.copytree(fixture_build / folder, build / folder)
    publish(build, generation.name)
    for name in PUBLISHED:
        os.symlink(f".hub.current/{name}", build / name)
    return build


@pytest.fixture(scope="module")
def server(linked_build):
    with served(linked_build) as running:
        yield running


def get(server, path: str, **kwargs) -> httpx.Response:
    return httpx.get(server.base + path, timeout=120, **kwargs)


CACHED_PAGES = [
    "/",
    "/hub",
    "/about",
    "/hub/models",
    "/hub/model_versioning?_facet=primary_form",
    "/hub/rq1_versioned_share",
    "/hub/rq1_versioned_share.json?_shape=array",
    "/hub/rq1_versioned_share.csv",
]


@pytest.mark.parametrize("path", CACHED_PAGES)
def test_a_cached_page_equals_the_fresh_one(server, path):
    fresh = get(server, path)
    assert fresh.status_code == 200, fresh.text[:300]
    assert fresh.headers["x-hub-cache"] in ("miss", "hit")
    cached = get(server, path)
    assert cached.headers["x-hub-cache"] == "hit"
    assert cached.content == fresh.content
    assert cached.headers["content-type"] == fresh.headers["content-type"]
    assert cached.headers["etag"] == fresh.headers["etag"]
    assert "public, max-age=" in cached.headers["cache-control"]
    # A CDN revalidating with the ETag gets a 304 without a body.
    again = get(server, path, headers={"If-None-Match": cached.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_visitor_sql_and_streams_are_not_cached(server):
    sql = "/hub.json?" + urllib.parse.urlencode({"sql": "select count(*) from models"})
    for path in (sql, "/hub/models.csv?_stream=on&_size=max&author=google"):
        first, second = get(server, path), get(server, path)
        assert first.status_code == second.status_code == 200
        assert "x-hub-cache" not in second.headers


def test_a_new_build_invalidates_the_cache(server, linked_build):
    assert get(server, "/").status_code == 200
    assert get(server, "/").headers["x-hub-cache"] == "hit"
    # A new build: another generation folder, published by swapping the link.
    new = linked_build / ".hub.2.build"
    shutil.copytree(linked_build / ".hub.1.build", new)
    publish(linked_build, new.name)
    try:
        after = get(server, "/")
        assert after.status_code == 200 and after.headers["x-hub-cache"] == "miss"
        assert get(server, "/").headers["x-hub-cache"] == "hit"
        # Same rows in both builds here: the same body, so the same ETag (a CDN keeps its copy).
        assert after.headers["etag"] == get(server, "/").headers["etag"]
    finally:
        publish(linked_build, ".hub.1.build")


# About 0.05 s on an idle machine: well under the 3 s limit on a loaded one.
SLOW_SQL = (
    "with recursive c(x) as (select 1 union all select x + 1 from c where x < 50000) select count(*) from c"
)


def test_heavy_requests_past_their_slots_get_503_while_pages_are_served(server):
    heavy = "/hub.json?" + urllib.parse.urlencode({"sql": SLOW_SQL})
    normal_paths = ["/", "/hub/rq1_versioned_share", "/hub/models", "/about"]
    for path in normal_paths:
        get(server, path)  # warm: these are served from the cache
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(get, server, heavy) for _ in range(16)]
        time.sleep(0.5)
        normal = []
        for path in normal_paths * 3:
            started = time.perf_counter()
            response = get(server, path)
            normal.append((response.status_code, time.perf_counter() - started))
        answers = [f.result() for f in futures]
    statuses = [a.status_code for a in answers]
    busy = [a for a in answers if a.status_code == 503]
    assert busy, statuses
    assert all(a.headers["retry-after"] == "5" for a in busy)
    assert set(statuses) <= {200, 503}, statuses
    assert any(s == 200 for s in statuses), statuses
    assert all(status == 200 for status, _ in normal), normal
    # From the cache, while the heavy ones queue (bounds for a shared 2-core machine; alone: ~10 ms).
    seconds = sorted(s for _, s in normal)
    assert seconds[len(seconds) // 2] < 0.5 and seconds[-1] < 2.0, normal


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_table_page_csv_link_streams_every_filtered_row(server):
    html = get(server, "/hub/models?author=google").text
    link = next(
        urllib.parse.unquote(h).replace("&amp;", "&") for h in re.findall(r'href="([^"]+\.csv\?[^"]*)"', html)
    )
    assert "_stream=on" in link
    count = get(server, "/hub/models.json?author=google&_size=0").json()["filtered_table_rows_count"]
    assert count > 100  # more than one page: the link used to give one page (or 5,000 rows)
    response = get(server, link)
    assert response.status_code == 200 and "x-hub-truncated" not in response.headers
    rows = rows_of(response.text)
    assert len(rows) == count + 1 and not rows[-1][0].startswith("#")


def test_a_cut_export_says_so_in_the_file_and_a_header(server):
    # One page of a table, without streaming.
    page = get(server, "/hub/models.csv?_size=10")
    assert page.status_code == 200
    assert "one page of 10 rows" in page.headers["x-hub-truncated"]
    rows = rows_of(page.text)
    assert len(rows) == 12 and rows[-1][0].startswith("# cut: one page of 10 rows")
    assert "_stream=on" in rows[-1][0]
    # A query past max_returned_rows (5,000), in CSV, streamed or not, and in JSON.
    sql = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 6000) select x from c"
    for path in (
        "/hub.csv?" + urllib.parse.urlencode({"sql": sql}),
        "/hub.csv?" + urllib.parse.urlencode({"sql": sql, "_stream": "on"}),
    ):
        response = get(server, path)
        assert response.status_code == 200
        assert "first 5,000 rows only" in response.headers["x-hub-truncated"]
        rows = rows_of(response.text)
        assert len(rows) == 5002 and rows[-1][0].startswith("# cut: the first 5,000 rows only")
    data = get(server, "/hub.json?" + urllib.parse.urlencode({"sql": sql}))
    assert data.json()["truncated"] is True and "x-hub-truncated" in data.headers
    # A whole result carries no such mark.
    whole = get(server, "/hub/rq1_versioned_share.csv")
    assert "x-hub-truncated" not in whole.headers and not rows_of(whole.text)[-1][0].startswith("#")


def test_a_failed_csv_export_answers_like_json(server):
    sql = "select hex(randomblob(1500000)) from models limit 20"
    as_json = get(server, "/hub.json?" + urllib.parse.urlencode({"sql": sql}))
    as_csv = get(server, "/hub.csv?" + urllib.parse.urlencode({"sql": sql}))
    assert as_json.status_code == 400
    assert as_csv.status_code == as_json.status_code
    assert as_json.json()["error"] in as_csv.text


@pytest.mark.parametrize(
    "path",
    [
        "/hub/models.csv?_stream=on",
        "/hub/models.csv?_stream=0",
        "/hub/models.csv?_stream=off",
        "/hub/models.csv?_stream=1&_stream=",
        "/hub/m~6Fdels.csv?_stream=on",
        "/h~75b/models.csv?_stream=on",
    ],
)
def test_the_stream_limit_holds_whatever_the_spelling(server, path):
    response = get(server, path)
    assert response.status_code == 400, response.text[:300]
    assert response.text.startswith("Refused: this streamed CSV export of models")


def test_an_empty_stream_parameter_is_one_page_and_says_so(server):
    response = get(server, "/hub/models.csv?_stream=&_stream=on")  # Datasette reads the first
    assert response.status_code == 200 and "one page of" in response.headers["x-hub-truncated"]


def test_an_abandoned_stream_stops_reading_the_table(server):
    import psutil

    # One row per page: the whole stream is hundreds of queries, seconds of work.
    path = "/hub/models.csv?author=google&_stream=on&_size=1"
    process = psutil.Process(server.pid)
    with httpx.stream("GET", server.base + path, timeout=60) as response:
        assert response.status_code == 200
        next(response.iter_bytes())
    time.sleep(0.5)  # the server sees the connection close
    before = sum(process.cpu_times()[:2])
    time.sleep(2.0)
    spent = sum(process.cpu_times()[:2]) - before
    assert spent < 0.2, f"the server kept working {spent:.2f} CPU-s after its client left"
    # The same stream read to its end is whole.
    whole = get(server, path)
    count = get(server, "/hub/models.json?author=google&_size=0").json()["filtered_table_rows_count"]
    assert len(rows_of(whole.text)) == count + 1


def test_the_first_visit_of_the_home_page_warms_the_landing_pages(fixture_build, server):
    other = server  # the same rows served elsewhere, without warming
    with served(fixture_build) as server:
        assert get(server, "/").headers["x-hub-cache"] == "miss"
        deadline = time.monotonic() + 120
        while (state := get(server, "/-/hub-cache.json").json())["warming"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert state["warming"] == 0 and state["warmed_hosts"] == 1
        # Never asked for by a visitor, yet ready.
        for path in ("/hub", "/about", "/hub/models", "/hub/rq1_versioned_share"):
            warmed = get(server, path)
            assert warmed.status_code == 200 and warmed.headers["x-hub-cache"] == "hit", path

        # The same page as a visitor's own request computes (links name each server's address,
        # and the footer says how long the queries took).
        def same_parts(page, base):
            return re.sub(r"took [0-9.]+ms", "took ms", page.replace(base, "BASE"))

        for path in ("/hub", "/hub/rq1_versioned_share"):
            warmed = same_parts(get(server, path).text, server.base)
            assert warmed == same_parts(get(other, path).text, other.base), path
        assert state["entries"] > 20 and state["bytes"] <= state["max_bytes"]


def test_the_warming_waits_while_visitors_keep_coming(fixture_build):
    """Under steady load the landing pages are left to their own first visitors (each computed
    page holds the event loop); once the visitors pause, the warming goes on."""
    with served(fixture_build) as server, httpx.Client(base_url=server.base, timeout=30) as client:
        assert client.get("/").headers["x-hub-cache"] == "miss"
        started = client.get("/-/hub-cache.json").json()["entries"]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # a visitor every few milliseconds
            assert client.get("/").status_code == 200
        during = client.get("/-/hub-cache.json").json()
        assert during["warming"] == 1 and during["entries"] <= started + 2, (started, during)
        deadline = time.monotonic() + 120
        while (state := client.get("/-/hub-cache.json").json())["warming"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert state["warming"] == 0 and state["entries"] > started + 20
