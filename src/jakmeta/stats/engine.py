"""The inverse-variance engine: :func:`pool` and :func:`pool_many`, with their result classes.

:func:`pool` pools one meta-analysis, :func:`pool_many` many at once (one per row of NaN-padded
2-D arrays).

Every meta-analysis runs on internally rescaled data: y is centred at the midrange of its
estimates and divided by a power of two c, v by c² (exact in floating point, so nothing is lost);
tau² scales by c² and the estimate, its standard error and intervals by c. Data whose dynamic
range cannot be handled in double precision — max(max vi, (spread of yi)²) / min vi > 1e120 —
are refused by :func:`pool` with a ValueError and flagged "out of range" by :func:`pool_many`.

tau² estimators: :mod:`jakmeta.stats.tau2` (DL [dersimonian1986], REML/ML [viechtbauer2005] with the
global-maximum check, PM [paule1982], SJ [sidik2005], HE [hedges1985]); inference given tau²:
:mod:`jakmeta.stats.inference` (Wald, HKSJ [hartung2001; knapp2003], modified HKSJ [rover2015],
prediction intervals [higgins2009]). ``statsmodels.stats.meta_analysis.combine_effects``
(statsmodels 0.15) supplies the DL and PM estimates in :func:`pool`, guarded against its known
defects (see :func:`jakmeta.stats.tau2._tau2_statsmodels`); :func:`pool_many` computes them with numpy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from jakmeta.stats import _validate
from jakmeta.stats.inference import (
    _HIGGINS_K2,
    _HKSJ_ZERO_WIDTH,
    ConvergenceWarning,
    DegenerateResultWarning,
    _summarise_rows,
)
from jakmeta.stats.tau2 import MAXITER, _Rows, _tau2_rows, _tau2_statsmodels

METHODS = ("FE", "DL", "REML", "ML", "PM", "SJ", "HE")
CI_METHODS = ("z", "hksj", "hksj-adhoc")
#: other names accepted for ``ci="hksj-adhoc"``, the modified HKSJ of Röver et al. [rover2015].
CI_ALIASES = {"hksj-modified": "hksj-adhoc", "mhksj": "hksj-adhoc"}
PI_METHODS = ("metafor", "higgins")

#: largest dynamic range max(max v, spread(y)²) / min v that the engine accepts.
RANGE_LIMIT = 1e120
#: rows per block in :func:`pool_many` (keeps the working arrays in the CPU cache).
CHUNK_ROWS = 8192


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, eq=False)
class PoolResult:
    """Result of one meta-analysis.

    Returned by :func:`pool`, :func:`jakmeta.stats.mantel_haenszel` and
    :func:`jakmeta.stats.peto`. Every value is on the analysis scale (log OR / log RR for ratio
    measures); the conventions for I², H² and the prediction interval are metafor's
    [viechtbauer2010] (see :mod:`jakmeta.stats`).

    Attributes
    ----------
    method : str
        The tau² estimator ("FE", "DL", "REML", "ML", "PM", "SJ", "HE") or the common-effect
        method ("MH", "Peto").
    ci : str
        The interval method: "z" (Wald), "hksj" or "hksj-adhoc" [hartung2001; rover2015]; "z"
        when k = 1.
    level : float
        Confidence level of ``ci_low``/``ci_high`` and ``pi_low``/``pi_high``.
    k : int
        Number of studies.
    estimate : float
        The pooled effect mu = Σw·y/Σw.
    se : float
        Its standard error (Wald, or the Knapp-Hartung standard error for HKSJ).
    statistic : float
        estimate / se, a z or t value.
    pvalue : float
        Two-sided p-value of ``statistic``.
    df : float
        Degrees of freedom of the t distribution: k − 1 for HKSJ, NaN for z-based inference.
    ci_low, ci_high : float
        Confidence interval of ``estimate``, by ``ci``.
    tau2 : float
        Between-study variance: 0 by assumption in common-effect models (FE, MH, Peto), NaN when
        k = 1.
    tau : float
        √tau2.
    se_tau2 : float
        Standard error of tau² as metafor reports it; NaN for common-effect models and k = 1.
    tau2_estimable : bool
        True only when a random-effects model estimated tau² from k ≥ 2 studies.
    i2 : float
        I² in percent [higgins2002].
    h2 : float
        H² [higgins2002].
    q : float
        Cochran's Q [cochran1954].
    q_df : int
        Degrees of freedom of Q: k − 1 (MH and Peto: the tables with an estimable effect − 1).
    q_pvalue : float
        p-value of the test of homogeneity (Q against χ²(q_df)).
    pi : str
        Prediction interval method: "metafor" or "higgins" [higgins2009].
    pi_low, pi_high : float
        Prediction interval for the true effect of a new study; NaN for common-effect models,
        k = 1, and the Higgins interval with k = 2.
    weights : numpy.ndarray
        Weights of the studies in percent (they sum to 100), read-only.
    converged : bool
        False when an iterative tau² estimator hit its iteration cap.
    measure : str or None
        The effect measure when known ("OR", "RR", "RD" for MH and Peto), else None.
    multimodal : bool
        True when the (restricted) likelihood of ML/REML has more than one local maximum along
        tau² (the global one is returned; see :mod:`jakmeta.stats.tau2`).
    status : str
        "ok", or why a field is NaN or degenerate (single study, common-effect model without a
        prediction interval, zero-width HKSJ interval, ...), as in :class:`PoolManyResult`.

    References
    ----------
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    .. [hartung2001] Hartung & Knapp (2001). On tests of the overall treatment effect in
       meta-analysis with normally distributed responses. Statistics in Medicine 20:1771–1782.
    .. [rover2015] Röver et al. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
       for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
    .. [higgins2002] Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis.
       Statistics in Medicine 21:1539–1558.
    .. [cochran1954] Cochran (1954). The combination of estimates from different experiments.
       Biometrics 10:101–129.
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """

    method: str
    ci: str
    level: float
    k: int
    estimate: float
    se: float
    statistic: float
    pvalue: float
    df: float
    ci_low: float
    ci_high: float
    tau2: float
    tau: float
    se_tau2: float
    tau2_estimable: bool
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi: str
    pi_low: float
    pi_high: float
    weights: np.ndarray
    converged: bool = True
    measure: str | None = None
    multimodal: bool = False
    status: str = "ok"

    def to_dict(self) -> dict:
        """Return all fields as a plain dict, e.g. for JSON or a one-row table.

        Returns
        -------
        dict
            Field name to value; ``weights`` as a list of floats.
        """
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["weights"] = [float(w) for w in self.weights]
        return out


@dataclass(frozen=True, eq=False)
class PoolManyResult:
    """Results of :func:`pool_many`: the fields of :class:`PoolResult` as arrays, one per row.

    Rows with k = 1 carry the single study's Wald result (``df`` NaN, ``tau2`` NaN), as
    :func:`pool` does. Every NaN in a row is explained by its ``status``.

    Attributes
    ----------
    method, ci, level, pi
        The options of the call, as in :class:`PoolResult` (one for all rows).
    k, estimate, se, statistic, pvalue, df, ci_low, ci_high : numpy.ndarray
        Per row, as the fields of the same name of :class:`PoolResult`.
    tau2, tau, se_tau2, tau2_estimable, i2, h2, q, q_df, q_pvalue : numpy.ndarray
        Per row, as in :class:`PoolResult` (I² in percent [higgins2002]).
    pi_low, pi_high : numpy.ndarray
        Per row, the prediction interval [higgins2009].
    weights : numpy.ndarray
        2-D (rows × studies), in percent, NaN where the input was padded.
    converged : numpy.ndarray
        Per row, False when an iterative tau² estimator hit its iteration cap.
    multimodal : numpy.ndarray
        Per row, True for ML/REML rows with more than one local maximum of the likelihood (the
        global one is returned).
    status : numpy.ndarray
        Per row, "ok" or why a result is missing or degenerate (single study, not converged,
        multimodal likelihood, zero-width HKSJ interval, prediction interval undefined, out of
        range).

    References
    ----------
    .. [higgins2002] Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis.
       Statistics in Medicine 21:1539–1558.
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """

    method: str
    ci: str
    level: float
    pi: str
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    tau: np.ndarray
    se_tau2: np.ndarray
    tau2_estimable: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    q: np.ndarray
    q_df: np.ndarray
    q_pvalue: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    weights: np.ndarray
    converged: np.ndarray
    multimodal: np.ndarray
    status: np.ndarray

    def __len__(self) -> int:
        """Return the number of meta-analyses (rows)."""
        return int(self.k.size)

    def row(self, i: int) -> PoolResult:
        """Return row ``i`` as a :class:`PoolResult`.

        Parameters
        ----------
        i : int
            Index of the meta-analysis (row of the input).

        Returns
        -------
        PoolResult
            Its result, with the weights trimmed to the row's studies.
        """
        arrays = {f.name: getattr(self, f.name) for f in fields(self)}
        ci = self.ci if self.k[i] > 1 else "z"
        return _result_from_rows(arrays, i, self.method, ci, self.level, self.pi)

    def to_frame(self) -> pd.DataFrame:
        """Return the results as a table.

        Returns
        -------
        pandas.DataFrame
            One row per meta-analysis with every per-row field (``weights`` left out).
        """
        names = [f.name for f in fields(self) if f.name not in ("method", "ci", "level", "pi", "weights")]
        return pd.DataFrame({name: getattr(self, name) for name in names})



# --------------------------------------------------------------------------------------------
# scaling


def _scale_columns(y: np.ndarray, v: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Centre each meta-analysis at the midrange of its y and divide by a power of two.

    See the module docstring. Input and output in the (kmax, n) layout of
    :class:`jakmeta.stats.tau2._Rows`.

    Returns the transformed (y, v) (0 and inf in padded cells), the per-analysis ``shift`` and
    ``scale``, ``bad`` (dynamic range above RANGE_LIMIT), and ``spread2``, ``vmax``, ``vmin``.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        full = bool(mask.all())
        ymax = np.max(y if full else np.where(mask, y, -np.inf), axis=0)
        ymin = np.min(y if full else np.where(mask, y, np.inf), axis=0)
        shift = ymax / 2 + ymin / 2
        spread = ymax / 2 - ymin / 2
        spread2 = spread * spread
        vmax = np.max(v if full else np.where(mask, v, -np.inf), axis=0)
        vmin = np.min(v if full else np.where(mask, v, np.inf), axis=0)
        top = np.maximum(vmax, spread2)
        bad = ~(top / vmin <= RANGE_LIMIT)
        any_bad = bool(bad.any())
        if any_bad:
            top, vmin_ok = np.where(bad, 1.0, top), np.where(bad, 1.0, vmin)
            shift = np.where(bad, 0.0, shift)
        else:
            vmin_ok = vmin
        expo = np.rint(0.25 * (np.log2(top) + np.log2(vmin_ok))).astype(int)
        ys = np.ldexp(y - shift[None, :], -expo[None, :])
        vs = np.ldexp(v, -2 * expo[None, :])
        if any_bad:
            ys = np.where(bad[None, :], 0.0, ys)
            vs = np.where(bad[None, :], 1.0, vs)
        if not full:
            ys = np.where(mask, ys, 0.0)
            vs = np.where(mask, vs, np.inf)
    return {
        "y": ys, "v": vs, "shift": shift, "scale": np.ldexp(1.0, expo), "bad": bad,
        "spread2": spread2, "vmax": vmax, "vmin": vmin,
    }


def _range_message(sc: dict, i: int, where: str = "") -> str:
    return (
        f"{where}yi and vi span too wide a range for double precision: max(max vi = {sc['vmax'][i]:.3g}, "
        f"(half the spread of yi)² = {sc['spread2'][i]:.3g}) / min vi = {sc['vmin'][i]:.3g} exceeds "
        f"{RANGE_LIMIT:.0e}. Check the units (e.g. log odds ratios rather than odds ratios, variances "
        "rather than standard errors) or rescale yi and vi"
    )


def _check_range(y: np.ndarray, v: np.ndarray) -> None:
    """Raise ValueError when validated (y, v) exceed the engine's dynamic range (RANGE_LIMIT)."""
    sc = _scale_columns(y[:, None], v[:, None], np.ones((y.size, 1), dtype=bool))
    if sc["bad"][0]:
        raise ValueError(_range_message(sc, 0))


def _check_options(method: str, ci: str, level: float, pi: str) -> float:
    _validate.choice("method", method, METHODS)
    _validate.choice("ci", ci, CI_METHODS + tuple(CI_ALIASES))
    _validate.choice("pi", pi, PI_METHODS)
    return _validate.level(level)


# --------------------------------------------------------------------------------------------
# one meta-analysis


def pool(yi, vi, method: str = "REML", ci: str = "hksj", level: float = 0.95, pi: str = "metafor") -> PoolResult:
    """Inverse-variance meta-analysis: mu = Σw·y/Σw, w = 1/(v + tau²) [dersimonian1986; viechtbauer2010].

    REML and ML return the **global** maximum of the (restricted) likelihood: a likelihood
    profile over tau², then Fisher-scoring and secant steps in the best bracket (see
    :mod:`jakmeta.stats.tau2`); ``multimodal`` flags
    a likelihood with several local maxima. Where this differs from metafor's default answer
    (metafor can stop at a local maximum, e.g. at tau² = 0), the likelihood here is higher. The
    stopping rule is relative (|Δtau²| ≤ 1e-8·(tau² + v̄)), so tau² is accurate on any scale.

    Edge cases: k = 1 returns the study's own estimate with a Wald CI (``ci`` is reported as
    "z"), tau², I², H² and the prediction interval are NaN and ``tau2_estimable`` is False.
    k = 2 with HKSJ uses t with 1 df (honestly wide). tau² estimates are truncated at 0. With
    ``ci="hksj"`` and method "FE" the Knapp-Hartung scale is applied to the common-effect
    model (metafor's ``test="knha"``).

    Parameters
    ----------
    yi : array_like
        Effect sizes of the k studies on the analysis scale (e.g. log odds ratios).
    vi : array_like
        Their sampling variances (> 0), same length.
    method : {"REML", "FE", "DL", "ML", "PM", "SJ", "HE"}
        "FE" (common effect) or the tau² estimator: DerSimonian-Laird [dersimonian1986], REML or
        ML [viechtbauer2005], Paule-Mandel [paule1982], Sidik-Jonkman [sidik2005], Hedges
        [hedges1985]; see :mod:`jakmeta.stats.tau2`.
    ci : {"hksj", "z", "hksj-adhoc"}
        "z" (Wald), "hksj" (Knapp-Hartung SE with t(k−1) [hartung2001; knapp2003; intHout2014])
        or "hksj-adhoc" (the modified HKSJ: SE never below the Wald SE [rover2015]; also accepted
        as "hksj-modified" or "mhksj").
    level : float
        Confidence level, between 0 and 1 (default 0.95).
    pi : {"metafor", "higgins"}
        Prediction interval: "metafor" (z for ci="z", t(k−1) with the HKSJ SE otherwise, as
        metafor's ``predict``) or "higgins" (t(k−2) with the SE of the chosen ``ci``)
        [higgins2009].

    Returns
    -------
    PoolResult
        Estimate, interval, tau², heterogeneity statistics, prediction interval, weights and a
        ``status`` that explains every NaN.

    Raises
    ------
    ValueError
        For bad input (lengths, NaN, text, booleans, vi ≤ 0, k = 0, unknown options, level) and
        for data whose range exceeds double precision (see the module docstring).

    Warns
    -----
    DegenerateResultWarning
        A zero-width HKSJ interval (identical estimates; the message offers
        ``ci="hksj-adhoc"``), or a Higgins prediction interval with k = 2 (NaN).
    ConvergenceWarning
        An iterative tau² estimator did not converge (tau² is the last iterate).

    References
    ----------
    .. [dersimonian1986] DerSimonian & Laird (1986). Meta-analysis in clinical trials.
       Controlled Clinical Trials 7:177–188.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    .. [viechtbauer2005] Viechtbauer (2005). Bias and efficiency of meta-analytic variance
       estimators in the random-effects model. Journal of Educational and Behavioral Statistics
       30:261–293.
    .. [paule1982] Paule & Mandel (1982). Consensus values and weighting factors. Journal of
       Research of the National Bureau of Standards 87:377–385.
    .. [sidik2005] Sidik & Jonkman (2005). Simple heterogeneity variance estimation for
       meta-analysis. Journal of the Royal Statistical Society: Series C (Applied Statistics)
       54:367–384.
    .. [hedges1985] Hedges & Olkin (1985). Statistical Methods for Meta-Analysis. Academic Press.
    .. [hartung2001] Hartung & Knapp (2001). On tests of the overall treatment effect in
       meta-analysis with normally distributed responses. Statistics in Medicine 20:1771–1782.
    .. [knapp2003] Knapp & Hartung (2003). Improved tests for a random effects meta-regression
       with a single covariate. Statistics in Medicine 22:2693–2710.
    .. [intHout2014] IntHout et al. (2014). The Hartung-Knapp-Sidik-Jonkman method for random
       effects meta-analysis is straightforward and considerably outperforms the standard
       DerSimonian-Laird method. BMC Medical Research Methodology 14:25.
    .. [rover2015] Röver et al. (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
       for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
    .. [higgins2009] Higgins et al. (2009). A re-evaluation of random-effects meta-analysis.
       Journal of the Royal Statistical Society: Series A (Statistics in Society) 172:137–159.
    """
    level = _check_options(method, ci, level, pi)
    ci = CI_ALIASES.get(ci, ci)
    y, v = _validate.yi_vi(yi, vi)
    k = y.size
    sc = _scale_columns(y[:, None], v[:, None], np.ones((k, 1), dtype=bool))
    if sc["bad"][0]:
        raise ValueError(_range_message(sc, 0))
    ys, vs = sc["y"][:, 0], sc["v"][:, 0]
    rows = _Rows.single(ys, vs)
    converged, multimodal = True, False
    if k == 1:
        tau2 = np.nan
    elif method in ("DL", "PM"):
        tau2, converged = _tau2_statsmodels(ys, vs, method)
    else:
        t, c, m = _tau2_rows(rows, method)
        tau2, converged, multimodal = float(t[0]), bool(c[0]), bool(m[0])
    out = _summarise_rows(
        rows, np.array([tau2]), np.array([converged]), method, ci, level, pi, sc["shift"], sc["scale"]
    )
    out["multimodal"] = np.array([multimodal])
    out["status"] = _status(_flags(out, method, np.zeros(1, dtype=bool)), 1)
    if not converged:
        warnings.warn(
            f"{method} did not converge in {MAXITER} iterations; tau2 is the last iterate",
            ConvergenceWarning,
            stacklevel=2,
        )
    if out["hksj_zero_width"][0]:
        warnings.warn(_HKSJ_ZERO_WIDTH, DegenerateResultWarning, stacklevel=2)
    if out["pi_undefined"][0]:
        warnings.warn(_HIGGINS_K2, DegenerateResultWarning, stacklevel=2)
    return _result_from_rows(out, 0, method, "z" if k == 1 else ci, level, pi)


def _result_from_rows(out: dict, i: int, method: str, ci: str, level: float, pi: str) -> PoolResult:
    """Row ``i`` of the row-wise arrays ``out`` as a :class:`PoolResult`."""
    weights = out["weights"][i][~np.isnan(out["weights"][i])].copy()
    weights.setflags(write=False)
    scalars = {
        name: float(out[name][i])
        for name in (
            "estimate", "se", "statistic", "pvalue", "df", "ci_low", "ci_high", "tau2", "tau",
            "se_tau2", "i2", "h2", "q", "q_pvalue", "pi_low", "pi_high",
        )
    }
    return PoolResult(
        method=method,
        ci=ci,
        level=level,
        k=int(out["k"][i]),
        tau2_estimable=bool(out["tau2_estimable"][i]),
        q_df=int(out["q_df"][i]),
        pi=pi,
        weights=weights,
        converged=bool(out["converged"][i]),
        multimodal=bool(out["multimodal"][i]),
        status=str(out["status"][i]),
        **scalars,
    )


# --------------------------------------------------------------------------------------------
# many meta-analyses

_STATUS_TEXT = {
    "single": "single study: tau2, I2, H2 and the prediction interval are not estimable",
    "common": "common-effect model: tau2 = 0 by assumption, no prediction interval or se of tau2",
    "bad": "out of range: yi and vi span more than 1e120 (see pool); no result",
    "not_converged": "not converged: tau2 is the last iterate",
    "multimodal": "multimodal likelihood: the global maximum is returned",
    "hksj_zero_width": "zero-width HKSJ interval (identical estimates); consider ci='hksj-adhoc'",
    "pi_undefined": "prediction interval undefined (Higgins, k = 2)",
}


def _flags(out: dict, method: str, bad: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "single": out["k"] == 1,
        "common": (out["k"] > 1) & (method == "FE") & ~bad,
        "bad": bad,
        "not_converged": ~out["converged"] & ~bad,
        "multimodal": out["multimodal"] & ~bad,
        "hksj_zero_width": out["hksj_zero_width"] & ~bad,
        "pi_undefined": out["pi_undefined"] & ~bad,
    }


def _status(flags: dict[str, np.ndarray], n: int) -> np.ndarray:
    status = np.full(n, "ok", dtype=object)
    parts: dict[int, list[str]] = {}
    for name, text in _STATUS_TEXT.items():
        for i in np.flatnonzero(flags[name]):
            parts.setdefault(int(i), []).append(text)
    for i, texts in parts.items():
        status[i] = "; ".join(texts)
    return status


def pool_many(YI, VI, method: str = "REML", ci: str = "hksj", level: float = 0.95, pi: str = "metafor") -> PoolManyResult:
    """:func:`pool` for many meta-analyses at once: one per row of NaN-padded 2-D arrays.

    Per row: mu = Σw·y/Σw, w = 1/(v + tau²), with tau² and intervals as in :func:`pool`
    [viechtbauer2005; viechtbauer2010], including the global-maximum check of REML/ML.
    Fully vectorised with numpy (no Python loop over rows; blocks of 8192 rows): REML/ML by
    Fisher scoring on all rows together with a convergence mask, then the likelihood profile; PM
    by safeguarded Newton steps, DL/HE/SJ in closed form. Each row gives the same numbers as
    ``pool(row_yi, row_vi, ...)`` (tested); DL and PM use numpy here instead of statsmodels.
    Rows with k = 1 are handled as in :func:`pool`.

    Parameters
    ----------
    YI : array_like
        2-D (meta-analyses × studies): effect sizes, NaN where a row has fewer studies.
    VI : array_like
        Their sampling variances, same shape, NaN exactly where ``YI`` is NaN.
    method, ci, level, pi
        As in :func:`pool`, one for all rows.

    Returns
    -------
    PoolManyResult
        The fields of :class:`PoolResult` as arrays, one per row. No row is NaN without a
        reason: ``status`` says why.

    Raises
    ------
    ValueError
        For bad input (shapes, NaN in one array but not the other, a row without a study, text,
        infinite values, vi ≤ 0, unknown options, level).

    Warns
    -----
    DegenerateResultWarning
        Counts the rows out of range or not converged (see their ``status``).

    References
    ----------
    .. [viechtbauer2005] Viechtbauer (2005). Bias and efficiency of meta-analytic variance
       estimators in the random-effects model. Journal of Educational and Behavioral Statistics
       30:261–293.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    """
    level = _check_options(method, ci, level, pi)
    ci = CI_ALIASES.get(ci, ci)
    y, v, mask = _validate.yi_vi_rows(YI, VI)
    n = y.shape[0]
    blocks = []
    for start in range(0, n, CHUNK_ROWS):
        sl = slice(start, min(n, start + CHUNK_ROWS))
        mask_c = np.ascontiguousarray(mask[sl].T)
        sc = _scale_columns(np.ascontiguousarray(y[sl].T), np.ascontiguousarray(v[sl].T), mask_c)
        rows = _Rows.from_columns(sc["y"], sc["v"], mask_c)
        tau2, converged, multimodal = _tau2_rows(rows, method)
        out = _summarise_rows(rows, tau2, converged, method, ci, level, pi, sc["shift"], sc["scale"])
        out["multimodal"] = multimodal
        out["bad"] = sc["bad"]
        blocks.append(out)
    out = {name: np.concatenate([b[name] for b in blocks]) if np.ndim(blocks[0][name]) else blocks[0][name]
           for name in blocks[0]}
    bad = out["bad"]
    if bad.any():
        for name in ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "tau2", "tau", "se_tau2",
                     "i2", "h2", "q", "q_pvalue", "pi_low", "pi_high"):
            out[name] = np.where(bad, np.nan, out[name])
        out["weights"] = np.where(bad[:, None], np.nan, out["weights"])
        out["converged"] = out["converged"] & ~bad
    flags = _flags(out, method, bad)
    out["status"] = _status(flags, n)
    if bad.any() or flags["not_converged"].any():
        warnings.warn(
            f"pool_many: {int(bad.sum())} row(s) out of range and {int(flags['not_converged'].sum())} row(s) "
            "not converged; see the status column",
            DegenerateResultWarning,
            stacklevel=2,
        )
    return PoolManyResult(
        method=method,
        ci=ci,
        level=level,
        pi=pi,
        **{name: out[name] for name in (f.name for f in fields(PoolManyResult)) if name in out},
    )


__all__ = [
    "CHUNK_ROWS",
    "CI_ALIASES",
    "CI_METHODS",
    "METHODS",
    "PI_METHODS",
    "RANGE_LIMIT",
    "PoolManyResult",
    "PoolResult",
    "pool",
    "pool_many",
]
