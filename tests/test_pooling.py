"""Unit and property tests of jakmeta.stats (the metafor reference values are in
test_reference_cases.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from jakmeta.stats import (
    CI_METHODS,
    METHODS,
    ConvergenceWarning,
    DegenerateResultWarning,
    PoolResult,
    i2_from_q,
    leave_one_out,
    leave_one_out_counts,
    mantel_haenszel,
    peto,
    pool,
    pool_many,
    subgroup_analysis,
    tau2_confint,
)

# dat.bcg, log risk ratios (metafor escalc values, printed to 8 decimals in its trimfill docs)
BCG_YI = np.array([-0.88931133, -1.58538866, -1.34807315, -1.44155119, -0.21754732, -0.78611559, -1.62089822,
                   0.01195233, -0.46941765, -1.37134480, -0.33935883, 0.44591340, -0.01731395])
BCG_VI = np.array([0.325584765, 0.194581121, 0.415367965, 0.020010032, 0.051210172, 0.006905618, 0.223017248,
                   0.003961579, 0.056434210, 0.073024794, 0.012412214, 0.532505845, 0.071404660])
# dat.hine1989 risk differences x 100: Q < k - 1, so every tau2 estimator gives 0
HINE_YI = np.array([2.8026, 0.0, 1.9711, 1.7961, 3.5334, 4.4031])
HINE_VI = np.array([17.7575, 37.5657, 8.1323, 10.8998, 8.0114, 6.132])

RE_METHODS = [m for m in METHODS if m != "FE"]


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


def test_hksj_se_equals_statsmodels_hksj_variance():
    sm = combine_effects(BCG_YI, BCG_VI, method_re="dl")
    dl = pool(BCG_YI, BCG_VI, method="DL", ci="hksj")
    assert dl.se == pytest.approx(sm.sd_eff_w_re_hksj, rel=1e-10)
    _, _, _, ci_re_hksj = sm.conf_int(use_t=True)
    assert (dl.ci_low, dl.ci_high) == pytest.approx(ci_re_hksj, rel=1e-10)


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


def test_identical_studies_give_tau2_zero_and_degenerate_hksj():
    y, v = np.full(4, 0.3), np.array([0.1, 0.2, 0.3, 0.4])
    for method in RE_METHODS:
        assert pool(y, v, method=method, ci="z").tau2 == 0.0
    with pytest.warns(DegenerateResultWarning, match="hksj-adhoc"):
        hk = pool(y, v, method="REML", ci="hksj")
    assert hk.se == 0.0  # metafor: the KH scale is set to 0 when the weighted RSS is 0
    assert pool(y, v, method="REML", ci="hksj-adhoc").se > 0


def test_single_study():
    res = pool([0.4], [0.09], method="REML", ci="hksj")
    assert res.k == 1 and res.ci == "z"
    assert res.estimate == 0.4 and res.se == pytest.approx(0.3)
    assert (res.ci_low, res.ci_high) == pytest.approx((0.4 - 1.959964 * 0.3, 0.4 + 1.959964 * 0.3), rel=1e-6)
    assert math.isnan(res.tau2) and not res.tau2_estimable
    assert math.isnan(res.i2) and math.isnan(res.h2)
    assert math.isnan(res.pi_low) and math.isnan(res.pi_high)
    assert res.weights.tolist() == [100.0]
    assert res.q == 0.0 and res.q_df == 0 and math.isnan(res.q_pvalue)


def test_two_studies_with_hksj_use_one_df():
    res = pool([0.1, 0.6], [0.04, 0.05], method="REML", ci="hksj")
    assert res.df == 1
    assert res.ci_high - res.estimate == pytest.approx(stats.t.ppf(0.975, 1) * res.se)
    with pytest.warns(DegenerateResultWarning, match="k = 2"):
        assert math.isnan(pool([0.1, 0.6], [0.04, 0.05], pi="higgins").pi_low)  # t(k-2) needs k >= 3


def test_result_is_frozen_and_to_dict_is_plain():
    res = pool(BCG_YI, BCG_VI)
    with pytest.raises(AttributeError):
        res.estimate = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.weights[0] = 1.0
    d = res.to_dict()
    assert d["method"] == "REML" and isinstance(d["weights"], list) and len(d["weights"]) == 13
    assert d["tau"] == pytest.approx(math.sqrt(d["tau2"]))


def test_non_convergence_is_flagged_with_a_warning(monkeypatch):
    import jakmeta.stats.engine as engine

    real = engine._tau2_rows

    def not_converged(rows, method):
        tau2, conv, multimodal = real(rows, method)
        return tau2, np.zeros_like(conv), multimodal

    monkeypatch.setattr(engine, "_tau2_rows", not_converged)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = pool(BCG_YI, BCG_VI, method="REML")
    assert not res.converged
    assert issubclass(ConvergenceWarning, RuntimeWarning) and issubclass(ConvergenceWarning, DegenerateResultWarning)


# --------------------------------------------------------------------------------------------
# pool_many


def _random_rows(rng, n=60, kmax=9):
    y = rng.normal(0.2, 0.5, (n, kmax))
    v = rng.uniform(0.005, 0.6, (n, kmax))
    k = rng.integers(1, kmax + 1, n)
    k[:3] = (1, 2, kmax)
    for i in range(n):
        pad = rng.permutation(kmax)[: kmax - k[i]]  # padding anywhere in the row
        y[i, pad] = np.nan
        v[i, pad] = np.nan
    return y, v


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ci", CI_METHODS)
def test_pool_many_rows_agree_with_pool(method, ci):
    rng = np.random.default_rng(20240611)
    Y, V = _random_rows(rng)
    many = pool_many(Y, V, method=method, ci=ci, pi="higgins" if ci == "hksj-adhoc" else "metafor")
    assert len(many) == Y.shape[0]
    for i in range(Y.shape[0]):
        keep = ~np.isnan(Y[i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateResultWarning)
            one = pool(Y[i, keep], V[i, keep], method=method, ci=ci, pi=many.pi)
        row = many.row(i)
        for name in ("k", "q_df", "tau2_estimable", "converged", "ci", "method"):
            assert getattr(row, name) == getattr(one, name), (i, name)
        for name in ("estimate", "se", "statistic", "pvalue", "df", "ci_low", "ci_high", "tau2", "tau",
                     "se_tau2", "i2", "h2", "q", "q_pvalue", "pi_low", "pi_high"):
            np.testing.assert_allclose(getattr(row, name), getattr(one, name), rtol=1e-8, atol=1e-12,
                                       equal_nan=True, err_msg=f"row {i}, {name}")
        np.testing.assert_allclose(row.weights, one.weights, rtol=1e-8)


def test_pool_many_returns_arrays_and_frame():
    Y = np.array([BCG_YI, np.r_[BCG_YI[:5], [np.nan] * 8]])
    V = np.array([BCG_VI, np.r_[BCG_VI[:5], [np.nan] * 8]])
    many = pool_many(Y, V, method="REML", ci="z")
    assert many.k.tolist() == [13, 5]
    assert many.weights.shape == (2, 13) and np.isnan(many.weights[1, 5:]).all()
    np.testing.assert_allclose(np.nansum(many.weights, axis=1), 100)
    frame = many.to_frame()
    assert list(frame["k"]) == [13, 5] and "weights" not in frame


# --------------------------------------------------------------------------------------------
# Mantel-Haenszel and Peto


def test_mh_double_zero_study_changes_nothing_but_the_table_count():
    a, n1, c, n2 = [4, 6, 3, 0], [123, 306, 231, 50], [11, 29, 11, 0], [139, 303, 220, 48]
    with_00 = mantel_haenszel(a, n1, c, n2, measure="RR")
    without = mantel_haenszel(a[:3], n1[:3], c[:3], n2[:3], measure="RR")
    assert with_00.estimate == pytest.approx(without.estimate, rel=1e-12)
    assert with_00.q == pytest.approx(without.q) and with_00.q_df == without.q_df == 2
    assert with_00.k == 4


def test_mh_single_zero_cell_uses_corrected_effects_only_for_q():
    a, n1, c, n2 = [0, 6, 3], [20, 306, 231], [4, 29, 11], [22, 303, 220]
    res = mantel_haenszel(a, n1, c, n2, measure="OR")
    r = np.array(a) * (np.array(n2) - np.array(c)) / (np.array(n1) + np.array(n2))
    s = (np.array(n1) - np.array(a)) * np.array(c) / (np.array(n1) + np.array(n2))
    assert res.estimate == pytest.approx(math.log(r.sum() / s.sum()))
    assert res.q_df == 2


def test_peto_equals_fixed_effect_on_peto_effects():
    from jakmeta.stats.effects import binary_effects

    a, n1, c, n2 = [14, 18, 0, 3, 0], [56, 66, 9, 48, 25], [15, 19, 0, 3, 3], [58, 64, 8, 49, 25]
    es = binary_effects(a, n1, c, n2, measure="PETO", add=0, drop00=True)
    fe = pool(es.yi, es.vi, method="FE", ci="z")
    pt = peto(a, n1, c, n2)
    assert pt.estimate == pytest.approx(fe.estimate, rel=1e-12)
    assert pt.se == pytest.approx(fe.se, rel=1e-12)
    assert pt.q_df == 3 and pt.k == 5


def test_mh_and_peto_errors_when_undefined():
    with pytest.raises(ValueError, match="undefined"):
        mantel_haenszel([0, 0], [10, 10], [0, 0], [10, 10], measure="OR")
    with pytest.raises(ValueError, match="V = 0"):
        peto([0, 0], [10, 10], [0, 0], [10, 10])


# --------------------------------------------------------------------------------------------
# tau2 interval, leave-one-out, subgroups


def test_tau2_confint_bounds_solve_the_q_profile_equation():
    ci = tau2_confint(BCG_YI, BCG_VI, method="REML", level=0.95)

    def qgen(t):
        w = 1 / (BCG_VI + t)
        mu = np.sum(w * BCG_YI) / w.sum()
        return np.sum(w * (BCG_YI - mu) ** 2)

    assert qgen(ci.tau2_ci_low) == pytest.approx(stats.chi2.ppf(0.975, 12), rel=1e-9)
    assert qgen(ci.tau2_ci_high) == pytest.approx(stats.chi2.ppf(0.025, 12), rel=1e-9)
    assert ci.tau2_ci_low < ci.tau2 < ci.tau2_ci_high
    assert ci.i2_ci_low < ci.i2 < ci.i2_ci_high
    assert ci.to_dict()["method"] == "REML"


def test_tau2_confint_lower_bound_is_zero_without_heterogeneity():
    ci = tau2_confint(HINE_YI, HINE_VI, method="DL")
    assert ci.tau2_ci_low == 0.0 and ci.i2_ci_low == 0.0 and ci.h2_ci_low == 1.0
    assert ci.tau2_ci_high > 0


def test_leave_one_out_rows_are_pools_without_one_study():
    table = leave_one_out(BCG_YI, BCG_VI, labels=[f"s{i}" for i in range(13)], method="DL", ci="hksj")
    assert list(table.index[:2]) == ["s0", "s1"] and len(table) == 13
    direct = pool(np.delete(BCG_YI, 4), np.delete(BCG_VI, 4), method="DL", ci="hksj")
    assert table.loc["s4", "estimate"] == pytest.approx(direct.estimate)
    assert table.loc["s4", "ci_high"] == pytest.approx(direct.ci_high)
    assert (table["k"] == 12).all()


def test_leave_one_out_counts_for_mh_and_peto():
    a, n1, c, n2 = [4, 6, 3, 62], [123, 306, 231, 13598], [11, 29, 11, 248], [139, 303, 220, 12867]
    table = leave_one_out_counts(a, n1, c, n2, method="MH", measure="OR")
    assert table.loc[0, "estimate"] == pytest.approx(mantel_haenszel(a[1:], n1[1:], c[1:], n2[1:]).estimate)
    table = leave_one_out_counts(a, n1, c, n2, method="Peto")
    assert table.loc[3, "estimate"] == pytest.approx(peto(a[:3], n1[:3], c[:3], n2[:3]).estimate)


def test_subgroup_q_between_formula_and_fixed_effect_partition():
    groups = ["a"] * 4 + ["b"] * 5 + ["c"] * 4
    sub = subgroup_analysis(BCG_YI, BCG_VI, groups, method="REML", ci="hksj")
    assert list(sub.table.index) == ["a", "b", "c"] and sub.df_between == 2
    est = np.array([pool(BCG_YI[np.array(groups) == g], BCG_VI[np.array(groups) == g], ci="z").estimate for g in "abc"])
    se = np.array([pool(BCG_YI[np.array(groups) == g], BCG_VI[np.array(groups) == g], ci="z").se for g in "abc"])
    w = 1 / se**2
    assert sub.q_between == pytest.approx(np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2))
    assert sub.p_between == pytest.approx(stats.chi2.sf(sub.q_between, 2))
    assert sub.table.loc["b", "k"] == 5
    fe = subgroup_analysis(BCG_YI, BCG_VI, groups, method="FE", ci="z")
    total = pool(BCG_YI, BCG_VI, method="FE")
    assert fe.q_between + fe.q_within == pytest.approx(total.q)  # Q_total = Q_between + Q_within


def test_subgroup_with_a_single_study_group():
    sub = subgroup_analysis(BCG_YI[:4], BCG_VI[:4], ["x", "x", "x", "y"], method="REML")
    assert sub.results["y"].k == 1 and math.isnan(sub.results["y"].tau2)


# --------------------------------------------------------------------------------------------
# properties (hypothesis)

finite_effects = st.floats(-3, 3, allow_nan=False)
variances = st.floats(0.001, 2.0, allow_nan=False)


@st.composite
def meta_data(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    y = np.array(draw(st.lists(finite_effects, min_size=k, max_size=k)))
    v = np.array(draw(st.lists(variances, min_size=k, max_size=k)))
    return y, v


PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _quiet_pool(y, v, **kwargs) -> PoolResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateResultWarning)
        return pool(y, v, **kwargs)


@PROPERTY_SETTINGS
@given(data=meta_data(), method=st.sampled_from(METHODS), perm_seed=st.integers(0, 2**16))
def test_permutation_invariance(data, method, perm_seed):
    y, v = data
    perm = np.random.default_rng(perm_seed).permutation(y.size)
    a, b = _quiet_pool(y, v, method=method, ci="hksj"), _quiet_pool(y[perm], v[perm], method=method, ci="hksj")
    assert b.estimate == pytest.approx(a.estimate, rel=1e-7, abs=1e-9)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9)
    assert b.ci_high == pytest.approx(a.ci_high, rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(b.weights, a.weights[perm], rtol=1e-6, atol=1e-9)


@PROPERTY_SETTINGS
@given(data=meta_data(min_k=1), method=st.sampled_from(METHODS), ci=st.sampled_from(CI_METHODS))
def test_ci_contains_estimate_and_weights_sum_to_100(data, method, ci):
    y, v = data
    res = _quiet_pool(y, v, method=method, ci=ci)
    assert res.ci_low <= res.estimate <= res.ci_high
    assert res.weights.sum() == pytest.approx(100.0)
    assert (res.weights > 0).all()
    if res.k > 1 and method != "FE":
        assert res.tau2 >= 0 and 0 <= res.i2 < 100 and res.pi_low <= res.ci_low + 1e-12


@PROPERTY_SETTINGS
@given(data=meta_data(), method=st.sampled_from(METHODS))
def test_hksj_adhoc_ci_never_narrower_than_wald(data, method):
    y, v = data
    wald = _quiet_pool(y, v, method=method, ci="z")
    adhoc = _quiet_pool(y, v, method=method, ci="hksj-adhoc")
    assert adhoc.ci_high - adhoc.ci_low >= (wald.ci_high - wald.ci_low) * (1 - 1e-12)


@PROPERTY_SETTINGS
@given(k=st.integers(2, 12), mu=finite_effects, seed=st.integers(0, 2**16),
       method=st.sampled_from(["DL", "REML", "ML", "PM", "HE"]))  # SJ is > 0 unless all y are equal
def test_random_effects_equal_fixed_effect_when_tau2_is_zero(k, mu, seed, method):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 1.0, k)
    y = mu + 0.05 * np.sqrt(v) * rng.standard_normal(k)  # far less spread than sampling error
    re = _quiet_pool(y, v, method=method, ci="z")
    assume(re.tau2 == 0.0)
    fe = _quiet_pool(y, v, method="FE", ci="z")
    assert re.estimate == pytest.approx(fe.estimate, rel=1e-12, abs=1e-14)
    assert re.se == pytest.approx(fe.se, rel=1e-12)
    np.testing.assert_allclose(re.weights, fe.weights, rtol=1e-12)


@PROPERTY_SETTINGS
@given(data=meta_data(), shift=st.floats(-5, 5), method=st.sampled_from(METHODS))
def test_location_equivariance(data, shift, method):
    y, v = data
    a, b = _quiet_pool(y, v, method=method), _quiet_pool(y + shift, v, method=method)
    assert b.estimate == pytest.approx(a.estimate + shift, rel=1e-7, abs=1e-7)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-8)
    assert b.q == pytest.approx(a.q, rel=1e-6, abs=1e-8)
