"""Unit tests of jakmeta.stats.effects (metafor's escalc values are checked in test_reference_cases.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import effectsize_2proportions, effectsize_smd

from jakmeta.stats import peto, pool
from jakmeta.stats.effects import _hedges_j, binary_effects, combine_arms, continuous_effects


def test_log_or_rr_rd_by_hand():
    a, n1, c, n2 = 12, 40, 6, 38
    b, d = n1 - a, n2 - c
    es = binary_effects([a], [n1], [c], [n2], measure="OR")
    assert es.yi[0] == pytest.approx(math.log(a * d / (b * c)))
    assert es.vi[0] == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d)
    es = binary_effects([a], [n1], [c], [n2], measure="RR")
    assert es.yi[0] == pytest.approx(math.log((a / n1) / (c / n2)))
    assert es.vi[0] == pytest.approx(1 / a - 1 / n1 + 1 / c - 1 / n2)
    es = binary_effects([a], [n1], [c], [n2], measure="RD")
    assert es.yi[0] == pytest.approx(a / n1 - c / n2)
    assert es.vi[0] == pytest.approx((a / n1) * (1 - a / n1) / n1 + (c / n2) * (1 - c / n2) / n2)
    assert not es.corrected.any() and es.measure == "RD" and es.k == 1


@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_zero_cell_gets_half_added_to_all_four_cells(measure):
    es = binary_effects([0, 5], [10, 20], [3, 4], [10, 20], measure=measure)
    a, b, c, d = 0.5, 10.5, 3.5, 7.5
    n1, n2 = a + b, c + d
    expected = {
        "OR": (math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d),
        "RR": (math.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2),
        "RD": (a / n1 - c / n2, a * b / n1**3 + c * d / n2**3),
    }[measure]
    assert (es.yi[0], es.vi[0]) == pytest.approx(expected)
    assert es.corrected.tolist() == [True, False]
    plain = binary_effects([5], [20], [4], [20], measure=measure)
    assert es.yi[1] == pytest.approx(plain.yi[0])  # studies without zero cells are untouched


def test_all_events_counts_as_a_zero_cell():
    es = binary_effects([10], [10], [4], [10], measure="OR")
    assert es.corrected.tolist() == [True]
    assert es.yi[0] == pytest.approx(math.log(10.5 * 6.5 / (0.5 * 4.5)))


def test_double_zero_kept_by_default_and_dropped_on_request():
    events_t, n_t, events_c, n_c = [0, 2, 5, 3], [118, 50, 40, 30], [0, 4, 5, 3], [105, 50, 40, 30]
    n_t[3], events_t[3] = 3, 3  # study 3: all events in both arms (b = d = 0)
    n_c[3] = 3
    kept = binary_effects(events_t, n_t, events_c, n_c, measure="RR")
    assert kept.k == 4 and kept.corrected.tolist() == [True, False, False, True]
    assert kept.yi[0] == pytest.approx(math.log((0.5 / 119) / (0.5 / 106)))
    dropped = binary_effects(events_t, n_t, events_c, n_c, measure="RR", drop00=True)
    assert dropped.index.tolist() == [1, 2] and dropped.dropped.tolist() == [0, 3]
    assert dropped.n_total.tolist() == [100, 80]


def test_add_zero_with_zero_cell_is_an_error_not_an_infinity():
    with pytest.raises(ValueError, match="study 0: OR is undefined"):
        binary_effects([0], [10], [3], [10], measure="OR", add=0)


def test_statsmodels_zero_correction_is_not_metafor_only0():
    """Why binary effects are computed here: statsmodels adds the correction to the events of
    every study (George 1997 in dat.nielweise2007 has no zero cell), metafor does not."""
    sm_yi, _ = effectsize_2proportions(np.array([1, 0]), np.array([44, 116]), np.array([3, 3]),
                                       np.array([35, 117]), statistic="odds-ratio", zero_correction=0.5)
    ours = binary_effects([1, 0], [44, 116], [3, 3], [35, 117], measure="OR")
    assert ours.yi[0] == pytest.approx(math.log(1 * 32 / (43 * 3)))  # -1.3941, as metafor
    assert sm_yi[0] == pytest.approx(-1.1468, abs=1e-4)
    assert abs(ours.yi[0] - sm_yi[0]) > 0.2


def test_peto_effects_with_add_zero_match_rma_peto():
    a, n1, c, n2 = [14, 0, 3, 0], [56, 9, 48, 25], [15, 0, 3, 3], [58, 8, 49, 25]
    es = binary_effects(a, n1, c, n2, measure="PETO", add=0, drop00=True)
    assert es.index.tolist() == [0, 2, 3]
    fe = pool(es.yi, es.vi, method="FE", ci="z")
    assert fe.estimate == pytest.approx(peto(a, n1, c, n2).estimate)


def test_mean_difference():
    es = continuous_effects([5.0, 4.9], [4.7, 1.71], [13, 30], [6.5, 6.1], [3.8, 2.3], [13, 50], measure="MD")
    assert es.yi.tolist() == pytest.approx([-1.5, -1.2])
    assert es.vi[0] == pytest.approx(4.7**2 / 13 + 3.8**2 / 13)


def test_smd_is_hedges_g_with_exact_correction():
    m1, s1, n1, m2, s2, n2 = 94.0, 22.0, 60, 92.0, 20.0, 60
    es = continuous_effects([m1], [s1], [n1], [m2], [s2], [n2], measure="SMD")
    m = n1 + n2 - 2
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
    j = math.exp(math.lgamma(m / 2) - 0.5 * math.log(m / 2) - math.lgamma((m - 1) / 2))
    g = j * (m1 - m2) / sp
    assert es.yi[0] == pytest.approx(g, rel=1e-12)
    assert es.vi[0] == pytest.approx(1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)), rel=1e-12)
    # statsmodels (like R's meta) uses the approximate J = 1 - 3/(4N - 9): close, not equal
    sm_g, _ = effectsize_smd(m1, s1, n1, m2, s2, n2)
    assert sm_g == pytest.approx(g, rel=1e-4) and sm_g != pytest.approx(g, rel=1e-8)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(2, 5000))
def test_hedges_j_is_below_one_and_close_to_the_approximation(m):
    j = float(_hedges_j(np.array([float(m)]))[0])
    assert 0 < j < 1
    if m >= 10:
        assert j == pytest.approx(1 - 3 / (4 * m - 1), rel=1e-3)


def test_effect_sizes_are_read_only_and_frame():
    es = binary_effects([3, 4], [20, 20], [5, 6], [20, 20])
    with pytest.raises(ValueError):
        es.yi[0] = 0.0
    frame = es.to_frame()
    assert list(frame.columns) == ["study", "yi", "vi", "sei", "n_total", "corrected"]
    assert frame["sei"].to_numpy() == pytest.approx(np.sqrt(es.vi))


def test_combine_binary_arms_adds_events_and_totals():
    arm = combine_arms([100, 102], events=[40, 45])
    assert (arm.n, arm.events, arm.mean, arm.sd) == (202, 85, None, None)


def _handbook_pair(n1, m1, s1, n2, m2, s2):
    n = n1 + n2
    m = (n1 * m1 + n2 * m2) / n
    sd = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2 + n1 * n2 / n * (m1**2 + m2**2 - 2 * m1 * m2)) / (n - 1))
    return n, m, sd


def test_combine_continuous_arms_uses_cochrane_table_6_5_a():
    arm = combine_arms([60, 55], mean=[12.0, 15.5], sd=[4.0, 5.5])
    n, m, sd = _handbook_pair(60, 12.0, 4.0, 55, 15.5, 5.5)
    assert (arm.n, arm.mean, arm.sd) == pytest.approx((n, m, sd), rel=1e-12)


def test_combine_three_arms_equals_pairwise_and_is_order_free():
    n, means, sds = [40, 35, 50], [1.0, 2.5, 0.5], [1.2, 0.8, 1.5]
    n12, m12, s12 = _handbook_pair(n[0], means[0], sds[0], n[1], means[1], sds[1])
    expected = _handbook_pair(n12, m12, s12, n[2], means[2], sds[2])
    arm = combine_arms(n, mean=means, sd=sds)
    assert (arm.n, arm.mean, arm.sd) == pytest.approx(expected, rel=1e-12)
    rev = combine_arms(n[::-1], mean=means[::-1], sd=sds[::-1])
    assert (rev.mean, rev.sd) == pytest.approx((arm.mean, arm.sd), rel=1e-12)


def test_combine_arms_needs_one_kind_of_data():
    with pytest.raises(ValueError, match="either events"):
        combine_arms([10, 10])
    with pytest.raises(ValueError, match="either events"):
        combine_arms([10, 10], events=[1, 2], mean=[1.0, 2.0], sd=[1.0, 1.0])
    with pytest.raises(ValueError, match="need both mean and sd"):
        combine_arms([10, 10], mean=[1.0, 2.0])
