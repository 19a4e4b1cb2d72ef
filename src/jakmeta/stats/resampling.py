"""Re-analyses of subsets: leave-one-out and subgroup analyses.

Leave-one-out as metafor's ``leave1out`` [viechtbauer2010]; subgroup analyses with the test for
subgroup differences [borenstein2009; cochrane_handbook_ch10].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from jakmeta.stats import _validate
from jakmeta.stats.common_effect import mantel_haenszel, peto
from jakmeta.stats.effects import _two_by_two
from jakmeta.stats.engine import PoolResult, pool

_LOO_COLUMNS = (
    "k", "estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "q", "q_pvalue",
    "tau2", "i2", "h2", "pi_low", "pi_high",
)


def _leave_one_out_table(k: int, fit: Callable[[np.ndarray], PoolResult], labels) -> pd.DataFrame:
    if k < 2:
        raise ValueError(f"leave-one-out needs k >= 2 studies; got k = {k}")
    if labels is not None and len(labels) != k:
        raise ValueError(f"labels has {len(labels)} entries but there are {k} studies")
    records = []
    for i in range(k):
        keep = np.arange(k) != i
        res = fit(keep)
        records.append({col: getattr(res, col) for col in _LOO_COLUMNS})
    index = pd.Index(list(labels) if labels is not None else range(k), name="left_out")
    return pd.DataFrame.from_records(records, index=index)


def leave_one_out(yi, vi, labels=None, **pool_kwargs) -> pd.DataFrame:
    """Leave-one-out table as metafor's ``leave1out``: row i = :func:`pool` without study i.

    Parameters
    ----------
    yi : array_like
        Effect sizes of the k ≥ 2 studies.
    vi : array_like
        Their sampling variances (> 0).
    labels : sequence, optional
        One label per study for the index (default 0..k−1).
    **pool_kwargs
        Passed to :func:`jakmeta.stats.pool` (method, ci, level, pi).

    Returns
    -------
    pandas.DataFrame
        One row per study left out (index ``left_out``), with columns k, estimate, se,
        statistic, pvalue, ci_low, ci_high, q, q_pvalue, tau2, i2, h2, pi_low, pi_high.

    Raises
    ------
    ValueError
        For bad input, k < 2, or a ``labels`` of the wrong length.

    References
    ----------
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    """
    y, v = _validate.yi_vi(yi, vi)
    return _leave_one_out_table(y.size, lambda keep: pool(y[keep], v[keep], **pool_kwargs), labels)


def leave_one_out_counts(events_t, n_t, events_c, n_c, method: str = "MH", labels=None, **kwargs) -> pd.DataFrame:
    """Leave-one-out table for Mantel-Haenszel or Peto pooling of 2x2 tables.

    Row i = the pool without table i, as metafor's ``leave1out`` [viechtbauer2010].

    Parameters
    ----------
    events_t, n_t : array_like
        Events and participants in the treatment arm of each table (k ≥ 2).
    events_c, n_c : array_like
        Events and participants in the control arm, same length.
    method : {"MH", "Peto"}
        :func:`jakmeta.stats.mantel_haenszel` (default) or :func:`jakmeta.stats.peto`.
    labels : sequence, optional
        One label per table for the index (default 0..k−1).
    **kwargs
        Passed to the estimator: ``measure`` and ``level`` (MH), ``level`` (Peto).

    Returns
    -------
    pandas.DataFrame
        As :func:`leave_one_out`: one row per table left out.

    Raises
    ------
    ValueError
        For bad counts, an unknown method, k < 2, a ``labels`` of the wrong length, or a pool
        that is undefined without one of the tables.

    References
    ----------
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    """
    _validate.choice("method", method, ("MH", "Peto"))
    a, b, c, d = _two_by_two(events_t, n_t, events_c, n_c)
    arrays = [a, a + b, c, c + d]
    estimator = mantel_haenszel if method == "MH" else peto
    return _leave_one_out_table(
        arrays[0].size, lambda keep: estimator(*(x[keep] for x in arrays), **kwargs), labels
    )


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Per-subgroup pools and the test for subgroup differences, from :func:`subgroup_analysis`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per subgroup (index ``group``): k, estimate, se, ci_low, ci_high, pvalue, tau2,
        i2, q, q_pvalue, pi_low, pi_high.
    results : dict
        Subgroup label to its :class:`jakmeta.stats.PoolResult`.
    q_between : float
        Q_between, comparing the subgroup estimates with inverse-variance weights 1/se² of their
        Wald (non-HKSJ) standard errors [borenstein2009].
    df_between : int
        Its degrees of freedom, (number of subgroups) − 1.
    p_between : float
        Its p-value (χ² test) [cochrane_handbook_ch10].
    q_within : float
        Σ of the within-group Q statistics (metafor's QE of the model with subgroup dummies).
    df_within : int
        Its degrees of freedom, Σ(k_g − 1).
    p_within : float
        Its p-value; NaN when ``df_within`` is 0.
    method : str
        The tau² estimator of the subgroup pools.
    ci : str
        Their interval method.

    References
    ----------
    .. [borenstein2009] Borenstein et al. (2009). Introduction to Meta-Analysis. John Wiley &
       Sons.
    .. [cochrane_handbook_ch10] Deeks et al. (2024). Chapter 10: Analysing data and undertaking
       meta-analyses. Cochrane Handbook for Systematic Reviews of Interventions, version 6.5.
    """

    table: pd.DataFrame
    results: dict
    q_between: float
    df_between: int
    p_between: float
    q_within: float
    df_within: int
    p_within: float
    method: str
    ci: str


def subgroup_analysis(yi, vi, groups, **pool_kwargs) -> SubgroupResult:
    """Separate pools per subgroup and Q_between = Σ w_g(mu_g − mu_w)², w_g = 1/se_g² [borenstein2009].

    Random-effects models get a separate tau² in each subgroup (as RevMan); the test uses the
    Wald standard errors of the subgroup estimates, df = (number of groups) − 1, as in the
    Cochrane Handbook 10.11.3.1 [cochrane_handbook_ch10]. Subgroups with a single study
    contribute their own estimate and standard error.

    Parameters
    ----------
    yi : array_like
        Effect sizes of the studies.
    vi : array_like
        Their sampling variances (> 0).
    groups : sequence
        One subgroup label per study; at least two distinct labels.
    **pool_kwargs
        Passed to :func:`jakmeta.stats.pool` (method, ci, level, pi).

    Returns
    -------
    SubgroupResult
        The per-subgroup table and pools, Q_between and Q_within with their tests.

    Raises
    ------
    ValueError
        For bad input, a ``groups`` of the wrong length, or fewer than two subgroups.

    References
    ----------
    .. [borenstein2009] Borenstein et al. (2009). Introduction to Meta-Analysis. John Wiley &
       Sons.
    .. [cochrane_handbook_ch10] Deeks et al. (2024). Chapter 10: Analysing data and undertaking
       meta-analyses. Cochrane Handbook for Systematic Reviews of Interventions, version 6.5.
    """
    y, v = _validate.yi_vi(yi, vi)
    labels = list(groups)
    if len(labels) != y.size:
        raise ValueError(f"groups has {len(labels)} labels but there are {y.size} studies")
    order = list(dict.fromkeys(labels))
    if len(order) < 2:
        raise ValueError(f"subgroup analysis needs at least 2 subgroups; got {len(order)} ({order!r})")
    label_arr = np.array(labels, dtype=object)
    wald_kwargs = {key: val for key, val in pool_kwargs.items() if key != "ci"}
    results, records, est, se_wald = {}, [], [], []
    q_within, df_within = 0.0, 0
    for g in order:
        sel = label_arr == g
        res = pool(y[sel], v[sel], **pool_kwargs)
        wald = pool(y[sel], v[sel], ci="z", **wald_kwargs)
        results[g] = res
        est.append(wald.estimate)
        se_wald.append(wald.se)
        q_within += res.q
        df_within += res.q_df
        records.append(
            {"group": g, **{col: getattr(res, col) for col in ("k", "estimate", "se", "ci_low", "ci_high",
                                                               "pvalue", "tau2", "i2", "q", "q_pvalue",
                                                               "pi_low", "pi_high")}}
        )
    est_arr, w = np.array(est), 1 / np.array(se_wald) ** 2
    mu = float(np.sum(w * est_arr) / w.sum())
    q_between = float(np.sum(w * (est_arr - mu) ** 2))
    df_between = len(order) - 1
    method = pool_kwargs.get("method", "REML")
    return SubgroupResult(
        table=pd.DataFrame.from_records(records).set_index("group"),
        results=results,
        q_between=q_between,
        df_between=df_between,
        p_between=float(stats.chi2.sf(q_between, df_between)),
        q_within=q_within,
        df_within=df_within,
        p_within=float(stats.chi2.sf(q_within, df_within)) if df_within > 0 else float("nan"),
        method=method,
        ci=pool_kwargs.get("ci", "hksj"),
    )


__all__ = ["SubgroupResult", "leave_one_out", "leave_one_out_counts", "subgroup_analysis"]
