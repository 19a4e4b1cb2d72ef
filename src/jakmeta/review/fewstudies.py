"""Which pooled estimate is the headline, for any number of trials?

The book's rule (protocol ``data/analyses.csv``, columns ``model`` and ``tau_prior``; methods
chapter; amendment ``bayes_all_k`` of 2026-12-03, which replaced the few-studies rule of
2026-12-01 with its threshold at k = 5):

- **k = 1**: no pooling; the single trial's estimate with its Wald 95 % CI.
- **k >= 2, model ``bayes``**: the Bayesian random-effects (normal-normal) estimate with a weakly
  informative half-normal prior on τ (scale 0.5 on the log OR / log RR scale, 10 SALT points for a
  mean difference; :data:`TAU_PRIOR_SCALE`) and a flat prior on the mean, from
  :func:`jakmeta.stats.bayes.pool_bayes` (:cite:`friede2017`, :cite:`rover2021`). One model for every
  k, so that adding or removing a trial never switches the method. With few trials τ² is barely
  estimable: the Hartung-Knapp-Sidik-Jonkman (HKSJ) interval then uses a t quantile with k - 1
  degrees of freedom (12.7 for k = 2) and can be uninformatively wide, while the Wald
  random-effects and common-effect intervals are too narrow when the trials differ (Cochrane
  Handbook 10.10.4, :cite:`cochrane_handbook_ch10`; :cite:`bender2018`).
- **k >= 2, model ``mh``** (rare-event harms): the Mantel-Haenszel common-effect estimate without
  continuity correction, as the Cochrane Handbook 10.4.4 recommends for rare events
  (:cite:`cochrane_handbook_ch10`, :cite:`bradburn2007`).
- **model ``reml-hksj``**: REML τ² with the HKSJ interval (Liu et al.'s analysis; sensitivity rows).

Whatever the headline, :func:`model_table` shows it beside REML + HKSJ, REML + modified HKSJ,
DerSimonian-Laird (Wald), Mantel-Haenszel (counts) or inverse-variance common effect (means), and
the Bayesian model where it is not the headline, at every k >= 2; :func:`why_they_differ` says in
numbers why the intervals differ, and :func:`prior_sensitivity` repeats the Bayesian model under
other priors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from jakmeta.review.analysis import Analysis, reporting_scale
from jakmeta.stats import mantel_haenszel, pool

#: The few-studies threshold of the rule of 2026-12-01 (replaced 2026-12-03): kept only so that the
#: protocol page can describe the old rule. No analysis uses it.
FEW_STUDIES_THRESHOLD = 5

#: Scale of the half-normal prior on τ: 0.5 on the log OR / log RR scale (Röver et al. 2021:
#: "weakly informative" for log odds ratios; Friede et al. 2017). For a mean difference in SALT
#: points the scale is 10 points (the threshold of an important effect, THRESHOLDS in certainty).
TAU_PRIOR_SCALE = {"OR": 0.5, "RR": 0.5, "MD": 10.0}

#: Turner et al. (2015, Table IV) predictive log-normal distributions for τ² (log OR), comparisons of
#: a drug with placebo: outcomes "signs / symptoms reflecting continuation / end of condition"
#: (hair regrowth) LN(-2.06, 1.51²) and "adverse events" LN(-1.87, 1.52²); as a prior on τ:
#: log-normal(μ/2, σ/2) :cite:`turner2015`.
TURNER_PRIORS = {"efficacy": ("log-normal", -2.06 / 2, 1.51 / 2), "harms": ("log-normal", -1.87 / 2, 1.52 / 2)}

#: Model names as the book prints them.
MODEL_NAMES = {"mh": "Common effect, Mantel-Haenszel without continuity correction",
               "reml-hksj": "Random effects, REML τ², HKSJ interval",
               "reml-mhksj": "Random effects, REML τ², modified HKSJ interval",
               "dl-wald": "Random effects, DerSimonian-Laird τ², Wald interval",
               "iv": "Common effect, inverse variance"}

LEVEL = 0.95


def pool_bayes(yi, vi, tau_scale: float | tuple, level: float = LEVEL):
    """Call the engine's Bayesian random-effects model: a half-normal prior on τ with scale
    ``tau_scale``, or the prior ``tau_scale`` itself when it is a tuple such as ``("half-cauchy", 1.0)``."""
    try:
        from jakmeta.stats.bayes import pool_bayes as engine
    except ImportError as err:  # the engine issue supplies it
        raise RuntimeError(
            "jakmeta.stats.bayes.pool_bayes is missing: the headline model needs the Bayesian "
            "random-effects model of the engine (src/jakmeta/bayes.py).") from err
    if isinstance(tau_scale, tuple):
        return engine(np.asarray(yi, float), np.asarray(vi, float), tau_prior=tau_scale, level=level)
    return engine(np.asarray(yi, float), np.asarray(vi, float), tau_prior="half-normal",
                  tau_scale=tau_scale, level=level)


def prior_name(prior: tuple) -> str:
    """('half-normal', 0.5) -> 'half-normal(0.5)'."""
    return f"{prior[0]}({', '.join(f'{p:.3g}' for p in prior[1:])})"


def bayes_name(prior: tuple) -> str:
    return f"Bayesian random effects, {prior_name(prior)} prior on τ"


def default_prior(measure: str) -> tuple:
    """The primary prior on τ for a measure: half-normal with :data:`TAU_PRIOR_SCALE`."""
    return ("half-normal", TAU_PRIOR_SCALE[measure])


def prior_of(a: Analysis) -> tuple:
    """The prior on τ of an analysis: its protocol's (``settings['tau_prior']``) or the default."""
    prior = a.settings.get("tau_prior") if a.settings else None
    return tuple(prior) if prior else default_prior(a.measure)


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
    """Which rule applies to ``k`` trials: 'single trial' (k <= 1) or 'pooled' (k >= 2); one model
    for every k >= 2 (no threshold)."""
    return "single trial" if k <= 1 else "pooled"


def model_of(a: Analysis) -> str:
    """The headline model code of an analysis: ``settings['model']`` (protocol) or ``bayes``."""
    return (a.settings.get("model") if a.settings else None) or "bayes"


def _mh(a: Analysis):
    t = a.table
    return mantel_haenszel(t["events_t"].to_numpy(int), t["n_t"].to_numpy(int), t["events_c"].to_numpy(int),
                           t["n_c"].to_numpy(int), measure=a.measure, level=LEVEL)


def _from_pool(model: str, rule: str, r) -> Headline:
    tau = math.sqrt(r.tau2) if np.isfinite(r.tau2) else float("nan")
    return Headline(model, rule, r.estimate, r.ci_low, r.ci_high, r.pi_low, r.pi_high, tau)


def _bayes_headline(a: Analysis, prior: tuple, rule: str) -> Headline:
    y, v = a.table["yi"].to_numpy(float), a.table["vi"].to_numpy(float)
    b = pool_bayes(y, v, prior)
    return Headline(bayes_name(prior), rule, _get(b, "estimate"), _get(b, "ci_low"), _get(b, "ci_high"),
                    _get(b, "pi_low"), _get(b, "pi_high"), _get(b, "tau_median"))


def headline(a: Analysis) -> Headline | None:
    """The headline estimate of ``a`` by the protocol's model (None without data)."""
    if a.result is None or a.k == 0:
        return None
    y, v = a.table["yi"].to_numpy(float), a.table["vi"].to_numpy(float)
    rule = rule_for(a.k)
    if rule == "single trial":
        z = stats.norm.ppf(0.5 + LEVEL / 2)
        se = math.sqrt(v[0])
        return Headline("Single trial (Wald)", rule, y[0], y[0] - z * se, y[0] + z * se)
    model = model_of(a)
    if model == "mh" and "events_t" in a.table and a.measure in ("OR", "RR"):
        try:
            return _from_pool(MODEL_NAMES["mh"], rule, _mh(a))
        except ValueError as err:  # MH undefined (no events in one arm of every trial): say so, fall back
            h = _bayes_headline(a, prior_of(a), rule)
            return Headline(f"{h.model} (Mantel-Haenszel not computable: {err})", rule, h.estimate, h.ci_low,
                            h.ci_high, h.pi_low, h.pi_high, h.tau)
    if model == "reml-hksj":
        return _from_pool(MODEL_NAMES["reml-hksj"], rule, pool(y, v, method="REML", ci="hksj", level=LEVEL))
    if model == "random-effects":  # a reviewer's override: the fit of settings' method and ci
        method, ci = a.settings.get("method", "REML"), a.settings.get("ci", "hksj")
        return _from_pool(f"Random effects, {method} τ², {ci} interval", rule,
                          pool(y, v, method=method, ci=ci, level=LEVEL))
    try:
        return _bayes_headline(a, prior_of(a), rule)
    except ValueError as err:  # the engine refuses the input: say so, fall back to REML + HKSJ
        r = pool(y, v, method="REML", ci="hksj", level=LEVEL)
        return _from_pool(f"{MODEL_NAMES['reml-hksj']} (Bayesian model not computable: {err})", rule, r)


def comparisons_where(a: Analysis, column: str, value) -> Analysis:
    """The comparisons of ``a`` whose ``column`` equals ``value`` (e.g. one drug of a class row),
    as an analysis with the same settings, re-fitted with ``a``'s τ² method and interval (not
    :func:`jakmeta.stats.subgroup_analysis`, which tests the difference between subgroups)."""
    sub = a.table[a.table[column] == value].reset_index(drop=True)
    if not len(sub):
        return replace(a, table=sub, result=None, excluded=a.excluded.iloc[0:0])
    result = pool(sub["yi"].to_numpy(float), sub["vi"].to_numpy(float), method=a.settings.get("method", "REML"),
                  ci=a.settings.get("ci", "hksj"), level=LEVEL)
    return replace(a, table=sub, result=result, excluded=a.excluded.iloc[0:0])


def subgroup_headlines(a: Analysis, column: str = "drug") -> dict[str, Headline]:
    """Subtotals of a pool that mixes drugs (or doses): for each value of ``column`` with at least
    two comparisons, :func:`headline` of those comparisons alone, by the row's own model (so a
    drug's subtotal in a class row is the estimate the drug's own row gives when it rests on the
    same comparisons). Empty when the pool has one value of ``column``."""
    if a.result is None or a.k < 2 or column not in a.table or a.table[column].nunique() < 2:
        return {}
    counts = a.table[column].value_counts()
    return {g: headline(comparisons_where(a, column, g)) for g in dict.fromkeys(a.table[column]) if counts[g] >= 2}


def common_effect(a: Analysis):
    """Common-effect estimate: Mantel-Haenszel for counts (OR/RR), inverse variance otherwise."""
    if "events_t" in a.table and a.measure in ("OR", "RR"):
        t = a.table
        try:
            return MODEL_NAMES["mh"], mantel_haenszel(
                t["events_t"].to_numpy(int), t["n_t"].to_numpy(int), t["events_c"].to_numpy(int),
                t["n_c"].to_numpy(int), measure=a.measure, level=LEVEL)
        except ValueError:  # MH undefined when every table has a zero in the same place
            pass
    return MODEL_NAMES["iv"], pool(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(),
                                 method="FE", ci="z", level=LEVEL)


def model_fits(a: Analysis) -> list[tuple[str, float, float, float]]:
    """(model, estimate, ci_low, ci_high) on the analysis scale: the headline first, then every
    sensitivity model at every k >= 2 (REML + HKSJ, REML + modified HKSJ, DerSimonian-Laird with a
    Wald interval, the common-effect model, and the Bayesian model where it is not the headline)."""
    if a.result is None or a.k < 2:
        return []
    y, v = a.table["yi"].to_numpy(float), a.table["vi"].to_numpy(float)
    h = headline(a)
    fits = [(h.model, h.estimate, h.ci_low, h.ci_high)]
    for code, method, ci in (("reml-hksj", "REML", "hksj"), ("reml-mhksj", "REML", "hksj-adhoc"),
                             ("dl-wald", "DL", "z")):
        r = pool(y, v, method=method, ci=ci, level=LEVEL)
        fits.append((MODEL_NAMES[code], r.estimate, r.ci_low, r.ci_high))
    name, ce = common_effect(a)
    fits.append((name, ce.estimate, ce.ci_low, ce.ci_high))
    if not h.model.startswith("Bayesian"):
        try:
            prior = prior_of(a)
            b = pool_bayes(y, v, prior)
            label = bayes_name(prior) + (" (0.5 zero-cell correction)" if (
                "events_t" in a.table and ((a.table[["events_t", "events_c"]] == 0).any(axis=None))) else "")
            fits.append((label, _get(b, "estimate"), _get(b, "ci_low"), _get(b, "ci_high")))
        except ValueError:
            pass
    seen, out = set(), []
    for fit in fits:  # the headline is not repeated as a sensitivity model
        if fit[0] not in seen:
            seen.add(fit[0])
            out.append(fit)
    return out


def model_table(a: Analysis) -> pd.DataFrame:
    """The headline beside every sensitivity model (reporting scale), at every k >= 2."""
    columns = ["model", "headline", "estimate", "ci_low", "ci_high", "ci_ratio"]
    fits = model_fits(a)
    if not fits:
        return pd.DataFrame(columns=columns)
    tr = reporting_scale(a.measure)
    rows = []
    for i, (model, est, low, high) in enumerate(fits):
        rows.append({"model": model, "headline": "yes" if i == 0 else "", "estimate": tr(est),
                     "ci_low": tr(low), "ci_high": tr(high),
                     "ci_ratio": tr(high) / tr(low) if a.measure in ("OR", "RR") else high - low})
    return pd.DataFrame(rows, columns=columns)


def hksj_quantile(k: int, level: float = LEVEL) -> float:
    """The t quantile of the HKSJ interval with k - 1 degrees of freedom."""
    return float(stats.t.ppf(0.5 + level / 2, k - 1))


def why_they_differ(a: Analysis) -> str:
    """A sentence, computed, on why the headline, common-effect and HKSJ intervals differ."""
    from jakmeta.review import wording

    if a.result is None or a.k < 2:
        return "With fewer than two trials there is nothing to pool, so the models cannot differ."
    table = model_table(a)
    ratio_scale = a.measure in ("OR", "RR")
    width = (lambda r: math.log(r["ci_high"] / r["ci_low"])) if ratio_scale else (lambda r: r["ci_high"] - r["ci_low"])
    head = table.iloc[0]
    ce = table[table["model"].str.startswith("Common effect")].iloc[0]
    hksj = table[table["model"] == MODEL_NAMES["reml-hksj"]].iloc[0]
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
    if head["model"].startswith("Bayesian"):
        text += ("The headline Bayesian model lets τ be uncertain but uses the weakly informative prior to "
                 "rule out implausibly large heterogeneity; its interval is "
                 f"{wording.compare_widths(width(ce), width(head))} the common-effect one and "
                 f"{wording.compare_widths(width(hksj), width(head))} the HKSJ one.")
    elif head["model"].startswith("Common effect, Mantel-Haenszel"):
        text += ("For these rare events the headline is the Mantel-Haenszel estimate without continuity "
                 "correction (Cochrane Handbook 10.4.4); the random-effects models rest on per-trial "
                 "estimates with 0.5 added to zero cells, which pulls ratios towards 1 and inflates their variances.")
    return text
