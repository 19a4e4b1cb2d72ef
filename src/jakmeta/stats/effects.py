"""Per-study effect sizes, and the merging of the arms of multi-arm trials.

Log odds ratio, log risk ratio, risk difference, Peto log odds ratio, mean difference and
standardised mean difference (Hedges' g).

Where each part comes from
--------------------------
Everything here is written with numpy/scipy and mirrors metafor's ``escalc`` [viechtbauer2010]
so that the numbers match the metafor reference cases (``tests/reference``):

- Zero cells: ``add=0.5`` is added to all four cells of a study with any zero cell (metafor
  ``add=1/2, to="only0"``) for OR, RR, RD and Peto; double-zero studies (no events in either arm,
  or only events in both arms) are kept unless ``drop00=True`` [cochrane_handbook_ch10].
  statsmodels' ``effectsize_2proportions(zero_correction=...)`` is *not* used because it adds the
  constant to the events of every study but to the totals of zero-cell studies only, which is
  inconsistent with metafor, meta and RevMan.
- SMD: Hedges' g with the exact bias correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)), m = n1+n2−2
  [hedges1981], large-sample variance (metafor ``vtype="LS"``) or the unbiased one (``"UB"``).
  statsmodels' ``effectsize_smd`` uses the approximate J = 1 − 3/(4N−9) (as R's meta does), so it
  differs in the 6th digit; it is not used.
- Multi-arm trials: arms are merged with the Cochrane Handbook formulae (Table 6.5.a)
  [cochrane_handbook_ch6].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from jakmeta.stats import _validate

BINARY_MEASURES = ("OR", "RR", "RD", "PETO")
CONTINUOUS_MEASURES = ("MD", "SMD")
SMD_VTYPES = ("LS", "UB")


@dataclass(frozen=True, eq=False)
class EffectSizes:
    """Per-study effect sizes ``yi`` with sampling variances ``vi``.

    Returned by :func:`binary_effects` and :func:`continuous_effects`, with the values of
    metafor's ``escalc`` [viechtbauer2010]. The arrays are read-only (the dataclass is frozen);
    copy them to modify.

    Attributes
    ----------
    yi : numpy.ndarray
        Effect sizes; OR and RR (and Peto's OR) on the log scale.
    vi : numpy.ndarray
        Their sampling variances.
    measure : str
        "OR", "RR", "RD", "PETO", "MD" or "SMD".
    index : numpy.ndarray
        For each returned study, its position in the input (studies dropped with
        ``drop00=True`` are absent).
    n_total : numpy.ndarray
        n_t + n_c per study (used by the sample-size predictors of
        :func:`jakmeta.stats.bias.egger_test`).
    corrected : numpy.ndarray
        True for the studies that received the zero-cell correction.
    dropped : numpy.ndarray
        Input positions of the studies dropped with ``drop00=True``.

    References
    ----------
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    """

    yi: np.ndarray
    vi: np.ndarray
    measure: str
    index: np.ndarray
    n_total: np.ndarray
    corrected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def sei(self) -> np.ndarray:
        """Standard errors, sqrt(vi)."""
        return np.sqrt(self.vi)

    @property
    def k(self) -> int:
        """Number of studies returned."""
        return int(self.yi.size)

    def to_frame(self):
        """Return the effect sizes as a table.

        Returns
        -------
        pandas.DataFrame
            One row per returned study: ``study`` (its input position), ``yi``, ``vi``, ``sei``,
            ``n_total`` and ``corrected``.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "study": self.index,
                "yi": self.yi,
                "vi": self.vi,
                "sei": self.sei,
                "n_total": self.n_total,
                "corrected": self.corrected,
            }
        )


def _readonly(*arrays: np.ndarray) -> None:
    for arr in arrays:
        arr.setflags(write=False)


def _two_by_two(events_t, n_t, events_c, n_c) -> tuple[np.ndarray, ...]:
    """Validate 2x2 counts and return the cells a, b, c, d (events and non-events per arm) as floats."""
    a = _validate.counts("events_t", events_t)
    n1 = _validate.totals("n_t", n_t)
    c = _validate.counts("events_c", events_c)
    n2 = _validate.totals("n_c", n_c)
    _validate.same_length(events_t=a, n_t=n1, events_c=c, n_c=n2)
    _validate.nonempty("events_t", a)
    _validate.events_within_totals("events_t", a, "n_t", n1)
    _validate.events_within_totals("events_c", c, "n_c", n2)
    return a, n1 - a, c, n2 - c


def _double_zero(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Flag double-zero studies: (a = c = 0) or (b = d = 0).

    No events, or only events, in both arms (metafor's ``drop00``) [viechtbauer2010;
    cochrane_handbook_ch10].
    """
    return ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))


def binary_effects(
    events_t,
    n_t,
    events_c,
    n_c,
    measure: str = "OR",
    *,
    add: float = 0.5,
    drop00: bool = False,
) -> EffectSizes:
    """Log OR, log RR, RD or Peto log OR with variances from 2x2 counts [cochrane_handbook_ch6].

    Formulas with a, b, c, d = events and non-events in the treatment and control arms:
    OR: yi = log(ad/bc), vi = 1/a+1/b+1/c+1/d; RR: yi = log((a/n1)/(c/n2)), vi = 1/a−1/n1+1/c−1/n2;
    RD: yi = a/n1 − c/n2, vi = ab/n1³ + cd/n2³; PETO: yi = (a−E)/V, vi = 1/V [yusuf1985].

    Zero cells: ``add`` (default 0.5) is added to all four cells of a study with any zero cell
    (metafor ``add=1/2, to="only0"``) [viechtbauer2010; cochrane_handbook_ch10]. Double-zero
    studies are kept (and corrected) unless ``drop00=True``.

    Parameters
    ----------
    events_t, n_t : array_like
        Events and participants in the treatment arm of each study.
    events_c, n_c : array_like
        Events and participants in the control arm, same length.
    measure : {"OR", "RR", "RD", "PETO"}
        The effect measure (default "OR").
    add : float
        Zero-cell correction, a finite number ≥ 0 (default 0.5).
    drop00 : bool
        Drop double-zero studies (no events, or only events, in both arms) instead of
        correcting them (default False).

    Returns
    -------
    EffectSizes
        ``yi`` and ``vi`` per study (log scale for OR, RR and PETO); dropped studies are listed
        in ``dropped``, corrected ones flagged in ``corrected``.

    Raises
    ------
    ValueError
        For bad counts (not whole numbers, negative, events above totals, lengths), an unknown
        measure, a bad ``add``, no study left after ``drop00``, or an undefined effect (with
        ``add=0`` a zero cell makes log OR / log RR undefined).

    References
    ----------
    .. [cochrane_handbook_ch6] Higgins et al. (2024). Chapter 6: Choosing effect measures and
       computing estimates of effect. Cochrane Handbook for Systematic Reviews of Interventions,
       version 6.5.
    .. [yusuf1985] Yusuf et al. (1985). Beta blockade during and after myocardial infarction: an
       overview of the randomized trials. Progress in Cardiovascular Diseases 27:335–371.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    .. [cochrane_handbook_ch10] Deeks et al. (2024). Chapter 10: Analysing data and undertaking
       meta-analyses. Cochrane Handbook for Systematic Reviews of Interventions, version 6.5.
    """
    _validate.choice("measure", measure, BINARY_MEASURES)
    a, b, c, d = _two_by_two(events_t, n_t, events_c, n_c)
    add_value = float(add)
    if not np.isfinite(add_value) or add_value < 0:
        raise ValueError(f"add must be a finite number >= 0 (metafor uses 0.5); got {add!r}")
    keep = ~_double_zero(a, b, c, d) if drop00 else np.ones(a.size, dtype=bool)
    if not keep.any():
        raise ValueError("all studies are double-zero and drop00=True: no study is left (k = 0)")
    index = np.flatnonzero(keep)
    dropped = np.flatnonzero(~keep)
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    n_total = a + b + c + d
    corrected = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & (add_value > 0)
    a, b, c, d = (x + add_value * corrected for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(a) + np.log(d) - np.log(b) - np.log(c)
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log(a / n1) - np.log(c / n2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "RD":
            yi = a / n1 - c / n2
            vi = a * b / n1**3 + c * d / n2**3
        else:
            yi, vi = _peto_effects(a, b, c, d)
    bad = np.flatnonzero(~np.isfinite(yi) | ~np.isfinite(vi) | ~(vi > 0))
    if bad.size:
        i = int(index[bad[0]])
        raise ValueError(
            f"study {i}: {measure} is undefined for events_t={a[bad[0]]:g}/{n1[bad[0]]:g}, "
            f"events_c={c[bad[0]]:g}/{n2[bad[0]]:g} (a zero cell with add={add_value:g}, or no "
            "variation); use add > 0 or drop00=True"
        )
    _readonly(yi, vi, index, n_total, corrected, dropped)
    return EffectSizes(yi, vi, measure, index, n_total, corrected, dropped)


def _peto_effects(a, b, c, d) -> tuple[np.ndarray, np.ndarray]:
    """Peto's one-step log OR per study: yi = (a − E)/V, vi = 1/V [yusuf1985]."""
    n1, n2 = a + b, c + d
    big_n = n1 + n2
    xt, yt = a + c, b + d
    expected = xt * n1 / big_n
    var = xt * yt * (n1 / big_n) * (n2 / big_n) / (big_n - 1)
    return (a - expected) / var, 1 / var


def _hedges_j(m: np.ndarray) -> np.ndarray:
    """Exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) [hedges1981]."""
    return np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))


def continuous_effects(
    mean_t,
    sd_t,
    n_t,
    mean_c,
    sd_c,
    n_c,
    measure: str = "MD",
    *,
    vtype: str = "LS",
) -> EffectSizes:
    """Mean difference or Hedges' g with variances from group means, SDs and sizes.

    MD: yi = m1 − m2, vi = sd1²/n1 + sd2²/n2 [cochrane_handbook_ch6].
    SMD: yi = g = J(m)·(m1 − m2)/s_pooled with the exact J [hedges1981];
    vi = 1/n1 + 1/n2 + g²/(2(n1+n2)) (``vtype="LS"``, metafor's default) or
    vi = 1/n1 + 1/n2 + (1 − (m−2)/(m·J²))·g² (``vtype="UB"``) [viechtbauer2010].

    Parameters
    ----------
    mean_t, sd_t, n_t : array_like
        Mean, standard deviation and size of the treatment group of each study.
    mean_c, sd_c, n_c : array_like
        The same for the control group, same length.
    measure : {"MD", "SMD"}
        Mean difference (default) or standardised mean difference (Hedges' g).
    vtype : {"LS", "UB"}
        Variance of the SMD: large-sample (default) or unbiased; ignored for the MD.

    Returns
    -------
    EffectSizes
        ``yi`` and ``vi`` per study (``corrected`` all False, ``dropped`` empty).

    Raises
    ------
    ValueError
        For bad input (non-finite values, negative SDs, sizes, lengths, unknown options), a zero
        variance of the MD (both SDs 0), or an undefined SMD (n_t + n_c < 4, pooled SD 0).

    References
    ----------
    .. [cochrane_handbook_ch6] Higgins et al. (2024). Chapter 6: Choosing effect measures and
       computing estimates of effect. Cochrane Handbook for Systematic Reviews of Interventions,
       version 6.5.
    .. [hedges1981] Hedges (1981). Distribution theory for Glass's estimator of effect size and
       related estimators. Journal of Educational Statistics 6:107–128.
    .. [viechtbauer2010] Viechtbauer (2010). Conducting meta-analyses in R with the metafor
       package. Journal of Statistical Software 36:1–48.
    """
    _validate.choice("measure", measure, CONTINUOUS_MEASURES)
    _validate.choice("vtype", vtype, SMD_VTYPES)
    m1, m2 = _validate.as_vector("mean_t", mean_t), _validate.as_vector("mean_c", mean_c)
    s1, s2 = _validate.as_vector("sd_t", sd_t), _validate.as_vector("sd_c", sd_c)
    n1, n2 = _validate.totals("n_t", n_t), _validate.totals("n_c", n_c)
    _validate.same_length(mean_t=m1, sd_t=s1, n_t=n1, mean_c=m2, sd_c=s2, n_c=n2)
    _validate.nonempty("mean_t", m1)
    for name, arr in (("mean_t", m1), ("mean_c", m2), ("sd_t", s1), ("sd_c", s2)):
        _validate.finite(name, arr)
    _validate.nonnegative("sd_t", s1, "standard deviations")
    _validate.nonnegative("sd_c", s2, "standard deviations")
    index = np.arange(m1.size)
    if measure == "MD":
        yi = m1 - m2
        vi = s1**2 / n1 + s2**2 / n2
        zero = np.flatnonzero(vi == 0)
        if zero.size:
            i = int(zero[0])
            raise ValueError(f"study {i}: sd_t and sd_c are both 0, so the variance of the MD is 0")
    else:
        m = n1 + n2 - 2
        small = np.flatnonzero(m < 2)
        if small.size:
            i = int(small[0])
            raise ValueError(
                f"study {i}: n_t + n_c = {n1[i] + n2[i]:g}; the SMD needs n_t + n_c >= 4 "
                "(at least 2 degrees of freedom for the pooled SD)"
            )
        sd_pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
        zero = np.flatnonzero(sd_pooled == 0)
        if zero.size:
            i = int(zero[0])
            raise ValueError(f"study {i}: the pooled SD is 0 (sd_t = sd_c = 0); the SMD is undefined")
        j = _hedges_j(m)
        yi = j * (m1 - m2) / sd_pooled
        if vtype == "LS":
            vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        else:
            vi = 1 / n1 + 1 / n2 + (1 - (m - 2) / (m * j**2)) * yi**2
    n_total = n1 + n2
    corrected = np.zeros(m1.size, dtype=bool)
    dropped = np.zeros(0, dtype=int)
    _readonly(yi, vi, index, n_total, corrected, dropped)
    return EffectSizes(yi, vi, measure, index, n_total, corrected, dropped)


@dataclass(frozen=True)
class CombinedArm:
    """One arm made from several arms of a multi-arm trial, as :func:`combine_arms` returns it.

    Either ``events`` (binary arms) or ``mean`` and ``sd`` (continuous arms) are set; the others
    are None.

    Attributes
    ----------
    n : float
        Participants in the combined arm (the sum of the arms' sizes).
    events : float or None
        Events in the combined arm (the sum), for binary arms.
    mean : float or None
        Mean of the combined arm, for continuous arms.
    sd : float or None
        Standard deviation of the combined arm (Cochrane Handbook Table 6.5.a
        [cochrane_handbook_ch6]), for continuous arms.

    References
    ----------
    .. [cochrane_handbook_ch6] Higgins et al. (2024). Chapter 6: Choosing effect measures and
       computing estimates of effect. Cochrane Handbook for Systematic Reviews of Interventions,
       version 6.5.
    """

    n: float
    events: float | None = None
    mean: float | None = None
    sd: float | None = None


def combine_arms(n, *, events=None, mean=None, sd=None) -> CombinedArm:
    """Merge the arms of a multi-arm trial (e.g. several doses) into one [cochrane_handbook_ch6].

    Binary (``events`` given): events and totals are added. Continuous (``mean`` and ``sd``
    given): Cochrane Handbook Table 6.5.a, N = N1+N2, M = (N1·M1+N2·M2)/N,
    SD = √(((N1−1)SD1² + (N2−1)SD2² + N1·N2/N·(M1² + M2² − 2·M1·M2)) / (N−1)); for more than
    two arms this is applied pairwise, which equals the closed form
    SD = √((Σ(Ni−1)SDi² + Σ Ni(Mi−M)²)/(N−1)) used here (the result does not depend on the order).

    Parameters
    ----------
    n : array_like
        Participants in each arm to merge.
    events : array_like, optional
        Events in each arm (binary arms).
    mean, sd : array_like, optional
        Mean and standard deviation of each arm (continuous arms); give both, or ``events``.

    Returns
    -------
    CombinedArm
        The merged arm: ``n`` and ``events``, or ``n``, ``mean`` and ``sd``.

    Raises
    ------
    ValueError
        When both or neither of ``events`` and ``mean``/``sd`` are given, for bad values
        (events above totals, negative SDs, lengths), or when the merged arm has fewer than 2
        participants (its SD is undefined).

    References
    ----------
    .. [cochrane_handbook_ch6] Higgins et al. (2024). Chapter 6: Choosing effect measures and
       computing estimates of effect. Cochrane Handbook for Systematic Reviews of Interventions,
       version 6.5.
    """
    sizes = _validate.totals("n", n)
    _validate.nonempty("n", sizes)
    if (events is None) == (mean is None and sd is None):
        raise ValueError("give either events (binary arms) or mean and sd (continuous arms), not both or neither")
    if events is not None:
        ev = _validate.counts("events", events)
        _validate.same_length(n=sizes, events=ev)
        _validate.events_within_totals("events", ev, "n", sizes)
        return CombinedArm(n=float(sizes.sum()), events=float(ev.sum()))
    if mean is None or sd is None:
        raise ValueError("continuous arms need both mean and sd")
    means = _validate.as_vector("mean", mean)
    sds = _validate.as_vector("sd", sd)
    _validate.same_length(n=sizes, mean=means, sd=sds)
    _validate.finite("mean", means)
    _validate.finite("sd", sds)
    _validate.nonnegative("sd", sds, "standard deviations")
    total = sizes.sum()
    if total < 2:
        raise ValueError("combined arm has fewer than 2 participants; its SD is undefined")
    grand_mean = float((sizes * means).sum() / total)
    ss = ((sizes - 1) * sds**2).sum() + (sizes * (means - grand_mean) ** 2).sum()
    return CombinedArm(n=float(total), mean=grand_mean, sd=float(np.sqrt(ss / (total - 1))))


__all__ = [
    "BINARY_MEASURES",
    "CONTINUOUS_MEASURES",
    "SMD_VTYPES",
    "CombinedArm",
    "EffectSizes",
    "binary_effects",
    "combine_arms",
    "continuous_effects",
]
