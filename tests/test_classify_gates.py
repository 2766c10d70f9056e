"""The scanner's cheap gates give what its general path gives, on real model ids.

Each gate skips work whose answer it knows without doing it: an ASCII name's words read by one
split (against _WORD's match per word), letter and size words passed without the call that would
have returned at once, a mixed word's v- and dot-readings tried only when it holds a v or a dot.
Each test runs both paths over the ids of the table (tests/classifier_cases.tsv), a few chosen real
ids of each shape, and every name of the 2022-02-21 census.
"""

from __future__ import annotations

import pytest

from scripts.classify import scan
from scripts.classify.families import _GLUED_FAMILY, _GLUED_FAMILY_V
from scripts.classify.scan import _ALPHA_READ, _Scan
from scripts.classify.scan_v import _glued_v_groups
from scripts.classify.scan_words import _letter_led_reading
from scripts.classify.vocab import _CKPT_WORDS, _GLUED_DOT, _WORD
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, find_snapshots, iter_records
from tests.test_classify import CASES

# Real ids of the table (tests/classifier_cases.tsv), one or more of each shape a gate meets: a
# dotted number, a version word before its number or glued to it, a prerelease word, sizes, format
# words, mixed words with and without a v or a dot.
CHOSEN = (
    "Qwen/Qwen1.5-7B-Chat",
    "Qwen/Qwen2-1.5B",
    "mistralai/Mistral-7B-Instruct-v0.2",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "bartowski/Hathor-L3-8B-v.01-GGUF",
    "BAAI/bge-large-en-v1.5",
    "HuggingFaceH4/zephyr-7b-beta",
    "Sagicc/SFR-Iterative-DPO-LLaMA-3-8B-R-Q4_K_M-GGUF",
    "microsoft/layoutlmv3-base",
    "NousResearch/Hermes-2-Pro-Mistral-7B-GGUF",
)


def snapshot_names() -> list[str]:
    census = next(s for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR) if s.name == "2022-02-21")
    return [record["id"] for _, record in iter_records(census.data_file)]


def names_of(ids) -> list[str]:
    return [i.split("/", 1)[1] if "/" in i else i for i in ids]


@pytest.fixture(scope="module")
def names() -> list[str]:
    found = names_of([*CHOSEN, *(c["id"] for c in CASES), *snapshot_names()])
    assert len(found) > 29_000
    return found


def test_chosen_ids_are_the_tables():
    assert set(CHOSEN) <= {c["id"] for c in CASES}


@pytest.mark.parametrize("name", names_of(CHOSEN))
def test_ascii_split_matches_word_pattern_on_chosen_names(name):
    sc = _Scan(name, False)
    ms = list(_WORD.finditer(name))
    assert (sc.words, sc.starts, sc.ends) == (
        [m.group() for m in ms],
        [m.start() for m in ms],
        [m.end() for m in ms],
    )


def test_ascii_split_matches_word_pattern_on_every_name(names):
    for name in names:
        sc = _Scan(name, False)
        ms = list(_WORD.finditer(name))
        assert sc.words == [m.group() for m in ms], name
        assert sc.starts == [m.start() for m in ms], name
        assert sc.ends == [m.end() for m in ms], name


def test_skipped_letter_and_size_words_would_change_nothing(names):
    """_alpha on a letter word outside _ALPHA_READ, and _size_word on a size not after a checkpoint
    word, leave the scan as it was: the gates skip only calls that return at once."""
    skipped = 0
    for name in names:
        sc = _Scan(name, True)
        for i in range(sc.n):
            c = sc.cls[i]
            if c == "a" and sc.lows[i] not in _ALPHA_READ:
                call = sc._alpha
            elif c == "s" and not (i and sc.lows[i - 1] in _CKPT_WORDS):
                call = sc._size_word
            else:
                continue
            before = (list(sc.used), len(sc.markers), list(sc.owner), list(sc.cls))
            call(i)
            assert (sc.used, len(sc.markers), sc.owner, sc.cls) == before, name
            skipped += 1
    assert skipped > 50_000


def test_mixed_word_readings_equal_the_ungated_patterns(names):
    """A letter-led mixed word's readings, gated on a v and a dot, equal every pattern tried."""
    words = set()
    for name in names:
        sc = _Scan(name, False)
        words.update(w for w, c in zip(sc.words, sc.cls) if c == "m" and not w[0].isdigit())
    assert len(words) > 2_000
    read = 0
    for w in sorted(words):
        first, _, family, family_v, groups, dot = _letter_led_reading(w)
        if first is not None:
            continue
        read += 1

        def spans(m):
            return None if m is None else (m.span(), m.groups())

        assert spans(family) == spans(_GLUED_FAMILY.fullmatch(w)), w
        assert spans(family_v) == spans(_GLUED_FAMILY_V.fullmatch(w)), w
        assert groups == _glued_v_groups(w), w
        assert spans(dot) == spans(_GLUED_DOT.fullmatch(w)), w
    assert read > 500


@pytest.mark.parametrize("limit", [2, 1 << 15])
def test_word_classes_equal_word_class_however_often_the_dict_is_emptied(names, limit, monkeypatch):
    monkeypatch.setattr(scan, "_CLASSES", {})
    monkeypatch.setattr(scan, "_CLASSES_MAX", limit)
    for name in names[:5_000]:
        words = _Scan(name, False).words
        assert scan._word_classes(words) == [scan._word_class(w) for w in words], name
        assert len(scan._CLASSES) <= limit
