"""Unit tests of jakmeta.stats.bias (metafor's regtest values are checked in test_reference_cases.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from jakmeta.stats import pool
from jakmeta.stats.bias import MIN_K_FOR_ASYMMETRY_TESTS, egger_test

# dat.egger2001 without ISIS-4, log odds ratios (metafor regtest docs)
YI = np.array([-0.8303483, -1.05605267, -1.27833981, -0.04348511, 0.22314355, -2.40751999, -1.28093385,
               -1.19170271, -0.69574796, -2.20827441, -2.03815988, -0.85015093, -0.79323064, -0.29933987,
               -1.57078846])
NI = np.array([76, 270, 400, 94, 298, 115, 48, 43, 151, 54, 169, 56, 252, 2316, 215])
A = np.array([1, 9, 2, 1, 10, 1, 1, 0, 6, 1, 2, 5, 4, 90, 4])
N1 = np.array([40, 135, 200, 48, 150, 59, 25, 22, 76, 27, 89, 23, 130, 1159, 107])
C = np.array([2, 23, 7, 1, 8, 9, 3, 1, 11, 7, 12, 13, 8, 118, 17])
N2 = NI - N1


def _vi():
    a, c = A.astype(float), C.astype(float)
    b, d = N1 - a, N2 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (x + 0.5 * zero for x in (a, b, c, d))
    return 1 / a + 1 / b + 1 / c + 1 / d


VI = _vi()


def test_classical_egger_equals_weighted_regression_on_sei():
    res = egger_test(YI, VI)
    sei = np.sqrt(VI)
    wls = sm.WLS(YI, sm.add_constant(sei), weights=1 / VI).fit()
    assert res.intercept == pytest.approx(wls.params[1], rel=1e-10)
    assert res.se == pytest.approx(wls.bse[1], rel=1e-10)
    assert res.statistic == pytest.approx(wls.tvalues[1], rel=1e-10)
    assert res.limit_estimate == pytest.approx(wls.params[0], rel=1e-10)
    assert res.df == YI.size - 2 and res.test == "t"
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(res.statistic), YI.size - 2))


def test_egger_intercept_is_the_snd_on_precision_intercept():
    sei = np.sqrt(VI)
    ols = sm.OLS(YI / sei, sm.add_constant(1 / sei)).fit()
    assert egger_test(YI, VI).intercept == pytest.approx(ols.params[0], rel=1e-12)


def test_rma_version_with_fixed_effect_is_a_z_test_of_the_weighted_regression():
    res = egger_test(YI, VI, model="rma", method="FE")
    sei = np.sqrt(VI)
    X = sm.add_constant(sei)
    w = 1 / VI
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = cov @ (X.T @ (w * YI))
    assert res.intercept == pytest.approx(beta[1], rel=1e-10)
    assert res.se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-10)
    assert res.test == "z" and math.isnan(res.df)
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(abs(res.statistic)))


def test_rma_version_with_reml_estimates_residual_tau2():
    res = egger_test(YI, VI, model="rma", method="REML")
    assert res.tau2 >= 0 and res.method == "REML"
    assert res.tau2 < pool(YI, VI, method="REML").tau2  # the predictor explains some heterogeneity


def test_k_caveat_flags_fewer_than_ten_studies():
    assert MIN_K_FOR_ASYMMETRY_TESTS == 10
    assert egger_test(YI, VI).k_caveat is False
    small = egger_test(YI[:9], VI[:9])
    assert small.k_caveat is True and small.k == 9


def test_sample_size_predictors():
    for predictor, x in (("ni", NI), ("ninv", 1 / NI), ("sqrtninv", 1 / np.sqrt(NI))):
        res = egger_test(YI, VI, predictor=predictor, ni=NI)
        wls = sm.WLS(YI, sm.add_constant(x.astype(float)), weights=1 / VI).fit()
        assert res.statistic == pytest.approx(wls.tvalues[1], rel=1e-10), predictor
    res = egger_test(YI, VI, predictor="vi")
    assert res.predictor == "vi"


def test_limit_interval_contains_limit_estimate_and_to_dict():
    res = egger_test(YI, VI, level=0.9)
    assert res.limit_ci_low < res.limit_estimate < res.limit_ci_high
    assert res.to_dict()["level"] == 0.9


def test_egger_refuses_equal_standard_errors_and_extreme_ranges():
    with pytest.raises(ValueError, match="same value in every study"):
        egger_test([0.1, 0.5, 0.3, 0.2], [0.04, 0.04, 0.04, 0.04])
    with pytest.raises(ValueError, match="span too wide a range"):
        egger_test([1e90, -1e90, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0], model="rma")
    with pytest.raises(ValueError, match="not text"):
        egger_test(["0.1", "0.5", "0.3"], [0.01, 0.02, 0.03])


def test_egger_on_any_magnitude_ends_in_a_finite_result_or_a_value_error():
    import warnings

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(k=st.integers(3, 9), unit=st.sampled_from([1e-150, 1e-50, 1e-3, 1.0, 1e3, 1e50, 1e150]),
           seed=st.integers(0, 2**31), model=st.sampled_from(["lm", "rma"]),
           method=st.sampled_from(["FE", "DL", "HE", "ML", "REML"]))
    def check(k, unit, seed, model, method):
        rng = np.random.default_rng(seed)
        v = rng.uniform(0.01, 1.0, k) * unit**2
        y = rng.normal(0, 1, k) * unit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = egger_test(y, v, model=model, method=method)
            except ValueError:
                return
        assert math.isfinite(res.intercept) and math.isfinite(res.se) and math.isfinite(res.pvalue)

    check()
