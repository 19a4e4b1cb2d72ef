"""Re-analyses of subsets: leave-one-out [viechtbauer2010] and subgroup analyses with the test
for subgroup differences [borenstein2009; cochrane_handbook_ch10].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from jakmeta.stats import _validate
from jakmeta.stats.common_effect import mantel_haenszel, peto
from jakmeta.stats.effects import two_by_two
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

    Columns: k, estimate, se, statistic, pvalue, ci_low, ci_high, q, q_pvalue, tau2, i2, h2,
    pi_low, pi_high; the index holds ``labels`` (default 0..k−1). ``pool_kwargs`` go to
    :func:`pool` (method, ci, level, pi). Needs k ≥ 2 [viechtbauer2010].
    """
    y, v = _validate.yi_vi(yi, vi)
    return _leave_one_out_table(y.size, lambda keep: pool(y[keep], v[keep], **pool_kwargs), labels)


def leave_one_out_counts(events_t, n_t, events_c, n_c, method: str = "MH", labels=None, **kwargs) -> pd.DataFrame:
    """Leave-one-out table for Mantel-Haenszel (``method="MH"``, kwargs: measure, level) or Peto
    (``method="Peto"``, kwargs: level) pooling of 2x2 tables: row i = the pool without table i,
    as metafor's ``leave1out`` [viechtbauer2010]. Columns as in :func:`leave_one_out`."""
    _validate.choice("method", method, ("MH", "Peto"))
    a, b, c, d = two_by_two(events_t, n_t, events_c, n_c)
    arrays = [a, a + b, c, c + d]
    estimator = mantel_haenszel if method == "MH" else peto
    return _leave_one_out_table(
        arrays[0].size, lambda keep: estimator(*(x[keep] for x in arrays), **kwargs), labels
    )


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Per-subgroup pools and the test for subgroup differences.

    ``table``: one row per subgroup (k, estimate, se, ci, tau2, i2, q, pi, ...). ``q_between``
    (df = groups − 1, p-value ``p_between``) compares the subgroup estimates with inverse-variance
    weights 1/se² of their Wald (non-HKSJ) standard errors; ``q_within`` = Σ of the within-group
    Q statistics (metafor's QE of the model with subgroup dummies).
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
    contribute their own estimate and standard error. ``pool_kwargs`` go to :func:`pool`.
    Needs at least two subgroups.
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
