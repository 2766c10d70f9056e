"""Collect the git branches, tags and commit counts of a census snapshot's most-downloaded models.

    python -m scripts.acquire.refs --snapshot data/snapshots/2026-11-26 --top 1000 [--endpoint URL]
        [--no-commits] [--max-retries 5]

For the N models with the most downloads in the snapshot (ties by id), asks the Hub for the repo's
branches and tags (`HfApi.list_repo_refs`) and the number of commits on `main`
(`HfApi.list_repo_commits`), and writes `<snapshot>/refs/refs.jsonl.gz`, one line per model:

    {"id", "rank", "downloads", "status": "ok" | "not_found" | "gated" | "error 4xx",
     "branches": [{"name", "ref", "targetCommit"}], "tags": [...], "commit_count": int | null}

with `<snapshot>/refs/MANIFEST.json` (kind "refs"). The census files are not touched. Resumable
like the census crawl: progress is checkpointed after every model in `<snapshot>/refs.partial/`,
and the finished folder is renamed into place in one step, never over an existing one.

`list_repo_refs` makes one plain request without retries, and `list_repo_commits` retries status
codes itself but not a malformed body, so every call goes through a tenacity policy that retries
429 (waiting what `RateLimit` or `Retry-After` says), 408/5xx, broken connections and malformed
bodies with exponential backoff, then stops the run with the URL. A model the Hub no longer has
(404) is recorded with its status and the run goes on. The loader is scripts/load/refs.py.
"""

from __future__ import annotations

import argparse
import heapq
import logging
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import huggingface_hub
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tqdm.contrib.logging import logging_redirect_tqdm

from scripts.acquire.http import (
    RECORDS,
    RETRY_STATUS,
    Checkpoint,
    CrawlError,
    HttpOptions,
    MalformedResponse,
    Progress,
    add_http_arguments,
    http_options,
    open_session,
    run_command,
    setup_logging,
    token_from_env,
    with_retries,
)
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import Snapshot, SnapshotError, iter_records, read_manifest, verify
from scripts.snapshot.write import encode_record, write_snapshot

log = logging.getLogger("acquire.refs")

REFS_DIR = "refs"
REFS_FILE = "refs.jsonl.gz"


@dataclass
class RefsOptions(HttpOptions):
    commits: bool = True  # also count the commits on main: one more request (or more) a model


def top_models(snapshot: Snapshot, n: int) -> list[tuple[str, int]]:
    """(id, downloads) of the n most-downloaded models, most first, ties by id."""
    best = heapq.nsmallest(
        n, ((-(r.get("downloads") or 0), r["id"]) for _, r in iter_records(snapshot.data_file))
    )
    return [(model_id, -neg) for neg, model_id in best]


def _ref(item) -> dict:
    return {"name": item.name, "ref": item.ref, "targetCommit": item.target_commit}


def fetch_model(api: HfApi, model_id: str, commits: bool, opts: HttpOptions) -> dict:
    """The refs (and commit count) of one model; raises CrawlError when retries run out."""
    base = f"{api.endpoint}/api/models/{model_id}"

    def call(what: str, fn):
        def checked():
            try:
                return fn()
            except (KeyError, TypeError) as e:  # valid JSON of the wrong shape
                raise MalformedResponse(what, f"unexpected answer ({type(e).__name__}: {e})") from None

        return with_retries(f"GET {what}", opts, checked)

    try:
        refs = call(f"{base}/refs", lambda: api.list_repo_refs(model_id))
    except GatedRepoError:
        return {"status": "gated"}
    except RepositoryNotFoundError:
        return {"status": "not_found"}
    except HfHubHTTPError as e:
        code = e.response.status_code if e.response is not None else None
        if code is not None and 400 <= code < 500 and code not in RETRY_STATUS:
            return {"status": f"error {code}"}
        raise
    rec = {"status": "ok", "branches": [_ref(b) for b in refs.branches], "tags": [_ref(t) for t in refs.tags]}
    rec["commit_count"] = None
    if commits:
        try:
            rec["commit_count"] = len(call(f"{base}/commits/main", lambda: api.list_repo_commits(model_id)))
        except RevisionNotFoundError:  # no `main`: the count stays null
            pass
    return rec


def census_of(folder: Path) -> Snapshot:
    """The census snapshot in `folder`, verified; refuses when its refs were collected already."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    snapshot = Snapshot(manifest.get("snapshot", folder.name), folder, manifest)
    if snapshot.kind != SnapshotKind.CENSUS:
        raise CrawlError(
            f"{folder / 'MANIFEST.json'}: kind {snapshot.kind!r}; refs are collected for census snapshots"
        )
    if (folder / REFS_DIR).exists():
        raise CrawlError(
            f"{folder / REFS_DIR}: already exists; collected refs are never overwritten "
            f"(delete the folder to collect them again)"
        )
    verify(snapshot)
    return snapshot


def collect(snapshot_dir: Path, top: int, opts: RefsOptions, token: str | bool | None = None) -> dict:
    """Collect (or resume collecting) refs for the top models of a snapshot; returns the refs manifest."""
    endpoint, counter = open_session(opts)
    snapshot = census_of(snapshot_dir)
    token = token_from_env() if token is None else token
    api = HfApi(endpoint=endpoint, token=token, library_name="hub-versioning-fetch-refs")
    identity = {
        "endpoint": endpoint,
        "top": top,
        "commits": opts.commits,
        "census_sha256": snapshot.manifest.get("sha256"),
    }
    cp = Checkpoint(snapshot.folder / f"{REFS_DIR}.partial", identity)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    initial = {
        "done": 0,
        "records": 0,
        "started": now,
        "resumes": 0,
        "seconds": 0.0,
        "requests": {},
        "statuses": {},
    }
    resumed = cp.open(initial)
    state = cp.state
    log.info("reading the %d most-downloaded models of %s", top, snapshot.data_file)
    models = top_models(snapshot, top)
    if resumed:
        state["resumes"] += 1
        log.info("resuming %s: %d of %d models done", cp.folder, state["done"], len(models))
    requests_before, statuses = dict(state["requests"]), Counter(state["statuses"])
    started, seconds_before = time.monotonic(), state["seconds"]
    progress = Progress(len(models), state["done"], "refs", opts.log_every)
    try:
        with logging_redirect_tqdm():
            for rank in range(state["done"], len(models)):
                model_id, downloads = models[rank]
                rec = {"id": model_id, "rank": rank + 1, "downloads": downloads}
                rec |= fetch_model(api, model_id, opts.commits, opts)
                statuses[rec["status"]] += 1
                cp.commit(
                    [encode_record(rec)],
                    done=rank + 1,
                    records=rank + 1,
                    seconds=round(seconds_before + time.monotonic() - started, 3),
                    requests=counter.as_dict(requests_before),
                    statuses=dict(statuses),
                )
                progress.update(1)
    finally:
        progress.close()
        cp.close()
    return finish(cp, snapshot, top, opts, endpoint, bool(token))


def caveats(snapshot: Snapshot, state: dict, opts: RefsOptions, finished: str) -> list[str]:
    notes = [
        f"refs and commit counts are as the Hub answered between {state['started']} and {finished}, "
        f"not as of the census ({snapshot.name}): a branch or tag made after the census is listed",
        "branches and tags are git refs of the model repository; pull-request refs and the 'converts' "
        "refs that the Hub keeps for datasets are left out",
        "main counts as a branch; 'extra branches' are the branches other than main",
    ]
    if opts.commits:
        notes.append(
            "commit_count is the number of commits on main (list_repo_commits), null where the "
            "repository has no main branch"
        )
    else:
        notes.append("commits were not counted (--no-commits): commit_count is null")
    missing = {k: v for k, v in state["statuses"].items() if k != "ok"}
    if missing:
        notes.append(
            "models without refs: "
            + ", ".join(f"{v} {k}" for k, v in sorted(missing.items()))
            + " (deleted, renamed, made private or gated since the census)"
        )
    return notes


def finish(
    cp: Checkpoint, snapshot: Snapshot, top: int, opts: RefsOptions, endpoint: str, authenticated: bool
) -> dict:
    """Write the collected lines as `<snapshot>/refs/` (scripts/snapshot/write.py)."""
    state = cp.state
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = {
        "snapshot": snapshot.name,
        "format": "gzip JSON Lines; one object per model, most downloaded first: id, rank, downloads "
        "(from the census), status, branches and tags [{name, ref, targetCommit}] as "
        "GET /api/models/{id}/refs returned them, commit_count",
        "fields": ["id", "rank", "downloads", "status", "branches", "tags", "commit_count"],
        "top": top,
        "selection": f"the {top} models with the most downloads in census {snapshot.name}, ties by id",
        "census_sha256": snapshot.manifest.get("sha256"),
        "collected": f"{state['started'][:10]}, from the Hugging Face Hub API at {endpoint} "
        f"({state['started']} to {finished})",
        "source": f"Hugging Face Hub API, GET {endpoint}/api/models/{{id}}/refs and /commits/main, "
        "through huggingface_hub HfApi.list_repo_refs and list_repo_commits (scripts/acquire/refs.py)",
        "source_license": "none stated by the Hub for its API; factual repository metadata, redistributed "
        "with attribution",
        "caveats": caveats(snapshot, state, opts, finished),
        "endpoint": endpoint,
        "client_version": f"huggingface_hub {huggingface_hub.__version__}",
        "crawl": {
            "statuses": state["statuses"],
            "resumes": state["resumes"],
            "started": state["started"],
            "finished": finished,
            "seconds": state["seconds"],
            "requests": state["requests"],
            "commits": opts.commits,
            "authenticated": authenticated,
        },
    }
    out = snapshot.folder / REFS_DIR
    with open(cp.folder / RECORDS, "rb") as records:
        written = write_snapshot(
            out, SnapshotKind.REFS, records, manifest, data_file=REFS_FILE, staging=cp.folder / REFS_DIR
        )
    shutil.rmtree(cp.folder)
    summary = ", ".join(f"{v} {k}" for k, v in sorted(state["statuses"].items()))
    log.info(
        "wrote %s: refs of %d models (%s), sha256 %s", out, written["records"], summary, written["sha256"]
    )
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshot", type=Path, required=True, help="census snapshot folder")
    p.add_argument("--top", type=int, required=True, help="how many of the most-downloaded models")
    p.add_argument(
        "--no-commits", action="store_true", help="skip the commit counts (one request a model less)"
    )
    add_http_arguments(p)
    args = p.parse_args(argv)
    setup_logging(args.endpoint)
    if args.top < 1:
        p.error("--top must be positive")
    opts = RefsOptions(commits=not args.no_commits, **http_options(args))
    partial = args.snapshot / f"{REFS_DIR}.partial"
    return run_command(
        lambda: collect(args.snapshot, args.top, opts), partial, args.max_retries, SnapshotError
    )


if __name__ == "__main__":
    sys.exit(main())
