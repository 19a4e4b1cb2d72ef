"""The protocol as data: every analysis of the book (dated, fixed before or after its results were seen), read from ``data/analyses.csv``.

Each row of ``analyses.csv`` (codebook: ``data/README.md``, "The protocol") is one analysis with a
stable ``row_id``: the question (outcome; drug and dose, or the class; population; trial set), the
time-point and multi-arm rules, the arms left out as non-therapeutic dose-ranging arms, the effect
measure, the headline model with its prior, the threshold of an important effect, and the date
the entry was fixed (and whether before or after its results were seen). The Summary of Findings
(:mod:`jakmeta.review.sof`), the outcome chapters, the sensitivity chapter, "What changed"
(:mod:`jakmeta.book.release`) and ``python -m jakmeta analyse --row`` resolve their analyses here;
none of them re-states a choice.

Rules applied when a row is resolved (:func:`run`):

- **Population** (rule ``adolescent_rule`` of ``amendments.csv``): a trial that enrolled only
  adolescents (:func:`adolescent_only`) enters only rows whose population includes adolescents.
- **Dose-ranging arms** (``exclude_arms``): left out before the multi-arm rule combines the
  therapeutic arms (Cochrane Handbook 23.3.4, :cite:`cochrane_handbook_ch23`).
- **Class rows** (``level = class``) answer for "JAK inhibitors" only where at least two drugs
  contribute (:data:`CLASS_MIN_DRUGS`); otherwise :func:`describe` labels the row with its drug,
  route, trials and week.
- **Model**: :func:`jakmeta.review.fewstudies.headline` reads ``model`` and ``tau_prior`` from the
  analysis' settings, so the Summary of Findings, the chapters and the command line show one
  number per ``row_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from jakmeta.evidence.package import DataPackage
from jakmeta.review.analysis import Analysis, analyse, study_set

PROTOCOL_FILE = "analyses.csv"
AMENDMENTS_FILE = "amendments.csv"
#: A class row answers for "JAK inhibitors" only when at least this many drugs contribute.
CLASS_MIN_DRUGS = 2
#: Text of studies.csv (trial name, eligibility) that marks a trial enrolling only adolescents.
ADOLESCENT = re.compile(r"adolescen|paediatric|pediatric|\bpeds\b|12\s*(?:to|-|–)\s*17\s*y", re.IGNORECASE)
ADULT = re.compile(r"\badults?\b|18\s*(?:to|-|–)\s*\d+\s*y|>=\s*18|≥\s*18", re.IGNORECASE)
#: Priors on tau: "half-normal(0.5)", "half-cauchy(1)", "log-normal(-1.03, 0.755)".
PRIOR = re.compile(r"^\s*(half-normal|half-cauchy|log-normal)\s*\(\s*([-+0-9.eE]+)\s*(?:,\s*([-+0-9.eE]+)\s*)?\)\s*$")


@dataclass(frozen=True)
class Entry:
    """One row of ``analyses.csv``."""

    row_id: str
    order: int
    role: str
    level: str
    answer: bool
    label: str
    outcome: str
    drug: str | None
    dose: str | None
    route: str
    population: str
    trial_set: str
    timepoint: str | int
    multiarm: str
    exclude_arms: tuple[tuple[str, str], ...]
    measure: str
    model: str
    tau_prior: tuple | None
    threshold: float
    date_fixed: str
    fixed: str
    commit: str
    question_fixed: str
    note: str

    @property
    def settings(self) -> dict:
        """Keyword arguments of :func:`jakmeta.review.analysis.analyse` for this entry."""
        return {"measure": self.measure, "multiarm": self.multiarm, "timepoint": self.timepoint,
                "drug": self.drug, "dose": self.dose, "exclude_arms": list(self.exclude_arms),
                "model": self.model, "tau_prior": self.tau_prior, "row_id": self.row_id}


def parse_prior(text: str | None) -> tuple | None:
    """``"half-normal(0.5)"`` -> ``("half-normal", 0.5)``; ``"log-normal(m, s)"`` -> ``("log-normal", m, s)``
    (the form :func:`jakmeta.stats.bayes.pool_bayes` takes); empty -> None."""
    if text is None or not str(text).strip():
        return None
    m = PRIOR.match(str(text))
    if not m:
        raise ValueError(f"prior '{text}' not understood; valid: half-normal(scale), half-cauchy(scale), "
                         "log-normal(meanlog, sdlog)")
    name, a, b = m.group(1), float(m.group(2)), m.group(3)
    if name == "log-normal":
        if b is None:
            raise ValueError(f"prior '{text}': log-normal needs (meanlog, sdlog)")
        return (name, a, float(b))
    if b is not None:
        raise ValueError(f"prior '{text}': {name} takes one scale")
    return (name, a)


def prior_text(prior: tuple | None) -> str:
    """The prior in words as the book prints it, e.g. 'half-normal(0.5)'."""
    if not prior:
        return ""
    return f"{prior[0]}({', '.join(f'{p:g}' for p in prior[1:])})"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) or pd.isna(value) else str(value).strip()


def _arms(text: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in [p.strip() for p in text.split(";") if p.strip()]:
        if part.count(":") != 1:
            raise ValueError(f"{where}: exclude_arms item '{part}' is not 'study_id:arm_id'")
        study, arm = (s.strip() for s in part.split(":"))
        out.append((study, arm))
    return tuple(out)


def _date(value) -> str:
    return pd.Timestamp(value).date().isoformat() if _text(value) else ""


def _entry(row: pd.Series, line: int, file: str) -> Entry:
    where = f"{file}, line {line}"
    timepoint = _text(row["timepoint"]) or "primary"
    if timepoint not in ("primary", "latest"):
        if not timepoint.isdigit():
            raise ValueError(f"{where}, column timepoint: '{timepoint}' is not 'primary', 'latest' or a week")
        timepoint = int(timepoint)
    try:
        prior = parse_prior(_text(row.get("tau_prior")))
    except ValueError as err:
        raise ValueError(f"{where}, column tau_prior: {err}") from err
    model = _text(row["model"])
    if model == "bayes" and prior is None:
        raise ValueError(f"{where}, column tau_prior: model 'bayes' needs a prior on tau")
    return Entry(row_id=_text(row["row_id"]), order=int(row["order"]), role=_text(row["role"]),
                 level=_text(row["level"]), answer=_text(row["answer"]) == "yes", label=_text(row["label"]),
                 outcome=_text(row["outcome"]), drug=_text(row["drug"]) or None, dose=_text(row["dose"]) or None,
                 route=_text(row["route"]), population=_text(row["population"]),
                 trial_set=_text(row["trial_set"]), timepoint=timepoint, multiarm=_text(row["multiarm"]),
                 exclude_arms=_arms(_text(row["exclude_arms"]), where), measure=_text(row["measure"]),
                 model=model, tau_prior=prior, threshold=float(row["threshold"]),
                 date_fixed=_date(row["date_fixed"]), fixed=_text(row["fixed"]), commit=_text(row["commit"]),
                 question_fixed=_date(row["question_fixed"]), note=_text(row["note"]))


def protocol_table(pkg: DataPackage | None = None) -> pd.DataFrame:
    """``analyses.csv`` as a table (from the data package when given; else the default folder)."""
    if pkg is not None and "analyses" in pkg.other:
        return pkg.other["analyses"]
    from jakmeta.evidence.package import default_data_dir

    directory = pkg.directory if pkg is not None else default_data_dir()
    return pd.read_csv(Path(directory) / PROTOCOL_FILE, dtype=str, keep_default_na=False)


def entries(pkg: DataPackage | None = None, role: str | None = None) -> list[Entry]:
    """Every entry of the protocol in its ``order`` (``role``: only 'primary' or 'sensitivity')."""
    table = protocol_table(pkg)
    file = f"{PROTOCOL_FILE}"
    out = [_entry(row, i + 2, file) for i, (_, row) in enumerate(table.iterrows())]
    ids = [e.row_id for e in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{file}: row_id not unique: {', '.join(dupes)}")
    out.sort(key=lambda e: e.order)
    return [e for e in out if role is None or e.role == role]


def entry(pkg: DataPackage | None, row_id: str) -> Entry:
    """The entry ``row_id``; an unknown id is an error that lists the valid ones."""
    found = {e.row_id: e for e in entries(pkg)}
    if row_id not in found:
        raise ValueError(f"unknown row_id '{row_id}' (data/{PROTOCOL_FILE}); valid: {', '.join(found)}")
    return found[row_id]


def find(pkg: DataPackage | None, outcome: str, drug: str | None = None, dose: str | None = None) -> Entry | None:
    """The primary entry for an outcome (class row) or a drug and dose (drug row), if the protocol has one."""
    for e in entries(pkg, role="primary"):
        if e.outcome == outcome and e.drug == (drug or None) and (e.dose == (dose or None) or drug is None):
            if drug is None and e.level != "class":
                continue
            return e
    return None


def adolescent_only(pkg: DataPackage) -> list[str]:
    """Trials that enrolled only adolescents: ``studies.csv: population = adolescents`` where the
    column is filled, else a name or eligibility that says adolescents and no adults."""
    if "population" in pkg.studies and pkg.studies["population"].notna().all():
        return pkg.studies.loc[pkg.studies["population"] == "adolescents", "study_id"].tolist()
    out = []
    for r in pkg.studies.itertuples():
        text = f"{r.trial_name} {getattr(r, 'eligibility', '')}"
        if ADOLESCENT.search(text) and not ADULT.search(str(getattr(r, "eligibility", ""))):
            out.append(r.study_id)
    return out


def trials_for(pkg: DataPackage, e: Entry) -> list[str]:
    """The trials an entry may draw on: its trial set, without adolescent-only trials for adult rows."""
    ids = study_set(pkg, e.trial_set)
    if e.population == "adults":
        young = set(adolescent_only(pkg))
        ids = [s for s in ids if s not in young]
    return ids


def run(pkg: DataPackage, e: Entry | str, **overrides) -> Analysis:
    """The analysis of a protocol entry (``overrides`` change one choice at a time, e.g.
    ``studies=[...]``, ``timepoint=24``, ``tau_prior=('half-cauchy', 1.0)``, ``model='reml-hksj'``)."""
    if isinstance(e, str):
        e = entry(pkg, e)
    settings = {**e.settings, "studies": trials_for(pkg, e), "method": "REML", "ci": "hksj",
                "include_derived": True, "exclude_caveats": True}
    settings.update(overrides)
    return analyse(pkg, e.outcome, **settings)


def _frames(a: Analysis) -> list[pd.DataFrame]:
    """The comparisons a row rests on: the pooled ones; without any, the double-zero trials."""
    return [t for t in ((a.table,) if a.k else (a.excluded,)) if len(t)]


def drugs_of(a: Analysis) -> list[str]:
    """The drugs of the active arms an analysis rests on (arms.csv: drug), in trial order."""
    names = [d for t in _frames(a) if "drug" in t for d in t["drug"]]
    return list(dict.fromkeys(part.strip() for d in names for part in str(d).split(" + ")))


def trials_of(a: Analysis) -> list[str]:
    """Trial names of an analysis (pooled and double-zero trials)."""
    return list(dict.fromkeys(str(n).split(":")[0] for t in _frames(a) if "trial" in t for n in t["trial"]))


def weeks_of(a: Analysis) -> list[int]:
    return sorted({int(w) for t in _frames(a) if "timepoint_weeks" in t for w in t["timepoint_weeks"]})


def routes_of(a: Analysis) -> list[str]:
    return list(dict.fromkeys(str(r) for t in _frames(a) if "route" in t for r in t["route"]))


def _weeks_text(weeks: list[int]) -> str:
    if not weeks:
        return ""
    return ("week " if len(weeks) == 1 else "weeks ") + ", ".join(str(w) for w in weeks)


def describe(e: Entry, a: Analysis) -> dict:
    """What a row answers for: label, intervention, drugs, trials and weeks. A class row with fewer
    than :data:`CLASS_MIN_DRUGS` drugs is relabelled with its one drug, route, trials and week."""
    drugs, trials, weeks = drugs_of(a), trials_of(a), weeks_of(a)
    label, intervention = e.label, None
    if e.level == "class":
        if len(drugs) >= CLASS_MIN_DRUGS:
            intervention = "JAK inhibitors (class)"
        elif drugs:
            intervention = f"{drugs[0]} ({', '.join(routes_of(a))})"
            label = (f"{e.label}: {drugs[0]} only ({', '.join(routes_of(a))}; "
                     f"{', '.join(trials)}; {_weeks_text(weeks)})")
        else:
            intervention = "JAK inhibitors (class)"
    else:
        dose = "" if e.dose in (None, "licensed") else f" {e.dose}"
        intervention = f"{e.drug}{dose}" + (" (licensed doses)" if e.dose == "licensed" else "")
    return {"row_id": e.row_id, "label": label, "intervention": intervention, "drugs": "; ".join(drugs),
            "trials": "; ".join(trials), "weeks": ", ".join(str(w) for w in weeks),
            "class_row": e.level == "class" and len(drugs) >= CLASS_MIN_DRUGS}


def amendments(pkg: DataPackage | None = None) -> pd.DataFrame:
    """``amendments.csv``: every rule with the date it was fixed and whether results had been seen."""
    if pkg is not None and "amendments" in pkg.other:
        return pkg.other["amendments"]
    from jakmeta.evidence.package import default_data_dir

    directory = pkg.directory if pkg is not None else default_data_dir()
    return pd.read_csv(Path(directory) / AMENDMENTS_FILE, dtype=str, keep_default_na=False)


TRIAL_SETS = {"all": "all placebo-controlled trials", "liu": "Liu et al.'s trials", "update": "trials since Liu et al."}
MULTIARM = {"combine": "therapeutic arms combined", "highest": "highest dose only", "licensed": "licensed doses only"}
WHEN = {"before": "before the results were seen", "after": "after the results were seen"}


def model_text(e: Entry) -> str:
    """The headline model of an entry in words."""
    from jakmeta.review.fewstudies import MODEL_NAMES, bayes_name

    if e.model == "bayes":
        return bayes_name(e.tau_prior)
    return MODEL_NAMES.get(e.model, e.model)


def protocol_view(pkg: DataPackage) -> pd.DataFrame:
    """The protocol as a reader reads it: one row per entry, choices in words (the row id kept as
    the handle of ``python -m jakmeta analyse --row``)."""
    arms = pkg.arms.set_index(["study_id", "arm_id"])["dose"].astype(str).to_dict()
    trials = pkg.studies.set_index("study_id")["trial_name"].to_dict()
    rows = []
    for e in entries(pkg):
        left_out = "; ".join(f"{trials.get(s, s)}: {arms.get((s, a), a)}" for s, a in e.exclude_arms) or "none"
        dose = "" if e.dose is None else (" (licensed doses)" if e.dose == "licensed" else f" {e.dose}")
        rows.append({
            "Row id": e.row_id, "Role": "Summary of Findings" if e.role == "primary" else "sensitivity",
            "Question": e.label, "Intervention": f"{e.drug}{dose}" if e.drug else "JAK inhibitors (class, at least two drugs)",
            "Population": e.population, "Trials": TRIAL_SETS[e.trial_set],
            "Time point": "each trial's primary time point" if e.timepoint == "primary" else
            ("each trial's latest" if e.timepoint == "latest" else f"week {e.timepoint}"),
            "Multi-arm rule": MULTIARM[e.multiarm], "Arms left out": left_out, "Measure": e.measure,
            "Headline model (k ≥ 2)": model_text(e),
            "Threshold": f"{e.threshold:g} {'SALT points' if e.measure == 'MD' else 'per 1000'}",
            "Question since": e.question_fixed, "Entry fixed": e.date_fixed, "Fixed, relative to its results": e.fixed})
    return pd.DataFrame(rows)


def common_columns(view: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Split a table into the columns that differ between rows and those with one value for every
    row (returned as a dict), so that a long table shows only what varies."""
    same = {c: view[c].iloc[0] for c in view.columns if len(view) and view[c].nunique() == 1}
    return view.drop(columns=list(same)), same


def amendments_view(pkg: DataPackage) -> pd.DataFrame:
    """Every rule, oldest first, with the date it was fixed, the commit, whether the results it
    affects had been seen, and what replaced it."""
    table = amendments(pkg).copy()
    table["date_fixed"] = [_date(v) for v in table["date_fixed"]]
    first = {r.rule_id: r.rule.split(":")[0] for r in table.itertuples()}
    replaced = [("current" if r.status == "current" else
                 "replaced by: " + "; ".join(first.get(x.strip(), x.strip()) for x in r.replaced_by.split(";") if x.strip()))
                for r in table.itertuples()]
    out = pd.DataFrame({"Rule": table["rule"], "Governs": table["applies_to"], "Fixed on": table["date_fixed"],
                        "Commit": [c or "this version" for c in table["commit"]],
                        "Fixed": table["results_seen"].map(WHEN), "Status": replaced, "Why, and what was seen": table["detail"]})
    return out.sort_values("Fixed on", kind="stable").reset_index(drop=True)
