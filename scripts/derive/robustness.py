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

`group_row` is the definition, row by row; the build computes the same figures over columns
(`Columns`, `column_group_row`): 700,000 grouped rows held as dicts took 830 MB and 22 CPU-s. Every
sum is taken in the same order as group_row takes it (numpy's cumulative sum adds left to right,
as Python's sum of floats does), so the two give the same floats, not merely close ones.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from typing import NamedTuple

import numpy as np
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


# SELECT's rows in SELECT's order, each author and family as a number (its rank among them):
# the units are only told apart, and 700,000 distinct texts held in Python took 300 MB.
SELECT_CODED = f"""
    select snapshot, task, organization, dense_rank() over (order by author) as author_code,
           dense_rank() over (order by family) as family_code, seed_rule, own_version,
           primary_form, environment, checkpoint_only, models
    from ({SELECT})
    order by snapshot, task, organization, author, family, seed_rule, own_version, primary_form,
             environment, checkpoint_only"""
# Texts read as codes (Columns.texts[code] is the text), the others as numbers.
TEXT_COLUMNS = ("snapshot", "task", "organization", "primary_form")
NUMBER_COLUMNS = ("author", "family", "seed_rule", "own_version", "environment", "checkpoint_only", "models")


class Columns(NamedTuple):
    """SELECT's rows as one array per column, in the query's order; texts as codes."""

    codes: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: list  # code -> text (None included)
    traditional: np.ndarray  # the codes of TRADITIONAL_FORMS


def read_columns(conn, batch: int = 50_000) -> Columns:
    code_of: dict = {}
    codes = {c: array("q") for c in TEXT_COLUMNS}
    numbers = {c: array("q") for c in NUMBER_COLUMNS}
    cursor = conn.execute(SELECT_CODED)
    names = [d[0].removesuffix("_code") for d in cursor.description]
    slots = [(codes[n], True) if n in codes else (numbers[n], False) for n in names]
    while chunk := cursor.fetchmany(batch):
        for values, (column, is_text) in zip(zip(*chunk), slots):
            if is_text:
                column.extend([code_of.setdefault(v, len(code_of)) for v in values])
            else:
                column.extend([int(v) for v in values])
    return Columns(
        {c: np.frombuffer(a, dtype=np.int64) for c, a in codes.items()},
        {c: np.frombuffer(a, dtype=np.int64) for c, a in numbers.items()},
        list(code_of),
        np.array([code for text, code in code_of.items() if text in TRADITIONAL_FORMS], dtype=np.int64),
    )


def sequential_sum(values: np.ndarray) -> float:
    """values[0] + values[1] + ... from left to right, as Python's sum() adds floats."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def _column_weights(cols: Columns, idx: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """_weights over the rows idx of a group."""
    models = cols.numbers["models"][idx]
    own = cols.numbers["own_version"][idx] != 0
    if unit in ("model", "without_checkpoints"):
        keep = np.ones(len(idx))
        if unit != "model":
            keep[cols.numbers["checkpoint_only"][idx] != 0] = 0.0
        return keep, np.where(own, keep, 0.0)
    keys = cols.numbers[unit][idx]  # dense ranks: small non-negative integers
    size = np.bincount(keys, weights=models)  # sums of integers: exact
    versioned = np.bincount(keys, weights=np.where(own, models, 0))
    share_w = 1.0 / size[keys]
    with np.errstate(divide="ignore"):
        form_w = np.where(own, 1.0 / versioned[keys], 0.0)
    return share_w, form_w


def _column_units(cols: Columns, idx: np.ndarray, unit: str) -> int:
    if unit == "model":
        return int(cols.numbers["models"][idx].sum())
    if unit == "without_checkpoints":
        return int(cols.numbers["models"][idx][cols.numbers["checkpoint_only"][idx] == 0].sum())
    return int(np.count_nonzero(np.bincount(cols.numbers[unit][idx])))


def column_group_row(snapshot: str, question: str, group: str, unit: str, cols: Columns, idx) -> dict:
    """group_row of the group whose rows are idx (in the query's order), over columns."""
    share_w, form_w = _column_weights(cols, idx, unit)
    models = cols.numbers["models"][idx]
    terms = share_w * models
    total = sequential_sum(terms)
    forms_of = cols.codes["primary_form"][idx]
    own = cols.numbers["own_version"][idx] != 0
    traditional = np.isin(forms_of, cols.traditional)

    def share(selected: np.ndarray) -> float | None:
        part = sequential_sum(np.where(selected, terms, 0.0))
        return round(part / total, 6) if total else None

    # Each form's sum in its own order, the forms in order of first appearance (as a dict fills).
    weighted = form_w != 0
    form_terms = form_w * models
    seen, first = np.unique(forms_of[weighted], return_index=True)
    forms: dict[str, float] = {}
    for code in seen[np.argsort(first)]:
        forms[cols.texts[code]] = sequential_sum(form_terms[weighted & (forms_of == code)])
    versioned = sum(forms.values())
    top = max(sorted(forms), key=forms.get) if forms else None
    counted = share_w != 0
    return {
        "snapshot": snapshot,
        "question": question,
        "group_name": group,
        "unit": unit,
        "models": int(models[counted].sum()),
        "units": _column_units(cols, idx, unit),
        "versioned_models": int(models[counted & own].sum()),
        "versioned_units": _column_units(cols, idx[own], unit),
        "seed_rule_share": share(cols.numbers["seed_rule"][idx] != 0),
        "own_version_share": share(own),
        "traditional_share": share(own & traditional),
        "other_share": share(own & ~traditional),
        "environment_share": share(cols.numbers["environment"][idx] != 0),
        "consistency": round(forms[top] / versioned, 6) if top else None,
        "top_form": top,
    }


# The column that names each question's group (rq1: one group, every row of the snapshot).
GROUP_COLUMNS = {"rq1": None, "rq2": "task", "rq3": "organization"}


def column_robustness_rows(cols: Columns) -> list[dict]:
    """robustness_rows over columns: the same rows in the same order."""
    groups: dict[tuple, np.ndarray] = {}
    snapshots = cols.codes["snapshot"]
    for snapshot_code in np.unique(snapshots):
        in_snapshot = np.flatnonzero(snapshots == snapshot_code)
        snapshot = cols.texts[snapshot_code]
        for question, column in GROUP_COLUMNS.items():
            if column is None:
                groups[(snapshot, question, ALL)] = in_snapshot
                continue
            values = cols.codes[column][in_snapshot]
            for code in np.unique(values):
                if cols.texts[code] is not None:
                    groups[(snapshot, question, cols.texts[code])] = in_snapshot[values == code]
    return [
        column_group_row(snapshot, question, group, unit, cols, idx)
        for (snapshot, question, group), idx in sorted(groups.items())
        for unit in UNITS
    ]


def derive_robustness(db: sqlite_utils.Database) -> int:
    """Write the robustness table from model_versioning and version_markers; returns its rows."""
    return write_robustness(db, column_robustness_rows(read_columns(db.conn)))


def write_robustness(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """The rows of column_robustness_rows (computed here or in another process) into the table."""
    table = schema.ROBUSTNESS
    db.conn.executemany(table.insert, [table.row(**r) for r in rows])
    schema.create_indexes(db, table.name)
    return len(rows)
