"""Sensitivity analyses: does the answer depend on the choices made in the analysis?

:func:`sensitivity_grid` runs every combination of the choices in :data:`GRID` (τ² estimator,
interval, multi-arm rule, reported-only vs derived values, time point, caveat rows, and the data
basis: observed counts vs the NEJM model-based estimated percentages of the BRAVE trials) and
marks the combinations that give the *same* analysis (identical comparisons and settings that act
on them), so that the chapter reports how many analyses are distinct rather than how many rows the
grid has. :func:`model_comparison`, :func:`leave_one_out_table` and :func:`subgroups` are the
other sensitivity analyses of the chapter.

The ``split`` multi-arm rule is *not* in the grid (reason computed by :func:`split_rule_problems`):
when the shared placebo group has fewer events than there are dose arms, splitting it (Cochrane
Handbook 23.3.4) leaves some comparisons with 0 placebo events, whose odds ratio then rests on the
0.5 zero-cell correction and on which share received the event, and the comparisons are counted as
if they were separate trials in the t quantile of the HKSJ interval. The per-dose question is
answered instead by the licensed-dose rows of the Summary of Findings.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd

from jakmeta.evidence.package import DataPackage
from jakmeta.review.analysis import Analysis, analysis_row, comparison_table, reporting_scale

GRID = {
    "method": ("DL", "REML", "PM", "SJ"),
    "ci": ("z", "hksj", "hksj-adhoc"),
    "multiarm": ("combine", "highest", "licensed"),
    "include_derived": (False, True),
    "timepoint": ("primary", "latest"),
    "exclude_caveats": (True, False),
    "basis": ("observed", "nejm_estimated"),
}

#: The grid's interval codes (``ci``) in words.
INTERVAL_LABELS = {"z": "Wald (normal)", "hksj": "HKSJ (t, k−1 df)",
                   "hksj-adhoc": "HKSJ, ad hoc (never narrower than Wald)"}
#: The grid's τ² estimators (``method``) in words.
METHOD_LABELS = {"DL": "DerSimonian–Laird", "REML": "Restricted maximum likelihood (REML)",
                 "PM": "Paule–Mandel", "SJ": "Sidik–Jonkman"}

#: Population text of the NEJM model-based estimated percentages (converted to counts) in outcomes.csv.
NEJM_ESTIMATED = "NEJM-estimated-percentage"


def nejm_package(pkg: DataPackage) -> DataPackage:
    """The data package with the BRAVE trials' NEJM estimated percentages (model-based, converted to
    counts) in place of the observed counts, for the trials and outcomes where both exist."""
    o = pkg.outcomes
    nejm = o["population"].astype(str).str.startswith(NEJM_ESTIMATED) & o["events"].notna()
    keys = set(zip(o.loc[nejm, "study_id"], o.loc[nejm, "outcome"], o.loc[nejm, "timepoint_weeks"], strict=True))
    same = pd.Series([k in keys for k in zip(o["study_id"], o["outcome"], o["timepoint_weeks"], strict=True)],
                     index=o.index)
    use = o["analysis_use"].where(~same, "no").where(~nejm, "yes")
    return dataclasses.replace(pkg, outcomes=o.assign(analysis_use=use))


#: The grid dimensions that choose the data (the others choose the pooling model).
DATA_DIMENSIONS = ("multiarm", "include_derived", "timepoint", "exclude_caveats", "basis", "outcome")


def protocol_arms_out(pkg: DataPackage, outcome: str) -> list:
    """The arms the protocol's class row of ``outcome`` leaves out (dose-ranging arms), else none."""
    from jakmeta.review import protocol

    e = protocol.find(pkg, outcome)
    return list(e.exclude_arms) if e is not None else []


def protocol_studies(pkg: DataPackage, outcome: str, which: str) -> list[str]:
    """The trials of set ``which`` that the protocol's class row of ``outcome`` may draw on (an adult
    question leaves adolescent-only trials out), so that the grid varies the model and data choices
    around the headline, not the population."""
    from jakmeta.review import protocol
    from jakmeta.review.analysis import study_set

    e = protocol.find(pkg, outcome)
    ids = study_set(pkg, which)
    if e is not None and e.population == "adults":
        young = set(protocol.adolescent_only(pkg))
        ids = [s for s in ids if s not in young]
    return ids


def explore(pkg: DataPackage, outcome: str, grid: dict, studies="all", measure: str | None = None,
            exclude_arms=None) -> pd.DataFrame:
    """Every combination of ``grid`` (keys: :data:`DATA_DIMENSIONS` and ``method``, ``ci``) with its
    result. The comparison table is built once per data setting and pooled under each model.
    ``distinct`` is True for the first row of each set of identical analyses (same comparisons,
    same model), ``same_as`` the row it duplicates."""
    from jakmeta.review.analysis import DEFAULT_MEASURE, effect_sizes
    from jakmeta.stats import pool

    ids = protocol_studies(pkg, outcome, studies) if isinstance(studies, str) else studies
    arms_out = protocol_arms_out(pkg, outcome) if exclude_arms is None else exclude_arms
    packages = {"observed": pkg}
    if "nejm_estimated" in grid.get("basis", ()):
        packages["nejm_estimated"] = nejm_package(pkg)
    data_keys = [k for k in grid if k in DATA_DIMENSIONS]
    model_keys = [k for k in grid if k not in DATA_DIMENSIONS]
    rows, seen = [], {}
    for data_values in itertools.product(*(grid[k] for k in data_keys)):
        d = dict(zip(data_keys, data_values, strict=True))
        variant = d.get("outcome", outcome)
        m = measure or DEFAULT_MEASURE[variant]
        table = comparison_table(packages[d.get("basis", "observed")], variant, multiarm=d.get("multiarm", "combine"),
                                 timepoint=d.get("timepoint", "primary"), include_derived=d.get("include_derived", True),
                                 studies=ids, exclude_caveats=d.get("exclude_caveats", True),
                                 exclude_arms=arms_out)
        excluded = pd.DataFrame()
        if len(table) and "events_t" in table and m in ("OR", "RR"):
            zero = (table["events_t"] == 0) & (table["events_c"] == 0)
            excluded, table = table[zero], table[~zero].reset_index(drop=True)
        table = effect_sizes(table, variant, m)
        cols = [c for c in ("study_id", "events_t", "n_t", "events_c", "n_c", "mean_t", "sd_t", "mean_c", "sd_c")
                if c in table]
        data_key = (variant, tuple(map(tuple, table[cols].astype(str).to_numpy())))
        for model_values in itertools.product(*(grid[k] for k in model_keys)):
            settings = {**d, **dict(zip(model_keys, model_values, strict=True))}
            method, ci = settings.get("method", "REML"), settings.get("ci", "hksj")
            result = pool(table["yi"].to_numpy(), table["vi"].to_numpy(), method=method, ci=ci) if len(table) else None
            a = Analysis(variant, m, table, result, {"method": method, "ci": ci}, excluded)
            row = analysis_row(a)
            row.update(settings)
            key = (data_key, method if len(table) > 1 else "", ci)
            row["distinct"] = key not in seen
            row["same_as"] = seen.get(key, len(rows))
            seen.setdefault(key, len(rows))
            row["trials_used"] = ", ".join(dict.fromkeys(table["trial"].str.split(":").str[0])) if len(table) else ""
            rows.append(row)
    frame = pd.DataFrame(rows)
    first = list(grid.keys())
    return frame[first + [c for c in frame.columns if c not in first]]


def sensitivity_grid(pkg: DataPackage, outcome: str, grid: dict | None = None, studies="all",
                     measure: str | None = None) -> pd.DataFrame:
    """Every combination of :data:`GRID` with its result and whether it is a distinct analysis (the
    dose-ranging arms that the protocol's row leaves out stay out)."""
    frame = explore(pkg, outcome, grid or GRID, studies=studies, measure=measure)
    if "include_derived" in frame:
        frame["include_derived"] = frame["include_derived"].map({True: "reported+derived", False: "reported only"})
    if "exclude_caveats" in frame:
        frame["exclude_caveats"] = frame["exclude_caveats"].map({True: "caveat rows out", False: "caveat rows in"})
    return frame


def split_rule_problems(pkg: DataPackage, outcome: str, studies="all") -> pd.DataFrame:
    """Trials where splitting the placebo group leaves comparisons with 0 placebo events."""
    from jakmeta.review.analysis import study_set

    ids = study_set(pkg, studies) if isinstance(studies, str) else studies
    table = comparison_table(pkg, outcome, multiarm="split", studies=ids)
    if table.empty or "events_c" not in table:
        return pd.DataFrame(columns=["trial", "dose_arms", "placebo_events", "shares_with_0_events"])
    out = []
    for _sid, group in table.groupby("study_id", sort=False):
        if len(group) < 2:
            continue
        out.append({"trial": group["trial"].iloc[0].split(":")[0], "dose_arms": len(group),
                    "placebo_events": int(group["events_c"].sum()),
                    "shares_with_0_events": int((group["events_c"] == 0).sum())})
    return pd.DataFrame(out)



def model_comparison(a: Analysis) -> pd.DataFrame:
    """The same comparisons pooled by common effect (IV and Mantel-Haenszel) and random effects."""
    from jakmeta.stats import mantel_haenszel, pool

    y, v = a.table["yi"].to_numpy(), a.table["vi"].to_numpy()
    fits = {"Common effect, inverse variance (Wald)": pool(y, v, method="FE", ci="z"),
            "Random effects, REML (Wald)": pool(y, v, method="REML", ci="z"),
            "Random effects, REML (HKSJ)": pool(y, v, method="REML", ci="hksj"),
            "Random effects, REML (modified HKSJ)": pool(y, v, method="REML", ci="hksj-adhoc")}
    if "events_t" in a.table and a.measure in ("OR", "RR"):
        fits["Common effect, Mantel-Haenszel"] = mantel_haenszel(
            a.table["events_t"].to_numpy(int), a.table["n_t"].to_numpy(int),
            a.table["events_c"].to_numpy(int), a.table["n_c"].to_numpy(int), measure=a.measure)
    tr = reporting_scale(a.measure)
    return pd.DataFrame([{"Model": name, a.measure: tr(r.estimate), "CI low": tr(r.ci_low),
                          "CI high": tr(r.ci_high), "τ²": float(r.tau2)} for name, r in fits.items()])


def leave_one_out_table(a: Analysis) -> pd.DataFrame:
    """Leave-one-out on the reporting scale (ratios exponentiated)."""
    from jakmeta.stats import leave_one_out

    table = leave_one_out(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), labels=list(a.table["trial"]),
                          method=a.settings["method"], ci=a.settings["ci"])
    tr = reporting_scale(a.measure)
    return pd.DataFrame({"Trial left out": list(table.index), "k": table["k"].to_numpy(),
                         a.measure: table["estimate"].map(tr).to_numpy(),
                         "CI low": table["ci_low"].map(tr).to_numpy(), "CI high": table["ci_high"].map(tr).to_numpy(),
                         "τ²": table["tau2"].to_numpy(), "I² %": table["i2"].to_numpy()})


def subgroups(a: Analysis, by: str):
    """Subgroup analysis of an analysis' comparisons by a column of its table (e.g. route, drug)."""
    from jakmeta.stats import subgroup_analysis

    return subgroup_analysis(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), a.table[by].to_numpy(),
                             method=a.settings["method"], ci=a.settings["ci"])


def grid_summary(grid: pd.DataFrame) -> dict:
    """Counts and ranges of a sensitivity grid, over its distinct analyses with an estimate."""
    d = grid[grid["distinct"] & grid["estimate"].notna()]
    return {"rows": len(grid), "distinct": int(grid["distinct"].sum()), "with_estimate": len(d),
            "k_min": int(d["k"].min()) if len(d) else 0, "k_max": int(d["k"].max()) if len(d) else 0,
            "estimate_min": d["estimate"].min(), "estimate_max": d["estimate"].max(),
            "ci_low_min": d["ci_low"].min(), "ci_high_max": d["ci_high"].max(),
            "share_excluding_null": float((d["ci_low"] > 1).mean()) if len(d) else np.nan}


# ------------------------------------------------------------------- protocol-based sensitivity

#: Priors on τ of the prior-sensitivity analysis (at least three per row, the primary one first):
#: half-normal and half-Cauchy with the primary scale and twice it (Röver et al. 2021), and for
#: ratio measures Turner et al.'s (2015) predictive log-normal prior for the outcome type.
def priors_for(measure: str, outcome: str) -> list[tuple]:
    """The priors on τ compared for a row with ``measure`` and ``outcome`` (primary first)."""
    from jakmeta.review.fewstudies import TAU_PRIOR_SCALE, TURNER_PRIORS

    scale = TAU_PRIOR_SCALE[measure]
    priors = [("half-normal", scale), ("half-normal", 2 * scale), ("half-cauchy", scale), ("half-cauchy", 2 * scale)]
    if measure in ("OR", "RR"):
        priors.append(TURNER_PRIORS["harms" if outcome.startswith("ae_") else "efficacy"])
    return priors


def prior_sensitivity(pkg: DataPackage, entries=None) -> pd.DataFrame:
    """For every protocol row with at least two trials: the headline, then the Bayesian model under
    each prior of :func:`priors_for`, with the estimate, 95% interval, the direction word of the
    Summary of Findings (against the row's threshold) and the GRADE certainty; ``changes`` says
    whether the conclusion (direction word) or the certainty differs from the headline's."""
    from jakmeta.review import certainty, fewstudies, protocol, sof

    judgements = certainty.recorded_judgements(pkg)
    rows = []
    for e in entries if entries is not None else protocol.entries(pkg, role="primary"):
        a = protocol.run(pkg, e)
        if a.k < 2:
            continue
        base = certainty.assess(pkg, a, judgements)
        base_word, tr = sof.direction(base), reporting_scale(a.measure)
        variants = [("headline", a)] + [
            (fewstudies.prior_name(p), dataclasses.replace(a, settings={**a.settings, "model": "bayes", "tau_prior": p}))
            for p in priors_for(a.measure, a.outcome)
            if not (e.model == "bayes" and tuple(p) == tuple(e.tau_prior or ()))]
        for name, variant in variants:
            f = base if name == "headline" else certainty.assess(pkg, variant, judgements)
            word = sof.direction(f)
            changes = [w for w, same in (("conclusion", word == base_word), ("certainty", f.certainty == base.certainty))
                       if not same]
            rows.append({"row_id": e.row_id, "label": e.label, "prior": name, "model": f.headline.model,
                         "measure": a.measure, "estimate": tr(f.headline.estimate), "ci_low": tr(f.headline.ci_low),
                         "ci_high": tr(f.headline.ci_high), "direction": word, "certainty": f.certainty,
                         "changes": ", ".join(changes)})
    return pd.DataFrame(rows)


def prior_sentences(table: pd.DataFrame) -> list[str]:
    """A computed sentence for every row whose conclusion or certainty changes with the prior."""
    out = []
    for _row_id, group in table.groupby("row_id", sort=False):
        head = group.iloc[0]
        changed = group[group["changes"] != ""]
        if changed.empty:
            continue
        parts = [f"under a {r.prior} prior the {r.measure} is {r.estimate:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f}): "
                 f"{r.direction}, {r.certainty} certainty" for r in changed.itertuples()]
        out.append(f"{head['label']} (headline {head['measure']} {head['estimate']:.2f}, {head['ci_low']:.2f} to "
                   f"{head['ci_high']:.2f}: {head['direction']}, {head['certainty']} certainty): " + "; ".join(parts) + ".")
    return out


def common_week(pkg: DataPackage, row_id: str = "salt20", week_row: str = "salt20_week24") -> dict:
    """The row at each trial's primary time point against the common-week sensitivity row: trials that
    drop out (no value at that week), both headlines, and a computed sentence on whether the week
    changes the answer (direction word or certainty)."""
    from jakmeta.review import protocol, sof

    rows = sof.summary_of_findings(pkg, [protocol.entry(pkg, row_id), protocol.entry(pkg, week_row)])
    main, week = rows.iloc[0], rows.iloc[1]
    week_number = protocol.entry(pkg, week_row).timepoint
    dropped = [t for t in main["trial_names"].split("; ") if t and t not in week["trial_names"].split("; ")]
    if week["k"] == 0:
        text = f"No trial reports {main['label']} at week {week_number}, so the common time point cannot be checked."
        return {"table": rows, "dropped": dropped, "sentence": text}
    same_direction = direction_from(main) == direction_from(week)
    same = same_direction and main["certainty"] == week["certainty"]
    text = (f"With every trial at week {week_number}, {week['trials']} of the {main['trials']} trials remain"
            + (f" ({', '.join(dropped)} report no week-{week_number} value)" if dropped else "")
            + f": OR {week['estimate']:.1f} ({sof.interval_name(week)} {week['ci_low']:.1f} to {week['ci_high']:.1f}, {week['certainty']} "
            f"certainty) against {main['estimate']:.1f} ({main['ci_low']:.1f} to {main['ci_high']:.1f}, "
            f"{main['certainty']} certainty) at each trial's primary time point. ")
    text += ("The week does not change the answer (same direction and certainty)." if same else
             "The week changes the answer: " + ("the direction" if not same_direction else "the certainty") + " differs.")
    if dropped:
        text += (" The drugs and the weeks coincide (the trials that drop out are those of one drug), so this "
                 "check cannot separate the effect of the week from that of the drug."
                 if len({d for d in main["drugs"].split("; ")} - {d for d in week["drugs"].split("; ")}) else "")
    return {"table": rows, "dropped": dropped, "sentence": text}


def direction_from(row) -> str:
    null = 0.0 if row["measure"] == "MD" else 1.0
    return "none" if row["k"] == 0 else ("includes null" if row["ci_low"] <= null <= row["ci_high"] else "excludes null")


def dose_arms_view(pkg: DataPackage, outcome: str = "salt20", row_id: str = "salt20") -> pd.DataFrame:
    """Every dose arm against its trial's whole placebo group (not pooled), with whether the protocol
    row ``row_id`` uses it or leaves it out as a non-therapeutic dose-ranging arm."""
    from jakmeta.review import protocol
    from jakmeta.review.analysis import dose_arms_table

    e = protocol.entry(pkg, row_id)
    table = dose_arms_table(pkg, outcome, measure=e.measure, studies=protocol.trials_for(pkg, e))
    if table.empty:
        return table
    tr = reporting_scale(e.measure)
    z = 1.959963984540054
    left_out = set(e.exclude_arms)
    return pd.DataFrame({
        "Trial": table["trial"].str.split(":").str[0], "Arm": table["arms"], "Week": table["timepoint_weeks"],
        "Licensed": table["licensed"].map({"yes": "yes", "no": "no"}),
        "In the class row": ["no: dose-ranging arm" if (s, a) in left_out else "yes"
                             for s, a in zip(table["study_id"], table["arm_id"], strict=True)],
        "JAK inhibitor": [f"{int(x)}/{int(n)}" for x, n in zip(table["events_t"], table["n_t"], strict=True)],
        "Placebo": [f"{int(x)}/{int(n)}" for x, n in zip(table["events_c"], table["n_c"], strict=True)],
        e.measure: table["yi"].map(tr), "95% CI low": (table["yi"] - z * table["vi"] ** 0.5).map(tr),
        "95% CI high": (table["yi"] + z * table["vi"] ** 0.5).map(tr)})
