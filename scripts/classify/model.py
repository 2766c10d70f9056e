"""Public constants and types of the classifier: seed rule, forms, whose version, Marker, Classification."""

from __future__ import annotations

import re
from typing import NamedTuple

SEED_RULE = re.compile(r"(?<![A-Za-z0-9])[vV]\d+(?:[.\-_]\d+){0,2}(?![0-9])")

FORMS = (
    "v_major",
    "v_minor",
    "v_patch",
    "num_minor",
    "num_patch",
    "generation",
    "glued",
    "date",
    "prerelease",
    "revision",
    "checkpoint",
)
REFERS_TO = ("self", "base_model", "environment", "dataset", "unclear")


# Named tuples rather than frozen dataclasses: as immutable, and made about four times as fast
# (a frozen dataclass sets each field through object.__setattr__), once per classified name.
class Marker(NamedTuple):
    text: str  # as it appears in the name ("v0.2", "3.1", "2407"; "2" of gpt2)
    form: str  # one of FORMS
    refers_to: str  # one of REFERS_TO
    position: int  # 0-based offset of text in the name
    major: int | None
    minor: int | None
    patch: int | None
    date: str | None  # form "date": "2024-07", "2023-06-13", "--06-13" (month-day), "2021"
    evidence: str  # why a non-self refers_to was chosen; "" for plain self


class Classification(NamedTuple):
    id: str
    name: str
    author: str | None
    seed_rule: bool
    own_version: bool
    markers: tuple[Marker, ...]
    primary_form: str | None
    family: str
