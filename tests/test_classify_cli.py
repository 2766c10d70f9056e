"""`python -m scripts.classify` on bad input: each bad line reported with its number, the rest kept;
time linear in a name's length."""

import json
import subprocess
import sys
import time

import pytest

from scripts.classify import classify_name

GOOD = {
    "id": "mistralai/Mistral-7B-Instruct-v0.2",
    "tags": ["text-generation"],
    "pipeline_tag": "text-generation",
}


def run(lines: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.classify"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=60,
    )


@pytest.mark.parametrize(
    "bad, reason",
    [
        ('{"id": "a/b\\ud800-v2"}', '"id" is not valid Unicode'),
        (
            '{"id": "a/b-v2", "library_name": ["transformers"]}',
            '"library_name" must be a string or null, not list',
        ),
        ('{"id": "a/b-v2", "pipeline_tag": 7}', '"pipeline_tag" must be a string or null, not int'),
        ('{"id": "a/b-v2", "tags": "text-generation"}', '"tags" must be a list of strings'),
        ('{"id": "a/b-v2", "tags": [1, 2]}', '"tags" must be a list of strings'),
        ('{"id": "a/b-v2", "tags": ["ok\\udc80"]}', '"tags" is not valid Unicode'),
        ("not json", "not valid JSON"),
        ('["a/b-v2"]', 'not a JSON object with a string "id"'),
    ],
)
def test_a_bad_line_is_reported_and_the_next_lines_are_classified(bad, reason):
    result = run([json.dumps(GOOD), bad, json.dumps(GOOD | {"id": "x/y-v3"})])
    assert result.returncode == 2
    assert f"stdin:2: {reason}" in result.stderr
    assert "Traceback" not in result.stderr
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == [GOOD["id"], "x/y-v3"]


@pytest.mark.parametrize(
    "name",
    [
        "a" * 100_000 + "1",
        "v" * 100_000,
        "1." * 50_000,
        "-v" * 50_000,
        "a1" * 50_000,
        "ab-" * 33_333 + "v2",
        "av1" * 33_333,
        "Llama-" * 16_666 + "3.1",
        "x" * 99_998 + "v2",
    ],
    ids=lambda n: f"{n[:6]}..{len(n)}",
)
def test_a_100000_character_name_takes_under_a_second(name):
    started = time.perf_counter()
    classify_name("author/" + name)
    assert time.perf_counter() - started < 1.0
