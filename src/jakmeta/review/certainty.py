"""Applying GRADE to an analysis: how sure can a reader be of this pooled effect, and why?

:func:`assess` takes one :class:`jakmeta.review.analysis.Analysis` and rates the five GRADE domains with
the rules of :mod:`jakmeta.review.grade`, on the headline estimate of the few-studies rule
(:mod:`jakmeta.review.fewstudies`):

- risk of bias from ``data/risk_of_bias.csv`` (weight carried by trials at high risk / with concerns),
  per result (:mod:`jakmeta.evidence.rob`), only from judgements with a source; ``unread_as`` gives the
  sensitivity analysis in which a domain with no information read by us counts as some concerns;
- inconsistency from I² and the prediction interval;
- indirectness from recorded facts per trial (:func:`indirectness_facts`): the outcome's time point
  against the shortest primary time point of the phase-3 trials (:func:`minimum_weeks`), the
  analysis population (completers only), the population enrolled (not restricted to SALT >= 50),
  and, for a question about one oral drug, a topical or phase-2a trial; adolescents are recorded
  (the review question includes them); per row, a class row resting on one drug;
- imprecision from the CI of the absolute effect against the outcome's threshold
  (:data:`THRESHOLDS`) and the optimal information size computed *for that same threshold*;
- publication bias from the registered eligible trials without results we could read
  (``data/missing_evidence.csv``), by the what-if rule of :func:`jakmeta.review.grade.publication_bias_domain`.

Every footnote states the numbers behind a downgrade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jakmeta.evidence import rob
from jakmeta.evidence.package import DataPackage
from jakmeta.review import grade
from jakmeta.review.analysis import Analysis, reporting_scale
from jakmeta.review.fewstudies import Headline, common_effect, headline

#: Thresholds of an important absolute effect (per 1000 for binary outcomes, SALT points for the
#: SALT change): the review team's judgements, argued in the methods chapter ("Thresholds of an
#: important effect") and varied in the GRADE chapter (:data:`THRESHOLD_SCENARIOS`). The optimal
#: information size of each outcome is computed for the same threshold.
THRESHOLDS = {
    "salt20": 50, "salt30": 50, "salt50": 50, "salt90": 50, "salt_cfb": 10.0,
    "ae_any": 50, "ae_treatment_related": 50, "ae_serious": 10, "ae_discontinuation": 10,
}
#: Anchor-based *within-patient* thresholds of a meaningful improvement in SALT (points, mean change
#: among patients reporting moderate improvement on the PGI-C, and moderate satisfaction with hair
#: growth on the P-Sat, at week 24 of a ritlecitinib trial; :cite:`rtihs_salt_thresholds`). Not a
#: between-group threshold; quoted in the methods chapter's argument for :data:`THRESHOLDS`.
WITHIN_PATIENT_SALT_CHANGE = (42.2, 43.1)
#: Other defensible thresholds for the sensitivity analysis: GRADE's default when no threshold is
#: agreed (any effect: the null, :cite:`zeng2021targets`), half and twice the book's.
THRESHOLD_SCENARIOS = {"GRADE default: any effect": 0.0, "half": 0.5, "twice": 2.0}
#: Relative change for the OIS when the threshold is the null (GRADE 6: a modest 25 % relative
#: change, :cite:`guyatt2011imprecision`); for the SALT change, 0.2 SD (ours).
OIS_RELATIVE_DEFAULT, OIS_SD_DEFAULT = 0.25, 0.2
#: SD of the change in SALT for the OIS of the mean difference when the analysis has none (SALT points).
OIS_SALT_SD = 30.0

#: Analysis populations that differ from the question's (all randomised participants).
COMPLETERS = re.compile(r"complet|per[- ]protocol|observed case", re.IGNORECASE)
#: Eligibility text of trials that did not require severe disease (SALT >= 50).
MILDER = re.compile(r"not restricted to salt\s*>=\s*50", re.IGNORECASE)
#: Eligibility text of trials that enrolled adolescents.
ADOLESCENTS = re.compile(r"age\s*>=\s*1[2-7]\b|adolescent", re.IGNORECASE)


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
    interval: str = "95% CI"



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
    """Per trial of ``a``: route, phase, population enrolled, week used, analysis population, and
    the concerns the rule finds in them. A row about one drug (``a.settings['drug']``) asks about
    that drug as prescribed (oral, at the doses of the phase-2b/3 trials): a topical or phase-2a
    trial is then a concern; the class rows ask the review question (any JAK inhibitor, oral or
    topical, any dose). Adolescents are recorded, not a concern: the question's population
    includes them."""
    weeks = minimum_weeks(pkg)
    studies = pkg.studies.set_index("study_id")
    one_drug = bool(a.settings.get("drug"))
    rows = []
    for r in a.table.itertuples():
        s = studies.loc[r.study_id]
        concerns = []
        if int(r.timepoint_weeks) < weeks:
            concerns.append(f"outcome at week {int(r.timepoint_weeks)}, before the outcome's own time point "
                            f"(week {weeks} or later in the phase-3 trials)")
        if COMPLETERS.search(str(getattr(r, "population", ""))):
            concerns.append("completers only (not all randomised)")
        if MILDER.search(str(s["eligibility"])):
            concerns.append("milder disease enrolled (not restricted to SALT ≥ 50)")
        if one_drug and str(s["route"]) != "oral":
            concerns.append(f"{s['route']} formulation for a question about the oral drug")
        if one_drug and str(s["phase"]).strip().lower() == "2a":
            concerns.append("phase-2a proof-of-concept trial for a question about the drug as prescribed")
        rows.append({"study_id": r.study_id, "trial": r.trial, "route": s["route"], "phase": str(s["phase"]),
                     "adolescents": "yes" if ADOLESCENTS.search(str(s["eligibility"])) else "no",
                     "week": int(r.timepoint_weeks), "analysis_population": getattr(r, "population", ""),
                     "concerns": concerns})
    return pd.DataFrame(rows)


def row_concerns(pkg: DataPackage, a: Analysis) -> list[str]:
    """Concerns about a row as a whole: a class row ("JAK inhibitors") whose trials test one drug."""
    if a.settings.get("drug") or a.k == 0:
        return []
    drugs = pkg.studies.set_index("study_id").loc[list(a.table["study_id"]), "drug"].astype(str)
    names = sorted({d.split(" (")[0] for d in drugs})
    if len(names) == 1:
        route = pkg.studies.set_index("study_id").loc[a.table["study_id"].iloc[0], "route"]
        return [f"a row about the class rests on one drug ({names[0]}, {route}: {a.n_trials} trial"
                f"{'s' if a.n_trials != 1 else ''}, {a.n_participants:,} participants)"]
    return []


def missing_evidence(pkg: DataPackage, a: Analysis) -> list[tuple[str, int | None]]:
    """Registered eligible trials without results we could read that bear on ``a``'s question:
    all of them for a class row, those of the same drug for a drug row."""
    table = getattr(pkg, "missing_evidence", None) if "missing_evidence" in pkg.other else None
    if table is None or len(table) == 0:
        return []
    drug = a.settings.get("drug")
    if drug:
        table = table[table["drug"].astype(str).str.lower().str.startswith(str(drug).lower())]
    return [(f"{r.trial_name} ({r.registry_id})", None if pd.isna(r.n_enrolled) else int(r.n_enrolled))
            for r in table.itertuples()]


def interval_label(h: Headline) -> str:
    """'95% CrI' for a Bayesian headline, '95% CI' otherwise."""
    return "95% CrI" if str(h.model).lower().startswith("bayes") else "95% CI"


def risk_of_bias_inputs(pkg: DataPackage, a: Analysis, unread_as: str | None = None) -> tuple[dict, dict]:
    """Per trial of ``a``: the overall RoB 2 judgement GRADE uses for this outcome
    (:func:`jakmeta.evidence.rob.grade_judgement`) and the number of domains with no information read by us."""
    rows = rob.rows_for(pkg.risk_of_bias, a.outcome)
    judged = {sid: rob.grade_judgement(rows, sid, unread_as) for sid in a.table["study_id"]}
    return {s: j for s, (j, _) in judged.items()}, {s: n for s, (_, n) in judged.items()}


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


def assess(pkg: DataPackage, a: Analysis, judgements: pd.DataFrame | None = None,
           unread_as: str | None = None, threshold_scale: float = 1.0) -> Finding | None:
    """GRADE assessment of one analysis; None when no trial has data (k = 0).

    ``unread_as`` (e.g. ``"some_concerns"``): the risk-of-bias sensitivity analysis, in which a
    RoB 2 domain with no information read by us counts as that judgement. ``threshold_scale``
    multiplies the outcome's threshold (0 = GRADE's default "any effect")."""
    if a.result is None:
        return None
    judgements = recorded_judgements(pkg) if judgements is None else judgements
    r = a.result
    h = headline(a)
    label = interval_label(h)
    weights = dict(zip(a.table["study_id"], _weights(a), strict=False))
    overall, unread = risk_of_bias_inputs(pkg, a, unread_as)
    names = dict(zip(a.table["study_id"], a.table["trial"], strict=False))
    ratings = [grade.risk_of_bias_domain(weights, overall, unread, names)]
    pi = (h.pi_low, h.pi_high) if np.isfinite(h.pi_low) else (r.pi_low, r.pi_high)
    ratings.append(grade.inconsistency_domain(a.k, r.i2 if np.isfinite(r.i2) else 0.0, (h.ci_low, h.ci_high), pi))
    facts = indirectness_facts(pkg, a)
    indirect = grade.indirectness_domain(
        [(f.trial, weights[f.study_id], f.concerns) for f in facts.itertuples()], sum(weights.values()),
        row_concerns(pkg, a))
    note = _recorded(judgements, a.outcome, "indirectness")
    if note is not None and note.downgrade > indirect.downgrade:
        indirect = note
    elif note is not None:
        indirect = grade.DomainRating("indirectness", indirect.judgement, f"{indirect.reason} {note.reason}", True)
    ratings.append(indirect)
    threshold = THRESHOLDS[a.outcome] * threshold_scale
    name, ce = common_effect(a)
    if a.measure == "MD":
        control = float(np.median(a.table["mean_c"]))
        absolute = (h.estimate, h.ci_low, h.ci_high)
        sd = outcome_sd(a)
        ois = grade.optimal_information_size_continuous(sd, threshold if threshold > 0 else OIS_SD_DEFAULT * sd)
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, absolute[1:], threshold,
                                                "SALT points", (ce.ci_low, ce.ci_high), label, decimals=1))
        unit, decimals = "SALT points", 1
    else:
        control = control_risk(a)
        absolute = absolute_per_1000(a.measure, control, (h.estimate, h.ci_low, h.ci_high))
        p0 = min(max(control, 0.005), 0.995)
        ois = (grade.optimal_information_size_absolute(p0, threshold) if threshold > 0
               else grade.optimal_information_size(p0, OIS_RELATIVE_DEFAULT))
        ce_abs = absolute_per_1000(a.measure, control, (ce.ci_low, ce.ci_high))
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, absolute[1:], threshold,
                                                "per 1000", ce_abs, label))
        unit, decimals = "per 1000", 0
    publication = _recorded(judgements, a.outcome, "publication_bias") or grade.publication_bias_domain(
        a.n_participants, missing_evidence(pkg, a), absolute, threshold, unit, decimals)
    ratings.append(publication)
    level = grade.certainty(ratings)
    notes = tuple(f"{grade.DOMAIN_NAMES[x.domain]} ({x.judgement}): {x.reason}" for x in ratings if x.downgrade > 0)
    return Finding(a, h, tuple(ratings), level, control, absolute, ois, notes, label)
