"""What the outcome chapters print for one analysis: the reporting sentence, the heterogeneity
figures and the per-trial table.

:func:`sentence` states the headline estimate of the protocol's model
(:mod:`jakmeta.review.fewstudies`, ``data/analyses.csv``), the trials and participants behind it, its direction in words from
:mod:`jakmeta.review.wording`, and the heterogeneity statistics; every number is computed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from jakmeta.evidence.labels import OUTCOME_LABELS
from jakmeta.review import wording
from jakmeta.review.analysis import Analysis, reporting_scale
from jakmeta.review.fewstudies import headline


def heterogeneity(a: Analysis) -> dict:
    """tau², I² with its Q-profile interval, Q and its p-value (NaN where k < 2)."""
    from jakmeta.stats import tau2_confint

    r = a.result
    out = {"k": a.k, "tau2": np.nan, "tau2_ci": (np.nan, np.nan), "i2": np.nan, "i2_ci": (np.nan, np.nan),
           "q": np.nan, "q_df": np.nan, "q_pvalue": np.nan}
    if r is None or a.k < 2:
        return out
    ci = tau2_confint(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), method=a.settings["method"])
    out.update(tau2=r.tau2, tau2_ci=(ci.tau2_ci_low, ci.tau2_ci_high), i2=r.i2,
               i2_ci=(ci.i2_ci_low, ci.i2_ci_high), q=r.q, q_df=r.q_df, q_pvalue=r.q_pvalue)
    return out


def _num(value: float, measure: str) -> str:
    return f"{value:.2f}" if measure in ("OR", "RR") else f"{value:.1f}"


def effect_text(a: Analysis) -> str:
    """'OR 9.41 (95% CI 5.40 to 16.43)' for the headline estimate of ``a``; '95% CrI' when the
    headline is Bayesian (:func:`jakmeta.review.certainty.interval_label`, as the Summary of Findings)."""
    from jakmeta.review.certainty import interval_label

    h = headline(a)
    tr = reporting_scale(a.measure)
    return (f"{a.measure} {_num(tr(h.estimate), a.measure)} "
            f"({interval_label(h)} {_num(tr(h.ci_low), a.measure)} to {_num(tr(h.ci_high), a.measure)})")


def _who(a: Analysis) -> str:
    """'JAK inhibitors', or the one drug the analysis rests on."""
    from jakmeta.review.protocol import drugs_of

    drugs = drugs_of(a)
    return drugs[0] if len(drugs) == 1 else "JAK inhibitors"


def direction_text(a: Analysis) -> str:
    """Whether the headline interval excludes no effect and, if so, the size in words
    (:mod:`jakmeta.review.wording`); the interval named as in :func:`effect_text` (CI or CrI)."""
    from jakmeta.review.certainty import interval_label

    h = headline(a)
    who, interval = _who(a), interval_label(h)
    if a.measure == "MD":  # a negative MD is a larger fall in SALT with the JAK inhibitor
        word = wording.direction(h.ci_low, h.ci_high, 0.0, higher="more", lower="less")
        if word == "no clear difference":
            return f"The {interval} includes no effect."
        return f"The {interval} excludes no effect: {word} scalp hair loss with {who}."
    if wording.direction(h.ci_low, h.ci_high, 0.0) == "no clear difference":
        return f"The {interval} includes no effect."
    ratio = math.exp(h.estimate)
    size = wording.times(ratio) + (" as high" if ratio >= 2 else "")
    what = "the odds were" if a.measure == "OR" else "the risk was"
    return f"The {interval} excludes no effect: {what} {size} with {who}."


def _in_sentence(model: str) -> str:
    """A model name inside a sentence: "Random effects, ..." -> "random effects, ..."; names that
    begin with a proper adjective or an acronym ("Bayesian", "REML") keep their capital."""
    first = model.split(" ", 1)[0]
    return model[0].lower() + model[1:] if first in ("Random", "Common", "Single", "Fixed") else model


def sentence(a: Analysis, outcome_text: str | None = None) -> str:
    """The reporting sentence of one analysis, every number computed from the data."""
    outcome_text = outcome_text or OUTCOME_LABELS.get(a.outcome, a.outcome)
    if not outcome_text.startswith("SALT"):
        outcome_text = outcome_text[0].lower() + outcome_text[1:]
    dropped = ""
    if len(a.excluded):
        names = ", ".join(a.excluded["trial"])
        dropped = (f" {len(a.excluded)} trial(s) with no event in either arm ({names}) carry no information "
                   f"on the {a.measure} and were left out.")
    if a.result is None and len(a.excluded):
        counts = "; ".join(f"{r.trial}: {int(r.events_t)}/{int(r.n_t)} vs {int(r.events_c)}/{int(r.n_c)}"
                           for r in a.excluded.itertuples())
        return (f"The only trial(s) with data on {outcome_text} had no event in either arm ({counts}). "
                f"That carries no information on the {a.measure}, so nothing is estimated or pooled.")
    if a.result is None:
        return (f"No trial in this analysis reported {outcome_text} for both arms in a source we could "
                "read, so there is nothing to pool.")
    h = headline(a)
    if a.k == 1:
        trial = a.table["trial"].iloc[0]
        return (f"Only one trial ({trial}, {a.n_participants:,} participants) reported {outcome_text}: "
                f"{effect_text(a)}. {direction_text(a)} With a single trial there is no pooling, no "
                f"between-trial variance and no prediction interval.{dropped}")
    tr = reporting_scale(a.measure)
    het = heterogeneity(a)
    pi = (f"; 95% prediction interval {_num(tr(h.pi_low), a.measure)} to {_num(tr(h.pi_high), a.measure)}"
          if a.k >= 3 and np.isfinite(h.pi_low) else "")
    trials = f"{a.n_trials} trials" + (f" ({a.k} comparisons)" if a.k != a.n_trials else "")
    rule = _in_sentence(h.model)
    return (f"In {trials} ({a.n_participants:,} participants), the pooled estimate was {effect_text(a)} "
            f"({rule}{pi}). "
            f"{direction_text(a)} Heterogeneity (REML random effects): τ² = {het['tau2']:.2f}, I² = {het['i2']:.0f} % "
            f"(95% CI {het['i2_ci'][0]:.0f} to {het['i2_ci'][1]:.0f} %), Q = {het['q']:.2f} on "
            f"{het['q_df']} df ({wording.p_text(het['q_pvalue'])}).{dropped}")


def study_table(a: Analysis, number=None) -> pd.DataFrame:
    """The comparisons of an analysis as a reader wants them: data, estimate with 95% CI, weight.
    ``number`` formats the CI limits (default: 2 decimals; the command line passes 3 significant
    figures)."""
    number = number or (lambda v: f"{v:.2f}")
    columns = ["Trial", "Week", "JAK inhibitor", "Placebo", a.measure, "95% CI", "Weight %", "Values"]
    if a.k == 0:
        return pd.DataFrame(columns=columns)
    tr = reporting_scale(a.measure)
    z = stats.norm.ppf(0.975)
    weights = np.atleast_1d(a.result.weights) if a.k > 1 else np.array([100.0])
    rows = []
    for (_, r), w in zip(a.table.iterrows(), weights, strict=True):
        se = math.sqrt(r["vi"])
        if "events_t" in r:
            t, c = f"{int(r['events_t'])}/{int(r['n_t'])}", f"{int(r['events_c'])}/{int(r['n_c'])}"
        else:
            t = f"{r['mean_t']:.1f} ({r['sd_t']:.1f}), n={int(r['n_t'])}"
            c = f"{r['mean_c']:.1f} ({r['sd_c']:.1f}), n={int(r['n_c'])}"
        rows.append({"Trial": r["trial"], "Week": int(r["timepoint_weeks"]), "JAK inhibitor": t, "Placebo": c,
                     a.measure: tr(r["yi"]), "95% CI": f"{number(tr(r['yi'] - z * se))} to {number(tr(r['yi'] + z * se))}",
                     "Weight %": float(w), "Values": r["status"]})
    return pd.DataFrame(rows, columns=columns)


def narrowing(before: Analysis, after: Analysis) -> str:
    """Why an interval narrowed when trials were added: more participants (the common-effect
    interval, which depends only on them) or more degrees of freedom (the HKSJ t quantile)."""
    from jakmeta.review.fewstudies import common_effect, hksj_quantile
    from jakmeta.stats import pool

    if before.k < 2 or after.k < 2:
        return "With fewer than two trials in one of the analyses, the intervals cannot be compared this way."

    def widths(a: Analysis) -> tuple[float, float]:
        y, v = a.table["yi"].to_numpy(), a.table["vi"].to_numpy()
        r = pool(y, v, method="REML", ci="hksj")
        _, ce = common_effect(a)
        return r.ci_high - r.ci_low, ce.ci_high - ce.ci_low

    (h0, c0), (h1, c1) = widths(before), widths(after)
    return (f"From {before.k} to {after.k} trials ({before.n_participants:,} to {after.n_participants:,} "
            f"participants), the common-effect interval, which reflects only the number of participants and "
            f"events, becomes {wording.compare_widths(c0, c1)} before; the REML + HKSJ interval becomes "
            f"{wording.compare_widths(h0, h1)} before, because its t quantile falls from "
            f"{hksj_quantile(before.k):.1f} ({before.k - 1} degree{'s' if before.k != 2 else ''} of freedom) to "
            f"{hksj_quantile(after.k):.1f} ({after.k - 1}). Most of the narrowing of the HKSJ interval therefore "
            + ("comes from the added degrees of freedom, not from the added participants."
               if math.log(h0 / h1) > 2 * math.log(max(c0 / c1, 1.0 + 1e-9)) else
               "comes from the added participants as much as from the added degrees of freedom."))


#: Values of the ``status`` column of data/outcomes.csv and data/contrasts.csv, in words.
STATUS_WORDS = {"reported": "reported", "derived": "derived (computed from reported values)",
                "not_available": "not found"}


def source_labels(bib_path=None) -> dict[str, str]:
    """Citation key -> label for a table (:func:`jakmeta.evidence.labels.reference_labels`), with registry
    records named by their number (``ctgov_nct03570749`` -> ``ClinicalTrials.gov NCT03570749``)."""
    import re

    from jakmeta.evidence.labels import reference_labels

    labels = reference_labels(bib_path)
    for key in labels:
        m = re.fullmatch(r"ctgov_(nct\d{8})", key)
        if m:
            labels[key] = f"ClinicalTrials.gov {m.group(1).upper()}"
    return labels


def readable_values(df: pd.DataFrame, pkg, bib_path=None) -> pd.DataFrame:
    """Rows of outcomes.csv or contrasts.csv for a reader: trial names, arm labels, outcome labels,
    sources by author and year, status in words."""
    from jakmeta.evidence.labels import relabel

    out = relabel(df, pkg.studies, arms=pkg.arms, references=source_labels(bib_path))
    if "status" in out:
        out["status"] = out["status"].map(lambda s: STATUS_WORDS.get(s, s))
    return out
