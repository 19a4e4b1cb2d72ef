"""The book's result tables, re-exported from the modules that make them (kept so that
``from jakmeta import report`` keeps working). Where to look for what:

- :mod:`jakmeta.sof`: the Summary of Findings (what all eligible evidence says, and how sure).
- :mod:`jakmeta.certainty`: applying GRADE to one analysis (the ratings and their footnotes).
- :mod:`jakmeta.fewstudies`: which estimate is the headline when there are few trials.
- :mod:`jakmeta.wording`: judgement words from numbers.
- :mod:`jakmeta.sentences`: the reporting sentence and per-trial table of one analysis.
- :mod:`jakmeta.sensitivity`: the sensitivity grid and the other sensitivity analyses.
- :mod:`jakmeta.reproduction`: how close we come to Liu et al.'s figures.
- :mod:`jakmeta.triangulation`: our results beside other published meta-analyses.
"""

from __future__ import annotations

from jakmeta.analysis import DEFAULT_MEASURE, OUTCOME_LABELS, analysis_row
from jakmeta.certainty import OIS_SALT_SD, THRESHOLDS, Finding, assess, recorded_judgements
from jakmeta.reproduction import (
    ci_overlap,
    liu_analysis,
    reproduction_reasons,
    reproduction_rows,
    reproduction_table,
)
from jakmeta.sensitivity import (
    GRID,
    leave_one_out_table,
    model_comparison,
    sensitivity_grid,
    subgroups,
)
from jakmeta.sentences import heterogeneity, sentence, study_table
from jakmeta.sof import (
    OUTCOMES,
    PRIMARY,
    answer_table,
    plain_statement,
    primary,
    sof_layout,
    summary_of_findings,
    summary_table,
)

__all__ = ["DEFAULT_MEASURE", "GRID", "OIS_SALT_SD", "OUTCOMES", "OUTCOME_LABELS", "PRIMARY", "THRESHOLDS",
           "Finding", "analysis_row", "answer_table", "assess", "ci_overlap", "heterogeneity",
           "leave_one_out_table", "liu_analysis", "model_comparison", "plain_statement", "primary",
           "recorded_judgements", "reproduction_reasons", "reproduction_rows", "reproduction_table",
           "sensitivity_grid", "sentence", "sof_layout", "study_table", "subgroups", "summary_of_findings",
           "summary_table"]
