"""Small-study effects: Egger's regression test and the variants of metafor's ``regtest``.

Where each part comes from
--------------------------
- Classical Egger test [egger1997]: ordinary least squares of the standard normal deviate
  y_i/se_i on the precision 1/se_i with ``statsmodels.regression.linear_model.OLS``; the intercept
  measures asymmetry (t test, k − 2 df). This is algebraically the weighted regression
  y_i = b0 + b1·se_i (weights 1/v_i, multiplicative dispersion) that metafor's
  ``regtest(model="lm")`` fits, with b1 = Egger's intercept and b0 = the "limit" estimate
  (effect as se → 0).
- Other predictors of metafor's ``regtest`` with ``model="lm"`` (n, 1/n, 1/√n; the 1/n version
  is the idea of Peters et al. [peters2006]) use ``statsmodels`` WLS with weights 1/v_i.
- ``model="rma"`` (metafor's default): mixed-effects meta-regression y_i = b0 + b1·x_i + u_i + e_i
  with tau² estimated as in :func:`jakmeta.stats.pool` and a z test of b1 [viechtbauer2010];
  fitted with the package's own weighted least squares / Fisher-scoring code.
- ``k_caveat`` is True when k < 10: funnel-plot asymmetry tests have too little power to be
  meaningful with fewer than 10 studies [sterne2011; cochrane_handbook_ch10].
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import statsmodels.api as sm
from scipy import stats

from jakmeta.stats import _validate
from jakmeta.stats.engine import _check_range
from jakmeta.stats.tau2 import _mixed_effects_fit

MODELS = ("lm", "rma")
PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtninv")
RMA_METHODS = ("FE", "DL", "HE", "ML", "REML")
#: Sterne et al. (2011): tests for funnel-plot asymmetry need at least 10 studies.
MIN_K_FOR_ASYMMETRY_TESTS = 10


@dataclass(frozen=True)
class EggerResult:
    """Result of a regression test for funnel-plot asymmetry, from :func:`egger_test`.

    Attributes
    ----------
    model : str
        "lm" (weighted regression, the classical test [egger1997]) or "rma" (mixed-effects
        meta-regression, metafor's default ``regtest`` [viechtbauer2010]).
    predictor : str
        "sei", "vi", "ni", "ninv" or "sqrtninv".
    method : str or None
        The tau² estimator for ``model="rma"``; None for ``model="lm"``.
    k : int
        Number of studies.
    intercept : float
        The tested asymmetry coefficient: for ``predictor="sei"`` Egger's intercept (the
        intercept of the standard normal deviate regressed on precision, equal to the slope on
        se_i in the weighted regression of y_i on se_i); for the other predictors the slope on
        that predictor, as in metafor's ``regtest``.
    se : float
        Its standard error.
    statistic : float
        A t value for ``model="lm"``, a z value for ``model="rma"``.
    test : str
        "t" or "z".
    df : float
        k − 2 for the t test, NaN for the z test.
    pvalue : float
        Two-sided p-value of the test of no asymmetry.
    limit_estimate, limit_se, limit_ci_low, limit_ci_high : float
        The estimated effect at se → 0 (or n → ∞), its standard error and confidence interval.
    tau2 : float
        tau² of the meta-regression (``model="rma"``); NaN for ``model="lm"``.
    level : float
        Confidence level of the limit interval.
    k_caveat : bool
        True when k < 10: too few studies for a meaningful test [sterne2011].

    References
    ----------
    .. [egger1997] Egger et al. (1997). Bias in meta-analysis detected by a simple, graphical
       test. BMJ 315:629–634.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    .. [sterne2011] Sterne et al. (2011). Recommendations for examining and interpreting funnel
       plot asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.
    """

    model: str
    predictor: str
    method: str | None
    k: int
    intercept: float
    se: float
    statistic: float
    test: str
    df: float
    pvalue: float
    limit_estimate: float
    limit_se: float
    limit_ci_low: float
    limit_ci_high: float
    tau2: float
    level: float
    k_caveat: bool

    def to_dict(self) -> dict:
        """Return all fields as a plain dict.

        Returns
        -------
        dict
            Field name to value.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _predictor_values(predictor: str, vi: np.ndarray, ni) -> np.ndarray:
    if predictor == "sei":
        return np.sqrt(vi)
    if predictor == "vi":
        return vi
    if ni is None:
        raise ValueError(f"predictor {predictor!r} needs the total sample sizes ni (one per study)")
    n = _validate.as_vector("ni", ni)
    _validate.same_length(vi=vi, ni=n)
    _validate.finite("ni", n)
    _validate.positive("ni", n, what="sample sizes")
    if predictor == "ni":
        return n
    if predictor == "ninv":
        return 1 / n
    return 1 / np.sqrt(n)


def egger_test(
    yi,
    vi,
    *,
    model: str = "lm",
    predictor: str = "sei",
    ni=None,
    method: str = "REML",
    level: float = 0.95,
) -> EggerResult:
    """Egger's regression test: y_i/se_i = a + b·(1/se_i) + ε_i, H0: a = 0 [egger1997].

    ``model="lm"`` (default, the classical test): OLS of the standard normal deviate on precision
    via statsmodels, t test with k − 2 df; other ``predictor`` values ("vi", "ni", "ninv",
    "sqrtninv"; the last three need ``ni``) give metafor's weighted-regression variants.
    ``model="rma"``: metafor's default ``regtest``, a mixed-effects meta-regression on the
    predictor with tau² by ``method`` ("FE", "DL", "HE", "ML", "REML") and a z test
    [viechtbauer2010]. ``k_caveat`` is True when k < 10 [sterne2011].

    Parameters
    ----------
    yi : array_like
        Effect sizes of the k ≥ 3 studies.
    vi : array_like
        Their sampling variances (> 0).
    model : {"lm", "rma"}
        Weighted regression (default, the classical test) or mixed-effects meta-regression.
    predictor : {"sei", "vi", "ni", "ninv", "sqrtninv"}
        The predictor: standard error (default), variance, sample size, 1/n (the idea of Peters
        et al. [peters2006]) or 1/√n.
    ni : array_like, optional
        Total sample size of each study; needed for "ni", "ninv" and "sqrtninv".
    method : {"REML", "FE", "DL", "HE", "ML"}
        The tau² estimator for ``model="rma"`` (default "REML"); ignored for ``model="lm"``.
    level : float
        Confidence level of the limit interval (default 0.95).

    Returns
    -------
    EggerResult
        The asymmetry coefficient, its test, the limit estimate and ``k_caveat``.

    Raises
    ------
    ValueError
        For bad input, k < 3, a predictor that needs ``ni`` without it, a predictor that takes
        the same value in every study, or data out of the engine's range.

    References
    ----------
    .. [egger1997] Egger et al. (1997). Bias in meta-analysis detected by a simple, graphical
       test. BMJ 315:629–634.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    .. [peters2006] Peters et al. (2006). Comparison of two methods to detect publication bias in
       meta-analysis. JAMA 295:676–680.
    .. [sterne2011] Sterne et al. (2011). Recommendations for examining and interpreting funnel
       plot asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.
    """
    _validate.choice("model", model, MODELS)
    _validate.choice("predictor", predictor, PREDICTORS)
    level = _validate.level(level)
    y, v = _validate.yi_vi(yi, vi)
    k = y.size
    if k < 3:
        raise ValueError(f"a regression test needs k >= 3 studies (k − 2 >= 1 df); got k = {k}")
    _check_range(y, v)
    x = _predictor_values(predictor, v, ni)
    if np.ptp(x) <= 1e-12 * np.max(np.abs(x)):
        raise ValueError(
            f"the predictor {predictor!r} takes the same value in every study "
            f"({float(x[0]):.6g}): a regression test for small-study effects needs studies of "
            "different sizes (different standard errors)"
        )
    caveat = k < MIN_K_FOR_ASYMMETRY_TESTS
    if model == "lm":
        if predictor == "sei":
            sei = np.sqrt(v)
            fit = sm.OLS(y / sei, sm.add_constant(1 / sei)).fit()
            tested, limit = 0, 1
        else:
            fit = sm.WLS(y, sm.add_constant(x), weights=1 / v).fit()
            tested, limit = 1, 0
        ci = fit.conf_int(alpha=1 - level)
        return EggerResult(
            model=model,
            predictor=predictor,
            method=None,
            k=k,
            intercept=float(fit.params[tested]),
            se=float(fit.bse[tested]),
            statistic=float(fit.tvalues[tested]),
            test="t",
            df=float(fit.df_resid),
            pvalue=float(fit.pvalues[tested]),
            limit_estimate=float(fit.params[limit]),
            limit_se=float(fit.bse[limit]),
            limit_ci_low=float(ci[limit, 0]),
            limit_ci_high=float(ci[limit, 1]),
            tau2=float("nan"),
            level=level,
            k_caveat=caveat,
        )
    _validate.choice("method", method, RMA_METHODS)
    X = np.column_stack([np.ones(k), x])
    beta, vcov, tau2, _ = _mixed_effects_fit(y, v, X, method)
    se = np.sqrt(np.diag(vcov))
    z = float(beta[1] / se[1])
    crit = stats.norm.ppf(0.5 + level / 2)
    return EggerResult(
        model=model,
        predictor=predictor,
        method=method,
        k=k,
        intercept=float(beta[1]),
        se=float(se[1]),
        statistic=z,
        test="z",
        df=float("nan"),
        pvalue=float(2 * stats.norm.sf(abs(z))),
        limit_estimate=float(beta[0]),
        limit_se=float(se[0]),
        limit_ci_low=float(beta[0] - crit * se[0]),
        limit_ci_high=float(beta[0] + crit * se[0]),
        tau2=float(tau2),
        level=level,
        k_caveat=caveat,
    )


__all__ = ["MIN_K_FOR_ASYMMETRY_TESTS", "MODELS", "PREDICTORS", "RMA_METHODS", "EggerResult", "egger_test"]
