"""Estimates that carry the classifier's error, checked against independent computations on the
real labels (the fixture's build holds every labelled id of the 2024-07-11 census)."""

from __future__ import annotations

import math
import statistics

import pytest

from scripts.derive import estimates
from tests.test_validation_labels import rows

OWN = "label_scheme != 'none'"


def test_ppi_matches_the_formula_written_out(fixture_db):
    """Overall own-version share: the census share plus the mean rectifier over the uniform ids, with
    the normal interval of both variances, computed here with the statistics module alone."""
    (census,) = rows(
        fixture_db,
        "select count(*) as n, avg(own_version) as p from model_versioning where snapshot = '2024-07-11'",
    )
    labelled = rows(
        fixture_db,
        f"""select {OWN} as y, classifier_scheme != 'none' as f from validation_labels
            where stratum = 'uniform'""",
    )
    assert len(labelled) == 300
    rect = [r["y"] - r["f"] for r in labelled]
    point = census["p"] + statistics.fmean(rect)
    f_var = statistics.variance(
        [1] * round(census["p"] * census["n"]) + [0] * round((1 - census["p"]) * census["n"])
    )
    se = math.sqrt(f_var / census["n"] + statistics.variance(rect) / len(rect))
    z = statistics.NormalDist().inv_cdf(0.975)
    (row,) = rows(
        fixture_db,
        "select * from estimate_rq1 where snapshot = '2024-07-11' and band = 'all' and measure = 'own version'",
    )
    assert row["share_raw"] == pytest.approx(census["p"], abs=1e-6)
    assert row["share_corrected"] == pytest.approx(point, abs=1e-6)
    assert row["corrected_low"] == pytest.approx(point - z * se, abs=1e-6)
    assert row["corrected_high"] == pytest.approx(point + z * se, abs=1e-6)
    assert row["labelled"] == 300
    # The correction moves the share the way the labels differ from the classifier on the uniform ids.
    assert (row["share_corrected"] - row["share_raw"]) * statistics.fmean(rect) >= 0


def test_the_three_schemes_add_up(fixture_db):
    got = rows(fixture_db, "select * from estimate_rq1 where snapshot = '2024-07-11'")
    for band in {r["band"] for r in got}:
        by = {r["measure"]: r for r in got if r["band"] == band}
        assert by["no own version"]["share_raw"] + by["own version"]["share_raw"] == pytest.approx(
            1, abs=1e-5
        )
        parts = by["traditional"]["share_raw"] + by["other scheme"]["share_raw"]
        assert parts == pytest.approx(by["own version"]["share_raw"], abs=1e-5)
        if by["own version"]["share_corrected"] is not None and by["other scheme"]["corrected_low"] > 0:
            parts = by["traditional"]["share_corrected"] + by["other scheme"]["share_corrected"]
            assert parts == pytest.approx(by["own version"]["share_corrected"], abs=1e-5)
    assert {r["seed_study"] for r in got if r["measure"] == "no own version"} == {0.79}


def test_the_census_without_labels_says_so(fixture_db):
    for table in ("estimate_rq1",):
        got = rows(fixture_db, f"select * from {table} where snapshot = '2022-02-21'")
        assert got, table
        assert all(r["share_corrected"] is None and r["corrected_low"] is None for r in got), table
        assert all("no labelled ids from this census" in r["note"] for r in got), table
        assert all(r["share_raw"] is not None for r in got), table


def test_too_few_labels_give_no_interval():
    assert estimates.ppi_share(0.1, 1000, [1, 0, 0], [1, 0, 1]) is None
    est = estimates.ppi_share(0.3, 1000, [1, 0] * 20, [0, 0, 1, 0] * 10)  # rectifier 1, 0, 0, 0
    assert est.point == pytest.approx(0.3 + 0.25)
    assert 0.0 <= est.low < est.point < est.high <= 1.0
    assert estimates.ppi_share(0.1, 1000, [0] * 30, [1] * 30).point == 0.0  # clipped at 0


def test_seed_gap_explains_the_difference(fixture_db):
    for g in rows(fixture_db, "select * from estimate_seed_gap"):
        # seed = own - missed + counted
        assert g["seed_rule_share"] == pytest.approx(
            g["own_version_share"] - g["own_not_seed"] + g["seed_not_own"], abs=1e-5
        )
        missed = sum(v for k, v in g.items() if k.startswith("own_not_seed_"))
        assert missed == pytest.approx(g["own_not_seed"], abs=1e-5)
        counted = sum(v for k, v in g.items() if k.startswith("seed_not_own_"))
        assert counted == pytest.approx(g["seed_not_own"], abs=1e-5)


def test_rq1_page_shows_the_corrected_split(site, fixture_db):
    got = site.get("/hub/rq1_versioning_schemes.json?_shape=array").json()
    (own,) = [
        r
        for r in got
        if r["snapshot"] == "2024-07-11" and r["band"] == "all" and r["measure"] == "own version"
    ]
    (row,) = rows(
        fixture_db,
        "select * from estimate_rq1 where snapshot = '2024-07-11' and band = 'all' and measure = 'own version'",
    )
    assert own["share_corrected"] == row["share_corrected"] and own["seed_study"] == 0.21
    assert own["seed_not_own_environment"] > 0 and own["own_not_seed_date"] > 0
    # The RQ1 chart draws the same corrected three-way split.
    shares = site.get("/hub/rq1_versioned_share.json?_shape=array").json()
    split = rows(fixture_db, "select * from estimate_rq1 where snapshot = '2024-07-11' and band = 'all'")
    for r in split:
        if r["measure"] != "own version":
            (shown,) = [
                s for s in shares if s["snapshot"] == "2024-07-11" and s["measure"].startswith(r["measure"])
            ]
            assert shown["share_shown"] == pytest.approx(r["share_corrected"], abs=1e-6)


def test_about_page_states_the_validation_from_the_build(site, fixture_db):
    html = " ".join(site.get("/about").text.split())
    (acc,) = rows(fixture_db, "select * from classifier_accuracy where stratum = 'all'")
    (sample,) = rows(fixture_db, "select * from validation_sample")
    assert f"precision {acc['precision']:.2f}, recall {acc['recall']:.2f}" in html
    assert f"Cohen's kappa {sample['own_version_kappa']}" in html
    for r in rows(fixture_db, "select * from estimate_rq1 where snapshot = '2024-07-11' and band = 'all'"):
        assert (
            f"{100 * r['share_corrected']:.1f}% ({100 * r['corrected_low']:.1f}-{100 * r['corrected_high']:.1f}%)"
            in html
        )
