"""From the data package to a meta-analysis of one outcome.

:func:`comparison_table` turns the arm-level rows of ``data/outcomes.csv`` into one row per
comparison (JAK inhibitor vs placebo), applying a rule for trials with several active arms and one
shared placebo arm (Cochrane Handbook, section 23.3.4, :cite:`cochrane_handbook_ch23`):

``combine``
    all active arms of a trial are merged into one group (binary: events and totals added;
    continuous: Handbook Table 6.5.a) and compared with placebo. The Handbook's preferred option.
``highest``
    only the highest-dose active arm with data is compared with placebo.
``licensed``
    only the arms at a dose licensed for alopecia areata (``arms.csv: licensed``), merged; trials
    without such an arm drop out.
``split``
    every active arm is its own comparison, and the shared placebo group is split between them
    (Handbook 23.3.4: "split the shared group into two or more groups with smaller sample size"):
    totals as evenly as integers allow, events in proportion to each share's size with the
    remainder given by largest remainder (ties to the higher doses), so that each share keeps the
    placebo risk as closely as integers allow and no participant is counted twice. A share left
    with 0 events gets the usual 0.5 zero-cell correction (:mod:`jakmeta.stats.effects`); the comparisons
    are not independent trials, so :attr:`Analysis.n_trials` counts trials, not comparisons.

``drug`` and ``dose`` in :func:`analyse` restrict the active arms before the rule is applied (for
the Summary of Findings rows per drug at its licensed dose; ``dose="licensed"`` keeps the arms
marked ``arms.csv: licensed = yes``). ``exclude_arms`` leaves out named arms (``(study_id,
arm_id)`` pairs: the non-therapeutic dose-ranging arms of the protocol, ``data/analyses.csv``)
before the rule combines the others. :func:`analyse` refuses to pool the ``split`` rule: the dose
comparisons of one trial share its placebo group and are not independent trials (the per-dose
view is :func:`dose_arms_table`). ``exclude_caveats`` leaves out rows
whose recorded caveats keep them out of primary analyses (``analysis_use = sensitivity``,
:data:`CAVEATS`); ``exclude_caveats=False`` puts them back for sensitivity analyses.

:func:`analyse` then computes the per-comparison effect sizes and pools them with
:func:`jakmeta.stats.pool`. Nothing here is an estimator; it is bookkeeping, tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import OUTCOME_LABELS
from jakmeta.evidence.package import (
    BINARY_OUTCOMES,
    DataPackage,
    resolve_pooled_arms,
    worst_source_type,
)
from jakmeta.stats import pool
from jakmeta.stats.effects import binary_effects, combine_arms, continuous_effects

MULTIARM_RULES = ("combine", "highest", "licensed", "split")


#: The effect measure per outcome, as Liu et al. (2023) used: OR for responders, MD for SALT change,
#: RR for harms.
DEFAULT_MEASURE = {
    "salt20": "OR", "salt10": "OR", "salt30": "OR", "salt50": "OR", "salt75": "OR", "salt90": "OR",
    "salt_cfb": "MD", "salt_pcfb": "MD",
    "ae_any": "RR", "ae_treatment_related": "RR", "ae_serious": "RR", "ae_discontinuation": "RR",
    "ae_acne": "RR", "ae_uri": "RR", "ae_nasopharyngitis": "RR", "ae_headache": "RR", "ae_cpk_increased": "RR",
    "ae_covid19": "RR", "ae_uti": "RR", "ae_herpes_zoster": "RR", "regrowth75": "RR",
}


#: Values of studies.csv ``in_liu2023`` that put a trial in the reconstructed Liu et al. set.
LIU_SET = ("yes", "probable")


def reporting_scale(measure: str):
    """The function from the analysis scale to the reporting scale: ``exp`` for ratio measures
    (OR, RR and the Peto OR, pooled as logs), the identity for differences (RD, MD, SMD)."""
    return math.exp if measure in ("OR", "RR", "PETO") else (lambda x: x)


def study_set(pkg: DataPackage, which: str = "liu") -> list[str]:
    """Trial ids of the ``liu`` set (the 7 trials inferred to be Liu et al.'s), the ``update``
    trials published since, or ``all``."""
    in_liu = pkg.studies["in_liu2023"].isin(LIU_SET)
    if which == "liu":
        return pkg.studies.loc[in_liu, "study_id"].tolist()
    if which == "update":
        return pkg.studies.loc[~in_liu, "study_id"].tolist()
    if which == "all":
        return pkg.studies["study_id"].tolist()
    raise ValueError(f"unknown study set '{which}'; valid: liu, update, all")


@dataclass(frozen=True)
class Analysis:
    """One meta-analysis: the comparisons that went in, their effect sizes, and the pooled result.

    ``excluded`` lists comparisons left out of the pool, with the reason (double-zero trials)."""

    outcome: str
    measure: str
    table: pd.DataFrame
    result: object | None
    settings: dict = field(default_factory=dict)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def k(self) -> int:
        return len(self.table)

    @property
    def n_trials(self) -> int:
        """Trials (not comparisons: with the ``split`` rule one trial gives several)."""
        return int(self.table["study_id"].nunique()) if self.k else 0

    @property
    def trial_ids(self) -> list[str]:
        """Trials with data for the outcome, including double-zero trials left out of the pool."""
        ids = list(self.table["study_id"]) if self.k else []
        if len(self.excluded):
            ids += list(self.excluded["study_id"])
        return list(dict.fromkeys(ids))

    @property
    def n_participants(self) -> int:
        if self.k == 0:
            return 0
        return int(self.table["n_t"].sum() + self.table["n_c"].sum())


#: Caveat columns of ``data/outcomes.csv`` and the values that keep a row out of primary analyses:
#: time points inferred rather than stated, and adverse-event counts whose window extends beyond the
#: placebo-controlled period. The data package marks such rows ``analysis_use = sensitivity``;
#: these columns are checked as well, so that a row with a caveat never enters a primary analysis.
CAVEATS = {
    "timepoint_basis": ("inferred",),
    "ae_window": ("beyond_placebo_period",),
}


def caveat_mask(rows: pd.DataFrame) -> pd.Series:
    """True for rows of ``outcomes.csv`` with a caveat in :data:`CAVEATS`."""
    mask = pd.Series(False, index=rows.index)
    for column, values in CAVEATS.items():
        if column in rows.columns:
            mask |= rows[column].astype(str).str.strip().isin(values)
    return mask


def _usable_rows(pkg: DataPackage, outcome: str, include_derived: bool,
                 exclude_caveats: bool = True) -> pd.DataFrame:
    """Rows for an analysis: ``analysis_use = yes`` without a caveat; with ``exclude_caveats=False``
    also the ``sensitivity`` rows (and caveat rows), where no primary row exists for the same arm,
    outcome and week."""
    o = pkg.outcomes
    rows = o[(o["outcome"] == outcome) & o["analysis_use"].isin(["yes", "sensitivity"])]
    allowed = {"reported", "derived", "imputed"} if include_derived else {"reported"}
    rows = rows[rows["status"].isin(allowed)]
    caveat = caveat_mask(rows) | (rows["analysis_use"] != "yes")
    if exclude_caveats:
        return resolve_pooled_arms(rows[~caveat], pkg.arms)
    key = ["study_id", "arm_id", "timepoint_weeks"]
    primary_keys = set(map(tuple, rows.loc[~caveat, key].astype(str).to_numpy()))
    extra = rows[caveat & ~pd.Series([tuple(k) in primary_keys for k in rows[key].astype(str).to_numpy()],
                                     index=rows.index)]
    return resolve_pooled_arms(pd.concat([rows[~caveat], extra.drop_duplicates(subset=key)]), pkg.arms)


def _timepoint_for(study: pd.Series, available: list[int], timepoint: str | int | None) -> int | None:
    """Which week to use for a trial: its primary time point, or a fixed week, or the latest."""
    if not available:
        return None
    if timepoint is None or timepoint == "primary":
        primary = int(study["primary_timepoint_weeks"])
        return primary if primary in available else None
    if timepoint == "latest":
        return max(available)
    week = int(timepoint)
    return week if week in available else None


def _split_evenly(value: int, parts: int) -> list[int]:
    """Divide a count into ``parts`` integers that differ by at most one and add up to it."""
    base, extra = divmod(int(value), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _split_events(events: int, ns: list[int]) -> list[int]:
    """Events of a shared group divided over shares of sizes ``ns`` in proportion to size, by largest
    remainder (ties to the later shares, i.e. the higher doses), adding up to ``events``."""
    total = sum(ns)
    exact = [events * n / total for n in ns]
    base = [int(x) for x in exact]
    order = sorted(range(len(ns)), key=lambda i: (exact[i] - base[i], i), reverse=True)
    for i in order[: events - sum(base)]:
        base[i] += 1
    return base


def _merge(rows: list[dict], binary: bool) -> dict:
    if binary:
        return {"events": int(sum(r["events"] for r in rows)), "n": int(sum(r["total"] for r in rows))}
    if len(rows) == 1:
        r = rows[0]
        return {"mean": float(r["mean"]), "sd": float(r["sd"]), "n": int(r["n"])}
    merged = combine_arms(mean=np.array([r["mean"] for r in rows], float), sd=np.array([r["sd"] for r in rows], float),
                          n=np.array([r["n"] for r in rows], int))
    return {"mean": float(merged.mean), "sd": float(merged.sd), "n": int(merged.n)}


def _status_of(rows: list[dict]) -> str:
    statuses = {r["status"] for r in rows}
    return "reported" if statuses == {"reported"} else "+".join(sorted(statuses))


def comparison_table(pkg: DataPackage, outcome: str, *, multiarm: str = "combine",
                     timepoint: str | int | None = "primary", include_derived: bool = True,
                     studies: list[str] | None = None, drug: str | None = None, dose: str | None = None,
                     exclude_caveats: bool = True, exclude_arms=()) -> pd.DataFrame:
    """One row per JAK inhibitor vs placebo comparison with data for ``outcome``.

    Binary outcomes give ``events_t, n_t, events_c, n_c``; continuous outcomes give
    ``mean_t, sd_t, n_t, mean_c, sd_c, n_c``. Each row also carries the trial's name, drug, route,
    the arms merged, the week used and the status of the values (``reported`` or a mix with
    ``derived``). Continuous rows need an SD in every arm; rows without one are left out.
    ``drug``/``dose`` keep only active arms of that drug whose dose starts with ``dose`` (e.g.
    ``"4 mg"``; ``"licensed"``: the arms marked licensed); trials without such an arm drop out.
    ``exclude_arms``: ``(study_id, arm_id)`` pairs left out before the multi-arm rule.
    """
    if multiarm not in MULTIARM_RULES:
        raise ValueError(f"unknown multi-arm rule '{multiarm}'; valid: {', '.join(MULTIARM_RULES)}")
    binary = outcome in BINARY_OUTCOMES
    dropped = {tuple(pair) for pair in exclude_arms or ()}
    data = _usable_rows(pkg, outcome, include_derived, exclude_caveats)
    if not binary:
        data = data[data["sd"].notna() & data["n"].notna()]
    arm_info = pkg.arms[["study_id", "arm_id", "role", "dose_rank", "licensed", "drug", "label", "dose"]]
    data = data.merge(arm_info.astype({"dose": str}), on=["study_id", "arm_id"], how="left")
    columns = ["study_id", "arm_id", "timepoint_weeks", "events", "total", "mean", "sd", "n", "status",
               "population", "role", "dose_rank", "licensed", "drug", "label", "dose", "source_type", "approximate"]
    by_study: dict[str, list[dict]] = {}
    for r in data[columns].astype(object).to_numpy().tolist():
        by_study.setdefault(r[0], []).append(dict(zip(columns, r, strict=True)))
    records = []
    for study in pkg.studies[["study_id", "trial_name", "route", "primary_timepoint_weeks"]].to_dict("records"):
        sid = study["study_id"]
        if (studies is not None and sid not in studies) or sid not in by_study:
            continue
        rows = by_study[sid]
        week = _timepoint_for(study, sorted({int(r["timepoint_weeks"]) for r in rows}), timepoint)
        if week is None:
            continue
        rows = [r for r in rows if int(r["timepoint_weeks"]) == week]
        placebo = [r for r in rows if r["role"] == "placebo"]
        active = sorted((r for r in rows if r["role"] == "active" and (sid, r["arm_id"]) not in dropped),
                        key=lambda r: r["dose_rank"])
        if drug is not None:
            active = [r for r in active if r["drug"] == drug and _dose_matches(r, dose)]
        if len(placebo) != 1 or not active:
            continue
        groups = _active_groups(active, multiarm)
        control_parts = _control_parts(placebo, len(groups), binary, multiarm)
        for group, control in zip(groups, control_parts, strict=True):
            treated = _merge(group, binary)
            both = group + placebo
            record = {
                "study_id": sid, "trial": study["trial_name"], "route": study["route"],
                "drug": " + ".join(dict.fromkeys(r["drug"] for r in group)),
                "arms": " + ".join(r["label"] for r in group), "timepoint_weeks": week,
                "status": _status_of(both),
                "population": "; ".join(dict.fromkeys(str(r["population"]) for r in both)),
                # source quality of the values (tables.source_marker): the least primary source type
                # and whether any value is approximate
                "source_type": worst_source_type(r["source_type"] for r in both),
                "approximate": "yes" if any(r["approximate"] == "yes" for r in both) else "no",
            }
            if len(groups) > 1:
                record["trial"] = f"{study['trial_name']}: {' + '.join(r['label'] for r in group)}"
            suffix = ("events", "n") if binary else ("mean", "sd", "n")
            record.update({f"{k}_t": treated[k] for k in suffix})
            record.update({f"{k}_c": control[k] for k in suffix})
            records.append(record)
    if not records:
        suffix = ("events", "n") if binary else ("mean", "sd", "n")
        return pd.DataFrame(columns=["study_id", "trial", "route", "drug", "arms", "timepoint_weeks", "status",
                                     "population", "source_type", "approximate"]
                            + [f"{k}_{g}" for g in "tc" for k in suffix])
    return pd.DataFrame.from_records(records)


def _dose_matches(arm: dict, dose: str | None) -> bool:
    """An arm's dose against a row's dose: any (None), the licensed arms ('licensed'), or a prefix."""
    if dose is None:
        return True
    if dose == "licensed":
        return arm["licensed"] == "yes"
    return str(arm["dose"]).startswith(dose)


def _active_groups(active: list[dict], rule: str) -> list[list[dict]]:
    if rule == "combine":
        return [active]
    if rule == "highest":
        return [active[-1:]]
    if rule == "licensed":
        licensed = [r for r in active if r["licensed"] == "yes"]
        return [licensed] if licensed else []
    return [[r] for r in active]


def _control_parts(placebo: list[dict], parts: int, binary: bool, rule: str) -> list[dict]:
    if parts == 0:
        return []
    whole = _merge(placebo, binary)
    if rule != "split" or parts == 1:
        return [whole] * parts
    ns = _split_evenly(whole["n"], parts)
    if binary:
        events = _split_events(whole["events"], ns)
        return [{"events": e, "n": n} for e, n in zip(events, ns, strict=True)]
    return [{"mean": whole["mean"], "sd": whole["sd"], "n": n} for n in ns]


def effect_sizes(table: pd.DataFrame, outcome: str, measure: str | None = None) -> pd.DataFrame:
    """Add ``yi, vi`` (log scale for OR/RR) to a comparison table."""
    measure = measure or DEFAULT_MEASURE[outcome]
    if table.empty:
        return table.assign(yi=[], vi=[])
    if outcome in BINARY_OUTCOMES:
        es = binary_effects(table["events_t"].to_numpy(int), table["n_t"].to_numpy(int),
                            table["events_c"].to_numpy(int), table["n_c"].to_numpy(int), measure=measure)
    else:
        es = continuous_effects(table["mean_t"].to_numpy(float), table["sd_t"].to_numpy(float),
                                table["n_t"].to_numpy(int), table["mean_c"].to_numpy(float),
                                table["sd_c"].to_numpy(float), table["n_c"].to_numpy(int), measure=measure)
    return table.assign(yi=np.asarray(es.yi, float), vi=np.asarray(es.vi, float))


def analyse(pkg: DataPackage, outcome: str, *, measure: str | None = None, method: str = "REML",
            ci: str = "hksj", multiarm: str = "combine", timepoint: str | int | None = "primary",
            include_derived: bool = True, studies: list[str] | str | None = "liu",
            drug: str | None = None, dose: str | None = None, exclude_caveats: bool = True,
            exclude_arms=(), model: str | None = None, tau_prior: tuple | None = None,
            row_id: str | None = None) -> Analysis:
    """Meta-analysis of one outcome: comparison table, effect sizes, pooled result.

    ``studies`` is a list of trial ids or the name of a set (``liu``, ``update``, ``all``; see
    :func:`study_set`). Trials with no event in either arm carry no information on a ratio scale
    and are left out of OR/RR pools (Cochrane Handbook 10.4.4.2, :cite:`cochrane_handbook_ch10`);
    they are listed in ``Analysis.excluded``. With no comparison the result is ``None``; with one,
    :func:`jakmeta.stats.pool` returns the single trial's estimate and says that tau² is not
    estimable (no pooling is invented).

    ``model`` and ``tau_prior`` (the protocol's headline model, ``data/analyses.csv``) and ``row_id``
    are kept in ``settings`` for :func:`jakmeta.review.fewstudies.headline`; ``result`` is always the
    random-effects fit of ``method``/``ci`` whose weights and heterogeneity the chapters report.
    ``multiarm="split"`` is refused: its comparisons share a placebo group and are not independent.
    """
    if multiarm == "split":
        raise ValueError("multi-arm rule 'split' is not pooled: the dose arms of one trial share its placebo "
                         "group, so they are not independent trials (k would count one trial several times). "
                         "Use combine, highest or licensed; the dose arms one by one are in the sensitivity "
                         "chapter's dose-by-dose view (jakmeta.review.analysis.dose_arms_table)")
    measure = measure or DEFAULT_MEASURE[outcome]
    if isinstance(studies, str):
        studies = study_set(pkg, studies)
    table = comparison_table(pkg, outcome, multiarm=multiarm, timepoint=timepoint,
                             include_derived=include_derived, studies=studies, drug=drug, dose=dose,
                             exclude_caveats=exclude_caveats, exclude_arms=exclude_arms)
    excluded = pd.DataFrame()
    if len(table) and outcome in BINARY_OUTCOMES and measure in ("OR", "RR", "PETO"):
        double_zero = (table["events_t"] == 0) & (table["events_c"] == 0)
        excluded = table[double_zero].assign(reason="no events in either arm (double zero)")
        table = table[~double_zero].reset_index(drop=True)
    table = effect_sizes(table, outcome, measure)
    result = pool(table["yi"].to_numpy(), table["vi"].to_numpy(), method=method, ci=ci) if len(table) else None
    settings = {"method": method, "ci": ci, "multiarm": multiarm, "timepoint": timepoint,
                "include_derived": include_derived, "studies": studies, "drug": drug, "dose": dose,
                "exclude_caveats": exclude_caveats, "exclude_arms": list(exclude_arms or ()),
                "model": model, "tau_prior": tau_prior, "row_id": row_id}
    return Analysis(outcome=outcome, measure=measure, table=table, result=result, settings=settings,
                    excluded=excluded)


def dose_arms_table(pkg: DataPackage, outcome: str, *, measure: str | None = None,
                    timepoint: str | int | None = "primary", studies: list[str] | None = None,
                    exclude_caveats: bool = True) -> pd.DataFrame:
    """Every active arm of every trial against that trial's whole placebo group, one row per arm,
    for a dose-by-dose view (not for pooling: the arms of a trial share its placebo group). Columns
    of :func:`comparison_table` plus ``arm_id``, ``dose``, ``licensed`` and ``yi, vi``."""
    measure = measure or DEFAULT_MEASURE[outcome]
    arms = pkg.arms[pkg.arms["role"] == "active"]
    if studies is not None:
        arms = arms[arms["study_id"].isin(studies)]
    frames = []
    for arm in arms.itertuples():
        others = [(arm.study_id, a) for a in pkg.arms.loc[(pkg.arms["study_id"] == arm.study_id)
                                                        & (pkg.arms["role"] == "active"), "arm_id"] if a != arm.arm_id]
        t = comparison_table(pkg, outcome, timepoint=timepoint, studies=[arm.study_id],
                             exclude_caveats=exclude_caveats, exclude_arms=others)
        if len(t):
            frames.append(t.assign(arm_id=arm.arm_id, dose=str(arm.dose), licensed=arm.licensed))
    if not frames:
        return pd.DataFrame()
    return effect_sizes(pd.concat(frames, ignore_index=True), outcome, measure)


def analysis_row(a: Analysis) -> dict:
    """Flat summary of one analysis' random-effects fit on the reporting scale (ratios exponentiated)."""

    tr = reporting_scale(a.measure)
    row = {"outcome": a.outcome, "label": OUTCOME_LABELS.get(a.outcome, a.outcome), "k": a.k,
           "trials": a.n_trials, "participants": a.n_participants, "measure": a.measure}
    r = a.result
    if r is None:
        row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, pi_low=np.nan, pi_high=np.nan,
                   tau2=np.nan, i2=np.nan, q=np.nan, q_pvalue=np.nan)
        return row

    def finite(v):
        return tr(v) if np.isfinite(v) else np.nan

    row.update(estimate=tr(r.estimate), ci_low=tr(r.ci_low), ci_high=tr(r.ci_high),
               pi_low=finite(r.pi_low), pi_high=finite(r.pi_high), tau2=r.tau2, i2=r.i2,
               q=r.q, q_pvalue=r.q_pvalue)
    return row
