"""jakmeta.review.reproduction: Liu et al.'s published effects re-computed, with verdicts and reasons."""

from __future__ import annotations

import math

import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import reproduction

PKG = load_package()


def test_reproduction_verdicts():
    from jakmeta.review.reproduction import _verdict

    assert _verdict(5.28, (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"].startswith("reproduced")
    assert _verdict(5.28 * 1.06, (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"] == "not reproduced"
    assert _verdict(float("nan"), (1.0, 9.0), 5.28, (1.0, 9.0), "OR")["verdict"].endswith("no data")
    assert reproduction.ci_overlap((1, 2), (1, 2), log=True) == pytest.approx(1.0)
    assert reproduction.ci_overlap((3, 4), (1, 2), log=False) == 0.0


def test_reproduction_table_lists_every_published_liu_effect():
    from jakmeta.review.reproduction import published_liu

    table = reproduction.reproduction_rows(PKG, search_grid=False)
    assert len(table) == len(published_liu(PKG)) >= 5
    assert len(reproduction.reproduction_reasons(PKG, table)) == len(table)


# ------------------------------------------------------------------------------- trial by trial

def test_every_liu_figure_is_explained_trial_by_trial():
    from jakmeta.review import reproduction

    table = reproduction.reproduction_rows(PKG, search_grid=False)
    for r in table.itertuples():
        per_trial = reproduction.trial_by_trial(PKG, r.outcome, r.measure)
        assert len(per_trial) >= len(reproduction.study_set(PKG, "liu"))
        assert per_trial["status"].str.len().gt(5).all()


def test_ci_overlap_is_a_share_of_the_published_interval():
    assert reproduction.ci_overlap((1.0, 3.0), (2.0, 4.0), log=False) == pytest.approx(0.5)
    assert reproduction.ci_overlap((1.0, 2.0), (3.0, 4.0), log=False) == 0.0
    assert reproduction.ci_overlap((2.0, 8.0), (1.0, 4.0), log=True) == pytest.approx(0.5)  # log 2 of log 4
    assert math.isnan(reproduction.ci_overlap((1.0, 2.0), (3.0, 3.0), log=False))


def test_verdict_within_five_percent_on_the_ratio_or_the_difference():
    close = reproduction._verdict(2.08, (1.5, 2.9), 2.0, (1.4, 2.8), "OR")
    assert close["verdict"] == "reproduced (within 5 %)" and close["ratio"] == pytest.approx(1.04)
    assert reproduction._verdict(2.2, (1.5, 2.9), 2.0, (1.4, 2.8), "RR")["verdict"] == "not reproduced"
    md = reproduction._verdict(-21.0, (-30, -12), -20.0, (-29, -11), "MD")
    assert md["verdict"] == "reproduced (within 5 %)" and md["difference"] == pytest.approx(-1.0)
    assert reproduction._verdict(float("nan"), (0, 0), 2.0, (1, 3), "OR")["verdict"] == "not reproduced: no data"
