"""Descriptive tables of the data package for the data chapter and the extraction log:
trial characteristics, the completeness matrix, the totals checked against the published ones,
and the list of values sought and not found."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jakmeta.analysis import LIU_SET, OUTCOME_LABELS
from jakmeta.data import BINARY_OUTCOMES, DataPackage

#: Outcomes shown in the completeness matrix, in this order.
MATRIX_OUTCOMES = ("salt20", "salt30", "salt50", "salt90", "salt_cfb", "ae_any", "ae_treatment_related",
                   "ae_serious", "ae_discontinuation")
#: Cell states of the completeness matrix, best first.
STATES = ("usable (reported)", "usable (derived)", "partial", "percent only", "not found")


def trial_characteristics(pkg: DataPackage) -> pd.DataFrame:
    """One row per trial: design facts and the number randomised (sum over arms, or the gap)."""
    rows = []
    for s in pkg.studies.itertuples():
        arms = pkg.arms[pkg.arms["study_id"] == s.study_id]
        n = arms["n_randomised"]
        known = int(n.sum()) if n.notna().any() else None
        n_text = (f"{known}" if n.notna().all() else
                  f"≥ {known} ({int(n.isna().sum())} arm(s) not found)" if known else "not found")
        rows.append({
            "Trial": s.trial_name, "Registry": s.registry_id, "Drug": s.drug, "Route": s.route,
            "Phase": s.phase, "Arms": "; ".join(arms["label"]), "Randomised": n_text,
            "Primary week": s.primary_timepoint_weeks, "Eligibility": s.eligibility,
            "In Liu 2023": {"yes": "yes", "probable": "probable (inferred)", "no": "no (later)"}.get(s.in_liu2023, s.in_liu2023),
        })
    return pd.DataFrame(rows)


def _cell_state(rows: pd.DataFrame, arms: pd.DataFrame, outcome: str) -> str:
    """State of one trial x outcome cell: can every arm be analysed, and from what kind of value?"""
    values = rows[rows["status"] != "not_available"]
    if values.empty:
        return "not found"
    if outcome in BINARY_OUTCOMES:
        usable = values[values["events"].notna() & values["total"].notna() & (values["analysis_use"] == "yes")]
    else:
        usable = values[values["sd"].notna() & values["n"].notna() & (values["analysis_use"] == "yes")]
    has_placebo = (usable["arm_id"].isin(arms.loc[arms["role"] == "placebo", "arm_id"])).any()
    has_active = (usable["arm_id"].isin(arms.loc[arms["role"] == "active", "arm_id"])).any()
    if has_placebo and has_active:
        return "usable (reported)" if set(usable["status"]) == {"reported"} else "usable (derived)"
    if outcome in BINARY_OUTCOMES and values["events"].isna().all():
        return "percent only"
    return "partial"


def completeness_matrix(pkg: DataPackage, outcomes=MATRIX_OUTCOMES) -> pd.DataFrame:
    """Trial x outcome: whether a placebo comparison can be analysed, and from what kind of value."""
    matrix = {}
    for s in pkg.studies.itertuples():
        arms = pkg.arms[pkg.arms["study_id"] == s.study_id]
        rows = pkg.outcomes[pkg.outcomes["study_id"] == s.study_id]
        matrix[s.trial_name] = {OUTCOME_LABELS[o]: _cell_state(rows[rows["outcome"] == o], arms, o)
                                for o in outcomes}
    return pd.DataFrame(matrix).T


def totals_check(pkg: DataPackage) -> pd.DataFrame:
    """Participants and women in the reconstructed Liu set beside Liu's published totals."""
    liu = pkg.studies.loc[pkg.studies["in_liu2023"].isin(LIU_SET), "study_id"]
    arms = pkg.arms[pkg.arms["study_id"].isin(liu)]
    n_found = int(arms["n_randomised"].sum())
    missing_arms = arms[arms["n_randomised"].isna()]
    published = pkg.published.set_index(["outcome", "measure"])["estimate"]
    chars = pkg.characteristics
    women = chars[(chars["characteristic"] == "female") & chars["study_id"].isin(liu)
                  & chars["events"].notna() & (chars["status"] != "not_available")]
    women_trials = sorted(set(women["study_id"]))
    rows = [
        {"Quantity": "Trials", "Ours": len(liu), "Liu et al. 2023": published.get(("trials", "count"), np.nan),
         "Note": "reconstructed set (inferred from the totals; Liu's list could not be read)"},
        {"Quantity": "Participants randomised", "Ours": n_found,
         "Liu et al. 2023": published.get(("participants", "count"), np.nan),
         "Note": (f"sum over arms with a known size; {len(missing_arms)} arm(s) without a size: "
                  + ", ".join(f"{a.study_id}/{a.arm_id}" for a in missing_arms.itertuples()))
         if len(missing_arms) else "sum over all arms"},
        {"Quantity": "Women", "Ours": int(women["events"].sum()) if len(women) else np.nan,
         "Liu et al. 2023": published.get(("female", "count"), np.nan),
         "Note": f"found for {len(women_trials)} of {len(liu)} trials" + (f" ({', '.join(women_trials)})" if women_trials else "")},
    ]
    return pd.DataFrame(rows)


def not_found(pkg: DataPackage) -> pd.DataFrame:
    """Every value sought and not found, per trial and outcome, with where we looked."""
    na = pkg.outcomes[pkg.outcomes["status"] == "not_available"]
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    grouped = (na.groupby(["study_id", "outcome", "timepoint_weeks"], sort=False)
                 .agg(arms=("arm_id", lambda s: ", ".join(s)),
                      where_we_looked=("locator", lambda s: " ; ".join(dict.fromkeys(
                          part.strip() for text in s for part in str(text).split(" ; ") if part.strip()))))
                 .reset_index())
    grouped.insert(0, "trial", grouped["study_id"].map(names))
    grouped["outcome"] = grouped["outcome"].map(lambda o: OUTCOME_LABELS.get(o, o))
    return grouped.drop(columns="study_id").rename(columns={"timepoint_weeks": "week"})


def conflicts(pkg: DataPackage) -> pd.DataFrame:
    """Arm x outcome x week with more than one value (different sources), and the one used."""
    values = pkg.outcomes[pkg.outcomes["status"] != "not_available"]
    key = ["study_id", "arm_id", "outcome", "timepoint_weeks"]
    multi = values[values.duplicated(subset=key, keep=False)].copy()
    multi["value"] = [f"{int(r.events)}/{int(r.total)}" if pd.notna(r.events) and pd.notna(r.total)
                      else (f"{r.reported_percent:g} %" if pd.notna(r.reported_percent) else "")
                      for r in multi.itertuples()]
    return multi[key + ["value", "population", "source", "status", "analysis_use"]].sort_values(key)
