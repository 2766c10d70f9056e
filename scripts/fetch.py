"""Take a fresh census of the Hub: every model's listing record, into a snapshot folder.

    python -m scripts.fetch --out data/snapshots/2026-11-26 [--endpoint URL] [--limit N]
        [--sort createdAt] [--page-size 1000] [--max-retries 5]

Writes `<out>/models.jsonl.gz` (gzip JSON Lines, one record per line exactly as the Hub's
`GET /api/models` listing returned it, each id once, in page order) and `<out>/MANIFEST.json`, the
format of the vendored snapshots. A token is read from the HF_TOKEN environment variable when it
is set and is only ever sent to the endpoint, never written.

Resumable: records go to `<out>.partial/records.jsonl` page by page, and after each page a
checkpoint (`state.json`: the next page's URL, records written, byte length of the records file)
is replaced atomically. Killed at any point, the same command truncates the records file to the
checkpoint and carries on from the saved URL. Ids already written are skipped, so no model is
written twice even if the listing shifts between pages. At the end the records are gzipped,
hashed and described in the staging folder `<out>.partial/snapshot/`, which is then renamed to
`<out>` in one step: the snapshot appears complete or not at all, and an existing one is never
overwritten.

Paging uses the real client's HTTP stack (huggingface_hub's shared httpx2 session through
`http_backoff`, `hf_raise_for_status` and its `Link`-header pagination helper) rather than
`HfApi.list_models`, because the crawler must checkpoint the next page's URL, which the iterator
of list_models hides, and must keep the records exactly as the API returned them, which
list_models turns into ModelInfo objects. `http_backoff` retries 429 (waiting what `RateLimit` or
`Retry-After` says), 408/5xx and dropped or timed-out connections with exponential backoff, up to
--max-retries; a page whose body is not a JSON list of records is retried the same way here and
then reported with its URL. See docs/crawling.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import huggingface_hub
from huggingface_hub.utils import _http as hf_http
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff, parse_ratelimit_headers
from huggingface_hub.utils._pagination import _get_next_page
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

log = logging.getLogger("fetch")

DEFAULT_ENDPOINT = "https://huggingface.co"
# The fields the census needs (the list); the Hub adds `_id` and `id` to every record.
EXPAND = (
    "author",
    "createdAt",
    "lastModified",
    "downloads",
    "likes",
    "tags",
    "pipeline_tag",
    "library_name",
    "sha",
    "gated",
)
SORTS = ("createdAt", "downloads", "likes", "lastModified", "trendingScore")
RECORDS = "records.jsonl"
STATE = "state.json"
STAGING = "snapshot"
DATA_FILE = "models.jsonl.gz"


class CrawlError(Exception):
    """A crawl that cannot go on; the message says where and what to do."""


class MalformedResponse(CrawlError):
    def __init__(self, url: str, detail: str):
        super().__init__(f"{url}: {detail}")
        self.url, self.detail = url, detail


# --- the client's HTTP stack, instrumented -------------------------------------------------------

REQUESTS: Counter = Counter()  # status code (or exception name) -> count, for the manifest and the report


def _client_factory(timeout: float):
    def factory() -> httpx2.Client:
        # The client's own default session (event hooks, redirects) plus a timeout, so that a hung
        # connection becomes a retried TimeoutException, and a hook counting the answers.
        client = hf_http.default_client_factory()
        client.timeout = httpx2.Timeout(timeout)
        client.event_hooks["response"].append(lambda r: REQUESTS.update([r.status_code]))
        return client

    return factory


def configure_client(timeout: float = 60.0) -> None:
    """Make huggingface_hub's shared session time out and count answers; route its logs to ours."""
    huggingface_hub.utils.set_client_factory(_client_factory(timeout))
    # huggingface_hub logs retries and rate-limit waits as warnings on its own stderr handler; send
    # them through the root logger instead, so that they interleave with the progress lines.
    hf_logger = logging.getLogger("huggingface_hub")
    for h in list(hf_logger.handlers):
        hf_logger.removeHandler(h)
    hf_logger.propagate = True
    # httpx2 logs every request at INFO: far too many lines for a crawl of thousands of pages.
    logging.getLogger("httpx2").setLevel(logging.WARNING)


def token_from_env() -> str | bool:
    """The HF_TOKEN environment variable, or False: never a token from a file, never written."""
    return os.environ.get("HF_TOKEN") or False


# --- retries the client does not do ---------------------------------------------------------------

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: a rate limit, a server error, a broken connection, or a malformed body."""
    if isinstance(exc, huggingface_hub.errors.HfHubHTTPError):
        return exc.response is not None and exc.response.status_code in RETRY_STATUS
    return isinstance(exc, (httpx2.TransportError, MalformedResponse, json.JSONDecodeError))


def wait_for(base: float, cap: float):
    """Exponential backoff from `base` up to `cap`; after a 429, what the Hub's headers say."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        response = getattr(exc, "response", None)
        if response is not None and response.status_code == 429:
            info = parse_ratelimit_headers(response.headers)
            if info is not None and info.remaining == 0:
                return info.reset_in_seconds + 1.0
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.strip().isdigit():
                return int(retry_after) + 1.0
        return min(cap, base * 2 ** (state.attempt_number - 1))

    return wait


def retrying(what: str, max_retries: int, base: float, cap: float, predicate=is_transient) -> Retrying:
    """A tenacity policy: retry failures of `what` that `predicate` accepts, up to max_retries times,
    logging each wait."""

    def before_sleep(state: RetryCallState):
        exc = state.outcome.exception()
        log.warning(
            "%s: %s; retry %d/%d in %.1fs",
            what,
            _short(exc),
            state.attempt_number,
            max_retries,
            state.upcoming_sleep,
        )

    return Retrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=wait_for(base, cap),
        retry=retry_if_exception(predicate),
        before_sleep=before_sleep,
        reraise=True,
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# --- the checkpointed partial folder ------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, obj) -> None:
    """Write, fsync, rename over: a reader (or a crash) sees the old file or the new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Checkpoint:
    """`<out>.partial/`: a records file appended in steps, and the state after the last whole step.

    `identity` (the crawl's settings) is saved with the state; resuming with other settings is
    refused rather than mixing two crawls in one file.
    """

    def __init__(self, folder: Path, identity: dict):
        self.folder = Path(folder)
        self.identity = identity
        self.records_path = self.folder / RECORDS
        self.state_path = self.folder / STATE
        self.state: dict = {}
        self._file = None

    def open(self, initial: dict) -> bool:
        """Start or resume; returns True when resuming. Drops bytes written after the last checkpoint."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.state_path.is_file():
            try:
                self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise CrawlError(
                    f"{self.state_path}: unreadable checkpoint ({e}); delete {self.folder} to start over"
                ) from e
            if self.state.get("identity") != self.identity:
                theirs = self.state.get("identity") or {}
                diff = sorted(
                    k for k in set(theirs) | set(self.identity) if theirs.get(k) != self.identity.get(k)
                )
                raise CrawlError(
                    f"{self.folder}: holds an interrupted crawl with other settings ({', '.join(diff)}: "
                    f"{ {k: theirs.get(k) for k in diff} }); resume it with the same options or delete the folder"
                )
            resumed = True
        else:
            self.state = {"identity": self.identity, "bytes": 0, **initial}
            self.records_path.write_bytes(b"")
            write_json_atomic(self.state_path, self.state)
            resumed = False
        size = self.records_path.stat().st_size if self.records_path.is_file() else -1
        if size < self.state["bytes"]:
            raise CrawlError(
                f"{self.records_path}: {'missing' if size < 0 else f'{size} bytes'}, but "
                f"{self.state_path} counts {self.state['bytes']}; the partial crawl was damaged, "
                f"delete {self.folder} to start over"
            )
        self._file = open(self.records_path, "r+b")
        self._file.truncate(self.state["bytes"])  # a step that was cut short is done again
        self._file.seek(self.state["bytes"])
        return resumed

    def iter_saved(self):
        """The records (parsed) written up to the checkpoint."""
        with open(self.records_path, "rb") as f:
            for line in f:
                yield json.loads(line)

    def commit(self, lines: list[bytes], **updates) -> None:
        """Append whole lines, make them durable, then move the checkpoint past them."""
        if lines:
            self._file.write(b"".join(lines))
            self._file.flush()
            os.fsync(self._file.fileno())
        self.state.update(updates)
        self.state["bytes"] = self._file.tell()
        write_json_atomic(self.state_path, self.state)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def gzip_and_hash(src: Path, dst: Path) -> str:
    """Gzip `src` to `dst` reproducibly (no name, mtime 0: same records, same bytes) and return its sha256."""
    with open(src, "rb") as fin, open(dst, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            shutil.copyfileobj(fin, gz, 1 << 20)
        raw.flush()
        os.fsync(raw.fileno())
    digest = hashlib.sha256()
    with open(dst, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish_folder(staging: Path, out: Path) -> None:
    """Rename the finished staging folder to its final name; refuse if anything is there already."""
    if out.exists():
        raise CrawlError(f"{out}: already exists; a finished snapshot is never overwritten")
    os.rename(staging, out)  # atomic on one file system; fails if `out` appeared meanwhile and is not empty
    _fsync_dir(out.parent)


# --- progress ------------------------------------------------------------------------------------


class Progress:
    """A tqdm bar (records, rate, elapsed) on a terminal; a log line every `every` seconds otherwise."""

    def __init__(self, total: int | None, initial: int, desc: str, every: float = 10.0):
        self.tty = sys.stderr.isatty()
        self.bar = tqdm(
            total=total, initial=initial, desc=desc, unit=" models", unit_scale=True, disable=not self.tty
        )
        self.count, self.start, self.every, self.desc = initial, time.monotonic(), every, desc
        self.initial, self.last = initial, 0.0

    def update(self, n: int, note: str = "") -> None:
        self.count += n
        self.bar.update(n)
        now = time.monotonic()
        if not self.tty and now - self.last >= self.every:
            self.last = now
            self.log(note)

    def log(self, note: str = "") -> None:
        elapsed = time.monotonic() - self.start
        rate = (self.count - self.initial) / elapsed if elapsed > 0 else 0.0
        log.info(
            "%s: %s models, %.0f models/s, elapsed %s%s",
            self.desc,
            f"{self.count:,}",
            rate,
            time.strftime("%H:%M:%S", time.gmtime(elapsed)),
            f", {note}" if note else "",
        )

    def close(self) -> None:
        self.bar.close()
        if not self.tty:
            self.log("done")


# --- the crawl -----------------------------------------------------------------------------------


@dataclass
class CrawlOptions:
    endpoint: str = DEFAULT_ENDPOINT
    limit: int | None = None
    sort: str = "createdAt"
    page_size: int = 1000
    expand: tuple[str, ...] = EXPAND
    max_retries: int = 5
    backoff: float = 1.0  # first wait, doubled each retry
    max_backoff: float = 60.0
    timeout: float = 60.0
    log_every: float = 10.0

    def first_url(self) -> str:
        page = min(self.page_size, self.limit) if self.limit else self.page_size
        params = [("sort", self.sort), ("limit", page)] + [("expand", e) for e in self.expand]
        return str(httpx2.URL(f"{self.endpoint.rstrip('/')}/api/models", params=params))

    def identity(self) -> dict:
        return {
            "endpoint": self.endpoint.rstrip("/"),
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
    # http_backoff itself retries 429 (RateLimit/Retry-After), 408/5xx and broken connections, so
    # this outer policy retries only what it cannot see: a 200 whose body is not a page of models.
    policy = retrying(
        f"GET {url}",
        opts.max_retries,
        opts.backoff,
        opts.max_backoff,
        predicate=lambda e: isinstance(e, MalformedResponse),
    )
    try:
        for attempt in policy:
            with attempt:
                r = http_backoff(
                    "GET",
                    url,
                    headers=headers,
                    max_retries=opts.max_retries,
                    base_wait_time=opts.backoff,
                    max_wait_time=opts.max_backoff,
                )
                hf_raise_for_status(r)
                return parse_page(url, r), _get_next_page(r), r
    except MalformedResponse as e:
        raise MalformedResponse(
            url, f"{e.detail}; still malformed after {opts.max_retries + 1} attempts"
        ) from None
    raise AssertionError("unreachable")


def crawl(out: Path, opts: CrawlOptions, token: str | bool | None = None) -> dict:
    """Crawl (or resume crawling) the listing into the snapshot folder `out`; returns its manifest."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    if out.exists():
        if (
            (partial / STATE).is_file()
            and json.loads((partial / STATE).read_text()).get("done")
            and not (partial / STAGING).exists()
        ):
            # Killed between publishing the snapshot and removing its partial folder.
            shutil.rmtree(partial)
            log.info("removed %s, left over from the crawl that wrote %s", partial, out)
        raise CrawlError(
            f"{out}: already exists; a finished snapshot is never overwritten (choose another --out)"
        )
    token = token_from_env() if token is None else token
    headers = build_hf_headers(token=token, library_name="hub-versioning-fetch")
    configure_client(opts.timeout)
    cp = Checkpoint(partial, opts.identity())
    now = datetime.now(UTC).isoformat(timespec="seconds")
    resumed = cp.open(
        {
            "next": opts.first_url(),
            "done": False,
            "records": 0,
            "pages": 0,
            "duplicates": 0,
            "fields": [],
            "started": now,
            "resumes": 0,
            "seconds": 0.0,
            "requests": {},
        }
    )
    state = cp.state
    seen: set[str] = set()
    if resumed:
        for rec in cp.iter_saved():
            seen.add(rec["id"])
        if len(seen) != state["records"]:
            raise CrawlError(
                f"{cp.records_path}: {len(seen)} records up to the checkpoint, "
                f"{cp.state_path} says {state['records']}"
            )
        state["resumes"] += 1
        log.info(
            "resuming %s: %s models in %d pages so far, next %s",
            partial,
            f"{len(seen):,}",
            state["pages"],
            state["next"],
        )
    else:
        log.info(
            "crawling %s into %s (sort=%s, %d a page%s)",
            opts.endpoint,
            partial,
            opts.sort,
            opts.page_size,
            f", limit {opts.limit:,}" if opts.limit else "",
        )
    REQUESTS.clear()
    requests_before = Counter({int(k) if k.isdigit() else k: v for k, v in state["requests"].items()})
    started = time.monotonic()
    seconds_before = state["seconds"]
    fields = list(state["fields"])
    progress = Progress(opts.limit, state["records"], "fetch", opts.log_every)
    try:
        with logging_redirect_tqdm():
            while not state["done"]:
                url = state["next"]
                page, next_url, response = fetch_page(url, headers, opts)
                lines = []
                dup = 0
                for rec in page:
                    if opts.limit and state["records"] + len(lines) >= opts.limit:
                        break
                    if rec["id"] in seen:  # already written: the listing moved under the cursor
                        dup += 1
                        continue
                    seen.add(rec["id"])
                    for k in rec:
                        if k not in fields:
                            fields.append(k)
                    lines.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
                if opts.limit and state["records"] + len(lines) >= opts.limit:
                    next_url = None
                if next_url == url:
                    raise MalformedResponse(
                        url, "the next page's URL is this page's own; the listing would loop"
                    )
                if next_url and httpx2.URL(next_url).netloc != httpx2.URL(opts.endpoint).netloc:
                    # The token goes with every request: never follow a Link to another host.
                    raise MalformedResponse(url, f"the next page is on another host ({next_url})")
                requests = requests_before + REQUESTS
                cp.commit(
                    lines,
                    next=next_url,
                    done=next_url is None,
                    records=state["records"] + len(lines),
                    pages=state["pages"] + 1,
                    duplicates=state["duplicates"] + dup,
                    fields=fields,
                    seconds=round(seconds_before + time.monotonic() - started, 3),
                    requests={str(k): v for k, v in requests.items()},
                )
                progress.update(len(lines), f"{state['pages']:,} pages")
                info = parse_ratelimit_headers(response.headers)
                if next_url and info is not None and info.remaining == 0:
                    # Spend no request on a certain 429: wait out the window the Hub announced.
                    log.warning(
                        "rate limit reached (%s); waiting %ds for the window to reset",
                        info.resource_type,
                        info.reset_in_seconds,
                    )
                    time.sleep(info.reset_in_seconds + 1)
    finally:
        progress.close()
        cp.close()
    return finish(out, partial, state, opts, authenticated=bool(token))


def finish(out: Path, partial: Path, state: dict, opts: CrawlOptions, authenticated: bool) -> dict:
    """Gzip, hash and describe the records in the staging folder, then publish it as `out`."""
    staging = partial / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # a finish that was cut short is done again
    staging.mkdir()
    log.info("compressing %s models", f"{state['records']:,}")
    sha = gzip_and_hash(partial / RECORDS, staging / DATA_FILE)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    endpoint = opts.endpoint.rstrip("/")
    caveats = [
        "downloads is the Hub's rolling 30-day download count at collection time, not all-time",
        f"the listing was read page by page from {state['started']} to {finished}; each record is as "
        f"the Hub answered when its page was fetched, not one instant",
        "models created before the Hub recorded creation dates carry a placeholder createdAt of "
        "2022-03-02T23:29:04.000Z or 2022-03-02T23:29:05.000Z: treat those as 'created on or before "
        "2022-03-02', not as a date",
        "tags are Hub topic labels (library, language, license:, dataset:, base_model:, arxiv:, region:), "
        "not git tags; git branches and tags are collected by scripts/fetch_refs.py",
    ]
    if opts.sort == "createdAt":
        caveats.append(
            "sorted by createdAt, newest first, whose values never change: models created "
            "while the crawl ran sort before the cursor and are absent; deleted ones may be absent"
        )
    else:
        caveats.append(
            f"sorted by {opts.sort}, which changes while the crawl runs: a model whose "
            f"{opts.sort} rose past the cursor between two pages was missed, one that fell "
            "behind it was listed twice and kept once"
        )
    if state["duplicates"]:
        caveats.append(
            f"{state['duplicates']:,} records listed again on a later page were dropped "
            "(each id is kept once, where first seen)"
        )
    if opts.limit:
        caveats.append(f"not a full census: the first {opts.limit:,} models by {opts.sort} only (--limit)")
    manifest = {
        "snapshot": out.name,
        "kind": "census",
        "records": state["records"],
        "file": DATA_FILE,
        "sha256": sha,
        "format": (
            f"gzip JSON Lines; one object per model, exactly as the Hub's GET /api/models listing "
            f"returned it (sort={opts.sort}, expand={','.join(opts.expand)}, pages of "
            f"{opts.page_size}), in page order, each id once"
        ),
        "fields": state["fields"],
        "collected": f"{state['started'][:10]}, from the Hugging Face Hub API at {endpoint} "
        f"({state['started']} to {finished})",
        "source": f"Hugging Face Hub API, GET {endpoint}/api/models, crawled with scripts/fetch.py",
        "source_license": "none stated by the Hub for its API listings; the records are factual Hub "
        "metadata, redistributed with attribution",
        "caveats": caveats,
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
    write_json_atomic(staging / "MANIFEST.json", manifest)
    publish_folder(staging, out)
    shutil.rmtree(partial)
    log.info("wrote %s: %s models, sha256 %s", out, f"{state['records']:,}", sha)
    return manifest


def add_http_arguments(p: argparse.ArgumentParser) -> None:
    """Endpoint, retry and progress options, shared with scripts/fetch_refs.py."""
    p.add_argument(
        "--endpoint",
        default=os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT),
        help="Hub URL (default: HF_ENDPOINT or %(default)s)",
    )
    p.add_argument("--max-retries", type=int, default=5, help="retries of one request before giving up")
    p.add_argument(
        "--backoff", type=float, default=1.0, help="first retry wait in seconds, doubled each time"
    )
    p.add_argument("--max-backoff", type=float, default=60.0, help="longest backoff wait in seconds")
    p.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a silent connection is retried"
    )
    p.add_argument(
        "--log-every", type=float, default=10.0, help="seconds between progress lines when not on a terminal"
    )


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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.limit is not None and args.limit < 1 or args.page_size < 1:
        p.error("--limit and --page-size must be positive")
    opts = CrawlOptions(
        endpoint=args.endpoint,
        limit=args.limit,
        sort=args.sort,
        page_size=args.page_size,
        max_retries=args.max_retries,
        backoff=args.backoff,
        max_backoff=args.max_backoff,
        timeout=args.timeout,
        log_every=args.log_every,
    )
    try:
        crawl(args.out, opts)
    except CrawlError as e:
        partial = args.out.with_name(args.out.name + ".partial")
        log.error(
            "%s%s",
            e,
            f"\nprogress is saved in {partial}; run the same command again to resume"
            if (partial / STATE).is_file()
            else "",
        )
        return 1
    except (huggingface_hub.errors.HfHubHTTPError, httpx2.HTTPError) as e:
        log.error(
            "request failed (transient failures are retried %d times first): %s\nprogress is "
            "saved in %s.partial; run the same command again to resume",
            args.max_retries,
            _short(e),
            args.out,
        )
        return 1
    except KeyboardInterrupt:
        log.error(
            "interrupted; progress is saved in %s.partial; run the same command again to resume", args.out
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
