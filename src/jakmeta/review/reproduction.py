"""How close do we come to Liu et al.'s published figures, and why not closer?

:func:`liu_analysis` is the analysis Liu et al. (2023) specified (random effects, HKSJ interval,
REML τ² since the estimator is not stated, doses combined) on the reconstructed Liu trial set.
:func:`reproduction_rows` sets each published pooled figure of ``data/published.csv`` (review
``liu2023``) beside it and searches an exploration grid (:data:`SEARCH`: τ² estimator, interval,
multi-arm rule including the split placebo group, time point including every week in the data,
reported vs derived values, caveat rows, observed vs NEJM-estimated counts, and for the SALT change
the absolute or the percent change from baseline) for the settings that come closest.
:func:`trial_by_trial` explains each miss per trial. These settings are exploration, not our
primary analysis (:mod:`jakmeta.review.sof`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import OUTCOME_LABELS
from jakmeta.evidence.package import DataPackage, load_package
from jakmeta.review.analysis import Analysis, analyse, analysis_row, study_set
from jakmeta.review.sensitivity import NEJM_ESTIMATED, explore

#: Liu et al.'s specified analysis, on their (reconstructed) trial set.
LIU_SETTINGS = {"method": "REML", "ci": "hksj", "multiarm": "combine", "timepoint": "primary",
                "include_derived": True, "studies": "liu", "exclude_caveats": True}

#: Exploration grid for the closest settings.
SEARCH = {
    "method": ("DL", "REML"),
    "ci": ("z", "hksj", "hksj-adhoc"),
    "multiarm": ("combine", "highest", "licensed", "split"),
    "include_derived": (True, False),
    "exclude_caveats": (False, True),
    "basis": ("observed", "nejm_estimated"),
}

#: Outcomes in our data that may be what a published figure pooled.
OUTCOME_VARIANTS = {"salt_cfb": ("salt_cfb", "salt_pcfb")}

#: Within this relative distance of the published estimate a figure counts as reproduced.
TOLERANCE = 0.05


def liu_analysis(pkg: DataPackage, outcome: str, **overrides) -> Analysis:
    """Liu et al.'s specified analysis of ``outcome`` on the Liu trial set."""
    return analyse(pkg, outcome, **{**LIU_SETTINGS, **overrides})


def published_liu(pkg: DataPackage) -> pd.DataFrame:
    """Liu et al.'s pooled figures in data/published.csv (review liu2023, a ratio or difference)."""
    p = pkg.published
    mine = p["review"] == "liu2023" if "review" in p else p["source"].isin(["liu2023", "healthday2023liu"])
    return p[mine & p["measure"].isin(["OR", "RR", "MD", "RD"])].reset_index(drop=True)


def ci_overlap(a: tuple[float, float], b: tuple[float, float], log: bool) -> float:
    """Overlap of two intervals as a share of the published one (on the log scale for ratios)."""
    f = np.log if log else (lambda x: x)
    lo, hi = max(f(a[0]), f(b[0])), min(f(a[1]), f(b[1]))
    width = f(b[1]) - f(b[0])
    return float(max(0.0, hi - lo) / width) if width > 0 else float("nan")


def _verdict(ours: float, ours_ci: tuple, published: float, published_ci: tuple, measure: str) -> dict:
    if not np.isfinite(ours):
        return {"ratio": np.nan, "difference": np.nan, "ci_overlap": np.nan, "verdict": "not reproduced: no data"}
    log = measure in ("OR", "RR")
    ratio = ours / published if log else np.nan
    difference = ours - published if not log else np.nan
    ok = abs(math.log(ratio)) <= math.log(1 + TOLERANCE) if log else abs(difference) <= TOLERANCE * abs(published)
    return {"ratio": ratio, "difference": difference, "ci_overlap": ci_overlap(ours_ci, published_ci, log),
            "verdict": "reproduced (within 5 %)" if ok else "not reproduced"}


def _weeks(pkg: DataPackage, outcomes) -> list[int]:
    """Weeks at which a trial of the Liu set has usable values for one of ``outcomes``."""
    o = pkg.outcomes
    rows = o[o["outcome"].isin(outcomes) & (o["analysis_use"] == "yes") & o["study_id"].isin(study_set(pkg, "liu"))]
    return sorted(set(rows["timepoint_weeks"].astype(int)))


def search(pkg: DataPackage, outcome: str, measure: str, target: pd.Series) -> pd.DataFrame:
    """Every setting of :data:`SEARCH` x time point x outcome variant on the Liu set, with its
    distance to the published figure (sum of squared differences of estimate and CI limits, on the
    log scale for ratios); distinct analyses with an estimate only, closest first."""
    variants = OUTCOME_VARIANTS.get(outcome, (outcome,))
    grid = {"outcome": variants, "timepoint": ("primary", "latest", *_weeks(pkg, variants)), **SEARCH}
    o = pkg.outcomes
    rows = o[o["outcome"].isin(variants) & o["study_id"].isin(study_set(pkg, "liu")) & (o["analysis_use"] != "no")]
    # dimensions that cannot change anything for these rows are not searched
    if not rows["population"].astype(str).str.startswith(NEJM_ESTIMATED).any() and not (
            o["outcome"].isin(variants) & o["population"].astype(str).str.startswith(NEJM_ESTIMATED)).any():
        grid["basis"] = ("observed",)
    if not (rows["analysis_use"] == "sensitivity").any():
        grid["exclude_caveats"] = (True,)
    if not (rows["status"] != "reported").any():
        grid["include_derived"] = (True,)
    found = explore(pkg, outcome, grid, studies="liu", measure=measure)
    found = found[found["distinct"] & found["estimate"].notna()].copy()
    if found.empty:
        return found
    f = np.log if measure in ("OR", "RR") else (lambda x: x)
    found["distance"] = sum((f(found[c]) - f(target[c])) ** 2 for c in ("estimate", "ci_low", "ci_high"))
    return found.rename(columns={"outcome": "outcome_used"}).sort_values("distance").reset_index(drop=True)


def reproduction_rows(pkg: DataPackage, search_grid: bool = True) -> pd.DataFrame:
    """Each published pooled estimate of Liu et al. beside ours, with a verdict and the closest settings."""
    rows = []
    for _, p in published_liu(pkg).iterrows():
        outcome, measure = p["outcome"], p["measure"]
        a = liu_analysis(pkg, outcome, measure=measure)
        ours = analysis_row(a)
        row = {"outcome": outcome, "measure": measure, "published": p["estimate"],
               "published_ci_low": p["ci_low"], "published_ci_high": p["ci_high"],
               "published_source": p["source"], "k": a.k, "ours": ours["estimate"],
               "ours_ci_low": ours["ci_low"], "ours_ci_high": ours["ci_high"]}
        row.update(_verdict(row["ours"], (row["ours_ci_low"], row["ours_ci_high"]), p["estimate"],
                            (p["ci_low"], p["ci_high"]), measure))
        if search_grid:
            found = search(pkg, outcome, measure, p)
            row["settings_searched"] = len(found)
            if len(found):
                best = found.iloc[0]
                row["closest_settings"] = settings_words(best)
                row["closest_estimate"] = best["estimate"]
                row["closest_ci_low"], row["closest_ci_high"] = best["ci_low"], best["ci_high"]
                v = _verdict(best["estimate"], (best["ci_low"], best["ci_high"]), p["estimate"],
                             (p["ci_low"], p["ci_high"]), measure)
                row["closest_verdict"] = v["verdict"]
        rows.append(row)
    return pd.DataFrame(rows)


def reproduction_table(data_dir=None) -> pd.DataFrame:
    """Rows for ``python -m jakmeta reproduce``."""
    return reproduction_rows(load_package(data_dir)).round(3)


#: Values of outcomes.csv ``ae_window`` in words.
AE_WINDOW_WORDS = {"beyond_placebo_period": "runs past the placebo-controlled period", "unknown": "not reported"}


def _status(pkg: DataPackage, sid: str, variant: str, a: Analysis | None) -> str:
    o = pkg.outcomes
    mine = o[(o["study_id"] == sid) & (o["outcome"] == variant)]
    have = mine[mine["status"] != "not_available"]
    if a is not None and a.k and sid in set(a.table["study_id"]):
        return "entered"
    if a is not None and len(a.excluded) and sid in set(a.excluded["study_id"]):
        return "no event in either arm: no information on a ratio"
    if have.empty:
        return "not found in any source we could read"
    primary = have[have["analysis_use"] == "yes"]
    caveat = have[have["analysis_use"] == "sensitivity"]
    if primary.empty and len(caveat):
        reasons = []
        for column, label in (("timepoint_basis", "time point inferred"), ("ae_window", "AE window")):
            if column in caveat:
                values = [v for v in caveat[column].dropna().astype(str).unique() if v not in ("", "nan", "<NA>", "stated", "placebo_controlled")]
                reasons += [f"{label}: {AE_WINDOW_WORDS.get(v, v)}" if column == "ae_window" else label for v in values]
        return ("kept for sensitivity analyses only (" + ("; ".join(dict.fromkeys(reasons)) or "caveat recorded")
                + "; weeks " + ", ".join(map(str, sorted(set(caveat["timepoint_weeks"].astype(int))))) + ")")
    if primary.empty:
        return "values exist but cannot be pooled: " + "; ".join(dict.fromkeys(have["population"].astype(str)))
    placebo = set(pkg.arms[(pkg.arms["study_id"] == sid) & (pkg.arms["role"] == "placebo")]["arm_id"])
    if not set(primary["arm_id"]) & placebo:
        return "no placebo-arm value"
    if variant in ("salt_cfb", "salt_pcfb") and primary["sd"].isna().all():
        return "means without SD, SE or CI"
    return "usable values at weeks " + ", ".join(map(str, sorted(set(primary["timepoint_weeks"].astype(int)))))


def trial_by_trial(pkg: DataPackage, outcome: str, measure: str) -> pd.DataFrame:
    """For each trial of the Liu set and each outcome variant (e.g. absolute and percent change in
    SALT): what the data hold and whether it entered Liu et al.'s specified analysis."""
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    rows = []
    for variant in OUTCOME_VARIANTS.get(outcome, (outcome,)):
        a = liu_analysis(pkg, variant, measure=measure)
        for sid in study_set(pkg, "liu"):
            rows.append({"trial": names[sid], "outcome": OUTCOME_LABELS.get(variant, variant),
                         "status": _status(pkg, sid, variant, a)})
    return pd.DataFrame(rows)


def reproduction_reasons(pkg: DataPackage, table: pd.DataFrame) -> list[str]:
    """For each published figure, a paragraph: verdict, trials used, closest settings, source."""
    lines = []
    for r in table.itertuples():
        per_trial = trial_by_trial(pkg, r.outcome, r.measure)
        per_trial = per_trial[per_trial["outcome"] == OUTCOME_LABELS.get(r.outcome, r.outcome)]
        entered = per_trial[per_trial["status"] == "entered"]["trial"].tolist()
        text = (f"{OUTCOME_LABELS.get(r.outcome, r.outcome)} ({r.measure}): {r.verdict}; "
                f"{len(entered)} of {len(per_trial)} trials of the Liu set entered Liu et al.'s specified analysis"
                + (f" ({', '.join(entered)})" if entered else "") + ". ")
        if isinstance(getattr(r, "closest_settings", None), str):
            text += (f"Closest of {r.settings_searched} distinct settings: {r.closest_settings} "
                     f"({r.measure} {r.closest_estimate:.2f}, {r.closest_ci_low:.2f} to {r.closest_ci_high:.2f}; "
                     f"{r.closest_verdict}). ")
        if r.published_source != "liu2023":
            text += "The published figure itself comes from a news report, not the paper. "
        lines.append(text.strip())
    return lines


#: The grid's settings in words (:func:`settings_words`).
_WEEK_WORDS = {"primary": "each trial's primary week", "latest": "each trial's latest week"}
_CI_WORDS = {"z": "Wald (normal) interval", "hksj": "HKSJ interval", "hksj-adhoc": "modified HKSJ interval"}
_MULTIARM_WORDS = {"combine": "dose arms combined", "highest": "highest dose only", "licensed": "licensed doses only",
                   "split": "placebo group split"}


def settings_words(best) -> str:
    """One analysis setting of the search grid as a reader reads it: 'SALT50, each trial's latest
    week, τ² DL, Wald (normal) interval, highest dose only, reported and derived values, caveat rows
    in, observed data; trials: ...'."""
    from jakmeta.evidence.labels import outcome_label

    week = _WEEK_WORDS.get(str(best["timepoint"]), f"week {best['timepoint']}")
    return (f"{outcome_label(best['outcome_used'])}, {week}, τ² {best['method']}, "
            f"{_CI_WORDS.get(best['ci'], best['ci'])}, {_MULTIARM_WORDS.get(best['multiarm'], best['multiarm'])}, "
            f"{'reported and derived values' if best['include_derived'] else 'reported values only'}, "
            f"{'caveat rows out' if best['exclude_caveats'] else 'caveat rows in'}, "
            f"{'observed data' if best['basis'] == 'observed' else str(best['basis']).replace('_', ' ')}; "
            f"trials: {best['trials_used']}")
