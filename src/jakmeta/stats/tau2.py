"""Estimators of the between-study variance tau², vectorised over many meta-analyses.

Each function works on :class:`_Rows`, the studies of n meta-analyses in a (kmax, n) layout.

Sources
-------
- DerSimonian-Laird moment estimator [dersimonian1986], truncated at 0 as metafor does.
- Hedges (HE) [hedges1985]; Sidik-Jonkman with metafor's start value [sidik2005].
- Paule-Mandel [paule1982; dersimonian2007]: root of Q_gen(tau²) = k − 1 by safeguarded Newton.
- ML and REML [viechtbauer2005]: the **global** maximum of the (restricted) likelihood,
  computed in three steps (:func:`_tau2_ml_reml`):

  1. profile the likelihood on a grid of tau² (0 and 11 log-spaced points from 1e-4·S to S,
     S = Σ(y − ȳ)²; for two studies the REML maximum is S − v̄, and the last bracket reaches
     1000·S);
  2. from the best grid point, maximise within its bracket (the neighbouring grid points):
     metafor's Fisher-scoring step first, then secant steps on the score, each kept inside a
     bracket that shrinks with the sign of the score and replaced by bisection when it leaves
     it or fails to halve the previous step (``rtsafe`` of Numerical Recipes), until
     |Δtau²| ≤ 1e-8·(tau² + v̄), v̄ the harmonic mean of the sampling variances: a **scale-free**
     stopping rule (metafor: |Δtau²| ≤ 1e-5 whatever the units);
  3. where the profile has more than one local maximum, flag the row ``multimodal``, refine the
     second-highest peak as well and keep the higher maximum.

  metafor's ``rma.uni`` runs Fisher scoring from max(0, HE) without a bracket (restarting with
  half steps when it oscillates) and then checks only whether tau² = 0 beats its answer
  (``ll0check``), never the reverse. On a unimodal likelihood both find the same maximum (to
  metafor's tolerance; the metafor reference cases pass at their recorded tolerances); on a
  bimodal one metafor can stop at tau² = 0 below the global maximum, and this engine returns
  the point with the higher likelihood (``tests/stats/test_engine.py`` holds such a data
  set: k = 7, variances 0.001 to 6, REML maximum 0.1197 where metafor-style scoring gives 0).
  Because the stopping rule is tighter, tau² values close to 0 that metafor reports as a small
  positive number (its iteration stopped within 1e-5 of the boundary) are exactly 0 here.
- The meta-regression used by Egger's test (:func:`_mixed_effects_fit`) keeps metafor's Fisher
  scoring with its restart and ``ll0check``, with the scale-free stopping rule.

The standard errors of tau² follow metafor (Fisher information or moment variances) and the
choice of estimators the review of Veroniki et al. [veroniki2016].

Numerical range: callers scale each meta-analysis by an exact power of two (see
:mod:`jakmeta.stats.engine`), so the algorithms run on data of order one whatever the units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

#: iteration cap (metafor's) and the relative convergence threshold of ML/REML.
MAXITER = 100
REL_TOL = 1e-8
#: metafor's absolute threshold, kept for the documentation of the difference.
METAFOR_THRESHOLD = 1e-5
#: tolerance (log-likelihood units) when comparing points of the profile or two maxima.
LL_TOL = 1e-9
#: profile grid: 0 plus PROFILE_POINTS log-spaced points over [PROFILE_LOW·S, S].
PROFILE_POINTS = 11
PROFILE_LOW = 1e-4
#: Paule-Mandel: absolute tolerance on the estimating equation Q(tau²) − (k−1) (scale-free).
PM_ATOL = 1e-10
PM_MAXITER = 100

# The estimators below are the engine's own: they work on the internal layout :class:`_Rows` and
# are reached through :func:`jakmeta.stats.pool` and :func:`jakmeta.stats.pool_many` (``method``).
__all__ = [
    "LL0_TOL",
    "LL_TOL",
    "MAXITER",
    "METAFOR_THRESHOLD",
    "PM_ATOL",
    "PM_MAXITER",
    "PROFILE_LOW",
    "PROFILE_POINTS",
    "REL_TOL",
]


@dataclass(frozen=True)
class _Rows:
    """Studies of n meta-analyses in a (kmax, n) layout: column i is meta-analysis i.

    The arrays are stored transposed so that sums over studies add contiguous rows, which numpy
    does fast. Padded cells hold y = 0 and v = inf, so that inverse-variance weights
    1/(v + tau²) are exactly 0 there without a mask multiplication; ``v0`` is v with 0 in padded
    cells for sums of v.
    """

    y: np.ndarray
    v: np.ndarray
    v0: np.ndarray
    mask: np.ndarray
    k: np.ndarray

    @classmethod
    def from_columns(cls, y: np.ndarray, v: np.ndarray, mask: np.ndarray) -> _Rows:
        """From (kmax, n) arrays already holding 0 and inf in the padded cells."""
        v0 = v if mask.all() else np.where(mask, v, 0.0)
        return cls(y, v, v0, mask, mask.sum(axis=0))

    @classmethod
    def single(cls, y: np.ndarray, v: np.ndarray) -> _Rows:
        mask = np.ones((y.size, 1), dtype=bool)
        return cls(y[:, None].copy(), v[:, None].copy(), v[:, None].copy(), mask, np.array([y.size]))

    def take(self, idx: np.ndarray) -> _Rows:
        """Select the meta-analyses ``idx`` (columns)."""
        return _Rows(self.y[:, idx], self.v[:, idx], self.v0[:, idx], self.mask[:, idx], self.k[idx])

    def weights(self, tau2: np.ndarray) -> np.ndarray:
        """Inverse-variance weights 1/(v + tau²), 0 in padded cells."""
        w = self.v + tau2[None, :]
        return np.reciprocal(w, out=w)


def _rsum(a: np.ndarray) -> np.ndarray:
    """Sum over the studies of each meta-analysis (axis 0)."""
    return np.add.reduce(a, axis=0)


def _rdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per meta-analysis dot products Σ_j a_ji b_ji."""
    return np.add.reduce(a * b, axis=0)


def _weighted_mean(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _rdot(w, y) / _rsum(w)


def _q_gen(rows: _Rows, tau2: np.ndarray) -> np.ndarray:
    """Generalised Q: Σ w_i (y_i − mu_w)² with w_i = 1/(v_i + tau²)."""
    w = rows.weights(tau2)
    e = rows.y - _weighted_mean(w, rows.y)[None, :]
    return _rdot(w, e * e)


def _trace_terms(w: np.ndarray, v: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Traces of P = W − w wᵀ/Σw (intercept-only model) and, with v, of products with V."""
    s = _rsum(w)
    w2 = w * w
    s2 = _rsum(w2)
    s3 = _rdot(w2, w)
    out = {"trP": s - s2 / s, "trPP": s2 - 2 * s3 / s + (s2 / s) ** 2}
    if v is not None:
        w2v = _rdot(w2, v)
        shrink = 1 - 2 * w / s[None, :]
        out["trPV"] = _rdot(w, v) - w2v / s
        out["trPVPV"] = _rdot(v * v * w2, shrink) + (w2v / s) ** 2
        out["trPVP"] = _rdot(v * w2, shrink) + s2 / s**2 * w2v
    return out


def _harmonic_v(rows: _Rows) -> np.ndarray:
    """Harmonic mean of the sampling variances, k/Σ(1/v): the scale of the stopping rule."""
    return rows.k / _rsum(1 / rows.v)


# --------------------------------------------------------------------------------------------
# closed-form and moment estimators


def _tau2_dl(rows: _Rows) -> np.ndarray:
    """DerSimonian-Laird: tau² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)) with w = 1/v [dersimonian1986]."""
    q = _q_gen(rows, np.zeros(rows.k.size))
    return np.maximum(0.0, (q - (rows.k - 1)) / _trace_terms(1 / rows.v)["trP"])


def _tau2_he_raw(rows: _Rows) -> np.ndarray:
    """Hedges' estimator before truncation: (Σ(y−ȳ)² − Σv·(1−1/k)) / (k−1) [hedges1985]."""
    k = rows.k
    e = np.where(rows.mask, rows.y - (_rsum(rows.y) / k)[None, :], 0.0)
    tr_pv = _rsum(rows.v0) * (1 - 1 / k)
    return (_rdot(e, e) - tr_pv) / (k - 1)


def _tau2_he(rows: _Rows) -> np.ndarray:
    """Hedges (HE) estimator truncated at 0 [hedges1985]."""
    return np.maximum(0.0, _tau2_he_raw(rows))


def _sj_start(rows: _Rows) -> np.ndarray:
    """Return metafor's Sidik-Jonkman start value tau²₀ = Σ(y − ȳ)²/k."""
    e = np.where(rows.mask, rows.y - (_rsum(rows.y) / rows.k)[None, :], 0.0)
    return _rdot(e, e) / rows.k


def _tau2_sj(rows: _Rows) -> np.ndarray:
    """Sidik-Jonkman: tau² = tau²₀·Σw(y − mu_w)²/(k−1), w = 1/(v + tau²₀) [sidik2005]."""
    t0 = _sj_start(rows)
    return np.maximum(0.0, t0 * _q_gen(rows, t0) / (rows.k - 1))


def _tau2_pm(rows: _Rows, atol: float = PM_ATOL, maxiter: int = PM_MAXITER) -> tuple[np.ndarray, np.ndarray]:
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
        e = sub.y - _weighted_mean(w, sub.y)[None, :]
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


# --------------------------------------------------------------------------------------------
# ML and REML


def _halve_steps(tau2: np.ndarray, adj: np.ndarray, max_halvings: int = 64) -> np.ndarray:
    """Halve the Fisher-scoring step until tau² + step ≥ 0 (metafor's step halving).

    Bounded: a step still negative after ``max_halvings`` halvings (only possible for a
    non-finite step) becomes NaN, which the caller treats as a failed iteration.
    """
    adj = np.where((tau2 <= 0) & (adj < 0), 0.0, adj)
    neg = np.flatnonzero(tau2 + adj < 0)
    for _ in range(max_halvings):
        if neg.size == 0:
            return adj
        adj[neg] /= 2
        neg = neg[tau2[neg] + adj[neg] < 0]
    adj[neg] = np.nan
    return adj


def _score_and_information(y: np.ndarray, v: np.ndarray, t: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Twice the score and twice the expected information of the (restricted) likelihood in tau².

    ML: Σw²e² − Σw and Σw²; REML: Σw²e² − tr P and tr(P²) (``y``, ``v`` in the (kmax, n) layout).
    """
    w = v + t[None, :]
    np.reciprocal(w, out=w)
    s = _rsum(w)
    e = y - (_rdot(w, y) / s)[None, :]
    e *= w
    w2e2 = _rdot(e, e)
    w2 = w * w
    s2 = _rsum(w2)
    if method == "ML":
        return w2e2 - s, s2
    s3 = _rdot(w2, w)
    return w2e2 - (s - s2 / s), s2 - 2 * s3 / s + (s2 / s) ** 2


def _profile_grid(rows: _Rows) -> np.ndarray:
    """Per-row grid of tau²: 0 and PROFILE_POINTS log-spaced points over [PROFILE_LOW·S, S]."""
    e = np.where(rows.mask, rows.y - (_rsum(rows.y) / rows.k)[None, :], 0.0)
    ss = _rdot(e, e)
    top = np.maximum(ss, _harmonic_v(rows))  # S, or the typical variance when all y are equal
    ratios = np.geomspace(PROFILE_LOW, 1.0, PROFILE_POINTS)
    return np.concatenate([np.zeros((rows.k.size, 1)), top[:, None] * ratios[None, :]], axis=1)


def _profile_loglik(
    rows: _Rows, tau2: np.ndarray, method: str, full: bool | None = None, y2: np.ndarray | None = None
) -> np.ndarray:
    """(Restricted) log-likelihood up to a constant, cheaply.

    −½ log|V| − ½ Q [− ½ log Σw (REML)] with Q = Σw·y² − (Σw·y)²/Σw and
    log|V| = log Π(v + tau²) (one logarithm per row).
    """
    a = rows.v + tau2[None, :]
    w = 1.0 / a
    s = _rsum(w)
    swy = _rdot(w, rows.y)
    q = _rdot(w, rows.y * rows.y if y2 is None else y2) - swy * swy / s
    if full is None:
        full = bool(rows.mask.all())
    prod = np.multiply.reduce(a if full else np.where(rows.mask, a, 1.0), axis=0)
    logdet = np.log(prod)
    redo = ~(np.isfinite(logdet))
    if redo.any():  # product out of range: sum the logarithms instead
        logdet[redo] = _rsum(np.log(np.where(rows.mask[:, redo], a[:, redo], 1.0)))
    ll = -0.5 * logdet - 0.5 * q
    if method == "REML":
        ll -= 0.5 * np.log(s)
    return ll


def _bracketed_max(
    rows: _Rows, method: str, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the (restricted) likelihood in [lo, hi] per row (a root of the score).

    The first step is metafor's Fisher-scoring step; later steps are secant steps on the score
    (Fisher scoring alone converges linearly and can oscillate, the reason for metafor's
    restarts). Every step is kept inside a bracket that shrinks with the sign of the score and
    replaced by bisection when it leaves the bracket or does not halve the step before it (as
    ``rtsafe`` in Numerical Recipes). Stops when |Δtau²| or the bracket is ≤ REL_TOL·(tau² +
    scale); a start at tau² = 0 with a score ≤ 0 is a (boundary) maximum at once.
    Returns (tau2, converged).
    """
    t, lo, hi = t.copy(), lo.copy(), hi.copy()
    last = hi - lo
    prev_t = np.full(t.size, np.nan)
    prev_score = np.full(t.size, np.nan)
    converged = np.zeros(t.size, dtype=bool)
    active = np.arange(t.size)
    ya, va = rows.y, rows.v
    packed = t.size
    for _ in range(MAXITER):
        if active.size == 0:
            break
        if active.size < 0.8 * packed:  # re-pack the working copy of the data
            ya, va = rows.y[:, active], rows.v[:, active]
            packed = active.size
            pos = np.arange(active.size)
        elif active.size == packed:
            pos = np.arange(active.size)
        ta, la, ha, sa, dx = t[active], lo[active], hi[active], scale[active], last[active]
        score, info = _score_and_information(ya[:, pos], va[:, pos], ta, method) if pos.size < ya.shape[1] \
            else _score_and_information(ya, va, ta, method)
        la = np.where(score > 0, ta, la)
        ha = np.where(score < 0, ta, ha)
        pt, ps = prev_t[active], prev_score[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = ta - score * (ta - pt) / (score - ps)
        step = np.where(np.isfinite(secant), secant - ta, score / info)
        new = ta + step
        bisect = ~((new > la) & (new < ha)) | (np.abs(step) > 0.5 * np.abs(dx))
        new = np.where(bisect, 0.5 * (la + ha), new)
        at_zero = (ta == 0) & (score <= 0)
        stop = at_zero | (score == 0)
        new = np.where(stop, ta, new)
        tol = REL_TOL * (np.abs(new) + sa)
        bad = ~np.isfinite(score)
        done = stop | (np.abs(new - ta) <= tol) | (ha - la <= tol) | bad
        t[active], lo[active], hi[active], last[active] = new, la, ha, new - ta
        prev_t[active], prev_score[active] = ta, score
        converged[active[done & ~bad]] = True
        keep = ~done
        active = active[keep]
        pos = pos[keep]
    return t, converged


def _tau2_ml_reml(rows: _Rows, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ML/REML tau²: the global maximum of the (restricted) likelihood [viechtbauer2005].

    1. Profile the likelihood on the grid of :func:`_profile_grid` (0 and 11 log-spaced points
       up to S = Σ(y − ȳ)²).
    2. From the vertex of the parabola through the best grid point and its neighbours, find the
       root of the score in that bracket (:func:`_bracketed_max`: a Fisher-scoring step, ML
       (Σw²e² − Σw)/Σw², REML (Σw²e² − tr P)/tr(P²), then secant steps, safeguarded by
       bisection) until |Δtau²| ≤ 1e-8·(tau² + v̄) (scale-free).
    3. Where the profile has more than one local maximum (``multimodal``), the second-highest
       peak is refined too and the higher of the two maxima is returned.

    metafor's ``rma.uni`` runs step 2 from max(0, HE) without a bracket and checks only
    whether tau² = 0 beats its answer; on unimodal likelihoods both give the same maximum (to
    metafor's tolerance |Δtau²| ≤ 1e-5), on multimodal ones this engine returns the higher one.
    Returns (tau2, converged, multimodal).
    """
    n = rows.k.size
    tau2 = np.full(n, np.nan)
    converged = np.ones(n, dtype=bool)
    multimodal = np.zeros(n, dtype=bool)
    todo = np.flatnonzero(rows.k > 1)
    if todo.size == 0:
        return tau2, converged, multimodal
    sub = rows.take(todo) if todo.size < n else rows
    grid = _profile_grid(sub).T  # (m, n): one grid point per row of the array
    m, nt = grid.shape
    full = bool(sub.mask.all())
    prof = np.empty((m, nt))
    y2 = sub.y * sub.y
    for j in range(m):
        prof[j] = _profile_loglik(sub, grid[j], method, full, y2)
    prof[~np.isfinite(prof)] = -np.inf
    # local maxima of the profile along tau² (strictly above the left neighbour)
    peaks = np.empty((m, nt), dtype=bool)
    peaks[0] = prof[0] >= prof[1]
    peaks[1:-1] = (prof[1:-1] > prof[:-2] + LL_TOL) & (prof[1:-1] >= prof[2:])
    peaks[-1] = prof[-1] > prof[-2] + LL_TOL
    many = np.count_nonzero(peaks, axis=0) > 1
    j1 = np.argmax(prof, axis=0)
    second = np.flatnonzero(many)
    if second.size:
        masked = np.where(peaks[:, second], prof[:, second], -np.inf)
        masked[j1[second], np.arange(second.size)] = -np.inf
        j2 = np.argmax(masked, axis=0)
        which = np.concatenate([np.arange(nt), second])
        j = np.concatenate([j1, j2])
    else:
        which, j = np.arange(nt), j1
    jm, jp = np.maximum(j - 1, 0), np.minimum(j + 1, m - 1)
    x1 = grid[j, which]
    lo = np.where(j > 0, grid[jm, which], 0.0)
    hi = np.where(j < m - 1, grid[jp, which], 1e3 * grid[m - 1, which])
    # start at the vertex of the parabola through the best grid point and its neighbours
    x0, x2 = lo, hi
    f0, f1, f2 = prof[jm, which], prof[j, which], prof[jp, which]
    with np.errstate(divide="ignore", invalid="ignore"):
        num = (x1 - x0) ** 2 * (f1 - f2) - (x1 - x2) ** 2 * (f1 - f0)
        den = (x1 - x0) * (f1 - f2) - (x1 - x2) * (f1 - f0)
        vertex = x1 - 0.5 * num / den
    inside = (j > 0) & (j < m - 1) & (vertex > x0) & (vertex < x2)
    start = np.where(inside, vertex, x1)
    cand_rows = sub.take(which) if which.size != todo.size else sub
    scale = _harmonic_v(cand_rows)
    est, conv = _bracketed_max(cand_rows, method, start, lo, hi, scale)
    est = np.where(est <= REL_TOL * scale, 0.0, est)  # below the stopping precision: the boundary
    best, best_conv = est[: todo.size], conv[: todo.size]
    if second.size:
        ll_est = _profile_loglik(cand_rows, est, method)
        better = ll_est[todo.size:] > ll_est[second] + LL_TOL
        best[second] = np.where(better, est[todo.size:], best[second])
        best_conv[second] = np.where(better, conv[todo.size:], best_conv[second])
    tau2[todo] = best
    converged[todo] = best_conv
    multimodal[todo] = many
    return tau2, converged, multimodal


def _se_tau2_rows(rows: _Rows, tau2: np.ndarray, method: str) -> np.ndarray:
    """Compute the standard error of tau² as metafor reports it (Fisher information or moment variance)."""
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


_ROW_ESTIMATORS: dict[str, Callable[[_Rows], np.ndarray]] = {
    "DL": _tau2_dl,
    "HE": _tau2_he,
    "SJ": _tau2_sj,
}


def _tau2_rows(rows: _Rows, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tau² per row (vectorised) for any method; k = 1 rows get NaN.

    Returns (tau2, converged, multimodal); ``multimodal`` is only ever True for ML/REML.
    """
    n = rows.k.size
    multimodal = np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "FE":
            tau2, conv = np.zeros(n), np.ones(n, dtype=bool)
        elif method in ("ML", "REML"):
            tau2, conv, multimodal = _tau2_ml_reml(rows, method)
        elif method == "PM":
            tau2, conv = _tau2_pm(rows)
        else:
            tau2 = _ROW_ESTIMATORS[method](rows)
            conv = np.ones(n, dtype=bool)
    return np.where(rows.k > 1, tau2, np.nan), conv, multimodal


# --------------------------------------------------------------------------------------------
# statsmodels (DL, PM for a single meta-analysis) and the meta-regression used by bias.py


def _tau2_statsmodels(y: np.ndarray, v: np.ndarray, method: str) -> tuple[float, bool]:
    """DL or PM tau² from statsmodels ``combine_effects``, with metafor's truncation and a check.

    DL: statsmodels returns (Q − df)/c without truncation; here max(0, ·) [dersimonian1986].
    PM: statsmodels' Newton iteration (``method_re="iterated"``); the root is verified against
    Q_gen(tau²) = k − 1 and recomputed with scipy's brentq if the check fails [paule1982].
    """
    from statsmodels.stats.meta_analysis import combine_effects

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
    DL, HE, ML or REML (Fisher scoring as metafor, with the scale-free stopping rule of this
    module and metafor's check of tau² = 0) [viechtbauer2005]; then β = (XᵀWX)⁻¹XᵀWy,
    Var(β) = (XᵀWX)⁻¹ with W = diag(1/(v + tau²)). Used by :func:`jakmeta.stats.bias.egger_test`
    (``model="rma"``). Returns (beta, vcov, tau2, converged).
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


#: metafor's tolerance of the log-likelihood check at tau² = 0 (meta-regression only).
LL0_TOL = np.finfo(float).eps ** 0.25


def _fisher_scoring_matrix(ymc, v, X, method, start, proj) -> tuple[float, bool]:
    """Fisher scoring for ML/REML with a general model matrix X.

    The matrix form of :func:`_score_and_information`, with metafor's restart with half steps and
    its check at tau² = 0.
    """
    k, p = X.shape
    converged = False
    scale = k / float(np.sum(1 / v))
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
            if not np.isfinite(adj):
                break
            old, tau2 = tau2, tau2 + adj
            if iteration > MAXITER:
                break
            if abs(tau2 - old) <= REL_TOL * (tau2 + scale):
                converged = True
                break
        if converged:
            break
    if converged and tau2 > 0:

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
