"""Applying GRADE to an analysis: how sure can a reader be of this pooled effect, and why?

:func:`assess` takes one :class:`jakmeta.analysis.Analysis` and rates the five GRADE domains with
the rules of :mod:`jakmeta.grade`, on the headline estimate of the few-studies rule
(:mod:`jakmeta.fewstudies`):

- risk of bias from ``data/risk_of_bias.csv`` (weight carried by trials at high risk / with concerns);
- inconsistency from I² and the prediction interval;
- indirectness from recorded facts per trial (:func:`indirectness_facts`): the outcome's time point
  against the shortest primary time point of the phase-3 trials (:func:`minimum_weeks`), the
  analysis population (completers only), and the population enrolled (not restricted to SALT >= 50);
- imprecision from the CI of the absolute effect against the outcome's threshold
  (:data:`THRESHOLDS`) and the optimal information size computed *for that same threshold*;
- publication bias as recorded in ``data/grade_judgements.csv``.

Every footnote states the numbers behind a downgrade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jakmeta import grade
from jakmeta.analysis import Analysis, reporting_scale
from jakmeta.data import DataPackage
from jakmeta.fewstudies import Headline, common_effect, headline

#: Thresholds of an important absolute effect (per 1000 for binary outcomes, SALT points for the
#: SALT change): the book's judgements, shown in the GRADE chapter. The optimal information size
#: of each outcome is computed for the same threshold.
THRESHOLDS = {
    "salt20": 50, "salt30": 50, "salt50": 50, "salt90": 50, "salt_cfb": 10.0,
    "ae_any": 50, "ae_treatment_related": 50, "ae_serious": 10, "ae_discontinuation": 10,
}
#: SD of the change in SALT for the OIS of the mean difference when the analysis has none (SALT points).
OIS_SALT_SD = 30.0

#: Analysis populations that differ from the question's (all randomised participants).
COMPLETERS = re.compile(r"complet|per[- ]protocol|observed case", re.IGNORECASE)
#: Eligibility text of trials that did not require severe disease (SALT >= 50).
MILDER = re.compile(r"not restricted to salt\s*>=\s*50", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """Everything the Summary of Findings needs for one outcome."""

    analysis: Analysis
    headline: Headline
    ratings: tuple
    certainty: str
    control_risk: float
    absolute: tuple
    ois: int
    footnotes: tuple



def control_risk(a: Analysis) -> float:
    """Median placebo risk across the trials in the analysis (GRADE's 'risk with placebo').

    A placebo arm with no event counts as 0.5 / (n + 1) (the 0.5 zero-cell correction): with a
    risk of exactly 0 every odds or risk ratio would translate into 0 more per 1000."""
    e, n = a.table["events_c"].to_numpy(float), a.table["n_c"].to_numpy(float)
    zero = e == 0
    return float(np.median(np.where(zero, 0.5 / (n + 1), e / n)))


def absolute_per_1000(measure: str, control: float, values) -> tuple[float, ...]:
    """Risk differences per 1000 for relative effects ``values`` (analysis scale) at ``control``."""
    tr = reporting_scale(measure)
    return tuple(1000 * (grade.risk_with_intervention(control, tr(v), measure) - control) for v in values)


def outcome_sd(a: Analysis) -> float:
    """SD of a continuous outcome for the OIS: the median arm SD of the trials in the analysis
    (:data:`OIS_SALT_SD` when there is none)."""
    if a.k == 0 or "sd_t" not in a.table:
        return OIS_SALT_SD
    return float(np.median(np.concatenate([a.table["sd_t"].to_numpy(float), a.table["sd_c"].to_numpy(float)])))


def minimum_weeks(pkg: DataPackage) -> int:
    """The shortest primary time point of the phase-3 trials in the data: the earliest week at
    which the question's outcomes are judged directly (time point rule of indirectness)."""
    studies = pkg.studies
    phase3 = studies[studies["phase"].astype(str).str.contains("3")]
    return int(phase3["primary_timepoint_weeks"].astype(int).min())


def indirectness_facts(pkg: DataPackage, a: Analysis) -> pd.DataFrame:
    """Per trial of ``a``: route, population enrolled, week used, analysis population, and the
    concerns the rule finds in them."""
    weeks = minimum_weeks(pkg)
    studies = pkg.studies.set_index("study_id")
    rows = []
    for r in a.table.itertuples():
        s = studies.loc[r.study_id]
        concerns = []
        if int(r.timepoint_weeks) < weeks:
            concerns.append(f"outcome at week {int(r.timepoint_weeks)} (phase-3 trials: week {weeks} or later)")
        if COMPLETERS.search(str(getattr(r, "population", ""))):
            concerns.append("completers only (not all randomised)")
        if MILDER.search(str(s["eligibility"])):
            concerns.append("milder disease enrolled (not restricted to SALT ≥ 50)")
        rows.append({"study_id": r.study_id, "trial": r.trial, "route": s["route"],
                     "week": int(r.timepoint_weeks), "analysis_population": getattr(r, "population", ""),
                     "concerns": concerns})
    return pd.DataFrame(rows)


def recorded_judgements(pkg: DataPackage) -> pd.DataFrame:
    """Recorded GRADE judgements (publication bias, notes) from data/grade_judgements.csv."""
    return pd.read_csv(pkg.directory / "grade_judgements.csv", dtype=str, keep_default_na=False)


def _recorded(judgements: pd.DataFrame, outcome: str, domain: str) -> grade.DomainRating | None:
    rows = judgements[(judgements["domain"] == domain) & judgements["outcome"].isin([outcome, "all"])]
    if rows.empty:
        return None
    row = rows[rows["outcome"] == outcome].iloc[0] if (rows["outcome"] == outcome).any() else rows.iloc[0]
    return grade.DomainRating(domain, row["judgement"], row["reason"], False)


def _weights(a: Analysis) -> np.ndarray:
    return np.atleast_1d(a.result.weights) if a.k > 1 else np.array([100.0])


def assess(pkg: DataPackage, a: Analysis, judgements: pd.DataFrame | None = None) -> Finding | None:
    """GRADE assessment of one analysis; None when no trial has data (k = 0)."""
    if a.result is None:
        return None
    judgements = recorded_judgements(pkg) if judgements is None else judgements
    r = a.result
    h = headline(a)
    weights = dict(zip(a.table["study_id"], _weights(a), strict=False))
    overall = pkg.risk_of_bias[pkg.risk_of_bias["domain"] == "overall"]
    overall = dict(zip(overall["study_id"], overall["judgement"], strict=True))
    ratings = [grade.risk_of_bias_domain(weights, overall)]
    pi = (h.pi_low, h.pi_high) if np.isfinite(h.pi_low) else (r.pi_low, r.pi_high)
    ratings.append(grade.inconsistency_domain(a.k, r.i2 if np.isfinite(r.i2) else 0.0, (h.ci_low, h.ci_high), pi))
    facts = indirectness_facts(pkg, a)
    indirect = grade.indirectness_domain(
        [(f.trial, weights[f.study_id], f.concerns) for f in facts.itertuples()], sum(weights.values()))
    note = _recorded(judgements, a.outcome, "indirectness")
    if note is not None and note.downgrade > indirect.downgrade:
        indirect = note
    elif note is not None:
        indirect = grade.DomainRating("indirectness", indirect.judgement, f"{indirect.reason} {note.reason}", True)
    ratings.append(indirect)
    threshold = THRESHOLDS[a.outcome]
    name, ce = common_effect(a)
    if a.measure == "MD":
        control = float(np.median(a.table["mean_c"]))
        absolute = (h.estimate, h.ci_low, h.ci_high)
        ois = grade.optimal_information_size_continuous(outcome_sd(a), threshold)
        # A larger fall in SALT is benefit: compare -MD with the thresholds.
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, (-absolute[2], -absolute[1]),
                                                threshold, "SALT points", (-ce.ci_high, -ce.ci_low)))
    else:
        control = control_risk(a)
        absolute = absolute_per_1000(a.measure, control, (h.estimate, h.ci_low, h.ci_high))
        ois = grade.optimal_information_size_absolute(min(max(control, 0.005), 0.995), threshold)
        ce_abs = absolute_per_1000(a.measure, control, (ce.ci_low, ce.ci_high))
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, absolute[1:], threshold,
                                                "per 1000", ce_abs))
    publication = _recorded(judgements, a.outcome, "publication_bias") or grade.DomainRating(
        "publication_bias", "not serious", "No concern recorded.", False)
    ratings.append(publication)
    level = grade.certainty(ratings)
    notes = tuple(f"{grade.DOMAIN_NAMES[x.domain]} ({x.judgement}): {x.reason}" for x in ratings if x.downgrade > 0)
    return Finding(a, h, tuple(ratings), level, control, absolute, ois, notes)
