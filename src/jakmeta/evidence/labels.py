"""Words for the codes of the data package: what a reader sees in place of a column name, an
outcome code, a RoB 2 judgement, a ``study_id``, an ``arm_id`` or a citation key.

The data keep their codes (``salt20``, ``some_concerns``, ``mao2023frontimmunol``; the codebook is
``data/README.md``); every table of the book passes through :func:`relabel` or :func:`column_label`
before a reader sees it, so that no code reaches a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

OUTCOME_LABELS = {
    "salt20": "SALT ≤ 20",
    "salt10": "SALT ≤ 10",
    "salt30": "SALT30 (≥ 30 % improvement)",
    "salt50": "SALT50 (≥ 50 % improvement)",
    "salt75": "SALT75 (≥ 75 % improvement)",
    "salt90": "SALT90 (≥ 90 % improvement)",
    "salt_cfb": "Change from baseline in SALT",
    "salt_pcfb": "Percent change from baseline in SALT",
    "ae_any": "Any adverse event",
    "ae_treatment_related": "Treatment-related adverse event",
    "ae_serious": "Serious adverse event",
    "ae_discontinuation": "Discontinuation due to adverse event",
    "ae_acne": "Acne", "ae_uri": "Upper respiratory tract infection", "ae_nasopharyngitis": "Nasopharyngitis",
    "ae_headache": "Headache", "ae_cpk_increased": "Blood creatine phosphokinase increased", "ae_covid19": "COVID-19",
    "ae_uti": "Urinary tract infection", "ae_herpes_zoster": "Herpes zoster",
    "regrowth75": "Hair regrowth ≥ 75 % (Cochrane CD013719 definition)",
}


#: Labels of the adverse-event codes that :data:`jakmeta.evidence.labels.OUTCOME_LABELS` does not name.
AE_LABELS = {
    "ae_acne": "Acne", "ae_herpes_zoster": "Herpes zoster", "ae_uri": "Upper respiratory tract infection",
    "ae_headache": "Headache", "ae_nasopharyngitis": "Nasopharyngitis",
    "ae_cpk_increased": "Blood creatine phosphokinase increased", "ae_folliculitis": "Folliculitis",
    "ae_infection_serious": "Serious infection", "ae_death": "Death", "ae_covid19": "COVID-19",
    "ae_covid19_asymptomatic": "Asymptomatic COVID-19", "ae_uti": "Urinary tract infection",
    "ae_nausea": "Nausea", "ae_diarrhoea": "Diarrhoea", "ae_neutropenia": "Neutropenia",
    "ae_oral_herpes": "Oral herpes", "ae_hypercholesterolaemia": "Hypercholesterolaemia",
    "ae_myalgia": "Myalgia", "ae_arthralgia": "Arthralgia",
}


def outcome_label(code: str) -> str:
    """Human label of an outcome code."""
    return OUTCOME_LABELS.get(code) or AE_LABELS.get(code, code)


#: Words for the enumerated codes of the data package (codebook: data/README.md), per column.
CODE_WORDS = {
    "decision": {"included_liu_set": "included (Liu set, probable)", "included_update": "included (update set)",
                 "excluded": "excluded", "awaiting_classification": "awaiting classification (results not readable)",
                 "ongoing": "ongoing (no results yet)"},
    "status": {"not_available": "not found"},
    "analysis_use": {"yes": "primary", "no": "not used", "sensitivity": "sensitivity only"},
}


#: Column labels for the snake_case names used across the package (Cochrane Handbook vocabulary).
#: Used when ``show_table`` is given no label for a column.
DEFAULT_LABELS: dict[str, str] = {
    "study_id": "Trial", "trial_name": "Trial", "trial": "Trial", "study": "Trial",
    "arm_id": "Arm", "arm": "Arm", "label": "Arm", "comparison": "Comparison",
    "outcome": "Outcome", "outcome_label": "Outcome", "measure": "Measure", "method": "Method",
    "estimate": "Estimate", "effect": "Effect",
    "ci_low": "95% CI lower", "ci_high": "95% CI upper",
    "pi_low": "95% PI lower", "pi_high": "95% PI upper",
    "ci": "95% CI", "pi": "95% PI",
    "k": "Trials (k)", "n_studies": "Trials", "n_trials": "Trials", "studies": "Trials",
    "n_participants": "Participants", "participants": "Participants", "n_total": "Participants",
    "n_randomised": "Randomised",
    "events_t": "Events (JAK inhibitor)", "total_t": "Total (JAK inhibitor)", "n_t": "N (JAK inhibitor)",
    "events_c": "Events (placebo)", "total_c": "Total (placebo)", "n_c": "N (placebo)",
    "mean_t": "Mean (JAK inhibitor)", "sd_t": "SD (JAK inhibitor)",
    "mean_c": "Mean (placebo)", "sd_c": "SD (placebo)",
    "events": "Events", "total": "Total", "n": "N", "mean": "Mean", "sd": "SD", "se": "SE",
    "yi": "Effect size (analysis scale)", "vi": "Variance", "sei": "SE",
    "weight": "Weight (%)", "weights": "Weight (%)",
    "tau2": "τ²", "tau": "τ", "i2": "I² (%)", "h2": "H²", "q": "Q", "q_df": "Q df",
    "q_pvalue": "p (Q)", "p_value": "p", "pvalue": "p", "p": "p", "z": "z",
    "timepoint_weeks": "Week", "primary_timepoint_weeks": "Primary time point (weeks)", "week": "Week",
    "drug": "Drug", "dose": "Dose", "route": "Route", "phase": "Phase", "role": "Role",
    "registry_id": "Registry", "design": "Design", "eligibility": "Eligibility",
    "in_liu2023": "In Liu 2023", "population": "Analysis population", "analysis_use": "Used in analysis",
    "reported_percent": "Reported (%)", "status": "Status", "source": "Source", "locator": "Where found",
    "where_we_looked": "Where we looked", "derivation": "Derivation", "note": "Note", "notes": "Notes",
    "reason": "Reason", "domain": "Domain", "judgement": "Judgement", "certainty": "Certainty",
    "comment": "Comment", "comments": "Comments", "footnote": "Footnote", "value": "Value",
    "decision": "Decision", "characteristic": "Characteristic", "outcome_scope": "Outcomes",
    "published": "Published", "ours": "Ours", "difference": "Difference",
    "rule": "Rule", "multiarm": "Multi-arm rule", "ci_method": "CI method", "tau2_method": "τ² method",
    "source_type": "Kind of source", "overall": "Overall",
    # RoB 2 domains (data/risk_of_bias.csv)
    "D1_randomisation": "D1 Randomisation", "D2_deviations": "D2 Deviations from interventions",
    "D3_missing_data": "D3 Missing outcome data", "D4_measurement": "D4 Outcome measurement",
    "D5_selection": "D5 Selection of the reported result",
}


#: RoB 2 judgements as written in data/risk_of_bias.csv, and as a reader reads them.
ROB_JUDGEMENTS = {"low": "Low", "some_concerns": "Some concerns", "high": "High", "not_assessed": "No information read by us"}


#: Words that keep a fixed spelling when a label is derived from a snake_case name.
_TOKENS = {
    "ci": "CI", "pi": "PI", "sd": "SD", "se": "SE", "or": "OR", "rr": "RR", "rd": "RD", "md": "MD",
    "smd": "SMD", "n": "N", "i2": "I²", "tau2": "τ²", "tau": "τ", "salt": "SALT", "ae": "AE",
    "jak": "JAK", "grade": "GRADE", "rob": "RoB", "id": "ID", "hksj": "HKSJ", "dl": "DL",
    "reml": "REML", "pm": "PM", "mh": "MH", "liu2023": "Liu 2023", "pct": "%", "pvalue": "p",
    "cfb": "change from baseline", "pcfb": "percent change from baseline",
}


_ARM_SUFFIX = {"t": "(JAK inhibitor)", "c": "(placebo)"}


def column_label(name) -> str:
    """The human label of a column: :data:`DEFAULT_LABELS`, else its snake_case words in sentence
    case (``ci_low_or`` -> ``CI low OR``; a trailing ``_t``/``_c`` names the arm)."""
    if isinstance(name, tuple):
        return " · ".join(column_label(part) for part in name if str(part) != "")
    key = str(name)
    if key in DEFAULT_LABELS:
        return DEFAULT_LABELS[key]
    if not re.fullmatch(r"[a-z0-9_]+", key):
        return key  # already a label (has capitals, spaces or symbols)
    words = [w for w in key.split("_") if w]
    if not words:
        return key
    suffix = _ARM_SUFFIX.get(words[-1]) if len(words) > 1 else None
    if suffix:
        words = words[:-1]
    out = [_TOKENS.get(w, w) for w in words]
    if out[0] == words[0]:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out + ([suffix] if suffix else []))


_ASCII_SIGNS = re.compile(r"\s*(<=|>=)\s*")


def reader_signs(text: str) -> str:
    """ASCII comparison signs as a reader writes them: ``SALT>=50`` -> ``SALT ≥ 50``, ``<=`` -> ``≤``
    (the data keep the ASCII form their sources and rules use)."""
    return _ASCII_SIGNS.sub(lambda m: " ≤ " if m.group(1) == "<=" else " ≥ ", text)


def trial_names(studies: pd.DataFrame) -> dict[str, str]:
    """``study_id`` -> ``trial_name`` from ``data/studies.csv`` (``DataPackage.studies``)."""
    return dict(zip(studies["study_id"], studies["trial_name"], strict=True))


def relabel(df: pd.DataFrame, studies: pd.DataFrame | Mapping[str, str] | None = None,
            columns: tuple[str, ...] = ("study_id", "outcome"),
            references: Mapping[str, str] | None = None,
            reference_columns: tuple[str, ...] = ("source", "published_source"),
            arms: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of ``df`` with codes in cells replaced by what a reader knows: ``study_id`` by the
    trial name (``studies`` is ``DataPackage.studies`` or a mapping), ``arm_id`` by the arm's
    label (``arms`` is ``DataPackage.arms``; needs a ``study_id`` column), ``outcome`` by
    :data:`jakmeta.evidence.labels.OUTCOME_LABELS` (other snake_case codes in words: ``ae_acne`` ->
    ``AE acne``), RoB 2 judgements (``some_concerns`` -> ``Some concerns``) in a ``judgement``,
    ``overall`` or domain column, and, given ``references`` (e.g. :func:`reference_labels`),
    citation keys in the ``reference_columns`` by author and year. Unknown codes stay as they are."""

    out = df.copy()
    if arms is not None and {"arm_id", "study_id"} <= set(out.columns):
        arm_labels = {(a.study_id, a.arm_id): a.label for a in arms.itertuples()}
        out["arm_id"] = [arm_labels.get((sid, aid), aid) for sid, aid in zip(out["study_id"], out["arm_id"], strict=True)]
    for column in out.columns:
        if column in ("judgement", "overall") or str(column).startswith(("D1_", "D2_", "D3_", "D4_", "D5_")):
            out[column] = out[column].map(lambda j: ROB_JUDGEMENTS.get(j, j) if isinstance(j, str) else j)
    if "study_id" in columns and "study_id" in out.columns and studies is not None:
        names = trial_names(studies) if isinstance(studies, pd.DataFrame) else dict(studies)
        out["study_id"] = out["study_id"].map(lambda s: names.get(s, s))
    if "outcome" in columns and "outcome" in out.columns:
        out["outcome"] = out["outcome"].map(
            lambda o: OUTCOME_LABELS.get(o, column_label(o) if isinstance(o, str) else o))
    if references:
        for column in reference_columns:
            if column in out.columns:
                out[column] = out[column].map(lambda k: references.get(k, k) if isinstance(k, str) else k)
    return out


#: A registry's name of one of its groups, quoted in ``outcomes.csv: population``: ``CT.gov AE group
#: 'CTP-543 8 mg BID'`` (the adverse-event table of the results) or ``group 'Placebo'`` (the
#: participant flow); two groups pooled into one arm are joined by ``+``.
REGISTRY_GROUP = re.compile(r"(?P<kind>CT\.gov AE group|group) (?P<names>'[^']*'(?:\s*\+\s*'[^']*')*)")
_QUOTED = re.compile(r"'([^']*)'")


def registry_group_labels(outcomes: pd.DataFrame, arms: pd.DataFrame) -> dict[str, dict[str, str]]:
    """``study_id`` -> {registry group name -> arm label}: each group name quoted in a row's
    ``population`` (:data:`REGISTRY_GROUP`) is the registry's name of that row's arm (``arm_id``),
    whose label a reader knows from ``arms.csv``. A name given to two arms of one trial is left
    out (it names neither)."""
    labels = {(a.study_id, a.arm_id): a.label for a in arms.itertuples()}
    found: dict[str, dict[str, set[str]]] = {}
    for sid, aid, population in zip(outcomes["study_id"], outcomes["arm_id"], outcomes["population"], strict=True):
        if not isinstance(population, str) or (sid, aid) not in labels:
            continue
        for match in REGISTRY_GROUP.finditer(population):
            for name in _QUOTED.findall(match.group("names")):
                found.setdefault(sid, {}).setdefault(name, set()).add(labels[(sid, aid)])
    return {sid: {name: next(iter(arm)) for name, arm in names.items() if len(arm) == 1}
            for sid, names in found.items()}


def population_words(text, groups: Mapping[str, str]):
    """``population`` as a reader reads it: a registry's group name quoted in it (:data:`REGISTRY_GROUP`;
    often the drug's development code, ``'CTP-543 8 mg BID'``) replaced by the label of the arm it
    names (``groups``: name -> label, one trial's part of :func:`registry_group_labels`):
    ``safety: participants at risk in CT.gov AE group 'CTP-543 8 mg BID'`` -> ``safety: participants
    at risk in the registry's adverse-event group of Deuruxolitinib 8 mg BID``. The registry's own
    names stay in the data (``outcomes.csv``); a name not in ``groups`` stays quoted."""
    if not isinstance(text, str):
        return text

    def words(match: re.Match) -> str:
        names = _QUOTED.findall(match.group("names"))
        if not all(n in groups for n in names):
            return match.group(0)
        arms = list(dict.fromkeys(groups[n] for n in names))
        kind = "adverse-event group" if match.group("kind").startswith("CT.gov") else "group"
        plural = "s" if len(names) > 1 else ""
        return f"the registry's {kind}{plural} of {' and '.join(arms)}"

    out = REGISTRY_GROUP.sub(words, text)
    return out.replace("participant flow period 0:", "participant flow (first period):")


_BIB_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.DOTALL)


_BIB_FIELD = re.compile(r"\b(author|year|journal|title|publisher|organization|institution|howpublished)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", re.IGNORECASE)


def reference_labels(bib_path: str | Path | None = None) -> dict[str, str]:
    """Citation key -> a label a reader knows, from a BibTeX file: ``Mao et al. 2023`` (first
    author's surname; "et al." for three or more authors), or ``journal year`` when no author is
    recorded. ``bib_path`` defaults to the project's ``references.bib`` (beside ``data/``), so the
    chapters find it wherever they are executed."""
    if bib_path is None:
        from jakmeta.evidence.package import default_data_dir

        bib_path = default_data_dir().parent / "references.bib"
    labels = {}
    for match in _BIB_ENTRY.finditer(Path(bib_path).read_text(encoding="utf-8")):
        key, body = match.group(2), match.group(3)
        raw = {name.lower(): value for name, value in _BIB_FIELD.findall(body)}
        fields = {name: _latex_to_text(value) for name, value in raw.items()}
        year = fields.get("year", "")
        # an author in its own braces ({Pfizer Inc.}) is an organisation: its whole name is kept
        raw_authors = _split_authors(raw.get("author", ""))
        organisations = {_latex_to_text(a) for a in raw_authors if a.startswith("{") and a.endswith("}")}
        authors = [_latex_to_text(a) for a in raw_authors]
        if authors and authors[-1].lower() == "others":
            authors = authors[:-1] + ["", ""]  # "and others": et al.
        if authors:
            surnames = [a if a in organisations else a.split(",")[0].strip() if "," in a
                        else (a.split() or [""])[-1] for a in authors]
            who = (surnames[0] if len(surnames) == 1 else f"{surnames[0]} and {surnames[1]}"
                   if len(surnames) == 2 else f"{surnames[0]} et al.")
        else:
            who = next((fields[f] for f in ("journal", "organization", "institution", "publisher", "howpublished")
                        if fields.get(f)), None)
            if who is None:
                title = fields.get("title", key)
                who = title if len(title) <= 50 else title[:48].rsplit(" ", 1)[0] + " …"
        labels[key] = f"{who} {year}".strip()
    return labels


def _split_authors(field: str) -> list[str]:
    """BibTeX author list split at the top-level " and " only (not inside braces, so that
    ``{Eli Lilly and Company} and {Incyte}`` is two authors)."""
    authors, depth, start, i = [], 0, 0, 0
    while i < len(field):
        ch = field[i]
        depth += (ch == "{") - (ch == "}")
        if depth == 0 and field[i:i + 5].lower() == " and ":
            authors.append(field[start:i])
            start = i = i + 5
            continue
        i += 1
    authors.append(field[start:])
    return [a.strip() for a in authors if a.strip()]


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327"}


def _latex_to_text(value: str) -> str:
    """BibTeX field text without braces, with accents (``R\\"over`` -> ``Röver``) as Unicode."""
    import unicodedata

    value = re.sub(r"\\([\"'`^~c])\s*\{?\s*([A-Za-z])\}?",
                   lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]), value)
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
