"""The census crawler against a misbehaving Hub (the fake Hub, the real huggingface_hub client over
HTTP): next links that cycle, empty pages with ever new cursors, a redirect to another host and
records the build would refuse. Each crawl ends, with a clear error and a resume hint or with a
census the build can load; an empty census is never written as complete."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from scripts import build
from scripts.acquire import census as fetch
from scripts.dev import fakehub
from scripts.snapshot.records import record_problem
from tests.fakehub_fixture import cut_census, read_jsonl_gz, run_module, running_hub_for

N = 1_200


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("misbehaving") / "census"
    return cut_census(folder, N)


def args(out, url, *extra):
    return ["--out", str(out), "--endpoint", url, "--page-size", "100", "--backoff", "0.01", *extra]


def crawl_cli(out, hub, timeout=120):
    started = time.monotonic()
    done = run_module("scripts.acquire.census", *args(out, hub.url), timeout=timeout)
    return done, time.monotonic() - started


def assert_stopped_with_hint(done, out, *phrases):
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr
    assert f"progress is saved in {out}.partial; run the same command again to resume" in done.stderr
    assert not out.exists()


def test_next_links_that_cycle_stop_the_crawl(records, tmp_path):
    out = tmp_path / "2026-12-06"
    with running_hub_for(fakehub.HubData(records, {}), misbehave="cycle") as hub:
        done, seconds = crawl_cli(out, hub)
        pages = hub.stats.pages
    assert_stopped_with_hint(done, out, "was already read in this run: the listing's pages form a cycle")
    assert pages == 2 and seconds < 60


def test_empty_pages_with_new_cursors_stop_the_crawl(records, tmp_path):
    out = tmp_path / "2026-12-06"
    with running_hub_for(fakehub.HubData(records, {}), misbehave="empty-pages") as hub:
        done, _ = crawl_cli(out, hub)
        pages = hub.stats.pages
    assert_stopped_with_hint(done, out, f"{fetch.STALL_PAGES} pages in a row added no new model id")
    assert pages == 1 + fetch.STALL_PAGES


def test_a_redirect_to_another_host_is_refused_and_no_census_written(records, tmp_path):
    out = tmp_path / "2026-12-06"
    # The other host answers the listing with an empty list, as a wrong site might.
    with (
        running_hub_for(fakehub.HubData([], {})) as other,
        running_hub_for(fakehub.HubData(records, {}), misbehave=f"redirect:{other.url}") as hub,
    ):
        done, _ = crawl_cli(out, hub)
        reached = other.stats.requests
    assert_stopped_with_hint(done, out, "with a redirect to another host", "not followed")
    assert reached == 0


def test_an_empty_listing_is_never_written_as_a_census(tmp_path):
    out = tmp_path / "2026-12-06"
    with running_hub_for(fakehub.HubData([], {})) as hub:
        done, _ = crawl_cli(out, hub)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "the listing gave no model in 1 pages; an empty census is never written as complete" in done.stderr
    assert not out.exists()


BAD = [
    ("downloads", "12", "field 'downloads' must be int (or null), not '12'"),
    ("tags", "not-a-list", "field 'tags' must be list (or null), not 'not-a-list'"),
    ("id", "org/bad\x1bid", "field 'id' is 'org/bad\\x1bid', not a Hub model id"),
]


def test_records_the_build_would_refuse_are_quarantined_with_page_and_position(records, tmp_path):
    served = [dict(r) for r in records]
    bad_at = {150: BAD[0], 505: BAD[1], 1_099: BAD[2]}  # indices in the served listing order
    order, _ = fakehub.HubData(served, {}).order("createdAt")  # the listing's order
    for index, (field, value, _) in bad_at.items():
        served[order[index]][field] = value
    snapshots = tmp_path / "snapshots"
    out = snapshots / "2026-12-06"
    with running_hub_for(fakehub.HubData(served, {})) as hub:
        manifest = fetch.crawl(
            out, fetch.CrawlOptions(endpoint=hub.url, page_size=100, backoff=0.01), token=False
        )
    assert manifest["records"] == N - 3
    quarantined = [json.loads(line) for line in (out / fetch.QUARANTINE).read_text().splitlines()]
    assert [q["position"] for q in quarantined] == [index % 100 + 1 for index in sorted(bad_at)]
    for q, (_, _, problem) in zip(quarantined, [bad_at[i] for i in sorted(bad_at)]):
        assert q["problem"].startswith(problem)
    assert all(("cursor=" in q["page"]) == (index >= 100) for q, index in zip(quarantined, sorted(bad_at)))
    assert any("quarantine.jsonl" in c for c in manifest["caveats"])
    # Every written record passes the build's own check, and the build loads the census.
    assert all(record_problem(r) is None for r in read_jsonl_gz(out / "models.jsonl.gz"))
    summary = build.build(tmp_path / "build" / "hub.db", snapshots, workers=1)
    assert summary["models"]["2026-12-06"] == N - 3


def test_the_quarantined_records_are_those_served(records, tmp_path):
    served = [dict(r) for r in records[:300]]
    served[7]["likes"] = 2**70
    out = tmp_path / "2026-12-06"
    with running_hub_for(fakehub.HubData(served, {})) as hub:
        fetch.crawl(out, fetch.CrawlOptions(endpoint=hub.url, page_size=100, backoff=0.01), token=False)
    (q,) = [json.loads(line) for line in (out / fetch.QUARANTINE).read_text().splitlines()]
    assert q["record"]["id"] == served[7]["id"] and "integer too large" in q["problem"]
    with gzip.open(out / "models.jsonl.gz", "rt") as f:
        assert served[7]["id"] not in {json.loads(line)["id"] for line in f}
