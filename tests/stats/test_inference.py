"""jakmeta.stats.inference: Wald and Hartung-Knapp-Sidik-Jonkman intervals, prediction intervals and
I2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from jakmeta.stats import (
    DegenerateResultWarning,
    i2_from_q,
    pool,
)
from tests.stats import BCG_VI, BCG_YI, K5_VI, K5_YI


def test_hksj_se_equals_statsmodels_hksj_variance():
    sm = combine_effects(BCG_YI, BCG_VI, method_re="dl")
    dl = pool(BCG_YI, BCG_VI, method="DL", ci="hksj")
    assert dl.se == pytest.approx(sm.sd_eff_w_re_hksj, rel=1e-10)
    _, _, _, ci_re_hksj = sm.conf_int(use_t=True)
    assert (dl.ci_low, dl.ci_high) == pytest.approx(ci_re_hksj, rel=1e-10)


# --------------------------------------------------------------------------------------------
# conventions


def test_i2_is_computed_from_tau2_for_random_effects_and_from_q_for_fe():
    fe = pool(BCG_YI, BCG_VI, method="FE")
    assert fe.i2 == pytest.approx(i2_from_q(fe.q, fe.q_df))
    assert fe.h2 == pytest.approx(fe.q / fe.q_df)
    reml, dl = pool(BCG_YI, BCG_VI, method="REML"), pool(BCG_YI, BCG_VI, method="DL")
    assert reml.i2 != pytest.approx(dl.i2, abs=1e-3)  # estimator-specific, as in metafor
    w = 1 / BCG_VI
    s2 = (len(w) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    assert reml.i2 == pytest.approx(100 * reml.tau2 / (reml.tau2 + s2))
    assert reml.h2 == pytest.approx((reml.tau2 + s2) / s2)


def test_prediction_interval_follows_metafor_predict():
    z = pool(BCG_YI, BCG_VI, method="REML", ci="z")
    crit = stats.norm.ppf(0.975)
    assert z.pi_low == pytest.approx(z.estimate - crit * math.sqrt(z.se**2 + z.tau2))
    hk = pool(BCG_YI, BCG_VI, method="REML", ci="hksj")
    crit = stats.t.ppf(0.975, 12)
    assert hk.pi_high == pytest.approx(hk.estimate + crit * math.sqrt(hk.se**2 + hk.tau2))
    hig = pool(BCG_YI, BCG_VI, method="REML", ci="z", pi="higgins")
    crit = stats.t.ppf(0.975, 11)
    assert hig.pi_high == pytest.approx(hig.estimate + crit * math.sqrt(hig.se**2 + hig.tau2))


def test_common_effect_model_has_no_prediction_interval_and_zero_tau2():
    fe = pool(BCG_YI, BCG_VI, method="FE")
    assert math.isnan(fe.pi_low) and math.isnan(fe.pi_high)
    assert fe.tau2 == 0.0 and not fe.tau2_estimable


def test_hksj_uses_t_with_k_minus_1_df():
    res = pool(BCG_YI, BCG_VI, method="REML", ci="hksj", level=0.9)
    assert res.df == 12
    half = stats.t.ppf(0.95, 12) * res.se
    assert (res.ci_low, res.ci_high) == pytest.approx((res.estimate - half, res.estimate + half))
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(res.statistic), 12))


def test_hksj_adhoc_never_below_wald_se():
    # nearly identical studies: the HKSJ scale factor is far below 1
    y, v = np.array([0.10, 0.11, 0.09, 0.10]), np.array([0.04, 0.05, 0.03, 0.06])
    wald = pool(y, v, method="REML", ci="z")
    hk = pool(y, v, method="REML", ci="hksj")
    adhoc = pool(y, v, method="REML", ci="hksj-adhoc")
    assert hk.se < wald.se
    assert adhoc.se == pytest.approx(wald.se)
    assert adhoc.ci_high - adhoc.ci_low > wald.ci_high - wald.ci_low


def test_two_studies_with_hksj_use_one_df():
    res = pool([0.1, 0.6], [0.04, 0.05], method="REML", ci="hksj")
    assert res.df == 1
    assert res.ci_high - res.estimate == pytest.approx(stats.t.ppf(0.975, 1) * res.se)
    with pytest.warns(DegenerateResultWarning, match="k = 2"):
        assert math.isnan(pool([0.1, 0.6], [0.04, 0.05], pi="higgins").pi_low)  # t(k-2) needs k >= 3


# --------------------------------------------------------------------------------------------
# against metafor on five studies (tests/reference/metafor_k5.R)

def test_hksj_interval_and_p_value_equal_metafor_knha():
    """rma(yi, vi, method = "REML", test = "knha"): se 0.229454086, CI -0.896855466332 to
    0.377277881553, p 0.32081984398 (t with k − 1 = 4 df)."""
    fit = pool(K5_YI, K5_VI, method="REML", ci="hksj")
    assert fit.df == 4
    assert fit.se == pytest.approx(0.229454086, rel=1e-8)
    assert (fit.ci_low, fit.ci_high) == pytest.approx((-0.896855466332, 0.377277881553), rel=1e-8)
    assert fit.pvalue == pytest.approx(0.32081984398, rel=1e-8)


def test_prediction_intervals_equal_metafor_predict():
    """predict(): with the z test mu ± z·√(se² + tau²); with knha t(k − 1) and the HKSJ se."""
    z = pool(K5_YI, K5_VI, method="REML", ci="z")
    assert (z.pi_low, z.pi_high) == pytest.approx((-1.23600844587, 0.716430861094), rel=1e-8)
    hksj = pool(K5_YI, K5_VI, method="REML", ci="hksj")
    assert (hksj.pi_low, hksj.pi_high) == pytest.approx((-1.63919311358, 1.1196155288), rel=1e-8)


def test_q_and_its_p_value_equal_metafor():
    fit = pool(K5_YI, K5_VI, method="REML")
    assert fit.q == pytest.approx(14.858490566, rel=1e-9) and fit.q_df == 4
    assert fit.q_pvalue == pytest.approx(0.00500389813884, rel=1e-6)


def test_i2_from_q_known_values_and_edge_cases():
    """I² = max(0, 100·(Q − df)/Q): Q = 14.8585 on 4 df gives metafor's DL I² (73.08 %), which is
    Q-based; Q below its df gives 0; no df (k = 1) or an infinite Q gives NaN."""
    assert i2_from_q(14.858490566, 4) == pytest.approx(73.0793650794, rel=1e-9)
    assert i2_from_q(10.0, 5) == 50.0
    assert i2_from_q(3.0, 4) == 0.0
    assert i2_from_q(0.0, 4) == 0.0
    assert math.isnan(i2_from_q(5.0, 0))
    assert math.isnan(i2_from_q(float("inf"), 3))


def test_t_or_z_quantile_and_two_sided_p():
    """df = NaN means the normal distribution; df ≤ 0 has no quantile; p is two-sided."""
    from jakmeta.stats.inference import _t_or_z_quantile, _two_sided_p

    q = _t_or_z_quantile(0.975, np.array([np.nan, 4.0, 1.0, 0.0]))
    assert q[:3] == pytest.approx([stats.norm.ppf(0.975), stats.t.ppf(0.975, 4), stats.t.ppf(0.975, 1)], rel=1e-12)
    assert math.isnan(q[3])
    assert _t_or_z_quantile(0.975, np.array([4.0, 4.0])) == pytest.approx([2.7764451051977987] * 2, rel=1e-12)
    p = _two_sided_p(np.array([1.959963984540054, -2.7764451051977987, 0.0]), np.array([np.nan, 4.0, 4.0]))
    assert p == pytest.approx([0.05, 0.05, 1.0], rel=1e-9)
