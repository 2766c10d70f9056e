"""The checks every census record passes: one definition, applied by the crawler
(scripts/acquire/census.py) before a record is written and by the build (scripts/load/census.py)
before it is loaded, so a crawl never writes a record the build would refuse.

Each check returns None when the record passes, or the reason it fails, worded to follow
"<file>:<line>: " (or a page and position); `record_problem` runs them all.

The limits are stated here and measured against both vendored censuses (789,364 records; no
record of either fails a check):
- an id is `name` or `author/name`, each part of ASCII letters, digits, `-`, `_` and `.` (so no
  control, bidirectional or white space character, no path), neither starting nor ending with `-`
  or `.` and without `--` or `..` (the Hub's own rules), each part at most MAX_PART_CHARS long
  (the Hub now allows 96 for a name, but 2022 names run to 250 characters: older repositories
  predate that rule, so it is not applied);
- a field has its JSON type (the models column's, from scripts/schema.py), an integer fits in
  SQLite's 64 bits, a tag is a string of at most MAX_TAG_CHARS characters (the longest real one
  has 1,246), and the record's text is Unicode (no lone surrogate);
- a line is at most MAX_LINE_BYTES long (the longest real line is 1.6 MB, a long cardData): a
  300 MB tag is refused when its line is read, before it is decoded.
"""

from __future__ import annotations

import json
import re

from scripts import schema

MAX_LINE_BYTES = 8 << 20
MAX_PART_CHARS = 256
MAX_TAG_CHARS = 4096
SQLITE_INT = (-(1 << 63), (1 << 63) - 1)

ID_PART = re.compile(r"(?!.*(--|\.\.))[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?")
# A whole id that passes, in one pattern: one or two parts shaped as ID_PART, each at most
# MAX_PART_CHARS long ("--" and ".." are looked for apart). It decides the common case several
# times faster than the check part by part (explain_id), which words the reason of a refusal.
_PART = rf"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{{0,{MAX_PART_CHARS - 2}}}[A-Za-z0-9_])?"
VALID_ID = re.compile(rf"{_PART}(?:/{_PART})?")

# The JSON types a Hub field may have (or null) for the models column it fills: the column's
# type (the first column read from it), but for the fields stored in another form than the record's.
FIELD_TYPES = {c.source: (c.type,) for c in reversed(schema.MODELS.columns) if c.source} | {
    "private": (bool,),
    "gated": (bool, str),  # false, or the kind of gate ("auto", "manual")
    "tags": (list,),
}
FIELD_CHECKS = tuple(FIELD_TYPES.items())


def id_problem(model_id: str) -> str | None:
    """Why `model_id` is not a Hub model id, or None."""
    if VALID_ID.fullmatch(model_id) and "--" not in model_id and ".." not in model_id:
        return None
    return explain_id(model_id)


def explain_id(model_id: str) -> str | None:
    """id_problem, part by part: why `model_id` is not a Hub model id, or None."""
    parts = model_id.split("/")
    if len(parts) > 2 or not all(ID_PART.fullmatch(p) for p in parts):
        return (
            f"field 'id' is {model_id[:120]!r}, not a Hub model id (name or author/name, each of "
            "ASCII letters, digits, '-', '_' and '.', not starting or ending with '-' or '.', "
            "without '--' or '..')"
        )
    if (longest := max(len(p) for p in parts)) > MAX_PART_CHARS:
        return f"field 'id' has a part of {longest:,} characters; at most {MAX_PART_CHARS} are accepted"
    return None


def fields_problem(r: dict) -> str | None:
    """Why a field of the record has the wrong type, size or range, or None."""
    for field, types in FIELD_CHECKS:
        value = r.get(field)
        if value is None:
            continue
        if type(value) not in types:
            wanted = " or ".join(t.__name__ for t in types)
            return f"field {field!r} must be {wanted} (or null), not {value!r:.80}"
        if type(value) is int and not SQLITE_INT[0] <= value <= SQLITE_INT[1]:
            return f"field {field!r} is {value!r:.40}, an integer too large to store (64 bits at most)"
    for i, tag in enumerate(r.get("tags") or ()):
        if type(tag) is not str:
            return f"field 'tags' must hold strings; item {i + 1} is {tag!r:.80}"
        if len(tag) > MAX_TAG_CHARS:
            return (
                f"field 'tags': item {i + 1} is {len(tag):,} characters long; "
                f"at most {MAX_TAG_CHARS} are accepted"
            )
    return None


def text_problem(r: dict) -> str | None:
    """Why the record's text cannot be stored (a JSON escape can make a lone surrogate, "\\ud800",
    which is no text), or None."""
    try:
        json.dumps(r, ensure_ascii=False).encode()
    except UnicodeEncodeError as e:
        return f"holds {e.object[e.start : e.end]!r}, which is not text"
    return None


def record_problem(r: object) -> str | None:
    """Why `r` is not a census record the build can load, or None: the one check of a record."""
    if type(r) is not dict or type(r.get("id")) is not str:
        return "not a model record (a JSON object with a string id)"
    return fields_problem(r) or text_problem(r) or id_problem(r["id"])


def line_problem(line: bytes) -> str | None:
    """Why a line of a census file is refused before it is decoded (its size), or None."""
    if len(line) > MAX_LINE_BYTES:
        return f"line longer than {MAX_LINE_BYTES:,} bytes, the most accepted; refused unread"
    return None
