"""The rules behind the book's judgements: wording from numbers, the few-studies rule, GRADE applied
to an analysis (OIS from the outcome's threshold, indirectness from recorded facts), and the
simulation's Bayesian approximation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import certainty, fewstudies, grade, wording
from jakmeta.review.analysis import analyse
from jakmeta.stats import simulation

PKG = load_package()


# ------------------------------------------------------------------------------------ wording

def test_direction_needs_the_interval_to_exclude_the_null():
    assert wording.direction(0.1, 2.0, 0.0) == "increase"
    assert wording.direction(-2.0, -0.1, 0.0) == "reduction"
    assert wording.direction(-0.1, 2.0, 0.0) == "no clear difference"
    assert wording.direction(-10, 20, 0.0, threshold=50) == "little to no difference"
    assert wording.direction(-10, 80, 0.0, threshold=50) == "no clear difference"


@pytest.mark.parametrize(("ratio", "words"), [(9.4, "about 9 times"), (13.76, "about 14 times"),
                                              (267, "about 300 times"), (1.4, "about 40 % higher"),
                                              (0.67, "about 33 % lower")])
def test_times(ratio, words):
    assert wording.times(ratio) == words


@pytest.mark.parametrize(("ratio", "words"), [(865, "three orders of magnitude"), (95, "two orders of magnitude"),
                                              (2.5, "less than one order of magnitude"),
                                              (12, "one order of magnitude")])
def test_orders_of_magnitude(ratio, words):
    assert wording.orders_of_magnitude(ratio) == words


def test_compare_widths_and_bad_input():
    assert wording.compare_widths(1.0, 12.0) == "about 12 times as wide as"
    assert wording.compare_widths(1.0, 1.4) == "about 40 % wider than"
    assert wording.compare_widths(1.0, 0.7) == "about 30 % narrower than"
    assert wording.compare_widths(1.0, 1.001) == "about as wide as"
    with pytest.raises(ValueError, match="positive"):
        wording.times(0)


# --------------------------------------------------------------------------- few-studies rule

def test_rule_by_number_of_trials():
    assert fewstudies.rule_for(1) == "single trial"
    assert fewstudies.rule_for(2) == fewstudies.rule_for(fewstudies.FEW_STUDIES_THRESHOLD) == "pooled"  # no cliff


def test_few_trials_headline_is_bayesian_and_beside_mh_and_hksj():
    a = analyse(PKG, "salt20", studies="liu")
    assert a.k == 2
    h = fewstudies.headline(a)
    assert h.model.startswith("Bayesian")
    table = fewstudies.model_table(a)
    assert list(table["model"].str.split(",").str[0]) == ["Bayesian random effects", "Random effects",
                                                          "Random effects", "Random effects", "Common effect"]
    hksj = table[table["model"] == fewstudies.MODEL_NAMES["reml-hksj"]].iloc[0]
    assert hksj["ci_ratio"] > 100 > table.iloc[0]["ci_ratio"]  # t(1) vs the weakly informative prior
    text = fewstudies.why_they_differ(a)
    assert f"{fewstudies.hksj_quantile(2):.1f}" in text and "1 degree of freedom" in text


def test_single_trial_headline_is_the_trial():
    a = analyse(PKG, "salt50")
    h = fewstudies.headline(a)
    assert h.rule == "single trial" and h.estimate == pytest.approx(a.table["yi"].iloc[0])


# ------------------------------------------------------------------------ GRADE on an analysis

def test_ois_uses_the_outcomes_threshold():
    # 50 more per 1000 from a placebo risk of 50 per 1000: p1 = 0.10
    assert grade.optimal_information_size_absolute(0.05, 50) == pytest.approx(
        2 * math.ceil(7.849 * (0.05 * 0.95 + 0.1 * 0.9) / 0.05**2), abs=4)
    assert grade.optimal_information_size_absolute(0.05, 10) > grade.optimal_information_size_absolute(0.05, 50)
    with pytest.raises(ValueError, match="difference_per_1000"):
        grade.optimal_information_size_absolute(0.05, 0)


def test_indirectness_comes_from_recorded_facts():
    # the delgocitinib trial alone (week 12, completers, milder disease): the update added SALT50 trials
    a = analyse(PKG, "salt50", studies=["delgo_ph2a"])
    facts = certainty.indirectness_facts(PKG, a)
    concerns = facts["concerns"].iloc[0]
    assert any("week 12" in c for c in concerns) and any("completers" in c for c in concerns)
    f = certainty.assess(PKG, a)
    rating = next(r for r in f.ratings if r.domain == "indirectness")
    assert rating.judgement in ("serious", "very serious") and "100%" in rating.reason


def test_footnotes_state_the_numbers():
    from jakmeta.review import sof

    table = sof.summary_of_findings(PKG)
    for notes in table["footnotes"]:
        for note in [n for n in notes.split(" | ") if n]:
            assert any(ch.isdigit() for ch in note), note


def test_wide_interval_from_few_trials_is_explained():
    rating = grade.imprecision_domain(2, 1200, 500, (-10, 400), 50, "per 1000", common_effect_ci=(120, 260))
    assert rating.judgement == "serious" and "few trials" in rating.reason and "+120" in rating.reason


# ------------------------------------------------------------------------------ simulation

def test_vectorised_bayes_matches_the_engine():
    from jakmeta.stats.bayes import pool_bayes

    yi, vi = simulation.simulate_meta_analyses(3, 0.2, 5, seed=7)
    low, high = simulation.bayes_intervals(yi, vi)
    for i in range(5):
        b = pool_bayes(yi[i], vi[i], tau_prior="half-normal", tau_scale=0.5)
        assert low[i] == pytest.approx(b.ci_low, abs=0.01) and high[i] == pytest.approx(b.ci_high, abs=0.01)


def test_few_studies_simulation_is_reproducible():
    first = simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200)
    assert first.equals(simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200))
    wide = first.pivot(index="k", columns="interval", values="width_ratio")
    assert wide.loc[2, "REML, HKSJ"] > wide.loc[5, "REML, HKSJ"]
    assert np.all((first["coverage"] >= 0) & (first["coverage"] <= 1))


# ------------------------------------------------------------------ reproduction, triangulation

def test_every_liu_figure_is_explained_trial_by_trial():
    from jakmeta.review import reproduction

    table = reproduction.reproduction_rows(PKG, search_grid=False)
    for r in table.itertuples():
        per_trial = reproduction.trial_by_trial(PKG, r.outcome, r.measure)
        assert len(per_trial) >= len(reproduction.study_set(PKG, "liu"))
        assert per_trial["status"].str.len().gt(5).all()


def test_triangulation_sets_other_reviews_beside_ours():
    from jakmeta.review import triangulation

    table = triangulation.triangulation_table(PKG)
    assert "liu2023" not in set(table["review"])
    assert table["why"].str.len().gt(10).all()
    computed = table[table["how_close"] != "not computed"]
    assert len(computed) == 0 or computed["outcome"].isin(set(PKG.outcomes["outcome"])).all()


def test_continuous_outcomes_use_inverse_variance_and_their_own_prior_scale():
    import pandas as pd

    from jakmeta.review.analysis import Analysis
    from jakmeta.stats import pool

    table = pd.DataFrame({"study_id": ["a", "b"], "trial": ["A", "B"], "yi": [-30.0, -20.0], "vi": [9.0, 16.0],
                          "mean_t": [-40, -30], "sd_t": [30, 30], "n_t": [200, 150], "mean_c": [-10, -10],
                          "sd_c": [30, 30], "n_c": [100, 75], "timepoint_weeks": [24, 24]})
    a = Analysis("salt_cfb", "MD", table, pool(table["yi"], table["vi"]), {"method": "REML", "ci": "hksj"})
    h = fewstudies.headline(a)
    assert f"half-normal({fewstudies.TAU_PRIOR_SCALE['MD']:g})" in h.model
    name, _ = fewstudies.common_effect(a)
    assert name == "Common effect, inverse variance"
    assert h.ci_low < h.estimate < h.ci_high < 0


# ------------------------------------------------------------- GRADE's published rules (issue 16)

def test_single_trial_short_of_ois_with_ci_clear_of_threshold_is_one_level():
    # the ritlecitinib 50 mg case: 51 to 552 more per 1000 against 50, 254 participants, OIS 480
    rating = grade.imprecision_domain(1, 254, 480, (51, 552), 50, "per 1000")
    assert rating.judgement == "serious" and rating.downgrade == 1
    assert "53% of it" in rating.reason


def test_ci_crossing_one_threshold_is_one_level_and_both_two():
    assert grade.imprecision_domain(5, 5000, 500, (20, 300), 50, "per 1000").judgement == "serious"
    assert grade.imprecision_domain(5, 5000, 500, (-60, 300), 50, "per 1000").judgement == "very serious"
    # within the threshold on both sides: little or no important effect, precise
    assert grade.imprecision_domain(5, 5000, 500, (-20, 30), 50, "per 1000").judgement == "not serious"


def test_imprecision_prints_the_interval_as_the_sof_does():
    rating = grade.imprecision_domain(1, 718, 282, (-28.3, -17.2), 10, "SALT points", decimals=1,
                                      interval="95% CI")
    assert "-28.3 to -17.2" in rating.reason and "+17" not in rating.reason


def test_ritlecitinib_row_is_not_rated_down_twice_for_imprecision():
    from jakmeta.review import sof

    a = sof.primary(PKG, "salt20", drug="ritlecitinib", dose="50 mg")
    f = certainty.assess(PKG, a)
    rating = next(r for r in f.ratings if r.domain == "imprecision")
    assert rating.downgrade == 1


@pytest.mark.parametrize(("level", "words"), [
    ("high", "JAK inhibitors result in an increase in"),
    ("moderate", "JAK inhibitors likely result in an increase in"),
    ("low", "JAK inhibitors may result in an increase in"),
    ("very low", "The evidence is very uncertain about the effect of JAK inhibitors on")])
def test_plain_language_follows_santesso_2020(level, words):
    assert grade.plain_language("the outcome", level, "increase").startswith(words)


def test_plain_language_little_to_no_difference_and_singular():
    text = grade.plain_language("serious adverse events", "low", "little to no difference", "baricitinib 4 mg",
                                plural=False)
    assert text == "Baricitinib 4 mg may result in little to no difference in serious adverse events."
    with pytest.raises(ValueError, match="effect"):
        grade.plain_language("x", "high", "no clear difference")


def test_effect_category_uses_the_point_estimate_against_the_threshold():
    assert wording.effect_category(197, 0, 50) == "increase"
    assert wording.effect_category(-8, 0, 10) == "little to no difference"
    assert wording.effect_category(-22.7, 0, 10) == "reduction"


def test_inconsistency_with_i2_zero_does_not_say_the_trials_differ():
    rating = grade.inconsistency_domain(2, 0.0, (0.5, 2.0), (0.2, 2.5))
    assert "differ" not in rating.reason and "I² = 0 %" in rating.reason


def test_no_risk_of_bias_judgement_rests_on_what_was_not_read():
    from jakmeta.evidence import rob

    table = PKG.risk_of_bias
    judged = table[table["judgement"] != rob.NO_INFORMATION]
    unread = judged[judged["reason"].str.contains(rob.UNREAD) & (judged["source_type"] != "secondary_review")]
    assert unread.empty, unread[["study_id", "domain"]]
    gaps = table[table["judgement"] == rob.NO_INFORMATION]
    assert gaps["reason"].str.startswith("No information read by us").all()


def test_validator_refuses_a_judgement_resting_on_what_was_not_read(tmp_path):
    import shutil

    from jakmeta.evidence.package import validate_package

    shutil.copytree(PKG.directory, tmp_path / "data")
    shutil.copy(PKG.directory.parent / "references.bib", tmp_path / "references.bib")
    path = tmp_path / "data" / "risk_of_bias.csv"
    text = path.read_text(encoding="utf-8").replace("Quadruple masking.", "Quadruple masking; details not readable.", 1)
    path.write_text(text, encoding="utf-8")
    _, problems = validate_package(tmp_path / "data")
    assert any("risk_of_bias.csv" in str(p) and "not read or not verifiable" in str(p) for p in problems)


def test_unread_domains_are_shown_both_ways():
    from jakmeta.review import sof

    a = sof.primary(PKG, "salt20", drug="deuruxolitinib", dose="8 mg")
    primary, sensitivity = certainty.assess(PKG, a), certainty.assess(PKG, a, unread_as="some_concerns")
    rob_primary = next(r for r in primary.ratings if r.domain == "risk_of_bias")
    rob_sens = next(r for r in sensitivity.ratings if r.domain == "risk_of_bias")
    assert rob_primary.downgrade == 0 and rob_sens.downgrade == 1  # THRIVE: D1 not read
    assert "no information read by us" in rob_primary.reason


def test_scope_of_a_rob_row():
    from jakmeta.evidence import rob

    assert rob.scope_rank("harms (adverse events)", "ae_serious") == 0
    assert rob.scope_rank("harms (adverse events)", "salt20") == 2
    assert rob.scope_rank("all outcomes", "salt20") == 1
    rows = rob.rows_for(PKG.risk_of_bias, "salt50")
    assert rows.set_index(["study_id", "domain"]).loc[("delgo_ph2a", "overall"), "judgement"] == "high"
    rows = rob.rows_for(PKG.risk_of_bias, "ae_serious")
    assert rows.set_index(["study_id", "domain"]).loc[("delgo_ph2a", "overall"), "judgement"] == "some_concerns"


def test_missing_evidence_rates_down_only_when_it_could_change_the_conclusion():
    missing = [("a", 300), ("b", None)]
    assert grade.publication_bias_domain(3000, missing, (200, 63, 446), 50, "per 1000").judgement == "not serious"
    assert grade.publication_bias_domain(300, missing, (200, 60, 446), 50, "per 1000").judgement == "serious"
    assert grade.publication_bias_domain(300, [], (200, 60, 446), 50, "per 1000").judgement == "not serious"


def test_class_row_resting_on_one_drug_is_indirect():
    a = analyse(PKG, "salt_cfb", studies="all")
    concerns = certainty.row_concerns(PKG, a)
    if a.k and a.table["study_id"].nunique() == 1:
        assert concerns and "one drug" in concerns[0]
    rating = grade.indirectness_domain([("t", 100.0, [])], 100.0, ["a row about the class rests on one drug (x)"])
    assert rating.judgement == "serious"


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


def test_certainty_words_in_one_case_with_symbols(evidence):
    table, prof = evidence
    for cell in prof["Certainty"]:
        if not cell.startswith("no estimate"):
            symbols, word = cell.split(" ", 1)
            assert grade.SYMBOLS[word] == symbols and word == word.lower()
    layout_certainty = sof_layout_certainty(table)
    assert all(c == c.lower() or c.startswith("⨁") and c.split(" ", 1)[1].split(" ")[0].islower()
               for c in layout_certainty)


def sof_layout_certainty(table):
    from jakmeta.review import sof

    return [c for c in sof.sof_layout(table)["Certainty"] if c != "no estimate"]


def test_bayesian_headlines_are_labelled_credible_intervals(evidence):
    table, prof = evidence
    for r in table.itertuples():
        if not r.relative:
            continue
        label = "95% CrI" if str(r.model).lower().startswith("bayes") else "95% CI"
        assert label in (r.relative if r.measure != "MD" else r.absolute), r.row


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
