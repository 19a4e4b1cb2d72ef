"""jakmeta.review.fewstudies: the headline model chosen by the number of trials and the models shown
beside it."""

from __future__ import annotations

import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import fewstudies
from jakmeta.review.analysis import analyse

PKG = load_package()


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


def test_continuous_outcomes_use_inverse_variance_and_their_own_prior_scale():
    import pandas as pd

    from jakmeta.review.analysis import Analysis
    from jakmeta.stats import pool

    table = pd.DataFrame({"study_id": ["a", "b"], "trial": ["A", "B"], "yi": [-30.0, -20.0], "vi": [9.0, 16.0],
                          "mean_t": [-40, -30], "sd_t": [30, 30], "n_t": [200, 150], "mean_c": [-10, -10],
                          "sd_c": [30, 30], "n_c": [100, 75], "timepoint_weeks": [24, 24]})
    a = Analysis("salt_cfb", "MD", table, pool(table["yi"], table["vi"]), {"method": "REML", "ci": "hksj"})
    h = fewstudies.headline(a)
    assert f"half-normal({fewstudies.TAU_PRIOR_SCALE['MD']:g})" in h.model
    name, _ = fewstudies.common_effect(a)
    assert name == "Common effect, inverse variance"
    assert h.ci_low < h.estimate < h.ci_high < 0
