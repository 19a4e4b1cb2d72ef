"""The table-rendering helper: labels, missing values, number formats, alignment, determinism."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jakmeta.book.display import Table, format_number, show_table
from jakmeta.evidence.labels import column_label, reference_labels, relabel


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": ["brave_aa1", "brave_aa2", None],
        "events_t": [12.0, np.nan, 3.0],
        "n_participants": pd.array([1710, None, 3], dtype="Int64"),
        "ci_low": [0.1234, np.nan, -2.5],
        "q_pvalue": [0.5, 0.0002, np.nan],
        "note": ["long text", pd.NA, "x"],
    }, index=[7, 8, 9])


def test_no_index_and_human_labels(frame):
    t = show_table(frame)
    assert isinstance(t, Table)
    assert t.header == ["Trial", "Events (JAK inhibitor)", "Participants", "95% CI lower", "p (Q)", "Note"]
    html = t._repr_html_()
    assert ">7<" not in html and ">8<" not in html  # no row index
    assert "study_id" not in html and "n_participants" not in html


def test_given_labels_win(frame):
    t = show_table(frame, labels={"study_id": "Study", "note": "Comment"})
    assert t.header[0] == "Study" and t.header[-1] == "Comment"


@pytest.mark.parametrize("name, label", [
    ("ci_high", "95% CI upper"), ("trial_name", "Trial"), ("tau2", "τ²"),
    ("published_ci_low", "Published CI low"), ("mean_cfb_t", "Mean change from baseline (JAK inhibitor)"),
    ("Already a Label", "Already a Label"), ("salt20_or", "Salt20 OR"),
])
def test_column_label(name, label):
    assert column_label(name) == label


def test_missing_values_become_the_missing_text(frame):
    t = show_table(frame)
    text, html = repr(t), t._repr_html_()
    for bad in ("NaN", "nan", "<NA>", "None", "&lt;NA&gt;"):
        assert bad not in text and bad not in html
    assert t.cells[2][0] == "—" and t.cells[1][1] == "—" and t.cells[1][2] == "—"
    assert show_table(frame, missing="not reported").cells[1][-1] == "not reported"


def test_numbers(frame):
    t = show_table(frame)
    assert [r[1] for r in t.cells] == ["12", "—", "3"]            # integers without .0
    assert [r[2] for r in t.cells] == ["1710", "—", "3"]
    assert [r[3] for r in t.cells] == ["0.12", "—", "-2.50"]      # 2 decimals by default
    assert [r[4] for r in t.cells] == ["0.500", "< 0.001", "—"]   # p-values
    assert show_table(frame, decimals={"ci_low": 3}).cells[0][3] == "0.123"
    assert show_table(frame, decimals=1).cells[0][3] == "0.1"
    assert show_table(frame, decimals=1).cells[0][1] == "12"       # integral column stays integer
    assert format_number(0.0031) == "0.0031" and format_number(-0.0) == "0.00"
    assert format_number(float("inf")) == "∞" and format_number(np.int64(5)) == "5"


def test_alignment_and_scroll_box(frame):
    html = show_table(frame)._repr_html_()
    assert html.startswith('<div class="jm-table-scroll"')
    assert "overflow-x: auto" in html
    assert re.search(r'<th class="jm-num" style="text-align: right;">Participants</th>', html)
    assert re.search(r'<td class="jm-text" style="text-align: left;">brave_aa1</td>', html)


def test_long_text_columns_get_a_minimum_width():
    df = pd.DataFrame({"short": ["a", "b"], "long": ["x" * 10, "a sentence that is longer than forty characters"]})
    html = show_table(df)._repr_html_()
    assert '<td class="jm-text" style="text-align: left;">a</td>' in html
    assert '<td class="jm-text jm-long" style="text-align: left;">xxxxxxxxxx</td>' in html


def test_html_is_escaped_and_deterministic(frame):
    frame.loc[7, "note"] = "a < b & c"
    one, two = show_table(frame)._repr_html_(), show_table(frame.copy())._repr_html_()
    assert one == two
    assert "a &lt; b &amp; c" in one
    assert "id=" not in one  # no random element ids


def test_caption_index_and_series():
    df = pd.DataFrame({"x": [1.5]}, index=pd.Index(["a"], name="trial"))
    t = show_table(df, caption="Table 1", index=True)
    assert t.header == ["Trial", "X"] and "<caption>Table 1</caption>" in t._repr_html_()
    assert repr(t).splitlines()[0] == "Table 1"
    assert show_table(pd.Series([1, 2], name="k")).header == ["Trials (k)"]
    assert show_table(pd.DataFrame({"x": [1]}, index=["r"]), index=True).header == ["", "X"]


def test_text_repr_is_aligned(frame):
    lines = repr(show_table(frame)).splitlines()
    assert lines[0].startswith("Trial") and set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(frame)


def test_booleans_and_mixed_columns():
    df = pd.DataFrame({"flag": [True, False], "value": [3.0, "not found"]})
    t = show_table(df)
    assert [r[0] for r in t.cells] == ["yes", "no"]
    assert [r[1] for r in t.cells] == ["3", "not found"]
    assert t.numeric == [False, False]


def test_empty_frame_and_bad_input():
    assert show_table(pd.DataFrame({"a": []})).cells == []
    with pytest.raises(TypeError, match="DataFrame"):
        show_table([1, 2])


def test_relabel():
    studies = pd.DataFrame({"study_id": ["brave_aa1"], "trial_name": ["BRAVE-AA1"]})
    df = pd.DataFrame({"study_id": ["brave_aa1", "other"], "outcome": ["salt20", "zzz"]})
    out = relabel(df, studies)
    assert out["study_id"].tolist() == ["BRAVE-AA1", "other"]
    assert out["outcome"].tolist() == ["SALT ≤ 20", "Zzz"]
    assert df["study_id"].tolist() == ["brave_aa1", "other"]  # input untouched


def test_relabel_outcome_codes_and_references(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("""@article{mao2023,
  author = {Mao, Mei-Qi and Ding, Yu-Xin and Jing, Jing},
  title = {A {JAK} review}, journal = {Frontiers in Immunology}, year = {2023}
}

@misc{cmro2023,
  title = {Baricitinib},
  journal = {Current Medical Research and Opinion}, year = {2023}
}

@article{two2020,
  author = {Smith, A. and Jones, B.}, year = {2020}
}

@article{rover2015,
  author = {R{\\"o}ver, Christian and Knapp, G. and Friede, T.}, year = {2015}
}

@article{kwon2023,
  author = {Kwon, O. and others}, year = {2023}
}

@misc{blog2019,
  title = {A blog post}, publisher = {Belgravia Centre}, year = {2019}
}
""", encoding="utf-8")
    refs = reference_labels(bib)
    assert refs == {"mao2023": "Mao et al. 2023", "cmro2023": "Current Medical Research and Opinion 2023",
                    "two2020": "Smith and Jones 2020", "rover2015": "Röver et al. 2015",
                    "kwon2023": "Kwon et al. 2023", "blog2019": "Belgravia Centre 2019"}
    df = pd.DataFrame({"source": ["mao2023", "unknown"], "outcome": ["ae_acne", "salt_cfb"]})
    out = relabel(df, references=refs)
    assert out["source"].tolist() == ["Mao et al. 2023", "unknown"]
    assert out["outcome"].tolist() == ["Acne", "Change from baseline in SALT"]


def test_reference_labels_of_the_book():
    from pathlib import Path

    refs = reference_labels(Path(__file__).resolve().parents[1] / "references.bib")
    assert refs["mcguinness2021robvis"] == "McGuinness and Higgins 2021"


def test_columns_never_read_alike():
    t = show_table(pd.DataFrame({"trial": ["A"], "study_id": ["a"], "k": [2]}))
    assert t.header == ["Trial (trial)", "Trial (study_id)", "Trials (k)"]
    assert show_table(pd.DataFrame({"a": [1], "b": [2]}), labels={"a": "X", "b": "X"}).header == ["X", "X"]


def test_dates_and_categories():
    df = pd.DataFrame({"searched": [pd.Timestamp("2026-12-01"), pd.Timestamp("2026-11-30 14:05")],
                       "drug": pd.Categorical(["baricitinib", None])})
    t = show_table(df)
    assert [r[0] for r in t.cells] == ["2026-12-01", "2026-11-30 14:05:00"]
    assert [r[1] for r in t.cells] == ["baricitinib", "—"]


def test_relabel_arms_and_risk_of_bias():
    arms = pd.DataFrame({"study_id": ["t1", "t1"], "arm_id": ["placebo", "bari_4mg"],
                         "label": ["Placebo QD", "Baricitinib 4 mg QD"]})
    df = pd.DataFrame({"study_id": ["t1", "t1", "t2"], "arm_id": ["bari_4mg", "placebo", "x"],
                       "D1_randomisation": ["some_concerns", "low", None], "overall": ["high", "not_assessed", "low"]})
    out = relabel(df, {"t1": "Trial one"}, arms=arms)
    assert out["arm_id"].tolist() == ["Baricitinib 4 mg QD", "Placebo QD", "x"]
    assert out["study_id"].tolist() == ["Trial one", "Trial one", "t2"]
    assert out["D1_randomisation"].tolist()[:2] == ["Some concerns", "Low"]
    assert out["overall"].tolist() == ["High", "No information read by us", "Low"]
    assert show_table(out).header == ["Trial", "Arm", "D1 Randomisation", "Overall"]


def test_reference_labels_keep_organisation_authors_whole(tmp_path):
    """An author in its own braces is an organisation ("Eli Lilly and Company and Incyte" is two
    organisations, not a person called Lilly with co-authors)."""
    from jakmeta.evidence.labels import reference_labels

    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{lilly,\n  author = {{Eli Lilly and Company} and {Incyte}},\n  year = {2022}\n}\n"
                   "@misc{pfizer,\n  author = {{Pfizer Inc.}},\n  year = {2023}\n}\n"
                   "@article{mao,\n  author = {Mao, Jun and Li, Wei and Zhou, Xu},\n  year = {2023}\n}\n",
                   encoding="utf-8")
    labels = reference_labels(bib)
    assert labels == {"lilly": "Eli Lilly and Company and Incyte 2022", "pfizer": "Pfizer Inc. 2023",
                      "mao": "Mao et al. 2023"}


def test_registry_group_names_in_words():
    """A registry's group name quoted in ``population`` (often a development code) is shown as the
    label of the arm it names; the data keep the name."""
    from jakmeta.evidence.labels import population_words, registry_group_labels

    outcomes = pd.DataFrame({
        "study_id": ["t", "t", "t", "u"], "arm_id": ["a8", "pbo", "a8", "x"],
        "population": ["safety: participants at risk in CT.gov AE group 'CTP-543 8 mg BID'",
                       "safety: participants at risk in CT.gov AE group 'Placebo A' + 'Placebo B'",
                       "participant flow period 0: started in group 'CTP-543 8 mg BID'", "group 'X'"]})
    arms = pd.DataFrame({"study_id": ["t", "t", "u"], "arm_id": ["a8", "pbo", "x"],
                         "label": ["Deuruxolitinib 8 mg BID", "Placebo BID", "Drug X"]})
    groups = registry_group_labels(outcomes, arms)
    assert groups == {"t": {"CTP-543 8 mg BID": "Deuruxolitinib 8 mg BID", "Placebo A": "Placebo BID",
                            "Placebo B": "Placebo BID"}, "u": {"X": "Drug X"}}
    t = groups["t"]
    assert population_words(outcomes["population"][0], t) == (
        "safety: participants at risk in the registry's adverse-event group of Deuruxolitinib 8 mg BID")
    assert population_words(outcomes["population"][1], t) == (
        "safety: participants at risk in the registry's adverse-event groups of Placebo BID")
    assert population_words(outcomes["population"][2], t) == (
        "participant flow (first period): started in the registry's group of Deuruxolitinib 8 mg BID")
    joined = "; ".join(outcomes["population"][:2])
    assert "CTP-543" not in population_words(joined, t) and "Placebo A" not in population_words(joined, t)
    assert population_words("group 'Unknown'", t) == "group 'Unknown'"  # a name it cannot place stays quoted
    assert population_words(None, t) is None
