"""Bayesian random-effects meta-analysis for few trials: the normal-normal hierarchical model.

Model (Röver 2020 [rover2020], the ``bayesmeta`` approach)::

    y_i | mu, tau ~ N(mu, v_i + tau²)          (i = 1..k, v_i known)
    mu  ~ flat (improper uniform) or N(m0, s0²)
    tau ~ half-normal(scale) | half-Cauchy(scale) | log-normal(meanlog, sdlog)

Given tau, the posterior of mu is normal (conjugacy): mu | tau, y ~ N(m(tau), s²(tau)) with
s⁻² = Σw_i + 1/s0², m = s²·(Σw_i·y_i + m0/s0²), w_i = 1/(v_i + tau²) (the prior terms vanish for
a flat prior). The marginal posterior of tau is p(tau | y) ∝ p(tau)·L(tau) with the marginal
(integrated over mu) likelihood

    L(tau) = Π w_i^{1/2} · (s0²·(Σw + 1/s0²))^{-1/2} · exp(−½[Σ w_i (y_i − m)² + (m0 − m)²/s0²]),

so the marginal posterior of mu is a continuous mixture of normals over tau. It is computed here
by numerical integration over tau (no MCMC): the integral runs over the prior's log-odds scale
z = log(u/(1 − u)), u = F_prior(tau), where p(tau)dtau = u(1 − u)dz and the integrand is
L(tau(z))·u(1 − u), on a midpoint grid over z ∈ [−740, 740] that zooms in on the region where the
integrand is not negligible (relative to its maximum, below e⁻⁴⁰) until that region is resolved
by at least 256 of 2048 cells. The log-odds scale resolves both tails of the prior, so data
that contradict the prior (posterior mass far in its tail) are integrated correctly too.
Quantiles of mu and of the predictive distribution of a new trial's effect,
theta_new | tau, y ~ N(m, s² + tau²), come from inverting the mixture CDF Σ_j p_j Φ((x − m_j)/s_j)
with Brent's method; quantiles of tau from the cumulative grid mass. bayesmeta itself
approximates the mixture by a discrete one with bounded divergence [rover2017direct]; the fine
grid here is a simpler route to the same integrals.

Priors: a half-normal prior with scale 0.5 on tau for log odds ratios is the weakly informative
default recommended for few trials by Friede et al. [friede2017; friede2017biom] and Röver et
al. [rover2021] (it puts 95 % prior probability on tau < 0.98, i.e. at most "fairly high"
heterogeneity); the half-Cauchy prior is the heavier-tailed alternative discussed there. Results with k = 2..5 trials
depend visibly on the tau prior; report the prior with the result.

Checked in ``tests/stats/test_bayes.py`` against an independent brute-force 2-D quadrature over
(mu, tau) to 1e-3 and against the worked eight-schools example of the bayesmeta vignette
(Rubin 1981 data [rubin1981], half-Cauchy(25) prior on tau, N(0, 50²) prior on mu).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import optimize, special

from jakmeta.stats import _validate

TAU_PRIORS = ("half-normal", "half-cauchy", "log-normal")

#: zoom grid: cells per pass, minimum cells covering the support, and the relative cut-off (log).
_GRID_CELLS = 2048
_MIN_SUPPORT_CELLS = 256
_LOG_CUTOFF = -40.0
_MAX_ZOOM = 12
_TAU_CAP = 1e150


@dataclass(frozen=True, eq=False)
class BayesResult:
    """Posterior summary of the normal-normal hierarchical model (see :func:`pool_bayes`).

    All values are on the analysis scale (e.g. log OR) [rover2020].

    Attributes
    ----------
    k : int
        Number of studies.
    level : float
        Probability of the credible and predictive intervals.
    estimate : float
        Posterior median of mu.
    mean, sd : float
        Posterior mean and standard deviation of mu.
    ci_low, ci_high : float
        Equal-tailed credible interval of mu at ``level``.
    tau_median, tau_mean : float
        Median and mean of the marginal posterior of tau.
    tau_ci_low, tau_ci_high : float
        Its equal-tailed interval at ``level``.
    pi_low, pi_high : float
        Equal-tailed posterior predictive interval for the true effect
        theta_new = mu + N(0, tau²) of a new trial.
    tau_prior : str
        "half-normal", "half-cauchy" or "log-normal".
    tau_prior_parameters : tuple
        (scale,), or (meanlog, sdlog) for the log-normal prior.
    mu_prior : tuple or None
        ("normal", mean, sd), or None for the flat prior.
    prior : str
        Both priors in words.
    mu_grid, mu_density : numpy.ndarray
        Posterior density of mu on a grid, for plotting.
    tau_grid, tau_density : numpy.ndarray
        Posterior density of tau on a grid, for plotting.
    pred_grid, pred_density : numpy.ndarray
        Posterior predictive density of theta_new on a grid, for plotting.
    mixture_tau, mixture_weights, mixture_means, mixture_sds : numpy.ndarray
        The mixture over tau (grid nodes ``mixture_tau``) of normals that represents the
        posterior of mu; :meth:`prob_below` uses it.

    References
    ----------
    .. [rover2020] Röver (2020). Bayesian random-effects meta-analysis using the bayesmeta R
       package. Journal of Statistical Software 93:1–51.
    """

    k: int
    level: float
    estimate: float
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    tau_median: float
    tau_mean: float
    tau_ci_low: float
    tau_ci_high: float
    pi_low: float
    pi_high: float
    tau_prior: str
    tau_prior_parameters: tuple
    mu_prior: tuple | None
    prior: str
    mu_grid: np.ndarray
    mu_density: np.ndarray
    tau_grid: np.ndarray
    tau_density: np.ndarray
    pred_grid: np.ndarray
    pred_density: np.ndarray
    mixture_tau: np.ndarray
    mixture_weights: np.ndarray
    mixture_means: np.ndarray
    mixture_sds: np.ndarray

    def prob_below(self, x: float) -> float:
        """Posterior probability P(mu < x | y), e.g. ``prob_below(0.0)`` for a log OR below 0.

        Parameters
        ----------
        x : float
            The threshold, on the analysis scale.

        Returns
        -------
        float
            P(mu < x | y) from the posterior mixture.
        """
        return float(_mixture_cdf(float(x), self.mixture_weights, self.mixture_means, self.mixture_sds))

    def to_dict(self) -> dict:
        """Return the scalar summaries as a plain dict.

        Returns
        -------
        dict
            Field name to value, grids and mixture left out.
        """
        skip = {"mu_grid", "mu_density", "tau_grid", "tau_density", "pred_grid", "pred_density",
                "mixture_tau", "mixture_weights", "mixture_means", "mixture_sds"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


# --------------------------------------------------------------------------------------------
# priors


def _positive_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    out = float(value)
    if not (np.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return out


def _finite_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return out


@dataclass(frozen=True)
class _TauPrior:
    """A prior for tau with its quantile function (u ∈ (0,1) → tau) and density."""

    name: str
    a: float  # scale (half-normal, half-Cauchy) or meanlog (log-normal)
    b: float  # unused, or sdlog (log-normal)

    def ppf(self, z: np.ndarray) -> np.ndarray:
        """Return tau at prior log-odds z = log(u/(1 − u)), u = F_prior(tau).

        Accurate in both tails: the lower-tail formula in u for u ≤ ½, the upper-tail one in
        1 − u above.
        """
        z = np.asarray(z, dtype=float)
        u, r = special.expit(z), special.expit(-z)
        low = z <= 0
        with np.errstate(divide="ignore", over="ignore"):
            if self.name == "half-normal":
                tau = self.a * np.sqrt(2) * np.where(low, special.erfinv(u), special.erfcinv(r))
            elif self.name == "half-cauchy":
                tau = self.a * np.where(low, np.tan(np.pi * u / 2), 1 / np.tan(np.pi * r / 2))
            else:
                tau = np.exp(self.a + self.b * np.where(low, special.ndtri(u), -special.ndtri(r)))
        # beyond 1e150 (prior tail probability far below 1e-100 for any sensible prior) tau² would
        # overflow; the likelihood there is flat or vanishing, so the cap changes nothing
        return np.minimum(tau, _TAU_CAP)

    def pdf(self, tau: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name == "half-normal":
                return np.where(tau >= 0, np.sqrt(2 / np.pi) / self.a * np.exp(-0.5 * (tau / self.a) ** 2), 0.0)
            if self.name == "half-cauchy":
                return np.where(tau >= 0, 2 / (np.pi * self.a * (1 + (tau / self.a) ** 2)), 0.0)
            z = (np.log(tau) - self.a) / self.b
            return np.where(tau > 0, np.exp(-0.5 * z * z) / (tau * self.b * np.sqrt(2 * np.pi)), 0.0)

    def describe(self) -> str:
        if self.name == "log-normal":
            return f"log-normal(meanlog={self.a:g}, sdlog={self.b:g}) on tau"
        return f"{self.name}(scale={self.a:g}) on tau"


def _tau_prior(tau_prior: object, tau_scale: object) -> _TauPrior:
    if isinstance(tau_prior, tuple):
        if len(tau_prior) == 0 or not isinstance(tau_prior[0], str):
            raise ValueError(f"tau_prior tuple must start with a prior name; got {tau_prior!r}")
        name = _validate.choice("tau_prior", tau_prior[0].lower(), TAU_PRIORS)
        params = tau_prior[1:]
        if name == "log-normal":
            if len(params) != 2:
                raise ValueError(
                    f"tau_prior=('log-normal', meanlog, sdlog) needs two numbers (of log tau); got {tau_prior!r}"
                )
            return _TauPrior(name, _finite_number("meanlog", params[0]), _positive_number("sdlog", params[1]))
        if len(params) != 1:
            raise ValueError(f"tau_prior=({name!r}, scale) needs one number; got {tau_prior!r}")
        return _TauPrior(name, _positive_number("tau_prior scale", params[0]), 0.0)
    if not isinstance(tau_prior, str):
        raise ValueError(f"tau_prior must be one of {TAU_PRIORS} or a tuple such as ('half-normal', 0.5); got {tau_prior!r}")
    name = _validate.choice("tau_prior", tau_prior.lower(), TAU_PRIORS)
    if name == "log-normal":
        raise ValueError("tau_prior='log-normal' needs its parameters: pass tau_prior=('log-normal', meanlog, sdlog)")
    return _TauPrior(name, _positive_number("tau_scale", tau_scale), 0.0)


def _mu_prior(mu_prior: object) -> tuple[float, float] | None:
    if mu_prior is None:
        return None
    if (
        not isinstance(mu_prior, (tuple, list))
        or len(mu_prior) != 3
        or not isinstance(mu_prior[0], str)
        or mu_prior[0].lower() != "normal"
    ):
        raise ValueError(f"mu_prior must be None (flat) or ('normal', mean, sd); got {mu_prior!r}")
    return _finite_number("mu_prior mean", mu_prior[1]), _positive_number("mu_prior sd", mu_prior[2])


# --------------------------------------------------------------------------------------------
# the integrals


def _conditional(y: np.ndarray, v: np.ndarray, tau: np.ndarray, mu0: tuple[float, float] | None):
    """For each tau: log L(tau) (up to a constant), and the mean and sd of mu | tau, y."""
    w = 1.0 / (v[None, :] + (tau * tau)[:, None])
    sw = w.sum(axis=1)
    swy = w @ y
    if mu0 is None:
        prec = sw
        mean = swy / prec
        rss = np.einsum("ij,ij->i", w, (y[None, :] - mean[:, None]) ** 2)
        loglik = 0.5 * np.log(w).sum(axis=1) - 0.5 * np.log(prec) - 0.5 * rss
    else:
        m0, s0 = mu0
        p0 = 1.0 / (s0 * s0)
        prec = sw + p0
        mean = (swy + p0 * m0) / prec
        rss = np.einsum("ij,ij->i", w, (y[None, :] - mean[:, None]) ** 2) + p0 * (m0 - mean) ** 2
        loglik = 0.5 * np.log(w).sum(axis=1) - 0.5 * np.log(prec * s0 * s0) - 0.5 * rss
    return loglik, mean, 1.0 / np.sqrt(prec)


def _tau_grid(y, v, prior: _TauPrior, mu0) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Midpoint grid in the prior log-odds z = logit F_prior(tau) over the posterior's support.

    Returns (z, log density in z up to a constant, a, b) with [a, b] the grid range.

    In z the posterior density is L(tau(z))·u(1 − u), u = expit(z); starting from z ∈ [−740, 740]
    (u from 1e-321 to 1 − 1e-321, so that even data that contradict the prior are covered), the
    grid zooms in on the cells within e⁻⁴⁰ of the maximum until they number at least 256.
    """
    a, b = -740.0, 740.0
    for _ in range(_MAX_ZOOM):
        h = (b - a) / _GRID_CELLS
        z = a + h * (np.arange(_GRID_CELLS) + 0.5)
        loglik, _, _ = _conditional(y, v, prior.ppf(z), mu0)
        logdens = loglik - np.logaddexp(0.0, -z) - np.logaddexp(0.0, z)  # + log u + log(1 − u)
        logdens[np.isnan(logdens)] = -np.inf
        if not np.isfinite(logdens.max()):
            raise ValueError(
                "the posterior could not be evaluated (overflow): yi or vi span too many orders of "
                "magnitude; rescale the effect sizes (e.g. to log odds ratios) before pooling"
            )
        keep = np.flatnonzero(logdens - logdens.max() > _LOG_CUTOFF)
        lo, hi = int(keep[0]), int(keep[-1])
        if hi - lo + 1 >= _MIN_SUPPORT_CELLS:
            return z, logdens, a, b
        a, b = a + h * (lo - 1), a + h * (hi + 2)
    return z, logdens, a, b


def _mixture_cdf(x: float, p: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    return float(p @ special.ndtr((x - m) / s))


def _mixture_quantile(q: float, p: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    lo = float(np.min(m - 40 * s))
    hi = float(np.max(m + 40 * s))
    return float(optimize.brentq(lambda x: _mixture_cdf(x, p, m, s) - q, lo, hi, xtol=1e-12 * max(1.0, abs(hi - lo)), rtol=1e-12))


def _merge_neighbours(p: np.ndarray, m: np.ndarray, s: np.ndarray, group: int = 8):
    """Merge each run of ``group`` neighbouring grid components into one normal.

    The merged normal has the same weight, mean and variance (for the plotting densities only:
    neighbours are nearly equal).
    """
    n = p.size // group * group
    pg = p[:n].reshape(-1, group)
    w = pg.sum(axis=1)
    safe = np.where(w > 0, w, 1.0)
    mean = (pg * m[:n].reshape(-1, group)).sum(axis=1) / safe
    second = (pg * (s[:n] ** 2 + m[:n] ** 2).reshape(-1, group)).sum(axis=1) / safe
    sd = np.sqrt(np.maximum(second - mean**2, (s[:n].reshape(-1, group).min(axis=1)) ** 2))
    keep = w > 0
    return w[keep], mean[keep], sd[keep]


def _mixture_pdf(x: np.ndarray, p: np.ndarray, m: np.ndarray, s: np.ndarray) -> np.ndarray:
    z = (x[:, None] - m[None, :]) / s[None, :]
    return (np.exp(-0.5 * z * z) / (s[None, :] * np.sqrt(2 * np.pi))) @ p


def pool_bayes(
    yi,
    vi,
    tau_prior: str | tuple = "half-normal",
    tau_scale: float = 0.5,
    level: float = 0.95,
    mu_prior: tuple | None = None,
    grid_points: int = 201,
) -> BayesResult:
    """Bayesian random-effects meta-analysis by numerical integration over tau [rover2020].

    Normal-normal hierarchical model y_i ~ N(mu, v_i + tau²) with a flat prior on mu (or
    ``mu_prior=("normal", mean, sd)``) and a prior on tau: ``tau_prior="half-normal"`` (default,
    scale ``tau_scale`` = 0.5, the weakly informative choice for log odds ratios of
    [friede2017; rover2021]), ``"half-cauchy"`` (scale ``tau_scale``), or
    ``("log-normal", meanlog, sdlog)`` for tau (then ``tau_scale`` is ignored); a tuple
    ``("half-normal", 1.0)`` also sets the scale. The posterior of mu is the mixture over tau of
    the conditional normals N(m(tau), s²(tau)); see the module docstring for the integrals.

    Works for any k ≥ 1 (with k = 1 the posterior of tau is its prior). Deterministic (no random
    numbers); a few milliseconds for k ≤ 10.

    Parameters
    ----------
    yi : array_like
        Effect sizes of the k ≥ 1 studies, on the analysis scale (e.g. log OR).
    vi : array_like
        Their sampling variances (> 0).
    tau_prior : {"half-normal", "half-cauchy"} or tuple
        The prior on tau: a name (scale ``tau_scale``), or a tuple ``("half-normal", scale)``,
        ``("half-cauchy", scale)`` or ``("log-normal", meanlog, sdlog)``.
    tau_scale : float
        Scale of a named half-normal or half-Cauchy prior (default 0.5 [friede2017; rover2021]).
    level : float
        Probability of the credible and predictive intervals (default 0.95).
    mu_prior : tuple, optional
        ``("normal", mean, sd)``; None (default) for a flat prior on mu.
    grid_points : int
        Points of the plotting grids of the densities (≥ 11, default 201).

    Returns
    -------
    BayesResult
        ``estimate`` = posterior median of mu, ``ci_low``/``ci_high`` = equal-tailed credible
        interval at ``level``, ``tau_median`` and ``tau_ci_low``/``tau_ci_high``,
        ``pi_low``/``pi_high`` = posterior predictive interval for a new trial's true effect, and
        densities on ``grid_points``-point grids for plotting.

    Raises
    ------
    ValueError
        For bad input (as :func:`jakmeta.stats.pool`), bad priors or ``grid_points``, or data
        whose posterior overflows.

    References
    ----------
    .. [rover2020] Röver (2020). Bayesian random-effects meta-analysis using the bayesmeta R
       package. Journal of Statistical Software 93:1–51.
    .. [friede2017] Friede et al. (2017). Meta-analysis of few small studies in orphan diseases.
       Research Synthesis Methods 8:79–91.
    .. [rover2021] Röver et al. (2021). On weakly informative prior distributions for the
       heterogeneity parameter in Bayesian random-effects meta-analysis. Research Synthesis
       Methods 12:448–474.
    """
    y, v = _validate.yi_vi(yi, vi)
    level = _validate.level(level)
    prior = _tau_prior(tau_prior, tau_scale)
    mu0 = _mu_prior(mu_prior)
    if isinstance(grid_points, bool) or not isinstance(grid_points, (int, np.integer)) or grid_points < 11:
        raise ValueError(f"grid_points must be an integer >= 11; got {grid_points!r}")
    centre = float(np.median(y))
    yc = y - centre
    mu0c = None if mu0 is None else (mu0[0] - centre, mu0[1])

    z, logdens, a, b = _tau_grid(yc, v, prior, mu0c)
    tau_nodes = prior.ppf(z)
    dens = np.exp(logdens - logdens.max())
    p = dens / dens.sum()
    _, m, s = _conditional(yc, v, tau_nodes, mu0c)

    alpha = 1 - level
    q_lo, q_hi = alpha / 2, 1 - alpha / 2
    median = _mixture_quantile(0.5, p, m, s)
    ci_low = _mixture_quantile(q_lo, p, m, s)
    ci_high = _mixture_quantile(q_hi, p, m, s)
    mean = float(p @ m)
    sd = float(np.sqrt(p @ (s * s + (m - mean) ** 2)))
    s_pred = np.sqrt(s * s + tau_nodes * tau_nodes)
    pi_low = _mixture_quantile(q_lo, p, m, s_pred)
    pi_high = _mixture_quantile(q_hi, p, m, s_pred)

    # tau: the cumulative mass in z is piecewise linear between cell edges
    edges = a + (b - a) * np.arange(_GRID_CELLS + 1) / _GRID_CELLS
    cum = np.concatenate([[0.0], np.cumsum(p)])

    def tau_quantile(q: float) -> float:
        return float(prior.ppf(np.array([np.interp(q, cum, edges)]))[0])

    tau_median = tau_quantile(0.5)
    tau_lo, tau_hi = tau_quantile(q_lo), tau_quantile(q_hi)
    tau_mean = float(p @ tau_nodes)

    # densities for plotting
    n = int(grid_points)
    mu_mix, pred_mix = _merge_neighbours(p, m, s), _merge_neighbours(p, m, s_pred)
    mu_grid = np.linspace(_mixture_quantile(0.0005, *mu_mix), _mixture_quantile(0.9995, *mu_mix), n)
    mu_density = _mixture_pdf(mu_grid, *mu_mix)
    pred_grid = np.linspace(_mixture_quantile(0.0005, *pred_mix), _mixture_quantile(0.9995, *pred_mix), n)
    pred_density = _mixture_pdf(pred_grid, *pred_mix)
    tau_grid = np.linspace(0.0, tau_quantile(0.999), n)
    if prior.name == "log-normal":
        tau_grid[0] = min(tau_quantile(1e-6), tau_grid[1] / 2)
    ll_grid, _, _ = _conditional(yc, v, tau_grid, mu0c)
    # p(tau | y) = L(tau) p(tau) / ∫ L dF_prior, with ∫ L dF_prior = ∫ L u (1 − u) dz
    # = (b − a)·mean over the cells of the density in z (outside the grid it is negligible)
    log_norm = logdens.max() + np.log((b - a) * dens.mean())
    with np.errstate(divide="ignore"):
        tau_density = np.exp(ll_grid - log_norm + np.log(prior.pdf(tau_grid)))

    mu_text = "flat (improper uniform) prior on mu" if mu0 is None else f"normal(mean={mu0[0]:g}, sd={mu0[1]:g}) prior on mu"
    arrays = {
        "mu_grid": mu_grid + centre,
        "mu_density": mu_density,
        "tau_grid": tau_grid,
        "tau_density": tau_density,
        "pred_grid": pred_grid + centre,
        "pred_density": pred_density,
        "mixture_tau": tau_nodes,
        "mixture_weights": p,
        "mixture_means": m + centre,
        "mixture_sds": s,
    }
    for arr in arrays.values():
        arr.setflags(write=False)
    return BayesResult(
        k=int(y.size),
        level=level,
        estimate=median + centre,
        mean=mean + centre,
        sd=sd,
        ci_low=ci_low + centre,
        ci_high=ci_high + centre,
        tau_median=tau_median,
        tau_mean=tau_mean,
        tau_ci_low=tau_lo,
        tau_ci_high=tau_hi,
        pi_low=pi_low + centre,
        pi_high=pi_high + centre,
        tau_prior=prior.name,
        tau_prior_parameters=(prior.a, prior.b) if prior.name == "log-normal" else (prior.a,),
        mu_prior=None if mu0 is None else ("normal", mu0[0], mu0[1]),
        prior=f"{prior.describe()}; {mu_text}",
        **arrays,
    )


__all__ = ["TAU_PRIORS", "BayesResult", "pool_bayes"]
