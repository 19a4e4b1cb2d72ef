"""Descriptive tables of the data package for the data chapter and the extraction log:
trial characteristics, the completeness matrix, the totals checked against the published ones,
and the list of values sought and not found."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import AE_LABELS, CODE_WORDS, OUTCOME_LABELS, outcome_label
from jakmeta.evidence.package import BINARY_OUTCOMES, SOURCE_TYPES, DataPackage
from jakmeta.review.analysis import LIU_SET

#: Outcomes shown in the completeness matrix, in this order.
MATRIX_OUTCOMES = ("salt20", "salt10", "salt30", "salt50", "salt75", "salt90", "salt_cfb", "salt_pcfb",
                   "ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation")
#: Cell states of the completeness matrix, best first. "sensitivity only": values exist for placebo
#: and an active arm but carry a caveat (inferred time point, AE window past the placebo-controlled
#: period), so only sensitivity analyses use them.
STATES = ("usable (reported)", "usable (derived)", "sensitivity only", "partial", "percent only", "not found")

#: Markers of source quality on forest plots and Summary of Findings rows: a comparison resting on
#: a value that is approximate, or read only in a sponsor, conference, news or blog source.
SOURCE_MARKERS = {"approximate": "≈", "sponsor": "†", "conference": "†", "news": "‡", "blog": "‡"}
SOURCE_MARKER_LEGEND = {"≈": "approximate value (count or denominator derived, see the data chapter)",
                        "†": "value from a sponsor release or a conference report only",
                        "‡": "value from a news report or blog only"}


def source_marker(source_type: str, approximate: str | bool) -> str:
    """The marker of one comparison (``comparison_table`` columns ``source_type``, the least primary
    source of its values, and ``approximate``): "≈" approximate, "†" sponsor or conference, "‡" news
    or blog, concatenated; "" for registry, publication, regulator and secondary-review values."""
    marks = SOURCE_MARKERS["approximate"] if approximate in (True, "yes") else ""
    return marks + SOURCE_MARKERS.get(str(source_type), "")


def source_quality(table: pd.DataFrame) -> pd.DataFrame:
    """Per comparison row of :func:`jakmeta.review.analysis.comparison_table`: trial, the least primary
    source type of its values, whether any value is approximate, and the marker."""
    if table.empty or "source_type" not in table:
        return pd.DataFrame(columns=["study_id", "trial", "source_type", "approximate", "marker"])
    out = table[["study_id", "trial", "source_type", "approximate"]].copy()
    out["marker"] = [source_marker(s, a) for s, a in zip(out["source_type"], out["approximate"], strict=True)]
    return out


def marker_legend(markers) -> str:
    """Legend text for the markers that occur (in the order ≈, †, ‡)."""
    used = "".join(markers)
    return "; ".join(f"{m} {text}" for m, text in SOURCE_MARKER_LEGEND.items() if m in used)


def weight_by_source_type(pkg: DataPackage) -> pd.DataFrame:
    """Per Summary of Findings row (:func:`jakmeta.review.sof.sof_rows`, its primary analysis): the share of
    the pooled weight (random-effects weights, percent) resting on each source type. A comparison's
    weight is attributed to the least primary source type among its values (conservative), and the
    share of weight on approximate values is given too."""
    from jakmeta.review import sof

    rows = []
    for spec in sof.sof_rows():
        a = sof.primary(pkg, spec["outcome"], drug=spec["drug"], dose=spec["dose"])
        row = {"Summary of Findings row": spec["label"], "Comparisons": a.k}
        if a.result is None or a.k == 0:
            rows.append(row)
            continue
        weights = pd.Series(list(a.result.weights), index=a.table.index, dtype=float)
        weights = 100 * weights / weights.sum()
        for kind in SOURCE_TYPES:
            share = float(weights[a.table["source_type"] == kind].sum())
            if share > 0:
                row[kind.replace("_", " ")] = share
        row["approximate values"] = float(weights[a.table["approximate"] == "yes"].sum())
        row["Markers"] = "".join(sorted(set("".join(source_marker(s, ap) for s, ap in
                                                   zip(a.table["source_type"], a.table["approximate"], strict=True))),
                                        key="≈†‡".index))
        rows.append(row)
    out = pd.DataFrame(rows)
    order = ["Summary of Findings row", "Comparisons"] + [t.replace("_", " ") for t in SOURCE_TYPES
                                                         if t.replace("_", " ") in out] + ["approximate values", "Markers"]
    return out[[c for c in order if c in out]]


def rule_sensitivity_sets(pkg: DataPackage, outcome: str = "salt20") -> dict[str, list[str]]:
    """The trial sets of the update rule's sensitivity analyses (data/README.md, *The update
    analyses*): all trials; without the trials whose comparison rests on a sponsor, conference,
    news or blog source only (markers † and ‡ of :func:`source_marker`); without the trials with
    an approximate value (≈); without adolescent-only trials (``studies.population``)."""
    from jakmeta.review import sof

    a = sof.primary(pkg, outcome)
    marks = dict(zip(a.table["study_id"], (source_marker(s, ap) for s, ap in zip(
        a.table["source_type"], a.table["approximate"], strict=True)), strict=True)) if a.k else {}
    everyone = pkg.studies["study_id"].tolist()
    adolescents = set(pkg.studies.loc[pkg.studies["population"] == "adolescents", "study_id"])
    return {"all trials (primary)": everyone,
            "without sponsor-, conference- or news-only values": [s for s in everyone
                                                                   if not set(marks.get(s, "")) & set("†‡")],
            "without approximate values": [s for s in everyone if "≈" not in marks.get(s, "")],
            "without adolescent-only trials": [s for s in everyone if s not in adolescents]}


def reading_depth(bib_path=None) -> pd.DataFrame:
    """The works whose reading depth is recorded (``readas``, our BibTeX field): key, label and how
    much was read (abstract, in full, in part, news summary)."""
    from pathlib import Path

    from jakmeta.evidence.labels import reference_labels
    from jakmeta.evidence.package import default_data_dir

    bib_path = Path(bib_path) if bib_path is not None else default_data_dir().parent / "references.bib"
    text = bib_path.read_text(encoding="utf-8")
    labels = reference_labels(bib_path)
    rows = []
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}\n", text, re.S):
        key, body = match.groups()
        read = re.search(r"\n\s*readas\s*=\s*\{([^}]*)\}", body)
        if not read:
            continue
        journal = re.search(r"journal\s*=\s*\{([^}]*)\}", body)
        label = labels.get(key, key) + (f" ({journal.group(1)})" if journal else "")
        rows.append({"key": key, "label": label, "read": read.group(1)})
    return pd.DataFrame(rows, columns=["key", "label", "read"])


def evidence_claims(pkg: DataPackage, bib_path=None) -> dict:
    """What the landing page may claim, computed: how many of Liu et al.'s published pooled figures
    our analysis of their (reconstructed) trial set reproduces (within 5 %,
    :func:`jakmeta.review.reproduction.reproduction_rows`), which sources were read in full and which only
    as abstracts (or news summaries), and the date of the last search (``searches.csv``)."""
    from jakmeta.review.reproduction import reproduction_rows

    repro = reproduction_rows(pkg, search_grid=False)
    depth = reading_depth(bib_path)
    trials = pkg.studies.groupby("registry_id")["trial_name"].agg(lambda s: " / ".join(s))
    registry = depth["key"].str.startswith("ctgov_nct")
    depth.loc[registry, "label"] = [f"registry results of {trials.get(k.removeprefix('ctgov_').upper(), k)}"
                                    for k in depth.loc[registry, "key"]]
    full = depth[depth["read"].str.contains("in full")]
    full = full.assign(label=[f"{lab}: study data" if read.startswith("abstract") else lab
                              for lab, read in zip(full["label"], full["read"], strict=True)])
    abstract = depth[depth["read"].str.startswith("abstract")]
    news = depth[depth["read"] == "news summary"]
    return {
        "n_figures": len(repro),
        "n_reproduced": int(repro["verdict"].str.startswith("reproduced").sum()),
        "read_in_full": list(full["label"]), "read_as_abstract": list(abstract["label"]),
        "read_as_news": list(news["label"]),
        "last_search": str(pd.to_datetime(pkg.searches["date"]).max().date()),
    }


def claims_sentence(claims: dict) -> str:
    """The landing page's statement of what the book does and does not do, from :func:`evidence_claims`."""
    def listing(items):
        items = list(dict.fromkeys(items))
        return "; ".join(items[:-1]) + ("; and " if len(items) > 1 else "") + items[-1] if items else "none"

    n, k = claims["n_reproduced"], claims["n_figures"]
    return (f"Of the {k} pooled figures Liu et al. published, {n} {'is' if n == 1 else 'are'} reproduced here "
            f"(within 5 %) from the trials we could reconstruct as theirs: the book re-analyses their question "
            f"with the data that could be read, it is not a replication of their numbers. Read in full: "
            f"{listing(claims['read_in_full'])}. Read only as abstracts: {listing(claims['read_as_abstract'])}. "
            f"Read only in news summaries: {listing(claims['read_as_news'])}. Last search: {claims['last_search']}.")


#: Free-text columns in which citation keys and outcome codes are replaced by words.
FREE_TEXT_COLUMNS = ("note", "notes", "reason", "locator", "where_we_looked")


def readable(df: pd.DataFrame, pkg: DataPackage, references=None) -> pd.DataFrame:
    """A copy of ``df`` for a reader: trial names for ``study_id``, arm labels for ``arm_id``,
    outcome labels, RoB 2 judgements in words, citation keys in ``source`` by author and year
    (``references``, e.g. :func:`jakmeta.evidence.labels.reference_labels`), and the enumerated codes of
    :data:`CODE_WORDS` and ``source_type`` in words."""
    from jakmeta.evidence.labels import relabel

    out = df.copy()
    if "study_id" in out:
        for column in POPULATION_COLUMNS:
            if column in out:
                out[column] = population_text(pkg, out["study_id"], out[column])
    if "outcome" in out:
        out["outcome"] = out["outcome"].map(lambda o: outcome_label(o) if isinstance(o, str) else o)
    out = relabel(out, pkg.studies, columns=("study_id",), arms=pkg.arms, references=references)
    for column, words in CODE_WORDS.items():
        if column in out:
            out[column] = out[column].map(lambda v, w=words: w.get(v, v) if isinstance(v, str) else v)
    if "source_type" in out:
        out["source_type"] = out["source_type"].map(lambda v: v.replace("_", " ") if isinstance(v, str) else v)
    words = dict(references or {})
    words.update({code: outcome_label(code) for code in list(OUTCOME_LABELS) + list(AE_LABELS)})
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(words, key=len, reverse=True)) + r")\b")
    for column in FREE_TEXT_COLUMNS:
        if column in out:
            out[column] = out[column].map(lambda v: _signs(pattern.sub(lambda m: words[m.group(1)], v))
                                          if isinstance(v, str) else v)
    return out


#: Columns that quote an analysis population as recorded (``outcomes.csv: population``).
POPULATION_COLUMNS = ("population", "analysis_population")


def population_text(pkg: DataPackage, study_ids, texts) -> list:
    """The analysis populations ``texts`` (one per ``study_ids``) in words: the registry's names of
    its groups (``'CTP-543 8 mg BID'``) replaced by the labels of the arms they name
    (:func:`jakmeta.evidence.labels.population_words`); the names stay in ``data/outcomes.csv``."""
    from jakmeta.evidence.labels import population_words, registry_group_labels

    groups = registry_group_labels(pkg.outcomes, pkg.arms)
    return [population_words(t, groups.get(s, {})) for s, t in zip(study_ids, texts, strict=True)]


def _signs(text: str) -> str:
    """ASCII comparison signs as a reader writes them (:func:`jakmeta.evidence.labels.reader_signs`)."""
    from jakmeta.evidence.labels import reader_signs

    return reader_signs(text)


def arm_label(pkg: DataPackage, study_id: str, arm_id: str) -> str:
    """The label of one arm (``data/arms.csv``), or its id when the arm is not listed."""
    match = pkg.arms[(pkg.arms["study_id"] == study_id) & (pkg.arms["arm_id"] == arm_id)]
    return str(match["label"].iloc[0]) if len(match) else arm_id


def randomised_arms(arms: pd.DataFrame) -> pd.DataFrame:
    """The randomised arms: without the pooled pseudo-arms (``pools_arms``), which hold values posted
    only with doses pooled and would count their participants twice in a sum."""
    if "pools_arms" not in arms:
        return arms
    return arms[arms["pools_arms"].isna() | (arms["pools_arms"].astype(str).str.strip() == "")]


def _arm_size_text(arms: pd.DataFrame) -> str:
    arms = randomised_arms(arms)
    n = arms["n_randomised"]
    known = int(n.sum()) if n.notna().any() else None
    text = (f"{known}" if n.notna().all() else
            f"≥ {known} ({int(n.isna().sum())} arm(s) not found)" if known else "not found")
    if "n_analysed" in arms and arms["n_analysed"].notna().all():
        analysed = int(arms["n_analysed"].sum())
        if known is not None and analysed != known:
            text += f" ({analysed} in the primary analysis)"
    return text


def trial_characteristics(pkg: DataPackage) -> pd.DataFrame:
    """One row per trial: design facts and the number randomised (sum over arms, or the gap)."""
    rows = []
    for s in pkg.studies.itertuples():
        arms = pkg.arms[pkg.arms["study_id"] == s.study_id]
        n_text = _arm_size_text(arms)
        rows.append({
            "Trial": s.trial_name, "Registry": s.registry_id, "Drug": s.drug, "Route": s.route,
            "Phase": s.phase, "Arms": "; ".join(randomised_arms(arms)["label"]), "Randomised": n_text,
            "Population": getattr(s, "population", "adults"),
            "Primary week": s.primary_timepoint_weeks,
            "Eligibility": _signs(s.eligibility) if isinstance(s.eligibility, str) else s.eligibility,
            "In Liu 2023": {"yes": "yes", "probable": "probable (inferred)", "no": "no (later)"}.get(s.in_liu2023, s.in_liu2023),
        })
    return pd.DataFrame(rows)


def _cell_state(rows: pd.DataFrame, arms: pd.DataFrame, outcome: str, show_sensitivity: bool = True) -> str:
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
    sens = values[values["analysis_use"] == "sensitivity"]
    if show_sensitivity and (sens["arm_id"].isin(arms.loc[arms["role"] == "placebo", "arm_id"]).any()
            and sens["arm_id"].isin(arms.loc[arms["role"] == "active", "arm_id"]).any()):
        return "sensitivity only"
    if outcome in BINARY_OUTCOMES and values["events"].isna().all():
        return "percent only"
    return "partial"


def completeness_matrix(pkg: DataPackage, outcomes=MATRIX_OUTCOMES, show_sensitivity: bool = False) -> pd.DataFrame:
    """Trial x outcome: whether a placebo comparison can be analysed, and from what kind of value.
    ``show_sensitivity=True`` marks cells whose only complete comparison is kept for sensitivity
    analyses ("sensitivity only"); by default such cells count as "partial"."""
    matrix = {}
    for s in pkg.studies.itertuples():
        arms = pkg.arms[pkg.arms["study_id"] == s.study_id]
        rows = pkg.outcomes[pkg.outcomes["study_id"] == s.study_id]
        matrix[s.trial_name] = {outcome_label(o): _cell_state(rows[rows["outcome"] == o], arms, o, show_sensitivity)
                                for o in outcomes}
    return pd.DataFrame(matrix).T


def totals_check(pkg: DataPackage) -> pd.DataFrame:
    """Participants and women in the reconstructed Liu set beside Liu's published totals."""
    liu = pkg.studies.loc[pkg.studies["in_liu2023"].isin(LIU_SET), "study_id"]
    arms = randomised_arms(pkg.arms[pkg.arms["study_id"].isin(liu)])
    n_found = int(participants_in_primary_analysis(arms).sum())
    missing_arms = arms[arms["n_randomised"].isna()]
    published = pkg.published.set_index(["outcome", "measure"])["estimate"]
    chars = pkg.characteristics
    women = chars[(chars["characteristic"] == "female") & chars["study_id"].isin(liu)
                  & chars["events"].notna() & (chars["status"] != "not_available")]
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    women_trials = sorted({names.get(s, s) for s in women["study_id"]})
    rows = [
        {"Quantity": "Trials", "Ours": len(liu), "Liu et al. 2023": published.get(("trials", "count"), np.nan),
         "Note": "reconstructed set (inferred from the totals; Liu's list could not be read)"},
        {"Quantity": "Participants (primary analysis population)", "Ours": n_found,
         "Liu et al. 2023": published.get(("participants", "count"), np.nan),
         "Note": (f"sum over arms with a known size; {len(missing_arms)} arm(s) without a size: "
                  + "; ".join(f"{names.get(a.study_id, a.study_id)}: {a.label}" for a in missing_arms.itertuples()))
         if len(missing_arms) else "sum over all arms (n_analysed where the registry randomised more than the primary analysis used, i.e. BRAVE-AA2; otherwise n_randomised)"},
        {"Quantity": "Women", "Ours": int(women["events"].sum()) if len(women) else np.nan,
         "Liu et al. 2023": published.get(("female", "count"), np.nan),
         "Note": f"found for {len(women_trials)} of {len(liu)} trials" + (f" ({', '.join(women_trials)})" if women_trials else "")},
    ]
    return pd.DataFrame(rows)


def participants_in_primary_analysis(arms: pd.DataFrame) -> pd.Series:
    """Per arm: ``n_analysed`` where recorded, otherwise ``n_randomised`` (the population the trial
    reports and earlier meta-analyses counted)."""
    if "n_analysed" not in arms:
        return arms["n_randomised"]
    return arms["n_analysed"].where(arms["n_analysed"].notna(), arms["n_randomised"])


def analysed_rows(pkg: DataPackage) -> pd.DataFrame:
    """The value rows the primary analyses use (``analysis_use = yes``), with the arm's role."""
    used = pkg.outcomes[(pkg.outcomes["analysis_use"] == "yes") & (pkg.outcomes["status"] != "not_available")]
    return used.merge(pkg.arms[["study_id", "arm_id", "role"]], on=["study_id", "arm_id"], how="left")


def analysed_cells(pkg: DataPackage, outcomes=None) -> pd.DataFrame:
    """Trial x outcome cells with analysed values for placebo and at least one active arm (any week),
    with the source types of the values used."""
    used = analysed_rows(pkg)
    if outcomes is not None:
        used = used[used["outcome"].isin(outcomes)]
    rows = []
    for (sid, outcome), group in used.groupby(["study_id", "outcome"], sort=False):
        roles = set(group["role"])
        if {"placebo", "active"} <= roles:
            rows.append({"study_id": sid, "outcome": outcome,
                         "weeks": ", ".join(sorted({str(w) for w in group["timepoint_weeks"]})),
                         "source_type": ", ".join(t for t in SOURCE_TYPES if t in set(group["source_type"]))})
    return pd.DataFrame(rows, columns=["study_id", "outcome", "weeks", "source_type"])


def source_type_shares(pkg: DataPackage) -> pd.DataFrame:
    """Per outcome: number of analysed value rows and the percentage from each source type (a row per
    outcome with analysed values, then "All outcomes"). Only the source types that occur get a column."""
    used = analysed_rows(pkg)
    present = [t for t in SOURCE_TYPES if t in set(used["source_type"])]
    order = {code: i for i, code in enumerate(list(MATRIX_OUTCOMES) + sorted(AE_LABELS))}

    def shares(group: pd.DataFrame, label: str) -> dict:
        counts = group["source_type"].value_counts()
        row = {"Outcome": label, "Analysed values": len(group)}
        row.update({t: 100.0 * counts.get(t, 0) / len(group) for t in present})
        return row

    codes = sorted(set(used["outcome"]), key=lambda c: (order.get(c, len(order)), c))
    rows = [shares(used[used["outcome"] == c], outcome_label(c)) for c in codes]
    rows.append(shares(used, "All outcomes"))
    return pd.DataFrame(rows)


def news_or_blog_share(pkg: DataPackage) -> float:
    """Percentage of analysed value rows read in a news page or blog."""
    used = analysed_rows(pkg)
    return 100.0 * used["source_type"].isin(["news", "blog"]).mean() if len(used) else 0.0


def caveat_counts(pkg: DataPackage) -> pd.DataFrame:
    """How many value rows carry each caveat, and how many of them the primary analyses use."""
    o = pkg.outcomes[pkg.outcomes["status"] != "not_available"]
    items = [
        ("Time point inferred", o["timepoint_basis"] == "inferred"),
        ("AE window beyond the placebo-controlled period", o["ae_window"] == "beyond_placebo_period"),
        ("AE window unknown", o["ae_window"] == "unknown"),
        ("Approximate value (count, denominator or SD)", o["approximate"] == "yes"),
    ]
    return pd.DataFrame([{"Caveat": name, "Value rows": int(mask.sum()),
                          "Used by primary analyses": int((mask & (o["analysis_use"] == "yes")).sum()),
                          "Sensitivity only": int((mask & (o["analysis_use"] == "sensitivity")).sum())}
                         for name, mask in items])


def _value_text(r) -> str:
    if pd.notna(r.events) and pd.notna(r.total):
        return f"{int(r.events)}/{int(r.total)}"
    if pd.notna(r.reported_percent):
        return f"{r.reported_percent:g} %" + (f" of {int(r.total)}" if pd.notna(r.total) else "")
    if pd.notna(r.mean):
        return f"{r.mean:g}" + (f" (SD {r.sd:g})" if pd.notna(r.sd) else "")
    return ""


def registry_conflicts(pkg: DataPackage) -> pd.DataFrame:
    """The conflicts the registry results raised, each with both values (read from the data) and how
    it was resolved."""
    arms, o, studies = randomised_arms(pkg.arms), pkg.outcomes, pkg.studies.set_index("study_id")

    def arm_sum(sid, col):
        return int(arms.loc[arms["study_id"] == sid, col].sum())

    def counts(sid, outcome, source, population_contains=""):
        rows = o[(o["study_id"] == sid) & (o["outcome"] == outcome) & (o["source"] == source)
                 & o["population"].str.contains(population_contains, regex=False) & o["events"].notna()]
        rows = rows.merge(arms[["study_id", "arm_id", "dose_rank"]], on=["study_id", "arm_id"]).sort_values("dose_rank")
        return " / ".join(f"{int(r.events)}/{int(r.total)}" for r in rows.itertuples())

    aa2 = arms[arms["study_id"] == "brave_aa2"].sort_values("dose_rank")
    ph2 = arms[arms["study_id"] == "brave_aa_ph2"]
    rows = [
        {"Trial": studies.at["brave_aa2", "trial_name"], "Quantity": "Arm sizes (placebo / 2 mg / 4 mg)",
         "Value A": "randomised " + " / ".join(str(int(v)) for v in aa2["n_randomised"]) + f" (= {arm_sum('brave_aa2', 'n_randomised')}; registry)",
         "Value B": "analysed " + " / ".join(str(int(v)) for v in aa2["n_analysed"]) + f" (= {arm_sum('brave_aa2', 'n_analysed')}; registry outcome denominators, NEJM)",
         "Resolution": "Both kept (randomised and analysed counts). Efficacy counts use the analysed denominators; AE tables count the randomised; participant totals (Liu's 1,710) add up with the analysed."},
        {"Trial": studies.at["brave_aa1", "trial_name"] + " (whole record)", "Quantity": "Enrollment of NCT03570749",
         "Value A": "784 (atlas copy of the CT.gov record)", "Value B": "764 (meddatax mirror)",
         "Resolution": f"Not a conflict in the arms: phase 3 {arm_sum('brave_aa1', 'n_randomised')} + phase 2 {int(ph2['n_randomised'].sum())} (all four arms now read in the registry flow) = {arm_sum('brave_aa1', 'n_randomised') + int(ph2['n_randomised'].sum())}; the remaining 20 are presumably the open-label addendum."},
        {"Trial": studies.at["thrive_aa1", "trial_name"], "Quantity": "Discontinuation due to AE (placebo / 8 mg / 12 mg)",
         "Value A": counts("thrive_aa1", "ae_discontinuation", "ctgov_nct04518995") + " withdrew from the study (registry flow)",
         "Value B": counts("thrive_aa1", "ae_discontinuation", "ajmc2024thrive1") + " stopped the drug (news summary of the paper; from 1.4/2.6/2.8 %)",
         "Resolution": "Different definitions, both kept and labelled; the registry row is used (registry outranks a news-derived value)."},
        {"Trial": studies.at["thrive_aa2", "trial_name"], "Quantity": "SALT ≤ 10 at week 24 (placebo / 8 mg / 12 mg)",
         "Value A": " / ".join(_value_text(r) for r in o[(o["study_id"] == "thrive_aa2") & (o["outcome"] == "salt10") & (o["source"] == "ctgov_nct04797650") & (o["analysis_use"] == "yes")]
                                 .merge(arms[["study_id", "arm_id", "dose_rank"]], on=["study_id", "arm_id"]).sort_values("dose_rank").itertuples()) + " (registry)",
         "Value B": "0 % / 21 % / 35 % (AAD-2023 press release, as reported; not read here)",
         "Resolution": "The press-release figures are THRIVE-AA1's (20.8 % / 34.5 %); the registry values are used."},
        {"Trial": studies.at["brave_aa1", "trial_name"] + " and " + studies.at["brave_aa2", "trial_name"], "Quantity": "Posted SALT50",
         "Value A": "no time frame in the copy", "Value B": "below SALT ≤ 20 at the same visit (impossible at week 36)",
         "Resolution": "Entered at week 12 with the time point marked as inferred; sensitivity only, never as week 36."},
    ]
    return pd.DataFrame(rows)


def awaiting_classification(pkg: DataPackage) -> pd.DataFrame:
    """Trials of an eligible design whose results could not be read, and ongoing trials, with their
    registry ids (``screening.csv``: ``awaiting_classification`` / ``ongoing``)."""
    s = pkg.screening
    rows = s[s["decision"].isin(["awaiting_classification", "ongoing"])]
    out = rows[["trial_name", "registry_id", "design", "decision", "reason", "locator"]].copy()
    out["registry_id"] = out["registry_id"].fillna("").replace("", "not found")
    out["decision"] = out["decision"].map(CODE_WORDS["decision"])
    return out.rename(columns={"trial_name": "Trial", "registry_id": "Registry", "design": "Design",
                               "decision": "Status", "reason": "Why", "locator": "Where we looked"})


def not_found(pkg: DataPackage) -> pd.DataFrame:
    """Every value sought and not found, per trial and outcome, with where we looked."""
    na = pkg.outcomes[pkg.outcomes["status"] == "not_available"]
    na = na.assign(arm_id=[arm_label(pkg, s, a) for s, a in zip(na["study_id"], na["arm_id"], strict=True)])
    names = dict(zip(pkg.studies["study_id"], pkg.studies["trial_name"], strict=True))
    grouped = (na.groupby(["study_id", "outcome", "timepoint_weeks"], sort=False)
                 .agg(arms=("arm_id", lambda s: "; ".join(s)),
                      where_we_looked=("locator", lambda s: " ; ".join(dict.fromkeys(
                          part.strip() for text in s for part in str(text).split(" ; ") if part.strip()))))
                 .reset_index())
    grouped.insert(0, "trial", grouped["study_id"].map(names))
    grouped["outcome"] = grouped["outcome"].map(outcome_label)
    return grouped.drop(columns="study_id").rename(columns={"timepoint_weeks": "week"})


def conflicts(pkg: DataPackage) -> pd.DataFrame:
    """Arm x outcome x week with more than one value (different sources), and the one used."""
    values = pkg.outcomes[pkg.outcomes["status"] != "not_available"]
    key = ["study_id", "arm_id", "outcome", "timepoint_weeks"]
    multi = values[values.duplicated(subset=key, keep=False)].copy()
    multi["value"] = [_value_text(r) for r in multi.itertuples()]
    cols = key + ["value", "population", "source"] + (["source_type"] if "source_type" in multi else []) + ["status", "analysis_use"]
    return multi[cols].sort_values(key)


def number_ranges(numbers) -> str:
    """``[1, 2, 3, 5, 7, 8]`` -> ``"1–3, 5, 7–8"`` (sorted, each number once)."""
    values = sorted({int(n) for n in numbers})
    runs: list[list[int]] = []
    for n in values:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def not_found_by_trial(pkg: DataPackage, references=None) -> list[tuple[str, list[str], pd.DataFrame]]:
    """The extraction log of :func:`not_found`, grouped for a reader: per trial, the places we
    looked, each listed once and numbered from 1, and one row per value not found (outcome, week,
    arms) with the numbers of the places looked for that value ("all" when every place was); values
    of the same week, arms and places share a row that lists their outcomes (:func:`merge_rows`).
    Citation keys become author and year (``references``, as in :func:`readable`). Trials in the
    order of the data."""
    log = readable(not_found(pkg), pkg, references)
    groups = []
    for trial, rows in log.groupby("trial", sort=False):
        per_row = [[p.strip() for p in str(text).split(" ; ") if p.strip()] for text in rows["where_we_looked"]]
        places = list(dict.fromkeys(p for parts in per_row for p in parts))
        number = {p: i for i, p in enumerate(places, 1)}
        table = rows[["outcome", "week", "arms"]].copy()
        looked = [{number[p] for p in parts} for parts in per_row]
        table["places"] = ["all" if len(found) == len(places) else number_ranges(found) or "—" for found in looked]
        groups.append((str(trial), places, merge_rows(table.reset_index(drop=True), "outcome")))
    return groups


def unused_values(pkg: DataPackage, references=None) -> pd.DataFrame:
    """The values read but not used (``analysis_use = no``), one row per trial, source and note
    (a note repeated for several arms or outcomes is shown once): the trial, the values it covers
    ("SALT ≤ 20, week 36: Baricitinib 2 mg 9/27; ..."), the source by author and year with its
    kind in brackets ("King et al. 2022 (publication)"), and the note. Citation keys and outcome codes in words, as in :func:`readable`."""
    values = pkg.outcomes[(pkg.outcomes["status"] != "not_available") & (pkg.outcomes["analysis_use"] == "no")]
    if values.empty:
        return pd.DataFrame(columns=["study_id", "values", "source", "note"])
    values = values.assign(
        arm=[arm_label(pkg, s, a) for s, a in zip(values["study_id"], values["arm_id"], strict=True)],
        text=[_value_text(r) or "no number" for r in values.itertuples()],
        source_type=values["source_type"] if "source_type" in values else "",
        note=values["note"].fillna(""))
    rows = []
    for (study, source, kind, note), group in values.groupby(["study_id", "source", "source_type", "note"],
                                                              sort=False, dropna=False):
        parts = []
        for (outcome, week), cells in group.groupby(["outcome", "timepoint_weeks"], sort=False):
            week_text = f", week {int(week)}" if pd.notna(week) else ""
            parts.append(f"{outcome_label(outcome)}{week_text}: "
                         + ", ".join(f"{a} {t}" for a, t in zip(cells["arm"], cells["text"], strict=True)))
        rows.append({"study_id": study, "values": "; ".join(parts), "source": source, "source_type": kind,
                     "note": note or None})
    out = readable(pd.DataFrame(rows), pkg, references)
    kinds = out["source_type"].fillna("").astype(str)  # "King et al. 2022 (publication)": one column
    out["source"] = [f"{s} ({k})" if k else s for s, k in zip(out["source"].astype(str), kinds, strict=True)]
    return out.drop(columns="source_type")


def merge_rows(df: pd.DataFrame, column: str, sep: str = "; ") -> pd.DataFrame:
    """Rows that agree on every column but ``column`` become one row, their ``column`` values
    joined with ``sep`` in order (each once): a long log of identical rows per outcome reads as one
    row listing the outcomes. Row order: first appearance."""
    others = [c for c in df.columns if c != column]
    if df.empty or not others:
        return df.copy()
    key = df[others].astype(str).agg("\x1f".join, axis=1)
    groups = df.groupby(key, sort=False)
    out = groups[others].first()
    out[column] = groups[column].agg(lambda s: sep.join(dict.fromkeys(str(v) for v in s)))
    return out[list(df.columns)].reset_index(drop=True)
