"""jakmeta.review.sentences: the sentences of the chapters, built from the same numbers as the Summary
of Findings."""

from __future__ import annotations

import math

from jakmeta.evidence.package import load_package
from jakmeta.review import protocol, sentences, sof
from jakmeta.review.analysis import analyse

PKG = load_package()


def test_no_data_says_so():
    a = analyse(PKG, "salt90")
    assert a.k == 0 and a.result is None
    assert sentences.sentence(a).startswith("No trial")


def test_sentence_numbers_come_from_the_headline():
    from jakmeta.review.fewstudies import headline

    a = sof.primary(PKG, "salt20")
    text = sentences.sentence(a)
    h = headline(a)
    assert f"{math.exp(h.estimate):.2f}" in text
    assert f"{math.exp(h.ci_low):.2f}" in text
    assert f"In {a.n_trials} trials ({a.n_participants:,} participants)" in text


SOF = sof.summary_of_findings(PKG)


def test_chapter_sentences_show_the_sof_numbers():
    """The outcome chapters' reporting sentence (sentences.effect_text) shows the SoF row's estimate."""
    from jakmeta.review import sentences

    rows = SOF.set_index("row_id")
    for outcome in sof.OUTCOMES:
        a = sof.analysis_for(PKG, outcome)
        if a.k == 0:
            continue
        text = sentences.effect_text(a)
        row = rows.loc[outcome]
        digits = 2 if row["measure"] != "MD" else 1
        for value in (row["estimate"], row["ci_low"], row["ci_high"]):
            assert f"{value:.{digits}f}" in text, (outcome, text)
        # a Bayesian headline has a credible interval, labelled as in the Summary of Findings
        label = "95% CrI" if str(row["model"]).lower().startswith("bayes") else "95% CI"
        assert f"({label} " in text, (outcome, text)


def test_a_single_drug_row_names_the_drug_not_the_class():
    from jakmeta.review import sentences

    a = sof.analysis_for(PKG, "salt90")
    assert len(protocol.drugs_of(a)) == 1
    assert "JAK inhibitors" not in sentences.direction_text(a)


def test_heterogeneity_is_the_analysis_fit_with_its_q_profile_interval():
    from jakmeta.stats import tau2_confint

    a = analyse(PKG, "salt20", studies="all")
    assert a.k >= 2
    het = sentences.heterogeneity(a)
    ci = tau2_confint(a.table["yi"].to_numpy(), a.table["vi"].to_numpy(), method=a.settings["method"])
    assert het["k"] == a.k and het["tau2"] == a.result.tau2 and het["q"] == a.result.q
    assert het["tau2_ci"] == (ci.tau2_ci_low, ci.tau2_ci_high) and het["i2_ci"] == (ci.i2_ci_low, ci.i2_ci_high)
    single = analyse(PKG, "salt20", studies=[a.table["study_id"].iloc[0]])
    assert single.k == 1 and math.isnan(sentences.heterogeneity(single)["tau2"])


def test_narrowing_needs_two_trials_on_each_side():
    a = analyse(PKG, "salt20", studies="all")
    single = analyse(PKG, "salt20", studies=[a.table["study_id"].iloc[0]])
    assert sentences.narrowing(single, a).startswith("With fewer than two trials in one of the analyses")
