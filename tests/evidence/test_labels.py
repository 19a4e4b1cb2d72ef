"""jakmeta.evidence.labels: the words for codes (column labels, outcome and arm labels, risk-of-bias
judgements, author-year labels of the bibliography)."""

from __future__ import annotations

import pandas as pd
import pytest

from jakmeta.book.display import show_table
from jakmeta.evidence.labels import column_label, reference_labels, relabel
from tests import ROOT


@pytest.mark.parametrize("name, label", [
    ("ci_high", "95% CI upper"), ("trial_name", "Trial"), ("tau2", "τ²"),
    ("published_ci_low", "Published CI low"), ("mean_cfb_t", "Mean change from baseline (JAK inhibitor)"),
    ("Already a Label", "Already a Label"), ("salt20_or", "Salt20 OR"),
])
def test_column_label(name, label):
    assert column_label(name) == label


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

    refs = reference_labels(ROOT / "references.bib")
    assert refs["mcguinness2021robvis"] == "McGuinness and Higgins 2021"


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


def test_outcome_label_falls_back_to_the_adverse_event_words_then_the_code():
    from jakmeta.evidence.labels import outcome_label

    assert outcome_label("salt20") == "SALT ≤ 20"
    assert outcome_label("ae_folliculitis") == "Folliculitis"  # only in AE_LABELS
    assert outcome_label("unknown_code") == "unknown_code"


def test_reader_signs():
    from jakmeta.evidence.labels import reader_signs

    assert reader_signs("SALT>=50") == "SALT ≥ 50"
    assert reader_signs("SALT <= 20 at week 24") == "SALT ≤ 20 at week 24"
    assert reader_signs("no sign here") == "no sign here"


def test_trial_names_needs_one_name_per_trial():
    from jakmeta.evidence.labels import trial_names

    studies = pd.DataFrame({"study_id": ["brave_aa1", "x"], "trial_name": ["BRAVE-AA1", "X"]})
    assert trial_names(studies) == {"brave_aa1": "BRAVE-AA1", "x": "X"}


@pytest.mark.parametrize(("name", "label"), [
    ("ci_low_or", "CI low OR"),
    ("mean_change_t", "Mean change (JAK inhibitor)"),
    ("n_jak_c", "N JAK (placebo)"),
    ("salt_cfb", "SALT change from baseline"),
    (("estimate", ""), "Estimate"),
    (("k", "ci_low"), "Trials (k) · 95% CI lower"),
    ("Already a label", "Already a label"),
    ("_", "_"),
])
def test_column_label_derives_words_from_snake_case(name, label):
    assert column_label(name) == label


def test_relabel_keeps_unknown_codes_and_missing_values():
    df = pd.DataFrame({"study_id": ["a", "zz", None], "outcome": ["salt20", "ae_new_thing", None],
                       "judgement": ["some_concerns", "not_assessed", None]})
    out = relabel(df, {"a": "Trial A"})
    assert out["study_id"].tolist()[:2] == ["Trial A", "zz"]
    assert out["outcome"].tolist()[:2] == ["SALT ≤ 20", "AE new thing"]
    assert out["judgement"].tolist()[:2] == ["Some concerns", "No information read by us"]
    assert out.iloc[2].isna().all()
    assert df["study_id"].tolist()[0] == "a"  # a copy: the input is unchanged


def test_reference_labels_authors_journal_title_and_accents(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{two2020,\n  author = {Smith, Ann and Jones, Bob},\n  year = {2020},\n  title = {T}\n}\n\n"
        "@article{many2021,\n  author = {Ann Smith and others},\n  year = {2021}\n}\n\n"
        "@article{journal2019,\n  journal = {Lancet},\n  year = {2019}\n}\n\n"
        "@misc{title2018,\n  title = {A very long title of a web page that goes on and on for a while},\n  year = {2018}\n}\n\n"
        "@article{accent2015,\n  author = {R{\\\"o}ver, Christian},\n  year = {2015}\n}\n",
        encoding="utf-8")
    labels = reference_labels(bib)
    assert labels["two2020"] == "Smith and Jones 2020"
    assert labels["many2021"] == "Smith et al. 2021"
    assert labels["journal2019"] == "Lancet 2019"
    assert labels["title2018"].endswith(" … 2018") and len(labels["title2018"]) < 60
    assert labels["accent2015"] == "Röver 2015"


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
