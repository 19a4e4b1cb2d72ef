"""Harms per licensed drug and dose: "at what cost?".

For each dose licensed for alopecia areata (``arms.csv: licensed = yes``; for BRAVE-AA1/AA2 the
pseudo-arm that pools the two licensed baricitinib doses, where the serious adverse events are
posted only pooled), each harm the data hold is compared with placebo trial by trial and, where two
or more trials report it, pooled with the Mantel-Haenszel risk ratio without continuity correction,
the Cochrane Handbook's choice for rare events (section 10.4.4, :cite:`cochrane_handbook_ch10`;
:func:`jakmeta.stats.common_effect.mantel_haenszel`, :cite:`greenland1985`). Trials with no event in
either arm add nothing to the MH estimate and are named.

Two windows: ``primary`` uses only counts confined to the placebo-controlled period
(``analysis_use = yes``); ``sensitivity`` puts back the counts whose window runs past it
(``ae_window = beyond_placebo_period`` or ``unknown``) where no primary count exists. The window of
every value is shown. The comparisons come from :func:`jakmeta.review.analysis.comparison_table` (rule
``licensed``: only the licensed arms, merged), so a harm row here is the same comparison the other
chapters would compute.
"""

from __future__ import annotations

import math

import pandas as pd

from jakmeta.evidence.labels import outcome_label
from jakmeta.evidence.package import DataPackage
from jakmeta.review.analysis import comparison_table, study_set
from jakmeta.stats.common_effect import mantel_haenszel

#: The harms of the table, in this order: serious AEs, discontinuation, then the specific AEs.
HARM_OUTCOMES = ("ae_serious", "ae_discontinuation", "ae_acne", "ae_uri", "ae_nasopharyngitis", "ae_headache",
                 "ae_cpk_increased", "ae_covid19", "ae_uti", "ae_herpes_zoster")
WINDOWS = ("primary", "sensitivity")
WINDOW_WORDS = {"placebo_controlled": "placebo-controlled period", "beyond_placebo_period": "past the placebo-controlled period",
                "unknown": "window unknown", "": "window not recorded"}


def licensed_doses(pkg: DataPackage) -> list[tuple[str, str]]:
    """(drug, dose) pairs licensed for alopecia areata, in the order of ``arms.csv``; the pooled
    pseudo-arm of two licensed doses counts as its own pair (its dose names both)."""
    arms = pkg.arms[pkg.arms["licensed"] == "yes"]
    return list(dict.fromkeys(zip(arms["drug"], arms["dose"].astype(str), strict=True)))


def _windows(pkg: DataPackage, sid: str, outcome: str, week: int, arms_text: str, window: str) -> str:
    """The AE windows of the values behind one comparison (``arms_text``: the merged arm labels):
    per arm the primary row, and in the sensitivity window a sensitivity row where no primary row
    exists (the rule of :func:`jakmeta.review.analysis.comparison_table`)."""
    o = pkg.outcomes.merge(pkg.arms[["study_id", "arm_id", "label", "role"]], on=["study_id", "arm_id"])
    rows = o[(o["study_id"] == sid) & (o["outcome"] == outcome) & (o["timepoint_weeks"] == week)
             & o["analysis_use"].isin(["yes"] if window == "primary" else ["yes", "sensitivity"])
             & (o["status"] != "not_available")]
    rows = rows[rows["label"].map(lambda label: label in arms_text) | (rows["role"] == "placebo")]
    primary_arms = set(rows.loc[rows["analysis_use"] == "yes", "arm_id"])
    rows = rows[(rows["analysis_use"] == "yes") | ~rows["arm_id"].isin(primary_arms)]
    values = [str(v) if isinstance(v, str) else "" for v in rows["ae_window"]]
    return "; ".join(WINDOW_WORDS.get(v, v) for v in dict.fromkeys(values))


def harm_comparisons(pkg: DataPackage, outcome: str, drug: str, dose: str, window: str = "primary") -> pd.DataFrame:
    """Trial-level comparisons of one harm for one licensed drug and dose: events and totals per
    arm, the AE window of the values and the source types. ``window``: ``primary`` or ``sensitivity``."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window '{window}'; valid: {', '.join(WINDOWS)}")
    table = comparison_table(pkg, outcome, multiarm="licensed", studies=study_set(pkg, "all"), drug=drug, dose=dose,
                             exclude_caveats=(window == "primary"))
    if table.empty:
        return table.assign(ae_window=[])
    table = table.copy()
    table["ae_window"] = [_windows(pkg, r.study_id, outcome, int(r.timepoint_weeks), r.arms, window)
                          for r in table.itertuples()]
    return table


def pooled_rr(table: pd.DataFrame) -> dict:
    """Mantel-Haenszel RR (no continuity correction) over the trials of ``table``; ``estimable`` is
    False when no trial has an event in each arm's margin (the MH RR is then undefined)."""
    informative = table[(table["events_t"] + table["events_c"]) > 0]
    if informative.empty:
        return {"estimable": False, "k": len(table), "reason": "no events in either arm"}
    try:
        r = mantel_haenszel(table["events_t"], table["n_t"], table["events_c"], table["n_c"], measure="RR")
    except ValueError as err:
        return {"estimable": False, "k": len(table), "reason": str(err)}
    return {"estimable": True, "k": len(table), "rr": math.exp(r.estimate), "ci_low": math.exp(r.ci_low),
            "ci_high": math.exp(r.ci_high), "i2": r.i2, "result": r}


def _dose_words(drug: str, dose: str) -> str:
    """'ritlecitinib 50 mg QD (approved dose)' -> 'ritlecitinib 50 mg QD': the dose as prescribed."""
    return f"{drug} {dose.split(' (')[0]}"


def harms_table(pkg: DataPackage, window: str = "primary", outcomes=HARM_OUTCOMES) -> pd.DataFrame:
    """One row per licensed drug and dose x harm with data: trials, events/total per group, the
    Mantel-Haenszel RR (pooled where two or more trials report it), the AE window of each value and
    the source types."""
    rows = []
    for drug, dose in licensed_doses(pkg):
        for outcome in outcomes:
            t = harm_comparisons(pkg, outcome, drug, dose, window)
            if t.empty:
                continue
            fit = pooled_rr(t)
            pooled = fit["estimable"] and len(t) >= 2
            rows.append({
                "Drug and dose": _dose_words(drug, dose),
                "Harm": outcome_label(outcome),
                "Trials": "; ".join(t["trial"]),
                "k": len(t),
                "JAK inhibitor": f"{int(t['events_t'].sum())}/{int(t['n_t'].sum())}",
                "Placebo": f"{int(t['events_c'].sum())}/{int(t['n_c'].sum())}",
                "RR": fit.get("rr", float("nan")),
                "95% CI": (f"{fit['ci_low']:.2f} to {fit['ci_high']:.2f}" if fit["estimable"] else "not estimable"),
                "Estimate": ("pooled (Mantel-Haenszel)" if pooled else "single trial" if len(t) == 1 and fit["estimable"]
                             else fit.get("reason", "")),
                "AE window per trial": " | ".join(f"{r.trial}: {r.ae_window}" for r in t.itertuples()),
                "outcome": outcome, "drug": drug, "dose": dose, "window": window,
            })
    return pd.DataFrame(rows)


def pooled_specific_aes(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`harms_table` that pool a specific adverse event (not serious AEs or
    discontinuation) over two or more trials."""
    if table.empty:
        return table
    specific = ~table["outcome"].isin(["ae_serious", "ae_discontinuation"])
    return table[specific & (table["Estimate"] == "pooled (Mantel-Haenszel)")]
