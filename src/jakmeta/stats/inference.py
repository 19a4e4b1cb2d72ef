"""Inference given tau², vectorised over many meta-analyses.

The pooled estimate, its standard error and interval, heterogeneity statistics and the
prediction interval.

Sources: inverse-variance weighting [dersimonian1986; viechtbauer2010]; Knapp-Hartung / HKSJ
standard error with t(k−1) [hartung2001; knapp2003; sidik2002; intHout2014] and its ad hoc
modification max(1, ·) on the scale factor, the "modified HKSJ" of Röver et al. [rover2015];
Cochran's Q [cochran1954]; I² and H² [higgins2002], computed as metafor does (from tau² and the
typical variance s² = (k−1)/tr(P) for random-effects models); prediction intervals
[higgins2009]: mu ± crit·√(se² + tau²) with z for ``ci="z"``, t(k−1) with the HKSJ se otherwise
(metafor's ``predict``), or t(k−2) for ``pi="higgins"``.

Degenerate results are reported with :class:`DegenerateResultWarning` (zero-width HKSJ interval,
prediction interval undefined) or :class:`ConvergenceWarning` (an iteration that did not converge).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from jakmeta.stats.tau2 import _rdot, _Rows, _rsum, _se_tau2_rows


class DegenerateResultWarning(UserWarning):
    """A result is degenerate: a zero-width or undefined interval, or rows without a result.

    Issued by :func:`jakmeta.stats.pool` for a zero-width HKSJ interval (identical estimates: the
    Knapp-Hartung scale is 0; the modified HKSJ, ``ci="hksj-adhoc"``, is never narrower than the
    Wald interval [rover2015]) and for a Higgins prediction interval with k = 2 (t with k − 2 = 0
    degrees of freedom is undefined [higgins2009]); by :func:`jakmeta.stats.pool_many` when rows
    are out of range or did not converge (their ``status`` says which).

    References
    ----------
    .. [rover2015] Röver et al. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
       for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """


class ConvergenceWarning(DegenerateResultWarning, RuntimeWarning):
    """An iterative estimator did not converge; the result is the last iterate.

    Issued by :func:`jakmeta.stats.pool` when the iteration of ML or REML reaches its cap
    (:data:`jakmeta.stats.tau2.MAXITER`); the result's ``converged`` is then False
    (:func:`jakmeta.stats.pool_many` flags such rows in ``converged`` and ``status`` and counts
    them in one :class:`DegenerateResultWarning`). A subclass of both
    :class:`DegenerateResultWarning` and :class:`RuntimeWarning`.
    """


_HKSJ_ZERO_WIDTH = (
    "the HKSJ interval has zero width: the estimates agree exactly, so the Knapp-Hartung scale "
    "(weighted residual sum of squares) is 0 and p = 0. Use ci='hksj-adhoc', the modified HKSJ "
    "of Röver et al. (2015), which is never narrower than the Wald interval"
)
_HIGGINS_K2 = (
    "the Higgins prediction interval uses t with k − 2 degrees of freedom and is undefined for "
    "k = 2: pi_low and pi_high are NaN. Use pi='metafor' (t(k−1) with HKSJ) or a Bayesian "
    "predictive interval (jakmeta.stats.bayes.pool_bayes)"
)


def _t_or_z_quantile(prob: float, df: np.ndarray) -> np.ndarray:
    """Upper quantile of t(df), or of N(0,1) where df is NaN; NaN for df <= 0.

    Evaluated once per distinct df (all rows of a simulation usually share one or a few).
    """
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, special.ndtri(prob))
    if df.size and df.min() == df.max():  # one df for all rows (no NaN): a single quantile
        value = df.flat[0]
        return np.full(df.shape, special.stdtrit(value, prob) if value > 0 else np.nan)
    finite = np.isfinite(df)
    if finite.any():
        values, inverse = np.unique(df[finite], return_inverse=True)
        quantiles = np.where(values > 0, special.stdtrit(np.maximum(values, 1e-300), prob), np.nan)
        out[finite] = quantiles[inverse]
    return out


def _t_two_sided_integer_df(t: np.ndarray, nu: int) -> np.ndarray:
    """P(|T| > |t|) for T ~ t(nu), nu a small integer, by a finite series.

    The series of Abramowitz & Stegun 26.7.3-4 (θ = atan(|t|/√nu)): a few vector operations
    instead of an incomplete beta function per value. Values below 1e-6 (cancellation in 1 − A)
    are recomputed exactly.
    """
    t = np.abs(t)
    c2 = nu / (nu + t * t)  # cos²θ
    sin = np.sqrt(1 - c2)
    term = np.ones_like(t)
    total = np.ones_like(t)
    if nu % 2 == 0:
        for j in range(1, nu // 2):
            term = term * c2 * (2 * j - 1) / (2 * j)
            total += term
        a = sin * total
    else:
        theta = np.arctan(t / np.sqrt(nu))
        if nu == 1:
            a = 2 * theta / np.pi
        else:
            for j in range(1, (nu - 1) // 2):
                term = term * c2 * (2 * j) / (2 * j + 1)
                total += term
            a = 2 / np.pi * (theta + sin * np.sqrt(c2) * total)
    p = 1 - a
    small = p < 1e-6
    if small.any():
        p[small] = 2 * special.stdtr(nu, -t[small])
    return p


def _two_sided_p(statistic: np.ndarray, df: np.ndarray) -> np.ndarray:
    """2·P(T > |statistic|) with T ~ t(df), or N(0,1) where df is NaN."""
    neg_abs = -np.abs(statistic)
    finite = np.isfinite(df)
    if finite.all() and df.size and df.min() == df.max() and df[0] == int(df[0]) and 1 <= df[0] <= 20:
        with np.errstate(invalid="ignore"):
            out = _t_two_sided_integer_df(statistic, int(df[0]))
        return np.where(np.isnan(statistic), np.nan, out)
    out = 2 * special.ndtr(neg_abs)
    out[finite] = 2 * special.stdtr(df[finite], neg_abs[finite])
    return out


def _summarise_rows(
    rows: _Rows,
    tau2: np.ndarray,
    converged: np.ndarray,
    method: str,
    ci: str,
    level: float,
    pi: str,
    shift: np.ndarray | None = None,
    scale: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Estimate, inference, heterogeneity and prediction interval given tau² (one per row).

    mu = Σw·y/Σw with w = 1/(v + tau²); Wald se = 1/√Σw; HKSJ se² = Σw(y − mu)²/((k−1)Σw)
    [hartung2001; sidik2002], ad hoc version max(1, ·) on the scale factor [rover2015].
    ``rows`` may hold data transformed as (y − shift)/scale, v/scale² (exact powers of two, see
    :mod:`jakmeta.stats.engine`); the outputs are on the original scale.
    """
    k = rows.k
    n = k.size
    shift = np.zeros(n) if shift is None else shift
    scale = np.ones(n) if scale is None else scale
    single = k == 1
    common = method == "FE"
    t_fit = np.where(common | single, 0.0, tau2)
    w = rows.weights(t_fit)
    s = _rsum(w)
    mu_s = _rdot(w, rows.y) / s
    se = np.sqrt(1 / s)
    hksj_zero = np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_fe = 1 / rows.v
        s_fe = _rsum(w_fe)
        e_fe = rows.y - (_rdot(w_fe, rows.y) / s_fe)[None, :]
        q = np.maximum(0.0, _rdot(w_fe, e_fe * e_fe))
        q_df = k - 1
        q_p = np.where(q_df > 0, special.chdtrc(np.maximum(q_df, 1), q), np.nan)
        vt = q_df / (s_fe - _rdot(w_fe, w_fe) / s_fe)  # typical variance (k−1)/tr(P)
        if common:
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - q_df) / q), 0.0)
            h2 = q / q_df
        else:
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
        df = np.full(n, np.nan)
        if ci != "z":
            e = rows.y - mu_s[None, :]
            rss = _rdot(w, e * e)
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / q_df)
            if ci == "hksj-adhoc":
                s2w = np.maximum(s2w, 1.0)
            hksj_zero = (s2w == 0) & ~single
            se = np.where(single, se, np.sqrt(s2w) * se)
            df = np.where(single, np.nan, q_df.astype(float))
        # back to the original scale
        mu = shift + scale * mu_s
        se = scale * se
        tau2_out = scale * scale * tau2
        crit = _t_or_z_quantile(0.5 + level / 2, df)
        statistic = mu / se
        pvalue = _two_sided_p(statistic, df)
        if common:
            pi_low = pi_high = np.full(n, np.nan)
        else:
            pi_df = df if pi == "metafor" else (k - 2).astype(float)
            pi_crit = _t_or_z_quantile(0.5 + level / 2, pi_df)
            pi_se = np.sqrt(se**2 + tau2_out)
            pi_low, pi_high = mu - pi_crit * pi_se, mu + pi_crit * pi_se
        se_tau2 = scale * scale * _se_tau2_rows(rows, tau2, method)
        weights = np.where(rows.mask, 100 * w / s[None, :], np.nan).T  # (n, kmax)
    out = {
        "k": k,
        "estimate": mu,
        "se": se,
        "statistic": statistic,
        "pvalue": pvalue,
        "df": df,
        "ci_low": mu - crit * se,
        "ci_high": mu + crit * se,
        "tau2": np.where(single, np.nan, np.where(common, 0.0, tau2_out)),
        "se_tau2": se_tau2,
        "tau2_estimable": ~single & (not common),
        "i2": i2,
        "h2": h2,
        "q": np.where(single, 0.0, q),
        "q_df": q_df,
        "q_pvalue": q_p,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "weights": weights,
        "converged": converged,
        "hksj_zero_width": hksj_zero,
        "pi_undefined": ~single & ~np.asarray(common) & (pi == "higgins") & (k == 2),
    }
    for name in ("se_tau2", "i2", "h2", "pi_low", "pi_high"):
        out[name] = np.where(single, np.nan, out[name])
    out["tau"] = np.sqrt(out["tau2"])
    return out


def i2_from_q(q: float, df: float) -> float:
    """Q-based I² in percent: I² = max(0, 100·(Q − df)/Q) [higgins2002].

    The definition of RevMan, R's meta and Stata, used for common-effect, Mantel-Haenszel and Peto
    models; random-effects models report I² from tau² (see :mod:`jakmeta.stats`).

    Parameters
    ----------
    q : float
        Cochran's Q statistic [cochran1954].
    df : float
        Its degrees of freedom (k − 1 for k studies).

    Returns
    -------
    float
        I² in percent, between 0 and 100: 0 when Q ≤ 0 or Q ≤ df; NaN when df ≤ 0 or Q is not
        finite.

    References
    ----------
    .. [higgins2002] Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis.
       Statistics in Medicine 21:1539–1558.
    .. [cochran1954] Cochran (1954). The combination of estimates from different experiments.
       Biometrics 10:101–129.
    """
    if df <= 0 or not np.isfinite(q):
        return float("nan")
    return 0.0 if q <= 0 else max(0.0, 100 * (q - df) / q)


__all__ = ["ConvergenceWarning", "DegenerateResultWarning", "i2_from_q"]
