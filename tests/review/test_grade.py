"""The rules behind the book's judgements: wording from numbers, the few-studies rule, GRADE applied
to an analysis (OIS from the outcome's threshold, indirectness from recorded facts), and the
simulation's Bayesian approximation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import grade

PKG = load_package()


# ------------------------------------------------------------------------ GRADE on an analysis

def test_ois_uses_the_outcomes_threshold():
    # 50 more per 1000 from a placebo risk of 50 per 1000: p1 = 0.10
    assert grade.optimal_information_size_absolute(0.05, 50) == pytest.approx(
        2 * math.ceil(7.849 * (0.05 * 0.95 + 0.1 * 0.9) / 0.05**2), abs=4)
    assert grade.optimal_information_size_absolute(0.05, 10) > grade.optimal_information_size_absolute(0.05, 50)
    with pytest.raises(ValueError, match="difference_per_1000"):
        grade.optimal_information_size_absolute(0.05, 0)


def test_wide_interval_from_few_trials_is_explained():
    rating = grade.imprecision_domain(2, 1200, 500, (-10, 400), 50, "per 1000", common_effect_ci=(120, 260))
    assert rating.judgement == "serious" and "few trials" in rating.reason and "+120" in rating.reason


# ------------------------------------------------------------- GRADE's published rules (issue 16)

def test_single_trial_short_of_ois_with_ci_clear_of_threshold_is_one_level():
    # the ritlecitinib 50 mg case: 51 to 552 more per 1000 against 50, 254 participants, OIS 480
    rating = grade.imprecision_domain(1, 254, 480, (51, 552), 50, "per 1000")
    assert rating.judgement == "serious" and rating.downgrade == 1
    assert "53% of it" in rating.reason


def test_ci_crossing_one_threshold_is_one_level_and_both_two():
    assert grade.imprecision_domain(5, 5000, 500, (20, 300), 50, "per 1000").judgement == "serious"
    assert grade.imprecision_domain(5, 5000, 500, (-60, 300), 50, "per 1000").judgement == "very serious"
    # within the threshold on both sides: little or no important effect, precise
    assert grade.imprecision_domain(5, 5000, 500, (-20, 30), 50, "per 1000").judgement == "not serious"


def test_imprecision_prints_the_interval_as_the_sof_does():
    rating = grade.imprecision_domain(1, 718, 282, (-28.3, -17.2), 10, "SALT points", decimals=1,
                                      interval="95% CI")
    assert "-28.3 to -17.2" in rating.reason and "+17" not in rating.reason


@pytest.mark.parametrize(("level", "words"), [
    ("high", "JAK inhibitors result in an increase in"),
    ("moderate", "JAK inhibitors likely result in an increase in"),
    ("low", "JAK inhibitors may result in an increase in"),
    ("very low", "The evidence is very uncertain about the effect of JAK inhibitors on")])
def test_plain_language_follows_santesso_2020(level, words):
    assert grade.plain_language("the outcome", level, "increase").startswith(words)


def test_plain_language_little_to_no_difference_and_singular():
    text = grade.plain_language("serious adverse events", "low", "little to no difference", "baricitinib 4 mg",
                                plural=False)
    assert text == "Baricitinib 4 mg may result in little to no difference in serious adverse events."
    with pytest.raises(ValueError, match="effect"):
        grade.plain_language("x", "high", "no clear difference")


def test_inconsistency_with_i2_zero_does_not_say_the_trials_differ():
    rating = grade.inconsistency_domain(2, 0.0, (0.5, 2.0), (0.2, 2.5))
    assert "differ" not in rating.reason and "I² = 0 %" in rating.reason


def test_missing_evidence_rates_down_only_when_it_could_change_the_conclusion():
    missing = [("a", 300), ("b", None)]
    assert grade.publication_bias_domain(3000, missing, (200, 63, 446), 50, "per 1000").judgement == "not serious"
    assert grade.publication_bias_domain(300, missing, (200, 60, 446), 50, "per 1000").judgement == "serious"
    assert grade.publication_bias_domain(300, [], (200, 60, 446), 50, "per 1000").judgement == "not serious"


# ------------------------------------------------------------------------------ evidence profile

@pytest.fixture(scope="module")
def evidence():
    from jakmeta.review import profile, sof

    table = sof.summary_of_findings(PKG)
    return table, profile.evidence_profile(PKG, sof_table=table)


def test_certainty_words_in_one_case_with_symbols(evidence):
    table, prof = evidence
    for cell in prof["Certainty"]:
        if not cell.startswith("no estimate"):
            symbols, word = cell.split(" ", 1)
            assert grade.SYMBOLS[word] == symbols and word == word.lower()
    layout_certainty = sof_layout_certainty(table)
    assert all(c == c.lower() or c.startswith("⨁") and c.split(" ", 1)[1].split(" ")[0].islower()
               for c in layout_certainty)


def sof_layout_certainty(table):
    from jakmeta.review import sof

    return [c for c in sof.sof_layout(table)["Certainty"] if c != "no estimate"]


# ------------------------------------------------------------------- domains, OIS and wording

def test_certainty_counts_down_and_floors_at_very_low():
    serious = grade.DomainRating("imprecision", "serious", "", True)
    very = grade.DomainRating("risk_of_bias", "very serious", "", False)
    assert grade.certainty([]) == "high"
    assert grade.certainty([serious]) == "moderate"
    assert grade.certainty([serious, very]) == "very low"
    assert grade.certainty([very, very]) == "very low"


def test_optimal_information_size_against_the_formula():
    # p0 = 0.2, p1 = 0.25: (1.95996 + 0.84162)^2 (0.16 + 0.1875) / 0.05^2 = 1091.0 per group.
    assert 2180 <= grade.optimal_information_size(0.2, 0.25) <= 2184
    assert grade.optimal_information_size(0.05) > grade.optimal_information_size(0.2)
    with pytest.raises(ValueError, match="control_risk"):
        grade.optimal_information_size(0.0)


def test_imprecision_rules():
    wide = grade.imprecision_domain(2, 1200, 1000, (-80, 400), 50, "per 1000")
    assert wide.judgement == "very serious"
    crosses_null = grade.imprecision_domain(3, 3000, 1000, (-10, 200), 50, "per 1000")
    assert crosses_null.judgement == "serious"
    precise = grade.imprecision_domain(4, 3000, 1000, (120, 300), 50, "per 1000")
    assert precise.judgement == "not serious"
    small = grade.imprecision_domain(1, 100, 1000, (120, 300), 50, "per 1000")
    assert small.judgement == "serious"  # GRADE: OIS not met with a CI clear of the threshold is one level


def test_inconsistency_rules():
    assert grade.inconsistency_domain(1, float("nan"), (0.1, 1), (np.nan, np.nan)).judgement == "not serious"
    assert grade.inconsistency_domain(5, 80, (0.1, 1), (-1, 2)).judgement == "serious"
    assert grade.inconsistency_domain(5, 55, (0.1, 1), (-0.5, 1.5)).judgement == "serious"
    assert grade.inconsistency_domain(5, 20, (0.1, 1), (0.05, 1.2)).judgement == "not serious"


def test_risk_of_bias_rule_weights_the_judgements():
    assert grade.risk_of_bias_domain({"a": 60, "b": 40}, {"a": "high", "b": "low"}).judgement == "serious"
    assert grade.risk_of_bias_domain({"a": 30, "b": 70}, {"a": "high", "b": "low"}).judgement == "not serious"
    assert grade.risk_of_bias_domain({"a": 100}, {}).judgement == "serious"  # not assessed


def test_absolute_risk_from_relative_effect():
    assert grade.risk_with_intervention(0.1, 1.0, "OR") == pytest.approx(0.1)
    assert grade.risk_with_intervention(0.1, 9.0, "OR") == pytest.approx(0.5)
    assert grade.risk_with_intervention(0.4, 3.0, "RR") == 1.0
    with pytest.raises(ValueError):
        grade.risk_with_intervention(0.1, 2.0, "MD")


@pytest.mark.parametrize("level,words", [("high", "result in"), ("moderate", "likely result in"),
                                         ("low", "may result in"), ("very low", "very uncertain")])
def test_plain_language_uses_grade_wording(level, words):
    assert words in grade.plain_language("hair regrowth", level, "increase")


def test_little_to_no_difference_wording():
    assert "little to no difference in" in grade.plain_language("x", "high", "little to no difference")
