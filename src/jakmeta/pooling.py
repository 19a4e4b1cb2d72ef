"""Pooling engine: common-effect and random-effects meta-analysis of effect sizes ``yi`` with
sampling variances ``vi``, Mantel-Haenszel and Peto pooling of 2x2 tables, the Q-profile
confidence interval for tau², leave-one-out and subgroup analyses, and a vectorised
:func:`pool_many` for simulations.

Where each part comes from
--------------------------
- ``statsmodels.stats.meta_analysis.combine_effects`` (statsmodels 0.15) supplies, in
  :func:`pool`, the DerSimonian-Laird moment estimate [dersimonian1986] and the Paule-Mandel
  iteration [paule1982; dersimonian2007]. Its known defects are guarded here: the DL tau² is
  truncated at 0 (statsmodels returns negative values), I² is computed as metafor does (from tau²;
  statsmodels' Q-based I² is not truncated), the PM root is checked against its estimating
  equation (with a scipy ``brentq`` fallback), and y is centred before the call.
- Written here with numpy/scipy and tested against the metafor reference cases
  (``tests/reference``): REML and ML by Fisher scoring exactly as metafor's ``rma.uni`` (start at
  max(0, HE), step halving at 0, stop when the tau² change is ≤ 1e-5, at most 100 iterations, a
  restart with half steps when that fails (metafor's ``control=list(stepadj=0.5)`` remedy; metafor
  itself stops with an error), then the check whether tau² = 0 has the higher likelihood)
  [viechtbauer2005]; Sidik-Jonkman with metafor's start value [sidik2005]; Hedges (HE)
  [hedges1985]; standard errors of tau²;
  Knapp-Hartung / HKSJ [hartung2001; knapp2003; sidik2002; intHout2014] and its ad hoc
  modification [rover2015]; I² and H² [higgins2002]; prediction intervals [higgins2009];
  Mantel-Haenszel [mantel1959] with the Robins-Breslow-Greenland [robins1986], Greenland-Robins
  [greenland1985] and Sato-Greenland-Robins [sato1989] variances; Peto [yusuf1985]; Q-profile
  interval for tau² [viechtbauer2007]; subgroup test [borenstein2009; cochrane_handbook_ch10];
  Cochran's Q [cochran1954]; and the vectorised :func:`pool_many`. The estimators offered, and
  their standard errors and intervals, follow the review of Veroniki et al. [veroniki2016].

Conventions (as metafor, see ``tests/reference/README.md``): I² = 100·tau²/(tau² + s²) and
H² = (tau² + s²)/s² with the typical variance s² = (k−1)/tr(P) for random-effects models; for
common-effect, MH and Peto models I² = max(0, 100·(Q − df)/Q), H² = Q/df. Prediction interval:
mu ± z·√(se² + tau²) for ``ci="z"``; t(k−1) with the HKSJ se for ``ci="hksj"``; ``pi="higgins"``
uses t(k−2). Weights are reported in percent.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.stats.meta_analysis import combine_effects

from jakmeta import _validate
from jakmeta.effects import BINARY_MEASURES, binary_effects, double_zero, two_by_two

METHODS = ("FE", "DL", "REML", "ML", "PM", "SJ", "HE")
CI_METHODS = ("z", "hksj", "hksj-adhoc")
PI_METHODS = ("metafor", "higgins")
MH_MEASURES = ("OR", "RR", "RD")

#: metafor control defaults (``rma.uni``): convergence threshold and iteration cap for
#: Fisher scoring, and the tolerance of the log-likelihood check at tau² = 0.
THRESHOLD = 1e-5
MAXITER = 100
LL0_TOL = np.finfo(float).eps ** 0.25
#: Paule-Mandel: absolute tolerance on the estimating equation Q(tau²) − (k−1).
PM_ATOL = 1e-10
PM_MAXITER = 100


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, eq=False)
class PoolResult:
    """Result of one meta-analysis.

    ``estimate`` is on the analysis scale (log OR / log RR for ratio measures). ``se``,
    ``statistic``, ``pvalue``, ``ci_low``/``ci_high`` follow ``ci`` (``df`` is NaN for z-based
    inference, k−1 for HKSJ). ``tau2`` is 0 by assumption in common-effect models (FE, MH, Peto)
    and NaN when k = 1; ``tau2_estimable`` is True only when a random-effects model estimated it
    from k ≥ 2 studies. ``i2`` is in percent. ``weights`` are in percent and sum to 100.
    ``converged`` is False when an iterative tau² estimator hit its iteration cap.
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

    def to_dict(self) -> dict:
        """All fields as a plain dict (weights as a list), e.g. for JSON or a one-row table."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["weights"] = [float(w) for w in self.weights]
        return out


@dataclass(frozen=True, eq=False)
class PoolManyResult:
    """Results of :func:`pool_many`: the fields of :class:`PoolResult` as arrays, one per row.

    ``weights`` is 2-D (NaN where the input was padded). Rows with k = 1 carry the single study's
    Wald result (``df`` NaN, ``tau2`` NaN), as :func:`pool` does.
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

    def __len__(self) -> int:
        return int(self.k.size)

    def row(self, i: int) -> PoolResult:
        """Row ``i`` as a :class:`PoolResult` (weights trimmed to the row's studies)."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self)}
        ci = self.ci if self.k[i] > 1 else "z"
        return _result_from_rows(arrays, i, self.method, ci, self.level, self.pi)

    def to_frame(self) -> pd.DataFrame:
        """One row per meta-analysis with every scalar field (weights left out)."""
        names = [f.name for f in fields(self) if f.name not in ("method", "ci", "level", "pi", "weights")]
        return pd.DataFrame({name: getattr(self, name) for name in names})


# --------------------------------------------------------------------------------------------
# row-wise building blocks (2-D arrays: one meta-analysis per row, `mask` marks real studies)


@dataclass(frozen=True)
class _Rows:
    """Studies of n meta-analyses in an (n, kmax) layout.

    Padded cells hold y = 0 and v = inf, so that inverse-variance weights 1/(v + tau²) are exactly
    0 there without a mask multiplication; ``v0`` is v with 0 in padded cells for sums of v.
    """

    y: np.ndarray
    v: np.ndarray
    v0: np.ndarray
    mask: np.ndarray
    k: np.ndarray

    @classmethod
    def from_padded(cls, y: np.ndarray, v: np.ndarray, mask: np.ndarray) -> _Rows:
        v0 = np.where(mask, v, 0.0)
        return cls(np.where(mask, y, 0.0), np.where(mask, v, np.inf), v0, mask, mask.sum(axis=1))

    @classmethod
    def single(cls, y: np.ndarray, v: np.ndarray) -> _Rows:
        mask = np.ones((1, y.size), dtype=bool)
        return cls(y[None, :].copy(), v[None, :].copy(), v[None, :].copy(), mask, np.array([y.size]))

    def take(self, idx: np.ndarray) -> _Rows:
        return _Rows(self.y[idx], self.v[idx], self.v0[idx], self.mask[idx], self.k[idx])

    def weights(self, tau2: np.ndarray) -> np.ndarray:
        """Inverse-variance weights 1/(v + tau²), 0 in padded cells."""
        w = self.v + tau2[:, None]
        return np.reciprocal(w, out=w)


def _rsum(a: np.ndarray) -> np.ndarray:
    """Row sums."""
    return np.add.reduce(a, axis=1)


def _rdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products Σ_j a_ij b_ij."""
    return np.einsum("ij,ij->i", a, b)


def _weighted_mean(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _rdot(w, y) / _rsum(w)


def _q_gen(rows: _Rows, tau2: np.ndarray) -> np.ndarray:
    """Generalised Q: Σ w_i (y_i − mu_w)² with w_i = 1/(v_i + tau²)."""
    w = rows.weights(tau2)
    e = rows.y - _weighted_mean(w, rows.y)[:, None]
    return _rdot(w, e * e)


def _trace_terms(w: np.ndarray, v: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Traces of P = W − w wᵀ/Σw (intercept-only model) and, with v, of products with V."""
    s = _rsum(w)
    w2 = w * w
    s2 = _rsum(w2)
    s3 = _rdot(w2, w)
    out = {"trP": s - s2 / s, "trPP": s2 - 2 * s3 / s + s2 * s2 / (s * s)}
    if v is not None:
        w2v = _rdot(w2, v)
        shrink = 1 - 2 * w / s[:, None]
        out["trPV"] = _rdot(w, v) - w2v / s
        out["trPVPV"] = _rdot(v * v * w2, shrink) + w2v**2 / s**2
        out["trPVP"] = _rdot(v * w2, shrink) + s2 / s**2 * w2v
    return out


def _tau2_dl_rows(rows: _Rows) -> np.ndarray:
    """DerSimonian-Laird: tau² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)) with w = 1/v [dersimonian1986]."""
    q = _q_gen(rows, np.zeros(rows.k.size))
    return np.maximum(0.0, (q - (rows.k - 1)) / _trace_terms(1 / rows.v)["trP"])


def _tau2_he_raw(rows: _Rows) -> np.ndarray:
    """Hedges' estimator before truncation: (Σ(y−ȳ)² − Σv·(1−1/k)) / (k−1) [hedges1985]."""
    k = rows.k
    e = np.where(rows.mask, rows.y - (_rsum(rows.y) / k)[:, None], 0.0)
    tr_pv = _rsum(rows.v0) * (1 - 1 / k)
    return (_rdot(e, e) - tr_pv) / (k - 1)


def _tau2_he_rows(rows: _Rows) -> np.ndarray:
    """Hedges (HE) estimator truncated at 0 [hedges1985]."""
    return np.maximum(0.0, _tau2_he_raw(rows))


def _sj_start(rows: _Rows) -> np.ndarray:
    """metafor's Sidik-Jonkman start value tau²₀ = Σ(y − ȳ)²/k."""
    e = np.where(rows.mask, rows.y - (_rsum(rows.y) / rows.k)[:, None], 0.0)
    return _rdot(e, e) / rows.k


def _tau2_sj_rows(rows: _Rows) -> np.ndarray:
    """Sidik-Jonkman: tau² = tau²₀·Σw(y − mu_w)²/(k−1), w = 1/(v + tau²₀) [sidik2005]."""
    t0 = _sj_start(rows)
    return np.maximum(0.0, t0 * _q_gen(rows, t0) / (rows.k - 1))


def _tau2_pm_rows(rows: _Rows, atol: float = PM_ATOL, maxiter: int = PM_MAXITER) -> tuple[np.ndarray, np.ndarray]:
    """Paule-Mandel: root of Q_gen(tau²) = k − 1 by Newton steps from 0 [paule1982; dersimonian2007].

    Same iteration as statsmodels (step (Q − (k−1)) / Σw²(y − mu)²), safeguarded by a bracket so
    that an overshoot falls back to bisection. Returns (tau2, converged).
    """
    n = rows.k.size
    tau2 = np.zeros(n)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    converged = np.ones(n, dtype=bool)
    active = np.flatnonzero(rows.k > 1)
    for _ in range(maxiter):
        if active.size == 0:
            break
        sub = rows.take(active)
        t = tau2[active]
        w = sub.weights(t)
        e = sub.y - _weighted_mean(w, sub.y)[:, None]
        we2 = w * e * e
        ee = _rsum(we2) - (sub.k - 1)
        done = np.abs(ee) <= atol
        done |= (t == 0) & (ee < 0)
        lo[active] = np.where(ee > 0, t, lo[active])
        hi[active] = np.where(ee < 0, t, hi[active])
        new = t + ee / _rdot(we2, w)
        l_a, h_a = lo[active], hi[active]
        outside = ~((new > l_a) & (new < h_a)) | ~np.isfinite(new)
        new = np.where(outside, np.where(np.isfinite(h_a), 0.5 * (l_a + h_a), 2 * t + 1e-8), new)
        stalled = np.abs(new - t) <= 1e-15 * np.maximum(t, 1e-300)
        tau2[active] = np.where(done, t, new)
        active = active[~(done | stalled)]
    converged[active] = False
    return tau2, converged


def _halve_steps(tau2: np.ndarray, adj: np.ndarray) -> np.ndarray:
    """metafor's step halving: halve the Fisher-scoring step until tau² + step ≥ 0."""
    adj = np.where((tau2 <= 0) & (adj < 0), 0.0, adj)
    neg = np.flatnonzero(tau2 + adj < 0)
    while neg.size:
        adj[neg] /= 2
        neg = neg[tau2[neg] + adj[neg] < 0]
    return adj


def _loglik_rows(rows: _Rows, tau2: np.ndarray, method: str) -> np.ndarray:
    """Log-likelihood (ML) or restricted log-likelihood (REML) of the intercept-only model."""
    w = rows.weights(tau2)
    s = _rsum(w)
    e = rows.y - (_rdot(w, rows.y) / s)[:, None]
    rss = _rdot(w, e * e)
    logdet = _rsum(np.log(np.where(rows.mask, rows.v0 + tau2[:, None], 1.0)))
    if method == "ML":
        return -0.5 * rows.k * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * rss
    return -0.5 * (rows.k - 1) * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * np.log(s) - 0.5 * rss


def _fisher_step(y: np.ndarray, v: np.ndarray, t: np.ndarray, method: str) -> np.ndarray:
    """One Fisher-scoring step for tau²: ML (Σw²e² − Σw)/Σw², REML (Σw²e² − tr P)/tr(P²)."""
    w = v + t[:, None]
    np.reciprocal(w, out=w)
    s = _rsum(w)
    e = y - (_rdot(w, y) / s)[:, None]
    e *= w
    w2e2 = _rdot(e, e)
    w2 = w * w
    s2 = _rsum(w2)
    if method == "ML":
        return (w2e2 - s) / s2
    s3 = _rdot(w2, w)
    return (w2e2 - (s - s2 / s)) / (s2 - 2 * s3 / s + s2 * s2 / (s * s))


def _fisher_iterate(
    rows: _Rows, method: str, tau2: np.ndarray, active: np.ndarray, stepadj: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-scoring iterations on the rows ``active``; returns (tau2, rows not converged).

    The rows still moving are kept in a compact working copy that is re-packed whenever fewer
    than 80 % of its rows are still moving, so late iterations only touch the slow rows.
    """
    y, v, pos = rows.y[active], rows.v[active], active
    t = tau2[pos]
    live = np.ones(pos.size, dtype=bool)
    for iteration in range(1, MAXITER + 2):
        n_live = np.count_nonzero(live)
        if n_live == 0:
            break
        if n_live < 0.8 * live.size:
            tau2[pos] = t
            y, v, pos, t = y[live], v[live], pos[live], t[live]
            live = np.ones(pos.size, dtype=bool)
        adj = _halve_steps(t, _fisher_step(y, v, t, method) * stepadj)
        new = np.where(live, t + adj, t)
        change = np.abs(new - t)
        t = new
        if iteration > MAXITER:
            tau2[pos] = t
            return tau2, pos[live]
        live &= change > THRESHOLD
    tau2[pos] = t
    return tau2, pos[:0]


def _tau2_fisher_rows(rows: _Rows, method: str) -> tuple[np.ndarray, np.ndarray]:
    """ML/REML tau² by Fisher scoring, vectorised over rows, as metafor's ``rma.uni`` [viechtbauer2005].

    Start max(0, HE); step ML: (Σw²e² − Σw)/Σw², REML: (Σw²e² − tr P)/tr(P²); step halving at 0;
    stop when |change| ≤ 1e-5; at most 100 iterations. Rows that have not converged by then
    (the iteration can oscillate for small k) are restarted with half steps, metafor's
    ``control=list(stepadj=0.5)`` remedy; a row failing again is flagged not converged. Finally
    tau² = 0 if its log-likelihood is higher by more than 1.2e-4 (metafor's ``ll0check``).
    """
    start = _tau2_he_rows(rows)
    tau2 = start.copy()
    converged = np.ones(tau2.size, dtype=bool)
    tau2, failed = _fisher_iterate(rows, method, tau2, np.flatnonzero(rows.k > 1), 1.0)
    if failed.size:
        tau2[failed] = start[failed]
        tau2, failed = _fisher_iterate(rows, method, tau2, failed, 0.5)
    converged[failed] = False
    check = np.flatnonzero(converged & (rows.k > 1) & (tau2 > THRESHOLD))
    if check.size:
        sub = rows.take(check)
        gain0 = _loglik_rows(sub, np.zeros(check.size), method) - _loglik_rows(sub, tau2[check], method)
        tau2[check[gain0 > LL0_TOL]] = 0.0
    return tau2, converged


def _se_tau2_rows(rows: _Rows, tau2: np.ndarray, method: str) -> np.ndarray:
    """Standard error of tau² as metafor reports it (Fisher information or moment variance)."""
    k = rows.k
    t = np.maximum(np.nan_to_num(tau2), 0.0)
    if method == "FE":
        return np.full(k.size, np.nan)
    if method == "DL":
        tr = _trace_terms(1 / rows.v)
        return np.sqrt((2 * (k - 1) + 4 * t * tr["trP"] + 2 * t**2 * tr["trPP"]) / tr["trP"] ** 2)
    if method == "HE":
        tr = _trace_terms(rows.mask.astype(float), rows.v0)
        return np.sqrt((2 * tr["trPVPV"] + 4 * t * tr["trPV"] + 2 * t**2 * (k - 1)) / (k - 1) ** 2)
    if method == "SJ":
        t0 = _sj_start(rows)
        tr = _trace_terms(rows.weights(t0), rows.v0)
        return np.sqrt(t0**2 / (k - 1) ** 2 * (2 * tr["trPVPV"] + 4 * t * tr["trPVP"] + 2 * t**2 * tr["trPP"]))
    w = rows.weights(t)
    if method == "ML":
        return np.sqrt(2 / _rdot(w, w))
    if method == "REML":
        return np.sqrt(2 / _trace_terms(w)["trPP"])
    return np.sqrt(2 * k**2 / (k - 1) / _rsum(w) ** 2)  # PM (= EB formula)


def _t_or_z_quantile(prob: float, df: np.ndarray) -> np.ndarray:
    """Upper quantile of t(df), or of N(0,1) where df is NaN; NaN for df <= 0.

    Evaluated once per distinct df (all rows of a simulation usually share one or a few)."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, special.ndtri(prob))
    finite = np.isfinite(df)
    if finite.any():
        values, inverse = np.unique(df[finite], return_inverse=True)
        quantiles = np.where(values > 0, special.stdtrit(np.maximum(values, 1e-300), prob), np.nan)
        out[finite] = quantiles[inverse]
    return out


def _two_sided_p(statistic: np.ndarray, df: np.ndarray) -> np.ndarray:
    """2·P(T > |statistic|) with T ~ t(df), or N(0,1) where df is NaN."""
    neg_abs = -np.abs(statistic)
    out = 2 * special.ndtr(neg_abs)
    finite = np.isfinite(df)
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
) -> dict[str, np.ndarray]:
    """Estimate, inference, heterogeneity and prediction interval given tau² (one per row).

    mu = Σw·y/Σw with w = 1/(v + tau²); Wald se = 1/√Σw; HKSJ se² = Σw(y − mu)²/((k−1)Σw)
    [hartung2001; sidik2002], ad hoc version max(1, ·) on the scale factor [rover2015].
    """
    k = rows.k
    single = k == 1
    common = method == "FE"
    t_fit = np.where(common | single, 0.0, tau2)
    w = rows.weights(t_fit)
    s = _rsum(w)
    mu = _rdot(w, rows.y) / s
    se = np.sqrt(1 / s)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_fe = 1 / rows.v
        e_fe = rows.y - _weighted_mean(w_fe, rows.y)[:, None]
        q = np.maximum(0.0, _rdot(w_fe, e_fe * e_fe))
        q_df = k - 1
        q_p = np.where(q_df > 0, special.chdtrc(np.maximum(q_df, 1), q), np.nan)
        vt = q_df / _trace_terms(w_fe)["trP"]
        if common:
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - q_df) / q), 0.0)
            h2 = q / q_df
        else:
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
        df = np.full(k.size, np.nan)
        if ci != "z":
            e = rows.y - mu[:, None]
            rss = _rdot(w, e * e)
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / q_df)
            if ci == "hksj-adhoc":
                s2w = np.maximum(s2w, 1.0)
            se = np.where(single, se, np.sqrt(s2w) * se)
            df = np.where(single, np.nan, q_df.astype(float))
        crit = _t_or_z_quantile(0.5 + level / 2, df)
        statistic = mu / se
        pvalue = _two_sided_p(statistic, df)
        if common:
            pi_low = pi_high = np.full(k.size, np.nan)
        else:
            pi_df = df if pi == "metafor" else (k - 2).astype(float)
            pi_crit = _t_or_z_quantile(0.5 + level / 2, pi_df)
            pi_se = np.sqrt(se**2 + tau2)
            pi_low, pi_high = mu - pi_crit * pi_se, mu + pi_crit * pi_se
        se_tau2 = _se_tau2_rows(rows, tau2, method)
        weights = np.where(rows.mask, 100 * w / s[:, None], np.nan)
    out = {
        "k": k,
        "estimate": mu,
        "se": se,
        "statistic": statistic,
        "pvalue": pvalue,
        "df": df,
        "ci_low": mu - crit * se,
        "ci_high": mu + crit * se,
        "tau2": np.where(single, np.nan, np.where(common, 0.0, tau2)),
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
    }
    for name in ("se_tau2", "i2", "h2", "pi_low", "pi_high"):
        out[name] = np.where(single, np.nan, out[name])
    out["tau"] = np.sqrt(out["tau2"])
    return out


_ROW_ESTIMATORS: dict[str, Callable[[_Rows], np.ndarray]] = {
    "DL": _tau2_dl_rows,
    "HE": _tau2_he_rows,
    "SJ": _tau2_sj_rows,
}


def _tau2_rows(rows: _Rows, method: str) -> tuple[np.ndarray, np.ndarray]:
    """tau² per row (vectorised) for any method; k = 1 rows get NaN."""
    n = rows.k.size
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            tau2, conv = np.zeros(n), np.ones(n, dtype=bool)
        elif method in ("ML", "REML"):
            tau2, conv = _tau2_fisher_rows(rows, method)
        elif method == "PM":
            tau2, conv = _tau2_pm_rows(rows)
        else:
            tau2 = _ROW_ESTIMATORS[method](rows)
            conv = np.ones(n, dtype=bool)
    return np.where(rows.k > 1, tau2, np.nan), conv


# --------------------------------------------------------------------------------------------
# single meta-analysis


def _tau2_statsmodels(y: np.ndarray, v: np.ndarray, method: str) -> tuple[float, bool]:
    """DL or PM tau² from statsmodels ``combine_effects``, with metafor's truncation and a check.

    DL: statsmodels returns (Q − df)/c without truncation; here max(0, ·) [dersimonian1986].
    PM: statsmodels' Newton iteration (``method_re="iterated"``); the root is verified against
    Q_gen(tau²) = k − 1 and recomputed with scipy's brentq if the check fails [paule1982].
    """
    yc = y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels: sqrt of a negative DL variance, 1/H2 at Q = 0
        if method == "DL":
            res = combine_effects(yc, v, method_re="dl")
            return max(0.0, float(res.tau2)), True
        res = combine_effects(yc, v, method_re="iterated", atol=PM_ATOL, maxiter=PM_MAXITER)
    tau2 = max(0.0, float(res.tau2))
    k = y.size
    rows = _Rows.single(yc, v)

    def excess(t: float) -> float:
        return float(_q_gen(rows, np.array([t]))[0]) - (k - 1)

    ok = abs(excess(tau2)) <= 1e-8 * (k - 1) if tau2 > 0 else excess(0.0) <= 0
    if ok:
        return tau2, True
    if excess(0.0) <= 0:
        return 0.0, True
    hi = max(1.0, float(np.var(y)))
    while excess(hi) > 0:
        hi *= 2
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)), True


def _mixed_effects_fit(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Weighted least squares meta-regression y = Xβ + u + e with tau² by ``method``.

    Matrix version of metafor's ``rma.uni`` for a general model matrix X (k × p): tau² by FE (0),
    DL, HE, ML or REML (Fisher scoring exactly as metafor) [viechtbauer2005]; then
    β = (XᵀWX)⁻¹XᵀWy, Var(β) = (XᵀWX)⁻¹ with W = diag(1/(v + tau²)). Used by :func:`pool`
    (X = 1) and by :func:`jakmeta.bias.egger_test` (``model="rma"``).
    Returns (beta, vcov, tau2, converged).
    """
    k, p = X.shape
    ymc = y - y.mean()

    def proj(w: np.ndarray) -> np.ndarray:
        wx = X * w[:, None]
        return np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)

    converged = True
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        P = proj(1 / v)
        tau2 = max(0.0, float((ymc @ P @ ymc - (k - p)) / np.trace(P)))
    else:
        P0 = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
        tau2 = float((ymc @ P0 @ ymc - np.trace(P0 * v[None, :])) / (k - p))
        if method == "HE":
            tau2 = max(0.0, tau2)
        elif method in ("ML", "REML"):
            tau2, converged = _fisher_scoring_matrix(ymc, v, X, method, max(0.0, tau2), proj)
        else:
            raise ValueError(f"method {method!r} is not available for a meta-regression; use FE, DL, HE, ML or REML")
    w = 1 / (v + tau2)
    wx = X * w[:, None]
    vcov = np.linalg.inv(X.T @ wx)
    beta = vcov @ (wx.T @ y)
    return beta, vcov, tau2, converged


def _fisher_scoring_matrix(ymc, v, X, method, start, proj) -> tuple[float, bool]:
    """metafor's Fisher scoring for ML/REML with a general X (see :func:`_tau2_fisher_rows`),
    including the restart with half steps and the check at tau² = 0."""
    k, p = X.shape
    converged = False
    for stepadj in (1.0, 0.5):
        tau2 = start
        for iteration in range(1, MAXITER + 2):
            w = 1 / (v + tau2)
            P = proj(w)
            py = P @ ymc
            if method == "ML":
                adj = (py @ py - w.sum()) / (w @ w)
            else:
                adj = (py @ py - np.trace(P)) / np.sum(P * P)
            adj = float(_halve_steps(np.array([tau2]), np.array([adj * stepadj]))[0])
            old, tau2 = tau2, tau2 + adj
            if iteration > MAXITER:
                break
            if abs(tau2 - old) <= THRESHOLD:
                converged = True
                break
        if converged:
            break
    if converged and tau2 > THRESHOLD:

        def loglik(t: float) -> float:
            w = 1 / (v + t)
            wx = X * w[:, None]
            xwx = X.T @ wx
            beta = np.linalg.solve(xwx, wx.T @ ymc)
            rss = float(w @ (ymc - X @ beta) ** 2)
            ll = -0.5 * np.sum(np.log(v + t)) - 0.5 * rss
            if method == "ML":
                return ll - 0.5 * k * np.log(2 * np.pi)
            return ll - 0.5 * (k - p) * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(xwx)[1]

        if loglik(0.0) - loglik(tau2) > LL0_TOL:
            tau2 = 0.0
    return tau2, converged


def _check_options(method: str, ci: str, level: float, pi: str) -> float:
    _validate.choice("method", method, METHODS)
    _validate.choice("ci", ci, CI_METHODS)
    _validate.choice("pi", pi, PI_METHODS)
    return _validate.level(level)


def pool(yi, vi, method: str = "REML", ci: str = "hksj", level: float = 0.95, pi: str = "metafor") -> PoolResult:
    """Inverse-variance meta-analysis: mu = Σw·y/Σw, w = 1/(v + tau²) [dersimonian1986; viechtbauer2010].

    ``method``: "FE" (common effect), "DL", "REML", "ML", "PM", "SJ", "HE" (tau² estimator;
    see the module docstring for sources). ``ci``: "z" (Wald), "hksj" (Knapp-Hartung SE with
    t(k−1) [hartung2001; knapp2003; intHout2014]) or "hksj-adhoc" (HKSJ SE never below the
    Wald SE [rover2015]). ``pi``: "metafor" (z for ci="z", t(k−1) with the HKSJ SE otherwise, as
    metafor's ``predict``) or "higgins" (t(k−2) with the SE of the chosen ``ci``) [higgins2009].

    Edge cases: k = 1 returns the study's own estimate with a Wald CI (``ci`` is reported as
    "z"), tau², I², H² and the prediction interval are NaN and ``tau2_estimable`` is False.
    k = 2 with HKSJ uses t with 1 df (honestly wide). tau² estimates are truncated at 0. With
    ``ci="hksj"`` and method "FE" the Knapp-Hartung scale is applied to the common-effect
    model (metafor's ``test="knha"``; metafor warns that this is not what the method is for).
    REML/ML: when Fisher scoring has not converged after 100 iterations it is restarted with half
    steps; if that fails too, ``converged`` is False and a RuntimeWarning is issued.
    Raises ValueError for bad input (lengths, NaN, vi ≤ 0, k = 0, unknown options, level).
    """
    level = _check_options(method, ci, level, pi)
    y, v = _validate.yi_vi(yi, vi)
    k = y.size
    rows = _Rows.single(y, v)
    converged = True
    if k == 1:
        tau2 = np.nan
    elif method in ("DL", "PM"):
        tau2, converged = _tau2_statsmodels(y, v, method)
    elif method in ("ML", "REML"):
        _, _, tau2, converged = _mixed_effects_fit(y, v, np.ones((k, 1)), method)
    else:
        tau2_rows, _ = _tau2_rows(rows, method)
        tau2 = float(tau2_rows[0])
    if not converged:
        warnings.warn(
            f"{method} Fisher scoring did not converge in {MAXITER} iterations; tau2 is the last iterate",
            RuntimeWarning,
            stacklevel=2,
        )
    out = _summarise_rows(rows, np.array([tau2]), np.array([converged]), method, ci, level, pi)
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
        **scalars,
    )


def pool_many(YI, VI, method: str = "REML", ci: str = "hksj", level: float = 0.95, pi: str = "metafor") -> PoolManyResult:
    """:func:`pool` for many meta-analyses at once: one per row of NaN-padded 2-D arrays.

    Per row: mu = Σw·y/Σw, w = 1/(v + tau²), with tau² and intervals as in :func:`pool`
    [viechtbauer2005; viechtbauer2010].
    Fully vectorised with numpy (no Python loop over rows): REML/ML by Fisher scoring on all rows
    together with a convergence mask (metafor's threshold 1e-5 on the tau² change, at most 100
    iterations, tau² ≥ 0) [viechtbauer2005], PM by safeguarded Newton steps, DL/HE/SJ in closed
    form. Each row gives the same numbers as ``pool(row_yi, row_vi, ...)`` (tested); DL and PM use
    numpy here instead of statsmodels. Rows with k = 1 are handled as in :func:`pool`.
    """
    level = _check_options(method, ci, level, pi)
    y, v, mask = _validate.yi_vi_rows(YI, VI)
    rows = _Rows.from_padded(y, v, mask)
    tau2, converged = _tau2_rows(rows, method)
    out = _summarise_rows(rows, tau2, converged, method, ci, level, pi)
    return PoolManyResult(
        method=method,
        ci=ci,
        level=level,
        pi=pi,
        **{name: out[name] for name in (f.name for f in fields(PoolManyResult)) if name in out},
    )


def i2_from_q(q: float, df: float) -> float:
    """Q-based I² in percent, I² = max(0, 100·(Q − df)/Q) [higgins2002] (RevMan, meta, Stata)."""
    if df <= 0 or not np.isfinite(q):
        return float("nan")
    return 0.0 if q <= 0 else max(0.0, 100 * (q - df) / q)


# --------------------------------------------------------------------------------------------
# Mantel-Haenszel and Peto


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
    else:
        q_p = i2 = h2 = float("nan")
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
    )


def mantel_haenszel(events_t, n_t, events_c, n_c, measure: str = "OR", level: float = 0.95) -> PoolResult:
    """Mantel-Haenszel common-effect estimate from 2x2 tables [mantel1959], as metafor ``rma.mh``.

    OR: log(ΣR/ΣS), R = ad/N, S = bc/N, variance of Robins, Breslow & Greenland [robins1986];
    RR: log(Σa·n2/N / Σc·n1/N), variance of Greenland & Robins [greenland1985];
    RD: Σ(a·n2 − c·n1)/N / Σn1·n2/N, variance of Sato, Greenland & Robins [sato1989].
    OR/RR are on the log scale. The MH estimate uses the uncorrected counts (double-zero tables
    contribute nothing); Q = Σ(y_i − β_MH)²/v_i uses per-study effects with add = 0.5 for zero
    cells and double-zero studies dropped, so df = (studies with an estimable effect) − 1.
    I² = max(0, (Q − df)/Q). Weights (percent) are the MH weights (S, c·n1/N or n1·n2/N).
    Raises ValueError when the estimate is undefined (e.g. no events in one arm in all tables).
    """
    _validate.choice("measure", measure, MH_MEASURES)
    level = _validate.level(level)
    a, b, c, d = two_by_two(events_t, n_t, events_c, n_c)
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
    keep = ~double_zero(a, b, c, d)
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
    I² = max(0, (Q − df)/Q). Weights (percent) are V/ΣV.
    """
    level = _validate.level(level)
    a, b, c, d = two_by_two(events_t, n_t, events_c, n_c)
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


# --------------------------------------------------------------------------------------------
# heterogeneity interval, leave-one-out, subgroups


@dataclass(frozen=True)
class Tau2ConfInt:
    """Q-profile confidence interval for tau² and the derived intervals for tau, I² and H²."""

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
        """All fields as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def tau2_confint(yi, vi, method: str = "REML", level: float = 0.95) -> Tau2ConfInt:
    """Q-profile CI for tau²: {tau² : χ²_{k−1,α/2} ≤ Σ(y − mu_τ)²/(v + tau²) ≤ χ²_{k−1,1−α/2}} [viechtbauer2007].

    Bounds where the generalised Q crosses the chi-square quantiles (brentq, xtol 1e-12); a bound
    is 0 when Q at tau² = 0 is already below the quantile. I² and H² bounds follow from the tau²
    bounds with metafor's typical variance s² = (k−1)/tr(P): I² = 100·t/(s² + t), H² = 1 + t/s²
    (as metafor's ``confint``). The point estimate tau² comes from ``pool(yi, vi, method)``;
    ``method`` must be a random-effects estimator. Needs k ≥ 2.
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


__all__ = [
    "BINARY_MEASURES",
    "CI_METHODS",
    "METHODS",
    "MH_MEASURES",
    "PI_METHODS",
    "PoolManyResult",
    "PoolResult",
    "SubgroupResult",
    "Tau2ConfInt",
    "i2_from_q",
    "leave_one_out",
    "leave_one_out_counts",
    "mantel_haenszel",
    "peto",
    "pool",
    "pool_many",
    "subgroup_analysis",
    "tau2_confint",
]
