"""Per-task and per-company estimates: design weights, reading rates, groups read in full, groups
without labels, and the check that estimates each labelled group without its own labels; against
independent computations on the fixture's real rows (every labelled id of 2024-07-11 is in it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scripts.derive import group_estimates as g
from scripts.load.validation import VALIDATION_DIR
from tests.test_validation_labels import rows

CENSUS = "2024-07-11"
MANIFEST = json.loads((VALIDATION_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
GROUPS = MANIFEST["group_labels"]["groups"]


def name_of(model_id: str) -> str:
    return model_id.partition("/")[2]


@pytest.fixture(scope="module")
def census(fixture_db):
    """Every 2024-07-11 model of the fixture with what the frames and readings need."""
    got = rows(
        fixture_db,
        """select m.model, m.model_id, m.organization, m.organization_kind, m.pipeline_tag,
                  m.own_version, m.primary_form, m.marker_count, m.base_model_markers,
                  m.environment_markers, m.dataset_markers,
                  exists (select 1 from model_base_models b where b.model = m.model
                          and b.base_model glob '*[0-9]*') as base_digit
           from model_versioning m where m.snapshot = ?""",
        (CENSUS,),
    )
    return {r["model_id"]: r for r in got}


@pytest.fixture(scope="module")
def labels(fixture_db):
    return {
        r["model_id"]: r
        for r in rows(fixture_db, "select * from validation_labels where snapshot = ?", (CENSUS,))
    }


def reading_of(m: dict) -> str:
    """The reading, written out again from its definition in the module's docstring."""
    forms = {
        "own v-number": ("v_major", "v_minor", "v_patch"),
        "own bare number": ("num_minor", "num_patch"),
    }
    if m["own_version"]:
        return next(
            (k for k, v in forms.items() if m["primary_form"] in v), "own date, generation or checkpoint"
        )
    for column, reading in [
        ("base_model_markers", "base model's version"),
        ("environment_markers", "environment's version"),
        ("marker_count", "dataset's version or unclear marker"),
    ]:
        if m[column]:
            return reading
    return "digit, no marker" if any(c.isdigit() for c in name_of(m["model_id"])) else "no digit"


def frames_of(m: dict) -> dict[str, bool]:
    return {
        "uniform": True,
        "digits": any(c.isdigit() for c in name_of(m["model_id"])),
        "base_versioned": bool(m["base_digit"]),
        "bigorg": m["organization_kind"] == "company",
        "rl": m["pipeline_tag"] == "reinforcement-learning",
        **{
            group: (m["organization"] if group.startswith("company:") else m["pipeline_tag"])
            == group.partition(":")[2]
            for group in GROUPS
        },
    }


def test_every_model_has_the_reading_of_its_definition(fixture_db, census):
    got = rows(
        fixture_db,
        f"select model_id, {g.reading_sql()} as reading from model_versioning m where snapshot = ?",
        (CENSUS,),
    )
    assert len(got) == len(census)
    assert all(r["reading"] == reading_of(census[r["model_id"]]) for r in got)
    assert {r["reading"] for r in got} == {name for name, _, _ in g.READINGS}


def test_design_weights_are_inverse_chances_over_the_frames(fixture_db, census, labels):
    members = {f: sum(frames_of(m)[f] for m in census.values()) for f in MANIFEST["strata"]}
    chance = {f: MANIFEST["strata"][f]["ids"] / members[f] for f in MANIFEST["strata"]}
    chance |= {group: min(1.0, d["ids"] / d["group_size"]) for group, d in GROUPS.items()}
    weights = g.design_weights(g.sqlite_utils.Database(fixture_db), MANIFEST, CENSUS)
    assert set(weights) == set(labels)
    for model_id, weight in weights.items():
        miss = np.prod([1 - chance[f] for f, inside in frames_of(census[model_id]).items() if inside])
        assert weight == pytest.approx(1 / (1 - miss), rel=1e-9)
    # A uniform draw with no digit, outside every other frame, stands for census / 300 models;
    # a company read in full stands for itself.
    plain = [
        i for i, x in labels.items() if x["stratum"] == "uniform" and sum(frames_of(census[i]).values()) == 1
    ]
    assert plain and all(weights[i] == pytest.approx(len(census) / 300) for i in plain)
    apple = [i for i, x in labels.items() if x["label_group"] == "company:Apple"]
    assert apple and all(1 < weights[i] <= 1 / chance["company:Apple"] for i in apple)


def levels_of(m: dict) -> tuple[str, str, str, str]:
    reading = reading_of(m)
    namespace = "company namespace" if m["organization_kind"] == "company" else "other namespace"
    broad = "own version" if m["own_version"] else "marker not its own" if m["marker_count"] else "no marker"
    return (f"{reading}, {namespace}", f"{broad}, {namespace}", reading, broad)


def test_reading_rates_are_design_weighted_label_shares(fixture_db, census, labels):
    db = g.sqlite_utils.Database(fixture_db)
    labelled = g.labelled_readings(db, MANIFEST, CENSUS)
    weights = g.design_weights(db, MANIFEST, CENSUS)
    rates = g.reading_rates(labelled)
    assert {x.model_id: x.levels for x in labelled} == {i: levels_of(census[i]) for i in labels}
    for reading, rate in rates.items():
        ids = [i for i in labels if reading in levels_of(census[i])]
        assert rate.labelled == len(ids)
        if ids:
            w = sum(weights[i] for i in ids)
            assert rate.rate == pytest.approx(sum(weights[i] * labels[i]["own_version"] for i in ids) / w)
            assert rate.effective_labels == pytest.approx(w**2 / sum(weights[i] ** 2 for i in ids))
            assert rate.alpha + rate.beta == pytest.approx(rate.effective_labels + 1)
    # Names without a digit almost never carry a version; an own v-number almost always does.
    assert rates["no digit"].rate < 0.05 < 0.7 < rates["own v-number"].rate


def test_a_company_read_in_full_is_published_as_its_labels(fixture_db, labels):
    (apple,) = rows(
        fixture_db,
        "select * from estimate_companies where snapshot = ? and organization = 'Apple'",
        (CENSUS,),
    )
    read = [x for x in labels.values() if x["organization"] == "Apple"]
    assert apple["method"] == g.READ_IN_FULL and apple["error_measured"] == 1
    assert (apple["labelled"], apple["labelled_own"]) == (len(read), sum(x["own_version"] for x in read))
    unread = apple["models"] - apple["labelled"]
    # The models not read can add at most their own count; the labelled share is the floor.
    assert apple["labelled_own"] / apple["models"] <= apple["share_corrected"] + 1e-9
    assert apple["corrected_high"] <= (apple["labelled_own"] + unread) / apple["models"] + 1e-9
    assert apple["corrected_low"] >= apple["labelled_own"] / apple["models"] - 1e-9


def posterior_mean(rate) -> float:
    return rate.alpha / (rate.alpha + rate.beta)


def test_a_group_without_labels_gets_the_rates_of_its_readings(fixture_db, census):
    db = g.sqlite_utils.Database(fixture_db)
    labelled = g.labelled_readings(db, MANIFEST, CENSUS)
    rates, spread = g.reading_rates(labelled), g.group_spread(labelled)
    got = rows(
        fixture_db,
        "select * from estimate_tasks where snapshot = ? and labelled = 0 and error_measured = 1 order by models desc",
        (CENSUS,),
    )
    assert got, "a task without labelled ids"
    for task in got[:5]:
        models = [m for m in census.values() if (m["pipeline_tag"] or "(none)") == task["pipeline_tag"]]
        measured = [
            next(k for k in levels_of(m) if rates[k].labelled >= g.MIN_READING_LABELS) for m in models
        ]
        by_levels: dict = {}
        for m in models:
            by_levels[levels_of(m)] = by_levels.get(levels_of(m), 0) + 1
        est = g.estimate_group(0, 0, by_levels, rates, spread, np.random.default_rng(1))
        # On average over the draws, each model carries a version at its reading's rate.
        expected = sum(posterior_mean(rates[k]) for k in measured) / len(models)
        assert est.mean == pytest.approx(expected, rel=0.1, abs=2 / len(models))
        assert task["method"] == g.BY_READING
        # The published point is the draws' median: a count of the task's models.
        assert task["corrected_low"] <= task["share_corrected"] <= task["corrected_high"]
        assert task["share_corrected"] * task["models"] == pytest.approx(
            round(task["share_corrected"] * task["models"]), abs=1e-6 * task["models"] + 1e-9
        )


def test_no_interval_collapses_where_many_models_are_unread(fixture_db):
    got = rows(
        fixture_db,
        """select * from estimate_tasks where snapshot = ? and error_measured = 1 and models > labelled
           union all select * from estimate_companies where snapshot = ? and error_measured = 1
           and models > labelled""",
        (CENSUS, CENSUS),
    )
    assert got
    # An interval is a point only where a few unread models each have a small chance of being
    # misread (names without a digit, say), so that no error at all is more than 95% likely.
    collapsed = [r for r in got if r["corrected_high"] <= r["corrected_low"]]
    assert len(collapsed) < len(got)
    assert all(r["models"] - r["labelled"] <= 50 for r in collapsed)
    assert all(r["corrected_low"] <= r["share_corrected"] <= r["corrected_high"] for r in got)


def test_readings_no_level_measures_say_error_not_measured():
    def rate(key, labelled, own, rate):
        return g.ReadingRate(key, labelled, own, float(labelled), rate, 0.5 + own, 0.5 + labelled - own)

    rates = {
        "no digit, other namespace": rate("no digit, other namespace", 200, 1, 0.005),
        "no digit": rate("no digit", 300, 1, 0.004),
        "own date, generation or checkpoint, other namespace": rate("x", 3, 2, 0.67),
        "own date, generation or checkpoint": rate("y", 4, 3, 0.75),
        "own version, other namespace": rate("z", 4, 3, 0.75),
        "no marker, other namespace": rate("no marker, other namespace", 250, 2, 0.008),
        "own version": rate("own version", 5, 4, 0.8),
    }
    no_digit = g.levels("no digit", False)
    date = g.levels("own date, generation or checkpoint", False)
    rng = np.random.default_rng(0)
    mostly_dates = g.estimate_group(0, 0, {no_digit: 50, date: 50}, rates, 5.0, rng)
    assert mostly_dates.point is None and mostly_dates.unmeasured == 50
    few_dates = g.estimate_group(0, 0, {no_digit: 1000, date: 2}, rates, 5.0, rng)
    assert few_dates.mean == pytest.approx(posterior_mean(rates["no digit, other namespace"]), rel=0.1)
    assert few_dates.unmeasured == 2
    row = g._estimate_columns(mostly_dates, {"labelled": 0, "labelled_own": 0, "labelled_errors": 0}, 100)
    assert row["note"].startswith("error not measured") and "share_corrected" not in row
    # With labels enough at the broad level the dates fall back to it.
    rates["own version"] = rate("own version", 40, 32, 0.8)
    fallback = g.estimate_group(0, 0, {no_digit: 50, date: 50}, rates, 5.0, rng)
    expected = (
        50 * posterior_mean(rates["no digit, other namespace"]) + 50 * posterior_mean(rates["own version"])
    ) / 100
    assert fallback.mean == pytest.approx(expected, rel=0.05)


def test_a_groups_own_labels_move_its_rate_as_far_as_the_spread_allows():
    rates = {
        k: g.ReadingRate(k, 100, 10, 100.0, 0.1, 10.5, 90.5) for k in g.levels("digit, no marker", False)
    }
    keys = g.levels("digit, no marker", False)
    rng = np.random.default_rng(0)
    # 20 labelled ids of the group in this reading, 10 with their own version: 50% against 10%.
    tight = g.estimate_group(10, 20, {keys: 1000}, rates, 1000.0, rng, {keys: (20, 10)})
    loose = g.estimate_group(10, 20, {keys: 1000}, rates, 2.0, rng, {keys: (20, 10)})
    mean = 10.5 / 101  # the reading's posterior mean
    assert tight.mean == pytest.approx((10 + 1000 * (1000 * mean + 10) / 1020) / 1020, rel=0.02)
    assert loose.mean == pytest.approx((10 + 1000 * (2 * mean + 10) / 22) / 1020, rel=0.02)
    assert tight.point < loose.point
    assert loose.high - loose.low > tight.high - tight.low


def test_the_census_without_labels_says_error_not_measured(fixture_db):
    for table in ("estimate_tasks", "estimate_companies"):
        got = rows(fixture_db, f"select * from {table} where snapshot = '2022-02-21'")
        assert got and all(r["share_corrected"] is None and r["error_measured"] == 0 for r in got)
        assert all(r["note"].startswith("error not measured") for r in got)


def test_each_labelled_group_is_checked_without_its_own_labels(fixture_db, labels):
    got = {r["label_group"]: r for r in rows(fixture_db, "select * from estimate_group_check")}
    assert set(got) == set(GROUPS)
    for group, r in got.items():
        kind, _, value = group.partition(":")
        column = "organization" if kind == "company" else "pipeline_tag"
        # A company is read in full (all its labelled models); a task's truth is its random sample.
        members = [
            x
            for x in labels.values()
            if (x[column] == value if kind == "company" else x["label_group"] == group)
        ]
        assert r["labelled"] == len(members) >= GROUPS[group]["ids"]
        assert r["share_labelled"] == pytest.approx(
            sum(x["own_version"] for x in members) / len(members), abs=1e-6
        )
        assert r["share_raw"] == pytest.approx(
            sum(x["classifier_own_version"] for x in members) / len(members), abs=1e-6
        )
        assert r["interval_holds"] == int(r["estimated_low"] <= r["share_labelled"] <= r["estimated_high"])


def test_leaving_a_group_out_changes_only_the_rates_its_labels_inform(fixture_db):
    db = g.sqlite_utils.Database(fixture_db)
    labelled = g.labelled_readings(db, MANIFEST, CENSUS)
    without = [x for x in labelled if x.organization != "Tencent"]
    kept, dropped = g.reading_rates(labelled), g.reading_rates(without)
    touched = {k for x in labelled if x.organization == "Tencent" for k in x.levels}
    for reading in kept:
        if reading not in touched:
            assert kept[reading] == dropped[reading]
        else:
            assert dropped[reading].labelled < kept[reading].labelled


def test_the_check_is_summed_up_per_kind_of_group(fixture_db):
    check = rows(fixture_db, "select * from estimate_group_check")
    summary = {r["kind"]: r for r in rows(fixture_db, "select * from estimate_group_check_summary")}
    assert set(summary) == {"company", "task"}
    for kind, s in summary.items():
        part = [r for r in check if r["label_group"].startswith(kind + ":")]
        assert (s["groups"], s["held"]) == (len(part), sum(r["interval_holds"] == 1 for r in part))
        errors = [r["error_estimated"] for r in part if r["error_estimated"] is not None]
        assert s["mean_error"] == pytest.approx(sum(errors) / len(errors), abs=1e-6)
        assert s["mean_error_raw"] == pytest.approx(sum(r["error_raw"] for r in part) / len(part), abs=1e-6)


def test_about_page_and_validate_show_the_check(site, fixture_db):
    from scripts import validate

    html = " ".join(site.get("/about").text.split())
    check = validate.group_check(fixture_db)
    text = validate.group_check_markdown(check)
    for r in check["estimate_group_check"]:
        assert r["label_group"] in html and f"| {r['label_group']} | {r['labelled']} |" in text
        if r["share_estimated"] is not None:
            shown = f"{100 * r['share_estimated']:.1f}% ({100 * r['estimated_low']:.1f}-{100 * r['estimated_high']:.1f}%)"
            assert shown in html
    for s in check["estimate_group_check_summary"]:
        assert f"the interval holds the truth in {s['held']} of {s['groups']}" in html
        assert f"| {s['kind']} | {s['held']} of {s['groups']} |" in text
        errors = f"{100 * s['mean_error']:.2f} | {100 * s['mean_error_raw']:.2f} |"
        assert errors in text
        assert f"mean absolute error {100 * s['mean_error']:.2f} points" in html


def test_any_set_of_models_is_estimated_as_a_task_is(fixture_db):
    db = g.sqlite_utils.Database(fixture_db)
    got = g.estimate_sets(
        db,
        MANIFEST,
        """select coalesce(pipeline_tag, '(none)') as grp, model from model_versioning
           where snapshot = '2024-07-11' and pipeline_tag in ('reinforcement-learning', 'fill-mask')""",
    )
    assert set(got) == {"reinforcement-learning", "fill-mask"}
    for task, est in got.items():
        (row,) = rows(
            fixture_db, "select * from estimate_tasks where snapshot = ? and pipeline_tag = ?", (CENSUS, task)
        )
        assert est.point == pytest.approx(row["share_corrected"], abs=1e-6)
        assert est.low <= est.point <= est.high


def test_the_spread_is_fitted_against_rates_measured_without_each_group(fixture_db):
    from scipy import special

    db = g.sqlite_utils.Database(fixture_db)
    labelled = g.labelled_readings(db, MANIFEST, CENSUS)
    cells: dict = {}
    for group in GROUPS:
        # Rates as an unlabelled group meets them: its labels, and its company's or task's, left out.
        kind, _, value = group.partition(":")
        column = "organization" if kind == "company" else "pipeline_tag"
        rates = g.reading_rates([x for x in labelled if getattr(x, column) != value])
        for x in labelled:
            if x.label_group == group:
                key = next(k for k in x.levels if rates[k].labelled >= g.MIN_READING_LABELS)
                cell = cells.setdefault(
                    (group, key), [0, 0, rates[key].alpha / (rates[key].alpha + rates[key].beta)]
                )
                cell[0] += 1
                cell[1] += x.label
    n, y, p = np.array(list(cells.values()), dtype=float).T

    def log_likelihood(k: float) -> float:
        return float(
            (special.betaln(y + k * p, n - y + k * (1 - p)) - special.betaln(k * p, k * (1 - p))).sum()
        )

    k = g.group_spread(labelled)
    assert g.MIN_SPREAD <= k <= g.MAX_SPREAD
    # The fit is the maximum: a spread a quarter smaller or larger explains the groups worse.
    for other in (k / 1.25, k * 1.25):
        if g.MIN_SPREAD <= other <= g.MAX_SPREAD:
            assert log_likelihood(k) >= log_likelihood(other) - 1e-6


def test_the_same_models_get_the_same_figures_under_any_name(fixture_db):
    db = g.sqlite_utils.Database(fixture_db)
    rl = "select model from model_versioning where snapshot = '2024-07-11' and pipeline_tag = 'reinforcement-learning'"
    got = g.estimate_sets(
        db,
        MANIFEST,
        f"""select 'one name' as grp, model from ({rl}) union all select 'another' as grp, model from ({rl})
            union all select coalesce(pipeline_tag, '(none)'), model from model_versioning
            where snapshot = '2024-07-11' and pipeline_tag in ('fill-mask', 'translation')""",
    )
    assert got["one name"] == got["another"] and got["one name"].point is not None
    (row,) = rows(
        fixture_db,
        "select * from estimate_tasks where snapshot = ? and pipeline_tag = 'reinforcement-learning'",
        (CENSUS,),
    )
    assert got["one name"].point == pytest.approx(row["share_corrected"], abs=1e-6)


@pytest.mark.parametrize(
    ("alpha", "beta", "tail"),
    [(0.5, 0.5, 0.025), (3.2, 41.7, 0.025), (120.0, 9.5, 0.05), (7000.0, 3.0, 0.005), (1.0, 1.0, 0.0)],
)
def test_the_beta_interval_is_scipy_stats_beta_quantiles(alpha, beta, tail):
    from scipy import stats

    expected = (float(stats.beta.ppf(tail, alpha, beta)), float(stats.beta.ppf(1 - tail, alpha, beta)))
    assert g._beta_interval(alpha, beta, tail) == expected


def test_the_normal_quantile_is_scipy_stats_norm_ppf():
    from scipy import stats

    from scripts.derive import estimates

    for confidence in (0.9, 0.95, 0.99):
        assert estimates._z(confidence) == float(stats.norm.ppf(0.5 + confidence / 2))


def test_the_build_does_not_import_scipy_stats():
    """scipy.stats is 23 MiB more in the build's process, which has its peak in the derive stage:
    neither the build nor any module of its derive stage imports it."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import importlib, pkgutil, sys, scripts.build, scripts.derive\n"
        "for m in pkgutil.iter_modules(scripts.derive.__path__): importlib.import_module('scripts.derive.' + m.name)\n"
        "print('scipy.stats' in sys.modules, 'scripts.derive.group_estimates' in sys.modules)"
    )
    root = Path(g.__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.split() == ["False", "True"]
