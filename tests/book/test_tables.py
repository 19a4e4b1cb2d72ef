"""jakmeta.book.tables: the tables of the book's pages (completeness, totals, extraction log, trial
characteristics, ranges of numbers, studies awaiting classification)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jakmeta.book import tables
from jakmeta.evidence.package import load_package

PKG = load_package()


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


@pytest.fixture(scope="module")
def pkg():
    return load_package()


def test_number_ranges():
    assert tables.number_ranges([5, 1, 2, 3, 7, 8, 3]) == "1–3, 5, 7, 8"
    assert tables.number_ranges([]) == "" and tables.number_ranges([4]) == "4"


def _numbers(text: str, n: int) -> set[int]:
    if text == "all":
        return set(range(1, n + 1))
    out = set()
    for part in text.split(", "):
        low, _, high = part.partition("–")
        out |= set(range(int(low), int(high or low) + 1))
    return out


def test_extraction_log_lists_each_place_once_per_trial(pkg):
    log = tables.not_found(pkg)
    groups = tables.not_found_by_trial(pkg)
    assert [trial for trial, _, _ in groups] == list(dict.fromkeys(log["trial"]))
    shown = 0
    for trial, places, rows in groups:
        assert places and len(places) == len(set(places))
        original = log[log["trial"] == trial].set_index("outcome")
        for row in rows.itertuples():
            for outcome in row.outcome.split("; "):
                shown += 1
                match = original.loc[[outcome]]
                match = match[(match["week"] == row.week) & (match["arms"] == row.arms)]
                assert len(match) == 1, (trial, outcome)
                looked = {p.strip() for p in match["where_we_looked"].iloc[0].split(" ; ") if p.strip()}
                assert {places[n - 1] for n in _numbers(row.places, len(places))} == looked, (trial, outcome)
    assert shown == len(log)


def test_merge_rows_and_unused_values(pkg):
    df = pd.DataFrame({"trial": ["A", "A", "A", "B"], "outcome": ["x", "y", "x", "x"], "n": [1, 1, 1, 2]})
    assert tables.merge_rows(df, "outcome").to_dict("list") == {"trial": ["A", "B"], "outcome": ["x; y", "x"], "n": [1, 2]}
    unused = tables.unused_values(pkg)
    values = pkg.outcomes[(pkg.outcomes["status"] != "not_available") & (pkg.outcomes["analysis_use"] == "no")]
    assert len(unused) == values.groupby(["study_id", "source", "source_type", "note"], dropna=False).ngroups
    assert not unused["note"].fillna("").str.contains("<=|>=").any()


def test_pseudo_arms_are_not_summed_into_trial_sizes(pkg):
    chars = tables.trial_characteristics(pkg).set_index("Trial")
    assert chars.at["BRAVE-AA1 (phase 3 portion)", "Randomised"].startswith("654")


def test_awaiting_classification_lists_registry_ids(pkg):
    table = tables.awaiting_classification(pkg)
    for nct in ("NCT05556265", "NCT03594227", "NCT03354637", "NCT05051761"):
        assert nct in set(table["Registry"])


def test_source_markers_and_their_legend():
    assert tables.source_marker("registry", "no") == ""
    assert tables.source_marker("publication", "yes") == "≈"
    assert tables.source_marker("sponsor", True) == "≈†"
    assert tables.source_marker("news", False) == "‡"
    assert tables.marker_legend(["‡", "≈", ""]) == (
        "≈ approximate value (count or denominator derived, see the data chapter); ‡ value from a news report or blog only")
    assert tables.marker_legend([]) == ""
    empty = tables.source_quality(pd.DataFrame())
    assert list(empty.columns) == ["study_id", "trial", "source_type", "approximate", "marker"] and empty.empty


def test_pseudo_arms_and_participants_in_the_primary_analysis():
    arms = pd.DataFrame({"arm_id": ["a", "b", "ab", "p"], "pools_arms": [None, None, "a;b", ""],
                         "n_randomised": [100, 90, 190, 50], "n_analysed": [98, None, None, 50]})
    assert tables.randomised_arms(arms)["arm_id"].tolist() == ["a", "b", "p"]
    assert tables.participants_in_primary_analysis(arms).tolist() == [98, 90, 190, 50]
    assert tables._arm_size_text(arms) == "240"  # n_analysed is incomplete: only the randomised total
    arms.loc[1, "n_analysed"] = 90
    assert tables._arm_size_text(arms) == "240 (238 in the primary analysis)"
    gap = pd.DataFrame({"n_randomised": [100, None]})
    assert tables._arm_size_text(gap) == "≥ 100 (1 arm(s) not found)"
    assert tables._arm_size_text(pd.DataFrame({"n_randomised": [None]})) == "not found"


def test_arm_label_falls_back_to_the_arm_id(pkg):
    arm = pkg.arms.iloc[0]
    assert tables.arm_label(pkg, arm["study_id"], arm["arm_id"]) == arm["label"]
    assert tables.arm_label(pkg, arm["study_id"], "no_such_arm") == "no_such_arm"


def test_source_type_shares_sum_to_100_per_outcome(pkg):
    shares = tables.source_type_shares(pkg)
    assert shares["Outcome"].iloc[-1] == "All outcomes"
    assert shares.drop(columns=["Outcome", "Analysed values"]).sum(axis=1).round(9).eq(100).all()
    assert shares["Analysed values"].iloc[-1] == len(tables.analysed_rows(pkg))
    assert 0 <= tables.news_or_blog_share(pkg) <= 100


def test_caveat_counts_add_up(pkg):
    counts = tables.caveat_counts(pkg)
    assert counts["Caveat"].tolist()[0] == "Time point inferred"
    assert (counts["Used by primary analyses"] + counts["Sensitivity only"] <= counts["Value rows"]).all()
