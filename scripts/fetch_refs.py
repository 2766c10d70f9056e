"""Collect the git branches, tags and commit counts of a census snapshot's most-downloaded models.

    python -m scripts.fetch_refs --snapshot data/snapshots/2026-11-26 --top 1000 [--endpoint URL]
        [--no-commits] [--max-retries 5]

For the N models with the most downloads in the snapshot (ties by id), asks the Hub for the repo's
branches and tags (`HfApi.list_repo_refs`) and the number of commits on `main`
(`HfApi.list_repo_commits`), and writes `<snapshot>/refs/refs.jsonl.gz`, one line per model:

    {"id", "rank", "downloads", "status": "ok" | "not_found" | "gated" | "error 4xx",
     "branches": [{"name", "ref", "targetCommit"}], "tags": [...], "commit_count": int | null}

with `<snapshot>/refs/MANIFEST.json` (kind "refs"). The census files are not touched. Resumable
like scripts/fetch.py: progress is checkpointed after every model in `<snapshot>/refs.partial/`,
and the finished folder is renamed into place in one step, never over an existing one.

`list_repo_refs` makes one plain request without retries, and `list_repo_commits` retries status
codes itself but not a malformed body, so every call goes through a tenacity policy that retries
429 (waiting what `RateLimit` or `Retry-After` says), 408/5xx, broken connections and malformed
bodies with exponential backoff, then stops the run with the URL. A model the Hub no longer has
(404) is recorded with its status and the run goes on. The loader is scripts/refs.py.
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import huggingface_hub
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tqdm.contrib.logging import logging_redirect_tqdm

from scripts import fetch
from scripts.fetch import (
    RECORDS,
    REQUESTS,
    STATE,
    Checkpoint,
    CrawlError,
    MalformedResponse,
    Progress,
    _short,
    configure_client,
    gzip_and_hash,
    publish_folder,
    retrying,
    token_from_env,
    write_json_atomic,
)
from scripts.snapshots import Snapshot, SnapshotError, iter_records, read_manifest, verify

log = logging.getLogger("fetch_refs")

REFS_DIR = "refs"
REFS_FILE = "refs.jsonl.gz"


def top_models(snapshot: Snapshot, n: int) -> list[tuple[str, int]]:
    """(id, downloads) of the n most-downloaded models, most first, ties by id."""
    best = heapq.nsmallest(
        n, ((-(r.get("downloads") or 0), r["id"]) for _, r in iter_records(snapshot.data_file))
    )
    return [(model_id, -neg) for neg, model_id in best]


def _ref(item) -> dict:
    return {"name": item.name, "ref": item.ref, "targetCommit": item.target_commit}


def fetch_model(api: HfApi, model_id: str, commits: bool, opts) -> dict:
    """The refs (and commit count) of one model; raises CrawlError when retries run out."""
    base = f"{api.endpoint}/api/models/{model_id}"

    def call(what: str, fn):
        try:
            for attempt in retrying(f"GET {what}", opts.max_retries, opts.backoff, opts.max_backoff):
                with attempt:
                    try:
                        return fn()
                    except (KeyError, TypeError) as e:  # valid JSON of the wrong shape
                        raise MalformedResponse(
                            what, f"unexpected answer ({type(e).__name__}: {e})"
                        ) from None
        except MalformedResponse as e:
            raise MalformedResponse(
                what, f"{e.detail}; still malformed after {opts.max_retries + 1} attempts"
            ) from e
        except json.JSONDecodeError as e:
            raise MalformedResponse(
                what, f"not valid JSON after {opts.max_retries + 1} attempts ({e})"
            ) from None

    rec: dict = {"status": "ok"}
    try:
        refs = call(f"{base}/refs", lambda: api.list_repo_refs(model_id))
    except GatedRepoError:
        return {"status": "gated"}
    except RepositoryNotFoundError:
        return {"status": "not_found"}
    except HfHubHTTPError as e:
        code = e.response.status_code if e.response is not None else None
        if code is not None and 400 <= code < 500 and code not in fetch.RETRY_STATUS:
            return {"status": f"error {code}"}
        raise
    rec["branches"] = [_ref(b) for b in refs.branches]
    rec["tags"] = [_ref(t) for t in refs.tags]
    rec["commit_count"] = None
    if commits:
        try:
            rec["commit_count"] = len(call(f"{base}/commits/main", lambda: api.list_repo_commits(model_id)))
        except RevisionNotFoundError:  # no `main`: the count stays null
            pass
    return rec


def collect(snapshot_dir: Path, top: int, opts: RefsOptions, token: str | bool | None = None) -> dict:
    """Collect (or resume collecting) refs for the top models of a snapshot; returns the refs manifest."""
    folder = Path(snapshot_dir)
    snapshot = Snapshot(folder.name, folder, read_manifest(folder))
    snapshot = Snapshot(snapshot.manifest.get("snapshot", folder.name), folder, snapshot.manifest)
    if snapshot.kind != "census":
        raise CrawlError(
            f"{folder / 'MANIFEST.json'}: kind {snapshot.kind!r}; refs are collected for census snapshots"
        )
    out, partial = folder / REFS_DIR, folder / f"{REFS_DIR}.partial"
    if out.exists():
        raise CrawlError(
            f"{out}: already exists; collected refs are never overwritten "
            f"(delete the folder to collect them again)"
        )
    verify(snapshot)
    token = token_from_env() if token is None else token
    configure_client(opts.timeout)
    api = HfApi(endpoint=opts.endpoint.rstrip("/"), token=token, library_name="hub-versioning-fetch-refs")
    identity = {
        "endpoint": api.endpoint,
        "top": top,
        "commits": opts.commits,
        "census_sha256": snapshot.manifest.get("sha256"),
    }
    cp = Checkpoint(partial, identity)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    resumed = cp.open(
        {
            "done": 0,
            "records": 0,
            "started": now,
            "resumes": 0,
            "seconds": 0.0,
            "requests": {},
            "statuses": {},
        }
    )
    state = cp.state
    log.info("reading the %d most-downloaded models of %s", top, snapshot.data_file)
    models = top_models(snapshot, top)
    if resumed:
        state["resumes"] += 1
        log.info("resuming %s: %d of %d models done", partial, state["done"], len(models))
    REQUESTS.clear()
    requests_before = Counter(state["requests"])
    statuses = Counter(state["statuses"])
    started, seconds_before = time.monotonic(), state["seconds"]
    progress = Progress(len(models), state["done"], "refs", opts.log_every)
    try:
        with logging_redirect_tqdm():
            for rank in range(state["done"], len(models)):
                model_id, downloads = models[rank]
                rec = {
                    "id": model_id,
                    "rank": rank + 1,
                    "downloads": downloads,
                    **fetch_model(api, model_id, opts.commits, opts),
                }
                statuses[rec["status"]] += 1
                line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                requests = requests_before + Counter({str(k): v for k, v in REQUESTS.items()})
                cp.commit(
                    [line],
                    done=rank + 1,
                    records=rank + 1,
                    seconds=round(seconds_before + time.monotonic() - started, 3),
                    requests=dict(requests),
                    statuses=dict(statuses),
                )
                progress.update(1)
    finally:
        progress.close()
        cp.close()
    return finish(out, partial, snapshot, state, top, opts, api.endpoint, bool(token))


def finish(
    out: Path,
    partial: Path,
    snapshot: Snapshot,
    state: dict,
    top: int,
    opts,
    endpoint: str,
    authenticated: bool,
) -> dict:
    staging = partial / "refs"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    sha = gzip_and_hash(partial / RECORDS, staging / REFS_FILE)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    statuses = state["statuses"]
    caveats = [
        f"refs and commit counts are as the Hub answered between {state['started']} and {finished}, "
        f"not as of the census ({snapshot.name}): a branch or tag made after the census is listed",
        "branches and tags are git refs of the model repository; pull-request refs and the 'converts' "
        "refs that the Hub keeps for datasets are left out",
        "main counts as a branch; 'extra branches' are the branches other than main",
    ]
    if opts.commits:
        caveats.append(
            "commit_count is the number of commits on main (list_repo_commits), null where the "
            "repository has no main branch"
        )
    else:
        caveats.append("commits were not counted (--no-commits): commit_count is null")
    missing = {k: v for k, v in statuses.items() if k != "ok"}
    if missing:
        caveats.append(
            "models without refs: "
            + ", ".join(f"{v} {k}" for k, v in sorted(missing.items()))
            + " (deleted, renamed, made private or gated since the census)"
        )
    manifest = {
        "snapshot": snapshot.name,
        "kind": "refs",
        "records": state["records"],
        "file": REFS_FILE,
        "sha256": sha,
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
        "through huggingface_hub HfApi.list_repo_refs and list_repo_commits (scripts/fetch_refs.py)",
        "source_license": "none stated by the Hub for its API; factual repository metadata, redistributed "
        "with attribution",
        "caveats": caveats,
        "endpoint": endpoint,
        "client_version": f"huggingface_hub {huggingface_hub.__version__}",
        "crawl": {
            "statuses": statuses,
            "resumes": state["resumes"],
            "started": state["started"],
            "finished": finished,
            "seconds": state["seconds"],
            "requests": state["requests"],
            "commits": opts.commits,
            "authenticated": authenticated,
        },
    }
    write_json_atomic(staging / "MANIFEST.json", manifest)
    publish_folder(staging, out)
    shutil.rmtree(partial)
    log.info(
        "wrote %s: refs of %d models (%s), sha256 %s",
        out,
        state["records"],
        ", ".join(f"{v} {k}" for k, v in sorted(statuses.items())),
        sha,
    )
    return manifest


@dataclass
class RefsOptions(fetch.CrawlOptions):
    commits: bool = True  # also count the commits on main: one more request (or more) a model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshot", type=Path, required=True, help="census snapshot folder")
    p.add_argument("--top", type=int, required=True, help="how many of the most-downloaded models")
    p.add_argument(
        "--no-commits", action="store_true", help="skip the commit counts (one request a model less)"
    )
    fetch.add_http_arguments(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.top < 1:
        p.error("--top must be positive")
    opts = RefsOptions(
        commits=not args.no_commits,
        endpoint=args.endpoint,
        max_retries=args.max_retries,
        backoff=args.backoff,
        max_backoff=args.max_backoff,
        timeout=args.timeout,
        log_every=args.log_every,
    )
    partial = args.snapshot / f"{REFS_DIR}.partial"
    try:
        collect(args.snapshot, args.top, opts)
    except (CrawlError, SnapshotError) as e:
        log.error(
            "%s%s",
            e,
            f"\nprogress is saved in {partial}; run the same command again to resume"
            if (partial / STATE).is_file()
            else "",
        )
        return 1
    except (HfHubHTTPError, httpx2.HTTPError) as e:
        log.error(
            "request failed after %d retries: %s\nprogress is saved in %s; run the same command again "
            "to resume",
            args.max_retries,
            _short(e),
            partial,
        )
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; progress is saved in %s; run the same command again to resume", partial)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
