"""jakmeta.stats.bayes.pool_bayes against an independent brute-force quadrature and a published example."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from jakmeta.stats.bayes import pool_bayes

# Crins et al. 2014 (paediatric liver transplantation, acute rejection), log odds ratios and
# variances as printed in the bayesmeta vignette (metafor escalc, measure="OR").
CRINS_Y = [-2.3097, -0.4595, -2.3026, -1.7579, -1.2585, -2.4179]
CRINS_V = [0.3594, 0.3096, 0.7750, 0.2078, 0.4122, 2.3373]


def _prior_pdf(name: str, params: tuple, tau: np.ndarray) -> np.ndarray:
    if name == "half-normal":
        return stats.halfnorm.pdf(tau, scale=params[0])
    if name == "half-cauchy":
        return stats.halfcauchy.pdf(tau, scale=params[0])
    return stats.lognorm.pdf(tau, s=params[1], scale=np.exp(params[0]))


def brute_force(y, v, prior, params, mu_prior=None, n_mu=2001, n_tau=2001, tau_max=None, tau_min=1e-7):
    """Joint posterior of (mu, log tau) on a tensor grid, trapezoid rule in both directions.

    Nothing analytic is used: the likelihood is the product of the k normal densities
    N(y_i; mu, v_i + tau²) evaluated at every grid point.
    """
    y, v = np.asarray(y, float), np.asarray(v, float)
    # mu = c + a·sinh(t) on a uniform t grid: fine steps near the data, coarse far out in the tails
    spread = np.sqrt(v.max()) + (tau_max or 3.0)
    centre, a = float(np.median(y)), 0.25 * float(np.sqrt(v.min()))
    t_max = np.arcsinh((np.ptp(y) + 12 * spread) / a)
    t = np.linspace(-t_max, t_max, n_mu)
    mu = centre + a * np.sinh(t)
    log_tau = np.linspace(np.log(tau_min), np.log(tau_max or 50.0), n_tau)
    tau = np.exp(log_tau)
    ll = np.zeros((n_tau, n_mu))
    for yi, vi in zip(y, v, strict=True):
        var = vi + tau[:, None] ** 2
        ll += -0.5 * np.log(var) - 0.5 * (yi - mu[None, :]) ** 2 / var
    with np.errstate(divide="ignore"):  # the prior density underflows to 0 far in its tail
        ll += np.log(_prior_pdf(prior, params, tau) * tau)[:, None]  # Jacobian of tau = exp(log_tau)
    if mu_prior is not None:
        ll += stats.norm.logpdf(mu, mu_prior[1], mu_prior[2])[None, :]
    dens = np.exp(ll - ll.max()) * (a * np.cosh(t))[None, :]  # density in (t, log tau)
    mu_marg = np.trapezoid(dens, log_tau, axis=0)
    tau_marg = np.trapezoid(dens, t, axis=1)

    def quantiles(x, d, qs):
        cum = np.concatenate([[0.0], np.cumsum((d[1:] + d[:-1]) / 2 * np.diff(x))])
        cum /= cum[-1]
        return [float(np.interp(q, cum, x)) for q in qs]

    mu_q = np.interp(quantiles(t, mu_marg, (0.025, 0.5, 0.975)), t, mu)
    lt_q = quantiles(log_tau, tau_marg, (0.025, 0.5, 0.975))
    weights = dens / dens.sum()
    return {
        "ci_low": float(mu_q[0]), "estimate": float(mu_q[1]), "ci_high": float(mu_q[2]),
        "tau_ci_low": float(np.exp(lt_q[0])), "tau_median": float(np.exp(lt_q[1])),
        "tau_ci_high": float(np.exp(lt_q[2])),
        "mean": float(np.sum(weights * mu[None, :])),
        "tau_mean": float(np.sum(weights * tau[:, None])),
        "_grid": (mu, tau, weights),
    }


CASES = [
    ("crins k=6 half-normal(0.5)", CRINS_Y, CRINS_V, "half-normal", 0.5, None),
    ("k=2 half-normal(0.5)", [0.9, 1.6], [0.12, 0.3], "half-normal", 0.5, None),
    ("k=3 half-cauchy(0.5)", [0.2, 1.1, 0.6], [0.05, 0.2, 0.1], "half-cauchy", 0.5, None),
    ("k=4 half-normal(1), normal mu prior", [1.2, 0.4, 2.0, 0.9], [0.3, 0.2, 0.5, 0.25], "half-normal", 1.0,
     ("normal", 0.0, 2.0)),
    ("k=5 homogeneous, precise", [0.50, 0.52, 0.49, 0.51, 0.50], [0.002, 0.003, 0.002, 0.004, 0.003],
     "half-normal", 0.5, None),
]


@pytest.mark.parametrize("name,y,v,prior,scale,mu_prior", CASES, ids=[c[0] for c in CASES])
def test_pool_bayes_agrees_with_brute_force_quadrature(name, y, v, prior, scale, mu_prior):
    res = pool_bayes(y, v, tau_prior=prior, tau_scale=scale, mu_prior=mu_prior)
    ref = brute_force(y, v, prior, (scale,), mu_prior, tau_max=60 * scale if prior == "half-cauchy" else 8 * scale)
    for field in ("estimate", "ci_low", "ci_high", "mean", "tau_median", "tau_ci_high", "tau_mean"):
        assert getattr(res, field) == pytest.approx(ref[field], abs=1e-3), field
    assert res.tau_ci_low == pytest.approx(ref["tau_ci_low"], abs=1e-3)


def test_log_normal_prior_agrees_with_brute_force():
    res = pool_bayes([0.3, 0.9, 0.5], [0.1, 0.2, 0.15], tau_prior=("log-normal", np.log(0.2), 1.0))
    ref = brute_force([0.3, 0.9, 0.5], [0.1, 0.2, 0.15], "log-normal", (np.log(0.2), 1.0), tau_max=20.0)
    for field in ("estimate", "ci_low", "ci_high", "tau_median", "tau_ci_low", "tau_ci_high"):
        assert getattr(res, field) == pytest.approx(ref[field], abs=1e-3), field


def test_data_that_contradict_the_prior_are_integrated_in_its_far_tail():
    """Two precise trials 80 apart under a half-normal(0.5) prior on tau: the posterior of tau
    lies where the prior's upper tail probability is below 1e-16 (out of reach of a grid on the
    prior's probability scale u, which double precision cannot resolve near u = 1)."""
    y, v = [-40.0, 40.0], [0.01, 0.01]
    res = pool_bayes(y, v, tau_prior="half-normal", tau_scale=0.5)
    ref = brute_force(y, v, "half-normal", (0.5,), tau_max=30.0, tau_min=1.0, n_mu=3001)
    assert stats.halfnorm.sf(res.tau_median, scale=0.5) < 1e-16
    for field in ("estimate", "ci_low", "ci_high", "tau_median", "tau_ci_low", "tau_ci_high"):
        assert getattr(res, field) == pytest.approx(ref[field], abs=1e-3), field


def test_prediction_interval_agrees_with_brute_force():
    res = pool_bayes(CRINS_Y, CRINS_V)
    mu, tau, weights = brute_force(CRINS_Y, CRINS_V, "half-normal", (0.5,), n_mu=801, n_tau=801, tau_max=4.0)["_grid"]

    def cdf(x: float) -> float:  # P(theta_new < x) = E[Φ((x − mu)/tau)] over the joint posterior
        return float(np.sum(weights * special.ndtr((x - mu[None, :]) / tau[:, None])))

    from scipy.optimize import brentq

    lo = brentq(lambda x: cdf(x) - 0.025, -10, 10, xtol=1e-6)
    hi = brentq(lambda x: cdf(x) - 0.975, -10, 10, xtol=1e-6)
    assert res.pi_low == pytest.approx(lo, abs=1e-3)
    assert res.pi_high == pytest.approx(hi, abs=1e-3)


def test_eight_schools_example_of_the_bayesmeta_vignette():
    """Rubin (1981) eight schools, half-Cauchy(25) prior on tau and N(0, 50²) on mu: the marginal
    posterior summary printed by ``print(schools.example.1)`` in the bayesmeta vignette
    (cran/bayesmeta, inst/doc/bayesmeta.html, commit 10a27a7f): tau median 4.758539, mean 5.884511,
    sd 4.869904; mu median 7.962961, mean 7.985729, sd 4.995762. bayesmeta approximates the mu
    mixture with a bounded-divergence discrete mixture (delta = 0.01), so mu agrees to ~5e-4 (1e-4
    posterior sd); tau, integrated directly by both, to 1e-5."""
    y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
    se = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6])
    res = pool_bayes(y, se**2, tau_prior="half-cauchy", tau_scale=25, mu_prior=("normal", 0, 50))
    assert res.tau_median == pytest.approx(4.758539, abs=1e-4)
    assert res.tau_mean == pytest.approx(5.884511, abs=1e-4)
    assert res.estimate == pytest.approx(7.962961, abs=1e-3)
    assert res.mean == pytest.approx(7.985729, abs=1e-3)
    assert res.sd == pytest.approx(4.995762, abs=1e-3)


def test_k1_posterior_of_tau_is_its_prior():
    res = pool_bayes([0.4], [0.1], tau_prior="half-normal", tau_scale=0.5)
    assert res.tau_median == pytest.approx(stats.halfnorm.ppf(0.5, scale=0.5), abs=1e-4)
    assert res.tau_ci_high == pytest.approx(stats.halfnorm.ppf(0.975, scale=0.5), abs=1e-4)
    assert res.estimate == pytest.approx(0.4, abs=1e-9)


def test_densities_integrate_to_one_and_probabilities():
    res = pool_bayes(CRINS_Y, CRINS_V)
    assert np.trapezoid(res.mu_density, res.mu_grid) == pytest.approx(1.0, abs=2e-3)
    assert np.trapezoid(res.tau_density, res.tau_grid) == pytest.approx(1.0, abs=5e-3)
    assert np.trapezoid(res.pred_density, res.pred_grid) == pytest.approx(1.0, abs=2e-3)
    assert res.prob_below(res.estimate) == pytest.approx(0.5, abs=1e-9)
    assert res.prob_below(res.ci_low) == pytest.approx(0.025, abs=1e-9)
    assert "half-normal(scale=0.5)" in res.prior and "flat" in res.prior


def test_deterministic():
    """The same data give the same result, to the last bit (its speed is measured in ``make bench``,
    benchmarks/bench_pooling.py, not asserted here)."""
    res = pool_bayes(CRINS_Y[:4], CRINS_V[:4])
    again = pool_bayes(CRINS_Y[:4], CRINS_V[:4])
    assert res.to_dict() == again.to_dict()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"tau_prior": "uniform"}, "tau_prior"),
        ({"tau_scale": 0}, "tau_scale"),
        ({"tau_scale": True}, "tau_scale"),
        ({"tau_scale": "0.5"}, "tau_scale"),
        ({"tau_prior": "log-normal"}, "meanlog"),
        ({"tau_prior": ("log-normal", 0.0)}, "meanlog"),
        ({"mu_prior": ("normal", 0, -1)}, "mu_prior sd"),
        ({"mu_prior": ("cauchy", 0, 1)}, "mu_prior"),
        ({"level": 95}, "level"),
        ({"grid_points": 3}, "grid_points"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool_bayes(CRINS_Y, CRINS_V, **kwargs)


def test_bad_data_raise_value_error():
    with pytest.raises(ValueError, match="vi"):
        pool_bayes([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(ValueError, match="yi"):
        pool_bayes([], [])
    with pytest.raises(ValueError, match="yi"):
        pool_bayes(["1", "2"], [0.1, 0.1])


@settings(max_examples=40, deadline=None)
@given(
    data=st.integers(min_value=1, max_value=8).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-5, 5), min_size=k, max_size=k),
            st.lists(st.floats(1e-3, 4), min_size=k, max_size=k),
        )
    ),
    shift=st.floats(-50, 50),
)
def test_intervals_are_ordered_and_shift_equivariant(data, shift):
    y, v = data
    res = pool_bayes(y, v)
    assert res.ci_low <= res.estimate <= res.ci_high
    assert res.pi_low <= res.ci_low and res.ci_high <= res.pi_high
    assert 0 <= res.tau_ci_low <= res.tau_median <= res.tau_ci_high
    moved = pool_bayes(np.asarray(y) + shift, v)
    assert moved.estimate - shift == pytest.approx(res.estimate, abs=1e-6)
    assert moved.tau_median == pytest.approx(res.tau_median, abs=1e-9)
