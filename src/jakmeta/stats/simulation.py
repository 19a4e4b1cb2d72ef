"""Monte Carlo coverage of confidence intervals for the pooled effect.

Data are generated from the random-effects model (:cite:`higgins2009`):
``theta_i ~ N(mu, tau2)``, ``y_i ~ N(theta_i, v_i)``, with within-trial variances ``v_i`` drawn from
the range observed in the book's own analyses. Each simulated meta-analysis is pooled with
:func:`jakmeta.stats.pool_many` under each interval method, and the coverage is the share of the
intervals that contain ``mu``. With a fixed seed the result is reproducible to the last digit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jakmeta.stats import pool_many


def simulate_meta_analyses(k: int, tau2: float, n_sims: int, *, mu: float = 0.0,
                           vi_range: tuple[float, float] = (0.05, 0.5),
                           seed: int = 20231) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n_sims`` meta-analyses of ``k`` trials each from the random-effects model.

    Within-trial variances are uniform on ``vi_range``; true effects are N(mu, tau2)
    [higgins2009]; y_i ~ N(theta_i, v_i).

    Parameters
    ----------
    k : int
        Trials per meta-analysis (≥ 1).
    tau2 : float
        Between-trial variance (≥ 0).
    n_sims : int
        Number of meta-analyses (≥ 1).
    mu : float
        The true pooled effect (default 0).
    vi_range : tuple of float
        Range of the uniform within-trial variances (default (0.05, 0.5)).
    seed : int
        Seed of numpy's default generator (default 20231).

    Returns
    -------
    yi, vi : numpy.ndarray
        Effect sizes and sampling variances, each of shape (n_sims, k).

    Raises
    ------
    ValueError
        When k or n_sims is below 1, or tau2 is negative.

    References
    ----------
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """
    if k < 1 or n_sims < 1:
        raise ValueError(f"k and n_sims must be >= 1, got k={k}, n_sims={n_sims}")
    if tau2 < 0:
        raise ValueError(f"tau2 must be >= 0, got {tau2}")
    rng = np.random.default_rng(seed)
    vi = rng.uniform(*vi_range, size=(n_sims, k))
    theta = mu + np.sqrt(tau2) * rng.standard_normal((n_sims, k))
    yi = theta + np.sqrt(vi) * rng.standard_normal((n_sims, k))
    return yi, vi


def coverage(k: int, tau2_values, *, n_sims: int = 2000, method: str = "REML",
             intervals=("z", "hksj", "hksj-adhoc"), level: float = 0.95, seed: int = 20231,
             vi_range: tuple[float, float] = (0.05, 0.5)) -> pd.DataFrame:
    """Coverage and mean width of the CI of the pooled effect, per tau² and interval method.

    For each tau², ``n_sims`` meta-analyses from :func:`simulate_meta_analyses` (seed
    ``seed + j`` for the j-th tau², true effect 0) are pooled with
    :func:`jakmeta.stats.pool_many` under each interval method; the coverage is the share of
    intervals that contain 0 [higgins2009; rover2015].

    Parameters
    ----------
    k : int
        Trials per meta-analysis.
    tau2_values : iterable of float
        The between-trial variances to simulate.
    n_sims : int
        Meta-analyses per tau² (default 2000).
    method : str
        The tau² estimator (default "REML").
    intervals : tuple of str
        The ``ci`` methods to compare (default "z", "hksj", "hksj-adhoc").
    level : float
        Confidence level (default 0.95).
    seed : int
        Base seed (default 20231).
    vi_range : tuple of float
        Range of the within-trial variances (default (0.05, 0.5)).

    Returns
    -------
    pandas.DataFrame
        One row per tau² and interval: ``tau2``, ``interval``, ``coverage``, ``mean_width`` and
        the Monte Carlo standard error of the coverage ``mc_se``.

    References
    ----------
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    .. [rover2015] Röver et al. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
       for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
    """
    rows = []
    for j, tau2 in enumerate(tau2_values):
        yi, vi = simulate_meta_analyses(k, float(tau2), n_sims, vi_range=vi_range, seed=seed + j)
        for ci in intervals:
            out = pool_many(yi, vi, method=method, ci=ci, level=level)
            low, high = np.asarray(out.ci_low), np.asarray(out.ci_high)
            covered = (low <= 0.0) & (0.0 <= high)
            rows.append({"tau2": float(tau2), "interval": ci, "coverage": float(np.mean(covered)),
                         "mean_width": float(np.mean(high - low)),
                         "mc_se": float(np.sqrt(np.mean(covered) * (1 - np.mean(covered)) / n_sims))})
    return pd.DataFrame(rows)


def bayes_intervals(yi: np.ndarray, vi: np.ndarray, tau_scale: float = 0.5, level: float = 0.95,
                    n_grid: int = 120, iterations: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised posterior interval of mu for many meta-analyses at once (rows of ``yi``).

    The normal-normal model with a flat prior on mu and a half-normal(``tau_scale``) prior on
    tau: the same model as :func:`jakmeta.stats.bayes.pool_bayes` (:cite:`rover2021`),
    integrated over tau on ``n_grid`` equal-prior-probability points (midpoints of the prior's
    quantile scale), with the quantiles of the normal mixture found by bisection. An
    approximation for simulation only (tested against ``pool_bayes``); the book's estimates come
    from ``pool_bayes``.

    Parameters
    ----------
    yi, vi : numpy.ndarray
        Effect sizes and sampling variances, one meta-analysis per row (a 1-D array is one).
    tau_scale : float
        Scale of the half-normal prior on tau (default 0.5).
    level : float
        Probability of the equal-tailed credible interval (default 0.95).
    n_grid : int
        Points of the grid over tau (default 120).
    iterations : int
        Bisection steps for each quantile (default 32).

    Returns
    -------
    low, high : numpy.ndarray
        The interval limits, one per row.

    References
    ----------
    .. [rover2021] Röver et al. (2021). On weakly informative prior distributions for the
       heterogeneity parameter in Bayesian random-effects meta-analysis. Research Synthesis
       Methods 12:448–474.
    """
    from scipy import special, stats

    yi, vi = np.atleast_2d(yi), np.atleast_2d(vi)
    u = (np.arange(n_grid) + 0.5) / n_grid
    tau = tau_scale * stats.norm.ppf(0.5 + u / 2)  # half-normal quantiles
    w = 1.0 / (vi[:, None, :] + tau[None, :, None] ** 2)  # (sims, grid, k)
    sw = w.sum(axis=2)
    m = (w * yi[:, None, :]).sum(axis=2) / sw
    loglik = 0.5 * np.log(w).sum(axis=2) - 0.5 * np.log(sw) - 0.5 * (w * (yi[:, None, :] - m[:, :, None]) ** 2).sum(axis=2)
    p = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    s = 1.0 / np.sqrt(sw)

    def quantile(q: float) -> np.ndarray:
        lo = (m - 10 * s).min(axis=1)
        hi = (m + 10 * s).max(axis=1)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            cdf = (p * special.ndtr((mid[:, None] - m) / s)).sum(axis=1)
            below = cdf < q
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return (lo + hi) / 2

    alpha = (1 - level) / 2
    return quantile(alpha), quantile(1 - alpha)


def few_studies(ks=(2, 3, 4, 5, 7), tau2_values=(0.0, 0.3), *, n_sims: int = 1000, tau_scale: float = 0.5,
                level: float = 0.95, seed: int = 20231, vi_range: tuple[float, float] = (0.05, 0.5)) -> pd.DataFrame:
    """Coverage and median width of the interval of the pooled log OR for few trials.

    Compares common effect (Wald), REML random effects with the Wald, HKSJ and modified HKSJ
    intervals [rover2015], and the Bayesian model with a half-normal prior on tau
    (:func:`bayes_intervals` [rover2021]), on meta-analyses simulated with
    :func:`simulate_meta_analyses` (true effect 0) [higgins2009].

    Parameters
    ----------
    ks : tuple of int
        The numbers of trials to simulate (default 2, 3, 4, 5, 7).
    tau2_values : tuple of float
        The between-trial variances (default 0 and 0.3).
    n_sims : int
        Meta-analyses per (k, tau²) (default 1000).
    tau_scale : float
        Scale of the half-normal prior on tau (default 0.5).
    level : float
        Confidence level (default 0.95).
    seed : int
        Base seed (default 20231; ``seed + 100·i + j`` for the i-th k and j-th tau²).
    vi_range : tuple of float
        Range of the within-trial variances (default (0.05, 0.5)).

    Returns
    -------
    pandas.DataFrame
        One row per k, tau² and interval: ``k``, ``tau2``, ``interval`` (its name in words),
        ``coverage``, ``median_width``, ``width_ratio`` (exp(median width): the ratio of the
        upper to the lower limit on the OR scale) and ``mc_se`` (Monte Carlo standard error of
        the coverage).

    References
    ----------
    .. [rover2015] Röver et al. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
       for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
    .. [rover2021] Röver et al. (2021). On weakly informative prior distributions for the
       heterogeneity parameter in Bayesian random-effects meta-analysis. Research Synthesis
       Methods 12:448–474.
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """
    methods = {"Common effect (Wald)": ("FE", "z"), "REML, Wald": ("REML", "z"), "REML, HKSJ": ("REML", "hksj"),
               "REML, modified HKSJ": ("REML", "hksj-adhoc")}
    rows = []
    for i, k in enumerate(ks):
        for j, tau2 in enumerate(tau2_values):
            yi, vi = simulate_meta_analyses(k, float(tau2), n_sims, vi_range=vi_range, seed=seed + 100 * i + j)
            intervals = {}
            for name, (method, ci) in methods.items():
                out = pool_many(yi, vi, method=method, ci=ci, level=level)
                intervals[name] = (np.asarray(out.ci_low), np.asarray(out.ci_high))
            intervals[f"Bayesian, half-normal({tau_scale:g}) prior on τ"] = bayes_intervals(yi, vi, tau_scale, level)
            for name, (low, high) in intervals.items():
                covered = (low <= 0.0) & (0.0 <= high)
                width = np.median(high - low)
                rows.append({"k": k, "tau2": float(tau2), "interval": name, "coverage": float(covered.mean()),
                             "median_width": float(width), "width_ratio": float(np.exp(width)),
                             "mc_se": float(np.sqrt(covered.mean() * (1 - covered.mean()) / n_sims))})
    return pd.DataFrame(rows)


__all__ = ["bayes_intervals", "coverage", "few_studies", "simulate_meta_analyses"]
