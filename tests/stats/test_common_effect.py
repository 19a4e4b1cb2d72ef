"""Mantel-Haenszel (OR, RR, RD) and Peto pooling with zero events against metafor.

The reference values in tests/reference/metafor_zero_events.json were computed with metafor 3.8
(``rma.mh`` and ``rma.peto`` with default arguments) by tests/reference/metafor_zero_events.R;
R is not needed to run this test. Cases: trials without events in one arm or in both, one
informative trial left, no event anywhere, only events, a single trial. Where metafor returns NA or
stops, and where its MH RD has a variance of 0 (no event anywhere), the engine refuses with a
ValueError that says why.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jakmeta.stats import pool
from jakmeta.stats.common_effect import mantel_haenszel, peto
from tests import REFERENCE_DIR

REFERENCE = json.loads((REFERENCE_DIR / "metafor_zero_events.json").read_text(encoding="utf-8"))
CASES = [(case, method) for case in REFERENCE["cases"] for method in case["results"]]


#: PoolResult field -> metafor field
FIELDS = {"estimate": "beta", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "tau2": "tau2", "q": "QE",
          "q_pvalue": "QEp", "i2": "I2", "h2": "H2", "k": "k"}


def _fit(case: dict, method: str):
    counts = (case["ai"], case["n1i"], case["ci"], case["n2i"])
    counts = tuple([x] if isinstance(x, int | float) else x for x in counts)
    return peto(*counts) if method == "PETO" else mantel_haenszel(*counts, measure=method.removeprefix("MH_"))


def _refused_by_metafor(expected: dict) -> bool:
    """metafor stopped, returned NA, or returned a zero standard error (a CI of zero width)."""
    return "error" in expected or expected["beta"] is None or expected["se"] == 0


@pytest.mark.parametrize("case, method", CASES, ids=[f"{c['name']}-{m}" for c, m in CASES])
def test_zero_event_case_equals_metafor(case, method):
    expected = case["results"][method]
    if _refused_by_metafor(expected):
        with pytest.raises(ValueError, match=r"undefined|zero variance|V = 0"):
            _fit(case, method)
        return
    result = _fit(case, method)
    for ours, theirs in FIELDS.items():
        assert getattr(result, ours) == pytest.approx(expected[theirs], rel=1e-9, abs=1e-12), (ours, theirs)
    assert result.q_df == max(expected["k_yi"] - 1, 0)
    assert all(math.isfinite(getattr(result, name)) for name in ("q", "q_pvalue", "i2", "h2"))


def test_the_example_of_issue_19():
    """k = 2, events 181/187 vs 82/228 and 0/33 vs 0/150: one informative trial, so I² = 0 and, for
    the MH RD (whose estimate still counts the double-zero trial), Q = 0, not 13.66."""
    rd = mantel_haenszel([181, 0], [187, 33], [82, 0], [228, 150], measure="RD")
    assert (rd.q, rd.q_df, rd.q_pvalue, rd.i2, rd.h2) == (0.0, 0, 1.0, 0.0, 1.0)
    assert "no heterogeneity to test" in rd.status
    for measure in ("OR", "RR"):
        assert mantel_haenszel([181, 0], [187, 33], [82, 0], [228, 150], measure=measure).i2 == 0.0
    assert peto([181, 0], [187, 33], [82, 0], [228, 150]).i2 == 0.0


def test_reference_file_records_its_origin():
    origin = REFERENCE["generated_by"]
    assert "metafor 3.8" in origin["software"] and origin["script"].endswith("metafor_zero_events.R")
    assert (REFERENCE_DIR / "metafor_zero_events.R").is_file()


# --------------------------------------------------------------------------------------------
# Mantel-Haenszel and Peto


def test_mh_double_zero_study_changes_nothing_but_the_table_count():
    a, n1, c, n2 = [4, 6, 3, 0], [123, 306, 231, 50], [11, 29, 11, 0], [139, 303, 220, 48]
    with_00 = mantel_haenszel(a, n1, c, n2, measure="RR")
    without = mantel_haenszel(a[:3], n1[:3], c[:3], n2[:3], measure="RR")
    assert with_00.estimate == pytest.approx(without.estimate, rel=1e-12)
    assert with_00.q == pytest.approx(without.q) and with_00.q_df == without.q_df == 2
    assert with_00.k == 4


def test_mh_single_zero_cell_uses_corrected_effects_only_for_q():
    a, n1, c, n2 = [0, 6, 3], [20, 306, 231], [4, 29, 11], [22, 303, 220]
    res = mantel_haenszel(a, n1, c, n2, measure="OR")
    r = np.array(a) * (np.array(n2) - np.array(c)) / (np.array(n1) + np.array(n2))
    s = (np.array(n1) - np.array(a)) * np.array(c) / (np.array(n1) + np.array(n2))
    assert res.estimate == pytest.approx(math.log(r.sum() / s.sum()))
    assert res.q_df == 2


def test_peto_equals_fixed_effect_on_peto_effects():
    from jakmeta.stats.effects import binary_effects

    a, n1, c, n2 = [14, 18, 0, 3, 0], [56, 66, 9, 48, 25], [15, 19, 0, 3, 3], [58, 64, 8, 49, 25]
    es = binary_effects(a, n1, c, n2, measure="PETO", add=0, drop00=True)
    fe = pool(es.yi, es.vi, method="FE", ci="z")
    pt = peto(a, n1, c, n2)
    assert pt.estimate == pytest.approx(fe.estimate, rel=1e-12)
    assert pt.se == pytest.approx(fe.se, rel=1e-12)
    assert pt.q_df == 3 and pt.k == 5


def test_mh_and_peto_errors_when_undefined():
    with pytest.raises(ValueError, match="undefined"):
        mantel_haenszel([0, 0], [10, 10], [0, 0], [10, 10], measure="OR")
    with pytest.raises(ValueError, match="V = 0"):
        peto([0, 0], [10, 10], [0, 0], [10, 10])
