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

import operator
from array import array
from collections import defaultdict
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from scripts.derive.forms import TRADITIONAL_FORMS

if TYPE_CHECKING:  # the process that computes the rows imports neither sqlite_utils nor scipy
    import sqlite_utils

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


# SELECT's rows are grouped here rather than by SQLite: its GROUP BY, two rankings and ORDER BY
# sorted 730,000 wide rows four times (13-16 CPU-s); one sort of the models by author and family
# and numpy's sort of small integers give the same rows for less than half of that. Per model:
MODEL_ROWS = """
    select snapshot, coalesce(pipeline_tag, '(none)') as task, organization, seed_rule,
           own_version, primary_form, environment_markers > 0 as environment,
           own_version and model in (
               select model from version_markers where refers_to = 'self'
               group by model having max(form != 'checkpoint') = 0) as checkpoint_only,
           coalesce(author, '') as author, coalesce(author, '') || '/' || family as family
    from model_versioning order by 9, 10"""
# SELECT's group columns, in the order its rows are sorted by.
GROUP_ORDER = (
    "snapshot", "task", "organization", "author", "family", "seed_rule", "own_version", "primary_form",
    "environment", "checkpoint_only",
)  # fmt: skip
# Texts read as codes (Columns.texts[code] is the text), the others as numbers; authors and
# families as their ranks (below).
TEXT_COLUMNS = ("snapshot", "task", "organization", "primary_form")
RANKED_COLUMNS = ("author", "family")
NUMBER_COLUMNS = ("author", "family", "seed_rule", "own_version", "environment", "checkpoint_only", "models")


class Columns(NamedTuple):
    """SELECT's rows as one array per column, in the order of its group columns; texts as codes."""

    codes: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: list  # code -> text (None included)
    traditional: np.ndarray  # the codes of TRADITIONAL_FORMS


def read_columns(conn, batch: int = 50_000) -> Columns:
    """SELECT's rows (one per distinct combination of its group columns, with its models),
    ordered by GROUP_ORDER as SQLite orders them."""
    per_model, texts = _read_models(conn, batch)
    order = np.lexsort([per_model[c] for c in reversed(GROUP_ORDER)])  # its last key sorts first
    first = np.zeros(len(order), dtype=bool)  # the first model of each combination
    first[:1] = True
    for column in GROUP_ORDER:
        in_order = per_model[column][order]
        first[1:] |= in_order[1:] != in_order[:-1]
    starts = np.flatnonzero(first)
    # 32-bit codes, flags and ranks (see _read_models): half the memory of 64-bit ones
    grouped = {c: per_model.pop(c)[order[starts]] for c in GROUP_ORDER}
    grouped["models"] = np.diff(np.append(starts, len(order)))
    return Columns(
        {c: grouped[c] for c in TEXT_COLUMNS},
        {c: grouped[c] for c in NUMBER_COLUMNS},
        texts,
        np.array([code for code, text in enumerate(texts) if text in TRADITIONAL_FORMS], dtype=np.int64),
    )


def _read_models(conn, batch: int) -> tuple[dict[str, np.ndarray], list]:
    """MODEL_ROWS as arrays, and the texts by code. A text's code is its rank in SQLite's order
    (BINARY: by UTF-8 bytes, NULL first), so that codes sort as the texts do. An author's or
    family's number is its dense rank: the rows come sorted by them, so a new one is a row whose
    text differs from the row before (no 700,000 distinct texts held at once: they took 300 MB).
    A family's rank sorts as its text among the families of one author, all that SELECT's order
    asks of it since author comes first (an author, a namespace, holds no '/')."""
    code_of: dict = {}
    cursor = conn.execute(MODEL_ROWS)
    names = [d[0] for d in cursor.description]
    columns = {n: array("i") for n in names}  # codes, flags and ranks: 32 bits are plenty
    previous = {n: object() for n in RANKED_COLUMNS}  # equal to no text: the first row is new
    while chunk := cursor.fetchmany(batch):
        for name, values in zip(names, zip(*chunk)):
            if name in TEXT_COLUMNS:
                for text in set(values) - code_of.keys():
                    code_of[text] = len(code_of)
                columns[name].extend(map(code_of.__getitem__, values))
            elif name in RANKED_COLUMNS:
                columns[name].extend(map(operator.ne, values, chain((previous[name],), values)))
                previous[name] = values[-1]
            else:
                columns[name].extend(values)
    texts = sorted(code_of, key=lambda t: (t is not None, (t or "").encode("utf-8")))
    ranked_code = np.empty(len(texts), dtype=np.int32)
    ranked_code[[code_of[t] for t in texts]] = np.arange(len(texts))
    arrays = {}
    for name in names:
        values = np.frombuffer(columns.pop(name), dtype=np.int32)
        if name in TEXT_COLUMNS:
            values = ranked_code[values]
        elif name in RANKED_COLUMNS:
            values = np.cumsum(values, dtype=np.int32)  # 1 for the first, as dense_rank counts
        arrays[name] = values
    return arrays, texts


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
        in_snapshot = np.flatnonzero(snapshots == snapshot_code).astype(np.int32)
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
    from scripts import schema  # here: it imports sqlite_utils (see the imports above)

    table = schema.ROBUSTNESS
    db.conn.executemany(table.insert, [table.row(**r) for r in rows])
    schema.create_indexes(db, table.name)
    return len(rows)
