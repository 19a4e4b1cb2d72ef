"""The GRADE evidence profile: one row per Summary of Findings row, one column per domain.

The layout of GRADE's evidence profile (:cite:`guyatt2011grade`; GRADEpro): number of studies and
design, then risk of bias, inconsistency, indirectness, imprecision and publication bias, each a
judgement with a numbered footnote that states its numbers, then the participants, the effects
as the Summary of Findings prints them, and the certainty with ⨁ symbols. Two columns carry the
sensitivity of the certainty: with the RoB 2 domains that have no information read by us counted
as *some concerns*, and (:func:`threshold_sensitivity`) under other thresholds of an important
effect.

The rows are those of :func:`jakmeta.review.sof.summary_of_findings`, keyed on its row id, so the
profile and the Summary of Findings cannot disagree.
"""

from __future__ import annotations

import pandas as pd

from jakmeta.evidence import rob
from jakmeta.evidence.package import DataPackage
from jakmeta.review import certainty, grade, sof

#: The domain columns of the profile, in GRADE's order.
DOMAIN_COLUMNS = tuple(grade.DOMAIN_NAMES[d] for d in grade.DOMAINS)
#: The judgement GRADE's sensitivity analysis gives a RoB 2 domain with no information read by us.
UNREAD_AS = "some_concerns"


def row_id(spec: dict) -> str:
    """The id of a Summary of Findings row spec (``row_id`` where present, else ``row``)."""
    return str(spec.get("row_id", spec.get("row")))


def specs(rows: list[dict] | None = None) -> dict[str, dict]:
    """The Summary of Findings row specs by id (default :func:`jakmeta.review.sof.sof_rows`)."""
    return {row_id(s): s for s in (rows or sof.sof_rows())}


def analysis_for(pkg: DataPackage, spec: dict):
    """The primary analysis behind one Summary of Findings row."""
    return sof.primary(pkg, spec["outcome"], drug=spec.get("drug"), dose=spec.get("dose"))


def certainty_cell(level: str) -> str:
    """'⨁⨁⨁◯ moderate' (certainty words in lower case throughout)."""
    return f"{grade.SYMBOLS[level]} {level}" if level in grade.SYMBOLS else level


class _Notes:
    """Numbered footnotes, each text once."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> int:
        if text not in self.texts:
            self.texts.append(text)
        return self.texts.index(text) + 1


def evidence_profile(pkg: DataPackage, rows: list[dict] | None = None,
                     sof_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The evidence profile, one row per Summary of Findings row; footnotes in ``attrs['footnotes']``
    (numbered as in the cells: ``serious [3]``) and the row ids in the column ``row``."""
    by_id = specs(rows)
    table = sof.summary_of_findings(pkg, list(by_id.values())) if sof_table is None else sof_table
    notes, out = _Notes(), []
    for r in table.itertuples():
        spec = by_id[str(r.row)]
        a = analysis_for(pkg, spec)
        f = certainty.assess(pkg, a)
        trials = ", ".join(dict.fromkeys(a.table["trial"])) if a.k else ""
        cells = {"row": r.row, "Outcome": r.label,
                 "Studies (design)": (f"{r.trials} RCT{'s' if r.trials != 1 else ''}" + (f": {trials}" if trials else ""))
                 if r.trials_with_data else "—"}
        if f is None:
            n = notes.mark(f"{r.label}: {r.statement}")
            cells.update({c: "—" for c in DOMAIN_COLUMNS})
            cells.update({"Participants": f"{r.participants:,}" if r.trials_with_data else "—",
                          "Relative effect": "—", "Absolute effect": "—",
                          "Certainty": f"no estimate [{n}]", "Certainty (sensitivity: RoB domains not read)": "—"})
            out.append(cells)
            continue
        for rating in f.ratings:
            source = "" if rating.computed else " (recorded judgement, data/grade_judgements.csv)"
            n = notes.mark(f"{grade.DOMAIN_NAMES[rating.domain]}, {r.label}: {rating.reason}{source}")
            cells[grade.DOMAIN_NAMES[rating.domain]] = f"{rating.judgement} [{n}]"
        sensitivity = certainty.assess(pkg, a, unread_as=UNREAD_AS)
        cells.update({"Participants": f"{r.participants:,}", "Relative effect": r.relative or "—",
                      "Absolute effect": r.absolute or "—", "Certainty": certainty_cell(f.certainty),
                      "Certainty (sensitivity: RoB domains not read)": certainty_cell(sensitivity.certainty)})
        out.append(cells)
    profile = pd.DataFrame(out)
    profile.attrs["footnotes"] = [f"[{i}] {t}" for i, t in enumerate(notes.texts, start=1)]
    return profile


def threshold_sensitivity(pkg: DataPackage, rows: list[dict] | None = None) -> pd.DataFrame:
    """Certainty of every Summary of Findings row under the book's thresholds and under the other
    defensible thresholds of :data:`jakmeta.review.certainty.THRESHOLD_SCENARIOS` (imprecision and the
    missing-evidence what-if use the threshold)."""
    out = []
    for rid, spec in specs(rows).items():
        a = analysis_for(pkg, spec)
        f = certainty.assess(pkg, a)
        unit = "SALT points" if a.measure == "MD" else "per 1000"
        row = {"row": rid, "Outcome": spec["label"],
               "Threshold": f"±{certainty.THRESHOLDS[spec['outcome']]:g} {unit}",
               "Certainty": certainty_cell(f.certainty) if f else "no estimate"}
        for name, scale in certainty.THRESHOLD_SCENARIOS.items():
            g = certainty.assess(pkg, a, threshold_scale=scale) if f else None
            row[f"Certainty, {name}"] = certainty_cell(g.certainty) if g else "no estimate"
        out.append(row)
    return pd.DataFrame(out)


def risk_of_bias_sources(pkg: DataPackage) -> pd.DataFrame:
    """Per trial and scope: the overall RoB 2 judgement, who made it (a published assessment, the
    review team from the trial's own documents, or none), the domains with no information read by
    us, and the source key."""
    from jakmeta.evidence.labels import reference_labels

    table = pkg.risk_of_bias
    labels = reference_labels()
    out = []
    for (sid, scope), group in table.groupby(["study_id", "outcome_scope"], sort=False):
        overall = group[group["domain"] == "overall"]
        judgement = overall["judgement"].iloc[0] if len(overall) else rob.NO_INFORMATION
        domains = group[group["domain"].isin(rob.DOMAINS)]
        published = domains["source_type"] == "secondary_review"
        gaps = [d.split("_")[0] for d in domains.loc[domains["judgement"] == rob.NO_INFORMATION, "domain"]]
        out.append({"study_id": sid, "Results": scope,
                    "Overall": "no information read by us" if judgement == rob.NO_INFORMATION
                    else judgement.replace("_", " "),
                    "Judged by": ("published RoB 2 assessment" if len(domains) and published.all()
                                  else "published assessment and review team" if published.any()
                                  else "review team, from the trial's documents"),
                    "Domains with no information read by us": ", ".join(gaps) or "none",
                    "Source of the overall row": labels.get(overall["source"].iloc[0], overall["source"].iloc[0])
                    if len(overall) else "—"})
    return pd.DataFrame(out)


def changes(table: pd.DataFrame, column: str, reference: str = "Certainty") -> str:
    """'SALT ≤ 20, deuruxolitinib 8 mg twice daily (high → moderate); …' for the rows whose
    certainty in ``column`` differs from ``reference``; 'no row' when none does."""
    words = [(r["Outcome"], str(r[reference]).split(" ", 1)[-1], str(r[column]).split(" ", 1)[-1])
             for _, r in table.iterrows() if r[column] != r[reference] and not str(r[reference]).startswith("no estimate")]
    return "; ".join(f"{o} ({a} → {b})" for o, a, b in words) or "no row"
