"""Common-effect pooling of 2x2 tables without per-study variances: Mantel-Haenszel and Peto.

- Mantel-Haenszel [mantel1959], as metafor's ``rma.mh``: odds ratio with the variance of Robins,
  Breslow & Greenland [robins1986], risk ratio with the variance of Greenland & Robins
  [greenland1985], risk difference with the variance of Sato, Greenland & Robins [sato1989].
- Peto's one-step odds ratio [yusuf1985], as metafor's ``rma.peto``.

Heterogeneity: Cochran's Q around the pooled estimate [cochran1954] and the Q-based I²
[higgins2002]. Results are :class:`jakmeta.stats.engine.PoolResult` objects.

Zero events, as metafor 3.8 (tests/reference/metafor_zero_events.json, computed with ``rma.mh`` and
``rma.peto``; tests/stats/test_common_effect.py):

- a table with no event (or only events) in both arms adds nothing to the MH OR/RR or the Peto
  estimate, and nothing to Q (its per-table effect is not estimable); it still counts in the MH RD,
  whose weight n1·n2/N does not depend on events (Cochrane Handbook 10.4.4.2
  [cochrane_handbook_ch10]);
- with one informative table left (or none, for the MH RD) Q, I² and H² are metafor's conventions
  for "nothing to test": Q = 0 (p = 1), I² = 0 %, H² = 1; the status says so;
- where metafor returns NA (MH OR with Σad/N = 0 or Σbc/N = 0, MH RR without events in one arm of
  every table) or stops (Peto with V = 0 in every table), a ValueError says why; so does the MH RD
  when its variance is 0 (no events, or only events, in every table: metafor returns se = 0, a CI
  of zero width).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from jakmeta.stats import _validate
from jakmeta.stats.effects import _double_zero, _two_by_two, binary_effects
from jakmeta.stats.engine import PoolResult
from jakmeta.stats.inference import i2_from_q

MH_MEASURES = ("OR", "RR", "RD")


def _q_around(yi: np.ndarray, vi: np.ndarray, beta: float) -> tuple[float, int]:
    """Inverse-variance Q around a given estimate: Q = Σ(y − β)²/v (metafor ``rma.mh``)."""
    return max(0.0, float(np.sum((yi - beta) ** 2 / vi))), yi.size - 1


def _common_effect_result(
    method: str, measure: str, beta: float, se: float, level: float, q: float, q_df: int, weights: np.ndarray, k: int
) -> PoolResult:
    crit = stats.norm.ppf(0.5 + level / 2)
    statistic = beta / se
    if q_df > 0:
        q_p = float(stats.chi2.sf(q, q_df))
        i2, h2 = i2_from_q(q, q_df), q / q_df
    else:  # one informative table: metafor's rma.mh / rma.peto report Q = 0 (p = 1), I² = 0, H² = 1
        q, q_df, q_p, i2, h2 = 0.0, 0, 1.0, 0.0, 1.0
    weights = 100 * weights / weights.sum()
    weights.setflags(write=False)
    return PoolResult(
        method=method,
        ci="z",
        level=level,
        k=k,
        estimate=beta,
        se=se,
        statistic=float(statistic),
        pvalue=float(2 * stats.norm.sf(abs(statistic))),
        df=float("nan"),
        ci_low=float(beta - crit * se),
        ci_high=float(beta + crit * se),
        tau2=0.0,
        tau=0.0,
        se_tau2=float("nan"),
        tau2_estimable=False,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_pvalue=q_p,
        pi="metafor",
        pi_low=float("nan"),
        pi_high=float("nan"),
        weights=weights,
        measure=measure,
        status="common-effect model: tau2 = 0 by assumption, no prediction interval or se of tau2"
        + ("" if q_df > 0 else "; a single informative table (or none): no heterogeneity to test (Q = 0, I2 = 0, "
           "H2 = 1, metafor's convention)"),
    )


def mantel_haenszel(events_t, n_t, events_c, n_c, measure: str = "OR", level: float = 0.95) -> PoolResult:
    """Mantel-Haenszel common-effect estimate from 2x2 tables [mantel1959], as metafor ``rma.mh``.

    OR: log(ΣR/ΣS), R = ad/N, S = bc/N, variance of Robins, Breslow & Greenland [robins1986];
    RR: log(Σa·n2/N / Σc·n1/N), variance of Greenland & Robins [greenland1985];
    RD: Σ(a·n2 − c·n1)/N / Σn1·n2/N, variance of Sato, Greenland & Robins [sato1989].
    OR/RR are on the log scale. The MH estimate uses the uncorrected counts (double-zero tables
    contribute nothing); Q = Σ(y_i − β_MH)²/v_i uses per-study effects with add = 0.5 for zero
    cells and double-zero studies dropped, so df = (studies with an estimable effect) − 1.
    I² = max(0, (Q − df)/Q); with df = 0, Q = 0, I² = 0 and H² = 1 (metafor's ``rma.mh``).
    Weights (percent) are the MH weights (S, c·n1/N or n1·n2/N).

    Parameters
    ----------
    events_t, n_t : array_like
        Events and participants in the treatment arm of each table.
    events_c, n_c : array_like
        Events and participants in the control arm, same length.
    measure : {"OR", "RR", "RD"}
        The effect measure (default "OR").
    level : float
        Confidence level of the Wald interval (default 0.95).

    Returns
    -------
    PoolResult
        ``method`` "MH", ``ci`` "z", tau² = 0 by assumption, no prediction interval; Q, I² and
        H² as above [cochran1954; higgins2002].

    Raises
    ------
    ValueError
        For bad counts, when the estimate is undefined (e.g. no events in one arm in all tables;
        metafor returns NA) or when its variance is 0 (metafor returns se = 0).

    References
    ----------
    .. [mantel1959] Mantel & Haenszel (1959). Statistical aspects of the analysis of data from
       retrospective studies of disease. Journal of the National Cancer Institute 22:719–748.
    .. [robins1986] Robins et al. (1986). Estimators of the Mantel-Haenszel variance consistent
       in both sparse data and large-strata limiting models. Biometrics 42:311–323.
    .. [greenland1985] Greenland & Robins (1985). Estimation of a common effect parameter from
       sparse follow-up data. Biometrics 41:55–68.
    .. [sato1989] Sato et al. (1989). On the variance estimator for the Mantel-Haenszel risk
       difference. Biometrics 45:1323–1324.
    .. [cochran1954] Cochran (1954). The combination of estimates from different experiments.
       Biometrics 10:101–129.
    .. [higgins2002] Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis.
       Statistics in Medicine 21:1539–1558.
    """
    _validate.choice("measure", measure, MH_MEASURES)
    level = _validate.level(level)
    a, b, c, d = _two_by_two(events_t, n_t, events_c, n_c)
    n1, n2 = a + b, c + d
    big_n = n1 + n2
    if measure == "OR":
        r, s = a * d / big_n, b * c / big_n
        big_r, big_s = r.sum(), s.sum()
        if big_r == 0 or big_s == 0:
            raise ValueError("the MH odds ratio is undefined: Σad/N or Σbc/N is 0 across all tables")
        p_i, q_i = (a + d) / big_n, (b + c) / big_n
        beta = float(np.log(big_r / big_s))
        var = 0.5 * (np.sum(p_i * r) / big_r**2 + np.sum(p_i * s + q_i * r) / (big_r * big_s) + np.sum(q_i * s) / big_s**2)
        weights = s
    elif measure == "RR":
        big_r, big_s = np.sum(a * n2 / big_n), np.sum(c * n1 / big_n)
        if a.sum() == 0 or c.sum() == 0:
            raise ValueError("the MH risk ratio is undefined: no events in one arm in all tables")
        beta = float(np.log(big_r / big_s))
        var = np.sum(n1 * n2 * (a + c) / big_n**2 - a * c / big_n) / (big_r * big_s)
        weights = c * n1 / big_n
    else:
        denom = np.sum(n1 * n2 / big_n)
        beta = float(np.sum((a * n2 - c * n1) / big_n) / denom)
        var = (
            beta * np.sum(c * (n1 / big_n) ** 2 - a * (n2 / big_n) ** 2 + (n1 / big_n) * (n2 / big_n) * (n2 - n1) / 2)
            + np.sum(a * (n2 - c) / big_n + c * (n1 - a) / big_n) / 2
        ) / denom**2
        weights = n1 * n2 / big_n
    if not var > 0:
        raise ValueError(f"the MH {measure} has zero variance (no events, or all events, in every table)")
    keep = ~_double_zero(a, b, c, d)
    if keep.any():
        es = binary_effects(a[keep], n1[keep], c[keep], n2[keep], measure=measure)
        q, q_df = _q_around(es.yi, es.vi, beta)
    else:
        q, q_df = 0.0, 0
    if weights.sum() == 0:
        weights = np.ones_like(weights)
    return _common_effect_result("MH", measure, beta, float(np.sqrt(var)), level, q, q_df, weights, a.size)


def peto(events_t, n_t, events_c, n_c, level: float = 0.95) -> PoolResult:
    """Peto's one-step log odds ratio: β = Σ(O − E)/ΣV, se = 1/√ΣV [yusuf1985], as metafor ``rma.peto``.

    O − E = a − (a+c)·n1/N, V = (a+c)(b+d)·n1·n2/(N²(N−1)). No continuity correction is needed;
    tables with V = 0 (no events or only events) contribute nothing. Heterogeneity:
    Q = Σ(O−E)²/V − (Σ(O−E))²/ΣV over tables with V > 0, df = (their number) − 1;
    I² = max(0, (Q − df)/Q); with df = 0, Q = 0, I² = 0 and H² = 1 (metafor's ``rma.peto``).
    Weights (percent) are V/ΣV.

    Parameters
    ----------
    events_t, n_t : array_like
        Events and participants in the treatment arm of each table.
    events_c, n_c : array_like
        Events and participants in the control arm, same length.
    level : float
        Confidence level of the Wald interval (default 0.95).

    Returns
    -------
    PoolResult
        ``method`` "Peto", ``measure`` "OR" (log scale), ``ci`` "z", tau² = 0 by assumption, no
        prediction interval; Q, I² and H² as above [higgins2002].

    Raises
    ------
    ValueError
        For bad counts, and when every table has V = 0 (metafor stops).

    References
    ----------
    .. [yusuf1985] Yusuf et al. (1985). Beta blockade during and after myocardial infarction: an
       overview of the randomized trials. Progress in Cardiovascular Diseases 27:335–371.
    .. [higgins2002] Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis.
       Statistics in Medicine 21:1539–1558.
    """
    level = _validate.level(level)
    a, b, c, d = _two_by_two(events_t, n_t, events_c, n_c)
    n1, n2 = a + b, c + d
    big_n = n1 + n2
    xt, yt = a + c, b + d
    o_minus_e = a - xt * n1 / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(big_n > 1, xt * yt * (n1 / big_n) * (n2 / big_n) / (big_n - 1), 0.0)
    total_var = var.sum()
    if total_var == 0:
        raise ValueError("Peto's method needs events and non-events somewhere: every table has V = 0")
    beta = float(o_minus_e.sum() / total_var)
    pos = var > 0
    q = max(0.0, float(np.sum(o_minus_e[pos] ** 2 / var[pos]) - o_minus_e.sum() ** 2 / total_var))
    q_df = int(pos.sum()) - 1
    return _common_effect_result("Peto", "OR", beta, float(1 / np.sqrt(total_var)), level, q, q_df, var, a.size)


__all__ = ["MH_MEASURES", "mantel_haenszel", "peto"]
