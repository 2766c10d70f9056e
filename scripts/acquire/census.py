"""Take a fresh census of the Hub: every model's listing record, into a snapshot folder.

    python -m scripts.acquire.census --out data/snapshots/2026-11-26 [--endpoint URL] [--limit N]
        [--sort createdAt] [--page-size 1000] [--max-retries 5]

Writes `<out>/models.jsonl.gz` (gzip JSON Lines, one record per line exactly as the Hub's
`GET /api/models` listing returned it, each id once, in page order) and `<out>/MANIFEST.json`, the
format of the vendored snapshots. A token is read from the HF_TOKEN environment variable when it
is set and is only ever sent to the endpoint, never written; user info in the endpoint is sent as
basic auth to the endpoint's host and redacted from everything logged or written.

Resumable: records go to `<out>.partial/records.jsonl` page by page, and after each page a
checkpoint (`state.json`: the next page's URL, records written, byte length of the records file)
is replaced atomically. Killed at any point, the same command truncates the records file to the
checkpoint and carries on from the saved URL. Ids already written are skipped, so no model is
written twice even if the listing shifts between pages. At the end scripts/snapshot/write.py
gzips, hashes and describes the records in `<out>.partial/snapshot/` and renames it to `<out>`.

Paging uses the client's HTTP stack (huggingface_hub's shared session through `http_backoff` and
`hf_raise_for_status`, the `Link` header read with httpx's `Response.links`) rather than
`HfApi.list_models`, because the crawler must checkpoint the next page's URL, which the iterator
of list_models hides, and must keep the records exactly as the API returned them, which
list_models turns into ModelInfo objects. `http_backoff` retries 429 (waiting what `RateLimit` or
`Retry-After` says), 5xx and dropped or timed-out connections with exponential backoff, up to
--max-retries; a page whose body is not a JSON list of records is retried the same way here and
then reported with its URL. See docs/crawling.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import huggingface_hub
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff, parse_ratelimit_headers
from tqdm.contrib.logging import logging_redirect_tqdm

from scripts.acquire.http import (
    RECORDS,
    STATE,
    Checkpoint,
    CrawlError,
    HttpOptions,
    MalformedResponse,
    Progress,
    RequestCounter,
    add_http_arguments,
    http_options,
    next_page,
    open_session,
    run_command,
    setup_logging,
    token_from_env,
    with_retries,
)
from scripts.schema import CENSUS_EXPAND
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.records import line_problem, record_problem
from scripts.snapshot.write import encode_record, write_snapshot

log = logging.getLogger("acquire.census")

# The fields the census needs (those the models table is read from, scripts/schema.py); the Hub
# adds `_id` and `id` to every record.
EXPAND = CENSUS_EXPAND
SORTS = ("createdAt", "downloads", "likes", "lastModified", "trendingScore")
STAGING = "snapshot"
DATA_FILE = "models.jsonl.gz"


# Pages in a row without a new id after which a listing is taken not to advance.
STALL_PAGES = 10
QUARANTINE = "quarantine.jsonl"


class ListingLoops(CrawlError):
    """The listing's next links cycle or stop advancing: the crawl would never end."""


@dataclass
class CrawlOptions(HttpOptions):
    limit: int | None = None
    sort: str = "createdAt"
    page_size: int = 1000
    expand: tuple[str, ...] = EXPAND
    stall_pages: int = STALL_PAGES

    def first_url(self, endpoint: str) -> str:
        page = min(self.page_size, self.limit) if self.limit else self.page_size
        params = [("sort", self.sort), ("limit", page)] + [("expand", e) for e in self.expand]
        return str(httpx2.URL(f"{endpoint}/api/models", params=params))

    def identity(self, endpoint: str) -> dict:
        return {
            "endpoint": endpoint,
            "sort": self.sort,
            "page_size": self.page_size,
            "limit": self.limit,
            "expand": list(self.expand),
        }


def parse_page(url: str, response: httpx2.Response) -> list[dict]:
    try:
        page = response.json()
    except ValueError as e:
        raise MalformedResponse(
            url, f"the page is not valid JSON ({e}; {len(response.content)} bytes)"
        ) from None
    if not isinstance(page, list):
        raise MalformedResponse(url, f"expected a JSON list of models, got {type(page).__name__}")
    for i, rec in enumerate(page):
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            raise MalformedResponse(url, f"item {i} of the page is not a model record with a string id")
    return page


def fetch_page(url: str, headers: dict, opts: CrawlOptions) -> tuple[list[dict], str | None, httpx2.Response]:
    """One page through the client's http_backoff; a malformed body is fetched again, then reported."""

    def get():
        r = http_backoff(
            "GET",
            url,
            headers=headers,
            max_retries=opts.max_retries,
            base_wait_time=opts.backoff,
            max_wait_time=opts.max_backoff,
        )
        hf_raise_for_status(r)
        return parse_page(url, r), next_page(r), r

    # http_backoff itself retries 429 (RateLimit/Retry-After), 5xx and broken connections, so this
    # outer policy retries only what it cannot see: a 200 whose body is not a page of models.
    return with_retries(f"GET {url}", opts, get, predicate=lambda e: isinstance(e, MalformedResponse))


def page_key(url: str) -> tuple:
    """A page's URL as a key: the same page whatever the order or encoding of its parameters."""
    parsed = httpx2.URL(url)
    return parsed.host, parsed.port, parsed.path, tuple(sorted(parsed.params.multi_items()))


@dataclass
class Crawl:
    """A crawl in progress: its checkpoint, the ids written, the fields seen, the answers counted."""

    opts: CrawlOptions
    endpoint: str
    cp: Checkpoint
    counter: RequestCounter
    seen: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    requests_before: dict = field(default_factory=dict)  # counted by the runs before a resume
    seconds_before: float = 0.0
    new_lines: int = 0  # records the last step wrote
    visited: set[str] = field(default_factory=set)  # page URLs fetched by this run
    stalled: int = 0  # pages in a row that added no new id

    @property
    def state(self) -> dict:
        return self.cp.state

    def lines_of(self, url: str, page: list[dict]) -> tuple[list[bytes], int, list[dict]]:
        """The page's new records as lines (up to the limit), how many were already written, and
        the records the build would refuse (record_problem), each with its page and position."""
        lines, dup, limit, fields = [], 0, self.opts.limit, self.state["fields"]
        quarantined = []
        for position, rec in enumerate(page, 1):
            if limit and self.state["records"] + len(lines) >= limit:
                break
            line = encode_record(rec)
            problem = record_problem(rec) or line_problem(line)
            if problem:
                quarantined.append({"page": url, "position": position, "problem": problem, "record": rec})
                log.warning("%s, record %d: %s; quarantined, not written", url, position, problem)
                continue
            if rec["id"] in self.seen:  # already written: the listing moved under the cursor
                dup += 1
                continue
            self.seen.add(rec["id"])
            fields.extend(k for k in rec if k not in fields)
            lines.append(line)
        return lines, dup, quarantined

    def check_next(self, url: str, next_url: str | None, new_ids: int) -> None:
        """Refuse a next page on another host, one already read (a cycle), and a run of pages
        that add no new id (a listing that does not advance): each would crawl forever."""
        if next_url == url:
            raise MalformedResponse(url, "the next page's URL is this page's own; the listing would loop")
        if next_url and httpx2.URL(next_url).netloc != httpx2.URL(self.endpoint).netloc:
            # The token goes with every request: never follow a Link to another host.
            raise MalformedResponse(url, f"the next page is on another host ({next_url})")
        self.visited.add(page_key(url))
        if next_url and page_key(next_url) in self.visited:
            raise ListingLoops(
                f"{url}: its next page, {next_url}, was already read in this run: the listing's "
                f"pages form a cycle (after {self.state['pages']:,} pages, {self.state['records']:,} "
                "models); stopped rather than read the same pages forever. Resume later with the "
                "same command, or crawl with another --sort"
            )
        self.stalled = 0 if new_ids else self.stalled + 1
        if next_url and self.stalled >= self.opts.stall_pages:
            raise ListingLoops(
                f"{url}: {self.stalled} pages in a row added no new model id (empty, or only ids "
                f"already written), each pointing to another next page; the listing does not advance "
                f"(after {self.state['pages']:,} pages, {self.state['records']:,} models). Resume later "
                "with the same command, or crawl with another --sort"
            )

    def step(self, headers: dict) -> None:
        """Fetch the next page, append its new records and move the checkpoint past them."""
        state, url = self.state, self.state["next"]
        page, next_url, response = fetch_page(url, headers, self.opts)
        lines, dup, quarantined = self.lines_of(url, page)
        if self.opts.limit and state["records"] + len(lines) >= self.opts.limit:
            next_url = None
        self.check_next(url, next_url, len(lines))
        self.cp.commit(
            lines,
            next=next_url,
            done=next_url is None,
            records=state["records"] + len(lines),
            pages=state["pages"] + 1,
            duplicates=state["duplicates"] + dup,
            quarantined=state.get("quarantined", []) + quarantined,
            seconds=round(self.seconds_before + time.monotonic() - self.started, 3),
            requests=self.counter.as_dict(self.requests_before),
        )
        self.new_lines = len(lines)
        info = parse_ratelimit_headers(response.headers)
        if next_url and info is not None and info.remaining == 0:
            # Spend no request on a certain 429: wait out the window the Hub announced.
            log.warning(
                "rate limit reached (%s); waiting %ds for the window to reset",
                info.resource_type,
                info.reset_in_seconds,
            )
            time.sleep(info.reset_in_seconds + 1)


def start(out: Path, opts: CrawlOptions, endpoint: str, counter: RequestCounter) -> Crawl:
    """Open (or resume) the partial folder of `out`."""
    partial = out.with_name(out.name + ".partial")
    cp = Checkpoint(partial, opts.identity(endpoint))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    initial = {"next": opts.first_url(endpoint), "done": False, "records": 0, "pages": 0, "duplicates": 0}
    initial |= {"fields": [], "started": now, "resumes": 0, "seconds": 0.0, "requests": {}}
    crawl = Crawl(opts, endpoint, cp, counter)
    if cp.open(initial):
        crawl.seen = {rec["id"] for rec in cp.iter_saved()}
        if len(crawl.seen) != cp.state["records"]:
            raise CrawlError(
                f"{cp.records_path}: {len(crawl.seen)} records up to the checkpoint, "
                f"{cp.state_path} says {cp.state['records']}"
            )
        cp.state["resumes"] += 1
        log.info(
            "resuming %s: %s models in %d pages so far, next %s",
            partial,
            f"{len(crawl.seen):,}",
            cp.state["pages"],
            cp.state["next"],
        )
    else:
        limit = f", limit {opts.limit:,}" if opts.limit else ""
        log.info(
            "crawling %s into %s (sort=%s, %d a page%s)", endpoint, partial, opts.sort, opts.page_size, limit
        )
    crawl.requests_before = dict(cp.state["requests"])
    crawl.seconds_before = cp.state["seconds"]
    return crawl


def refuse_existing(out: Path) -> None:
    """A finished snapshot is never overwritten; a partial folder left by its own finish is removed."""
    partial = out.with_name(out.name + ".partial")
    if not out.exists():
        return
    state = partial / STATE
    if state.is_file() and json.loads(state.read_text()).get("done") and not (partial / STAGING).exists():
        # Killed between publishing the snapshot and removing its partial folder.
        shutil.rmtree(partial)
        log.info("removed %s, left over from the crawl that wrote %s", partial, out)
    raise CrawlError(
        f"{out}: already exists; a finished snapshot is never overwritten (choose another --out)"
    )


def crawl(out: Path, opts: CrawlOptions, token: str | bool | None = None) -> dict:
    """Crawl (or resume crawling) the listing into the snapshot folder `out`; returns its manifest."""
    out = Path(out)
    endpoint, counter = open_session(opts)
    refuse_existing(out)
    token = token_from_env() if token is None else token
    headers = build_hf_headers(token=token, library_name="hub-versioning-fetch")
    run = start(out, opts, endpoint, counter)
    progress = Progress(opts.limit, run.state["records"], "census", opts.log_every)
    try:
        with logging_redirect_tqdm():
            while not run.state["done"]:
                run.step(headers)
                progress.update(run.new_lines, f"{run.state['pages']:,} pages")
    finally:
        progress.close()
        run.cp.close()
    return finish(out, run, authenticated=bool(token))


def caveats(state: dict, opts: CrawlOptions, finished: str) -> list[str]:
    notes = [
        "downloads is the Hub's rolling 30-day download count at collection time, not all-time",
        f"the listing was read page by page from {state['started']} to {finished}; each record is as "
        f"the Hub answered when its page was fetched, not one instant",
        "models created before the Hub recorded creation dates carry a placeholder createdAt of "
        "2022-03-02T23:29:04.000Z or 2022-03-02T23:29:05.000Z: treat those as 'created on or before "
        "2022-03-02', not as a date",
        "tags are Hub topic labels (library, language, license:, dataset:, base_model:, arxiv:, region:), "
        "not git tags; git branches and tags are collected by scripts/acquire/refs.py",
    ]
    if opts.sort == "createdAt":
        notes.append(
            "sorted by createdAt, newest first, whose values never change: models created "
            "while the crawl ran sort before the cursor and are absent; deleted ones may be absent"
        )
    else:
        notes.append(
            f"sorted by {opts.sort}, which changes while the crawl runs: a model whose "
            f"{opts.sort} rose past the cursor between two pages was missed, one that fell "
            "behind it was listed twice and kept once"
        )
    if state["duplicates"]:
        notes.append(
            f"{state['duplicates']:,} records listed again on a later page were dropped "
            "(each id is kept once, where first seen)"
        )
    if opts.limit:
        notes.append(f"not a full census: the first {opts.limit:,} models by {opts.sort} only (--limit)")
    if state.get("quarantined"):
        notes.append(
            f"{len(state['quarantined']):,} records the build would refuse (scripts/snapshot/records.py) "
            f"were left out and kept in {QUARANTINE} with their page, position and reason"
        )
    return notes


def finish(out: Path, run: Crawl, authenticated: bool) -> dict:
    """Write the records as the snapshot folder `out` (scripts/snapshot/write.py)."""
    state, opts, endpoint = run.state, run.opts, run.endpoint
    partial = run.cp.folder
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    log.info("compressing %s models", f"{state['records']:,}")
    manifest = {
        "snapshot": out.name,
        "format": (
            f"gzip JSON Lines; one object per model, exactly as the Hub's GET /api/models listing "
            f"returned it (sort={opts.sort}, expand={','.join(opts.expand)}, pages of "
            f"{opts.page_size}), in page order, each id once"
        ),
        "fields": state["fields"],
        "collected": f"{state['started'][:10]}, from the Hugging Face Hub API at {endpoint} "
        f"({state['started']} to {finished})",
        "source": f"Hugging Face Hub API, GET {endpoint}/api/models, crawled with scripts/acquire/census.py",
        "source_license": "none stated by the Hub for its API listings; the records are factual Hub "
        "metadata, redistributed with attribution",
        "caveats": caveats(state, opts, finished),
        "endpoint": endpoint,
        "client_version": f"huggingface_hub {huggingface_hub.__version__}",
        "crawl": {
            "sort": opts.sort,
            "expand": list(opts.expand),
            "page_size": opts.page_size,
            "limit": opts.limit,
            "pages": state["pages"],
            "duplicates_dropped": state["duplicates"],
            "resumes": state["resumes"],
            "started": state["started"],
            "finished": finished,
            "seconds": state["seconds"],
            "requests": state["requests"],
            "authenticated": authenticated,
        },
    }
    if state["records"] == 0:
        raise CrawlError(
            f"{endpoint}/api/models: the listing gave no model in {state['pages']:,} pages; an empty "
            f"census is never written as complete (delete {partial} to start over)"
        )
    quarantined = state.get("quarantined", [])
    extra = {QUARANTINE: b"".join(encode_record(q) for q in quarantined)} if quarantined else {}
    with open(partial / RECORDS, "rb") as records:
        written = write_snapshot(
            out,
            SnapshotKind.CENSUS,
            records,
            manifest,
            data_file=DATA_FILE,
            staging=partial / STAGING,
            extra_files=extra,
        )
    if written["records"] != state["records"]:
        raise CrawlError(
            f"{partial / RECORDS}: {written['records']} lines, the checkpoint counts {state['records']}"
        )
    shutil.rmtree(partial)
    log.info("wrote %s: %s models, sha256 %s", out, f"{state['records']:,}", written["sha256"])
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--out", type=Path, required=True, help="snapshot folder to create, e.g. data/snapshots/2026-11-26"
    )
    p.add_argument("--limit", type=int, help="stop after N models (a sample, not a census)")
    p.add_argument(
        "--sort",
        choices=SORTS,
        default="createdAt",
        help="listing order (default %(default)s: stable while the crawl runs)",
    )
    p.add_argument(
        "--page-size", type=int, default=1000, help="models per request (the Hub serves at most 1000)"
    )
    add_http_arguments(p)
    args = p.parse_args(argv)
    setup_logging(args.endpoint)
    if args.limit is not None and args.limit < 1 or args.page_size < 1:
        p.error("--limit and --page-size must be positive")
    opts = CrawlOptions(limit=args.limit, sort=args.sort, page_size=args.page_size, **http_options(args))
    partial = args.out.with_name(args.out.name + ".partial")
    return run_command(lambda: crawl(args.out, opts), partial, args.max_retries)


if __name__ == "__main__":
    sys.exit(main())
