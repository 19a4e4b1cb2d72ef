"""jakmeta.review.wording: words from numbers (direction, times, orders of magnitude, p values,
effect categories)."""

from __future__ import annotations

import pytest

from jakmeta.review import wording


def test_direction_needs_the_interval_to_exclude_the_null():
    assert wording.direction(0.1, 2.0, 0.0) == "increase"
    assert wording.direction(-2.0, -0.1, 0.0) == "reduction"
    assert wording.direction(-0.1, 2.0, 0.0) == "no clear difference"
    assert wording.direction(-10, 20, 0.0, threshold=50) == "little to no difference"
    assert wording.direction(-10, 80, 0.0, threshold=50) == "no clear difference"


@pytest.mark.parametrize(("ratio", "words"), [(9.4, "about 9 times"), (13.76, "about 14 times"),
                                              (267, "about 300 times"), (1.4, "about 40 % higher"),
                                              (0.67, "about 33 % lower")])
def test_times(ratio, words):
    assert wording.times(ratio) == words


@pytest.mark.parametrize(("ratio", "words"), [(865, "three orders of magnitude"), (95, "two orders of magnitude"),
                                              (2.5, "less than one order of magnitude"),
                                              (12, "one order of magnitude")])
def test_orders_of_magnitude(ratio, words):
    assert wording.orders_of_magnitude(ratio) == words


def test_compare_widths_and_bad_input():
    assert wording.compare_widths(1.0, 12.0) == "about 12 times as wide as"
    assert wording.compare_widths(1.0, 1.4) == "about 40 % wider than"
    assert wording.compare_widths(1.0, 0.7) == "about 30 % narrower than"
    assert wording.compare_widths(1.0, 1.001) == "about as wide as"
    with pytest.raises(ValueError, match="positive"):
        wording.times(0)


def test_effect_category_uses_the_point_estimate_against_the_threshold():
    assert wording.effect_category(197, 0, 50) == "increase"
    assert wording.effect_category(-8, 0, 10) == "little to no difference"
    assert wording.effect_category(-22.7, 0, 10) == "reduction"


def test_spell_excludes_null_more_or_fewer_and_verb():
    assert [wording.spell(n) for n in (0, 3, 10, 11, 1500)] == ["zero", "three", "ten", "11", "1,500"]
    assert wording.excludes_null(1.2, 3.0, 1.0) and wording.excludes_null(0.2, 0.9, 1.0)
    assert not wording.excludes_null(0.8, 1.0, 1.0)  # touching the null is not excluding it
    assert wording.more_or_fewer(12.4) == "12 more" and wording.more_or_fewer(-3.6) == "4 fewer"
    assert wording.verb("increase") == "increased"
    assert wording.verb("no clear difference") == "showed no clear difference in"
    with pytest.raises(KeyError):
        wording.verb("big")


@pytest.mark.parametrize(("p", "value", "text"), [
    (0.0004, "< 0.001", "p < 0.001"), (0.001, "0.001", "p = 0.001"), (0.0042, "0.004", "p = 0.004"),
    (0.0099, "0.010", "p = 0.010"), (0.01, "0.01", "p = 0.01"), (0.0912, "0.09", "p = 0.09"),
    (1.0, "1.00", "p = 1.00"), (float("nan"), "not estimable", "p not estimable"),
    (None, "not estimable", "p not estimable"),
])
def test_p_values_are_never_printed_as_zero(p, value, text):
    assert wording.p_value(p) == value
    assert wording.p_text(p) == text


def test_orders_of_magnitude_and_times_refuse_what_is_not_a_ratio():
    for bad in (0.0, -2.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="ratio must be a positive finite number"):
            wording.orders_of_magnitude(bad)
        with pytest.raises(ValueError, match="ratio must be a positive finite number"):
            wording.times(bad)
    assert wording.orders_of_magnitude(0.001) == "three orders of magnitude"  # the size, not the sign
    assert wording.times(26) == "about 30 times" and wording.times(2.0) == "about 2 times"


@pytest.mark.parametrize("ratio, words", [(2.5, "about 3 times"), (25.0, "about 30 times"), (35.0, "about 40 times"),
                                          (150.0, "about 200 times"), (149.0, "about 100 times")])
def test_times_rounds_halves_up_as_a_reader_does(ratio, words):
    assert wording.times(ratio) == words  # round() and %g round halves to even (25 -> "about 20 times")
