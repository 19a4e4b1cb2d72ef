"""jakmeta.review: the review's answers. Which analyses the protocol names, what each one finds,
which number is the headline, how certain it is (GRADE), and how it compares with published reviews.

- :mod:`jakmeta.review.protocol`        the protocol as data (``data/analyses.csv``), by ``row_id``
- :mod:`jakmeta.review.analysis`        one outcome from the data package to a meta-analysis
- :mod:`jakmeta.review.fewstudies`      the headline estimate (one model for every k ≥ 2)
- :mod:`jakmeta.review.grade`           GRADE rules (domains, optimal information size)
- :mod:`jakmeta.review.certainty`       GRADE applied to one analysis, with its footnotes
- :mod:`jakmeta.review.profile`         the GRADE evidence profile
- :mod:`jakmeta.review.sof`             the Summary of Findings
- :mod:`jakmeta.review.harms`           harms per licensed drug and dose
- :mod:`jakmeta.review.sensitivity`     the sensitivity analyses
- :mod:`jakmeta.review.reproduction`    comparison with Liu et al.'s published figures
- :mod:`jakmeta.review.triangulation`   comparison with other published meta-analyses
- :mod:`jakmeta.review.wording`         judgement words generated from the numbers
- :mod:`jakmeta.review.sentences`       the reporting sentences of the outcome chapters
- :mod:`jakmeta.review.plain_language`  the plain-language summary (Santesso et al. 2020 wording)

Uses :mod:`jakmeta.stats` and :mod:`jakmeta.evidence`, never :mod:`jakmeta.book`.
"""

from __future__ import annotations

from jakmeta.review import (
    analysis,
    certainty,
    fewstudies,
    grade,
    harms,
    plain_language,
    profile,
    protocol,
    reproduction,
    sensitivity,
    sentences,
    sof,
    triangulation,
    wording,
)

__all__ = ["analysis", "certainty", "fewstudies", "grade", "harms", "plain_language", "profile",
           "protocol", "reproduction", "sensitivity", "sentences", "sof", "triangulation", "wording"]
