"""Which pooled estimate is the headline when there are few trials?

The pre-specified few-studies rule of the book (methods chapter):

- **k = 1**: no pooling; the single trial's estimate with its Wald 95 % CI.
- **2 <= k < 5** (:data:`FEW_STUDIES_THRESHOLD` = 5): the headline is the Bayesian random-effects
  estimate with a weakly informative half-normal prior on τ (scale 0.5 on the log OR / log RR
  scale, :data:`TAU_PRIOR_SCALE`), from :func:`jakmeta.bayes.pool_bayes`
  (:cite:`friede2017`, :cite:`rover2021`). With so few trials τ² is barely estimable: the
  Hartung-Knapp-Sidik-Jonkman (HKSJ) interval then uses a t quantile with k - 1 degrees of freedom
  (12.7 for k = 2) and can be uninformatively wide, while the Wald random-effects and common-effect
  intervals are too narrow when the trials differ (Cochrane Handbook 10.10.4,
  :cite:`cochrane_handbook_ch10`; :cite:`bender2018`). The weakly informative prior says what
  is plausible for heterogeneity between trials of one drug class in one disease and lets the
  data update it.
- **k >= 5**: random effects, REML τ² with the HKSJ interval (the primary analysis of Liu et al.).

Whatever the headline, :func:`model_table` shows it beside the common-effect estimate
(Mantel-Haenszel for counts, inverse variance for means) and REML + HKSJ, and :func:`why_they_differ`
says in numbers why the intervals differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from jakmeta.analysis import Analysis, reporting_scale
from jakmeta.pooling import mantel_haenszel, pool

#: Below this number of trials the headline is the Bayesian estimate, not REML + HKSJ.
FEW_STUDIES_THRESHOLD = 5

#: Scale of the half-normal prior on τ: 0.5 on the log OR / log RR scale (Röver et al. 2021:
#: "weakly informative" for log odds ratios; Friede et al. 2017). For a mean difference in SALT
#: points the scale is 10 points (the threshold of an important effect, THRESHOLDS in certainty).
TAU_PRIOR_SCALE = {"OR": 0.5, "RR": 0.5, "MD": 10.0}

LEVEL = 0.95


def pool_bayes(yi, vi, tau_scale: float, level: float = LEVEL):
    """Call the engine's Bayesian random-effects model (half-normal prior on τ)."""
    try:
        from jakmeta.bayes import pool_bayes as engine
    except ImportError as err:  # the engine issue supplies it
        raise RuntimeError(
            "jakmeta.bayes.pool_bayes is missing: the few-studies rule (2 <= k < "
            f"{FEW_STUDIES_THRESHOLD}) needs the Bayesian random-effects model of the engine "
            "(src/jakmeta/bayes.py).") from err
    return engine(np.asarray(yi, float), np.asarray(vi, float), tau_prior="half-normal",
                  tau_scale=tau_scale, level=level)


def _get(result, name: str, default=float("nan")) -> float:
    value = result.get(name, default) if isinstance(result, dict) else getattr(result, name, default)
    return float(value) if value is not None else default


@dataclass(frozen=True)
class Headline:
    """The headline estimate of an analysis (analysis scale: log OR / log RR / MD)."""

    model: str
    rule: str
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float = float("nan")
    pi_high: float = float("nan")
    tau: float = float("nan")


def rule_for(k: int) -> str:
    """Which rule applies to ``k`` trials: 'single trial', 'few trials' or 'enough trials'."""
    if k <= 1:
        return "single trial"
    return "few trials" if k < FEW_STUDIES_THRESHOLD else "enough trials"


def headline(a: Analysis) -> Headline | None:
    """The headline estimate of ``a`` by the few-studies rule (None without data)."""
    if a.result is None or a.k == 0:
        return None
    y, v = a.table["yi"].to_numpy(float), a.table["vi"].to_numpy(float)
    rule = rule_for(a.k)
    if rule == "single trial":
        z = stats.norm.ppf(0.5 + LEVEL / 2)
        se = math.sqrt(v[0])
        return Headline("Single trial (Wald)", rule, y[0], y[0] - z * se, y[0] + z * se)
    if rule == "few trials":
        scale = TAU_PRIOR_SCALE[a.measure]
        try:
            b = pool_bayes(y, v, scale)
        except ValueError as err:  # the engine refuses the input: say so, fall back to REML + HKSJ
            r = pool(y, v, method="REML", ci="hksj", level=LEVEL)
            return Headline(f"Random effects, REML τ², HKSJ interval (Bayesian model not computable: {err})",
                            "enough trials", r.estimate, r.ci_low, r.ci_high, r.pi_low, r.pi_high, math.sqrt(r.tau2))
        return Headline(f"Bayesian random effects, half-normal({scale:g}) prior on τ", rule,
                        _get(b, "estimate"), _get(b, "ci_low"), _get(b, "ci_high"),
                        _get(b, "pi_low"), _get(b, "pi_high"), _get(b, "tau_median"))
    r = pool(y, v, method="REML", ci="hksj", level=LEVEL)
    return Headline("Random effects, REML τ², HKSJ interval", rule, r.estimate, r.ci_low, r.ci_high,
                    r.pi_low, r.pi_high, math.sqrt(r.tau2))


def common_effect(a: Analysis):
    """Common-effect estimate: Mantel-Haenszel for counts (OR/RR), inverse variance otherwise."""
    if "events_t" in a.table and a.measure in ("OR", "RR"):
        t = a.table
        try:
            return "Common effect, Mantel-Haenszel", mantel_haenszel(
                t["events_t"].to_numpy(int), t["n_t"].to_numpy(int), t["events_c"].to_numpy(int),
                t["n_c"].to_numpy(int), measure=a.measure, level=LEVEL)
        except ValueError:  # MH undefined when every table has a zero in the same place
            pass
    return "Common effect, inverse variance", pool(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(),
                                                   method="FE", ci="z", level=LEVEL)



def model_table(a: Analysis) -> pd.DataFrame:
    """The headline beside the common-effect and REML + HKSJ estimates (reporting scale)."""
    if a.result is None or a.k < 2:
        return pd.DataFrame(columns=["model", "headline", "estimate", "ci_low", "ci_high", "ci_ratio"])
    tr = reporting_scale(a.measure)
    y, v = a.table["yi"].to_numpy(float), a.table["vi"].to_numpy(float)
    h = headline(a)
    fits = [(h.model, h.estimate, h.ci_low, h.ci_high)]
    name, ce = common_effect(a)
    fits.append((name, ce.estimate, ce.ci_low, ce.ci_high))
    if h.rule != "enough trials":
        r = pool(y, v, method="REML", ci="hksj", level=LEVEL)
        fits.append(("Random effects, REML τ², HKSJ interval", r.estimate, r.ci_low, r.ci_high))
    else:
        scale = TAU_PRIOR_SCALE[a.measure]
        try:
            b = pool_bayes(y, v, scale)
            fits.append((f"Bayesian random effects, half-normal({scale:g}) prior on τ", _get(b, "estimate"),
                         _get(b, "ci_low"), _get(b, "ci_high")))
        except ValueError:
            pass
    rows = []
    for i, (model, est, low, high) in enumerate(fits):
        rows.append({"model": model, "headline": "yes" if i == 0 else "", "estimate": tr(est),
                     "ci_low": tr(low), "ci_high": tr(high),
                     "ci_ratio": tr(high) / tr(low) if a.measure in ("OR", "RR") else high - low})
    return pd.DataFrame(rows)


def hksj_quantile(k: int, level: float = LEVEL) -> float:
    """The t quantile of the HKSJ interval with k - 1 degrees of freedom."""
    return float(stats.t.ppf(0.5 + level / 2, k - 1))


def why_they_differ(a: Analysis) -> str:
    """A sentence, computed, on why the headline, common-effect and HKSJ intervals differ."""
    from jakmeta import wording

    if a.result is None or a.k < 2:
        return "With fewer than two trials there is nothing to pool, so the models cannot differ."
    table = model_table(a)
    ratio_scale = a.measure in ("OR", "RR")
    width = (lambda r: math.log(r["ci_high"] / r["ci_low"])) if ratio_scale else (lambda r: r["ci_high"] - r["ci_low"])
    head, ce = table.iloc[0], table.iloc[1]
    hksj = table[table["model"].str.startswith("Random effects, REML")].iloc[-1]
    t = hksj_quantile(a.k)
    z = stats.norm.ppf(0.5 + LEVEL / 2)
    tau2 = a.result.tau2 if a.settings.get("method") == "REML" else pool(
        a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), method="REML").tau2
    text = (f"With {wording.spell(a.k)} trials the HKSJ interval multiplies its standard error by the "
            f"t quantile with {a.k - 1} degree{'s' if a.k != 2 else ''} of freedom, {t:.1f}, instead of "
            f"the normal {z:.2f}; its interval is {wording.compare_widths(width(ce), width(hksj))} the "
            f"common-effect interval (on the {'log ' if ratio_scale else ''}scale of the analysis). ")
    text += (f"The common-effect model assumes that all trials estimate one effect (REML estimates "
             f"τ² = {tau2:.2f}), so its interval reflects only the {a.n_participants:,} participants, "
             f"not the uncertainty about differences between trials. ")
    bayes = table[table["model"].str.startswith("Bayesian")]
    if not head["model"].startswith("Bayesian") and len(bayes):
        text += (f"With {a.k} trials the headline is REML + HKSJ; the Bayesian model with the weakly informative "
                 f"prior on τ, shown for comparison, gives an interval "
                 f"{wording.compare_widths(width(hksj), width(bayes.iloc[0]))} the HKSJ one.")
    if head["model"].startswith("Bayesian"):
        text += ("The Bayesian model lets τ be uncertain but uses the weakly informative prior to "
                 "rule out implausibly large heterogeneity; its interval is "
                 f"{wording.compare_widths(width(ce), width(head))} the common-effect one and "
                 f"{wording.compare_widths(width(hksj), width(head))} the HKSJ one.")
    return text
