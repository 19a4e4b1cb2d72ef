"""jakmeta.stats._validate: every check names the argument and the position (index, or row and
column for 2-D input) of the first bad value, says what is wrong and what would be valid.

(End-to-end messages through pool, binary_effects, ... are in tests/test_bad_input.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from jakmeta.stats import _validate


def test_fmt_shows_numbers_as_typed_not_as_numpy_reprs():
    assert _validate._fmt(np.float64(0.5)) == "0.5"
    assert _validate._fmt(float("nan")) == "nan"
    assert _validate._fmt("abc") == "'abc'"


@pytest.mark.parametrize(("values", "message"), [
    ("0.1, 0.2", r"yi must be a sequence of numbers, not text; got '0.1, 0.2'"),
    ([0.1, "0.2"], r"yi\[1\] = '0.2': yi must be a sequence of numbers, not text"),
    ([0.1, True], r"yi\[1\] = True: yi must be a sequence of numbers, not booleans"),
    (np.array([True, False]), r"not booleans \(True/False\)"),
    (np.array(["1.0", "2.0"]), r"not text; got np.str_\('1.0'\)|not text; got '1.0'"),
    (np.array([0.1, "x"], dtype=object), r"yi\[1\] = 'x': yi must be a sequence of numbers, not text"),
])
def test_text_and_booleans_are_refused_where_they_are(values, message):
    with pytest.raises(ValueError, match=message):
        _validate.as_vector("yi", values)


def test_nested_lists_name_row_and_column():
    with pytest.raises(ValueError, match=r"YI\[row 1, column 0\] = 'a'"):
        _validate.as_matrix("YI", [[0.1, 0.2], ["a", 0.3]])


def test_shapes():
    assert _validate.as_vector("yi", (1, 2, 3)).dtype == np.float64
    with pytest.raises(ValueError, match=r"yi must be one-dimensional \(one value per study\); got shape \(2, 2\)"):
        _validate.as_vector("yi", [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"YI must be two-dimensional .*got shape \(3,\)"):
        _validate.as_matrix("YI", [1, 2, 3])
    with pytest.raises(ValueError, match="inputs must have the same length .*yi has 2, vi has 3"):
        _validate.same_length(yi=np.zeros(2), vi=np.zeros(3))
    assert _validate.same_length(a=np.zeros(4), b=np.ones(4)) == 4


def test_finite_positive_nonnegative_name_the_first_bad_value():
    with pytest.raises(ValueError, match=r"vi\[2\] = nan: values must be finite"):
        _validate.finite("vi", np.array([0.1, 0.2, np.nan, np.inf]))
    with pytest.raises(ValueError, match=r"VI\[row 1, column 0\] = inf"):
        _validate.finite("VI", np.array([[0.1, 0.2], [np.inf, 0.3]]))
    with pytest.raises(ValueError, match=r"vi\[1\] = 0.0 is zero: sampling variances must be > 0"):
        _validate.positive("vi", np.array([0.1, 0.0, -1.0]))
    with pytest.raises(ValueError, match=r"vi\[0\] = -1.0 is negative: sampling variances must be > 0"):
        _validate.positive("vi", np.array([-1.0, 0.0]))
    with pytest.raises(ValueError, match=r"sd_t\[1\] = -2.0 is negative: standard deviations must be >= 0"):
        _validate.nonnegative("sd_t", np.array([1.0, -2.0]), "standard deviations")
    _validate.nonnegative("sd_t", np.array([0.0, 2.0]), "standard deviations")  # 0 is allowed


def test_counts_and_totals():
    assert _validate.counts("events", [0, 3, 5.0]).tolist() == [0.0, 3.0, 5.0]
    with pytest.raises(ValueError, match=r"events\[1\] = 2.5 is not a whole number: counts must be integers"):
        _validate.counts("events", [1, 2.5])
    with pytest.raises(ValueError, match=r"events\[0\] = -1.0 is negative: counts must be >= 0"):
        _validate.counts("events", [-1, 2])
    with pytest.raises(ValueError, match=r"n_t\[1\] = 0: a group with no participants cannot be analysed"):
        _validate.totals("n_t", [10, 0])
    with pytest.raises(ValueError, match=r"events_t\[1\] = 12 exceeds n_t\[1\] = 10: events must be between 0"):
        _validate.events_within_totals("events_t", np.array([1.0, 12.0]), "n_t", np.array([10.0, 10.0]))


def test_choice_lists_the_valid_values():
    assert _validate.choice("method", "REML", ("DL", "REML")) == "REML"
    with pytest.raises(ValueError, match=r"unknown method 'reml'; valid values are 'DL', 'REML'"):
        _validate.choice("method", "reml", ("DL", "REML"))
    with pytest.raises(ValueError, match=r"unknown method None"):
        _validate.choice("method", None, ("DL",))


def test_level_is_a_proportion_with_a_hint_for_percentages():
    assert _validate.level("0.9") == 0.9
    with pytest.raises(ValueError, match=r"got 95 \(use 0.95, not 95\)"):
        _validate.level(95)
    with pytest.raises(ValueError, match=r"strictly between 0 and 1 \(e.g. 0.95\); got 1$"):
        _validate.level(1)
    with pytest.raises(ValueError, match=r"level must be a number .*got 'high'"):
        _validate.level("high")


def test_yi_vi_returns_clean_arrays_and_refuses_k_zero():
    y, v = _validate.yi_vi([0.1, -0.2], (0.04, 0.05))
    assert y.dtype == v.dtype == np.float64 and y.tolist() == [0.1, -0.2]
    with pytest.raises(ValueError, match=r"yi is empty \(k = 0\)"):
        _validate.yi_vi([], [])


def test_yi_vi_rows_checks_the_padding_and_returns_the_mask():
    y, v, mask = _validate.yi_vi_rows([[0.1, np.nan], [0.2, 0.3]], [[0.04, np.nan], [0.05, 0.06]])
    assert mask.tolist() == [[True, False], [True, True]]
    with pytest.raises(ValueError, match=r"YI\[row 0, column 1\] = nan but VI\[row 0, column 1\] = 0.05: padding must be NaN"):
        _validate.yi_vi_rows([[0.1, np.nan]], [[0.04, 0.05]])
    with pytest.raises(ValueError, match=r"row 1 of YI has no study \(k = 0\)"):
        _validate.yi_vi_rows([[0.1], [np.nan]], [[0.04], [np.nan]])
    with pytest.raises(ValueError, match=r"VI\[row 0, column 1\] = 0.0 is zero"):
        _validate.yi_vi_rows([[0.1, 0.2]], [[0.04, 0.0]])
    with pytest.raises(ValueError, match=r"YI and VI must have the same shape; got \(1, 2\) and \(2, 1\)"):
        _validate.yi_vi_rows([[0.1, 0.2]], [[0.04], [0.05]])
    with pytest.raises(ValueError, match=r"YI\[row 0, column 0\] = inf: values must be finite"):
        _validate.yi_vi_rows([[np.inf]], [[0.04]])
