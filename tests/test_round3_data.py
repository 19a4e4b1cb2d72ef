"""The trials since 2023, the Cochrane CD013719 values and the harms per licensed dose (issue 17):
the committed package holds them, the update analyses use them, pooled-dose values are never
counted twice, and the harms table pools what it says it pools."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pytest

from jakmeta.evidence.package import load_package, resolve_pooled_arms, validate_package
from jakmeta.review.analysis import analyse, comparison_table, study_set

ROOT = Path(__file__).resolve().parents[1]
NEW_STUDIES = ("upaa_study1", "upaa_study2", "ivar_ph3", "ivar_ph2", "brave_aa_peds")


@pytest.fixture(scope="module")
def pkg():
    return load_package(ROOT / "data")


def test_new_studies_are_in_the_update_set(pkg):
    update = set(study_set(pkg, "update"))
    assert set(NEW_STUDIES) <= update


def test_update_salt20_includes_every_new_trial_with_salt20(pkg):
    a = analyse(pkg, "salt20", studies="update")
    with_salt20 = {"upaa_study1", "upaa_study2", "ivar_ph3", "brave_aa_peds"}
    assert with_salt20 <= set(a.table["study_id"])
    # ivarmacitinib phase 2 reports percent change in SALT only
    pcfb = analyse(pkg, "salt_pcfb", studies="update")
    assert "ivar_ph2" in set(pcfb.table["study_id"])


def test_adolescent_trial_is_marked(pkg):
    s = pkg.studies.set_index("study_id")
    assert s.at["brave_aa_peds", "population"] == "adolescents"
    assert "ADOLESCENTS" in s.at["brave_aa_peds", "eligibility"]
    peds = pkg.arms[pkg.arms["study_id"] == "brave_aa_peds"]
    assert set(peds["licensed"]) == {"no"}


def test_brave_serious_aes_are_the_cochrane_values(pkg):
    """Primary BRAVE serious AEs: Cochrane CD013719 rows 21-22, doses pooled as posted."""
    a = analyse(pkg, "ae_serious", studies=["brave_aa1", "brave_aa2"])
    got = {r.study_id: (r.events_t, r.n_t, r.events_c, r.n_c) for r in a.table.itertuples()}
    assert got == {"brave_aa1": (10, 463, 3, 189), "brave_aa2": (12, 388, 3, 154)}
    assert set(pkg.outcomes.loc[(pkg.outcomes["study_id"].isin(["brave_aa1", "brave_aa2"]))
                                & (pkg.outcomes["outcome"] == "ae_serious")
                                & (pkg.outcomes["analysis_use"] == "yes"), "source"]) == {"mateosharo2023cochrane"}
    # Cochrane's own risk ratios (export column Mean): 1.360691 and 1.587629
    assert math.exp(a.table["yi"].iloc[0]) == pytest.approx(1.360691, rel=1e-5)
    assert math.exp(a.table["yi"].iloc[1]) == pytest.approx(1.587629, rel=1e-5)


def test_sensitivity_uses_per_dose_registry_counts_instead_of_the_pooled_arm(pkg):
    t = comparison_table(pkg, "ae_serious", studies=["brave_aa1"], exclude_caveats=False)
    row = t.iloc[0]
    assert (row.events_t, row.n_t) == (7 + 16, 183 + 280)  # registry, past week 36: never 10 + 23
    assert "pooled" not in row.arms


def test_resolve_pooled_arms_prefers_complete_per_dose_rows(pkg):
    o = pkg.outcomes
    rows = o[(o["study_id"] == "brave_aa1") & (o["outcome"] == "ae_serious") & (o["status"] != "not_available")]
    kept = resolve_pooled_arms(rows, pkg.arms)
    assert "bari_2_4mg_pooled" not in set(kept["arm_id"])
    only_pooled = rows[rows["arm_id"].isin(["bari_2_4mg_pooled", "bari_4mg"])]
    kept = resolve_pooled_arms(only_pooled, pkg.arms)
    assert set(kept["arm_id"]) == {"bari_2_4mg_pooled"}


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_validator_refuses_a_pooled_arm_used_with_its_component(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    path = tmp_path / "data" / "outcomes.csv"
    header, rows = _rows(path)
    for r in rows:  # put the registry 4-mg serious-AE row of BRAVE-AA1 into primary use
        if (r["study_id"], r["arm_id"], r["outcome"], r["source"]) == ("brave_aa1", "bari_4mg", "ae_serious",
                                                                         "ctgov_nct03570749"):
            r["analysis_use"], r["ae_window"] = "yes", "placebo_controlled"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _, problems = validate_package(tmp_path / "data")
    assert any("counted twice" in p.message and p.file.endswith("outcomes.csv") for p in problems)


def test_validator_refuses_a_pooled_arm_of_the_wrong_size(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    path = tmp_path / "data" / "arms.csv"
    header, rows = _rows(path)
    for r in rows:
        if (r["study_id"], r["arm_id"]) == ("brave_aa2", "bari_2_4mg_pooled"):
            r["n_randomised"] = "400"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _, problems = validate_package(tmp_path / "data")
    assert any(p.column == "n_randomised" and "sum of the pooled arms" in p.message for p in problems)


def test_derived_arm_sizes_reproduce_every_printed_percentage(pkg):
    """UP-AA and BRAVE-AA-PEDS arm sizes were inferred so that every printed percentage is a whole
    count of them; the validator checks each row, this checks that the rows are there."""
    o = pkg.outcomes
    rows = o[o["study_id"].isin(["upaa_study1", "upaa_study2", "brave_aa_peds"]) & o["reported_percent"].notna()
             & o["events"].notna()]
    assert len(rows) >= 30
    assert (rows["approximate"] == "yes").all()
    sizes = pkg.arms.set_index(["study_id", "arm_id"])["n_randomised"]
    assert int(sizes[("upaa_study1", slice(None))].sum() + sizes[("upaa_study2", slice(None))].sum()) == 1399
    assert int(sizes[("brave_aa_peds", slice(None))].sum()) == 257


def test_delgocitinib_conflict_resolved_without_changing_an_estimate(pkg):
    used = pkg.outcomes[(pkg.outcomes["study_id"] == "delgo_ph2a") & (pkg.outcomes["outcome"] == "ae_serious")
                        & (pkg.outcomes["analysis_use"] == "yes")]
    assert sorted(zip(used["events"], used["total"], strict=True)) == [(0, 10), (0, 20)]
    a = analyse(pkg, "ae_serious", studies=["delgo_ph2a"])
    assert a.k == 0 and list(a.excluded["study_id"]) == ["delgo_ph2a"]  # double zero either way


def test_missing_evidence_trials_are_awaiting_classification_in_the_screening():
    """The publication-bias list (missing_evidence.csv) and the screening say the same of each trial:
    every trial counted as missing evidence is awaiting classification in screening.csv."""
    from jakmeta.evidence.package import load_package

    pkg = load_package()
    awaiting = pkg.screening.loc[pkg.screening["decision"] == "awaiting_classification", "registry_id"]
    missing = set(pkg.missing_evidence["registry_id"])
    assert missing and missing <= set(awaiting.dropna()), sorted(missing - set(awaiting.dropna()))
