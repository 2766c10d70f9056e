"""The census crawler, with the real huggingface_hub client over real HTTP against the fake Hub:
every fault injected, killed with SIGKILL and resumed, a listing that moves, bounded retries,
rate limits, never overwriting, the token never written, progress on a terminal and in logs."""

from __future__ import annotations

import fcntl
import gzip
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time

import huggingface_hub
import pytest

from scripts.acquire import census as fetch
from scripts.dev import fakehub
from scripts.snapshot.read import find_snapshots, read_manifest, verify
from tests.fakehub_fixture import (
    ROOT,
    SECRET,
    cut_census,
    files_hold,
    read_jsonl_gz,
    run_module,
    running_hub,
    running_hub_for,
    start_module,
    wait_for_state,
)

N = 6_000  # the issue asks for at least 5,000 real records
KEEP = {"_id", "id", *fetch.EXPAND}


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fetch") / "census"
    return folder, cut_census(folder, N)


def listing(records: list[dict], sort: str = "createdAt") -> list[dict]:
    """What a crawl of `records` must give: the Hub's order (sort descending, ties by _id), each
    record projected on the expanded fields, as the Hub answers an `expand` listing."""
    by_id = sorted(records, key=lambda r: r["_id"])
    ordered = sorted(by_id, key=lambda r: r[sort], reverse=True)
    return [{k: v for k, v in r.items() if k in KEEP} for r in ordered]


def all_faults(seed=3, **kw) -> fakehub.Faults:
    return fakehub.Faults(
        rate_429=0.05,
        rate_500=0.05,
        rate_drop=0.05,
        rate_truncate=0.05,
        retry_after=0,
        max_streak=2,
        seed=seed,
        **kw,
    )


def quick(endpoint: str, **kw) -> fetch.CrawlOptions:
    return fetch.CrawlOptions(endpoint=endpoint, page_size=100, backoff=0.01, max_backoff=0.05, **kw)


def cli_args(out, url, *extra):
    return [
        "--out",
        str(out),
        "--endpoint",
        url,
        "--page-size",
        "100",
        "--backoff",
        "0.01",
        "--max-backoff",
        "0.05",
        *extra,
    ]


def test_crawl_with_every_fault_gives_exactly_the_source_records(census, tmp_path):
    folder, records = census
    out = tmp_path / "snapshots" / "2026-11-26"
    out.parent.mkdir()
    with running_hub(folder, all_faults()) as hub:
        manifest = fetch.crawl(out, quick(hub.url), token=False)
        faults = dict(hub.stats.faults)
    assert all(n > 0 for n in faults.values()), faults  # every fault type happened
    got = read_jsonl_gz(out / "models.jsonl.gz")
    assert len(got) == N == manifest["records"]
    assert got == listing(records)  # the same records, each once, in the Hub's order
    # The answers the client counted match what the fake Hub injected.
    assert manifest["crawl"]["requests"]["429"] == faults["429"]
    assert manifest["crawl"]["requests"]["500"] == faults["500"]
    snapshot = find_snapshots(out.parent)[0]
    verify(snapshot)
    assert snapshot.name == "2026-11-26" and snapshot.kind == "census"
    assert manifest["client_version"] == f"huggingface_hub {huggingface_hub.__version__}"
    assert manifest["endpoint"] == hub.url
    assert set(manifest["fields"]) == KEEP & set().union(*got)
    assert sorted(os.listdir(out)) == ["MANIFEST.json", "models.jsonl.gz"]
    assert not out.with_name(out.name + ".partial").exists()


def test_killed_with_sigkill_and_resumed_gives_the_same_snapshot(census, tmp_path):
    folder, records = census
    faults = fakehub.Faults(rate_500=0.03, rate_drop=0.03, rate_truncate=0.03, seed=5)
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    partial = tmp_path / "resumed.partial"
    with running_hub(folder, faults, latency=0.01) as hub:
        done = run_module("scripts.acquire.census", *cli_args(whole, hub.url))
        assert done.returncode == 0, done.stderr
        for stop_at in (1_500, 4_000):  # killed twice, at different points
            proc = start_module("scripts.acquire.census", *cli_args(resumed, hub.url))
            wait_for_state(partial / "state.json", "records", stop_at, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            assert not resumed.exists() and partial.is_dir()  # complete or not at all
        # A page written but not checkpointed when the process died: the resume must drop it.
        with open(partial / "records.jsonl", "ab") as f:
            f.write(b'{"_id":"torn","id":"half/written","downloads":1}\n{"_id":"to')
        again = run_module("scripts.acquire.census", *cli_args(resumed, hub.url))
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stderr
    assert (resumed / "models.jsonl.gz").read_bytes() == (whole / "models.jsonl.gz").read_bytes()
    m = read_manifest(resumed)
    assert m["records"] == N and m["sha256"] == read_manifest(whole)["sha256"] and m["crawl"]["resumes"] == 2
    assert read_jsonl_gz(resumed / "models.jsonl.gz") == listing(records)


def test_a_model_that_moves_behind_the_cursor_is_kept_once(census, tmp_path):
    _, records = census
    data = fakehub.HubData([dict(r) for r in records], {})
    out = tmp_path / "moving"
    with running_hub_for(data, latency=0.02) as hub:
        proc = start_module("scripts.acquire.census", *cli_args(out, hub.url, "--sort", "downloads"))
        wait_for_state(tmp_path / "moving.partial" / "state.json", "pages", 2, proc)
        # The most downloaded model, already written on page 1, falls to the end of the listing.
        top = max(records, key=lambda r: r["downloads"])
        data.update(top["id"], downloads=0)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    got = read_jsonl_gz(out / "models.jsonl.gz")
    assert len(got) == len({r["id"] for r in got}) == N
    assert got[0]["id"] == top["id"] and got[0]["downloads"] == top["downloads"]  # first seen is kept
    m = read_manifest(out)
    assert m["crawl"]["duplicates_dropped"] == 1
    assert any("listed again on a later page were dropped" in c for c in m["caveats"])


def test_a_malformed_page_is_retried_then_reported_with_its_url_and_resumes(census, tmp_path):
    folder, records = census
    out = tmp_path / "snap"
    with running_hub(folder, fakehub.Faults(rate_truncate=1.0, max_streak=0)) as hub:
        failed = run_module(
            "scripts.acquire.census", *cli_args(out, hub.url, "--max-retries", "2", "--limit", "300")
        )
        assert failed.returncode == 1
        assert f"{hub.url}/api/models?sort=createdAt&limit=100&expand=author" in failed.stderr
        assert "still malformed after 3 attempts" in failed.stderr
        assert "run the same command again to resume" in failed.stderr
        assert hub.stats.faults["truncate"] == 3 and not out.exists()
        # Other settings on the same partial crawl are refused, not mixed in.
        other = run_module(
            "scripts.acquire.census", *cli_args(out, hub.url, "--limit", "300", "--sort", "likes")
        )
        assert other.returncode == 1 and "other settings" in other.stderr and "sort" in other.stderr
        hub.faults.rate_truncate = 0.0  # the Hub recovers: the same command finishes the crawl
        ok = run_module("scripts.acquire.census", *cli_args(out, hub.url, "--limit", "300"))
    assert ok.returncode == 0, ok.stderr
    assert read_jsonl_gz(out / "models.jsonl.gz") == listing(records)[:300]
    assert any("not a full census" in c for c in read_manifest(out)["caveats"])


def test_server_errors_are_retried_with_backoff_up_to_a_bound(census, tmp_path):
    with running_hub(census[0], fakehub.Faults(rate_500=1.0, max_streak=0)) as hub:
        failed = run_module(
            "scripts.acquire.census", *cli_args(tmp_path / "x", hub.url, "--max-retries", "3")
        )
        requests = hub.stats.requests
    assert failed.returncode == 1
    assert requests == 4  # one try and three retries, then it stops
    assert "500" in failed.stderr and "Retrying in" in failed.stderr and "resume" in failed.stderr


def test_rate_limits_are_waited_out_not_hammered(census, tmp_path):
    # The Hub's fixed window, shrunk: 25 requests a second. 60 pages need three windows.
    with running_hub(census[0], fakehub.Faults(quota=25, window=1)) as hub:
        started = time.monotonic()
        manifest = fetch.crawl(tmp_path / "limited", quick(hub.url), token=False)
        elapsed = time.monotonic() - started
        limited = hub.stats.rate_limited
    assert manifest["records"] == N
    assert elapsed >= 2  # it waited for two window resets
    assert limited <= 2  # it read RateLimit on each answer and waited instead of asking into a 429
    # A 429 with Retry-After: the client waits that long (plus its 1 s margin) before asking again.
    with running_hub(census[0], fakehub.Faults(rate_429=1.0, retry_after=1, max_streak=1)) as hub:
        started = time.monotonic()
        fetch.crawl(tmp_path / "retry-after", quick(hub.url, limit=50), token=False)
        assert time.monotonic() - started >= 1 and hub.stats.faults["429"] == 1


def test_a_finished_snapshot_is_never_overwritten(census, tmp_path):
    out = tmp_path / "2024-07-11"
    out.mkdir()
    (out / "MANIFEST.json").write_text("{}")
    with running_hub(census[0]) as hub:
        r = run_module("scripts.acquire.census", *cli_args(out, hub.url, "--limit", "10"))
        assert hub.stats.requests == 0
    assert r.returncode == 1 and "never overwritten" in r.stderr
    assert os.listdir(out) == ["MANIFEST.json"] and (out / "MANIFEST.json").read_text() == "{}"


def test_the_token_is_sent_but_never_written(census, tmp_path):
    token = "hf_" + "x9Secret" * 4
    out = tmp_path / "tokened"
    with running_hub(census[0]) as hub:
        r = run_module(
            "scripts.acquire.census", *cli_args(out, hub.url, "--limit", "250"), env={"HF_TOKEN": token}
        )
        assert r.returncode == 0, r.stderr
        assert hub.stats.authorized == hub.stats.requests == 3
    assert read_manifest(out)["crawl"]["authenticated"] is True
    for path in out.iterdir():
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert token.encode() not in data
    assert token not in r.stdout + r.stderr


def test_progress_is_a_bar_on_a_terminal_and_log_lines_otherwise(census, tmp_path):
    with running_hub(census[0]) as hub:
        logged = run_module(
            "scripts.acquire.census",
            *cli_args(tmp_path / "logs", hub.url, "--limit", "3000", "--log-every", "0"),
        )
        master, slave = pty.openpty()
        # A terminal of 100 columns (a bare pty has 0, and tqdm would draw a bar of nothing).
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.acquire.census",
                *cli_args(tmp_path / "tty", hub.url, "--limit", "3000"),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
        )
        os.close(slave)
        screen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        proc.wait(60)
        os.close(master)
    assert logged.returncode == 0 and proc.returncode == 0
    assert "census: 3,000 models" in logged.stderr and "models/s, elapsed" in logged.stderr
    text = screen.decode(errors="replace")
    assert "3.00k/3.00k" in text and "models/s]" in text and "\r" in text  # tqdm: count, elapsed, rate


def test_endpoint_credentials_are_sent_but_never_logged_or_written(census, tmp_path):
    out = tmp_path / "snapshots" / "2026-11-26"
    out.parent.mkdir()
    with running_hub(census[0], fakehub.Faults(rate_truncate=1.0, max_streak=0)) as hub:
        endpoint = hub.url.replace("http://", f"http://alice:{SECRET}@")
        args = cli_args(out, endpoint, "--limit", "300", "--max-retries", "1")
        failed = run_module("scripts.acquire.census", *args)
        # The failed crawl left its checkpoint, which names the page to resume from.
        assert failed.returncode == 1 and "run the same command again to resume" in failed.stderr
        partial = out.with_name(out.name + ".partial")
        assert (partial / "state.json").is_file()
        assert files_hold(partial, SECRET) == []
        hub.faults.rate_truncate = 0.0
        ok = run_module("scripts.acquire.census", *args)
        assert ok.returncode == 0, ok.stderr
        # Every request carried the user info as basic auth: the credentials were used, not dropped.
        assert hub.stats.basic_auth == hub.stats.requests > 3
    manifest = read_manifest(out)
    assert (
        manifest["endpoint"] == hub.url and hub.url in manifest["collected"] and hub.url in manifest["source"]
    )
    assert manifest["crawl"]["resumes"] == 1
    assert files_hold(tmp_path, SECRET) == []
    assert SECRET not in failed.stdout + failed.stderr + ok.stdout + ok.stderr
    assert "alice" not in manifest["endpoint"] + ok.stderr


def test_an_endpoint_with_a_query_is_refused_without_echoing_it(census, tmp_path):
    r = run_module("scripts.acquire.census", *cli_args(tmp_path / "q", f"http://127.0.0.1:1/?token={SECRET}"))
    assert r.returncode == 1 and "without a query" in r.stderr and "HF_TOKEN" in r.stderr
    assert SECRET not in r.stdout + r.stderr and not list(tmp_path.iterdir())
