"""What every Hub crawler shares: the client's HTTP session, retries, request counts, checkpoints, progress.

- `open_session(opts)` configures huggingface_hub's shared session through its public
  `set_client_factory`: a timeout (the library's default has none, so a silent connection would hang
  a crawl), user info of the endpoint sent as HTTP basic auth to the endpoint's host only, and a
  `RequestCounter` counting answers by status code. HfApi methods and `http_backoff` all use it.
- `retrying(...)` is the tenacity policy for what the client does not retry: 429 (waiting what
  `RateLimit` or `Retry-After` says), 408/5xx, broken connections and malformed bodies.
- `Checkpoint` is a crawl's partial folder: a records file appended in steps and the state after the
  last whole step, so that a crawl killed at any point resumes without gaps or duplicates.
- `Progress` is a tqdm bar on a terminal and a log line every few seconds otherwise.
- `run_command` turns a crawl's failures into one clear message and an exit status.

Endpoints are redacted (scripts/acquire/redact.py) before anything is logged or written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
import huggingface_hub
from huggingface_hub.utils import get_session, parse_ratelimit_headers, set_client_factory
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tqdm import tqdm

from scripts.acquire.redact import protect, redact_text, redact_uri
from scripts.snapshot.write import write_json_atomic

log = logging.getLogger("acquire")

DEFAULT_ENDPOINT = "https://huggingface.co"
RECORDS = "records.jsonl"
STATE = "state.json"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class CrawlError(Exception):
    """A crawl that cannot go on; the message says where and what to do."""


class MalformedResponse(CrawlError):
    def __init__(self, url: str, detail: str):
        super().__init__(f"{url}: {detail}")
        self.url, self.detail = url, detail


# --- the session -----------------------------------------------------------------------------------


@dataclass
class HttpOptions:
    endpoint: str = DEFAULT_ENDPOINT
    max_retries: int = 5
    backoff: float = 1.0  # first wait, doubled each retry
    max_backoff: float = 60.0
    timeout: float = 60.0
    log_every: float = 10.0


class RequestCounter(Counter):
    """Answers by status code (or exception name), counted by a response hook of the session."""

    def hook(self, response: httpx2.Response) -> None:
        self[str(response.status_code)] += 1

    def as_dict(self, before: dict | None = None) -> dict[str, int]:
        total = Counter(before or {}) + self
        return {str(k): v for k, v in sorted(total.items())}


class EndpointAuth(httpx2.Auth):
    """HTTP basic auth from the endpoint's user info, sent to the endpoint's host only (never to a
    redirect's or a Link's other host), and never over a token's Authorization header."""

    def __init__(self, origin: tuple[str, str, int | None], user: str, password: str):
        self.origin = origin
        self.basic = httpx2.BasicAuth(user, password)

    def auth_flow(self, request: httpx2.Request):
        url = request.url
        if (url.scheme, url.host, url.port) == self.origin and "Authorization" not in request.headers:
            yield from self.basic.auth_flow(request)
        else:
            yield request


def split_endpoint(endpoint: str) -> tuple[str, EndpointAuth | None]:
    """(the endpoint without credentials, the auth that sends its user info); protects its secrets."""
    protect(endpoint)
    url = httpx2.URL(endpoint.rstrip("/"))
    if url.query or url.fragment:
        raise CrawlError(
            f"--endpoint {redact_uri(endpoint)}: must be a plain URL without a query or fragment "
            "(a token goes in the HF_TOKEN environment variable)"
        )
    public = redact_uri(endpoint).rstrip("/")
    if not url.username and not url.password:
        return public, None
    return public, EndpointAuth((url.scheme, url.host, url.port), url.username, url.password)


def open_session(opts: HttpOptions) -> tuple[str, RequestCounter]:
    """Configure huggingface_hub's shared session for a crawl of opts.endpoint; returns the endpoint
    without credentials (the one to use and write) and the counter of answers."""
    endpoint, auth = split_endpoint(opts.endpoint)
    counter = RequestCounter()
    # The request hooks of the library's own session (offline mode, request ids, debug logs), kept.
    request_hooks = list(get_session().event_hooks["request"])
    same_host = refuse_redirects_off(endpoint)

    def factory() -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": request_hooks, "response": [counter.hook, same_host]},
            follow_redirects=True,
            timeout=httpx2.Timeout(opts.timeout),
            auth=auth,
        )

    set_client_factory(factory)
    route_library_logs()
    return endpoint, counter


class RedirectRefused(CrawlError):
    """The endpoint redirected to another host: never followed (the token would go with it)."""


def refuse_redirects_off(endpoint: str):
    """A response hook that stops a redirect to another scheme, host or port than the endpoint's
    before the client follows it (its answer could be anything: an empty list, another site)."""
    base = httpx2.URL(endpoint)
    origin = (base.scheme, base.host, base.port)

    def hook(response: httpx2.Response) -> None:
        if not response.has_redirect_location:
            return
        target = response.url.join(response.headers["Location"])
        if (target.scheme, target.host, target.port) != origin:
            raise RedirectRefused(
                f"{redact_uri(str(response.url))}: answered {response.status_code} with a redirect to "
                f"another host ({redact_uri(str(target.copy_with(query=None)))}); not followed. "
                f"Check --endpoint (now {endpoint})"
            )

    return hook


def route_library_logs() -> None:
    """huggingface_hub logs retries and rate-limit waits on its own stderr handler: send them through
    the root logger instead, so that they interleave with the progress lines (and are redacted)."""
    hf_logger = logging.getLogger("huggingface_hub")
    for h in list(hf_logger.handlers):
        hf_logger.removeHandler(h)
    hf_logger.propagate = True
    # httpx2 logs every request at INFO: far too many lines for a crawl of thousands of pages.
    logging.getLogger("httpx2").setLevel(logging.WARNING)


def token_from_env() -> str | bool:
    """The HF_TOKEN environment variable, or False: never a token from a file, never written."""
    return os.environ.get("HF_TOKEN") or False


def next_page(response: httpx2.Response) -> str | None:
    """The `Link: <url>; rel="next"` of a listing page, as the Hub pages its listings."""
    return response.links.get("next", {}).get("url")


# --- retries ---------------------------------------------------------------------------------------


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


def retrying(what: str, opts: HttpOptions, predicate=is_transient) -> Retrying:
    """A tenacity policy: retry failures of `what` that `predicate` accepts, up to opts.max_retries
    times, logging each wait."""

    def before_sleep(state: RetryCallState):
        log.warning(
            "%s: %s; retry %d/%d in %.1fs",
            what,
            short(state.outcome.exception()),
            state.attempt_number,
            opts.max_retries,
            state.upcoming_sleep,
        )

    return Retrying(
        stop=stop_after_attempt(opts.max_retries + 1),
        wait=wait_for(opts.backoff, opts.max_backoff),
        retry=retry_if_exception(predicate),
        before_sleep=before_sleep,
        reraise=True,
    )


def with_retries(what: str, opts: HttpOptions, call: Callable, predicate=is_transient):
    """call() under `retrying`; a body still malformed when retries run out is reported as such."""
    try:
        for attempt in retrying(what, opts, predicate):
            with attempt:
                return call()
    except MalformedResponse as e:
        raise MalformedResponse(
            e.url, f"{e.detail}; still malformed after {opts.max_retries + 1} attempts"
        ) from None
    except json.JSONDecodeError as e:
        raise MalformedResponse(what, f"not valid JSON after {opts.max_retries + 1} attempts ({e})") from None
    raise AssertionError("unreachable")


def short(exc: BaseException) -> str:
    text = redact_text(str(exc)).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# --- the checkpointed partial folder ---------------------------------------------------------------


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
        resumed = self.state_path.is_file()
        if resumed:
            self.state = self._read_state()
        else:
            self.state = {"identity": self.identity, "bytes": 0, **initial}
            self.records_path.write_bytes(b"")
            write_json_atomic(self.state_path, self.state)
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

    def _read_state(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise CrawlError(
                f"{self.state_path}: unreadable checkpoint ({e}); delete {self.folder} to start over"
            ) from e
        if state.get("identity") != self.identity:
            theirs = state.get("identity") or {}
            diff = sorted(
                k for k in set(theirs) | set(self.identity) if theirs.get(k) != self.identity.get(k)
            )
            raise CrawlError(
                f"{self.folder}: holds an interrupted crawl with other settings ({', '.join(diff)}: "
                f"{ {k: theirs.get(k) for k in diff} }); resume it with the same options or delete the folder"
            )
        return state

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


# --- progress --------------------------------------------------------------------------------------


class Progress:
    """A tqdm bar (items, rate, elapsed) on a terminal; a log line every `every` seconds otherwise."""

    def __init__(self, total: int | None, initial: int, desc: str, every: float = 10.0, unit: str = "models"):
        self.tty = sys.stderr.isatty()
        self.bar = tqdm(
            total=total, initial=initial, desc=desc, unit=f" {unit}", unit_scale=True, disable=not self.tty
        )
        self.count, self.start, self.every, self.desc, self.unit = (
            initial,
            time.monotonic(),
            every,
            desc,
            unit,
        )
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
            "%s: %s %s, %.0f %s/s, elapsed %s%s",
            self.desc,
            f"{self.count:,}",
            self.unit,
            rate,
            self.unit,
            time.strftime("%H:%M:%S", time.gmtime(elapsed)),
            f", {note}" if note else "",
        )

    def close(self) -> None:
        self.bar.close()
        if not self.tty:
            self.log("done")


# --- the command line ------------------------------------------------------------------------------


def add_http_arguments(p: argparse.ArgumentParser) -> None:
    """Endpoint, retry and progress options, the same for every crawler."""
    p.add_argument(
        "--endpoint",
        default=os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT),
        help=f"Hub URL (default: HF_ENDPOINT or {DEFAULT_ENDPOINT})",
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


def http_options(args: argparse.Namespace) -> dict:
    """The HttpOptions fields from parsed add_http_arguments options."""
    return {
        "endpoint": args.endpoint,
        "max_retries": args.max_retries,
        "backoff": args.backoff,
        "max_backoff": args.max_backoff,
        "timeout": args.timeout,
        "log_every": args.log_every,
    }


def setup_logging(*uris: str | None) -> None:
    """Log lines on stderr, with the secrets of these URIs redacted from every record."""
    protect(*uris)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def run_command(call: Callable[[], object], partial: Path, max_retries: int, *errors: type) -> int:
    """Run a crawl; report a failure in one message saying whether (and how) it can be resumed."""
    saved = f"progress is saved in {partial}; run the same command again to resume"
    try:
        call()
    except (CrawlError, *errors) as e:
        log.error("%s%s", e, f"\n{saved}" if (partial / STATE).is_file() else "")
        return 1
    except (huggingface_hub.errors.HfHubHTTPError, httpx2.HTTPError) as e:
        log.error(
            "request failed (transient failures are retried %d times first): %s\n%s",
            max_retries,
            short(e),
            saved,
        )
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; %s", saved)
        return 130
    return 0
