"""jakmeta.review.triangulation: other reviews' estimates set beside ours."""

from __future__ import annotations

import pandas as pd
import pytest

from jakmeta.evidence.package import load_package
from tests import ROOT

PKG = load_package()


def test_triangulation_sets_other_reviews_beside_ours():
    from jakmeta.review import triangulation

    table = triangulation.triangulation_table(PKG)
    assert "liu2023" not in set(table["review"])
    assert table["why"].str.len().gt(10).all()
    computed = table[table["how_close"] != "not computed"]
    assert len(computed) == 0 or computed["outcome"].isin(set(PKG.outcomes["outcome"])).all()


@pytest.fixture(scope="module")
def pkg():
    return load_package(ROOT / "data")


def test_cochrane_regrowth_reproduces_the_review_risk_ratios(pkg):
    """The RRs computed from the Cochrane counts equal the export's own (column Mean, rows 19-20, 24-25)."""
    from jakmeta.review import triangulation

    t = triangulation.cochrane_regrowth(pkg)
    got = sorted(round(v, 4) for v in t["Cochrane RR"])
    assert got == sorted([5.3419, 15.2, 5.871, 20.2, 5.0])


def test_outcome_words_know_the_other_reviews_codes():
    from jakmeta.review import triangulation

    assert triangulation.outcome_words("good_response") == "Good response (as the review defines it)"
    assert triangulation.outcome_words("salt20") == "SALT ≤ 20"
    assert triangulation.outcome_words("ae_acne") == "Acne"
    assert triangulation.outcome_words("something_else") == "something_else"


def test_readable_names_reviews_outcomes_and_intervals_in_words():
    from jakmeta.review import triangulation

    table = pd.DataFrame({"review": ["x2024", "unknown"], "outcome": ["salt50", "complete_response"],
                          "interval": ["CrI", None]})
    out = triangulation.readable(table, {"x2024": "X et al. 2024"})
    assert out["review"].tolist() == ["X et al. 2024", "unknown"]
    assert out["outcome"].tolist() == ["SALT50 (≥ 50 % improvement)", "Complete response (as the review defines it)"]
    assert out["interval"].tolist() == ["95% credible interval (Bayesian)", "not stated"]
    assert table["review"].tolist()[0] == "x2024"  # the input is unchanged


def test_closeness_on_the_ratio_and_the_difference_scale():
    from jakmeta.review import triangulation

    assert triangulation._closeness(2.1, 2.0, "OR") == "close (within 10 %)"
    assert triangulation._closeness(3.0, 2.0, "RR") == "ours 1.50 times theirs"
    assert triangulation._closeness(-20.0, -21.0, "MD") == "close (within 10 %)"
    assert triangulation._closeness(-10.0, -21.0, "MD") == "ours +11.0 from theirs"
    assert triangulation._closeness(float("nan"), 2.0, "OR") == "—"


def test_summary_counts():
    from jakmeta.review import triangulation

    table = pd.DataFrame({"review": ["a", "a", "b"], "how_close": ["close (within 10 %)", "not computed", "ours 1.50 times theirs"],
                          "same_set": [1.0, float("nan"), 2.0]})
    assert triangulation.summary_counts(table) == {"figures": 3, "reviews": 2, "computed": 2, "same_set": 2, "close": 1}


def test_reason_says_why_a_figure_cannot_be_recomputed():
    from jakmeta.review import triangulation

    network = pd.Series({"comparison": "baricitinib vs ritlecitinib (active vs active)", "measure": "OR",
                         "estimate": 1.2, "outcome": "salt20"})
    assert "active-versus-active" in triangulation.reason(PKG, network, {}, False, None)
    not_pooled = pd.Series({"comparison": "JAK vs placebo", "measure": "ratio", "estimate": 1.2, "outcome": "salt20"})
    assert triangulation.reason(PKG, not_pooled, {}, False, None).startswith("The review's figure is not a pooled OR")
    other = pd.Series({"comparison": "JAK vs placebo", "measure": "OR", "estimate": 1.2, "outcome": "good_response"})
    assert "not one of the outcomes in our data" in triangulation.reason(PKG, other, {}, False, None)
    unlisted = pd.Series({"comparison": "JAK vs placebo", "measure": "OR", "estimate": 1.2, "outcome": "salt20",
                          "interval": "CrI"})
    text = triangulation.reason(PKG, unlisted, {}, True, None)
    assert "trial list is not recorded" in text and "Bayesian credible interval" in text and text.endswith(".")
