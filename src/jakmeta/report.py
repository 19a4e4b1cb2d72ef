"""The book's result tables, computed from the data package: the primary analyses, the sensitivity
grid, the GRADE Summary of Findings and the reproduction of the published figures.

The chapters and ``python -m jakmeta summary|reproduce`` call these; nothing here is typed in.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jakmeta import grade
from jakmeta.analysis import DEFAULT_MEASURE, OUTCOME_LABELS, Analysis, analyse
from jakmeta.data import DataPackage, load_package

#: Outcomes of the review, in the order of the Summary of Findings table.
OUTCOMES = ("salt20", "salt30", "salt50", "salt90", "salt_cfb",
            "ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation")

#: Primary analysis as Liu et al. (2023) specified it: random effects with the HKSJ interval.
#: Liu did not report the tau² estimator; REML is the default of current software and our choice.
PRIMARY = {"method": "REML", "ci": "hksj", "multiarm": "combine", "timepoint": "primary", "include_derived": True}

#: Stated thresholds of an important absolute effect for imprecision (per 1000 for binary
#: outcomes, SALT points for the SALT change) and the relative effect used for the optimal
#: information size. These are the book's judgements, shown in the GRADE chapter.
THRESHOLDS = {
    "salt20": 50, "salt30": 50, "salt50": 50, "salt90": 50, "salt_cfb": 10.0,
    "ae_any": 50, "ae_treatment_related": 50, "ae_serious": 10, "ae_discontinuation": 10,
}
OIS_RELATIVE_CHANGE = 0.25
OIS_SALT_SD = 30.0


def primary(pkg: DataPackage, outcome: str, **overrides) -> Analysis:
    """The primary analysis of ``outcome`` (settings :data:`PRIMARY`, overridable)."""
    settings = {**PRIMARY, **overrides}
    return analyse(pkg, outcome, **settings)


def _scale(measure: str):
    return math.exp if measure in ("OR", "RR") else (lambda x: x)


def analysis_row(a: Analysis) -> dict:
    """Flat summary of one analysis on the reporting scale (ratios exponentiated)."""
    tr = _scale(a.measure)
    row = {"outcome": a.outcome, "label": OUTCOME_LABELS.get(a.outcome, a.outcome), "k": a.k,
           "participants": a.n_participants, "measure": a.measure}
    r = a.result
    if r is None:
        row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, pi_low=np.nan, pi_high=np.nan,
                   tau2=np.nan, i2=np.nan, q=np.nan, q_pvalue=np.nan)
        return row
    finite = lambda v: tr(v) if np.isfinite(v) else np.nan  # noqa: E731
    row.update(estimate=tr(r.estimate), ci_low=tr(r.ci_low), ci_high=tr(r.ci_high),
               pi_low=finite(r.pi_low), pi_high=finite(r.pi_high), tau2=r.tau2, i2=r.i2,
               q=r.q, q_pvalue=r.q_pvalue)
    return row


# --------------------------------------------------------------------------------------------
# Sensitivity grid


GRID = {
    "method": ("DL", "REML", "PM", "SJ"),
    "ci": ("z", "hksj", "hksj-adhoc"),
    "multiarm": ("combine", "highest", "licensed", "split"),
    "include_derived": (False, True),
    "timepoint": ("primary", "latest"),
}


def sensitivity_grid(pkg: DataPackage, outcome: str, grid: dict | None = None, studies="liu",
                     measure: str | None = None) -> pd.DataFrame:
    """Every combination of tau² estimator x interval x multi-arm rule x data status x time point."""
    grid = grid or GRID
    rows = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid.keys(), values, strict=True))
        a = analyse(pkg, outcome, studies=studies, measure=measure, **settings)
        row = analysis_row(a)
        row.update({k: ("reported+derived" if v is True else "reported only" if v is False else v)
                    if k == "include_derived" else v for k, v in settings.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    first = list(grid.keys())
    return frame[first + [c for c in frame.columns if c not in first]]


# --------------------------------------------------------------------------------------------
# GRADE and the Summary of Findings


@dataclass(frozen=True)
class Finding:
    """Everything the Summary of Findings needs for one outcome."""

    analysis: Analysis
    ratings: tuple
    certainty: str
    control_risk: float
    absolute: tuple
    ois: int
    footnotes: tuple


def _control_risk(a: Analysis) -> float:
    """Median placebo risk across the trials in the analysis (GRADE's 'risk with placebo')."""
    risks = a.table["events_c"] / a.table["n_c"]
    return float(np.median(risks))


def _absolute_per_1000(a: Analysis, control_risk: float) -> tuple[float, float, float]:
    r = a.result
    tr = _scale(a.measure)
    if a.measure in ("OR", "RR"):
        values = [grade.risk_with_intervention(control_risk, tr(v), a.measure) - control_risk
                  for v in (r.estimate, r.ci_low, r.ci_high)]
    else:  # RD
        values = [r.estimate, r.ci_low, r.ci_high]
    return tuple(1000 * v for v in values)


def recorded_judgements(pkg: DataPackage) -> pd.DataFrame:
    """Recorded GRADE judgements (indirectness, publication bias) from data/grade_judgements.csv."""
    path = pkg.directory / "grade_judgements.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _recorded(judgements: pd.DataFrame, outcome: str, domain: str) -> grade.DomainRating:
    rows = judgements[(judgements["domain"] == domain) & judgements["outcome"].isin([outcome, "all"])]
    if rows.empty:
        return grade.DomainRating(domain, "not serious", "No concern recorded.", False)
    row = rows[rows["outcome"] == outcome].iloc[0] if (rows["outcome"] == outcome).any() else rows.iloc[0]
    return grade.DomainRating(domain, row["judgement"], row["reason"], False)


def assess(pkg: DataPackage, a: Analysis, judgements: pd.DataFrame | None = None) -> Finding | None:
    """GRADE assessment of one analysis; None when there is no trial with data."""
    if a.result is None:
        return None
    judgements = recorded_judgements(pkg) if judgements is None else judgements
    r = a.result
    weights = dict(zip(a.table["study_id"], np.atleast_1d(r.weights) if a.k > 1 else [100.0], strict=False))
    overall = pkg.risk_of_bias[(pkg.risk_of_bias["domain"] == "overall")]
    overall = dict(zip(overall["study_id"], overall["judgement"], strict=True))
    ratings = [grade.risk_of_bias_domain(weights, overall)]
    ratings.append(grade.inconsistency_domain(a.k, r.i2 if np.isfinite(r.i2) else 0.0, (r.ci_low, r.ci_high),
                                              (r.pi_low, r.pi_high)))
    ratings.append(_recorded(judgements, a.outcome, "indirectness"))
    threshold = THRESHOLDS[a.outcome]
    if a.measure == "MD":
        control = float(np.median(a.table["mean_c"]))
        absolute = (r.estimate, r.ci_low, r.ci_high)
        ois = grade.optimal_information_size_continuous(OIS_SALT_SD, threshold)
        # A larger fall in SALT is benefit: the thresholds are -threshold (benefit) and +threshold.
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, (-absolute[2], -absolute[1]),
                                                threshold, "SALT points"))
    else:
        control = _control_risk(a)
        absolute = _absolute_per_1000(a, control)
        ois = grade.optimal_information_size(min(max(control, 0.005), 0.995), OIS_RELATIVE_CHANGE)
        ratings.append(grade.imprecision_domain(a.k, a.n_participants, ois, absolute[1:], threshold, "per 1000"))
    ratings.append(_recorded(judgements, a.outcome, "publication_bias"))
    level = grade.certainty(ratings)
    notes = tuple(f"{grade.DOMAIN_NAMES[x.domain]}: {x.reason}" for x in ratings if x.downgrade > 0)
    return Finding(a, tuple(ratings), level, control, absolute, ois, notes)


def _direction(f: Finding) -> str:
    a = f.analysis
    threshold = THRESHOLDS[a.outcome]
    low, high = (f.absolute[1], f.absolute[2])
    if a.measure == "MD":
        low, high = -high, -low  # a fall in SALT is an improvement
    if low > 0:
        return "increase" if a.measure != "MD" else "reduction"
    if high < 0:
        return "reduction" if a.measure != "MD" else "increase"
    if -threshold < low and high < threshold:
        return "little to no difference"
    return "little to no difference" if abs(f.absolute[0]) < threshold else ("increase" if f.absolute[0] > 0 else "reduction")


def plain_statement(f: Finding) -> str:
    """GRADE's standard plain-language statement for one finding."""
    text = OUTCOME_LABELS[f.analysis.outcome]
    if f.analysis.measure == "MD":
        text = "SALT score (scalp hair loss)"
    else:
        text = "the proportion with " + text[0].lower() + text[1:] if not text.startswith("SALT") else \
            "the proportion reaching " + text
    return grade.plain_language(text, f.certainty, _direction(f))


def summary_of_findings(pkg: DataPackage, outcomes=OUTCOMES) -> pd.DataFrame:
    """GRADEpro-layout Summary of Findings, one row per outcome (absent outcomes say so)."""
    judgements = recorded_judgements(pkg)
    rows = []
    for outcome in outcomes:
        a = primary(pkg, outcome)
        f = assess(pkg, a, judgements)
        row = analysis_row(a)
        if f is None:
            row.update(certainty="no evidence", control="", absolute="", relative="",
                       statement="No trial with usable data for both arms in the sources we could read.", footnotes="")
            rows.append(row)
            continue
        row["certainty"] = f.certainty
        if a.measure == "MD":
            row["control"] = f"mean change {f.control_risk:+.1f} points"
            row["relative"] = "—"
            row["absolute"] = f"MD {a.result.estimate:+.1f} points ({a.result.ci_low:+.1f} to {a.result.ci_high:+.1f})"
        else:
            row["control"] = f"{1000 * f.control_risk:.0f} per 1000"
            row["relative"] = f"{a.measure} {row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f})"
            absolute = f.absolute
            row["absolute"] = (f"{abs(absolute[0]):.0f} {'more' if absolute[0] >= 0 else 'fewer'} per 1000 "
                               f"({_signed(absolute[1])} to {_signed(absolute[2])})")
        row["statement"] = plain_statement(f)
        row["footnotes"] = " | ".join(f.footnotes)
        rows.append(row)
    return pd.DataFrame(rows)


def _signed(v: float) -> str:
    return f"{abs(v):.0f} {'more' if v >= 0 else 'fewer'}"


def summary_table(data_dir=None) -> pd.DataFrame:
    """Rows for ``python -m jakmeta summary``."""
    pkg = load_package(data_dir)
    sof = summary_of_findings(pkg)
    columns = ["outcome", "k", "participants", "measure", "estimate", "ci_low", "ci_high",
               "pi_low", "pi_high", "i2", "certainty"]
    return sof[columns].round({"estimate": 3, "ci_low": 3, "ci_high": 3, "pi_low": 3, "pi_high": 3, "i2": 1})


# --------------------------------------------------------------------------------------------
# Reproduction of the published figures


def ci_overlap(a: tuple[float, float], b: tuple[float, float], log: bool) -> float:
    """Overlap of two intervals as a share of the published one (on the log scale for ratios)."""
    f = np.log if log else (lambda x: x)
    lo, hi = max(f(a[0]), f(b[0])), min(f(a[1]), f(b[1]))
    width = f(b[1]) - f(b[0])
    return float(max(0.0, hi - lo) / width) if width > 0 else float("nan")


def reproduction_rows(pkg: DataPackage, search_grid: bool = True) -> pd.DataFrame:
    """Each published pooled estimate beside ours, with a verdict and the closest settings."""
    published = pkg.published[pkg.published["measure"].isin(["OR", "RR", "MD", "RD"])]
    rows = []
    for _, p in published.iterrows():
        outcome, measure = p["outcome"], p["measure"]
        a = primary(pkg, outcome, measure=measure)
        ours = analysis_row(a)
        row = {"outcome": outcome, "measure": measure, "published": p["estimate"],
               "published_ci_low": p["ci_low"], "published_ci_high": p["ci_high"],
               "published_source": p["source"], "k": a.k, "ours": ours["estimate"],
               "ours_ci_low": ours["ci_low"], "ours_ci_high": ours["ci_high"]}
        row.update(_verdict(row, measure))
        if search_grid and a.k >= 1:
            grid = sensitivity_grid(pkg, outcome, measure=measure).dropna(subset=["estimate"])
            if len(grid):
                distance = _distance(grid, p, measure)
                best = grid.loc[distance.idxmin()]
                row["closest_settings"] = (f"{best['method']}, {best['ci']}, {best['multiarm']}, "
                                           f"{best['include_derived']}, {best['timepoint']}")
                row["closest_estimate"] = best["estimate"]
                row["closest_ci_low"], row["closest_ci_high"] = best["ci_low"], best["ci_high"]
        rows.append(row)
    return pd.DataFrame(rows)


def _distance(grid: pd.DataFrame, p: pd.Series, measure: str) -> pd.Series:
    f = np.log if measure in ("OR", "RR") else (lambda x: x)
    return sum((f(grid[c]) - f(p[c])) ** 2 for c in ("estimate", "ci_low", "ci_high"))


def _verdict(row: dict, measure: str) -> dict:
    if not np.isfinite(row["ours"]):
        return {"ratio": np.nan, "ci_overlap": np.nan, "verdict": "not reproduced: no data"}
    log = measure in ("OR", "RR")
    ratio = row["ours"] / row["published"] if log else np.nan
    difference = row["ours"] - row["published"] if not log else np.nan
    overlap = ci_overlap((row["ours_ci_low"], row["ours_ci_high"]),
                         (row["published_ci_low"], row["published_ci_high"]), log)
    if log:
        ok = abs(math.log(ratio)) <= math.log(1.05)
    else:
        ok = abs(difference) <= 0.05 * abs(row["published"])
    return {"ratio": ratio, "difference": difference, "ci_overlap": overlap,
            "verdict": "reproduced (within 5 %)" if ok else "not reproduced"}


def reproduction_table(data_dir=None) -> pd.DataFrame:
    """Rows for ``python -m jakmeta reproduce``."""
    pkg = load_package(data_dir)
    table = reproduction_rows(pkg)
    return table.round(3)


__all__ = ["DEFAULT_MEASURE", "OUTCOMES", "PRIMARY", "assess", "primary", "reproduction_table",
           "sensitivity_grid", "summary_of_findings", "summary_table"]


# --------------------------------------------------------------------------------------------
# Reporting sentences and heterogeneity, for the outcome chapters


def heterogeneity(a: Analysis) -> dict:
    """tau², I² with its Q-profile interval, Q and its p-value (NaN where k < 2)."""
    from jakmeta.pooling import tau2_confint

    r = a.result
    out = {"k": a.k, "tau2": np.nan, "tau2_ci": (np.nan, np.nan), "i2": np.nan, "i2_ci": (np.nan, np.nan),
           "q": np.nan, "q_df": np.nan, "q_pvalue": np.nan}
    if r is None or a.k < 2:
        return out
    ci = tau2_confint(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), method=a.settings["method"])
    out.update(tau2=r.tau2, tau2_ci=(ci.tau2_ci_low, ci.tau2_ci_high), i2=r.i2,
               i2_ci=(ci.i2_ci_low, ci.i2_ci_high), q=r.q, q_df=r.q_df, q_pvalue=r.q_pvalue)
    return out


def _num(value: float, measure: str) -> str:
    return f"{value:.2f}" if measure in ("OR", "RR") else f"{value:.1f}"


def sentence(a: Analysis, outcome_text: str | None = None) -> str:
    """The reporting sentence of one analysis, every number computed from the data."""
    outcome_text = outcome_text or OUTCOME_LABELS.get(a.outcome, a.outcome)
    if not outcome_text.startswith("SALT"):
        outcome_text = outcome_text[0].lower() + outcome_text[1:]
    dropped = ""
    if len(a.excluded):
        names = ", ".join(a.excluded["trial"])
        dropped = (f" {len(a.excluded)} trial(s) with no event in either arm ({names}) carry no information "
                   f"on the {a.measure} and were left out.")
    if a.result is None and len(a.excluded):
        counts = "; ".join(f"{r.trial}: {int(r.events_t)}/{int(r.n_t)} vs {int(r.events_c)}/{int(r.n_c)}"
                           for r in a.excluded.itertuples())
        return (f"The only trial(s) with data on {outcome_text} had no event in either arm ({counts}). "
                f"That carries no information on the {a.measure}, so nothing is estimated or pooled.")
    if a.result is None:
        return (f"No trial in this analysis reported {outcome_text} for both arms in a source we could "
                "read, so there is nothing to pool.")
    row = analysis_row(a)
    effect = (f"{a.measure} {_num(row['estimate'], a.measure)} "
              f"(95% CI {_num(row['ci_low'], a.measure)} to {_num(row['ci_high'], a.measure)})")
    if a.k == 1:
        trial = a.table["trial"].iloc[0]
        return (f"Only one trial ({trial}, {a.n_participants} participants) reported {outcome_text}: "
                f"{effect}. With a single trial there is no pooling, no between-trial variance and no "
                f"prediction interval.{dropped}")
    h = heterogeneity(a)
    pi = (f"; 95% prediction interval {_num(row['pi_low'], a.measure)} to {_num(row['pi_high'], a.measure)}"
          if a.k >= 3 and np.isfinite(row["pi_low"]) else "")
    return (f"In {a.k} trials ({a.n_participants} participants), the pooled {effect} "
            f"({a.settings['method']} τ² with the Hartung-Knapp-Sidik-Jonkman interval{pi}). "
            f"Heterogeneity: τ² = {h['tau2']:.2f}, I² = {h['i2']:.0f} % (95% CI {h['i2_ci'][0]:.0f} to "
            f"{h['i2_ci'][1]:.0f} %), Q = {h['q']:.2f} on {h['q_df']} df (p = {h['q_pvalue']:.2f}).{dropped}")


def study_table(a: Analysis) -> pd.DataFrame:
    """The comparisons of an analysis as a reader wants them: data, estimate with 95% CI, weight."""
    if a.k == 0:
        return pd.DataFrame(columns=["Trial", "JAK inhibitor", "Placebo", a.measure, "95% CI", "Weight %", "Values"])
    from scipy import stats

    tr = _scale(a.measure)
    z = stats.norm.ppf(0.975)
    weights = np.atleast_1d(a.result.weights) if a.k > 1 else np.array([100.0])
    rows = []
    for (_, r), w in zip(a.table.iterrows(), weights, strict=True):
        se = math.sqrt(r["vi"])
        if "events_t" in r:
            t, c = f"{int(r['events_t'])}/{int(r['n_t'])}", f"{int(r['events_c'])}/{int(r['n_c'])}"
        else:
            t = f"{r['mean_t']:.1f} ({r['sd_t']:.1f}), n={int(r['n_t'])}"
            c = f"{r['mean_c']:.1f} ({r['sd_c']:.1f}), n={int(r['n_c'])}"
        rows.append({"Trial": r["trial"], "JAK inhibitor": t, "Placebo": c, a.measure: round(tr(r["yi"]), 2),
                     "95% CI": f"{tr(r['yi'] - z * se):.2f} to {tr(r['yi'] + z * se):.2f}",
                     "Weight %": round(float(w), 1), "Values": r["status"]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Sensitivity chapter helpers


def model_comparison(a: Analysis) -> pd.DataFrame:
    """The same comparisons pooled by common effect (IV and Mantel-Haenszel) and random effects."""
    from jakmeta.pooling import mantel_haenszel, pool

    rows = []
    y, v = a.table["yi"].to_numpy(), a.table["vi"].to_numpy()
    fits = {"Common effect, inverse variance (Wald)": pool(y, v, method="FE", ci="z"),
            "Random effects, REML (Wald)": pool(y, v, method="REML", ci="z"),
            "Random effects, REML (HKSJ) — primary": pool(y, v, method="REML", ci="hksj"),
            "Random effects, REML (modified HKSJ)": pool(y, v, method="REML", ci="hksj-adhoc")}
    if "events_t" in a.table and a.measure in ("OR", "RR"):
        fits["Common effect, Mantel-Haenszel"] = mantel_haenszel(
            a.table["events_t"].to_numpy(int), a.table["n_t"].to_numpy(int),
            a.table["events_c"].to_numpy(int), a.table["n_c"].to_numpy(int), measure=a.measure)
    tr = _scale(a.measure)
    for name, r in fits.items():
        rows.append({"Model": name, a.measure: round(tr(r.estimate), 2), "CI low": round(tr(r.ci_low), 2),
                     "CI high": round(tr(r.ci_high), 2), "tau2": round(float(r.tau2), 3)})
    return pd.DataFrame(rows)


def leave_one_out_table(a: Analysis) -> pd.DataFrame:
    """Leave-one-out on the reporting scale (ratios exponentiated)."""
    from jakmeta.pooling import leave_one_out

    table = leave_one_out(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), labels=list(a.table["trial"]),
                          method=a.settings["method"], ci=a.settings["ci"])
    tr = _scale(a.measure)
    out = pd.DataFrame({"k": table["k"], a.measure: table["estimate"].map(tr), "CI low": table["ci_low"].map(tr),
                        "CI high": table["ci_high"].map(tr), "tau2": table["tau2"], "I2 %": table["i2"]})
    out.index.name = "Trial left out"
    return out.round(2)


def subgroups(a: Analysis, by: str):
    """Subgroup analysis of an analysis' comparisons by a column of its table (e.g. route, drug)."""
    from jakmeta.pooling import subgroup_analysis

    return subgroup_analysis(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), a.table[by].to_numpy(),
                             method=a.settings["method"], ci=a.settings["ci"])


def sof_layout(sof: pd.DataFrame) -> pd.DataFrame:
    """The Summary of Findings in GRADEpro's layout, with lettered footnotes."""
    rows, notes = [], []
    for r in sof.itertuples():
        letters = []
        for note in [n for n in str(r.footnotes).split(" | ") if n]:
            notes.append(note)
            letters.append(chr(ord("a") + len(notes) - 1))
        participants = f"{r.participants} ({r.k} RCT{'s' if r.k != 1 else ''})" if r.k else "—"
        certainty = (f"{grade.SYMBOLS[r.certainty]} {r.certainty.upper()}" if r.certainty in grade.SYMBOLS
                     else r.certainty)
        rows.append({"Outcome": r.label, "№ of participants (studies)": participants,
                     "Relative effect (95% CI)": r.relative or "—", "Risk with placebo": r.control or "—",
                     "Risk difference with JAK inhibitor (95% CI)": r.absolute or "—",
                     "Certainty": certainty + (" " + ",".join(letters) if letters else "")})
    table = pd.DataFrame(rows)
    table.attrs["footnotes"] = [f"{chr(ord('a') + i)}. {n}" for i, n in enumerate(notes)]
    return table


def reproduction_reasons(pkg: DataPackage, table: pd.DataFrame) -> list[str]:
    """For each published figure, why we do or do not reproduce it, traced to the data."""
    from jakmeta.analysis import study_set

    liu = study_set(pkg, "liu")
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    lines = []
    for r in table.itertuples():
        a = primary(pkg, r.outcome, measure=r.measure)
        used = list(a.table["study_id"]) if a.k else []
        missing = [names[s] for s in liu if s not in used]
        derived = [t for t, st in zip(a.table.get("trial", []), a.table.get("status", []), strict=False) if st != "reported"]
        text = f"{OUTCOME_LABELS.get(r.outcome, r.outcome)} ({r.measure}): {r.verdict}. "
        text += (f"Our analysis has {a.k} of the {len(liu)} trials"
                 + (f" ({', '.join(names[s] for s in used)})" if used else "") + ". ")
        if missing:
            text += f"No usable arm-level data for: {', '.join(missing)}. "
        if derived:
            text += f"Derived values (counts from printed percentages) in: {', '.join(derived)}. "
        if isinstance(getattr(r, "closest_settings", None), str):
            text += (f"Closest settings in the sensitivity grid: {r.closest_settings} "
                     f"(estimate {r.closest_estimate:.2f}, {r.closest_ci_low:.2f} to {r.closest_ci_high:.2f}). ")
        if r.published_source != "liu2023":
            text += "The published figure itself comes from a news report, not the paper. "
        lines.append(text.strip())
    return lines
