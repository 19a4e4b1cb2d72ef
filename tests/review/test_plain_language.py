"""jakmeta.review.plain_language: the plain-language summary is computed from the Summary of Findings."""

from __future__ import annotations

import pandas as pd
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import plain_language, sof


@pytest.fixture(scope="module")
def pkg():
    return load_package()


@pytest.fixture(scope="module")
def sof_table(pkg):
    return sof.summary_of_findings(pkg)


def test_plain_language_summary_is_computed(pkg, sof_table):
    messages = plain_language.key_messages(sof_table)
    main = sof_table[sof_table["row"] == "salt20"].iloc[0]
    assert messages and messages[0].startswith(main["statement"])
    assert f"{int(main['participants']):,} people" in messages[0]
    table = plain_language.findings_table(sof_table)
    assert len(table) == len(sof_table) and list(table.columns)[0] == "What was measured"
    assert not table.isna().any().any()
    limits = plain_language.limitations(pkg, sof_table)
    weeks = pd.to_numeric(pkg.studies["primary_timepoint_weeks"], errors="coerce")
    assert any(f"{int(weeks.min())} to {int(weeks.max())} weeks" in m for m in limits)
    assert plain_language.certainty_legend().count("⨁") == 10


def _sof(*rows):
    columns = ["row", "outcome", "label", "k", "trials", "trials_with_data", "participants", "certainty",
               "statement", "measure", "estimate", "absolute_short"]
    return pd.DataFrame(rows, columns=columns)


SALT20 = ("salt20", "salt20", "SALT ≤ 20 (all JAK inhibitors, doses combined)", 3, 3, 3, 1500, "moderate",
          "JAK inhibitors probably increase regrowth.", "RR", 1.8, "197 more per 1000")
SALT_CFB = ("salt_cfb", "salt_cfb", "Change from baseline in SALT", 2, 2, 2, 800, "low",
            "JAK inhibitors may reduce the SALT score.", "MD", -22.74, "22.7 lower")
SERIOUS = ("ae_serious", "ae_serious", "Serious adverse event", 0, 0, 0, 0, "—", "", "RR", float("nan"), "")


def test_findings_table_in_words_a_patient_knows():
    table = plain_language.findings_table(_sof(SALT20, SALT_CFB, SERIOUS))
    assert table["What was measured"].tolist()[0] == "SALT ≤ 20 (all medicines)"
    assert table["Trials (people)"].tolist() == ["3 (1,500)", "2 (800)", "none"]
    assert table["With the medicine, compared with placebo"].tolist() == [
        "197 more people in every 1000", "22.7 points less of the scalp without hair (SALT)", "not known"]
    assert table["How sure we are"].tolist() == ["⨁⨁⨁◯ moderate", "⨁⨁◯◯ low", "—"]


def test_key_messages_start_with_the_main_outcome_and_name_what_is_missing():
    messages = plain_language.key_messages(_sof(SALT20, SALT_CFB, SERIOUS))
    assert messages[0].startswith("JAK inhibitors probably increase regrowth. SALT ≤ 20 means")
    assert "In three trials with 1,500 people, 197 more people in every 1000 reached it" in messages[0]
    assert messages[0].endswith("(moderate-certainty evidence).")
    assert messages[-1].startswith("For one of the three outcomes (serious adverse event) no trial gave usable")


def test_limitations_count_few_trials_low_certainty_and_missing_outcomes():
    class Package:
        studies = pd.DataFrame({"primary_timepoint_weeks": [24, 36, "not reported"]})

    limits = plain_language.limitations(Package(), _sof(SALT20, SALT_CFB, SERIOUS))
    assert limits[0].startswith("One of the two results we could estimate rests on one or two trials")
    assert "24 to 36 weeks" in limits[1]
    assert limits[2].startswith("For one of these results the certainty is low or very low")
    assert limits[3].startswith("Results for one outcome") and "the extraction log" in limits[3]


def test_wording_label_and_the_certainty_legend():
    assert plain_language.wording_label("Serious adverse event") == "serious adverse event"
    assert plain_language.wording_label("SALT ≤ 20 (all JAK inhibitors, doses combined)") == "SALT ≤ 20"
    assert plain_language.certainty_legend().startswith("⨁⨁⨁⨁ high: further research is very unlikely")
    assert plain_language.certainty_legend().endswith("⨁◯◯◯ very low: the truth is probably quite different.")
