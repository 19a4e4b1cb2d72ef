"""jakmeta.review.sensitivity: the sensitivity analyses (grid of choices, priors, common week, dose
arms, NEJM basis)."""

from __future__ import annotations

import math

from jakmeta.evidence.package import load_package
from jakmeta.review import analysis, sensitivity, sof
from jakmeta.review.analysis import comparison_table

PKG = load_package()


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


SOF = sof.summary_of_findings(PKG)


def test_prior_sensitivity_has_three_priors_per_pooled_row():
    table = sensitivity.prior_sensitivity(PKG)
    pooled = SOF[SOF["k"] >= 2]["row_id"]
    counts = table[table["prior"] != "headline"].groupby("row_id").size()
    assert set(pooled) == set(counts.index) and counts.min() >= 3


def test_common_week_says_which_trials_drop_out():
    week = sensitivity.common_week(PKG)
    assert "week 24" in week["sentence"]
    for trial in week["dropped"]:
        assert trial in week["sentence"]
    both = week["table"].set_index("row_id")
    assert set(both.loc["salt20_week24", "weeks"].split(", ")) == {"24"}


def test_dose_view_marks_the_dose_ranging_arms_and_pools_nothing():
    view = sensitivity.dose_arms_view(PKG, "salt20")
    out = view[view["In the class row"].str.startswith("no")]
    assert len(out) >= 1 and out["Arm"].str.contains("10 mg").all()
    assert "Pooled" not in " ".join(view["Trial"])
