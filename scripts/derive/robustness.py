"""Derive stage: each research question's measure counted four ways, to show whether an answer
depends on the unit of counting.

A share of models lets a few bulk uploaders decide a group (one account's thousand checkpoint
uploads weigh as much as a thousand authors). So the measures of RQ1 (no own version /
traditional / other scheme), RQ2 (per task: seed rule, own version, RL environment version) and
RQ3 (per organization: own version, and consistency, the share of versioned models in the most
common form) are also counted:

- `model`: every model one vote (the published figures);
- `family`: one vote per author's family (author and the family key of scripts/classify/records.py),
  split evenly among the family's models in the group; for consistency, one vote per family with
  an own version, split among its versioned models;
- `author`: the same with one vote per namespace;
- `without_checkpoints`: every model one vote, leaving out names whose only own-version markers
  are checkpoints (`..._epochs_1`, `step-1000`; settings are no markers at all).

One row per (snapshot, question, group, unit) in `robustness`. All counts are of the whole census:
no sampling error; the classifier's error is in the estimate_* tables (model unit only).
"""

from __future__ import annotations

from collections import defaultdict

import sqlite_utils

from scripts import schema
from scripts.derive.estimates import TRADITIONAL_FORMS

UNITS = ("model", "family", "author", "without_checkpoints")
ALL = "all"

# One row per combination the measures need; checkpoint_only: an own version whose markers of
# its own are all checkpoints.
SELECT = """
    with checkpoint_only as (
        select model from version_markers where refers_to = 'self'
        group by model having max(form != 'checkpoint') = 0)
    select v.snapshot, coalesce(v.pipeline_tag, '(none)') as task, v.organization,
           coalesce(v.author, '') as author, coalesce(v.author, '') || '/' || v.family as family,
           v.seed_rule, v.own_version, v.primary_form, v.environment_markers > 0 as environment,
           v.own_version and c.model is not null as checkpoint_only, count(*) as models
    from model_versioning v left join checkpoint_only c on c.model = v.model
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""

QUESTIONS = {
    "rq1": lambda r: ALL,
    "rq2": lambda r: r["task"],
    "rq3": lambda r: r["organization"],
}


def _weights(rows: list[dict], unit: str) -> tuple[list[float], list[float]]:
    """Per row: the weight of each of its models in the shares, and in consistency (versioned
    models only), for one group's rows."""
    if unit in ("model", "without_checkpoints"):
        keep = [0.0 if unit != "model" and r["checkpoint_only"] else 1.0 for r in rows]
        return keep, [k if r["own_version"] else 0.0 for k, r in zip(keep, rows)]
    size, versioned = defaultdict(int), defaultdict(int)
    for r in rows:
        size[r[unit]] += r["models"]
        versioned[r[unit]] += r["models"] if r["own_version"] else 0
    share_w = [1 / size[r[unit]] for r in rows]
    form_w = [1 / versioned[r[unit]] if r["own_version"] else 0.0 for r in rows]
    return share_w, form_w


def _units(rows: list[dict], unit: str, versioned_only: bool = False) -> int:
    chosen = [r for r in rows if r["own_version"] or not versioned_only]
    if unit == "model":
        return sum(r["models"] for r in chosen)
    if unit == "without_checkpoints":
        return sum(r["models"] for r in chosen if not r["checkpoint_only"])
    return len({r[unit] for r in chosen})


def group_row(snapshot: str, question: str, group: str, unit: str, rows: list[dict]) -> dict:
    """One robustness row: a group's measures under one unit of counting."""
    share_w, form_w = _weights(rows, unit)
    total = sum(w * r["models"] for w, r in zip(share_w, rows))

    def share(pred) -> float | None:
        part = sum(w * r["models"] for w, r in zip(share_w, rows) if pred(r))
        return round(part / total, 6) if total else None

    forms: dict[str, float] = defaultdict(float)
    for w, r in zip(form_w, rows):
        if w:
            forms[r["primary_form"]] += w * r["models"]
    versioned = sum(forms.values())
    top = max(sorted(forms), key=forms.get) if forms else None
    counted = [r for w, r in zip(share_w, rows) if w]
    return {
        "snapshot": snapshot,
        "question": question,
        "group_name": group,
        "unit": unit,
        "models": sum(r["models"] for r in counted),
        "units": _units(rows, unit),
        "versioned_models": sum(r["models"] for r in counted if r["own_version"]),
        "versioned_units": _units(rows, unit, versioned_only=True),
        "seed_rule_share": share(lambda r: r["seed_rule"]),
        "own_version_share": share(lambda r: r["own_version"]),
        "traditional_share": share(lambda r: r["own_version"] and r["primary_form"] in TRADITIONAL_FORMS),
        "other_share": share(lambda r: r["own_version"] and r["primary_form"] not in TRADITIONAL_FORMS),
        "environment_share": share(lambda r: r["environment"]),
        "consistency": round(forms[top] / versioned, 6) if top else None,
        "top_form": top,
    }


def robustness_rows(counts: list[dict]) -> list[dict]:
    """Every (snapshot, question, group, unit) row of the grouped model rows `counts`."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in counts:
        for question, group_of in QUESTIONS.items():
            group = group_of(r)
            if group is not None:
                groups[(r["snapshot"], question, group)].append(r)
    return [
        group_row(snapshot, question, group, unit, rows)
        for (snapshot, question, group), rows in sorted(groups.items())
        for unit in UNITS
    ]


def derive_robustness(db: sqlite_utils.Database) -> int:
    """Write the robustness table from model_versioning and version_markers; returns its rows."""
    rows = robustness_rows(list(db.query(SELECT)))
    table = schema.ROBUSTNESS
    db.conn.executemany(table.insert, [table.row(**r) for r in rows])
    schema.create_indexes(db, table.name)
    return len(rows)
