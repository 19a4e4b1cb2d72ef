"""The protocol as data (data/analyses.csv): one number per row_id everywhere, and its rules."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from jakmeta import cli
from jakmeta.evidence.package import load_package
from jakmeta.review import analysis, fewstudies, protocol, sof
from jakmeta.review.certainty import THRESHOLDS

PKG = load_package()
ENTRIES = protocol.entries(PKG)
SOF = sof.summary_of_findings(PKG)


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_sof_row_is_a_protocol_row_with_the_old_ids():
    ids = {e.row_id for e in ENTRIES}
    assert list(SOF["row_id"]) == [e.row_id for e in protocol.entries(PKG, role="primary")]
    assert {"salt20", "salt20_baricitinib_4mg", "salt20_baricitinib_2mg", "salt20_ritlecitinib_50mg",
            "salt20_deuruxolitinib_8mg", "salt30", "salt50", "salt90", "salt_cfb", "ae_any",
            "ae_treatment_related", "ae_serious", "ae_discontinuation"} <= ids
    assert all(e.date_fixed and e.fixed in ("before", "after") for e in ENTRIES)


@pytest.mark.parametrize("row_id", [e.row_id for e in protocol.entries(PKG, role="primary")])
def test_analyse_row_csv_equals_the_summary_row(capsys, row_id):
    code, out, err = _run(capsys, "analyse", "--row", row_id, "--format", "csv")
    assert code == 0, err
    mine = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    code, out, err = _run(capsys, "summary", "--format", "csv")
    summary = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(mine.columns) == list(summary.columns) == sof.SUMMARY_COLUMNS
    assert len(mine) == 1
    assert mine.iloc[0].to_dict() == summary.set_index("row_id", drop=False).loc[row_id].to_dict()


def test_analyse_row_markdown_prints_the_sof_estimate_and_model(capsys):
    row = SOF.set_index("row_id").loc["ae_serious"]
    code, out, _ = _run(capsys, "analyse", "--row", "ae_serious")
    assert code == 0
    assert row["model"] in out and cli._cell(round(row["estimate"], 3)) in out


def test_an_option_overrides_one_choice(capsys):
    code, out, _ = _run(capsys, "analyse", "--row", "salt20", "--prior", "half-cauchy(1)", "--format", "csv")
    assert code == 0
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert "half-cauchy(1)" in row["model"] and row["row_id"] == "salt20"
    assert row["estimate"] != round(SOF.set_index("row_id").loc["salt20", "estimate"], 3)


def test_unknown_row_lists_the_valid_ones(capsys):
    code, _, err = _run(capsys, "analyse", "--row", "salt21")
    assert code == 2 and "salt20_baricitinib_4mg" in err


def test_split_is_refused(capsys):
    code, _, err = _run(capsys, "analyse", "salt20", "--trials", "all", "--multiarm", "split")
    assert code == 2 and "not independent" in err
    with pytest.raises(ValueError, match="not independent"):
        analysis.analyse(PKG, "salt20", multiarm="split")


def test_one_model_for_every_k_no_cliff():
    """The headline model is the same for k = 2 .. 5: dropping trials never switches the method."""
    ids = protocol.run(PKG, "salt20").table["study_id"].tolist()
    assert len(ids) >= 3
    models = {fewstudies.headline(protocol.run(PKG, "salt20", studies=ids[:k])).model for k in range(2, len(ids) + 1)}
    assert models == {fewstudies.bayes_name(("half-normal", 0.5))}


def test_rare_harms_headline_is_mantel_haenszel_without_correction():
    from jakmeta.stats import mantel_haenszel

    a = protocol.run(PKG, "ae_serious")
    h = fewstudies.headline(a)
    t = a.table
    mh = mantel_haenszel(t["events_t"], t["n_t"], t["events_c"], t["n_c"], measure="RR")
    assert "Mantel-Haenszel" in h.model and h.estimate == pytest.approx(mh.estimate)
    names = list(fewstudies.model_table(a)["model"])
    assert any(n.startswith("Bayesian") and "0.5 zero-cell" in n for n in names)  # as sensitivity


def test_dose_ranging_arms_are_in_no_primary_analysis():
    for e in protocol.entries(PKG, role="primary"):
        a = protocol.run(PKG, e)
        arms = " ".join(a.table.get("arms", pd.Series(dtype=str)).astype(str))
        assert "10 mg QD (dose-ranging only)" not in arms, e.row_id
        assert "1 mg QD" not in arms, e.row_id
    with_arm = protocol.run(PKG, "salt20_all_arms")
    assert "dose-ranging" in " ".join(with_arm.table["arms"])


def test_no_class_row_rests_on_one_drug():
    for r in SOF.itertuples():
        if r.intervention == "JAK inhibitors (class)" and r.k > 0:
            assert len(r.drugs.split("; ")) >= 2, r.row_id
        if r.level == "class" and r.k > 0 and len(r.drugs.split("; ")) == 1:
            assert r.drugs in r.label and r.trial_names.split("; ")[0] in r.label, r.label


def test_every_row_names_drugs_trials_and_weeks():
    for r in SOF[SOF["k"] > 0].itertuples():
        assert r.drugs and r.trial_names and r.weeks, r.row_id


def test_rows_without_data_say_so():
    empty = SOF[SOF["k"] == 0]
    assert len(empty)  # e.g. discontinuation with ritlecitinib: no usable data in this version
    for r in empty.itertuples():
        assert r.certainty == "no estimate" and r.statement.startswith(("No trial", "Data from")), r.row_id


def test_thresholds_of_the_protocol_and_certainty_agree():
    for e in ENTRIES:
        assert e.threshold == THRESHOLDS[e.outcome], e.row_id


def test_adolescent_only_trials_stay_out_of_adult_rows():
    import dataclasses

    studies = PKG.studies.copy()
    studies.loc[studies["study_id"] == "brave_aa2", "population"] = "adolescents"
    young = dataclasses.replace(PKG, studies=studies)
    assert protocol.adolescent_only(young) == ["brave_aa2", "brave_aa_peds"]
    assert "brave_aa2" not in protocol.trials_for(young, protocol.entry(PKG, "salt20"))
    assert protocol.adolescent_only(PKG) == ["brave_aa_peds"]
    assert "brave_aa_peds" not in protocol.trials_for(PKG, protocol.entry(PKG, "salt20_baricitinib_4mg"))


def test_bad_protocol_prior_names_file_line_and_column():
    table = protocol.protocol_table(PKG).copy()
    table.loc[0, "tau_prior"] = "half-normal(lots)"
    with pytest.raises(ValueError, match=r"analyses.csv, line 2, column tau_prior"):
        protocol._entry(table.iloc[0], 2, "analyses.csv")


def test_sensitivity_rows_run_from_the_command_line(capsys):
    for e in protocol.entries(PKG, role="sensitivity"):
        code, out, err = _run(capsys, "analyse", "--row", e.row_id, "--format", "csv")
        assert code == 0, err
        row = pd.read_csv(io.StringIO(out)).iloc[0]
        h = fewstudies.headline(protocol.run(PKG, e))
        assert row["estimate"] == pytest.approx(math.exp(h.estimate), rel=1e-12)
