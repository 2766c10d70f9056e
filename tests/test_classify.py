"""The version-marker classifier against real model ids (tests/classifier_cases.tsv), the spec's
seed rule, family keys of real families, a sample of each vendored snapshot, and the CLI.

Every case of the table is a real id; for the snapshot ones the test also checks that the id is in
data/snapshots/2024-07-11 and that the tags the table cites are that record's own, then classifies
both the cited context and the whole real record.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.classify import (
    FORMS,
    REFERS_TO,
    SEED_RULE,
    Classification,
    Marker,
    classify_name,
    classify_record,
    family_key,
)
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, find_snapshots, iter_records

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = Path(__file__).with_name("classifier_cases.tsv")
SPEC = ROOT / "docs" / "version-markers.md"
COLUMNS = ["snapshot", "id", "context", "seed_rule", "own_version", "markers", "note"]


def load_cases(path: Path = CASES_FILE) -> list[dict]:
    """The table's rows as dicts; a malformed row fails with its file and line."""
    cases, header = [], None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            assert header == COLUMNS, f"{path}:{lineno}: header must be {COLUMNS}, not {header}"
            continue
        assert len(cells) == len(COLUMNS), f"{path}:{lineno}: {len(cells)} cells, expected {len(COLUMNS)}"
        row = dict(zip(COLUMNS, cells))
        assert row["seed_rule"] in ("0", "1") and row["own_version"] in ("0", "1"), (
            f"{path}:{lineno}: flags must be 0/1"
        )
        markers = []
        if row["markers"] != "-":
            for part in row["markers"].split(" ; "):
                bits = part.split("|")
                assert len(bits) == 3, f"{path}:{lineno}: marker {part!r} is not text|form|refers_to"
                assert bits[1] in FORMS and bits[2] in REFERS_TO, (
                    f"{path}:{lineno}: unknown form or refers_to in {part!r}"
                )
                markers.append(tuple(bits))
        context = [c for c in row["context"].split(",") if c]
        pipeline = [c.split(":", 1)[1] for c in context if c.startswith("pipeline_tag:")]
        cases.append(
            {
                "line": lineno,
                "snapshot": row["snapshot"],
                "id": row["id"],
                "tags": [c for c in context if not c.startswith("pipeline_tag:")],
                "pipeline_tag": pipeline[0] if pipeline else None,
                "seed_rule": row["seed_rule"] == "1",
                "own_version": row["own_version"] == "1",
                "markers": markers,
                "note": row["note"],
            }
        )
    return cases


CASES = load_cases()


def census(name: str):
    return next(s for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR) if s.name == name)


SNAPSHOTS = ("2024-07-11", "2022-02-21")


@pytest.fixture(scope="module")
def snapshot_2024():
    """The table's records (by snapshot and id) and every 50th record of the 2024-07-11 census."""
    found, sample = {}, []
    for name in SNAPSHOTS:
        wanted = {c["id"] for c in CASES if c["snapshot"] == name}
        for lineno, record in iter_records(census(name).data_file):
            if record["id"] in wanted:
                found[name, record["id"]] = record
            if name == "2024-07-11" and lineno % 50 == 1:
                sample.append(record)
    return found, sample


def assert_consistent(c: Classification) -> None:
    """Invariants every classification keeps, whatever the name."""
    assert c.id == (f"{c.author}/{c.name}" if c.author is not None else c.name)
    assert c.seed_rule == (SEED_RULE.search(c.name) is not None)
    positions = [m.position for m in c.markers]
    assert positions == sorted(positions), f"{c.id}: markers out of order"
    for m in c.markers:
        assert m.form in FORMS and m.refers_to in REFERS_TO, (c.id, m)
        assert c.name[m.position : m.position + len(m.text)] == m.text, (c.id, m)
        assert (m.date is not None) == (m.form == "date"), (c.id, m)
        # Another owner always has its evidence; the model's own has the rule's when one decided it.
        assert m.refers_to == "self" or m.evidence, (c.id, m)
    selfs = [m for m in c.markers if m.refers_to == "self"]
    assert c.own_version == bool(selfs)
    assert c.primary_form == (selfs[0].form if selfs else None)
    assert c.family and c.family == c.family.lower(), (c.id, c.family)


def triples(c: Classification) -> list[tuple[str, str, str]]:
    return [(m.text, m.form, m.refers_to) for m in c.markers]


# --------------------------------------------------------------------------------------------
# The table of real ids
# --------------------------------------------------------------------------------------------


def test_table_is_large_and_covers_every_form_and_refers_to():
    assert len(CASES) >= 150
    assert len({c["id"] for c in CASES}) == len(CASES), "an id is listed twice"
    forms = {m[1] for c in CASES for m in c["markers"]}
    refers = {m[2] for c in CASES for m in c["markers"]}
    assert forms == set(FORMS), f"no case for {set(FORMS) - forms}"
    assert refers == set(REFERS_TO), f"no case for {set(REFERS_TO) - refers}"
    # the brief's hard negatives: each stands in some case, and no marker of that case covers it
    for token in (
        "wav2vec2",
        "resnet50",
        "7b",
        "1.5B",
        "Q4_K_M",
        "patch16-224",
        "seed5",
        "mobilenetv3",
        "t5",
        "e5",
        "lr1e-4",
        "8x7b",
        "GGUF",
        "6.0bpw",
        "10-10-0.",
    ):
        covered = []
        for case in CASES:
            name = case["id"].partition("/")[2]
            at = name.find(token)
            if at < 0:
                continue
            spans = [(m.position, m.position + len(m.text)) for m in classify_name(case["id"]).markers]
            covered.append(any(s < at + len(token) and at < e for s, e in spans))
        assert covered and not all(covered), f"no case where {token!r} stands unread"


def test_no_case_is_a_labelled_id():
    """The rules are checked on ids outside every labelled set, so the labels stay a fair measure."""
    labelled = set()
    for path in sorted((ROOT / "data" / "validation").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                labelled.add(json.loads(line)["id"])
    assert len(labelled) == 600 + 569
    assert sorted({c["id"] for c in CASES} & labelled) == []


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_with_cited_context(case):
    c = classify_name(case["id"], case["tags"], case["pipeline_tag"])
    assert_consistent(c)
    assert triples(c) == case["markers"], f"{CASES_FILE.name}:{case['line']} {case['note']}"
    assert c.seed_rule == case["seed_rule"]
    assert c.own_version == case["own_version"]


def test_cases_are_real_records_and_their_context_is_theirs(snapshot_2024):
    found, _ = snapshot_2024
    for case in CASES:
        if case["snapshot"] not in SNAPSHOTS:
            assert case["snapshot"] == "later", f"{CASES_FILE.name}:{case['line']}: unknown snapshot"
            continue
        record = found.get((case["snapshot"], case["id"]))
        assert record is not None, (
            f"{CASES_FILE.name}:{case['line']}: {case['id']} is not in {case['snapshot']}"
        )
        assert case["pipeline_tag"] == record.get("pipeline_tag"), case["id"]
        missing = set(case["tags"]) - set(record.get("tags") or [])
        assert not missing, f"{CASES_FILE.name}:{case['line']}: tags {missing} are not the record's"
        # the whole record (all its tags, its library) reads the same as the cited context
        c = classify_record(record)
        assert_consistent(c)
        assert triples(c) == case["markers"], f"{CASES_FILE.name}:{case['line']}"
        assert (c.seed_rule, c.own_version) == (case["seed_rule"], case["own_version"])


# --------------------------------------------------------------------------------------------
# The seed rule, details of markers, evidence
# --------------------------------------------------------------------------------------------


def test_seed_rule_is_the_spec_regex():
    spec = SPEC.read_text(encoding="utf-8")
    assert "    " + SEED_RULE.pattern + "\n" in spec, "SEED_RULE differs from docs/version-markers.md"
    assert SEED_RULE.search("ppo-LunarLander-v2")  # counts an environment's version
    assert not SEED_RULE.search("Llama-3.1-8B")  # misses a bare version
    assert not SEED_RULE.search("mobilenetv3_large_100")  # a glued v is not preceded by a boundary
    assert SEED_RULE.search("stable-diffusion-v1-5").group() == "v1-5"


def test_marker_numbers_dates_and_evidence():
    c = classify_name("mistralai/Mistral-7B-Instruct-v0.2")
    assert c.markers == (
        Marker("v0.2", "v_minor", "self", 20, 0, 2, None, None, "the author publishes mistral"),
    )
    c = classify_name("digiplay/AbsoluteReality_v1.8.1")
    assert (c.markers[0].major, c.markers[0].minor, c.markers[0].patch) == (1, 8, 1)
    dates = {
        "mideind/nmt-doc-en-is-2022-10": "2022-10",
        "intanm/ct-kld-mbert-20230907": "2023-09-07",
        "BAAI/Infinity-Instruct-3M-0613-Mistral-7B": "--06-13",  # MMDD: no year in the name
        "lcw99/llama-3-10b-wiki-240709-f": "2024-07-09",
        "cardiffnlp/twitter-roberta-base-dec2021": "2021-12",
        "scb10x/typhoon-7b-instruct-02-19-2024": "2024-02-19",
        "NbAiLab/notram-bert-norwegian-cased-080321": "2021-03-08",  # DDMMYY
        "phongtintruong/misjava-api-052924": "2024-05-29",  # MMDDYY when not DDMMYY
        "vuminhtue/Bert_large_NER_PII_062024": "2024-06",  # MMYYYY
    }
    for model_id, iso in dates.items():
        (m,) = [m for m in classify_name(model_id).markers if m.form == "date"]
        assert m.date == iso, model_id
        assert (m.major, m.minor, m.patch) == (None, None, None)
    assert classify_name("x/Mistral-Nemo-Instruct-2407").markers[0].date == "2024-07"  # YYMM
    step = classify_name("TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T").markers[0]
    assert (step.text, step.major) == ("step-1431k", 1431000)
    glued = classify_name("openai-community/gpt2").markers[0]
    assert (glued.text, glued.position, glued.major) == ("2", 3, 2)

    tagged = classify_name(
        "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
        ["base_model:mistralai/Mistral-7B-Instruct-v0.2"],
        "text-generation",
    )
    assert tagged.markers[0].evidence == "base_model tag mistralai/Mistral-7B-Instruct-v0.2"
    env = classify_name("x/ppo-LunarLander-v2", ["LunarLander-v2"], "reinforcement-learning").markers[0]
    assert env.refers_to == "environment" and "LunarLander-v2" in env.evidence
    data = classify_name("x/bert-base-uncased-pf-squad_v2", ["dataset:squad_v2"]).markers[0]
    assert data.refers_to == "dataset" and "squad" in data.evidence


def test_same_author_base_and_plain_words_in_rl_records():
    # a base_model tag from the same author is the author's own family: self
    c = classify_name("Qwen/Qwen2-7B-Instruct-GGUF", ["base_model:Qwen/Qwen2-7B-Instruct"])
    assert triples(c) == [("2", "glued", "self")]
    # a plain environment word marks an environment only in a reinforcement-learning record
    assert triples(classify_name("x/taxi-v3")) == [("v3", "v_major", "self")]
    assert triples(classify_name("x/taxi-v3", (), "reinforcement-learning")) == [
        ("v3", "v_major", "environment")
    ]
    # Common Voice's "cv" is a dataset only in an audio model
    assert triples(classify_name("x/whisper-small-cv13")) == []
    assert triples(classify_name("x/whisper-small-cv13", (), "automatic-speech-recognition")) == [
        ("13", "glued", "dataset")
    ]


def test_names_without_author_and_records_without_tags():
    c = classify_name("gpt2")
    assert (c.author, c.name, triples(c)) == (None, "gpt2", [("2", "glued", "base_model")])
    assert classify_name("v1.0.0-rc1").primary_form == "v_patch"
    assert classify_record({"id": "x/model-v2"}).own_version
    assert classify_record({"id": "x/model-v2", "tags": None, "pipeline_tag": None}).own_version
    assert not classify_name("x/bert-base-uncased").markers


def test_results_are_frozen():
    c = classify_name("x/model-v2")
    with pytest.raises(AttributeError):
        c.own_version = False
    with pytest.raises(AttributeError):
        c.markers[0].text = "v3"
    assert c.own_version and c.markers[0].text == "v2"


# --------------------------------------------------------------------------------------------
# Family keys
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names,key",
    [
        (["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-13b-hf", "meta-llama/Llama-2-70b-hf"], "llama-hf"),
        (
            [
                "mistralai/Mistral-7B-Instruct-v0.1",
                "mistralai/Mistral-7B-Instruct-v0.2",
                "mistralai/Mistral-7B-Instruct-v0.3",
                "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
            ],
            "mistral-instruct",
        ),
        (["Qwen/Qwen2-7B-Instruct", "Qwen/Qwen2-1.5B-Instruct", "Qwen/Qwen2-72B-Instruct"], "qwen-instruct"),
        (["openai-community/gpt2", "gpt2"], "gpt"),
        (["BAAI/bge-small-en-v1.5", "BAAI/bge-small-en"], "bge-small-en"),
        (
            [
                "TheBloke/Llama-2-7B-Chat-GGUF",
                "TheBloke/Llama-2-13B-chat-GPTQ",
                "TheBloke/Llama-2-70B-Chat-AWQ",
            ],
            "llama-chat",
        ),
        (
            [
                "stabilityai/stable-diffusion-2-1",
                "stabilityai/stable-diffusion-2",
                "runwayml/stable-diffusion-v1-5",
            ],
            "stable-diffusion",
        ),
        (
            ["sb3/ppo-LunarLander-v2", "ThomasSimonini/ppo-LunarLander-v2"],
            "ppo-lunarlander-v2",
        ),  # environment stays
    ],
)
def test_family_key_groups_real_families(names, key):
    assert {family_key(n) for n in names} == {key}


def test_family_key_keeps_environments_apart_and_is_never_empty():
    assert family_key("ppo-LunarLander-v2") != family_key("ppo-LunarLander-v3")
    assert family_key("TheBloke/Llama-2-7B-Chat-GGUF") != family_key("TheBloke/Llama-2-7B-GGUF")
    for name in ("7B", "v2", "2024-05-22", "GGUF", "Q4_K_M", "-", "1.0.0"):
        assert family_key(name), name
    assert family_key("7B") == "7b"
    assert classify_name("meta-llama/Llama-2-7b-hf").family == family_key("Llama-2-7b-hf")


# --------------------------------------------------------------------------------------------
# Whole-snapshot samples
# --------------------------------------------------------------------------------------------


def test_sample_of_2024_snapshot(snapshot_2024):
    _, sample = snapshot_2024
    assert len(sample) == 15200
    refers, forms, own = set(), set(), 0
    for record in sample:
        c = classify_record(record)
        assert_consistent(c)
        refers |= {m.refers_to for m in c.markers}
        forms |= {m.form for m in c.markers}
        own += c.own_version
    assert refers == set(REFERS_TO)
    assert forms >= set(FORMS) - {"revision"}
    # the refined count must not simply copy the seed rule's
    seed = sum(SEED_RULE.search(r["id"].partition("/")[2] or r["id"]) is not None for r in sample)
    assert own != seed and 0.05 < own / len(sample) < 0.5


def test_sample_of_2022_snapshot():
    n = 0
    for lineno, record in iter_records(census("2022-02-21").data_file):
        if lineno % 10 == 1:
            assert_consistent(classify_record(record))
            n += 1
    assert n == 2937


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def run_cli(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.classify"],
        input=text,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_writes_one_line_per_record_in_order():
    records = [
        {
            "id": "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
            "tags": ["base_model:mistralai/Mistral-7B-Instruct-v0.2"],
        },
        {
            "id": "sb3/ppo-LunarLander-v2",
            "tags": ["LunarLander-v2"],
            "pipeline_tag": "reinforcement-learning",
        },
        {"id": "google-bert/bert-base-uncased", "tags": []},
        {"id": "gpt2"},
    ]
    p = run_cli("".join(json.dumps(r) + "\n" for r in records))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert [o["id"] for o in out] == [r["id"] for r in records]
    for o in out:
        assert {"id", "seed_rule", "own_version", "markers", "family"} <= set(o)
        for m in o["markers"]:
            assert {"text", "form", "refers_to"} <= set(m)
    first = out[0]["markers"][0]
    assert (first["text"], first["form"], first["refers_to"], first["position"]) == (
        "v0.2",
        "v_minor",
        "base_model",
        20,
    )
    assert (out[1]["seed_rule"], out[1]["own_version"], out[1]["markers"][0]["refers_to"]) == (
        True,
        False,
        "environment",
    )
    assert out[2]["markers"] == [] and out[2]["family"] == "bert-base-uncased"
    assert out[3]["family"] == "gpt"


def test_cli_reports_bad_lines_with_numbers_and_exits_2_after_the_good_ones():
    text = (
        "\n".join(
            [
                json.dumps({"id": "x/model-v1"}),
                "not json",
                json.dumps(["x/model-v2"]),
                json.dumps({"name": "x/model-v3"}),
                json.dumps({"id": 7}),
                "",
                json.dumps({"id": "x/model-v4", "tags": "v4"}),
                json.dumps({"id": "x/model-v5"}),
            ]
        )
        + "\n"
    )
    p = run_cli(text)
    assert p.returncode == 2
    assert [json.loads(line)["id"] for line in p.stdout.splitlines()] == ["x/model-v1", "x/model-v5"]
    errors = p.stderr.splitlines()
    for lineno in (2, 3, 4, 5, 6, 7):
        assert any(e.startswith(f"stdin:{lineno}: ") for e in errors), (lineno, p.stderr)
    assert 'stdin:4: not a JSON object with a string "id"' in errors
    assert any(e.startswith("stdin:6: blank line") for e in errors)
    assert not any(e.startswith(("stdin:1:", "stdin:8:")) for e in errors)


def test_cli_empty_input():
    p = run_cli("")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
