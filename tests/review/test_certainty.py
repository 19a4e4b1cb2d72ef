"""jakmeta.review.certainty: GRADE domains assessed from recorded facts, for each row of the Summary
of Findings."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import certainty, grade
from jakmeta.review.analysis import analyse

PKG = load_package()


def test_indirectness_comes_from_recorded_facts():
    # the delgocitinib trial alone (week 12, completers, milder disease): the update added SALT50 trials
    a = analyse(PKG, "salt50", studies=["delgo_ph2a"])
    facts = certainty.indirectness_facts(PKG, a)
    concerns = facts["concerns"].iloc[0]
    assert any("week 12" in c for c in concerns) and any("completers" in c for c in concerns)
    f = certainty.assess(PKG, a)
    rating = next(r for r in f.ratings if r.domain == "indirectness")
    assert rating.judgement in ("serious", "very serious") and "100%" in rating.reason


def test_ritlecitinib_row_is_not_rated_down_twice_for_imprecision():
    from jakmeta.review import sof

    a = sof.primary(PKG, "salt20", drug="ritlecitinib", dose="50 mg")
    f = certainty.assess(PKG, a)
    rating = next(r for r in f.ratings if r.domain == "imprecision")
    assert rating.downgrade == 1


def test_unread_domains_are_shown_both_ways():
    from jakmeta.review import sof

    a = sof.primary(PKG, "salt20", drug="deuruxolitinib", dose="8 mg")
    primary, sensitivity = certainty.assess(PKG, a), certainty.assess(PKG, a, unread_as="some_concerns")
    rob_primary = next(r for r in primary.ratings if r.domain == "risk_of_bias")
    rob_sens = next(r for r in sensitivity.ratings if r.domain == "risk_of_bias")
    assert rob_primary.downgrade == 0 and rob_sens.downgrade == 1  # THRIVE: D1 not read
    assert "no information read by us" in rob_primary.reason


def test_class_row_resting_on_one_drug_is_indirect():
    a = analyse(PKG, "salt_cfb", studies="all")
    concerns = certainty.row_concerns(PKG, a)
    if a.k and a.table["study_id"].nunique() == 1:
        assert concerns and "one drug" in concerns[0]
    rating = grade.indirectness_domain([("t", 100.0, [])], 100.0, ["a row about the class rests on one drug (x)"])
    assert rating.judgement == "serious"


class _Stub:
    """Stands in for an Analysis where only its table (and k) is read."""

    def __init__(self, **columns):
        self.table = pd.DataFrame(columns)
        self.k = len(self.table)


def test_control_risk_is_the_median_placebo_risk_with_zero_arms_corrected():
    assert certainty.control_risk(_Stub(events_c=[10, 20, 5], n_c=[100, 100, 100])) == pytest.approx(0.10)
    # a placebo arm with no event counts as 0.5 / (n + 1), not 0
    assert certainty.control_risk(_Stub(events_c=[0], n_c=[99])) == pytest.approx(0.005)


def test_absolute_effect_per_1000_from_rr_and_or():
    """RR 2 at a placebo risk of 10 %: 200 − 100 = 100 more per 1000; OR 2: odds 1/9 → 2/9, risk
    2/11, 1000·(2/11 − 1/10) = 81.8 more per 1000 (GRADE Handbook, section 5.2)."""
    assert certainty.absolute_per_1000("RR", 0.1, [math.log(2.0)]) == pytest.approx((100.0,))
    assert certainty.absolute_per_1000("OR", 0.1, [math.log(2.0), 0.0]) == pytest.approx((1000 * (2 / 11 - 0.1), 0.0))


def test_outcome_sd_is_the_median_arm_sd_or_the_default():
    assert certainty.outcome_sd(_Stub(sd_t=[20.0, 30.0], sd_c=[25.0, 40.0])) == 27.5
    assert certainty.outcome_sd(_Stub()) == certainty.OIS_SALT_SD


def test_interval_label_follows_the_model():
    class H:
        def __init__(self, model):
            self.model = model

    assert certainty.interval_label(H("Bayesian random effects, half-normal(0.5)")) == "95% CrI"
    assert certainty.interval_label(H("REML + HKSJ")) == "95% CI"


def test_minimum_weeks_is_the_shortest_phase3_primary_time_point():
    phase3 = PKG.studies[PKG.studies["phase"].astype(str).str.contains("3")]
    assert certainty.minimum_weeks(PKG) == int(phase3["primary_timepoint_weeks"].astype(int).min())
    assert certainty.minimum_weeks(PKG) in set(phase3["primary_timepoint_weeks"].astype(int))
