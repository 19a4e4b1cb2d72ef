"""GRADE certainty of evidence and the Summary of Findings table.

Evidence from randomised trials starts at high certainty and is rated down one level (serious) or
two (very serious) in five domains (:cite:`guyatt2011grade`; Cochrane Handbook chapter 14,
:cite:`cochrane_handbook_ch14`). This module computes what can be computed and takes the rest
as recorded judgements with reasons (``data/grade_judgements.csv``):

risk of bias
    from ``data/risk_of_bias.csv``: the share of the analysis weight that comes from trials whose
    overall RoB 2 judgement is *high* (>= 50 %: serious) or *some concerns* or *not assessed*
    (>= 50 %: serious). :func:`risk_of_bias_domain`.
inconsistency
    from I², the prediction interval and the direction of the trial estimates
    (:cite:`guyatt2011inconsistency`): serious when I² >= 50 % and the prediction interval
    includes the null while the confidence interval does not, or when I² >= 75 %.
    :func:`inconsistency_domain`.
imprecision
    from the confidence interval of the absolute effect against stated thresholds and the optimal
    information size (:cite:`guyatt2011imprecision`), the OIS computed for the same threshold the
    outcome uses (:func:`optimal_information_size_absolute`): serious when the CI crosses the
    null or a threshold, or when the participants fall short of the OIS; very serious when the CI
    crosses both the threshold of benefit and of harm, or when a single trial carries the estimate
    and it is short of the OIS. When the participants meet the OIS but the interval is wide, the
    reason says so: the width then comes from few trials (uncertain heterogeneity), not from
    little data. :func:`imprecision_domain`.
indirectness
    from recorded facts per trial (route, population, time point, analysis population), by the rule
    in :func:`indirectness_domain` (applied in :mod:`jakmeta.certainty`).
publication bias
    a recorded judgement with its reason. Egger's test is reported but not used to rate down when
    k < 10 (:cite:`sterne2011`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVELS = ("very low", "low", "moderate", "high")
SYMBOLS = {"high": "⨁⨁⨁⨁", "moderate": "⨁⨁⨁◯", "low": "⨁⨁◯◯", "very low": "⨁◯◯◯"}
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_NAMES = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency",
                "indirectness": "Indirectness", "imprecision": "Imprecision",
                "publication_bias": "Publication bias"}
JUDGEMENT_STEPS = {"not serious": 0, "serious": 1, "very serious": 2}


@dataclass(frozen=True)
class DomainRating:
    """One GRADE domain: the judgement, the levels rated down, and the reason."""

    domain: str
    judgement: str
    reason: str
    computed: bool

    @property
    def downgrade(self) -> int:
        return JUDGEMENT_STEPS[self.judgement]


def certainty(ratings: list[DomainRating], start: str = "high") -> str:
    """Start level minus the levels rated down, floored at very low."""
    level = LEVELS.index(start) - sum(r.downgrade for r in ratings)
    return LEVELS[max(level, 0)]


def risk_of_bias_domain(weights: dict[str, float], overall: dict[str, str]) -> DomainRating:
    """Rate risk of bias from the weight (percent) carried by trials at high risk or with concerns."""
    total = sum(weights.values()) or 1.0
    share = {j: sum(w for s, w in weights.items() if overall.get(s, "not_assessed") == j) / total
             for j in ("low", "some_concerns", "high", "not_assessed")}
    detail = ", ".join(f"{v:.0%} {k.replace('_', ' ')}" for k, v in share.items() if v > 0)
    if share["high"] >= 0.5:
        return DomainRating("risk_of_bias", "serious", f"Most of the weight from trials at high risk of bias ({detail}).", True)
    if share["high"] + share["some_concerns"] + share["not_assessed"] >= 0.5:
        return DomainRating("risk_of_bias", "serious",
                            f"Most of the weight from trials with some concerns or not assessed ({detail}).", True)
    return DomainRating("risk_of_bias", "not serious", f"Most of the weight from trials at low risk of bias ({detail}).", True)


def inconsistency_domain(k: int, i2: float, ci: tuple[float, float], pi: tuple[float, float],
                         null: float = 0.0) -> DomainRating:
    """Rate inconsistency from I² (percent), the CI and the prediction interval (analysis scale)."""
    if k < 2:
        return DomainRating("inconsistency", "not serious",
                            "A single trial: inconsistency cannot be assessed (not rated down).", True)
    ci_excludes_null = ci[0] > null or ci[1] < null
    pi_includes_null = not (pi[0] > null or pi[1] < null) if np.all(np.isfinite(pi)) else False
    text = f"I² = {i2:.0f} %"
    if np.all(np.isfinite(pi)):
        text += "; the prediction interval " + ("includes" if pi_includes_null else "excludes") + " no effect"
    if i2 >= 75 or (i2 >= 50 and ci_excludes_null and pi_includes_null):
        return DomainRating("inconsistency", "serious", f"Substantial heterogeneity ({text}).", True)
    if np.all(np.isfinite(pi)) and not pi_includes_null:
        return DomainRating("inconsistency", "not serious",
                            f"Not rated down: the trials differ in size of effect, not in direction ({text}).", True)
    return DomainRating("inconsistency", "not serious", f"Not rated down ({text}).", True)


def optimal_information_size(control_risk: float, relative_reduction: float = 0.25,
                             alpha: float = 0.05, power: float = 0.80) -> int:
    """Total participants a single trial would need to detect a relative change of
    ``relative_reduction`` from ``control_risk`` (two-sided alpha, power), two equal groups:
    n per group = (z_a + z_b)² [p0(1-p0) + p1(1-p1)] / (p0 - p1)² (:cite:`guyatt2011imprecision`)."""
    if not 0 < control_risk < 1:
        raise ValueError(f"control_risk must be in (0, 1), got {control_risk}")
    p0 = control_risk
    p1 = min(p0 * (1 + relative_reduction), 0.999) if p0 < 0.5 else p0 * (1 - relative_reduction)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    per_group = z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    return int(2 * math.ceil(per_group))


def optimal_information_size_absolute(control_risk: float, difference_per_1000: float,
                                      alpha: float = 0.05, power: float = 0.80) -> int:
    """Total participants to detect an absolute difference of ``difference_per_1000`` from
    ``control_risk`` (the same threshold the outcome's imprecision uses):
    p1 = p0 + d/1000 (or p0 - d/1000 when that would exceed 1), then as
    :func:`optimal_information_size`."""
    if not 0 < control_risk < 1:
        raise ValueError(f"control_risk must be in (0, 1), got {control_risk}")
    d = difference_per_1000 / 1000
    if not 0 < d < 1:
        raise ValueError(f"difference_per_1000 must be in (0, 1000), got {difference_per_1000}")
    p0 = control_risk
    p1 = p0 + d if p0 + d < 1 else p0 - d
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    per_group = z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    return int(2 * math.ceil(per_group))


def optimal_information_size_continuous(sd: float, delta: float, alpha: float = 0.05, power: float = 0.80) -> int:
    """Total participants to detect a mean difference ``delta`` with SD ``sd``:
    n per group = 2 (z_a + z_b)² sd² / delta²."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(2 * math.ceil(2 * z**2 * sd**2 / delta**2))


def imprecision_domain(k: int, n_participants: int, ois: int, ci_absolute: tuple[float, float],
                       threshold: float, unit: str,
                       common_effect_ci: tuple[float, float] | None = None) -> DomainRating:
    """Rate imprecision from the CI of the absolute effect against ±``threshold`` and the OIS.

    ``common_effect_ci`` (the absolute CI of the common-effect model) lets the reason say when the
    interval is wide because of few trials rather than little data."""
    low, high = ci_absolute
    crosses_null = low < 0 < high
    crosses_benefit = low < threshold < high
    crosses_harm = low < -threshold < high
    facts = (f"95% CI {low:+.0f} to {high:+.0f} {unit}; threshold ±{threshold:g} {unit}; "
             f"{n_participants} participants vs optimal information size {ois}")
    if (crosses_benefit and crosses_harm) or (k == 1 and n_participants < ois):
        reason = "CI includes important benefit and important harm" if crosses_benefit and crosses_harm \
            else "a single trial short of the optimal information size"
        return DomainRating("imprecision", "very serious", f"{reason[0].upper() + reason[1:]} ({facts}).", True)
    if crosses_null or crosses_benefit or crosses_harm or n_participants < ois:
        reason = ("CI includes no effect" if crosses_null else
                  "CI crosses the threshold of an important effect" if (crosses_benefit or crosses_harm) else
                  "fewer participants than the optimal information size")
        text = f"{reason[0].upper() + reason[1:]} ({facts})."
        if n_participants >= ois and common_effect_ci is not None and k > 1:
            text += (f" The width comes from few trials (k = {k}: heterogeneity is barely estimable), "
                     f"not from little data: the participants meet the optimal information size and "
                     f"the common-effect 95% CI is {common_effect_ci[0]:+.0f} to {common_effect_ci[1]:+.0f} {unit}.")
        return DomainRating("imprecision", "serious", text, True)
    return DomainRating("imprecision", "not serious", f"CI excludes no effect and lies beyond the threshold on one side; OIS met ({facts}).", True)


def risk_with_intervention(control_risk: float, relative: float, measure: str) -> float:
    """Absolute risk with the intervention from a control risk and a relative effect (ratio scale).

    OR: p1 = OR p0 / (1 - p0 + OR p0); RR: p1 = RR p0 (capped at 1) (Cochrane Handbook 14.1.5.1)."""
    if measure == "OR":
        return relative * control_risk / (1 - control_risk + relative * control_risk)
    if measure == "RR":
        return min(relative * control_risk, 1.0)
    raise ValueError(f"measure must be OR or RR, got {measure}")


def plain_language(outcome_text: str, level: str, direction: str, intervention: str = "JAK inhibitors",
                   plural: bool = True) -> str:
    """GRADE's standard wording for a finding (Santesso et al. 2020, :cite:`santesso2020`).

    ``direction`` is one of 'increase', 'reduction', 'little to no difference' or 'no clear
    difference' (the CI includes no effect and an important effect: see :mod:`jakmeta.wording`)."""
    if level == "very low":
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome_text}."
    if direction == "no clear difference":
        return (f"It is not clear whether {intervention} change{'' if plural else 's'} {outcome_text}: the 95% CI "
                "includes no effect as well as an important effect.")
    result = "result in" if plural else "results in"
    verb = {"high": result, "moderate": f"likely {result}", "low": "may result in"}[level]
    effect = "little to no difference in" if direction == "little to no difference" else f"a{'n' if direction[0] in 'aeiou' else ''} {direction} in"
    return f"{intervention[0].upper() + intervention[1:]} {verb} {effect} {outcome_text}."


def indirectness_domain(facts: list[tuple[str, float, list[str]]], total_weight: float) -> DomainRating:
    """Rate indirectness from recorded facts per trial: ``(trial, weight, concerns)``.

    Serious when trials with at least one concern (e.g. a time point shorter than the question's, a
    completers-only analysis, a population with milder disease) carry >= 50 % of the weight;
    very serious when every trial has two or more concerns. The reason names each concern and the
    weight share."""
    total = total_weight or 1.0
    flagged = [(t, w, c) for t, w, c in facts if c]
    share = sum(w for _, w, _ in flagged) / total
    detail = "; ".join(f"{t} ({w / total:.0%} of the weight): {', '.join(c)}" for t, w, c in flagged)
    if facts and all(len(c) >= 2 for _, _, c in facts):
        return DomainRating("indirectness", "very serious",
                            f"Every trial differs from the question in two or more ways ({detail}).", True)
    if share >= 0.5:
        return DomainRating("indirectness", "serious",
                            f"Trials carrying {share:.0%} of the weight differ from the question ({detail}).", True)
    if flagged:
        return DomainRating("indirectness", "not serious",
                            f"Trials carrying only {share:.0%} of the weight differ from the question ({detail}).", True)
    return DomainRating("indirectness", "not serious",
                        "Every trial matches the question in population, route, time point and analysis population.", True)
