"""The fake Hub answers the real huggingface_hub client over real HTTP the way the Hub does:
Link-header paging, expand projections, refs and commits, Hub error codes, and injected faults."""

from __future__ import annotations

import gzip
import json

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import parse_ratelimit_headers

from scripts.dev import fakehub
from tests.fakehub_fixture import cut_census, recorded_ids, running_hub


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fakehub") / "census"
    records = cut_census(folder, 2_500, also=recorded_ids())
    return folder, records


@pytest.fixture(scope="module")
def hub(census):
    with running_hub(census[0]) as h:
        yield h


def test_list_models_pages_through_link_headers_in_download_order(census, hub):
    _, records = census
    api = HfApi(endpoint=hub.url, token=False)
    before = hub.stats.pages
    models = list(api.list_models(sort="downloads", limit=None, expand=["downloads", "likes"]))
    # The client asked for pages until no Link header came back: 1000 a page by default.
    assert hub.stats.pages - before == -(-len(records) // 1000)
    assert sorted(m.id for m in models) == sorted(r["id"] for r in records)
    downloads = [m.downloads for m in models]
    assert downloads == sorted(downloads, reverse=True)


def test_expand_projects_records_and_never_invents_fields(census, hub):
    _, records = census
    r = httpx2.get(
        f"{hub.url}/api/models", params=[("limit", 5), ("expand", "downloads"), ("expand", "author")]
    )
    assert r.status_code == 200
    page = r.json()
    by_id = {rec["id"]: rec for rec in records}
    for item in page:
        # The vendored census has no author field: the fake Hub does not make one up.
        assert set(item) == {"_id", "id", "downloads"}
        assert item["downloads"] == by_id[item["id"]]["downloads"]
    link = r.links["next"]["url"]
    assert link.startswith(hub.url + "/api/models?") and "cursor=" in link and "expand=author" in link


def test_limit_is_the_page_size_and_the_last_page_has_no_link(census, hub):
    _, records = census
    url, seen, pages = f"{hub.url}/api/models?limit=700", [], 0
    while url:
        r = httpx2.get(url)
        pages += 1
        seen += [rec["id"] for rec in r.json()]
        url = r.links.get("next", {}).get("url")
    assert pages == -(-len(records) // 700)
    assert seen == [rec["id"] for rec in records]  # no sort: the snapshot file's order


def test_bad_parameters_are_400s_as_on_the_hub(hub):
    assert httpx2.get(f"{hub.url}/api/models", params={"expand": "nonsense"}).status_code == 400
    assert httpx2.get(f"{hub.url}/api/models", params={"sort": "name"}).status_code == 400
    assert httpx2.get(f"{hub.url}/api/models", params={"cursor": "eyJzIjpudWxsfQ"}).status_code == 400


def test_refs_and_commits_through_the_client(hub):
    api = HfApi(endpoint=hub.url, token=False)
    recorded = {
        json.loads(line)["id"]: json.loads(line) for line in fakehub.DEFAULT_REFS.read_text().splitlines()
    }
    refs = api.list_repo_refs("nomic-ai/gpt4all-j")
    assert [b.name for b in refs.branches] == [b["name"] for b in recorded["nomic-ai/gpt4all-j"]["branches"]]
    assert all(len(b.target_commit) == 40 for b in refs.branches)
    assert refs.tags == []
    pythia = api.list_repo_refs("EleutherAI/pythia-70m")
    assert len(pythia.branches) == 155 and {"main", "step0", "step143000"} <= {
        b.name for b in pythia.branches
    }
    # A model without recorded refs has main only, and one commit on it.
    plain = api.list_repo_refs("google-bert/bert-base-uncased")
    assert [b.name for b in plain.branches] == ["main"]
    commits = api.list_repo_commits("google-bert/bert-base-uncased")
    assert len(commits) == 1 and commits[0].commit_id == plain.branches[0].target_commit
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_refs("nobody/no-such-model")
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_commits("google-bert/bert-base-uncased", revision="no-such-branch")


def test_commits_page_with_link_headers(tmp_path):
    folder = tmp_path / "census"
    cut_census(folder, 3)
    model = json.loads(gzip.open(folder / "models.jsonl.gz").readline())["id"]
    refs = tmp_path / "refs.jsonl"
    refs.write_text(
        json.dumps({"id": model, "branches": [{"name": "main"}], "tags": [], "commit_count": 123}) + "\n"
    )
    with running_hub(folder, refs_file=refs) as h:
        commits = HfApi(endpoint=h.url, token=False).list_repo_commits(model)
    assert len(commits) == 123 and len({c.commit_id for c in commits}) == 123
    assert commits[-1].title == "initial commit"


@pytest.mark.parametrize("fault", ["429", "500", "drop", "truncate"])
def test_each_fault_is_what_it_says(census, fault):
    rates = {f"rate_{fault}": 1.0}
    with running_hub(census[0], fakehub.Faults(retry_after=7, max_streak=1, **rates)) as h:
        url = f"{h.url}/api/models?limit=50"
        with httpx2.Client() as client:
            if fault == "drop":
                with pytest.raises(httpx2.RemoteProtocolError):
                    client.get(url)
            else:
                r = client.get(url)
                if fault == "429":
                    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
                    info = parse_ratelimit_headers(r.headers)
                    assert info.remaining == 0 and info.reset_in_seconds == 7
                elif fault == "500":
                    assert r.status_code == 500
                else:
                    assert r.status_code == 200
                    with pytest.raises(json.JSONDecodeError):
                        r.json()
            # max_streak=1: the same URL asked again is answered properly.
            again = client.get(url)
            assert again.status_code == 200 and len(again.json()) == 50
        assert h.stats.faults[fault] == 1


def test_quota_is_a_fixed_window_with_ratelimit_headers(census):
    with running_hub(census[0], fakehub.Faults(quota=3, window=60)) as h:
        answers = [httpx2.get(f"{h.url}/api/models?limit=1") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert parse_ratelimit_headers(answers[1].headers).remaining == 1
    info = parse_ratelimit_headers(answers[3].headers)
    assert (
        info.remaining == 0
        and 0 < info.reset_in_seconds <= 60
        and info.limit == 3
        and info.window_seconds == 60
    )
    with pytest.raises(HfHubHTTPError):  # what the client makes of it once out of retries
        from huggingface_hub.utils import hf_raise_for_status

        hf_raise_for_status(answers[3])


def test_the_cli_prints_its_url_and_serves(census):
    import subprocess
    import sys

    from tests.fakehub_fixture import ROOT

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.dev.fakehub",
            "--snapshot",
            str(census[0]),
            "--port",
            "0",
            "--max-records",
            "10",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert len(httpx2.get(f"{url}/api/models").json()) == 10
    finally:
        proc.terminate()
        proc.wait(10)
