"""The classifier against the hand labels: `make validate` on the real sample and census."""

import pytest

from scripts import validate


@pytest.fixture(scope="module")
def result():
    return validate.report()


def by_stratum(result):
    return {a["stratum"]: a for a in result["accuracy"]}


def test_every_labelled_id_is_found_in_the_census(result):
    assert by_stratum(result)["all"]["in_census"] == by_stratum(result)["all"]["ids"] == 600
    assert by_stratum(result)["groups"]["in_census"] == by_stratum(result)["groups"]["ids"] == 569


def test_no_figure_fell_below_the_committed_table(result):
    committed = validate.committed_figures()
    strata = {"all", "uniform", "digits", "base_versioned", "bigorg", "rl"}
    assert set(committed) == strata | {"groups", "all labels"} | {
        a["stratum"] for a in result["accuracy"] if ":" in a["stratum"]
    }
    assert len(committed) == 6 + 2 + 14
    assert validate.regressions(result, committed) == []


def test_the_classifier_meets_the_agreement_targets(result):
    figures = by_stratum(result)
    assert figures["all"]["f1"] >= 0.90
    assert figures["uniform"]["f1"] >= 0.85
    assert figures["all"]["precision"] >= 0.85 and figures["all"]["recall"] >= 0.85


def test_the_classifier_meets_the_group_targets(result):
    figures = by_stratum(result)
    assert figures["groups"]["f1"] >= 0.90
    # each group with 10 or more labelled positives (the others are too small for an F1 to say much)
    large = {
        a["stratum"]: a["f1"]
        for a in result["accuracy"]
        if ":" in a["stratum"] and a["true_positives"] + a["false_negatives"] >= 10
    }
    assert set(large) == {"company:Tencent", "company:Baidu"}
    assert all(f1 >= 0.90 for f1 in large.values()), large


def test_confusion_counts_add_up_to_the_sample(result):
    for a in result["accuracy"]:
        assert (
            a["true_positives"] + a["false_positives"] + a["false_negatives"] + a["true_negatives"]
            == a["in_census"]
        )


def test_error_patterns_count_every_disagreement(result):
    assert sum(e["ids"] for e in result["errors"]) <= len(result["disagreements"])
    assert {d["decision"] for d in result["disagreements"]} <= {"false positive", "false negative"}


def test_a_worse_figure_is_reported(result):
    committed = {"all": {"f1": 0.99}}
    assert validate.regressions(result, committed) == [f"all f1: {by_stratum(result)['all']['f1']} < 0.99"]
