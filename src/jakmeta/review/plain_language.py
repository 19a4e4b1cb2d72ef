"""The plain-language summary (``chapters/plain_language.ipynb``): the Summary of Findings told in
words a patient or a panel member knows, in the order of Cochrane's plain-language summaries (key
messages first; what we found; limitations; how up to date) :cite:`santesso2020`.

Every number comes from :func:`jakmeta.review.sof.summary_of_findings` and the data package; every
judgement word ("likely", "may", "very uncertain") is GRADE's standard wording that
:func:`jakmeta.review.sof.plain_statement` already applied to that row.
"""

from __future__ import annotations

import pandas as pd

from jakmeta.review import grade, wording
from jakmeta.review.sof import OUTCOMES

#: Certainty in words for a lay reader (GRADE's four levels).
CERTAINTY_WORDS = {"high": "high: further research is very unlikely to change it",
                   "moderate": "moderate: it is probably close to the truth",
                   "low": "low: the truth may be quite different",
                   "very low": "very low: the truth is probably quite different"}
HARMS = ("ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation")


def _estimated(sof: pd.DataFrame) -> pd.DataFrame:
    return sof[(sof["k"] > 0) & sof["certainty"].isin(list(grade.SYMBOLS))]


def _people(row) -> str:
    trials = f"{wording.spell(int(row.trials))} trial{'s' if row.trials != 1 else ''}"
    return f"{trials} with {int(row.participants):,} people"


def _effect(row) -> str:
    """"197 more per 1000 people" / "22.7 SALT points less hair loss"."""
    text = str(row.absolute_short)
    if row.measure == "MD":
        value = -float(row.estimate)
        return f"{abs(value):.1f} points {'less' if value > 0 else 'more'} of the scalp without hair (SALT)"
    return text.replace("per 1000", "people in every 1000")


def key_messages(sof: pd.DataFrame) -> list[str]:
    """Three to five sentences: the main outcome, the medicines at their licensed doses, harms, and
    what could not be estimated; each with its GRADE statement and certainty."""
    main = sof[sof["row"].isin(OUTCOMES)]
    done = _estimated(sof)
    messages = []
    salt20 = done[done["row"] == "salt20"]
    if len(salt20):
        r = next(salt20.itertuples())
        messages.append(f"{r.statement} SALT ≤ 20 means at most a fifth of the scalp without hair. In "
                        f"{_people(r)}, {_effect(r)} reached it with a JAK inhibitor than with placebo "
                        f"({r.certainty}-certainty evidence).")
    drugs = done[~done["row"].isin(OUTCOMES) & done["outcome"].eq("salt20")]
    if len(drugs):
        messages.append("Medicine by medicine, at the licensed doses: " + " ".join(drugs["statement"]))
    harms = done[done["row"].isin(HARMS)]
    if len(harms):
        messages.append("Harms: " + " ".join(f"{r.statement.rstrip('.')} ({r.certainty}-certainty evidence)."
                                             for r in harms.itertuples()))
    missing = main[~main["row"].isin(done["row"])]
    if len(missing):
        labels = ", ".join(wording_label(x) for x in missing["label"])
        messages.append(f"For {wording.spell(len(missing))} of the {wording.spell(len(main))} outcomes "
                        f"({labels}) no trial gave usable results for both groups in the sources we could read, "
                        "so nothing can be said about them yet.")
    return messages


def wording_label(label: str) -> str:
    """An outcome label inside a sentence: lower case unless it starts with an acronym."""
    label = label.replace(" (all JAK inhibitors, doses combined)", "")
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def findings_table(sof: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome and medicine: what was measured, in how many trials and people, what
    happened with the medicine compared with placebo, and how sure we are; ``attrs['row_ids']``
    names the protocol row of each line."""
    rows = []
    for r in sof.itertuples():
        estimated = r.k > 0 and r.certainty in grade.SYMBOLS
        rows.append({
            "What was measured": r.label.replace(" (all JAK inhibitors, doses combined)", " (all medicines)"),
            "Trials (people)": f"{int(r.trials)} ({int(r.participants):,})" if r.trials_with_data else "none",
            "With the medicine, compared with placebo": _effect(r) if estimated else "not known",
            "How sure we are": f"{grade.SYMBOLS[r.certainty]} {r.certainty}" if estimated else "—",
        })
    table = pd.DataFrame(rows)
    table.attrs["row_ids"] = list(sof["row_id"]) if "row_id" in sof else []
    return table


def limitations(pkg, sof: pd.DataFrame) -> list[str]:
    """What limits the evidence, computed: few trials per result, how long the trials lasted,
    outcomes rated low or very low, and outcomes without data."""
    main = sof[sof["row"].isin(OUTCOMES)]
    done = _estimated(main)
    out = []
    few = done[done["trials"] <= 2]
    if len(few):
        out.append(f"{wording.spell(len(few)).capitalize()} of the {wording.spell(len(done))} results we could "
                   f"estimate {'rests' if len(few) == 1 else 'rest'} on one or two trials; with so few trials the "
                   "statistics cannot tell how much "
                   "the effect varies from one setting to another.")
    weeks = pd.to_numeric(pkg.studies["primary_timepoint_weeks"], errors="coerce").dropna()
    if len(weeks):
        out.append(f"The trials measured their main results {int(weeks.min())} to {int(weeks.max())} weeks after "
                   "treatment started: they cannot show what happens over years of treatment, or after stopping it.")
    low = done[done["certainty"].isin(["low", "very low"])]
    if len(low):
        out.append(f"For {wording.spell(len(low))} of these results the certainty is low or very low: the "
                   "truth may be quite different. The certainty chapter gives the reasons, outcome by outcome.")
    missing = main[~main["row"].isin(done["row"])]
    if len(missing):
        out.append(f"Results for {wording.spell(len(missing))} outcome{'s' if len(missing) != 1 else ''} could not "
                   "be read in the sources available "
                   "to us (full texts and supplements could often be read only in part); the extraction log "
                   "lists every place we looked.")
    return out


def certainty_legend() -> str:
    """What each certainty level means, in words (GRADE)."""
    return "; ".join(f"{grade.SYMBOLS[level]} {text}" for level, text in CERTAINTY_WORDS.items()) + "."
