"""jakmeta.review.sof: the Summary of Findings (rows, footnotes, layout, headline labels)."""

from __future__ import annotations

import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import sof

PKG = load_package()


def test_summary_of_findings_has_every_outcome_and_the_drug_rows():
    table = sof.summary_of_findings(PKG)
    assert [o for o in table["row"] if o in sof.OUTCOMES] == list(sof.OUTCOMES)
    assert {"salt20_baricitinib_4mg", "salt20_baricitinib_2mg", "salt20_ritlecitinib_50mg",
            "salt20_deuruxolitinib_8mg"} <= set(table["row"])
    assert set(table["certainty"]) <= {"high", "moderate", "low", "very low", "no estimate"}
    layout = sof.sof_layout(table)
    assert "Certainty" in layout.columns and len(layout) == len(table)


def test_salt20_headline_is_usable_and_rated():
    table = sof.summary_table()
    row = table[table["row_id"] == "salt20"].iloc[0]
    assert row["k"] >= 3
    assert row["ci_high"] / row["ci_low"] <= 50
    assert row["certainty"] in {"high", "moderate", "low", "very low"}


def test_footnotes_state_the_numbers():
    from jakmeta.review import sof

    table = sof.summary_of_findings(PKG)
    for notes in table["footnotes"]:
        for note in [n for n in notes.split(" | ") if n]:
            assert any(ch.isdigit() for ch in note), note


# ------------------------------------------------------------------- certainty words in the layout

@pytest.fixture(scope="module")
def evidence():
    from jakmeta.review import profile, sof

    table = sof.summary_of_findings(PKG)
    return table, profile.evidence_profile(PKG, sof_table=table)


def test_bayesian_headlines_are_labelled_credible_intervals(evidence):
    table, prof = evidence
    for r in table.itertuples():
        if not r.relative:
            continue
        label = "95% CrI" if str(r.model).lower().startswith("bayes") else "95% CI"
        assert label in (r.relative if r.measure != "MD" else r.absolute), r.row
