"""The engine on hard inputs (issue 12): extreme magnitudes, tiny and huge variances, text and
booleans, degenerate results, multimodal likelihoods; every case ends in a finite result or a
clear ValueError, and pool_many explains every NaN. (How long they take is measured in `make bench`,
benchmarks/bench_pooling.py, never asserted: the suite must pass on a busy machine.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import optimize

from jakmeta.stats import (
    CI_METHODS,
    METHODS,
    ConvergenceWarning,
    DegenerateResultWarning,
    PoolResult,
    pool,
    pool_many,
)
from tests.stats import BCG_VI, BCG_YI

# A k = 7 data set with a bimodal restricted likelihood (variances 0.001 to 6, found by a random
# search): the likelihood has a local maximum at tau² = 0 and its global maximum near 0.12.
# metafor-style Fisher scoring from max(0, HE) (this engine before issue 12, which matched metafor
# on every reference case) stops at 0.
BIMODAL_Y = np.array([0.03, 0.04, 0.37, -0.81, -0.82, 1.25, 1.91])
BIMODAL_V = np.array([0.001, 0.004, 0.02, 0.1, 0.5, 2.0, 6.0])


def loglik(t: float, y: np.ndarray, v: np.ndarray, method: str) -> float:
    """Independent (restricted) log-likelihood of the random-effects model, up to a constant."""
    w = 1 / (v + t)
    mu = np.sum(w * y) / np.sum(w)
    ll = -0.5 * np.sum(np.log(v + t)) - 0.5 * np.sum(w * (y - mu) ** 2)
    return ll - 0.5 * np.log(np.sum(w)) if method == "REML" else ll


def brute_force_max(y, v, method: str) -> float:
    """Global maximum of the likelihood: a fine grid over [0, 10·Σ(y−ȳ)²], then a bounded
    optimiser in the bracket of the best grid point."""
    top = 10 * float(np.sum((y - y.mean()) ** 2)) + float(v.max())
    grid = np.concatenate([[0.0], np.geomspace(1e-9 * top, top, 20000)])
    w = 1 / (v[None, :] + grid[:, None])
    mu = (w @ y) / w.sum(axis=1)
    values = -0.5 * np.log(v[None, :] + grid[:, None]).sum(axis=1) - 0.5 * (w * (y[None, :] - mu[:, None]) ** 2).sum(axis=1)
    if method == "REML":
        values -= 0.5 * np.log(w.sum(axis=1))
    j = int(np.argmax(values))
    if j == 0:
        return 0.0
    lo, hi = grid[j - 1], grid[min(j + 1, grid.size - 1)]
    res = optimize.minimize_scalar(lambda t: -loglik(t, y, v, method), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-14 * hi})
    return float(res.x)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_global_maximum_on_a_bimodal_likelihood(method):
    res = pool(BIMODAL_Y, BIMODAL_V, method=method, ci="z")
    expected = brute_force_max(BIMODAL_Y, BIMODAL_V, method)
    assert res.tau2 == pytest.approx(expected, rel=1e-6)
    assert loglik(res.tau2, BIMODAL_Y, BIMODAL_V, method) >= loglik(0.0, BIMODAL_Y, BIMODAL_V, method)
    if method == "REML":
        assert res.tau2 == pytest.approx(0.1197, abs=1e-4)
        assert res.multimodal
        # the local maximum at 0 is a real one: the REML score at tau² = 0 is negative
        w = 1 / BIMODAL_V
        mu = np.sum(w * BIMODAL_Y) / w.sum()
        score0 = np.sum(w**2 * (BIMODAL_Y - mu) ** 2) - (w.sum() - np.sum(w**2) / w.sum())
        assert score0 < 0


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_global_maximum_on_random_data_with_very_unequal_variances(method):
    """pool_many never returns a tau² whose likelihood is below the brute-force maximum."""
    rng = np.random.default_rng(20261201)
    n, k = 120, 7
    V = np.exp(rng.uniform(np.log(0.001), np.log(6.0), (n, k)))
    Y = rng.normal(0, 1, (n, k)) * np.sqrt(V + rng.choice([0.0, 0.05, 0.3], (n, 1)))
    many = pool_many(Y, V, method=method, ci="z")
    for i in range(n):
        best = brute_force_max(Y[i], V[i], method)
        assert loglik(many.tau2[i], Y[i], V[i], method) >= loglik(best, Y[i], V[i], method) - 1e-9, i
        assert many.tau2[i] == pytest.approx(best, rel=1e-5, abs=1e-9), i


def test_pool_many_flags_the_bimodal_row_and_agrees_with_pool():
    Y = np.vstack([BIMODAL_Y, BIMODAL_Y + 1])
    many = pool_many(Y, np.vstack([BIMODAL_V, BIMODAL_V]), method="REML")
    assert many.multimodal.all()
    assert all("multimodal" in s for s in many.status)
    assert many.tau2[0] == pytest.approx(pool(BIMODAL_Y, BIMODAL_V).tau2, rel=1e-10)


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("unit", [1e-6, 1e-2, 1.0, 1e3])
def test_relative_stopping_rule_gives_tau2_to_relative_precision_on_any_scale(method, unit):
    # BCG-like log risk ratios, rescaled to e.g. risk differences (unit 1e-2)
    y = np.array([-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02])
    v = np.array([0.326, 0.195, 0.415, 0.020, 0.051, 0.0069, 0.223, 0.0040, 0.056, 0.073, 0.012, 0.53, 0.071])
    res = pool(y * unit, v * unit**2, method=method, ci="z")
    assert res.tau2 == pytest.approx(brute_force_max(y, v, method) * unit**2, rel=1e-6)


@pytest.mark.parametrize(
    "yi, vi",
    [
        ([1e90, -1e90, 0.0], [1.0, 1.0, 1.0]),
        ([1e150, -1e150, 0.0], [1.0, 1.0, 1.0]),
        ([1e154, -1e154, 0.0], [1.0, 1.0, 1.0]),
        ([0.1, 0.2, 0.3], [1e-300, 1e-300, 1e-300]),
        ([0.1, 0.2, 0.3], [1e-300, 1.0, 1.0]),
        ([0.1, 0.2, 0.3], [1e-200, 1e200, 1.0]),
    ],
)
@pytest.mark.parametrize("method", ["REML", "ML", "DL", "PM", "SJ", "HE", "FE"])
def test_extreme_ranges_are_refused_with_a_reason(yi, vi, method):
    with pytest.raises(ValueError, match=r"yi and vi span too wide a range"):
        pool(yi, vi, method=method)


@pytest.mark.parametrize("method", ["REML", "ML", "DL", "PM", "SJ", "HE"])
def test_tiny_and_huge_variances_with_a_matching_spread_give_finite_results(method):
    for unit in (1e-150, 1e-100, 1e100, 1e150):
        y = np.array([0.1, 0.5, -0.2, 0.3]) * unit
        v = np.array([0.04, 0.09, 0.05, 0.02]) * unit**2
        res = pool(y, v, method=method)
        ref = pool(y / unit, v / unit**2, method=method)
        assert res.estimate == pytest.approx(ref.estimate * unit, rel=1e-9)
        assert res.tau2 == pytest.approx(ref.tau2 * unit**2, rel=1e-9, abs=1e-300)
        assert res.h2 == pytest.approx(ref.h2, rel=1e-9) and math.isfinite(res.h2)


def test_identical_estimates_with_tiny_variances():
    res = pool([0.1, 0.1, 0.1], [1e-300, 1e-300, 1e-300], method="REML", ci="z")
    assert res.estimate == 0.1 and res.tau2 == 0.0 and res.h2 == 1.0
    assert res.se == pytest.approx(math.sqrt(1e-300 / 3))


@pytest.mark.parametrize(
    "yi, vi, match",
    [
        (["1", "2"], [0.1, 0.1], "yi must be a sequence of numbers, not text"),
        ([0.1, 0.2], ["0.1", "0.2"], "vi must be a sequence of numbers, not text"),
        ([True, False], [0.1, 0.1], "yi must be a sequence of numbers, not booleans"),
        ([0.1, True], [0.1, 0.1], r"yi\[1\] = True"),
        (np.array([0.1, 0.2]), np.array([True, True]), "vi must be a sequence of numbers, not booleans"),
        ("0.1", [0.1], "yi must be a sequence of numbers, not text"),
    ],
)
def test_text_and_booleans_are_not_numbers(yi, vi, match):
    with pytest.raises(ValueError, match=match):
        pool(yi, vi)


def test_pool_many_refuses_text():
    with pytest.raises(ValueError, match="YI"):
        pool_many(np.array([["0.1", "0.2"]], dtype=object), np.array([[0.1, 0.1]]))


def test_higgins_interval_with_two_studies_warns():
    with pytest.warns(DegenerateResultWarning, match="undefined for k = 2"):
        res = pool([0.1, 0.5], [0.04, 0.05], pi="higgins")
    assert math.isnan(res.pi_low)


def test_zero_width_hksj_warns_and_names_the_modified_hksj():
    with pytest.warns(DegenerateResultWarning, match=r"Röver et al\. \(2015\)"):
        res = pool([0.2, 0.2, 0.2], [0.1, 0.2, 0.3])
    assert res.ci_low == res.ci_high


def test_pool_many_never_returns_an_unexplained_nan():
    Y = np.array([
        [0.1, 0.2, 0.3, np.nan],          # ok
        [0.4, np.nan, np.nan, np.nan],    # single study: tau2 etc. NaN
        [1e90, -1e90, 0.0, np.nan],       # out of range
        [0.2, 0.2, 0.2, 0.2],             # zero-width HKSJ
        [0.1, 0.5, np.nan, np.nan],       # k = 2: Higgins PI undefined
    ])
    V = np.where(np.isnan(Y), np.nan, 0.05)
    with pytest.warns(DegenerateResultWarning, match="1 row\\(s\\) out of range"):
        many = pool_many(Y, V, method="REML", pi="higgins")
    frame = many.to_frame()
    for i, row in frame.iterrows():
        has_nan = row.drop(labels=["status"]).isna().any()
        assert not has_nan or row["status"] != "ok", (i, row["status"])
    assert frame.loc[0, "status"] == "ok"
    assert frame.loc[1, "status"].startswith("single study")
    assert frame.loc[2, "status"].startswith("out of range") and math.isnan(frame.loc[2, "estimate"])
    assert "zero-width HKSJ" in frame.loc[3, "status"]
    assert "prediction interval undefined" in frame.loc[4, "status"]


magnitudes = st.sampled_from([1e-200, 1e-100, 1e-30, 1e-8, 1.0, 1e8, 1e30, 1e100, 1e200])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(min_value=1, max_value=8),
    y_unit=magnitudes,
    v_unit=magnitudes,
    seed=st.integers(0, 2**31),
    method=st.sampled_from(["REML", "ML", "DL", "PM", "SJ", "HE", "FE"]),
    ci=st.sampled_from(["z", "hksj", "hksj-adhoc"]),
)
def test_any_magnitude_ends_in_a_finite_result_or_a_value_error(k, y_unit, v_unit, seed, method, ci):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 1, k) * y_unit
    v = rng.uniform(0.1, 10, k) * v_unit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateResultWarning)
        try:
            res = pool(y, v, method=method, ci=ci)
        except ValueError as exc:
            assert "span too wide a range" in str(exc)
            return
    for name in ("estimate", "se", "ci_low", "ci_high"):
        assert math.isfinite(getattr(res, name)), name
    assert res.ci_low <= res.estimate <= res.ci_high
    if k > 1:
        assert math.isfinite(res.tau2) and res.tau2 >= 0
        assert math.isfinite(res.i2) and math.isfinite(res.h2)
        # scale equivariance: the same data in units of the largest magnitude
        unit = max(y_unit, math.sqrt(v_unit))
        ref = pool(y / unit, v / unit**2, method=method, ci="z")
        assert res.tau2 == pytest.approx(ref.tau2 * unit**2, rel=1e-6, abs=1e-12 * unit**2)


def test_pool_result_status_explains_missing_values():
    assert pool([0.1, 0.3, 0.2], [0.05, 0.04, 0.06]).status == "ok"
    assert pool([0.4], [0.09]).status.startswith("single study")
    assert pool([0.1, 0.3, 0.2], [0.05, 0.04, 0.06], method="FE").status.startswith("common-effect model")
    assert "multimodal" in pool(BIMODAL_Y, BIMODAL_V).status
    from jakmeta.stats import mantel_haenszel, peto

    assert peto([5, 3], [50, 40], [9, 7], [50, 41]).status.startswith("common-effect model")
    assert "single informative table" in mantel_haenszel([5], [50], [9], [50]).status


def test_modified_hksj_aliases():
    y, v = [0.1, 0.3, 0.2], [0.05, 0.04, 0.06]
    ref = pool(y, v, ci="hksj-adhoc")
    for alias in ("hksj-modified", "mhksj"):
        res = pool(y, v, ci=alias)
        assert res.ci == "hksj-adhoc" and res.ci_low == ref.ci_low
        assert pool_many(np.array([y]), np.array([v]), ci=alias).ci == "hksj-adhoc"


RE_METHODS = [m for m in METHODS if m != "FE"]


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
