"""Model ids shaped like Hugging Face access tokens are masked in everything the build publishes
(database, downloads) and the About page says so; the snapshot keeps the record as it was."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from scripts import build
from scripts.load.census import TOKEN_SHAPED, mask_tokens
from tests.test_build_faults import CUT, record_line, vendored_lines, write_census

TOKENS = ["hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "hf_" + "Zy" * 16 + "Q1"]


@pytest.fixture(scope="module")
def masked_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tokens")
    snapshots = tmp / "snapshots"
    lines = vendored_lines("2022-02-21", CUT)
    lines[10] = record_line(10, id=f"someone/{TOKENS[0]}")
    lines[11] = record_line(11, id=f"someone/{TOKENS[1]}")
    write_census(snapshots / "2022-02-21", lines)
    out = tmp / "build" / "hub.db"
    build.build(out, snapshots, workers=1)
    return snapshots, out


def test_token_shaped_ids_are_masked_in_the_database(masked_build):
    _, out = masked_build
    conn = sqlite3.connect(out)
    ids = [r[0] for r in conn.execute("select id from models where id like 'someone/%' order by key")]
    names = [
        r[0] for r in conn.execute("select model_id from model_versioning where model_id like 'someone/%'")
    ]
    assert len(ids) == 2 and all(i.startswith("someone/hf_MASKED_") for i in ids)
    assert ids[0] != ids[1] and sorted(names) == sorted(ids)
    assert all(not TOKEN_SHAPED.search(i.encode()) for i in ids)
    found = conn.execute("select count(*) from models_fts where models_fts match 'MASKED'").fetchone()[0]
    assert found == 2
    data = out.resolve().read_bytes()
    assert not any(t.encode() in data for t in TOKENS)


def test_no_download_file_holds_a_token(masked_build):
    _, out = masked_build
    files = sorted((out.parent / "downloads").iterdir())
    assert any(f.name == "models.csv.gz" for f in files)
    for f in files:
        data = f.read_bytes()
        if f.suffix == ".gz":
            data = gzip.decompress(data)
        assert not any(t.encode() in data for t in TOKENS), f
    with gzip.open(out.parent / "downloads" / "models.csv.gz", "rt") as f:
        assert sum("someone/hf_MASKED_" in line for line in f) == 2


def test_the_snapshot_keeps_the_record_as_the_hub_answered(masked_build):
    snapshots, _ = masked_build
    with gzip.open(snapshots / "2022-02-21" / "models.jsonl.gz", "rt") as f:
        ids = [json.loads(line)["id"] for line in f]
    assert f"someone/{TOKENS[0]}" in ids and f"someone/{TOKENS[1]}" in ids


def test_the_mask_is_stable_distinct_and_leaves_other_hf_words():
    line = f'{{"id": "a/{TOKENS[0]}", "tags": ["hf_hub", "x{TOKENS[1]}"]}}'.encode()
    masked = mask_tokens(line)
    assert masked == mask_tokens(line) and TOKENS[0].encode() not in masked
    assert b'"hf_hub"' in masked and f"x{TOKENS[1]}".encode() in masked  # not token-shaped: kept
    assert mask_tokens(line.replace(b"AbC", b"AbD")) != masked


def test_the_about_page_says_what_was_done_and_why(site):
    response = site.get("/about")
    assert response.status_code == 200
    html = response.text
    assert "Model ids shaped like access tokens: masked" in html
    assert "hf_MASKED_" in html and "the same in every build" in html
    rows = site.get("/hub/models.json?id__contains=%2Fhf_MASKED_&_shape=array")
    assert rows.status_code == 200
    assert all("/hf_MASKED_" in r["id"] for r in rows.json())
