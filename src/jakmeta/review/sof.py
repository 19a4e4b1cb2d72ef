"""The Summary of Findings: what does the eligible evidence say, per drug and dose and for the
class, and how sure is it?

Rows: the primary entries of the protocol, ``data/analyses.csv`` (:mod:`jakmeta.review.protocol`): SALT ≤ 20
per drug at its licensed dose (and the new drugs' doses, which fill in when their data enter), the
outcomes of the review for JAK inhibitors as a class (therapeutic doses combined, dose-ranging arms
left out), and serious adverse events and discontinuation per licensed drug. Every choice (trial
set, time point, multi-arm rule, arms left out, measure, model and prior, threshold) is read from
the protocol; none is re-stated here. A class row resting on one drug is labelled with that drug,
its route, trials and week (:func:`jakmeta.review.protocol.describe`); every row names the drugs, trials
and weeks it rests on.

Each row's estimate is the headline of :func:`jakmeta.review.fewstudies.headline` for the protocol's
model, its certainty comes from :func:`jakmeta.review.certainty.assess`, and its plain-language statement
from GRADE's standard wording with the direction word of :mod:`jakmeta.review.wording`. The Liu-set
analysis (Liu et al.'s own trial set) is in :mod:`jakmeta.review.reproduction`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import OUTCOME_LABELS
from jakmeta.evidence.package import DataPackage, load_package
from jakmeta.review import grade, protocol, wording
from jakmeta.review.analysis import Analysis, analyse, reporting_scale
from jakmeta.review.certainty import THRESHOLDS, Finding, assess, recorded_judgements

#: Outcomes of the review, in the order of the Summary of Findings table.
OUTCOMES = ("salt20", "salt30", "salt50", "salt90", "salt_cfb",
            "ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation")

#: Settings that ``primary`` uses for a question the protocol has no entry for (e.g. a drug and
#: dose without a row); every Summary of Findings row comes from ``data/analyses.csv``.
PRIMARY = {"method": "REML", "ci": "hksj", "multiarm": "combine", "timepoint": "primary",
           "include_derived": True, "studies": "all", "exclude_caveats": True}


def sof_rows(pkg: DataPackage | None = None) -> list[dict]:
    """The rows of the Summary of Findings (the protocol's primary entries): ``row`` (= ``row_id``),
    label, outcome and the arm selection."""
    return [{"row": e.row_id, "row_id": e.row_id, "label": e.label, "outcome": e.outcome, "drug": e.drug,
             "dose": e.dose, "level": e.level, "answer": e.answer}
            for e in protocol.entries(pkg, role="primary")]


def primary(pkg: DataPackage, outcome: str, drug: str | None = None, dose: str | None = None,
            **overrides) -> Analysis:
    """The protocol's analysis of ``outcome`` for the class (or ``drug`` and ``dose``), with
    ``overrides``; a question without a protocol entry gets :data:`PRIMARY`'s settings."""
    e = protocol.find(pkg, outcome, drug, dose)
    if e is not None:
        return protocol.run(pkg, e, **overrides)
    return analyse(pkg, outcome, **{**PRIMARY, "drug": drug, "dose": dose, **overrides})


def analysis_for(pkg: DataPackage, row_id: str, **overrides) -> Analysis:
    """The analysis of one protocol row (:func:`jakmeta.review.protocol.run`)."""
    return protocol.run(pkg, row_id, **overrides)


def direction(f: Finding) -> str:
    """Direction word of a finding from its absolute CI and threshold (:func:`wording.direction`)."""
    a = f.analysis
    low, high = f.absolute[1], f.absolute[2]
    if a.measure == "MD":  # a fall in SALT is an improvement
        return wording.direction(-high, -low, 0.0, threshold_of(a), higher="reduction", lower="increase")
    return wording.direction(low, high, 0.0, threshold_of(a))


def threshold_of(a: Analysis) -> float:
    """The importance threshold of an analysis: its protocol row's, else the outcome's."""
    row_id = a.settings.get("row_id") if a.settings else None
    if row_id:
        return protocol.entry(None, row_id).threshold
    return THRESHOLDS[a.outcome]


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
    drugs = protocol.drugs_of(f.analysis)
    if drug:
        intervention = f"{drug} {dose}" if dose and dose != "licensed" else drug
    elif len(drugs) == 1:  # a class row resting on one drug answers for that drug only
        intervention = drugs[0]
    else:
        intervention = "JAK inhibitors"
    effect = wording.effect_category(f.absolute[0], 0.0, THRESHOLDS[f.analysis.outcome])  # MD < 0: less hair loss
    return grade.plain_language(outcome_text(f.analysis.outcome), f.certainty, effect, intervention,
                                plural=intervention == "JAK inhibitors")


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


def no_pool_statement(a: Analysis, pkg: DataPackage | None = None) -> str:
    """What the SoF says when an outcome has no pooled estimate, naming any double-zero trials, or
    that the data package has no trial of the row's drug yet."""
    drug = a.settings.get("drug") if a.settings else None
    if drug and pkg is not None and not (pkg.arms["drug"] == drug).any():
        return (f"No trial of {drug} is in this version's data: the row fills in when its trials enter "
                "the data package.")
    if len(a.excluded):
        counts = "; ".join(f"{r.trial}: {int(r.events_t)}/{int(r.n_t)} vs {int(r.events_c)}/{int(r.n_c)}"
                           for r in a.excluded.itertuples())
        return (f"Data from {len(a.excluded)} trial(s) with no event in either arm ({counts}): "
                f"no {a.measure} can be estimated.")
    return "No trial with usable data for both arms in the sources we could read."


def _entry_of(pkg: DataPackage, spec) -> protocol.Entry:
    if isinstance(spec, protocol.Entry):
        return spec
    return protocol.entry(pkg, spec["row"] if isinstance(spec, dict) else str(spec))


def summary_row(pkg: DataPackage, spec, judgements: pd.DataFrame | None = None, **overrides) -> dict:
    """One Summary of Findings row for a protocol entry (``spec``: an entry, a row id or a
    :func:`sof_rows` dict); ``overrides`` change one choice (as ``analyse --row`` does)."""
    e = _entry_of(pkg, spec)
    judgements = recorded_judgements(pkg) if judgements is None else judgements
    a = protocol.run(pkg, e, **overrides)
    described = protocol.describe(e, a)
    row = {"row": e.row_id, "row_id": e.row_id, "outcome": e.outcome, "label": described["label"],
           "intervention": described["intervention"], "drugs": described["drugs"],
           "trial_names": described["trials"], "weeks": described["weeks"], "level": e.level,
           "class_row": described["class_row"], "answer": e.answer, "k": a.k,
           "trials": a.n_trials, "participants": a.n_participants, "measure": a.measure,
           "trials_with_data": len(a.trial_ids), "i2": a.result.i2 if a.result is not None and a.k > 1 else np.nan}
    if a.k == 0 and len(a.excluded):  # double-zero trials: data, but no ratio
        row.update(trials=len(a.excluded),
                   participants=int(a.excluded["n_t"].sum() + a.excluded["n_c"].sum()))
    f = assess(pkg, a, judgements)
    if f is None:
        row.update(model="", estimate=np.nan, ci_low=np.nan, ci_high=np.nan, pi_low=np.nan, pi_high=np.nan,
                   certainty="no estimate", control="", relative="", absolute="", absolute_short="",
                   statement=no_pool_statement(a, pkg), footnotes="")
    else:
        row.update(_effect_columns(f))
    return row


def summary_of_findings(pkg: DataPackage, rows: list | None = None) -> pd.DataFrame:
    """The Summary of Findings, one row per protocol entry (default: every primary entry;
    absent evidence says so)."""
    judgements = recorded_judgements(pkg)
    specs = rows if rows is not None else protocol.entries(pkg, role="primary")
    return pd.DataFrame([summary_row(pkg, spec, judgements) for spec in specs])


def sof_layout(sof: pd.DataFrame) -> pd.DataFrame:
    """The Summary of Findings in GRADEpro's layout, with lettered footnotes (``attrs['footnotes']``)
    and the protocol row of each line (``attrs['row_ids']``, for :mod:`jakmeta.book.computed`)."""
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
        rows.append({"Outcome": r.label, "Evidence (drugs; trials; weeks)": evidence_text(r),
                     "№ of participants (studies)": participants,
                     "Relative effect (95% CI or CrI)": r.relative or "—", "Risk with placebo": r.control or "—",
                     "Risk difference with JAK inhibitor (95% CI or CrI)": r.absolute or "—",
                     "Certainty": certainty + (" " + ",".join(letters) if letters else ""),
                     "Model": r.model or "—"})
    table = pd.DataFrame(rows)
    table.attrs["footnotes"] = [f"{chr(ord('a') + i)}. {n}" for i, n in enumerate(notes)]
    table.attrs["row_ids"] = list(sof["row_id"]) if "row_id" in sof else []
    return table


def evidence_text(r) -> str:
    """'baricitinib; BRAVE-AA1, BRAVE-AA2; week 36' for a SoF row, or an em dash without data."""
    get = r.get if isinstance(r, dict) else (lambda k, d=None: getattr(r, k, d))
    parts = [get("drugs", ""), get("trial_names", "").replace("; ", ", "),
             ("week " if "," not in str(get("weeks", "")) else "weeks ") + str(get("weeks", "")) if get("weeks", "") else ""]
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else "—"


def answer_table(sof: pd.DataFrame) -> pd.DataFrame:
    """The answer first: per drug at its licensed dose, then the class (the protocol's ``answer``
    rows): the question, what it rests on (drugs, trials, weeks), trials and participants,
    estimate, absolute effect, certainty, and one plain-language sentence; ``attrs['row_ids']``
    names the protocol row of each line."""
    answer = sof[sof["answer"]] if "answer" in sof else sof[sof["row"].isin(OUTCOMES)]
    main = pd.concat([answer[answer["level"] == "drug"], answer[answer["level"] != "drug"]]) \
        if "level" in answer else answer
    absent = main[(main.get("level", "") == "drug") & (main["trials_with_data"] == 0)] if "level" in main else main.iloc[0:0]
    main = main.drop(index=absent.index)
    table = pd.DataFrame({
        "Question": main["label"],
        "Rests on (drugs; trials; weeks)": [evidence_text(r) for r in main.to_dict("records")],
        "Trials (participants)": [f"{r.trials} ({r.participants:,})" if r.trials_with_data else "—"
                                  for r in main.itertuples()],
        "Estimate (95% CI or CrI)": [(r.relative if r.measure != "MD" else r.absolute) if r.k else "—"
                              for r in main.itertuples()],
        "Absolute effect": [r.absolute_short or "—" for r in main.itertuples()],
        "Certainty": [f"{grade.SYMBOLS[c]} {c}" if c in grade.SYMBOLS else c for c in main["certainty"]],
        "In plain words": main["statement"],
    }).replace("", "—")
    table.attrs["no_data"] = list(absent["intervention"]) if "intervention" in absent else []
    table.attrs["row_ids"] = list(main["row_id"]) if "row_id" in main else []
    return table


def no_data_sentence(answer: pd.DataFrame) -> str:
    """The drug rows of the protocol without trials in this version's data (:func:`answer_table`)."""
    names = answer.attrs.get("no_data", [])
    if not names:
        return ""
    return ("No trial in this version's data yet for: " + ", ".join(names)
            + " (their rows fill in when the trials enter the data package).")


def summary_table(data_dir=None) -> pd.DataFrame:
    """Rows for ``python -m jakmeta summary``: every SoF row with its headline estimate and certainty."""
    pkg = load_package(data_dir)
    return summary_columns(summary_of_findings(pkg))


#: Columns of ``python -m jakmeta summary`` and of ``analyse --row ... --format csv``.
SUMMARY_COLUMNS = ["row_id", "outcome", "intervention", "drugs", "trials", "weeks", "k", "participants",
                   "measure", "model", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "certainty"]


def summary_columns(sof: pd.DataFrame) -> pd.DataFrame:
    """SoF rows as the command line prints them (:data:`SUMMARY_COLUMNS`; ``trials`` are trial names),
    at full precision: the markdown table prints 3 significant figures, CSV keeps every digit."""
    return sof.drop(columns=["trials"]).rename(columns={"trial_names": "trials"})[SUMMARY_COLUMNS]


def bottom_line(sof: pd.DataFrame) -> str:
    """The answer in a few sentences, generated from the SoF rows: SALT ≤ 20 per drug at its
    licensed dose first, then the class."""
    main = sof[sof["row"].isin(OUTCOMES)]
    estimated = main[main["k"] > 0]
    drugs = sof[(sof["level"] == "drug") & (sof["outcome"] == "salt20") & (sof["k"] > 0)] if "level" in sof else sof.iloc[0:0]
    text = ""
    if len(drugs):
        parts = [f"{r['intervention']} OR {r['estimate']:.1f} ({interval_name(r)} {r['ci_low']:.1f} to {r['ci_high']:.1f}; "
                 f"{r['trials']} trial{'s' if r['trials'] != 1 else ''}, {r['certainty']} certainty)"
                 for r in drugs.to_dict("records")]
        text += ("SALT ≤ 20 (at most a fifth of the scalp without hair) against placebo, per drug at its licensed "
                 "dose: " + "; ".join(parts) + ". ")
    text += (f"{wording.spell(len(estimated)).capitalize()} of the {wording.spell(len(main))} outcomes could be "
             f"estimated from the trials' data we could read. ")
    salt20 = main[main["row"] == "salt20"].iloc[0]
    if salt20["k"] > 0:
        word = direction_from_row(salt20)
        who = "JAK inhibitors as a class" if salt20.get("class_row", True) else salt20["intervention"]
        text += (f"For {who} ({salt20['drugs'].replace('; ', ', ')}), {salt20['trials']} trials with "
                 f"{salt20['participants']:,} participants give an odds ratio for SALT ≤ 20 of "
                 f"{salt20['estimate']:.1f} ({interval_name(salt20)} {salt20['ci_low']:.1f} to {salt20['ci_high']:.1f}): "
                 f"{salt20['absolute_short']} reach it than with placebo "
                 f"({word}; {salt20['certainty']}-certainty evidence).")
    return text


def direction_from_row(row) -> str:
    """Direction word for a SoF row from its CI on the reporting scale (ratios: null 1; MD: null 0)."""
    null = 0.0 if row["measure"] == "MD" else 1.0
    word = wording.direction(row["ci_low"], row["ci_high"], null)
    return f"the {interval_name(row)} {'includes' if word == 'no clear difference' else 'excludes'} no effect"


def interval_name(row) -> str:
    """'95% CrI' for a Bayesian headline, '95% CI' otherwise (from the row's model)."""
    return "95% CrI" if str(row["model"]).lower().startswith("bayes") else "95% CI"
