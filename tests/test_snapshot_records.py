"""The id check's one-pattern path (scripts/snapshot/records.py `id_problem`, VALID_ID) gives the
verdict and the message of the check part by part (`explain_id`) for every id: real ids of both
vendored censuses, the refused ids of issue 16, every short string over the characters that
matter, and parts at the length limit."""

from __future__ import annotations

import itertools
import json

import pytest

from scripts.snapshot.records import MAX_PART_CHARS, explain_id, id_problem
from tests.test_build_faults import vendored_lines
from tests.test_door_checks import BAD_IDS

REAL_IDS = [
    json.loads(line)["id"] for name in ("2022-02-21", "2024-07-11") for line in vendored_lines(name, 3000)
]
EDGES = [
    "",
    "a",
    "a/b",
    "_",
    "a_/_b",
    "a.b-c_d/E.F-G_h",
    "a-/b",
    "a/.b",
    "a/b.",
    "a..b/c",
    "a/b--c",
    "a.-b/c",
    "a-.b/c",
    "org/model\n",
    "org/mod\u00e9l",
    "org/model\u0660",  # an Arabic-Indic digit: \d would take it, the id's digits are ASCII
    "org/mo\ufb01del",
    *[("x" * n) for n in (MAX_PART_CHARS - 1, MAX_PART_CHARS, MAX_PART_CHARS + 1)],
    *[f"org/a{'b' * (n - 2)}c" for n in (MAX_PART_CHARS - 1, MAX_PART_CHARS, MAX_PART_CHARS + 1)],
    *[f"{'a' * n}/m" for n in (MAX_PART_CHARS, MAX_PART_CHARS + 1)],
]


@pytest.mark.parametrize("model_id", [*BAD_IDS, *EDGES])
def test_one_pattern_and_part_by_part_agree(model_id):
    assert id_problem(model_id) == explain_id(model_id)


def test_real_ids_pass_both_ways():
    assert len(REAL_IDS) == 6000
    assert [i for i in REAL_IDS if id_problem(i) is not None or explain_id(i) is not None] == []


def test_every_short_string_over_the_characters_that_matter():
    alphabet = "a_-./ \u00e9"
    count = 0
    for length in range(7):
        for chars in itertools.product(alphabet, repeat=length):
            model_id = "".join(chars)
            assert id_problem(model_id) == explain_id(model_id), model_id
            count += id_problem(model_id) is None
    assert count > 1000  # many of them are ids, many are not


def test_a_refusal_keeps_its_message():
    assert id_problem("org/mo--del") == (
        "field 'id' is 'org/mo--del', not a Hub model id (name or author/name, each of ASCII letters, "
        "digits, '-', '_' and '.', not starting or ending with '-' or '.', without '--' or '..')"
    )
    assert (
        id_problem("org/" + "x" * 300) == "field 'id' has a part of 300 characters; at most 256 are accepted"
    )
