"""Derive stage: shares that carry the classifier's error, from the census and the labelled sample.

The census is counted whole, so a raw share of it has no sampling error: its one real uncertainty
is the classifier's error, which the hand-labelled ids (`validation_labels`) measure. Two
corrections, both computed here at build time into tables the canned queries read:

- RQ1, overall and per popularity band: prediction-powered inference (Angelopoulos et al.,
  "Prediction-powered inference", Science 2023). The classifier's census-wide share is rectified by
  the mean of (label - classifier) over the labelled ids of the uniform stratum (a simple random
  sample of the census) in the same group; the variance is the sum of both means' variances.
- RQ2 (per task) and RQ3 (per company): error rates conditional on what the classifier saw,
  measured on every labelled id with its design weight (scripts/derive/group_estimates.py).

A census without labelled ids gets raw shares only, with null corrected values and a note.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

import numpy as np
import sqlite_utils
from scipy import special

from scripts import schema
from scripts.derive import group_estimates
from scripts.derive.forms import TRADITIONAL_FORMS

CONFIDENCE = 0.95
# Fewer labelled ids than this in a group: no interval is stated (the variance of the rectifier
# would rest on a handful of values).
MIN_LABELLED = 25
# The stratum that is a simple random sample of the census (data/validation/MANIFEST.json).
UNIFORM = "uniform"

# Popularity bands by 30-day downloads at collection time: (lowest downloads, label).
BANDS = ((0, "0"), (1, "1-9"), (10, "10+"))
ALL = "all"

# The seed study's published figures (a naive scrape and the seed rule): 79% unversioned.
SEED_STUDY = {"no own version": 0.79, "own version": 0.21}
MEASURES = ("no own version", "own version", "traditional", "other scheme")
NO_LABELS_NOTE = "no labelled ids from this census: raw classifier share only (the 2024-07-11 labels are not applied to it)"


class Estimate(NamedTuple):
    point: float
    low: float
    high: float


def band_sql(column: str = "downloads") -> str:
    """SQL expression: the popularity band of a downloads column (NULL downloads in the lowest)."""
    cases = " ".join(f"when {column} >= {low} then '{label}'" for low, label in reversed(BANDS[1:]))
    return f"case {cases} else '{BANDS[0][1]}' end"


def scheme(own_version: bool, form: str | None) -> str:
    """'none', 'traditional' or 'other': the scheme of a model's primary own-version form."""
    if not own_version:
        return "none"
    return "traditional" if form in TRADITIONAL_FORMS else "other"


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _z(confidence: float) -> float:
    return float(special.ndtri(0.5 + confidence / 2))  # scipy.stats.norm.ppf, without scipy.stats


def ppi_share(
    census_share: float, census_models: int, labels, predictions, confidence: float = CONFIDENCE
) -> Estimate | None:
    """Prediction-powered estimate of a share, with its normal interval (clipped to 0..1).

    census_share: the classifier's share over all census_models models of the group; labels and
    predictions: the 0/1 truth and the classifier's 0/1 decision on the group's uniformly drawn
    labelled ids. None with fewer than MIN_LABELLED labelled ids."""
    y = np.asarray(labels, dtype=float)
    f = np.asarray(predictions, dtype=float)
    if len(y) != len(f):
        raise ValueError(f"{len(y)} labels but {len(f)} predictions")
    if len(y) < MIN_LABELLED or census_models < 2:
        return None
    rectifier = y - f
    point = census_share + rectifier.mean()
    # Variance of the census mean (unbiased, as for the labelled sample) plus the rectifier's.
    census_var = census_share * (1 - census_share) * census_models / (census_models - 1)
    se = math.sqrt(census_var / census_models + rectifier.var(ddof=1) / len(y))
    half = _z(confidence) * se
    return Estimate(_clip(point), _clip(point - half), _clip(point + half))


# -- reading the build's tables ------------------------------------------------------------------


def census_counts(db: sqlite_utils.Database) -> list[dict]:
    """Per snapshot, band, scheme and the seed rule's reasons: model counts from model_versioning."""
    traditional = ", ".join(f"'{f}'" for f in TRADITIONAL_FORMS)
    sql = f"""
        select snapshot, {band_sql()} as band,
               case when not own_version then 'none' when primary_form in ({traditional})
                    then 'traditional' else 'other' end as scheme,
               seed_rule, environment_markers > 0 as environment, dataset_markers > 0 as dataset,
               base_model_markers > 0 as base_model,
               {SEED_MISSED_KIND} as form_kind,
               count(*) as models
        from model_versioning group by 1, 2, 3, 4, 5, 6, 7, 8"""
    return list(db.query(sql))


def labelled_uniform(db: sqlite_utils.Database, census: str) -> list[dict]:
    """The uniform stratum's labelled ids found in `census`: band, label and classifier scheme."""
    return list(
        db.query(
            """select band, label_scheme, classifier_scheme from validation_labels
               where stratum = ? and snapshot = ? and classifier_scheme is not null order by n""",
            [UNIFORM, census],
        )
    )


def labelled_census(db: sqlite_utils.Database) -> set[str]:
    if "validation_labels" not in db.table_names():
        return set()
    return {
        r["snapshot"]
        for r in db.query("select distinct snapshot from validation_labels where snapshot is not null")
    }


def _scheme_labels(rows: list[dict], measure: str) -> tuple[list[int], list[int]]:
    """0/1 labels and classifier decisions of one RQ1 measure over labelled rows."""
    if measure == "no own version":
        hit = {"none"}
    elif measure == "own version":
        hit = {"traditional", "other"}
    else:
        hit = {"traditional"} if measure == "traditional" else {"other"}
    return [int(r["label_scheme"] in hit) for r in rows], [int(r["classifier_scheme"] in hit) for r in rows]


def _measure_models(counts: list[dict], measure: str) -> int:
    schemes = {
        "no own version": {"none"},
        "own version": {"traditional", "other"},
        "traditional": {"traditional"},
        "other scheme": {"other"},
    }[measure]
    return sum(c["models"] for c in counts if c["scheme"] in schemes)


def _seed_models(counts: list[dict], measure: str) -> int | None:
    """Models of a measure by the seed rule: versioned = a v-number; its v-numbers are all
    traditional forms, so it has no 'other scheme'."""
    seed = sum(c["models"] for c in counts if c["seed_rule"])
    total = sum(c["models"] for c in counts)
    return {"no own version": total - seed, "own version": seed, "traditional": seed}.get(measure)


BAND_ORDER = {label: i for i, label in enumerate([ALL] + [label for _, label in BANDS])}


def _groups(counts: list[dict]) -> list[tuple[tuple[str, str], list[dict]]]:
    """census_counts rows grouped by (snapshot, band), each snapshot also whole (band 'all')."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for c in counts:
        groups[(c["snapshot"], ALL)].append(c)
        groups[(c["snapshot"], c["band"])].append(c)
    return sorted(groups.items(), key=lambda kv: (kv[0][0], BAND_ORDER[kv[0][1]]))


def rq1_rows(
    counts: list[dict], labelled: dict[tuple, list[dict]], labelled_censuses: set[str]
) -> list[dict]:
    """estimate_rq1 rows: per snapshot, band (and 'all') and measure, raw, corrected and seed shares."""
    out = []
    for (snapshot, band), rows in _groups(counts):
        models = sum(c["models"] for c in rows)
        sample = labelled.get((snapshot, band), [])
        for measure in MEASURES:
            raw = _measure_models(rows, measure) / models
            seed = _seed_models(rows, measure)
            est, note = None, None
            if snapshot not in labelled_censuses:
                note = NO_LABELS_NOTE
            else:
                labels, predictions = _scheme_labels(sample, measure)
                est = ppi_share(raw, models, labels, predictions)
                if est is not None and labels == predictions:
                    note = (
                        f"the classifier agrees on all {len(sample)} uniformly drawn labelled ids of this group: "
                        "the interval holds the census's variance only and understates the classifier's error"
                    )
                elif est is None:
                    note = f"{len(sample)} uniformly drawn labelled ids in this group: too few (under {MIN_LABELLED}) for an interval"
            out.append(
                {
                    "snapshot": snapshot,
                    "band": band,
                    "band_order": BAND_ORDER[band],
                    "measure": measure,
                    "share_raw": round(raw, 6),
                    "share_corrected": est and round(est.point, 6),
                    "corrected_low": est and round(est.low, 6),
                    "corrected_high": est and round(est.high, 6),
                    "share_seed": None if seed is None else round(seed / models, 6),
                    "seed_study": SEED_STUDY.get(measure),
                    "models": models,
                    "labelled": len(sample),
                    "method": "prediction-powered inference (uniform stratum)" if est else None,
                    "note": note,
                }
            )
    return out


def seed_gap_rows(counts: list[dict]) -> list[dict]:
    """estimate_seed_gap rows: per snapshot and band, why the seed rule's share differs from the
    own-version share, in parts that add up: seed_rule_share - seed_not_own + own_not_seed =
    own_version_share, seed_not_own is the sum of its parts (each model under the first reason that
    applies: environment, dataset, base model, other) and own_not_seed of its parts (by the form of
    the model's own version). Shares of models, classifier counts (no correction)."""
    return [_gap_row(snapshot, band, rows) for (snapshot, band), rows in _groups(counts)]


# What the seed rule misses, by the primary own-version form (estimate_seed_gap's own_not_seed_*
# columns), and what it counts without an own version, by the first reason that applies.
SEED_MISSED_PARTS = {
    "number": ("num_minor", "num_patch"),
    "generation": ("generation",),
    "glued": ("glued",),
    "date": ("date",),
    "checkpoint": ("checkpoint",),
    "v_unseen": ("v_major", "v_minor", "v_patch"),
    "edition": ("prerelease", "revision"),
}
SEED_MISSED_KIND = (
    "case "
    + " ".join(
        f"when primary_form in ({', '.join(repr(f) for f in forms)}) then '{kind}'"
        for kind, forms in SEED_MISSED_PARTS.items()
    )
    + " else 'unknown' end"
)
SEED_COUNTED_PARTS = ("environment", "dataset", "base_model", "other")


def _seed_counted_reason(c: dict) -> str:
    return next((r for r in SEED_COUNTED_PARTS[:-1] if c[r]), "other")


def _gap_row(snapshot: str, band: str, rows: list[dict]) -> dict:
    models = sum(c["models"] for c in rows)

    def share(pred) -> float:
        return round(sum(c["models"] for c in rows if pred(c)) / models, 6)

    def counted(c) -> bool:  # counted by the seed rule, not an own version
        return bool(c["seed_rule"]) and c["scheme"] == "none"

    def missed(c) -> bool:  # an own version the seed rule misses
        return not c["seed_rule"] and c["scheme"] != "none"

    row = {
        "snapshot": snapshot,
        "band": band,
        "band_order": BAND_ORDER[band],
        "models": models,
        "seed_rule_share": share(lambda c: c["seed_rule"]),
        "own_version_share": share(lambda c: c["scheme"] != "none"),
        "seed_not_own": share(counted),
        "own_not_seed": share(missed),
    }
    for part in SEED_COUNTED_PARTS:
        row[f"seed_not_own_{part}"] = share(
            lambda c, part=part: counted(c) and _seed_counted_reason(c) == part
        )
    for part in SEED_MISSED_PARTS:
        row[f"own_not_seed_{part}"] = share(lambda c, part=part: missed(c) and c["form_kind"] == part)
    return row


ESTIMATE_TABLES = {
    "estimate_rq1": schema.ESTIMATE_RQ1,
    "estimate_seed_gap": schema.ESTIMATE_SEED_GAP,
    "estimate_tasks": schema.ESTIMATE_TASKS,
    "estimate_companies": schema.ESTIMATE_COMPANIES,
    "estimate_readings": schema.ESTIMATE_READINGS,
    "estimate_group_check": schema.ESTIMATE_GROUP_CHECK,
    "estimate_group_check_summary": schema.ESTIMATE_GROUP_CHECK_SUMMARY,
}


def derive_estimates(
    db: sqlite_utils.Database, manifest: dict | None = None, fitted: group_estimates.Fit | None = None
) -> dict[str, int]:
    """Write the estimate_* tables from model_versioning and validation_labels; rows per table.

    manifest: the validation folder's MANIFEST.json (its strata and groups give the design
    weights of the per-group estimates); None when the build has no labels. fitted: its
    group_estimates.fit, when the caller has it already."""
    censuses = labelled_census(db)
    counts = census_counts(db)
    labelled: dict[tuple, list[dict]] = defaultdict(list)
    for census in censuses:
        for r in labelled_uniform(db, census):
            labelled[(census, ALL)].append(r)
            labelled[(census, r["band"])].append(r)
    tables = {
        "estimate_rq1": rq1_rows(counts, labelled, censuses),
        "estimate_seed_gap": seed_gap_rows(counts),
        **group_estimates.derive(db, manifest if censuses else None, fitted),
    }
    for name, rows in tables.items():
        table = ESTIMATE_TABLES[name]
        db.conn.executemany(table.insert, [table.row(**r) for r in rows])
    return {table: len(rows) for table, rows in tables.items()}
