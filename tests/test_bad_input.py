"""Bad input raises ValueError saying what is wrong, where, and what would be valid."""

from __future__ import annotations

import numpy as np
import pytest

from jakmeta.stats import (
    leave_one_out,
    mantel_haenszel,
    peto,
    pool,
    pool_many,
    subgroup_analysis,
    tau2_confint,
)
from jakmeta.stats.bias import egger_test
from jakmeta.stats.effects import binary_effects, combine_arms, continuous_effects

Y = [0.1, 0.3, -0.2, 0.5]
V = [0.04, 0.05, 0.03, 0.06]


def test_mismatched_lengths():
    with pytest.raises(ValueError, match=r"same length.*yi has 4, vi has 3"):
        pool(Y, V[:3])


def test_mismatched_lengths_of_counts():
    with pytest.raises(ValueError, match=r"same length.*events_t has 2.*n_t has 3"):
        binary_effects([1, 2], [10, 10, 10], [1, 2], [10, 10])


def test_nan_effect():
    with pytest.raises(ValueError, match=r"yi\[2\] = nan: values must be finite"):
        pool([0.1, 0.3, np.nan, 0.5], V)


def test_nan_variance():
    with pytest.raises(ValueError, match=r"vi\[1\] = nan"):
        pool(Y, [0.04, np.nan, 0.03, 0.06])


def test_negative_variance():
    with pytest.raises(ValueError, match=r"vi\[3\] = -0.06 is negative: sampling variances must be > 0"):
        pool(Y, [0.04, 0.05, 0.03, -0.06])


def test_zero_variance():
    with pytest.raises(ValueError, match=r"vi\[0\] = 0.0 is zero: sampling variances must be > 0"):
        pool(Y, [0.0, 0.05, 0.03, 0.06])


def test_events_above_totals():
    with pytest.raises(ValueError, match=r"events_c\[1\] = 12 exceeds n_c\[1\] = 10"):
        binary_effects([1, 2], [10, 10], [1, 12], [10, 10])


def test_negative_counts():
    with pytest.raises(ValueError, match=r"events_t\[0\] = -1.0 is negative: counts must be >= 0"):
        binary_effects([-1, 2], [10, 10], [1, 2], [10, 10])


def test_non_integer_counts():
    with pytest.raises(ValueError, match=r"n_t\[1\] = 10.5 is not a whole number"):
        mantel_haenszel([1, 2], [10, 10.5], [1, 2], [10, 10])


def test_zero_totals():
    with pytest.raises(ValueError, match=r"n_c\[0\] = 0: a group with no participants"):
        peto([0, 2], [10, 10], [0, 2], [0, 10])


def test_negative_sd():
    with pytest.raises(ValueError, match=r"sd_c\[1\] = -2.0 is negative: standard deviations must be >= 0"):
        continuous_effects([1, 2], [1, 1], [10, 10], [1, 2], [1, -2], [10, 10], measure="SMD")


def test_unknown_method():
    with pytest.raises(ValueError, match=r"unknown method 'EB'; valid values are 'FE', 'DL', 'REML'"):
        pool(Y, V, method="EB")


def test_unknown_measure():
    with pytest.raises(ValueError, match=r"unknown measure 'logOR'; valid values are 'OR', 'RR', 'RD', 'PETO'"):
        binary_effects([1], [10], [2], [10], measure="logOR")


def test_unknown_continuous_measure():
    with pytest.raises(ValueError, match=r"unknown measure 'SMDH'; valid values are 'MD', 'SMD'"):
        continuous_effects([1], [1], [10], [2], [1], [10], measure="SMDH")


def test_unknown_ci():
    with pytest.raises(ValueError, match=r"unknown ci 'knha'; valid values are 'z', 'hksj', 'hksj-adhoc'"):
        pool(Y, V, ci="knha")


def test_unknown_prediction_interval():
    with pytest.raises(ValueError, match=r"unknown pi 't'; valid values are 'metafor', 'higgins'"):
        pool(Y, V, pi="t")


def test_k_zero():
    with pytest.raises(ValueError, match=r"yi is empty \(k = 0\)"):
        pool([], [])


def test_k_zero_counts():
    with pytest.raises(ValueError, match=r"events_t is empty \(k = 0\)"):
        binary_effects([], [], [], [])


@pytest.mark.parametrize("level", [0, 1, 95, -0.1, "high"])
def test_level_outside_unit_interval(level):
    with pytest.raises(ValueError, match=r"level must be .*between 0 and 1"):
        pool(Y, V, level=level)


def test_level_given_in_percent_gets_a_hint():
    with pytest.raises(ValueError, match=r"use 0.95, not 95"):
        pool(Y, V, level=95)


def test_two_dimensional_yi_for_pool():
    with pytest.raises(ValueError, match=r"yi must be one-dimensional"):
        pool([[0.1, 0.2]], [[0.1, 0.2]])


def test_non_numeric_yi():
    with pytest.raises(ValueError, match=r"yi must be a sequence of numbers"):
        pool(["a", "b"], [0.1, 0.2])


def test_pool_many_padding_mismatch():
    Y2 = np.array([[0.1, 0.2, np.nan], [0.3, 0.1, 0.2]])
    V2 = np.array([[0.1, np.nan, np.nan], [0.1, 0.1, 0.1]])
    with pytest.raises(ValueError, match=r"YI\[row 0, column 1\] = 0.2 but VI\[row 0, column 1\] = nan"):
        pool_many(Y2, V2)


def test_pool_many_row_without_studies():
    Y2 = np.array([[0.1, 0.2], [np.nan, np.nan]])
    with pytest.raises(ValueError, match=r"row 1 of YI has no study \(k = 0\)"):
        pool_many(Y2, np.abs(Y2))


def test_pool_many_negative_variance():
    with pytest.raises(ValueError, match=r"VI\[row 1, column 0\] = -0.1 is negative"):
        pool_many([[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [-0.1, 0.2]])


def test_pool_many_needs_2d():
    with pytest.raises(ValueError, match=r"YI must be two-dimensional"):
        pool_many(Y, V)


def test_smd_with_zero_pooled_sd():
    with pytest.raises(ValueError, match=r"study 0: the pooled SD is 0"):
        continuous_effects([1.0], [0.0], [10], [2.0], [0.0], [10], measure="SMD")


def test_egger_needs_three_studies():
    with pytest.raises(ValueError, match=r"needs k >= 3 studies.*got k = 2"):
        egger_test(Y[:2], V[:2])


def test_egger_sample_size_predictor_needs_ni():
    with pytest.raises(ValueError, match=r"predictor 'ninv' needs the total sample sizes ni"):
        egger_test(Y, V, predictor="ninv")


def test_tau2_confint_needs_two_studies():
    with pytest.raises(ValueError, match=r"needs k >= 2 studies; got k = 1"):
        tau2_confint([0.1], [0.1])


def test_tau2_confint_rejects_common_effect():
    with pytest.raises(ValueError, match=r"random-effects method"):
        tau2_confint(Y, V, method="FE")


def test_leave_one_out_needs_two_studies():
    with pytest.raises(ValueError, match=r"leave-one-out needs k >= 2"):
        leave_one_out([0.1], [0.1])


def test_subgroups_need_two_groups_and_matching_labels():
    with pytest.raises(ValueError, match=r"at least 2 subgroups"):
        subgroup_analysis(Y, V, ["a"] * 4)
    with pytest.raises(ValueError, match=r"groups has 3 labels but there are 4 studies"):
        subgroup_analysis(Y, V, ["a", "b", "a"])


def test_combine_arms_events_above_totals():
    with pytest.raises(ValueError, match=r"events\[1\] = 30 exceeds n\[1\] = 20"):
        combine_arms([20, 20], events=[3, 30])


def test_negative_continuity_correction():
    with pytest.raises(ValueError, match=r"add must be a finite number >= 0"):
        binary_effects([0], [10], [1], [10], add=-0.5)
