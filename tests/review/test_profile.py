"""jakmeta.review.profile: the GRADE evidence profile and the sensitivity of certainty to the
thresholds."""

from __future__ import annotations

import pytest

from jakmeta.evidence.package import load_package

PKG = load_package()


# ------------------------------------------------------------------------------ evidence profile

@pytest.fixture(scope="module")
def evidence():
    from jakmeta.review import profile, sof

    table = sof.summary_of_findings(PKG)
    return table, profile.evidence_profile(PKG, sof_table=table)


def test_evidence_profile_has_one_row_per_sof_row(evidence):
    table, prof = evidence
    assert list(prof["row"]) == list(table["row"])
    for column in ("Risk of bias", "Inconsistency", "Indirectness", "Imprecision", "Publication bias"):
        assert column in prof.columns


def test_every_profile_cell_has_a_footnote_that_states_numbers(evidence):
    import re

    _, prof = evidence
    notes = {int(n.split("]")[0][1:]): n for n in prof.attrs["footnotes"]}
    for column in ("Risk of bias", "Inconsistency", "Indirectness", "Imprecision", "Publication bias"):
        for cell in prof[column]:
            if cell == "—":
                continue
            judgement, number = re.fullmatch(r"(not serious|serious|very serious) \[(\d+)\]", cell).groups()
            assert any(ch.isdigit() for ch in notes[int(number)].split(":", 1)[1])


def test_threshold_sensitivity_changes_only_what_the_threshold_touches():
    from jakmeta.review import profile

    table = profile.threshold_sensitivity(PKG)
    assert {"Certainty, GRADE default: any effect", "Certainty, half", "Certainty, twice"} <= set(table.columns)
    none = table[table["Certainty"] == "no estimate"]
    assert (none.filter(like="Certainty,") == "no estimate").all().all()


def test_changes_names_only_rows_whose_certainty_moves():
    import pandas as pd

    from jakmeta.review import profile

    table = pd.DataFrame({"Outcome": ["a", "b", "c"], "Certainty": ["⨁⨁⨁⨁ high", "⨁⨁◯◯ low", "no estimate"],
                          "S": ["⨁⨁⨁◯ moderate", "⨁⨁◯◯ low", "—"]})
    assert profile.changes(table, "S") == "a (high → moderate)"
    assert profile.changes(table.iloc[1:], "S") == "no row"


def test_certainty_cell_row_id_and_specs():
    from jakmeta.review import profile

    assert profile.certainty_cell("moderate") == "⨁⨁⨁◯ moderate"
    assert profile.certainty_cell("very low") == "⨁◯◯◯ very low"
    assert profile.certainty_cell("not rated") == "not rated"
    assert profile.row_id({"row_id": "salt20_bari", "row": "salt20"}) == "salt20_bari"
    assert profile.row_id({"row": "salt20"}) == "salt20"
    by_id = profile.specs([{"row": "a"}, {"row": "b", "row_id": "b2"}])
    assert list(by_id) == ["a", "b2"]


def test_footnotes_are_numbered_once_per_text():
    from jakmeta.review import profile

    notes = profile._Notes()
    assert [notes.mark("x"), notes.mark("y"), notes.mark("x")] == [1, 2, 1]
    assert notes.texts == ["x", "y"]
