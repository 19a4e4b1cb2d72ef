"""How do our pooled results compare with other published meta-analyses of the same question?

:func:`triangulation_table` takes every pooled figure of another review in ``data/published.csv``
(review other than ``liu2023``) and sets beside it (a) our estimate on **the same trial set**, where
the review's trials are recorded (``trials``) and our data hold them, with the review's effect
measure, and (b) our estimate from **all eligible trials** (restricted to the review's drug when it
names one). :func:`reason` says in words why the figures can or cannot agree. Network and
active-versus-active comparisons are listed but not recomputed: our data are placebo-controlled
pairwise comparisons.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import OUTCOME_LABELS
from jakmeta.evidence.package import DataPackage
from jakmeta.review.analysis import analyse
from jakmeta.review.fewstudies import headline

DRUGS = ("baricitinib", "ritlecitinib", "deuruxolitinib", "ruxolitinib", "brepocitinib", "delgocitinib")
MEASURES = ("OR", "RR", "MD")
#: Within this relative distance a figure counts as "close" (ratio scale for ratios).
CLOSE = 0.10

#: Words for outcome codes that only other reviews use (data/published.csv), beside
#: :data:`jakmeta.evidence.labels.OUTCOME_LABELS` and :data:`jakmeta.evidence.labels.AE_LABELS`.
REVIEW_OUTCOME_LABELS = {
    "good_response": "Good response (as the review defines it)",
    "response_any": "Any response (as the review defines it)",
    "complete_response": "Complete response (as the review defines it)",
    "ae_ldl_increased": "LDL cholesterol increased",
    "ae_hyperlipidaemia": "Hyperlipidaemia",
}

#: The interval a review reports, in words.
INTERVAL_WORDS = {"CI": "95% confidence interval", "CrI": "95% credible interval (Bayesian)"}


def outcome_words(code: str) -> str:
    """An outcome code of any review in words (unknown codes stay as they are)."""
    from jakmeta.evidence.labels import outcome_label

    return REVIEW_OUTCOME_LABELS.get(code) or outcome_label(code)


def readable(table: pd.DataFrame, references: dict[str, str]) -> pd.DataFrame:
    """:func:`triangulation_table` for a reader: the review by author and year (``references`` from
    :func:`jakmeta.evidence.labels.reference_labels`), outcomes and intervals in words."""
    out = table.copy()
    out["review"] = out["review"].map(lambda k: references.get(k, k))
    out["outcome"] = out["outcome"].map(outcome_words)
    if "interval" in out:
        out["interval"] = out["interval"].map(lambda i: INTERVAL_WORDS.get(i, i) if isinstance(i, str) and i else "not stated")
    return out


def other_reviews(pkg: DataPackage) -> pd.DataFrame:
    """Pooled figures of reviews other than Liu et al. (2023) in data/published.csv."""
    p = pkg.published
    review = p["review"] if "review" in p else p["source"]
    return p[(review != "liu2023") & p["measure"].isin(MEASURES + ("ratio",))].reset_index(drop=True)


def _drug(comparison: str) -> str | None:
    named = [d for d in DRUGS if re.search(rf"\b{d}\b", comparison, re.IGNORECASE)]
    return named[0] if len(named) == 1 else None


def _active_vs_active(comparison: str) -> bool:
    return "active vs active" in comparison.lower() or "placebo" not in comparison.lower() and "control" not in comparison.lower()


def _trial_list(row: pd.Series, pkg: DataPackage) -> list[str] | None:
    text = str(row.get("trials", ""))
    ids = [t.strip() for t in text.split(";") if t.strip()]
    known = set(pkg.studies["study_id"])
    return ids if ids and all(i in known for i in ids) else None


def _ours(pkg: DataPackage, outcome: str, measure: str, studies, drug: str | None) -> dict:
    try:
        a = analyse(pkg, outcome, measure=measure, studies=studies, drug=drug)
    except (KeyError, ValueError):
        return {"k": 0, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "trials_used": ""}
    h = headline(a)
    if h is None:
        return {"k": 0, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "trials_used": ""}
    tr = math.exp if measure in ("OR", "RR") else (lambda x: x)
    return {"k": a.n_trials, "estimate": tr(h.estimate), "ci_low": tr(h.ci_low), "ci_high": tr(h.ci_high),
            "model": h.model, "trials_used": ", ".join(dict.fromkeys(a.table["trial"].str.split(":").str[0]))}


def _closeness(ours: float, theirs: float, measure: str) -> str:
    if not (np.isfinite(ours) and np.isfinite(theirs)):
        return "—"
    if measure in ("OR", "RR"):
        d = abs(math.log(ours / theirs))
        return "close (within 10 %)" if d <= math.log(1 + CLOSE) else f"ours {ours / theirs:.2f} times theirs"
    d = ours - theirs
    return "close (within 10 %)" if abs(d) <= CLOSE * abs(theirs) else f"ours {d:+.1f} from theirs"


def triangulation_table(pkg: DataPackage) -> pd.DataFrame:
    """Each other review's pooled figure beside ours (same trial set where possible; all trials)."""
    outcomes = set(pkg.outcomes["outcome"])
    rows = []
    for _, p in other_reviews(pkg).iterrows():
        comparison = str(p.get("comparison", ""))
        row = {"review": p.get("review", p["source"]), "outcome": p["outcome"], "comparison": comparison,
               "measure": p["measure"], "published": p["estimate"], "published_ci_low": p["ci_low"],
               "published_ci_high": p["ci_high"], "interval": p.get("interval", "CI"),
               "review_trials": p.get("review_k", p.get("k")), "model": p.get("model", "")}
        computable = (p["outcome"] in outcomes and p["measure"] in MEASURES and np.isfinite(p["estimate"])
                      and not _active_vs_active(comparison))
        drug = _drug(comparison)
        same = _trial_list(p, pkg)
        if computable and same is not None:
            o = _ours(pkg, p["outcome"], p["measure"], same, drug)
            row.update({"same_set_k": o["k"], "same_set": o["estimate"], "same_set_ci_low": o["ci_low"],
                        "same_set_ci_high": o["ci_high"], "same_set_trials": o["trials_used"]})
        if computable:
            o = _ours(pkg, p["outcome"], p["measure"], "all", drug)
            row.update({"all_k": o["k"], "all": o["estimate"], "all_ci_low": o["ci_low"], "all_ci_high": o["ci_high"]})
        best = row.get("same_set", np.nan)
        best = best if np.isfinite(best) else row.get("all", np.nan)
        row["how_close"] = _closeness(best, p["estimate"], p["measure"]) if computable else "not computed"
        row["why"] = reason(pkg, p, row, computable, same)
        rows.append(row)
    return pd.DataFrame(rows)


def reason(pkg: DataPackage, p: pd.Series, row: dict, computable: bool, same: list[str] | None) -> str:
    """Why our figure can or cannot match the review's, from the recorded facts."""
    comparison = str(p.get("comparison", ""))
    if p["measure"] not in MEASURES or not np.isfinite(p["estimate"]):
        return "The review's figure is not a pooled OR, RR or MD that our data could recompute."
    if _active_vs_active(comparison):
        return "An active-versus-active (network) comparison; our data hold placebo-controlled pairwise comparisons only."
    if p["outcome"] not in set(pkg.outcomes["outcome"]):
        return ("This outcome is not one of the outcomes in our data (the review's definition differs "
                "from SALT ≤ 20/30/50/90 or the SALT change).")
    parts = []
    if same is None:
        parts.append("the review's trial list is not recorded (or names trials outside our data), so only the "
                     "all-trials comparison is possible")
    else:
        used = set(row.get("same_set_trials", "").split(", ")) - {""}
        names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
        missing = [names[s] for s in same if names[s] not in used]
        if missing:
            parts.append("our data lack usable values for " + ", ".join(missing))
    if str(p.get("interval", "CI")) == "CrI":
        parts.append("the review reports a Bayesian credible interval")
    if isinstance(p.get("model"), str) and "not stated" in p["model"]:
        parts.append("the review's model is not stated in what we could read")
    k_same = row.get("same_set_k", np.nan)
    if np.isfinite(k_same) and np.isfinite(row.get("review_trials", np.nan)) and k_same < row["review_trials"]:
        parts.append(f"{int(k_same)} of the review's {int(row['review_trials'])} trials have usable data here")
    text = "; ".join(parts)
    return (text[0].upper() + text[1:] + ".") if text else "Same trials, same measure: differences come from the values and the model."


def summary_counts(table: pd.DataFrame) -> dict:
    """How many figures were compared, computed on the same trial set, and close."""
    return {"figures": len(table), "reviews": table["review"].nunique(),
            "computed": int((table["how_close"] != "not computed").sum()),
            "same_set": int(table.get("same_set", pd.Series(dtype=float)).notna().sum()),
            "close": int((table["how_close"] == "close (within 10 %)").sum())}


__all__ = ["OUTCOME_LABELS", "other_reviews", "reason", "summary_counts", "triangulation_table"]


def cochrane_regrowth(pkg: DataPackage) -> pd.DataFrame:
    """Per trial, the Cochrane review's "hair regrowth >= 75 %" (``regrowth75``, CD013719: short-term
    12-26 weeks, long-term > 26 weeks; doses pooled) as a risk ratio from its counts, beside our
    SALT <= 20 and SALT75 risk ratios for the same trial at its primary week (all doses combined).
    Cochrane's outcome is kept apart because its definition and week per trial are not in its data
    export; agreement in direction and size is what can be checked."""
    from jakmeta.stats.effects import binary_effects

    o = pkg.outcomes
    rows_used = o[(o["outcome"] == "regrowth75") & (o["status"] != "not_available")]
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    roles = dict(zip(zip(pkg.arms["study_id"], pkg.arms["arm_id"], strict=True), pkg.arms["role"], strict=True))
    out = []
    for (sid, week), group in rows_used.groupby(["study_id", "timepoint_weeks"], sort=False):
        treated = group[[roles.get((sid, a)) == "active" for a in group["arm_id"]]]
        control = group[[roles.get((sid, a)) == "placebo" for a in group["arm_id"]]]
        if treated.empty or control.empty:
            continue
        e_t, n_t = int(treated["events"].sum()), int(treated["total"].sum())
        e_c, n_c = int(control["events"].sum()), int(control["total"].sum())
        es = binary_effects([e_t], [n_t], [e_c], [n_c], measure="RR")
        yi, se = float(es.yi[0]), math.sqrt(float(es.vi[0]))
        row = {"Trial": names.get(sid, sid), "Cochrane term": "short-term (12-26 weeks)" if week <= 26 else "long-term (> 26 weeks)",
               "JAK inhibitor": f"{e_t}/{n_t}", "Placebo": f"{e_c}/{n_c}", "Cochrane RR": math.exp(yi),
               "Cochrane 95% CI": f"{math.exp(yi - 1.959964 * se):.2f} to {math.exp(yi + 1.959964 * se):.2f}"}
        for outcome, label in (("salt20", "Our RR, SALT ≤ 20"), ("salt75", "Our RR, SALT75")):
            a = analyse(pkg, outcome, measure="RR", studies=[sid], method="REML", ci="z")
            row[label] = math.exp(float(a.table["yi"].iloc[0])) if a.k else np.nan
        out.append(row)
    return pd.DataFrame(out)
