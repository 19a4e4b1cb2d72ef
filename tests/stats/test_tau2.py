"""jakmeta.stats.tau2: the between-study variance estimators (DL, PM, REML, ...) against statsmodels
and by their formulas."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from jakmeta.stats import pool
from tests.stats import BCG_VI, BCG_YI, HINE_VI, HINE_YI, K5_VI, K5_YI

# --------------------------------------------------------------------------------------------
# agreement with statsmodels where statsmodels is right


def test_fe_and_dl_agree_with_statsmodels_when_dl_tau2_is_positive():
    sm = combine_effects(BCG_YI, BCG_VI, method_re="dl")
    fe = pool(BCG_YI, BCG_VI, method="FE", ci="z")
    dl = pool(BCG_YI, BCG_VI, method="DL", ci="z")
    assert fe.estimate == pytest.approx(sm.mean_effect_fe, rel=1e-12)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-12)
    assert fe.q == pytest.approx(sm.q, rel=1e-10)
    assert dl.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert dl.estimate == pytest.approx(sm.mean_effect_re, rel=1e-12)
    assert dl.se == pytest.approx(sm.sd_eff_w_re, rel=1e-12)


def test_pm_agrees_with_statsmodels_iteration():
    sm = combine_effects(BCG_YI, BCG_VI, method_re="iterated", atol=1e-10, maxiter=200)
    assert pool(BCG_YI, BCG_VI, method="PM").tau2 == pytest.approx(sm.tau2, rel=1e-12)


def test_pm_guard_catches_statsmodels_reset_to_zero(monkeypatch):
    """Asked for a tolerance below what the arithmetic reaches, statsmodels' iteration can step past
    the root, see a negative estimating equation and return tau2 = 0 (whether it does depends on
    the machine's floating point, so the reset is simulated here): the guard finds the root."""
    import statsmodels.stats.meta_analysis as sm_meta

    real = sm_meta.combine_effects

    def reset_to_zero(*args, **kwargs):
        res = real(*args, **kwargs)
        if kwargs.get("method_re") == "iterated":
            res.tau2 = 0.0
        return res

    monkeypatch.setattr(sm_meta, "combine_effects", reset_to_zero)
    assert sm_meta.combine_effects(BCG_YI, BCG_VI, method_re="iterated").tau2 == 0
    assert pool(BCG_YI, BCG_VI, method="PM").tau2 == pytest.approx(0.31806845094229674, rel=1e-10)


def test_dl_is_truncated_at_zero_unlike_statsmodels():
    with np.errstate(invalid="ignore"):  # statsmodels takes the sqrt of its negative variance
        sm = combine_effects(HINE_YI, HINE_VI, method_re="dl")
    assert sm.tau2 < 0  # the statsmodels defect this package guards against
    fe = pool(HINE_YI, HINE_VI, method="FE", ci="z")
    for method in ("DL", "REML", "ML", "PM", "HE"):  # SJ is positive whenever the y differ
        res = pool(HINE_YI, HINE_VI, method=method, ci="z")
        assert res.tau2 == 0.0, method
        assert res.estimate == pytest.approx(fe.estimate, rel=1e-12)
        assert res.i2 == 0.0 and res.h2 == 1.0


# --------------------------------------------------------------------------------------------
# every estimator against metafor on five studies (tests/reference/metafor_k5.R)

#: metafor 3.8.1, rma(yi, vi, method=m, control=TIGHT): tau2, pooled estimate, its se (z), I2 (%), H2
METAFOR_K5 = {
    "DL": (0.191833333333, -0.259976197028, 0.231136897694, 73.0793650794, 3.71462264151),
    "HE": (0.18, -0.260975448568, 0.225903993066, 71.8085106383, 3.54716981132),
    "SJ": (0.192693993517, -0.259907197912, 0.231512695844, 73.1673414635, 3.72680179506),
    # with metafor's default tolerance PM stops at tau2 = 0.188090, where the generalised Q is 4.0004,
    # not k - 1 = 4; with tol = 1e-12 (the script's TIGHT) it gives the root the engine finds
    "PM": (0.188064289895, -0.260284044615, 0.229483645221, 72.6872007874, 3.66128712116),
    "ML": (0.14144381042, -0.265052158393, 0.20789640427, 66.6840282304, 3.00156335501),
    "REML": (0.194184822874, -0.259788792389, 0.232162154745, 73.3183805048, 3.7478984369),
}


@pytest.mark.parametrize("method", sorted(METAFOR_K5))
def test_estimator_equals_metafor_on_five_studies(method):
    tau2, estimate, se, i2, h2 = METAFOR_K5[method]
    fit = pool(K5_YI, K5_VI, method=method, ci="z")
    assert fit.tau2 == pytest.approx(tau2, rel=1e-6)
    assert fit.estimate == pytest.approx(estimate, rel=1e-6)
    assert fit.se == pytest.approx(se, rel=1e-6)
    assert fit.i2 == pytest.approx(i2, rel=1e-6)
    assert fit.h2 == pytest.approx(h2, rel=1e-6)


def test_pm_solves_the_generalised_q_equation():
    """Paule-Mandel: the tau2 at which Σ w_i (y_i − mu_w)² = k − 1, w_i = 1/(v_i + tau2)."""
    y, v = np.array(K5_YI), np.array(K5_VI)
    t = pool(y, v, method="PM", ci="z").tau2
    w = 1 / (v + t)
    assert np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2) == pytest.approx(len(y) - 1, abs=1e-8)


def test_dl_and_he_by_their_closed_forms():
    """DL: (Q − (k−1)) / (Σw − Σw²/Σw) with w = 1/v (DerSimonian & Laird 1986); HE (Hedges 1983):
    Σ(y − ȳ)²/(k−1) − mean(v), with the unweighted mean ȳ; both truncated at 0."""
    y, v = np.array(K5_YI), np.array(K5_VI)
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)
    dl = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    he = max(0.0, np.var(y, ddof=1) - v.mean())
    assert pool(y, v, method="DL", ci="z").tau2 == pytest.approx(dl, rel=1e-12)
    assert pool(y, v, method="HE", ci="z").tau2 == pytest.approx(he, rel=1e-12)
    assert he == pytest.approx(0.18, rel=1e-12)  # metafor's HE value, exactly


def test_standard_error_of_tau2_equals_metafor():
    assert pool(K5_YI, K5_VI, method="REML").se_tau2 == pytest.approx(0.19033062737, rel=1e-6)
    assert pool(K5_YI, K5_VI, method="ML").se_tau2 == pytest.approx(0.135638314657, rel=1e-6)


def test_ml_is_below_reml_and_fe_has_tau2_zero():
    """ML is biased downwards relative to REML (Viechtbauer 2005); FE assumes tau2 = 0."""
    assert pool(K5_YI, K5_VI, method="ML").tau2 < pool(K5_YI, K5_VI, method="REML").tau2
    fe = pool(K5_YI, K5_VI, method="FE", ci="z")
    assert fe.tau2 == 0 and not fe.tau2_estimable
