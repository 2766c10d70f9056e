"""The command: JSON Lines of Hub model records in, one classification per line out."""

from __future__ import annotations

import json
import sys

from scripts.classify.model import Classification
from scripts.classify.records import classify_record


def to_json(c: Classification) -> dict:
    """The CLI's object for one classification (markers carry all their fields)."""
    return {
        "id": c.id,
        "seed_rule": c.seed_rule,
        "own_version": c.own_version,
        "markers": [
            {
                "text": m.text,
                "form": m.form,
                "refers_to": m.refers_to,
                "position": m.position,
                "major": m.major,
                "minor": m.minor,
                "patch": m.patch,
                "date": m.date,
                "evidence": m.evidence,
            }
            for m in c.markers
        ],
        "primary_form": c.primary_form,
        "family": c.family,
    }


def record_problem(rec: dict) -> str | None:
    """Why a decoded record cannot be classified (wrong types, text that is not Unicode), or None."""
    tags = rec.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return '"tags" must be a list of strings'
    for field in ("pipeline_tag", "library_name"):
        if rec.get(field) is not None and not isinstance(rec[field], str):
            return f'"{field}" must be a string or null, not {type(rec[field]).__name__}'
    for field in ("id", "pipeline_tag", "library_name", *(["tags"] if tags else [])):
        for text in tags if field == "tags" else [rec.get(field)]:
            try:
                (text or "").encode("utf-8")
            except UnicodeEncodeError as e:
                return f'"{field}" is not valid Unicode ({e.reason} at position {e.start})'
    return None


def main(argv: list[str] | None = None) -> int:
    """Read Hub model records as JSON Lines on stdin; write one classification per line.

    Every line, blank ones included, must be a JSON object with a string "id" (and "tags", when
    present, a list). A line that is not gets `stdin:N: ...` on stderr and no output line; once
    all valid lines are written the exit status is 2.
    """
    import argparse

    argparse.ArgumentParser(prog="python -m scripts.classify", description=main.__doc__).parse_args(argv)
    bad = 0
    write = sys.stdout.write
    for lineno, line in enumerate(sys.stdin, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            why = "blank line" if not line.strip() else f"not valid JSON ({e})"
            print(f'stdin:{lineno}: {why}; expected a JSON object with a string "id"', file=sys.stderr)
            bad += 1
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            print(f'stdin:{lineno}: not a JSON object with a string "id"', file=sys.stderr)
            bad += 1
            continue
        why = record_problem(rec)
        if why:
            print(f"stdin:{lineno}: {why}", file=sys.stderr)
            bad += 1
            continue
        write(json.dumps(to_json(classify_record(rec)), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if bad:
        print(f"stdin: {bad} line(s) rejected", file=sys.stderr)
        return 2
    return 0
