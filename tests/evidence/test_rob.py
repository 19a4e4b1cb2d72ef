"""jakmeta.evidence.rob: risk of bias is a property of a trial; what we could not read is "no
information read", and the row that applies to an outcome is the most specific one."""

from __future__ import annotations

import pandas as pd

from jakmeta.evidence import rob
from jakmeta.evidence.package import load_package

PKG = load_package()


def test_no_risk_of_bias_judgement_rests_on_what_was_not_read():
    table = PKG.risk_of_bias
    judged = table[table["judgement"] != rob.NO_INFORMATION]
    unread = judged[judged["reason"].str.contains(rob.UNREAD) & (judged["source_type"] != "secondary_review")]
    assert unread.empty, unread[["study_id", "domain"]]
    gaps = table[table["judgement"] == rob.NO_INFORMATION]
    assert gaps["reason"].str.startswith("No information read by us").all()


def test_scope_of_a_rob_row():
    assert rob.scope_rank("harms (adverse events)", "ae_serious") == 0
    assert rob.scope_rank("harms (adverse events)", "salt20") == 2
    assert rob.scope_rank("all outcomes", "salt20") == 1
    rows = rob.rows_for(PKG.risk_of_bias, "salt50")
    assert rows.set_index(["study_id", "domain"]).loc[("delgo_ph2a", "overall"), "judgement"] == "high"
    rows = rob.rows_for(PKG.risk_of_bias, "ae_serious")
    assert rows.set_index(["study_id", "domain"]).loc[("delgo_ph2a", "overall"), "judgement"] == "some_concerns"


def _rows(*rows):
    """A small risk-of-bias table: (study_id, outcome_scope, domain, judgement)."""
    return pd.DataFrame(rows, columns=["study_id", "outcome_scope", "domain", "judgement"])


def test_outcome_class_and_scope_rank_of_an_outcome_code():
    assert rob.outcome_class("ae_any") == rob.HARMS
    assert rob.outcome_class("salt20") == rob.EFFICACY
    assert rob.outcome_class(None) == rob.EFFICACY
    assert rob.scope_rank("Efficacy (SALT outcomes)", "salt50") == 0  # case and spaces do not matter
    assert rob.scope_rank("salt20 salt50", "salt50") == 0  # a row naming the outcome code itself
    assert rob.scope_rank("all outcomes", None) == 1
    assert rob.scope_rank("efficacy (SALT outcomes)", None) == 2


def test_rows_for_keeps_the_narrowest_scope_per_trial_and_domain():
    table = _rows(("t1", "all outcomes", "D1_randomisation", "low"),
                  ("t1", "harms (adverse events)", "D1_randomisation", "high"),
                  ("t1", "all outcomes", "D2_deviations", "some_concerns"),
                  ("t2", "efficacy (SALT outcomes)", "D1_randomisation", "high"))
    harms = rob.rows_for(table, "ae_serious").set_index(["study_id", "domain"])["judgement"].to_dict()
    assert harms == {("t1", "D1_randomisation"): "high", ("t1", "D2_deviations"): "some_concerns"}
    efficacy = rob.rows_for(table, "salt20").set_index(["study_id", "domain"])["judgement"].to_dict()
    assert efficacy == {("t1", "D1_randomisation"): "low", ("t1", "D2_deviations"): "some_concerns",
                        ("t2", "D1_randomisation"): "high"}
    assert rob.rows_for(table.iloc[0:0], "salt20").empty


def test_worst_judgement():
    assert rob.worst(["low", "some_concerns", "low"]) == "some_concerns"
    assert rob.worst(["low", "high", "some_concerns"]) == "high"
    assert rob.worst([rob.NO_INFORMATION, "low"]) == "low"  # no information is not a judgement
    assert rob.worst([]) == "low"


def test_grade_judgement_uses_only_judgements_with_a_source():
    """A sourced overall judgement wins; otherwise the worst domain read; a domain not read neither
    raises nor lowers it, but is counted; nothing read at all is "some concerns", never "low"."""
    full = _rows(*[("t1", "all outcomes", d, "low") for d in rob.DOMAINS], ("t1", "all outcomes", "overall", "high"))
    assert rob.grade_judgement(full, "t1") == ("high", 0)
    partial = _rows(("t2", "all outcomes", "D1_randomisation", "low"),
                    ("t2", "all outcomes", "D2_deviations", rob.NO_INFORMATION),
                    ("t2", "all outcomes", "overall", rob.NO_INFORMATION))
    assert rob.grade_judgement(partial, "t2") == ("low", 4)  # D2 not read, D3-D5 absent
    assert rob.grade_judgement(partial, "t2", unread_as="some_concerns") == ("some_concerns", 4)
    unread = _rows(*[("t3", "all outcomes", d, rob.NO_INFORMATION) for d in rob.DOMAINS])
    assert rob.grade_judgement(unread, "t3") == ("some_concerns", 5)
    assert rob.grade_judgement(unread, "nobody") == ("some_concerns", 5)
