"""The Summary of Findings: what does all the eligible evidence say, per outcome, and how sure is it?

Rows (:data:`SOF_ROWS`): the nine outcomes of the review from **every placebo-controlled trial in
the data** (the Liu set and the later phase-3 trials; :data:`PRIMARY`), all doses combined, plus
SALT ≤ 20 per drug at its licensed dose (baricitinib 4 mg and 2 mg, ritlecitinib 50 mg,
deuruxolitinib 8 mg twice daily). Rows whose recorded caveats keep them out of primary analyses
(inferred time points, adverse-event windows beyond the placebo-controlled period) are left out
(``exclude_caveats``; :data:`jakmeta.analysis.CAVEATS`).

Each row's estimate is the headline of the few-studies rule (:mod:`jakmeta.fewstudies`), its
certainty comes from :func:`jakmeta.certainty.assess`, and its plain-language statement from
GRADE's standard wording with the direction word of :mod:`jakmeta.wording`. The Liu-set analysis
(Liu et al.'s own trial set) is in :mod:`jakmeta.reproduction`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jakmeta import grade, wording
from jakmeta.analysis import OUTCOME_LABELS, Analysis, analyse, reporting_scale
from jakmeta.certainty import THRESHOLDS, Finding, assess, recorded_judgements
from jakmeta.data import DataPackage, load_package

#: Outcomes of the review, in the order of the Summary of Findings table.
OUTCOMES = ("salt20", "salt30", "salt50", "salt90", "salt_cfb",
            "ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation")

#: Settings of the primary analysis: all eligible trials, doses combined (Cochrane Handbook
#: 23.3.4), each trial's primary time point, reported and derived counts, caveat rows left out.
#: ``method``/``ci`` give the random-effects fit whose weights and heterogeneity are reported; the
#: headline estimate follows the few-studies rule.
PRIMARY = {"method": "REML", "ci": "hksj", "multiarm": "combine", "timepoint": "primary",
           "include_derived": True, "studies": "all", "exclude_caveats": True}

#: The per-drug rows: (row id, label, outcome, drug, dose prefix) at the licensed doses
#: (``arms.csv: licensed``).
DRUG_ROWS = (
    ("salt20_baricitinib_4mg", "SALT ≤ 20, baricitinib 4 mg", "salt20", "baricitinib", "4 mg"),
    ("salt20_baricitinib_2mg", "SALT ≤ 20, baricitinib 2 mg", "salt20", "baricitinib", "2 mg"),
    ("salt20_ritlecitinib_50mg", "SALT ≤ 20, ritlecitinib 50 mg", "salt20", "ritlecitinib", "50 mg"),
    ("salt20_deuruxolitinib_8mg", "SALT ≤ 20, deuruxolitinib 8 mg twice daily", "salt20", "deuruxolitinib", "8 mg"),
)


def sof_rows() -> list[dict]:
    """The rows of the Summary of Findings: id, label, outcome and the arm selection."""
    rows = []
    for outcome in OUTCOMES:
        label = OUTCOME_LABELS[outcome] + (" (all JAK inhibitors, doses combined)" if outcome == "salt20" else "")
        rows.append({"row": outcome, "label": label, "outcome": outcome, "drug": None, "dose": None})
        if outcome == "salt20":
            rows += [{"row": r, "label": lab, "outcome": o, "drug": d, "dose": ds} for r, lab, o, d, ds in DRUG_ROWS]
    return rows


def primary(pkg: DataPackage, outcome: str, **overrides) -> Analysis:
    """The primary analysis of ``outcome`` (settings :data:`PRIMARY`, overridable)."""
    return analyse(pkg, outcome, **{**PRIMARY, **overrides})



def direction(f: Finding) -> str:
    """Direction word of a finding from its absolute CI and threshold (:func:`wording.direction`)."""
    a = f.analysis
    low, high = f.absolute[1], f.absolute[2]
    if a.measure == "MD":  # a fall in SALT is an improvement
        return wording.direction(-high, -low, 0.0, THRESHOLDS[a.outcome], higher="reduction", lower="increase")
    return wording.direction(low, high, 0.0, THRESHOLDS[a.outcome])


def outcome_text(outcome: str) -> str:
    """The outcome as a phrase for a sentence."""
    if outcome == "salt_cfb":
        return "the extent of scalp hair loss (SALT score)"
    text = OUTCOME_LABELS[outcome]
    if text.startswith("SALT"):
        return "the proportion reaching " + text
    text = text[0].lower() + text[1:]
    if text.endswith("due to adverse event"):
        return "the proportion with " + text.replace("due to adverse event", "due to an adverse event")
    return "the proportion with " + (text + "s" if text.endswith("adverse event") else text)


def plain_statement(f: Finding) -> str:
    """GRADE's informative statement for one finding (Santesso et al. 2020): the certainty gives
    the verb, the point estimate against the outcome's threshold the effect
    (:func:`wording.effect_category`)."""
    drug, dose = f.analysis.settings.get("drug"), f.analysis.settings.get("dose")
    intervention = f"{drug} {dose}" if drug else "JAK inhibitors"
    effect = wording.effect_category(f.absolute[0], 0.0, THRESHOLDS[f.analysis.outcome])  # MD < 0: less hair loss
    return grade.plain_language(outcome_text(f.analysis.outcome), f.certainty, effect, intervention,
                                plural=drug is None)


def _effect_columns(f: Finding) -> dict:
    a, h = f.analysis, f.headline
    tr = reporting_scale(a.measure)
    out = {"model": h.model, "estimate": tr(h.estimate), "ci_low": tr(h.ci_low), "ci_high": tr(h.ci_high),
           "pi_low": tr(h.pi_low) if np.isfinite(h.pi_low) else np.nan,
           "pi_high": tr(h.pi_high) if np.isfinite(h.pi_high) else np.nan,
           "certainty": f.certainty}
    if a.measure == "MD":
        out["control"] = f"mean change {f.control_risk:+.1f} points"
        out["relative"] = "—"
        out["absolute"] = f"MD {h.estimate:+.1f} points ({f.interval} {h.ci_low:+.1f} to {h.ci_high:+.1f})"
        out["absolute_short"] = f"{h.estimate:+.1f} SALT points"
    else:
        out["control"] = f"{1000 * f.control_risk:.0f} per 1000"
        out["relative"] = f"{a.measure} {out['estimate']:.2f} ({f.interval} {out['ci_low']:.2f} to {out['ci_high']:.2f})"
        d = f.absolute
        out["absolute"] = (f"{wording.more_or_fewer(d[0])} per 1000 "
                           f"({f.interval} {wording.more_or_fewer(d[1])} to {wording.more_or_fewer(d[2])})")
        out["absolute_short"] = f"{wording.more_or_fewer(d[0])} per 1000"
    out["statement"] = plain_statement(f)
    out["footnotes"] = " | ".join(f.footnotes)
    return out


def no_pool_statement(a: Analysis) -> str:
    """What the SoF says when an outcome has no pooled estimate, naming any double-zero trials."""
    if len(a.excluded):
        counts = "; ".join(f"{r.trial}: {int(r.events_t)}/{int(r.n_t)} vs {int(r.events_c)}/{int(r.n_c)}"
                           for r in a.excluded.itertuples())
        return (f"Data from {len(a.excluded)} trial(s) with no event in either arm ({counts}): "
                f"no {a.measure} can be estimated.")
    return "No trial with usable data for both arms in the sources we could read."


def summary_of_findings(pkg: DataPackage, rows: list[dict] | None = None) -> pd.DataFrame:
    """The Summary of Findings, one row per :func:`sof_rows` entry (absent evidence says so)."""
    judgements = recorded_judgements(pkg)
    out = []
    for spec in rows or sof_rows():
        a = primary(pkg, spec["outcome"], drug=spec["drug"], dose=spec["dose"])
        row = {"row": spec["row"], "outcome": spec["outcome"], "label": spec["label"], "k": a.k,
               "trials": a.n_trials, "participants": a.n_participants, "measure": a.measure,
               "trials_with_data": len(a.trial_ids), "i2": a.result.i2 if a.result is not None else np.nan}
        if a.k == 0 and len(a.excluded):  # double-zero trials: data, but no ratio
            row.update(trials=len(a.excluded),
                       participants=int(a.excluded["n_t"].sum() + a.excluded["n_c"].sum()))
        f = assess(pkg, a, judgements)
        if f is None:
            row.update(model="", estimate=np.nan, ci_low=np.nan, ci_high=np.nan, pi_low=np.nan, pi_high=np.nan,
                       certainty="no estimate", control="", relative="", absolute="", absolute_short="",
                       statement=no_pool_statement(a), footnotes="")
        else:
            row.update(_effect_columns(f))
        out.append(row)
    return pd.DataFrame(out)


def sof_layout(sof: pd.DataFrame) -> pd.DataFrame:
    """The Summary of Findings in GRADEpro's layout, with lettered footnotes (``attrs['footnotes']``)."""
    rows, notes = [], []
    for r in sof.itertuples():
        letters = []
        for note in [n for n in str(r.footnotes).split(" | ") if n]:
            if note not in notes:
                notes.append(note)
            letters.append(chr(ord("a") + notes.index(note)))
        participants = (f"{r.participants:,} ({r.trials} RCT{'s' if r.trials != 1 else ''})"
                        if r.trials_with_data else "—")
        certainty = (f"{grade.SYMBOLS[r.certainty]} {r.certainty}" if r.certainty in grade.SYMBOLS
                     else r.certainty)
        rows.append({"Outcome": r.label, "№ of participants (studies)": participants,
                     "Relative effect (95% CI or CrI)": r.relative or "—", "Risk with placebo": r.control or "—",
                     "Risk difference with JAK inhibitor (95% CI or CrI)": r.absolute or "—",
                     "Certainty": certainty + (" " + ",".join(letters) if letters else ""),
                     "Model": r.model or "—"})
    table = pd.DataFrame(rows)
    table.attrs["footnotes"] = [f"{chr(ord('a') + i)}. {n}" for i, n in enumerate(notes)]
    return table


def answer_table(sof: pd.DataFrame) -> pd.DataFrame:
    """The answer first: per outcome (not the per-drug rows), trials and participants, estimate,
    absolute effect, certainty, and one plain-language sentence."""
    main = sof[sof["row"].isin(OUTCOMES)]
    return pd.DataFrame({
        "Outcome": main["label"].str.replace(" (all JAK inhibitors, doses combined)", "", regex=False),
        "Trials (participants)": [f"{r.trials} ({r.participants:,})" if r.trials_with_data else "—"
                                  for r in main.itertuples()],
        "Estimate (95% CI or CrI)": [(r.relative if r.measure != "MD" else r.absolute) if r.k else "—"
                              for r in main.itertuples()],
        "Absolute effect": [r.absolute_short or "—" for r in main.itertuples()],
        "Certainty": [f"{grade.SYMBOLS[c]} {c}" if c in grade.SYMBOLS else c for c in main["certainty"]],
        "In plain words": main["statement"],
    }).replace("", "—")


def summary_table(data_dir=None) -> pd.DataFrame:
    """Rows for ``python -m jakmeta summary``: every SoF row with its headline estimate and certainty."""
    pkg = load_package(data_dir)
    sof = summary_of_findings(pkg)
    columns = ["row", "k", "participants", "measure", "model", "estimate", "ci_low", "ci_high",
               "pi_low", "pi_high", "i2", "certainty"]
    table = sof[columns].rename(columns={"row": "outcome"})
    return table.round({"estimate": 3, "ci_low": 3, "ci_high": 3, "pi_low": 3, "pi_high": 3, "i2": 1})


def bottom_line(sof: pd.DataFrame) -> str:
    """The answer in two sentences, generated from the SoF rows (outcomes only, not drug rows)."""
    main = sof[sof["row"].isin(OUTCOMES)]
    estimated = main[main["k"] > 0]
    salt20 = main[main["row"] == "salt20"].iloc[0]
    text = (f"{wording.spell(len(estimated)).capitalize()} of the {wording.spell(len(main))} outcomes could be "
            f"estimated from the trials' data we could read. ")
    if salt20["k"] > 0:
        word = direction_from_row(salt20)
        text += (f"For the main outcome, SALT ≤ 20 (at most a fifth of the scalp without hair), "
                 f"{salt20['trials']} trials with {salt20['participants']:,} participants give an odds ratio of "
                 f"{salt20['estimate']:.1f} ({_interval(salt20)} {salt20['ci_low']:.1f} to {salt20['ci_high']:.1f}): "
                 f"{salt20['absolute_short']} reach it with a JAK inhibitor than with placebo "
                 f"({word}; {salt20['certainty']}-certainty evidence).")
    return text


def direction_from_row(row) -> str:
    """Direction word for a SoF row from its CI on the reporting scale (ratios: null 1; MD: null 0)."""
    null = 0.0 if row["measure"] == "MD" else 1.0
    word = wording.direction(row["ci_low"], row["ci_high"], null)
    return f"the {_interval(row)} {'includes' if word == 'no clear difference' else 'excludes'} no effect"


def _interval(row) -> str:
    """'95% CrI' for a Bayesian headline, '95% CI' otherwise (from the row's model)."""
    return "95% CrI" if str(row["model"]).lower().startswith("bayes") else "95% CI"
