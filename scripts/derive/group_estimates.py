"""Derive stage: each task's and company's own-version share, corrected with the classifier's error
measured where it applies (`estimate_tasks`, `estimate_companies`, `estimate_readings`,
`estimate_group_check`).

The census is counted whole, so a group's raw share has no sampling error; its real uncertainty
is the classifier's error, and that error differs by kind of name (false positives are rarer on
names without a digit than on names full of numbers, and rarer in companies' namespaces). So the
correction is conditional on what the classifier saw:

1. Every model gets a *reading*: the classifier's decision and the kind of evidence behind it
   (an own v-number, an own bare number, an environment's version, no marker on a name with a
   digit, no digit at all, ...; READINGS below), told apart by whether the namespace is a
   company's. A reading with fewer than MIN_READING_LABELS labelled ids falls back to its broad
   class (own version, a marker not the model's own, no marker) in the same kind of namespace,
   then to the reading in any namespace, then to its broad class.
2. For each reading, the share of models that truly carry their own version is estimated from
   every hand-labelled id with that reading, each weighted by its design weight: the inverse of
   its probability of having been drawn into any of the labelled sets (the strata and groups
   were drawn from overlapping frames with different probabilities; design_weights below).
3. Groups differ inside a reading (one company's names fool the classifier more than another's):
   how much is fitted on the labelled groups as the concentration of a Beta around each
   reading's rate (beta-binomial maximum likelihood; group_spread).
4. A group's share is its labelled models' labels (a company read in full is known exactly)
   plus, for its unlabelled models, the group's rate in their reading: the reading's rate moved
   towards the group's own labels in that reading as far as the spread allows. The published
   share is the median of the draws below, the interval their 2.5 and 97.5 percentiles.

The interval is a 95% interval over the real sources of error: each reading's rate (a Beta
posterior with Jeffreys' prior on the Kish effective number of labels), the group's departure
from it (the fitted spread), and which of the group's unlabelled models carry a version
(binomial). `estimate_group_check` tests the method by estimating each labelled group without
any of its own labels. A group whose unlabelled models fall in readings that no level measures
says "error not measured" instead of a number; so does a census the labels are not from.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from typing import NamedTuple

import numpy as np
import sqlite_utils
from scipy import optimize, special

CONFIDENCE = 0.95
DRAWS = 4000
SEED = 20240711
# A reading with fewer labelled ids than this has no measured rate of its own; a group with more
# than UNMEASURED_SHARE of its unlabelled models in readings no level measures gets no estimate.
MIN_READING_LABELS = 10
UNMEASURED_SHARE = 0.05
LABELLED_CENSUS = "2024-07-11"
# Bounds of the fitted spread between groups (a Beta concentration).
MIN_SPREAD, MAX_SPREAD = 0.5, 10000.0

V_FORMS = ("v_major", "v_minor", "v_patch")
NUMBER_FORMS = ("num_minor", "num_patch")
OWN, NOT_OWN, NO_MARKER = "own version", "marker not its own", "no marker"

# (reading, its broad class, SQL condition over model_versioning `m` and the name part `name`),
# first match wins.
READINGS = (
    ("own v-number", OWN, f"m.own_version and m.primary_form in {V_FORMS}"),
    ("own bare number", OWN, f"m.own_version and m.primary_form in {NUMBER_FORMS}"),
    ("own date, generation or checkpoint", OWN, "m.own_version"),
    ("base model's version", NOT_OWN, "m.base_model_markers > 0"),
    ("environment's version", NOT_OWN, "m.environment_markers > 0"),
    ("dataset's version or unclear marker", NOT_OWN, "m.marker_count > 0"),
    ("digit, no marker", NO_MARKER, "name glob '*[0-9]*'"),
    ("no digit", NO_MARKER, "1"),
)
BROAD = {reading: broad for reading, broad, _ in READINGS}
COMPANY, OTHER = "company namespace", "other namespace"


def reading_sql(alias: str = "m") -> str:
    """SQL expression: the reading of a model_versioning row aliased `alias`."""
    name = f"substr({alias}.model_id, instr({alias}.model_id, '/') + 1)"
    cases = []
    for reading, _, cond in READINGS:
        cond = cond.replace("m.", f"{alias}.").replace("name", name)
        cases.append(f"when {cond} then '{reading.replace(chr(39), chr(39) * 2)}'")
    return f"case {' '.join(cases)} end"


def levels(reading: str, company: bool) -> tuple[str, str, str, str]:
    """The keys a model's rate is looked up by, most specific first: the reading in its kind of
    namespace, the reading's broad class in that kind of namespace (the labels show precision
    differs more by namespace than by marker form), the reading anywhere, the broad class."""
    namespace = COMPANY if company else OTHER
    return (f"{reading}, {namespace}", f"{BROAD[reading]}, {namespace}", reading, BROAD[reading])


LEVEL_ORDER = {
    key: i
    for i, key in enumerate(
        dict.fromkeys(
            k for reading, _, _ in READINGS for company in (True, False) for k in levels(reading, company)
        )
    )
}


class Labelled(NamedTuple):
    model_id: str
    levels: tuple[str, str, str, str]
    label: int  # the hand label: 1 when the model carries its own version
    classifier: int
    weight: float  # design weight: 1 / probability of being drawn into any labelled set
    label_group: str | None  # `company:X` / `task:T` of the group labels, else None
    organization: str | None
    pipeline_tag: str | None


class ReadingRate(NamedTuple):
    reading: str
    labelled: int
    labelled_own: int
    effective_labels: float  # Kish: (sum w)^2 / sum w^2
    rate: float | None  # weighted share of labelled ids with their own version
    alpha: float  # the Beta posterior of the rate
    beta: float


# -- design weights -------------------------------------------------------------------------------


def _frame_sql(stratum: str) -> str:
    """SQL condition over model_versioning `m` (and `name`): the frame a stratum was drawn from
    (data/validation/MANIFEST.json's drawn_from)."""
    return {
        "uniform": "1",
        "digits": "name glob '*[0-9]*'",
        "base_versioned": """exists (select 1 from model_base_models b where b.model = m.model
                                     and b.base_model glob '*[0-9]*')""",
        "bigorg": "m.organization_kind = 'company'",
        "rl": "m.pipeline_tag = 'reinforcement-learning'",
    }[stratum]


def design_weights(db: sqlite_utils.Database, manifest: dict, census: str) -> dict[str, float]:
    """model_id -> design weight of every labelled id of `census`.

    Each stratum and group drew n ids from a frame of N models: every model of the frame had the
    chance n / N. The frames overlap (a uniform draw may have a digit), so a labelled id's chance
    of being in the labelled sets is 1 - prod(1 - n/N) over the frames it belongs to, and its
    weight the inverse. A company's group is the company read in full: chance 1."""
    name = "substr(m.model_id, instr(m.model_id, '/') + 1)"
    strata = list(manifest["strata"])
    in_frames = ", ".join(f"({_frame_sql(s).replace('name', name)}) as {s}" for s in strata)
    # One scan for the frames' sizes; the base_versioned frame is counted from its own table.
    sizes = db.execute(
        f"""select {", ".join(f"sum({_frame_sql(s).replace('name', name)})" for s in strata if s != "base_versioned")}
            from model_versioning m where m.snapshot = ?""",
        [census],
    ).fetchone()
    size = dict(zip([s for s in strata if s != "base_versioned"], sizes, strict=True))
    if "base_versioned" in strata:
        (size["base_versioned"],) = db.execute(
            """select count(distinct b.model) from model_base_models b join model_versioning m
               on m.model = b.model where m.snapshot = ? and b.base_model glob '*[0-9]*'""",
            [census],
        ).fetchone()
    chance = {s: manifest["strata"][s]["ids"] / size[s] for s in strata}
    groups = manifest.get("group_labels", {}).get("groups", {})
    chance |= {group: min(1.0, d["ids"] / d["group_size"]) for group, d in groups.items()}
    weights = {}
    for r in db.query(
        f"""select m.model_id, m.organization, m.pipeline_tag, {in_frames}
            from validation_labels v join model_versioning m on m.model = v.model where m.snapshot = ?""",
        [census],
    ):
        inside = [s for s in strata if r[s]] + [group for group in groups if _in_frame(r, group)]
        weights[r["model_id"]] = 1 / (1 - float(np.prod([1 - chance[f] for f in inside])))
    return weights


def _in_frame(row: dict, group: str) -> bool:
    kind, _, value = group.partition(":")
    return row["organization" if kind == "company" else "pipeline_tag"] == value


def labelled_readings(db: sqlite_utils.Database, manifest: dict, census: str) -> list[Labelled]:
    """Every labelled id of `census` with its reading levels, label, classifier decision, weight."""
    weights = design_weights(db, manifest, census)
    rows = db.query(
        f"""select v.model_id, {reading_sql()} as reading, coalesce(m.organization_kind = 'company', 0) as company,
                   v.own_version as label, m.own_version as classifier, v.label_group, m.organization,
                   m.pipeline_tag
            from validation_labels v join model_versioning m on m.model = v.model
            where m.snapshot = ? order by v.model_id""",
        [census],
    )
    return [
        Labelled(
            r["model_id"],
            levels(r["reading"], bool(r["company"])),
            r["label"],
            r["classifier"],
            weights[r["model_id"]],
            r["label_group"],
            r["organization"],
            r["pipeline_tag"],
        )
        for r in rows
    ]


# -- rates per reading ----------------------------------------------------------------------------


def reading_rates(labelled: list[Labelled]) -> dict[str, ReadingRate]:
    """Per reading key of every level: the design-weighted share of labelled ids with their own
    version and its Beta posterior (Jeffreys' prior, on the Kish effective number of labels)."""
    by_key: dict[str, list[Labelled]] = defaultdict(list)
    for x in labelled:
        for key in x.levels:
            by_key[key].append(x)
    rates = {}
    for key in LEVEL_ORDER:
        xs = by_key.get(key, [])
        w = np.array([x.weight for x in xs])
        y = np.array([x.label for x in xs], dtype=float)
        rate = float((w * y).sum() / w.sum()) if xs else None
        n_eff = float(w.sum() ** 2 / (w**2).sum()) if xs else 0.0
        hits = n_eff * (rate or 0.0)
        rates[key] = ReadingRate(key, len(xs), int(y.sum()), n_eff, rate, 0.5 + hits, 0.5 + n_eff - hits)
    return rates


def posterior_mean(r: ReadingRate) -> float:
    return r.alpha / (r.alpha + r.beta)


def measured_key(keys: tuple[str, ...], rates: dict[str, ReadingRate]) -> str | None:
    """The most specific of `keys` whose rate rests on MIN_READING_LABELS labelled ids or more."""
    return next((k for k in keys if rates[k].labelled >= MIN_READING_LABELS), None)


def group_spread(labelled: list[Labelled]) -> float:
    """How far a group's rate in a reading strays from the reading's rate, as the concentration
    k of a Beta(k p, k (1 - p)) around it (smaller: groups differ more), fitted by maximum
    likelihood to the labelled groups (beta-binomial counts of each group's ids per reading).
    At the upper bound, the labelled groups stray no more than binomial counts do. Each group is set against rates measured without it (its labels and any other labelled id of
    its company or task left out), as an unlabelled group will be: rates that include the group's
    own labels would lean towards it and hide how far groups stray."""
    cells: dict[tuple[str, str], list[float]] = {}
    for group in sorted({x.label_group for x in labelled if x.label_group is not None}):
        rates = reading_rates([x for x in labelled if not _in_group(x, group)])
        for x in labelled:
            key = measured_key(x.levels, rates) if x.label_group == group else None
            if key is not None:
                cell = cells.setdefault((group, key), [0, 0, posterior_mean(rates[key])])
                cell[0] += 1
                cell[1] += x.label
    if not cells:
        return MAX_SPREAD
    n, y, rate = np.array(list(cells.values()), dtype=float).T

    def minus_log_likelihood(log_k: float) -> float:
        a, b = np.exp(log_k) * rate, np.exp(log_k) * (1 - rate)
        return -float((special.betaln(y + a, n - y + b) - special.betaln(a, b)).sum())

    fit = optimize.minimize_scalar(
        minus_log_likelihood, bounds=(np.log(MIN_SPREAD), np.log(MAX_SPREAD)), method="bounded"
    )
    return float(np.exp(fit.x))


class GroupEstimate(NamedTuple):
    point: float | None
    low: float | None
    high: float | None
    unmeasured: int  # unlabelled models in readings no level measures
    labelled: int = 0  # the group's hand-labelled models
    mean: float | None = None  # the draws' mean (the point is their median)


def content_rng(seed: int, *inputs) -> np.random.Generator:
    """Draws seeded by what is estimated: the same models give the same figures on every page,
    whatever the group is called and whichever other groups are estimated beside it."""
    return np.random.default_rng([seed, zlib.crc32(repr(inputs).encode("utf-8"))])


def estimate_group(
    known_own: int,
    known: int,
    unlabelled: dict[tuple[str, ...], int],
    rates: dict[str, ReadingRate],
    spread: float,
    rng: np.random.Generator | None = None,
    own_labels: dict[tuple[str, ...], tuple[int, int]] | None = None,
    draws: int = DRAWS,
) -> GroupEstimate:
    """A group's own-version share: `known_own` of its `known` labelled models, plus its unlabelled
    models (count per reading levels) at the group's rate in their reading: the reading's rate,
    moved towards the group's own labels in it (`own_labels`: levels -> (ids, own)) as far as
    `spread` allows. The interval is over draws of the readings' rates (Beta), of the group's
    departure from them (Beta of concentration `spread`) and of which unlabelled models carry a
    version (binomial); the point is the draws' median: a share of the group's models that can
    occur (a count over them), and the estimate of least expected absolute error. Errors cluster
    in a few groups (a small spread), so for most groups the median stays near the classifier's
    count while the interval keeps room for a group the classifier misreads."""
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # key -> unlabelled, ids, own
    unmeasured = 0
    for keys, n in unlabelled.items():
        key = measured_key(keys, rates)
        if key is None:
            unmeasured += n
            continue
        ids, own = (own_labels or {}).get(keys, (0, 0))
        cells[key][0] += n
        cells[key][1] += ids
        cells[key][2] += own
    total = known + sum(unlabelled.values())
    if total == 0 or unmeasured > UNMEASURED_SHARE * max(1, total - known):
        return GroupEstimate(None, None, None, unmeasured, known)
    counted = total - unmeasured
    if rng is None:
        rng = content_rng(SEED, known_own, known, sorted(cells.items()), spread)
    drawn = np.full(draws, float(known_own))
    # In a fixed order: the draws depend on the group alone, not on how its cells were listed.
    for key, (n, ids, own) in sorted(cells.items()):
        if not n:
            continue
        rate = np.clip(rng.beta(rates[key].alpha, rates[key].beta, size=draws), 1e-9, 1 - 1e-9)
        drawn += rng.binomial(n, rng.beta(spread * rate + own, spread * (1 - rate) + ids - own))
    tail = (1 - CONFIDENCE) / 2 * 100
    low, point, high = np.percentile(drawn / counted, [tail, 50, 100 - tail])
    return GroupEstimate(
        float(point), float(low), float(high), unmeasured, known, float(drawn.mean() / counted)
    )


# -- the estimate_tasks and estimate_companies rows -----------------------------------------------

COUNTED = ("models", "own_version", "seed_rule", "labelled", "labelled_own", "labelled_errors")
READ_IN_FULL = "read in full by hand"
BY_READING = "labels, and reading rates for the unlabelled models"
NOT_MEASURED_NOTE = (
    "error not measured: {unmeasured} of its unlabelled models are of kinds of name (readings) that fewer "
    "than {min} labelled ids represent"
)
OTHER_CENSUS_NOTE = (
    "error not measured: the hand labels are of the {census} census, and its error rates are not "
    "carried to another census; raw classifier share only"
)


def reading_counts(db: sqlite_utils.Database) -> list[dict]:
    """One scan of model_versioning: per snapshot, task, organization and reading, the models, the
    classifier's and the seed rule's own versions, and the labelled models with their labels."""
    return list(
        db.query(
            f"""select m.snapshot, coalesce(m.pipeline_tag, '(none)') as pipeline_tag, m.organization,
                       {reading_sql()} as reading, coalesce(m.organization_kind = 'company', 0) as company,
                       count(*) as models, sum(m.own_version) as own_version, sum(m.seed_rule) as seed_rule,
                       count(v.model) as labelled, coalesce(sum(v.own_version), 0) as labelled_own,
                       coalesce(sum(v.own_version != m.own_version), 0) as labelled_errors
                from model_versioning m left join validation_labels v on v.model = m.model
                group by 1, 2, 3, 4, 5"""
        )
    )


def group_rows(
    counts: list[dict],
    key: str,
    rates: dict[str, ReadingRate] | None,
    spread: float,
    census: str,
) -> list[dict]:
    """estimate_tasks / estimate_companies rows (groups by `key`) from reading_counts; `rates`
    apply to `census` only."""
    groups: dict[tuple[str, str], dict[tuple, dict]] = defaultdict(dict)
    for c in counts:
        if c[key] is None:
            continue
        cell = groups[(c["snapshot"], c[key])].setdefault(
            (c["reading"], c["company"]), dict.fromkeys(COUNTED, 0)
        )
        for k in COUNTED:
            cell[k] += c[k]
    out = []
    for (snapshot, grp), by_reading in sorted(groups.items()):
        total = {k: sum(c[k] for c in by_reading.values()) for k in ("models", "own_version", "seed_rule")}
        known = {
            k: sum(c[k] for c in by_reading.values()) for k in ("labelled", "labelled_own", "labelled_errors")
        }
        row = {
            "snapshot": snapshot,
            key: grp,
            "models": total["models"],
            "share_raw": round(total["own_version"] / total["models"], 6),
            "share_corrected": None,
            "corrected_low": None,
            "corrected_high": None,
            "share_seed": round(total["seed_rule"] / total["models"], 6),
            **known,
            "error_measured": 0,
            "method": None,
            "note": OTHER_CENSUS_NOTE.format(census=census),
        }
        if snapshot == census and rates is not None:
            by_levels = {levels(reading, bool(company)): c for (reading, company), c in by_reading.items()}
            unlabelled = {k: c["models"] - c["labelled"] for k, c in by_levels.items()}
            own_labels = {k: (c["labelled"], c["labelled_own"]) for k, c in by_levels.items()}
            est = estimate_group(
                known["labelled_own"],
                known["labelled"],
                unlabelled,
                rates,
                spread,
                None,
                own_labels,
            )
            row.update(_estimate_columns(est, known, total["models"]))
        out.append(row)
    return out


def _estimate_columns(est: GroupEstimate, known: dict, models: int) -> dict:
    if est.point is None:
        note = NOT_MEASURED_NOTE.format(unmeasured=est.unmeasured, min=MIN_READING_LABELS)
        return {"method": None, "note": note}
    in_full = known["labelled"] >= (1 - UNMEASURED_SHARE) * models
    if in_full:
        note = (
            f"{known['labelled']} of its {models} models read by hand ({known['labelled_own']} with their own "
            f"version); the interval covers the {models - known['labelled']} not read"
        )
    else:
        note = (
            f"{known['labelled']} of its models hand-labelled; the others corrected by the error rate of "
            "their reading (the classifier's decision and its evidence), measured on every labelled id "
            "with its design weight"
        )
    if est.unmeasured:
        note += f"; {est.unmeasured} models of readings with too few labels left out"
    return {
        "share_corrected": round(est.point, 6),
        "corrected_low": round(est.low, 6),
        "corrected_high": round(est.high, 6),
        "error_measured": 1,
        "method": READ_IN_FULL if in_full else BY_READING,
        "note": note,
    }


def reading_rows(rates: dict[str, ReadingRate], spread: float, census: str) -> list[dict]:
    """estimate_readings rows: each reading's labelled ids and its measured rate with interval."""
    tail = (1 - CONFIDENCE) / 2
    out = []
    for reading, r in rates.items():
        measured = r.labelled >= MIN_READING_LABELS
        low, high = _beta_interval(r.alpha, r.beta, tail) if measured else (None, None)
        out.append(
            {
                "snapshot": census,
                "reading": reading,
                "reading_order": LEVEL_ORDER[reading],
                "labelled": r.labelled,
                "labelled_own": r.labelled_own,
                "effective_labels": round(r.effective_labels, 2),
                "own_rate": None if r.rate is None else round(r.rate, 6),
                "own_rate_low": low and round(low, 6),
                "own_rate_high": high and round(high, 6),
                "measured": int(measured),
                "group_spread": round(spread, 4),
            }
        )
    return out


def _beta_interval(alpha: float, beta: float, tail: float) -> tuple[float, float]:
    # The Beta quantiles, as scipy.stats.beta.ppf computes them (the same function), without
    # importing scipy.stats: 23 MiB more in the build's process at its peak.
    return float(special.betaincinv(alpha, beta, tail)), float(special.betaincinv(alpha, beta, 1 - tail))


# -- the check: each labelled group estimated without its own labels ------------------------------


def _in_group(x: Labelled, group: str) -> bool:
    return _in_frame(x._asdict(), group)


def group_check_rows(labelled: list[Labelled], groups: list[str], census: str) -> list[dict]:
    """estimate_group_check rows: each group of the group labels estimated from the other labels
    only (its group labels and any other labelled id of the same company or task left out), over
    its labelled models (a company's every labelled model, a task's random sample), beside their
    labelled truth and the raw classifier share on the same models."""
    out = []
    for group in groups:
        # A company is read in full: all its labelled models; a task's truth is its random sample.
        members = [
            x
            for x in labelled
            if (_in_group(x, group) if group.startswith("company:") else x.label_group == group)
        ]
        others = [x for x in labelled if not _in_group(x, group)]
        rates = reading_rates(others)
        unlabelled: dict[tuple[str, ...], int] = defaultdict(int)
        for x in members:
            unlabelled[x.levels] += 1
        est = estimate_group(0, 0, unlabelled, rates, group_spread(others), None)
        truth = sum(x.label for x in members) / len(members)
        raw = sum(x.classifier for x in members) / len(members)
        holds = None if est.point is None else int(est.low <= truth <= est.high)
        out.append(
            {
                "snapshot": census,
                "label_group": group,
                "labelled": len(members),
                "labelled_own": sum(x.label for x in members),
                "share_labelled": round(truth, 6),
                "share_raw": round(raw, 6),
                "share_estimated": None if est.point is None else round(est.point, 6),
                "estimated_low": None if est.low is None else round(est.low, 6),
                "estimated_high": None if est.high is None else round(est.high, 6),
                "interval_holds": holds,
                "error_estimated": None if est.point is None else round(abs(est.point - truth), 6),
                "error_raw": round(abs(raw - truth), 6),
            }
        )
    return out


def group_check_summary(check: list[dict]) -> list[dict]:
    """estimate_group_check_summary rows: per kind of group (company, task), how many intervals
    hold the truth and the mean absolute error of the estimate and of the raw classifier share."""
    out = []
    for kind in ("company", "task"):
        part = [r for r in check if r["label_group"].startswith(kind + ":")]
        errors = [r["error_estimated"] for r in part if r["error_estimated"] is not None]
        if part:
            out.append(
                {
                    "snapshot": part[0]["snapshot"],
                    "kind": kind,
                    "groups": len(part),
                    "held": sum(r["interval_holds"] == 1 for r in part),
                    "mean_error": round(sum(errors) / len(errors), 6) if errors else None,
                    "mean_error_raw": round(sum(r["error_raw"] for r in part) / len(part), 6),
                }
            )
    return out


# -- any sets of models ----------------------------------------------------------------------------


class Fit(NamedTuple):
    rates: dict[str, ReadingRate]
    spread: float
    labelled: list[Labelled]  # what they were measured on: every labelled id of the census


def fit(db: sqlite_utils.Database, manifest: dict) -> Fit:
    """The readings' rates and the spread between groups, from every labelled id of the census.
    Neither changes while the derive stage runs: the build fits once and hands the Fit to each
    step that corrects shares (about a CPU-second a fit, most of it the design weights' scan)."""
    labelled = labelled_readings(db, manifest, manifest["census"])
    rates = reading_rates(labelled)
    return Fit(rates, group_spread(labelled), labelled)


def estimate_sets(
    db: sqlite_utils.Database,
    manifest: dict,
    members_sql: str,
    params=(),
    fitted: Fit | None = None,
) -> dict[str, GroupEstimate]:
    """The corrected own-version share of any sets of models of the labelled census, by the same
    method as the tasks and companies: `members_sql` selects (grp, model) rows, `model` being a
    model_versioning key of that census. Returns grp -> GroupEstimate (point None: not measured).
    `fitted` (from fit) saves measuring the rates again for each call."""
    census = manifest["census"]
    rates, spread, _ = fitted or fit(db, manifest)
    cells = db.query(
        f"""select s.grp, {reading_sql()} as reading, coalesce(m.organization_kind = 'company', 0) as company,
                   count(*) as models, count(v.model) as labelled, coalesce(sum(v.own_version), 0) as labelled_own
            from ({members_sql}) s join model_versioning m on m.model = s.model
            left join validation_labels v on v.model = m.model
            where m.snapshot = ? group by 1, 2, 3""",
        [*params, census],
    )
    by_group: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for c in cells:
        by_group[c["grp"]][levels(c["reading"], bool(c["company"]))] = c
    out = {}
    for grp, by_levels in sorted(by_group.items()):
        known_own = sum(c["labelled_own"] for c in by_levels.values())
        known = sum(c["labelled"] for c in by_levels.values())
        unlabelled = {k: c["models"] - c["labelled"] for k, c in by_levels.items()}
        own_labels = {k: (c["labelled"], c["labelled_own"]) for k, c in by_levels.items()}
        out[grp] = estimate_group(known_own, known, unlabelled, rates, spread, None, own_labels)
    return out


# -- the derive step ------------------------------------------------------------------------------


def derive(
    db: sqlite_utils.Database, manifest: dict | None, fitted: Fit | None = None
) -> dict[str, list[dict]]:
    """Rows of estimate_tasks, estimate_companies, estimate_readings, estimate_group_check and its
    summary; without a validation manifest (no labels) raw shares only. `fitted` (fit of the same
    manifest) saves measuring the rates again."""
    census = manifest["census"] if manifest else LABELLED_CENSUS
    if manifest and fitted is None:
        fitted = fit(db, manifest)
    labelled = fitted.labelled if manifest else []
    rates = fitted.rates if labelled else None
    spread = fitted.spread if labelled else MAX_SPREAD
    groups = list(manifest.get("group_labels", {}).get("groups", {})) if manifest else []
    counts = reading_counts(db)
    check = group_check_rows(labelled, groups, census) if labelled else []
    return {
        "estimate_tasks": group_rows(counts, "pipeline_tag", rates, spread, census),
        "estimate_companies": group_rows(counts, "organization", rates, spread, census),
        "estimate_readings": reading_rows(rates, spread, census) if rates else [],
        "estimate_group_check": check,
        "estimate_group_check_summary": group_check_summary(check),
    }
