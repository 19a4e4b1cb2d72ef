"""The rules behind the book's judgements: wording from numbers, the few-studies rule, GRADE applied
to an analysis (OIS from the outcome's threshold, indirectness from recorded facts), and the
simulation's Bayesian approximation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jakmeta import certainty, fewstudies, grade, simulation, wording
from jakmeta.analysis import analyse
from jakmeta.data import load_package

PKG = load_package()


# ------------------------------------------------------------------------------------ wording

def test_direction_needs_the_interval_to_exclude_the_null():
    assert wording.direction(0.1, 2.0, 0.0) == "increase"
    assert wording.direction(-2.0, -0.1, 0.0) == "reduction"
    assert wording.direction(-0.1, 2.0, 0.0) == "no clear difference"
    assert wording.direction(-10, 20, 0.0, threshold=50) == "little to no difference"
    assert wording.direction(-10, 80, 0.0, threshold=50) == "no clear difference"


@pytest.mark.parametrize(("ratio", "words"), [(9.4, "about 9 times"), (13.76, "about 14 times"),
                                              (267, "about 300 times"), (1.4, "about 40 % higher"),
                                              (0.67, "about 33 % lower")])
def test_times(ratio, words):
    assert wording.times(ratio) == words


@pytest.mark.parametrize(("ratio", "words"), [(865, "three orders of magnitude"), (95, "two orders of magnitude"),
                                              (2.5, "less than one order of magnitude"),
                                              (12, "one order of magnitude")])
def test_orders_of_magnitude(ratio, words):
    assert wording.orders_of_magnitude(ratio) == words


def test_compare_widths_and_bad_input():
    assert wording.compare_widths(1.0, 12.0) == "about 12 times as wide as"
    assert wording.compare_widths(1.0, 1.4) == "about 40 % wider than"
    assert wording.compare_widths(1.0, 0.7) == "about 30 % narrower than"
    assert wording.compare_widths(1.0, 1.001) == "about as wide as"
    with pytest.raises(ValueError, match="positive"):
        wording.times(0)


# --------------------------------------------------------------------------- few-studies rule

def test_rule_by_number_of_trials():
    assert fewstudies.rule_for(1) == "single trial"
    assert fewstudies.rule_for(2) == fewstudies.rule_for(fewstudies.FEW_STUDIES_THRESHOLD) == "pooled"  # no cliff


def test_few_trials_headline_is_bayesian_and_beside_mh_and_hksj():
    a = analyse(PKG, "salt20", studies="liu")
    assert a.k == 2
    h = fewstudies.headline(a)
    assert h.model.startswith("Bayesian")
    table = fewstudies.model_table(a)
    assert list(table["model"].str.split(",").str[0]) == ["Bayesian random effects", "Random effects",
                                                          "Random effects", "Random effects", "Common effect"]
    hksj = table[table["model"] == fewstudies.MODEL_NAMES["reml-hksj"]].iloc[0]
    assert hksj["ci_ratio"] > 100 > table.iloc[0]["ci_ratio"]  # t(1) vs the weakly informative prior
    text = fewstudies.why_they_differ(a)
    assert f"{fewstudies.hksj_quantile(2):.1f}" in text and "1 degree of freedom" in text


def test_single_trial_headline_is_the_trial():
    a = analyse(PKG, "salt50")
    h = fewstudies.headline(a)
    assert h.rule == "single trial" and h.estimate == pytest.approx(a.table["yi"].iloc[0])


# ------------------------------------------------------------------------ GRADE on an analysis

def test_ois_uses_the_outcomes_threshold():
    # 50 more per 1000 from a placebo risk of 50 per 1000: p1 = 0.10
    assert grade.optimal_information_size_absolute(0.05, 50) == pytest.approx(
        2 * math.ceil(7.849 * (0.05 * 0.95 + 0.1 * 0.9) / 0.05**2), abs=4)
    assert grade.optimal_information_size_absolute(0.05, 10) > grade.optimal_information_size_absolute(0.05, 50)
    with pytest.raises(ValueError, match="difference_per_1000"):
        grade.optimal_information_size_absolute(0.05, 0)


def test_indirectness_comes_from_recorded_facts():
    a = analyse(PKG, "salt50", studies="all")
    facts = certainty.indirectness_facts(PKG, a)
    concerns = facts["concerns"].iloc[0]
    assert any("week 12" in c for c in concerns) and any("completers" in c for c in concerns)
    f = certainty.assess(PKG, a)
    rating = next(r for r in f.ratings if r.domain == "indirectness")
    assert rating.judgement in ("serious", "very serious") and "100%" in rating.reason


def test_footnotes_state_the_numbers():
    from jakmeta import sof

    table = sof.summary_of_findings(PKG)
    for notes in table["footnotes"]:
        for note in [n for n in notes.split(" | ") if n]:
            assert any(ch.isdigit() for ch in note), note


def test_wide_interval_from_few_trials_is_explained():
    rating = grade.imprecision_domain(2, 1200, 500, (-10, 400), 50, "per 1000", common_effect_ci=(120, 260))
    assert rating.judgement == "serious" and "few trials" in rating.reason and "+120" in rating.reason


# ------------------------------------------------------------------------------ simulation

def test_vectorised_bayes_matches_the_engine():
    from jakmeta.bayes import pool_bayes

    yi, vi = simulation.simulate_meta_analyses(3, 0.2, 5, seed=7)
    low, high = simulation.bayes_intervals(yi, vi)
    for i in range(5):
        b = pool_bayes(yi[i], vi[i], tau_prior="half-normal", tau_scale=0.5)
        assert low[i] == pytest.approx(b.ci_low, abs=0.01) and high[i] == pytest.approx(b.ci_high, abs=0.01)


def test_few_studies_simulation_is_reproducible():
    first = simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200)
    assert first.equals(simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200))
    wide = first.pivot(index="k", columns="interval", values="width_ratio")
    assert wide.loc[2, "REML, HKSJ"] > wide.loc[5, "REML, HKSJ"]
    assert np.all((first["coverage"] >= 0) & (first["coverage"] <= 1))


# ------------------------------------------------------------------ reproduction, triangulation

def test_every_liu_figure_is_explained_trial_by_trial():
    from jakmeta import reproduction

    table = reproduction.reproduction_rows(PKG, search_grid=False)
    for r in table.itertuples():
        per_trial = reproduction.trial_by_trial(PKG, r.outcome, r.measure)
        assert len(per_trial) >= len(reproduction.study_set(PKG, "liu"))
        assert per_trial["status"].str.len().gt(5).all()


def test_triangulation_sets_other_reviews_beside_ours():
    from jakmeta import triangulation

    table = triangulation.triangulation_table(PKG)
    assert "liu2023" not in set(table["review"])
    assert table["why"].str.len().gt(10).all()
    computed = table[table["how_close"] != "not computed"]
    assert len(computed) == 0 or computed["outcome"].isin(set(PKG.outcomes["outcome"])).all()


def test_continuous_outcomes_use_inverse_variance_and_their_own_prior_scale():
    import pandas as pd

    from jakmeta.analysis import Analysis
    from jakmeta.pooling import pool

    table = pd.DataFrame({"study_id": ["a", "b"], "trial": ["A", "B"], "yi": [-30.0, -20.0], "vi": [9.0, 16.0],
                          "mean_t": [-40, -30], "sd_t": [30, 30], "n_t": [200, 150], "mean_c": [-10, -10],
                          "sd_c": [30, 30], "n_c": [100, 75], "timepoint_weeks": [24, 24]})
    a = Analysis("salt_cfb", "MD", table, pool(table["yi"], table["vi"]), {"method": "REML", "ci": "hksj"})
    h = fewstudies.headline(a)
    assert f"half-normal({fewstudies.TAU_PRIOR_SCALE['MD']:g})" in h.model
    name, _ = fewstudies.common_effect(a)
    assert name == "Common effect, inverse variance"
    assert h.ci_low < h.estimate < h.ci_high < 0
