"""jakmeta.stats.resampling: leave-one-out and subgroup analyses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jakmeta.stats import (
    leave_one_out,
    leave_one_out_counts,
    mantel_haenszel,
    peto,
    pool,
    subgroup_analysis,
)
from tests.stats import BCG_VI, BCG_YI, K5_VI, K5_YI


def test_leave_one_out_rows_are_pools_without_one_study():
    table = leave_one_out(BCG_YI, BCG_VI, labels=[f"s{i}" for i in range(13)], method="DL", ci="hksj")
    assert list(table.index[:2]) == ["s0", "s1"] and len(table) == 13
    direct = pool(np.delete(BCG_YI, 4), np.delete(BCG_VI, 4), method="DL", ci="hksj")
    assert table.loc["s4", "estimate"] == pytest.approx(direct.estimate)
    assert table.loc["s4", "ci_high"] == pytest.approx(direct.ci_high)
    assert (table["k"] == 12).all()


def test_leave_one_out_counts_for_mh_and_peto():
    a, n1, c, n2 = [4, 6, 3, 62], [123, 306, 231, 13598], [11, 29, 11, 248], [139, 303, 220, 12867]
    table = leave_one_out_counts(a, n1, c, n2, method="MH", measure="OR")
    assert table.loc[0, "estimate"] == pytest.approx(mantel_haenszel(a[1:], n1[1:], c[1:], n2[1:]).estimate)
    table = leave_one_out_counts(a, n1, c, n2, method="Peto")
    assert table.loc[3, "estimate"] == pytest.approx(peto(a[:3], n1[:3], c[:3], n2[:3]).estimate)


def test_subgroup_q_between_formula_and_fixed_effect_partition():
    groups = ["a"] * 4 + ["b"] * 5 + ["c"] * 4
    sub = subgroup_analysis(BCG_YI, BCG_VI, groups, method="REML", ci="hksj")
    assert list(sub.table.index) == ["a", "b", "c"] and sub.df_between == 2
    est = np.array([pool(BCG_YI[np.array(groups) == g], BCG_VI[np.array(groups) == g], ci="z").estimate for g in "abc"])
    se = np.array([pool(BCG_YI[np.array(groups) == g], BCG_VI[np.array(groups) == g], ci="z").se for g in "abc"])
    w = 1 / se**2
    assert sub.q_between == pytest.approx(np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2))
    assert sub.p_between == pytest.approx(stats.chi2.sf(sub.q_between, 2))
    assert sub.table.loc["b", "k"] == 5
    fe = subgroup_analysis(BCG_YI, BCG_VI, groups, method="FE", ci="z")
    total = pool(BCG_YI, BCG_VI, method="FE")
    assert fe.q_between + fe.q_within == pytest.approx(total.q)  # Q_total = Q_between + Q_within


def test_subgroup_with_a_single_study_group():
    sub = subgroup_analysis(BCG_YI[:4], BCG_VI[:4], ["x", "x", "x", "y"], method="REML")
    assert sub.results["y"].k == 1 and math.isnan(sub.results["y"].tau2)


# --------------------------------------------------------------------------------------------
# against metafor on five studies (tests/reference/metafor_k5.R)

#: metafor 3.8.1, leave1out(rma(yi, vi, method = "REML", control = TIGHT)): estimate, se, ci.lb,
#: ci.ub, Q, tau2, I2 (with metafor's default threshold, 1e-5, the values differ by up to 1e-5 relative)
METAFOR_LEAVE1OUT = [
    (-0.1851218006020, 0.294988637249, -0.763288905458, 0.3930453042537, 13.69285714286, 0.261892559106, 75.7150023068),
    (-0.3418700069106, 0.273363072071, -0.877651782873, 0.1939117690516, 12.5, 0.226708260665, 77.0570684020),
    (-0.0955258821745, 0.216762298493, -0.520372180427, 0.3293204160783, 7.72357723577, 0.109954059734, 59.3511560003),
    (-0.2454740392330, 0.290355894978, -0.814561136089, 0.3236130576234, 14.85283687943, 0.270835370719, 80.9806880201),
    (-0.4329346253771, 0.206014050601, -0.836714744863, -0.0291545058909, 6.95454545455, 0.097438986119, 58.3772256034),
]


def test_leave_one_out_equals_metafor_leave1out():
    table = leave_one_out(K5_YI, K5_VI, method="REML", ci="z", labels=list("ABCDE"))
    assert list(table.index) == list("ABCDE") and set(table["k"]) == {4}
    got = table[["estimate", "se", "ci_low", "ci_high", "q", "tau2", "i2"]].to_numpy()
    np.testing.assert_allclose(got, np.array(METAFOR_LEAVE1OUT), rtol=1e-7)


def test_subgroup_test_equals_metafor_meta_regression_on_the_factor():
    """With a common-effect model, Q_between is metafor's QM of rma(yi, vi, mods = ~factor(g),
    method = "FE") and Q_within its QE; the group estimates are the groups' own FE pools."""
    sub = subgroup_analysis(K5_YI, K5_VI, ["a", "a", "b", "b", "b"], method="FE", ci="z")
    assert sub.q_between == pytest.approx(0.00592646347363, rel=1e-6)
    assert sub.p_between == pytest.approx(0.938636649395, rel=1e-6) and sub.df_between == 1
    assert sub.q_within == pytest.approx(14.8525641026, rel=1e-9) and sub.df_within == 3
    assert sub.p_within == pytest.approx(0.00194707757975, rel=1e-6)
    assert sub.table.loc[["a", "b"], "estimate"].tolist() == pytest.approx([-0.315384615385, -0.333333333333], rel=1e-9)
    assert sub.q_between + sub.q_within == pytest.approx(pool(K5_YI, K5_VI, method="FE").q, rel=1e-12)
