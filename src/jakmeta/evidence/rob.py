"""Risk of bias per result (RoB 2): which row of ``data/risk_of_bias.csv`` answers for a trial's
result on an outcome, and what GRADE may use of it.

RoB 2 judges a *result*, not a trial (:cite:`sterne2019rob2`): a row applies to ``all outcomes``
of a trial, or only to its ``efficacy (SALT outcomes)`` or ``harms (adverse events)``; the narrower
scope wins. ``not_assessed`` means *no information read by us*: it is not a judgement, and GRADE's
risk-of-bias domain uses only judgements with a source (:func:`grade_judgement`).
"""

from __future__ import annotations

import re

import pandas as pd

ALL, EFFICACY, HARMS = "all outcomes", "efficacy (SALT outcomes)", "harms (adverse events)"
DOMAINS = ("D1_randomisation", "D2_deviations", "D3_missing_data", "D4_measurement", "D5_selection")
NO_INFORMATION = "not_assessed"
#: Order of RoB 2 judgements, worst last (the overall judgement is the worst domain).
ORDER = ("low", "some_concerns", "high")
#: Wording of a reason that rests on what we could not read (allowed only for ``not_assessed``).
UNREAD = re.compile(r"not (?:read|readable|verifiable)|unverifiable|provisional", re.IGNORECASE)


def outcome_class(outcome: str | None) -> str:
    """The scope class of an outcome code: harms for ``ae_*``, efficacy otherwise."""
    return HARMS if str(outcome or "").startswith("ae_") else EFFICACY


def scope_rank(scope: str, outcome: str | None) -> int:
    """0 when ``scope`` names the outcome's class (or the outcome code itself), 1 for
    ``all outcomes``, 2 when the row does not apply to ``outcome``."""
    scope = str(scope).strip().lower()
    if outcome and (scope == outcome_class(outcome).lower() or str(outcome).lower() in scope.split()):
        return 0
    return 1 if scope.startswith("all") else 2


def rows_for(rob: pd.DataFrame, outcome: str | None) -> pd.DataFrame:
    """The rows that answer for ``outcome``: per trial and domain, the narrowest applicable scope."""
    if rob is None or len(rob) == 0:
        return rob
    ranked = rob.assign(_rank=[scope_rank(s, outcome) for s in rob["outcome_scope"]])
    ranked = ranked[ranked["_rank"] < 2].sort_values("_rank", kind="stable")
    return ranked.drop_duplicates(["study_id", "domain"]).drop(columns="_rank")


def worst(judgements) -> str:
    """The worst of RoB 2 judgements (``low`` < ``some_concerns`` < ``high``); ``low`` for none."""
    found = [j for j in judgements if j in ORDER]
    return max(found, key=ORDER.index) if found else "low"


def grade_judgement(rows: pd.DataFrame, study_id: str, unread_as: str | None = None) -> tuple[str, int]:
    """The overall judgement GRADE uses for one trial's result, and how many domains have no
    information read by us.

    With a sourced overall judgement, that judgement. Without one, the worst of the domains read
    (a domain not read neither raises nor lowers it; with no domain read at all, some concerns), or, when ``unread_as`` is given (e.g.
    ``"some_concerns"`` for the sensitivity analysis), the worse of that and the domains read."""
    mine = rows[rows["study_id"] == study_id]
    overall = mine.loc[mine["domain"] == "overall", "judgement"]
    domains = mine[mine["domain"].isin(DOMAINS)]
    unread = int((domains["judgement"] == NO_INFORMATION).sum()) + (len(DOMAINS) - len(domains))
    if len(overall) and overall.iloc[0] != NO_INFORMATION:
        return str(overall.iloc[0]), unread
    read = list(domains.loc[domains["judgement"] != NO_INFORMATION, "judgement"])
    if not read:  # nothing read at all: no basis for "low"
        return "some_concerns", unread
    return worst(read + ([unread_as] if unread_as and unread else [])), unread
