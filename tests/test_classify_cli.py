"""`python -m scripts.classify` on bad input: each bad line reported with its number, the rest kept;
time linear in a name's length (a ratio of CPU times within one run)."""

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


# Names of each shape at a length n: the shapes that made a backtracking pattern slow.
SHAPES = {
    "a...a1": lambda n: "a" * n + "1",
    "v...v": lambda n: "v" * n,
    "1.1....": lambda n: "1." * (n // 2),
    "-v-v...": lambda n: "-v" * (n // 2),
    "a1a1...": lambda n: "a1" * (n // 2),
    "ab-ab-...v2": lambda n: "ab-" * (n // 3) + "v2",
    "av1av1...": lambda n: "av1" * (n // 3),
    "Llama-...3.1": lambda n: "Llama-" * (n // 6) + "3.1",
    "x...xv2": lambda n: "x" * n + "v2",
}


def classify_cpu_seconds(name: str, repeat: int = 3) -> float:
    """The least CPU time of `repeat` classifications of the name (the least is the least disturbed
    by other work on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        classify_name("author/" + name)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("shape", SHAPES)
def test_a_100000_character_name_takes_time_linear_in_its_length(shape):
    # A ratio within one run, not a wall-clock limit (a loaded machine slows both alike): ten times
    # the length takes about ten times as long when the work is linear, a hundred when quadratic.
    short = classify_cpu_seconds(SHAPES[shape](10_000))
    long = classify_cpu_seconds(SHAPES[shape](100_000))
    assert long < 30 * short + 0.05
