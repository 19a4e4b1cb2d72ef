"""From the data package to an analysis: multi-arm rules, study sets, data-status filters, double
zeros, and the tables and sentences the chapters print."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import analysis, sentences
from jakmeta.review.analysis import MULTIARM_RULES, analyse, comparison_table, study_set

PKG = load_package()


def _arm_rows(study: str, outcome: str) -> pd.DataFrame:
    o = PKG.outcomes
    return o[(o["study_id"] == study) & (o["outcome"] == outcome) & (o["analysis_use"] == "yes")]


def test_study_sets_partition_the_trials():
    liu, update = study_set(PKG, "liu"), study_set(PKG, "update")
    assert len(liu) == 7 and len(update) == 8  # 3 phase-3 trials to 2024 + 5 studies since (issue 17)
    assert not set(liu) & set(update)
    assert sorted(liu + update) == sorted(study_set(PKG, "all"))
    with pytest.raises(ValueError, match="unknown study set"):
        study_set(PKG, "some")


def test_combine_rule_adds_events_and_totals_of_all_active_arms():
    table = comparison_table(PKG, "salt20", multiarm="combine", studies=["brave_aa1"])
    rows = _arm_rows("brave_aa1", "salt20")
    active = rows[rows["arm_id"] != "placebo"]
    placebo = rows[rows["arm_id"] == "placebo"].iloc[0]
    assert len(table) == 1
    assert table.loc[0, "events_t"] == active["events"].sum()
    assert table.loc[0, "n_t"] == active["total"].sum()
    assert (table.loc[0, "events_c"], table.loc[0, "n_c"]) == (placebo["events"], placebo["total"])


def test_split_rule_shares_the_placebo_group_without_double_counting():
    table = comparison_table(PKG, "salt20", multiarm="split", studies=["allegro_2b3"])
    rows = _arm_rows("allegro_2b3", "salt20")
    placebo = rows[rows["arm_id"] == "placebo"].iloc[0]
    assert len(table) == (rows["arm_id"] != "placebo").sum()
    assert table["n_c"].sum() == placebo["total"]
    assert table["events_c"].sum() == placebo["events"]
    assert table["n_c"].max() - table["n_c"].min() <= 1


def test_highest_rule_takes_the_highest_dose():
    table = comparison_table(PKG, "salt20", multiarm="highest", studies=["thrive_aa1"])
    assert table.loc[0, "arms"] == "Deuruxolitinib 12 mg BID"


def test_licensed_rule_keeps_only_licensed_doses():
    table = comparison_table(PKG, "salt20", multiarm="licensed", studies=["allegro_2b3", "thrive_aa1"])
    assert list(table["arms"]) == ["Ritlecitinib 50 mg QD", "Deuruxolitinib 8 mg BID"]


def test_unknown_multiarm_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown multi-arm rule"):
        comparison_table(PKG, "salt20", multiarm="average")


def test_reported_only_drops_derived_values():
    every = comparison_table(PKG, "salt20", studies=study_set(PKG, "all"))
    reported = comparison_table(PKG, "salt20", include_derived=False, studies=study_set(PKG, "all"))
    assert (reported["status"] == "reported").all()
    assert len(reported) < len(every)


@pytest.mark.parametrize("rule", [r for r in MULTIARM_RULES if r != "split"])  # split: refused, tested below
def test_every_rule_gives_a_valid_analysis(rule):
    a = analyse(PKG, "salt20", multiarm=rule, studies="all")
    assert a.k >= 1
    assert np.all(np.isfinite(a.table["yi"])) and np.all(a.table["vi"] > 0)


def test_double_zero_trials_are_left_out_of_ratio_pools():
    a = analyse(PKG, "ae_serious", studies=["delgo_ph2a"])  # 0/20 vs 0/10 (the Liu set now has more trials)
    assert a.result is None
    assert "Delgocitinib ointment phase 2a" in set(a.excluded["trial"])
    assert "no information" in sentences.sentence(a)


def test_single_trial_is_reported_not_pooled():
    a = analyse(PKG, "salt50")
    assert a.k == 1
    assert not a.result.tau2_estimable and math.isnan(a.result.tau2)
    assert "no pooling" in sentences.sentence(a)


def test_split_rule_keeps_the_placebo_risk_and_counts_trials():
    from jakmeta.review.analysis import study_set

    table = comparison_table(PKG, "salt20", multiarm="split", studies=study_set(PKG, "all"))
    assert table["study_id"].nunique() < len(table)
    with pytest.raises(ValueError, match="not independent"):  # split comparisons are never pooled
        analyse(PKG, "salt20", multiarm="split", studies="all")
    for _, group in table.groupby("study_id"):
        risks = group["events_c"] / group["n_c"]
        whole = group["events_c"].sum() / group["n_c"].sum()
        # each share's risk is within one event of the whole group's risk
        assert (abs(risks - whole) * group["n_c"] <= 1).all()


@pytest.mark.parametrize("measure", ["OR", "RR", "PETO", "RD"])
def test_analysis_row_is_on_the_reporting_scale_for_every_measure(measure):
    a = analysis.analyse(PKG, "ae_serious", measure=measure, studies="all")
    row = analysis.analysis_row(a)
    expected = math.exp(a.result.estimate) if measure != "RD" else a.result.estimate
    assert row["estimate"] == pytest.approx(expected)  # the Peto OR was shown as its log before
