"""GRADE certainty of evidence and the Summary of Findings table.

Evidence from randomised trials starts at high certainty and is rated down one level (serious) or
two (very serious) in five domains (:cite:`guyatt2011grade`; Cochrane Handbook chapter 14,
:cite:`cochrane_handbook_ch14`). This module computes what can be computed and takes the rest
as recorded judgements with reasons (``data/grade_judgements.csv``):

risk of bias
    from ``data/risk_of_bias.csv`` through :func:`jakmeta.evidence.rob.grade_judgement`: the share of the
    analysis weight from trials whose result is judged *high* (>= 50 %: serious) or *high* or *some
    concerns* (>= 50 %: serious). Only judgements with a source count; a domain with no information
    read by us neither raises nor lowers the rating, and a sensitivity analysis counts it as some
    concerns. The 50 % weight rule is ours (:func:`risk_of_bias_domain`).
inconsistency
    from I², the prediction interval and the direction of the trial estimates
    (:cite:`guyatt2011inconsistency`): serious when I² >= 50 % and the prediction interval
    includes the null while the confidence interval does not, or when I² >= 75 %.
    :func:`inconsistency_domain`.
imprecision
    GRADE's confidence-interval approach with the minimally contextualised thresholds
    (:cite:`guyatt2011imprecision`; :cite:`zeng2021targets`; :cite:`zeng2022imprecision`): the
    interval of the absolute effect against the threshold of an important effect on either side
    (benefit and harm). Serious when the interval crosses one threshold; very serious when it
    crosses both (it includes important benefit and important harm: GRADE 34's "when a CI
    appreciably crosses the threshold(s) of interest, one should consider rating down two or three
    levels"); when it crosses none, serious if the participants fall short of the optimal
    information size (OIS) for that threshold. GRADE 34 adds that "if the sample size of the
    meta-analysis is far less than the OIS, one should consider rating down more than one level":
    we do not rate down twice for the OIS alone and print the ratio instead. :func:`imprecision_domain`.
indirectness
    from recorded facts per trial (route, phase, population, time point, analysis population) and
    per row (a class row resting on one drug), by the rule in :func:`indirectness_domain` (applied
    in :mod:`jakmeta.review.certainty`).
publication bias
    missing evidence (:cite:`cochrane_handbook_ch13`; :cite:`guyatt2011publication`): registered
    eligible trials without results we could read, from ``data/missing_evidence.csv``
    (:func:`publication_bias_domain`). Egger's test is reported but not used to rate down when
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


def risk_of_bias_domain(weights: dict[str, float], overall: dict[str, str],
                        unread: dict[str, int] | None = None, names: dict[str, str] | None = None) -> DomainRating:
    """Rate risk of bias from the weight (percent) carried by trials at high risk or with concerns.

    ``overall``: the judgement GRADE uses per trial (:func:`jakmeta.evidence.rob.grade_judgement`; a trial
    missing from it counts as *some concerns*). ``unread``: per trial, the RoB 2 domains with no
    information read by us, named in the reason (``names``: trial names for the ids). Serious when trials judged high carry >= 50 % of
    the weight, or trials judged high or with some concerns do (our rule, in the spirit of GRADE's
    "most of the information" reading, :cite:`guyatt2011riskofbias`)."""
    total = sum(weights.values()) or 1.0
    judged = {s: overall.get(s, "some_concerns") for s in weights}
    share = {j: sum(w for s, w in weights.items() if judged[s] == j) / total for j in ("low", "some_concerns", "high")}
    detail = ", ".join(f"{v:.0%} of the weight {k.replace('_', ' ')}" for k, v in share.items() if v > 0)
    gaps = {s: n for s, n in (unread or {}).items() if n and s in weights}
    if gaps:
        detail += "; no information read by us for " + ", ".join(
            f"{n} domain{'s' if n > 1 else ''} of {(names or {}).get(s, s)}" for s, n in gaps.items())
    if share["high"] >= 0.5:
        return DomainRating("risk_of_bias", "serious", f"Most of the weight from results at high risk of bias ({detail}).", True)
    if share["high"] + share["some_concerns"] >= 0.5:
        return DomainRating("risk_of_bias", "serious",
                            f"Most of the weight from results at high risk of bias or with some concerns ({detail}).", True)
    return DomainRating("risk_of_bias", "not serious", f"Most of the weight from results at low risk of bias ({detail}).", True)


def inconsistency_domain(k: int, i2: float, ci: tuple[float, float], pi: tuple[float, float],
                         null: float = 0.0) -> DomainRating:
    """Rate inconsistency from I² (percent), the CI and the prediction interval (analysis scale)."""
    if k < 2:
        return DomainRating("inconsistency", "not serious",
                            f"A single trial (k = {k}): inconsistency cannot be assessed (not rated down).", True)
    ci_excludes_null = ci[0] > null or ci[1] < null
    pi_includes_null = not (pi[0] > null or pi[1] < null) if np.all(np.isfinite(pi)) else False
    text = f"I² = {i2:.0f} %"
    if np.all(np.isfinite(pi)):
        text += "; the prediction interval " + ("includes" if pi_includes_null else "excludes") + " no effect"
    if i2 >= 75 or (i2 >= 50 and ci_excludes_null and pi_includes_null):
        return DomainRating("inconsistency", "serious", f"Substantial heterogeneity ({text}).", True)
    if i2 > 0 and np.all(np.isfinite(pi)) and not pi_includes_null:
        return DomainRating("inconsistency", "not serious",
                            f"Not rated down: the trials differ in the size of the effect but not in its direction ({text}).", True)
    if i2 == 0:
        return DomainRating("inconsistency", "not serious",
                            f"Not rated down: no heterogeneity beyond chance was estimated ({text}; with {k} trials "
                            "I² is itself very uncertain).", True)
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
                       common_effect_ci: tuple[float, float] | None = None,
                       interval: str = "95% CI", decimals: int = 0) -> DomainRating:
    """Rate imprecision by GRADE's confidence-interval approach (:cite:`zeng2022imprecision`).

    ``ci_absolute`` is the interval of the absolute effect on the outcome's own scale (as the
    Summary of Findings prints it); ``threshold`` the size of an important effect on either side
    of no effect. Thresholds crossed: 0 -> the OIS decides (not met: serious); 1 -> serious;
    2 (important benefit and important harm both inside) -> very serious. ``k`` is reported only.
    ``common_effect_ci`` lets the reason say when the interval is wide because of few trials
    rather than little data."""
    low, high = ci_absolute
    crossed = [t for t in sorted({-threshold, threshold}) if low < t < high]
    fmt = f"{{:+.{decimals}f}}"
    facts = (f"{interval} {fmt.format(low)} to {fmt.format(high)} {unit}; threshold of an important effect "
             f"±{threshold:g} {unit}; {n_participants:,} participants ({k} trial{'s' if k != 1 else ''}) against an "
             f"optimal information size of {ois:,} ({n_participants / ois:.0%} of it)")
    if len(crossed) == 2:
        return DomainRating("imprecision", "very serious",
                            f"The interval includes both an important benefit and an important harm ({facts}).", True)
    if crossed:
        where = "includes no effect and " if low < 0 < high else ""
        text = f"The interval {where}crosses the threshold of an important effect ({facts})."
        if n_participants >= ois and common_effect_ci is not None and k > 1:
            text += (f" The width comes from few trials (k = {k}: heterogeneity is barely estimable), "
                     f"not from little data: the participants meet the optimal information size and "
                     f"the common-effect 95% CI is {fmt.format(common_effect_ci[0])} to "
                     f"{fmt.format(common_effect_ci[1])} {unit}.")
        return DomainRating("imprecision", "serious", text, True)
    if n_participants < ois:
        return DomainRating("imprecision", "serious",
                            f"The interval lies clear of the threshold, but the participants fall short of the "
                            f"optimal information size ({facts}).", True)
    side = ("beyond the threshold" if (low >= threshold or high <= -threshold)
            else "within the threshold on both sides (little or no important effect)")
    return DomainRating("imprecision", "not serious",
                        f"The interval lies {side} and the optimal information size is met ({facts}).", True)


def risk_with_intervention(control_risk: float, relative: float, measure: str) -> float:
    """Absolute risk with the intervention from a control risk and a relative effect (ratio scale).

    OR: p1 = OR p0 / (1 - p0 + OR p0); RR: p1 = RR p0 (capped at 1) (Cochrane Handbook 14.1.5.1)."""
    if measure == "OR":
        return relative * control_risk / (1 - control_risk + relative * control_risk)
    if measure == "RR":
        return min(relative * control_risk, 1.0)
    raise ValueError(f"measure must be OR or RR, got {measure}")


def plain_language(outcome_text: str, level: str, effect: str, intervention: str = "JAK inhibitors",
                   plural: bool = True, size: str = "") -> str:
    """GRADE's informative statement for a finding (Santesso et al. 2020, :cite:`santesso2020`,
    Table 2): high "results in", moderate "likely results in", low "may result in", very low "the
    evidence is very uncertain about the effect of ...".

    ``effect`` is the category of the point estimate against the threshold of an important effect:
    'increase', 'reduction' or 'little to no difference' (:func:`jakmeta.review.wording.effect_category`);
    the certainty already carries the width of the interval. ``size`` ("large", "") qualifies it."""
    if level == "very low":
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome_text}."
    if effect not in ("increase", "reduction", "little to no difference"):
        raise ValueError(f"effect must be 'increase', 'reduction' or 'little to no difference', got {effect!r}")
    result = "result in" if plural else "results in"
    verb = {"high": result, "moderate": f"likely {result}", "low": "may result in"}[level]
    if effect == "little to no difference":
        phrase = "little to no difference in"
    else:
        words = f"{size} {effect}".strip()
        phrase = f"a{'n' if words[0] in 'aeiou' else ''} {words} in"
    return f"{intervention[0].upper() + intervention[1:]} {verb} {phrase} {outcome_text}."


def indirectness_domain(facts: list[tuple[str, float, list[str]]], total_weight: float,
                        row_concerns: list[str] | None = None) -> DomainRating:
    """Rate indirectness (:cite:`guyatt2011indirectness`) from recorded facts per trial,
    ``(trial, weight, concerns)``, and concerns about the row as a whole (``row_concerns``, e.g. a
    class row resting on one drug).

    Serious when a row concern exists or trials with at least one concern (a topical or phase-2a
    trial for an oral-drug question, adolescents for an adults-only question, a time point before
    the outcome's own, a completers-only analysis, milder disease) carry >= 50 % of the weight;
    very serious when, besides, every trial has two or more concerns. The >= 50 % rule is ours.
    The reason names each concern and the weight share."""
    total = total_weight or 1.0
    row_concerns = list(row_concerns or [])
    flagged = [(t, w, c) for t, w, c in facts if c]
    share = sum(w for _, w, _ in flagged) / total
    detail = "; ".join(f"{t} ({w / total:.0%} of the weight): {', '.join(c)}" for t, w, c in flagged)
    detail = "; ".join([*row_concerns, detail] if detail else row_concerns)
    if facts and all(len(c) >= 2 for _, _, c in facts):
        return DomainRating("indirectness", "very serious",
                            f"Every trial differs from the question in two or more ways ({detail}).", True)
    if row_concerns:
        return DomainRating("indirectness", "serious", f"The row answers its question only in part ({detail}).", True)
    if share >= 0.5:
        return DomainRating("indirectness", "serious",
                            f"Trials carrying {share:.0%} of the weight differ from the question ({detail}).", True)
    if flagged:
        return DomainRating("indirectness", "not serious",
                            f"Trials carrying only {share:.0%} of the weight differ from the question ({detail}).", True)
    weights = ", ".join(f"{t} {w / total:.0%} of the weight" for t, w, _ in facts)
    return DomainRating("indirectness", "not serious",
                        ({1: "The trial matches", 2: "Both trials match"}.get(len(facts), f"All {len(facts)} trials match"))
                        + f" the question in population, route, phase, time point and analysis population ({weights}).",
                        True)


def publication_bias_domain(n_participants: int, missing: list[tuple[str, int | None]],
                            absolute: tuple[float, float, float], threshold: float, unit: str,
                            decimals: int = 0) -> DomainRating:
    """Rate publication bias from missing evidence (Cochrane Handbook ch. 13,
    :cite:`cochrane_handbook_ch13`; GRADE 5, :cite:`guyatt2011publication`).

    ``missing``: eligible registered trials without results we could read, ``(label, enrolled)``
    (None when the enrolment is unknown); ``absolute``: the row's (estimate, ci_low, ci_high) on the
    Summary of Findings scale. What-if (our rule): had the missing trials found no effect, the
    pooled absolute effect would shrink by about n / (n + m) (weights roughly in proportion to
    trial size); rated down when that moves the interval limit nearest to no effect across the
    threshold of an important effect, or the point estimate into another category (important
    effect / little to no effect). Funnel plots are not used with fewer than 10 trials
    (:cite:`sterne2011`)."""
    if not missing:
        return DomainRating("publication_bias", "not serious",
                            "No registered eligible trial without results is recorded for the drugs of this row; "
                            "fewer than 10 trials, so no funnel-plot test.", True)
    known = sum(n for _, n in missing if n)
    factor = n_participants / (n_participants + known) if n_participants + known else 1.0
    est, low, high = absolute

    def category(x: float) -> int:
        return 1 if x >= threshold else (-1 if x <= -threshold else 0)

    near = low if est >= 0 else high
    moved = (category(near) != category(near * factor)) or (category(est) != category(est * factor))
    fmt = f"{{:+.{decimals}f}}"
    unknown = sum(1 for _, n in missing if not n)
    facts = (f"{len(missing)} registered eligible trial{'s' if len(missing) != 1 else ''} without results we could read "
             f"(see the list of missing evidence), {known:,} known participants"
             + (f" (enrolment not found for {unknown})" if unknown else "")
             + f" against {n_participants:,} analysed. Had they found no effect, "
             f"the estimate would shrink to about {fmt.format(est * factor)} {unit} and the interval limit nearest to no "
             f"effect to {fmt.format(near * factor)} {unit} (threshold ±{threshold:g})")
    if moved:
        return DomainRating("publication_bias", "serious", f"Missing evidence that could change the conclusion ({facts}).", True)
    return DomainRating("publication_bias", "not serious",
                        f"Missing evidence, but not enough to change the conclusion ({facts}).", True)
