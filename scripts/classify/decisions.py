"""The labelling guide's decisions, applied to the markers the scanner found in a model name.

docs/version-markers.md ("Decisions a careful reader makes") states each rule with examples; the
numbers below are the guide's (data/validation/LABELLING-GUIDE.md):

1. a bare small integer ending a name after words that only describe a fine-tune is a run counter
   (refers_to `unclear`); it is a generation only on a known family that numbers generations;
2. number then unit (`1epoch`, `700_Epochs`) is a training length, a setting: no marker; unit then
   number (`itr28`, `ckp-10000`, `e400`, `stage1`) names a saved state: a checkpoint; inside a run of
   hyper-parameter settings (`ep-10.0-b-4-lr-8e-07`, `bs32_ep10`) an epoch count is a setting (a step
   count there still names a saved state: `...-beta-0.01-alpha-0-step-39936`);
3. a 10-digit Unix time of 2017-2027 (`-1718846247`, appended by training services), or a run's
   time stamp YYYYMMDD-HHMMSS, is a date;
8. a counter glued to a run word (`run3`, `exp2`, `try6`, `round2`) is a counter as in 1.
"""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple

# Hyper-parameter settings as names write them: lr1e-4, lr-2e-07, wd0.01, bs32, b-4, dp-0.3, seed5.
_SETTING = re.compile(
    r"(?<![a-z])(?:batch(?:size)?|lr|wd|bs|bsz|dp|drop|dropout|warmup|seed|sd|gas|ga|wu|ls|alpha|beta|r|rank|b)"
    r"[-_]?\d+(?:\.\d+)?(?:e-?\d+)?(?![a-z])",
    re.I,
)
# Scientific notation on its own (3e-5, 1e-04) is a learning rate.
_SCI = re.compile(r"(?<![a-z0-9.])\d+(?:\.\d+)?e-\d+", re.I)
_EPOCH_UNITS = r"(?:epochs?|eps?|epch|epchs)"
_NUMBER_THEN_EPOCHS = re.compile(rf"\d+(?:\.\d+)?[-_]?{_EPOCH_UNITS}", re.I)
_UNIT_THEN_EPOCHS = re.compile(rf"{_EPOCH_UNITS}[-_]?\d+(?:\.\d+)?", re.I)
# Unit-then-number saved states the scanner does not know: itr28, ckp-10000, e400, stage1.
_SAVED_STATE = re.compile(r"(?<![a-z0-9])(itr|ckp|stage|e)[-_]?(\d+)(?![a-z0-9.])", re.I)
# A run's time stamp, YYYYMMDD-HHMMSS (crystalDetect_..._20240527-131753).
_DATE_TIME = re.compile(
    r"(?<![0-9])(20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[-_]([01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?(?![0-9])"
)
_UNIX_STAMP = re.compile(r"(?<![0-9])(1[5-7]\d{8})(?![0-9])")
_WORD = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)*")
# Rule 8: a counter glued to a run word, as a word of its own (exp2, run3, try6; not Agnes2, LoRA1).
_GLUED_COUNTER = re.compile(
    r"(?<![A-Za-z0-9])(?:run|exp|experiment|trial|try|attempt|sweep|test|ft|round|model|temp)(\d{1,3})"
    r"(?![A-Za-z0-9.])",
    re.I,
)
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
# Cheap tests that a name can hold a stamp (8+ digits) or a counter's run word (an ASCII name
# lower-cased: re.I also folds some non-ASCII letters, so other names take the full pattern).
_EIGHT_DIGITS = re.compile(r"\d{8}")
_COUNTER_WORD = re.compile("run|exp|trial|try|attempt|sweep|test|ft|round|model|temp")
_SAVED_STATE_UNIT = re.compile("(?:itr|ckp|e)[-_]?[0-9]")  # stage ends in e


class Found(NamedTuple):
    """A marker the decisions add: text, position, form, date; refers_to is `self`, but `unclear`
    for a run counter (rule 8)."""

    text: str
    position: int
    form: str
    date: str | None
    counter: bool = False


def hyperparameter_run(name: str) -> bool:
    """Two or more settings (lr, wd, bs, seed, a 3e-5 learning rate...) make a run of settings."""
    return len(_SETTING.findall(name)) + len(_SCI.findall(name)) >= 2


def training_length(name: str, position: int, text: str, in_run: bool) -> bool:
    """Rule 2: is this checkpoint marker a setting (a training length, or a unit-number pair among
    hyper-parameter settings or next to one: epochs_50_batch_4) rather than a saved state?"""
    if _NUMBER_THEN_EPOCHS.fullmatch(text):
        return True
    if _UNIT_THEN_EPOCHS.fullmatch(text) is None:
        return False
    return in_run or _next_to_setting(name, position, position + len(text))


def _next_to_setting(name: str, start: int, end: int) -> bool:
    """Is the text at start:end set off by one separator from a setting (lr-1e-4, batch_4, bs32)?"""
    after = _SETTING.match(name, end + 1) if name[end : end + 1] in ("-", "_") else None
    if after:
        return True
    if start < 2 or name[start - 1] not in "-_":
        return False
    return any(m.end() == start - 1 for m in _SETTING.finditer(name, 0, start - 1))


def trailing(name: str, position: int, text: str, format_words: frozenset[str]) -> bool:
    """Rule 1: does the marker end the name, but for format suffixes (-GGUF, -AWQ)?"""
    rest = name[position + len(text) :]
    return all(w.lower() in format_words for w in _ALNUM_RUN.findall(rest))


def word_before(name: str, position: int) -> str:
    """The alphabetic word just before `position` ('' when none): ner in finetuned-ner-1."""
    words = [m.group() for m in _WORD.finditer(name[:position])]
    return words[-1].lower() if words and words[-1].isalpha() else ""


def saved_states(name: str, lower: str | None = None) -> list[re.Match]:
    """Unit-then-number saved states in the name (rule 2), before the rule reads them.
    lower: name.lower(), when the caller has it already."""
    if name.isascii() and not _SAVED_STATE_UNIT.search(name.lower() if lower is None else lower):
        return []
    return [m for m in _SAVED_STATE.finditer(name) if m.group(1).lower() != "e" or len(m.group(2)) >= 3]


def added_markers(
    name: str, markers, in_run: bool, saved: list[re.Match] | None = None, lower: str | None = None
) -> list[Found]:
    """Rules 2 and 3: saved states and Unix upload stamps that no scanned marker (markers: each
    with .pos and .text) covers. saved: saved_states(name), lower: name.lower(), when the caller
    has them already."""
    found = []
    if _EIGHT_DIGITS.search(name):
        for m in _UNIX_STAMP.finditer(name):
            stamp = datetime.datetime.fromtimestamp(int(m.group(1)), datetime.UTC).date().isoformat()
            found.append(Found(m.group(1), m.start(1), "date", stamp))
        for m in _DATE_TIME.finditer(name):
            found.append(Found(m.group(), m.start(), "date", f"{m.group(1)}-{m.group(2)}-{m.group(3)}"))
    if not name.isascii() or _COUNTER_WORD.search(name.lower() if lower is None else lower):
        for m in _GLUED_COUNTER.finditer(name):
            found.append(Found(m.group(), m.start(), "generation", None, counter=True))
    if not in_run:
        for m in saved_states(name) if saved is None else saved:
            # e5, t5-e10 (a model name or an epoch setting) are not saved states: saved_states
            found.append(Found(m.group(), m.start(), "checkpoint", None))
    if not found:
        return found
    taken = [(mk.pos, mk.pos + len(mk.text)) for mk in markers]
    return [
        f for f in found if not any(lo < f.position + len(f.text) and f.position < hi for lo, hi in taken)
    ]
