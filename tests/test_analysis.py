"""From the data package to an analysis: multi-arm rules, study sets, data-status filters, double
zeros, and the tables and sentences the chapters print."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from jakmeta.book import tables
from jakmeta.evidence.package import load_package
from jakmeta.review import analysis, reproduction, sensitivity, sentences, sof
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


def test_no_data_says_so():
    a = analyse(PKG, "salt90")
    assert a.k == 0 and a.result is None
    assert sentences.sentence(a).startswith("No trial")


def test_sentence_numbers_come_from_the_headline():
    from jakmeta.review.fewstudies import headline

    a = sof.primary(PKG, "salt20")
    text = sentences.sentence(a)
    h = headline(a)
    assert f"{math.exp(h.estimate):.2f}" in text
    assert f"{math.exp(h.ci_low):.2f}" in text
    assert f"In {a.n_trials} trials ({a.n_participants:,} participants)" in text


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


def test_sensitivity_grid_covers_every_combination_and_counts_distinct_ones():
    grid = sensitivity.sensitivity_grid(PKG, "salt20", studies="all")
    expected = math.prod(len(v) for v in sensitivity.GRID.values())
    assert len(grid) == expected
    assert 0 < grid["distinct"].sum() < len(grid)
    dup = grid[~grid["distinct"] & grid["ci_low"].notna()].iloc[0]
    first = grid.loc[dup["same_as"]]
    assert first["distinct"] and math.isclose(first["ci_low"], dup["ci_low"], rel_tol=1e-12)
    primary = grid[(grid["method"] == "REML") & (grid["ci"] == "hksj") & (grid["multiarm"] == "combine")
                   & (grid["include_derived"] == "reported+derived") & (grid["timepoint"] == "primary")
                   & (grid["exclude_caveats"] == "caveat rows out") & (grid["basis"] == "observed")]
    assert math.isclose(primary["estimate"].iloc[0], analysis.analysis_row(sof.primary(PKG, "salt20"))["estimate"])
    wide = grid.pivot_table(index=["method", "multiarm", "include_derived", "timepoint", "exclude_caveats", "basis"],
                            columns="ci", values="ci_low")
    assert (wide["hksj-adhoc"] <= wide["z"] + 1e-12).all()


def test_nejm_basis_swaps_observed_counts_for_estimated_percentages():
    from jakmeta.review.sensitivity import nejm_package

    observed = comparison_table(PKG, "salt20", studies=["brave_aa1"])
    nejm = comparison_table(nejm_package(PKG), "salt20", studies=["brave_aa1"])
    assert len(observed) == len(nejm) == 1
    assert nejm.loc[0, "events_c"] != observed.loc[0, "events_c"] or nejm.loc[0, "events_t"] != observed.loc[0, "events_t"]


def test_summary_of_findings_has_every_outcome_and_the_drug_rows():
    table = sof.summary_of_findings(PKG)
    assert [o for o in table["row"] if o in sof.OUTCOMES] == list(sof.OUTCOMES)
    assert {"salt20_baricitinib_4mg", "salt20_baricitinib_2mg", "salt20_ritlecitinib_50mg",
            "salt20_deuruxolitinib_8mg"} <= set(table["row"])
    assert set(table["certainty"]) <= {"high", "moderate", "low", "very low", "no estimate"}
    layout = sof.sof_layout(table)
    assert "Certainty" in layout.columns and len(layout) == len(table)


def test_salt20_headline_is_usable_and_rated():
    table = sof.summary_table()
    row = table[table["row_id"] == "salt20"].iloc[0]
    assert row["k"] >= 3
    assert row["ci_high"] / row["ci_low"] <= 50
    assert row["certainty"] in {"high", "moderate", "low", "very low"}


def test_reproduction_verdicts():
    from jakmeta.review.reproduction import _verdict

    assert _verdict(5.28, (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"].startswith("reproduced")
    assert _verdict(5.28 * 1.06, (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"] == "not reproduced"
    assert _verdict(float("nan"), (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"].endswith("no data")
    assert reproduction.ci_overlap((1, 2), (1, 2), log=True) == pytest.approx(1.0)
    assert reproduction.ci_overlap((3, 4), (1, 2), log=False) == 0.0


def test_reproduction_table_lists_every_published_liu_effect():
    from jakmeta.review.reproduction import published_liu

    table = reproduction.reproduction_rows(PKG, search_grid=False)
    assert len(table) == len(published_liu(PKG)) >= 5
    assert len(reproduction.reproduction_reasons(PKG, table)) == len(table)


def test_totals_and_completeness():
    totals = tables.totals_check(PKG)
    assert totals.loc[0, "Ours"] == 7
    assert totals.loc[1, "Ours"] <= totals.loc[1, "Liu et al. 2023"]
    matrix = tables.completeness_matrix(PKG)
    assert matrix.shape == (len(PKG.studies), len(tables.MATRIX_OUTCOMES))
    assert set(np.unique(matrix.to_numpy())) <= set(tables.STATES)
    assert matrix.loc["BRAVE-AA2", "SALT ≤ 20"].startswith("usable")


def test_extraction_log_says_where_we_looked():
    log = tables.not_found(PKG)
    assert len(log) > 0
    assert (log["where_we_looked"].str.len() > 10).all()


@pytest.mark.parametrize("measure", ["OR", "RR", "PETO", "RD"])
def test_analysis_row_is_on_the_reporting_scale_for_every_measure(measure):
    a = analysis.analyse(PKG, "ae_serious", measure=measure, studies="all")
    row = analysis.analysis_row(a)
    expected = math.exp(a.result.estimate) if measure != "RD" else a.result.estimate
    assert row["estimate"] == pytest.approx(expected)  # the Peto OR was shown as its log before
