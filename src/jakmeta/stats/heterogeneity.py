"""Heterogeneity: the Q-profile confidence interval for tau² [viechtbauer2007].

With the intervals it implies for tau, I² and H² (with metafor's typical variance, as its
``confint``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from scipy import optimize, stats

from jakmeta.stats import _validate
from jakmeta.stats.engine import METHODS, pool
from jakmeta.stats.tau2 import _q_gen, _Rows


@dataclass(frozen=True)
class Tau2ConfInt:
    """Q-profile confidence interval for tau² and the derived intervals for tau, I² and H².

    Returned by :func:`tau2_confint` [viechtbauer2007].

    Attributes
    ----------
    method : str
        The tau² estimator of the point estimate.
    level : float
        Confidence level of the intervals.
    k : int
        Number of studies.
    tau2, tau2_ci_low, tau2_ci_high : float
        tau² (from :func:`jakmeta.stats.pool`) and its Q-profile interval.
    tau, tau_ci_low, tau_ci_high : float
        tau and the interval √(tau² bounds).
    i2, i2_ci_low, i2_ci_high : float
        I² in percent and the interval implied by the tau² bounds.
    h2, h2_ci_low, h2_ci_high : float
        H² and the interval implied by the tau² bounds.

    References
    ----------
    .. [viechtbauer2007] Viechtbauer (2007). Confidence intervals for the amount of heterogeneity
       in meta-analysis. Statistics in Medicine 26:37–52.
    """

    method: str
    level: float
    k: int
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    tau: float
    tau_ci_low: float
    tau_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    h2_ci_low: float
    h2_ci_high: float

    def to_dict(self) -> dict:
        """Return all fields as a plain dict.

        Returns
        -------
        dict
            Field name to value.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


def tau2_confint(yi, vi, method: str = "REML", level: float = 0.95) -> Tau2ConfInt:
    """Q-profile CI for tau²: {tau² : χ²_{k−1,α/2} ≤ Σ(y − mu_τ)²/(v + tau²) ≤ χ²_{k−1,1−α/2}} [viechtbauer2007].

    Bounds where the generalised Q crosses the chi-square quantiles (brentq, xtol 1e-12); a bound
    is 0 when Q at tau² = 0 is already below the quantile. I² and H² bounds follow from the tau²
    bounds with metafor's typical variance s² = (k−1)/tr(P): I² = 100·t/(s² + t), H² = 1 + t/s²
    (as metafor's ``confint``). The point estimate tau² comes from ``pool(yi, vi, method)``.

    Parameters
    ----------
    yi : array_like
        Effect sizes of the k ≥ 2 studies.
    vi : array_like
        Their sampling variances (> 0).
    method : {"REML", "DL", "ML", "PM", "SJ", "HE"}
        The random-effects estimator of the point estimate (default "REML"; "FE" is refused).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    Tau2ConfInt
        The point estimates and intervals for tau², tau, I² and H².

    Raises
    ------
    ValueError
        For bad input, ``method="FE"``, or k < 2.

    References
    ----------
    .. [viechtbauer2007] Viechtbauer (2007). Confidence intervals for the amount of heterogeneity
       in meta-analysis. Statistics in Medicine 26:37–52.
    """
    level = _validate.level(level)
    _validate.choice("method", method, METHODS)
    if method == "FE":
        raise ValueError("tau2_confint needs a random-effects method (DL, REML, ML, PM, SJ, HE), not 'FE'")
    y, v = _validate.yi_vi(yi, vi)
    k = y.size
    if k < 2:
        raise ValueError(f"tau2_confint needs k >= 2 studies; got k = {k}")
    fit = pool(y, v, method=method, ci="z", level=level)
    rows = _Rows.single(y - y.mean(), v)

    def q_minus(target: float) -> Callable[[float], float]:
        return lambda t: float(_q_gen(rows, np.array([t]))[0]) - target

    def bound(target: float) -> float:
        f = q_minus(target)
        if f(0.0) <= 0:
            return 0.0
        hi = max(1.0, 10 * fit.tau2)
        while f(hi) > 0:
            hi *= 2
        return float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps))

    alpha = 1 - level
    low = bound(stats.chi2.ppf(1 - alpha / 2, k - 1))
    high = bound(stats.chi2.ppf(alpha / 2, k - 1))
    w = 1 / v
    vt = (k - 1) / (w.sum() - (w * w).sum() / w.sum())

    def i2(t: float) -> float:
        return float(100 * t / (vt + t))

    def h2(t: float) -> float:
        return float(1 + t / vt)

    return Tau2ConfInt(
        method=method,
        level=level,
        k=k,
        tau2=fit.tau2,
        tau2_ci_low=low,
        tau2_ci_high=high,
        tau=fit.tau,
        tau_ci_low=float(np.sqrt(low)),
        tau_ci_high=float(np.sqrt(high)),
        i2=fit.i2,
        i2_ci_low=i2(low),
        i2_ci_high=i2(high),
        h2=fit.h2,
        h2_ci_low=h2(low),
        h2_ci_high=h2(high),
    )


__all__ = ["Tau2ConfInt", "tau2_confint"]
