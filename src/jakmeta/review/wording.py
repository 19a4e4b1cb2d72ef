"""Judgement words from numbers: which word may the book use for this result?

Every direction or size word in the book's prose ("increased", "about 9 times", "three orders of
magnitude") comes from one of these rules, applied to the numbers on the same page, so that the
words cannot contradict the tables (STYLE.md, "What the reader sees"). The rules:

direction (:func:`direction`)
    "increase" / "reduction" only when the 95 % CI excludes no effect; "little to no difference"
    when the CI lies within ± the threshold of an important effect; otherwise "no clear
    difference" (the CI includes no effect and an important one).
ratio size (:func:`times`)
    "about N times" for a ratio of 2 or more (N rounded to the nearest whole number, or to 1
    significant figure from 20); "about N % higher/lower" below 2.
orders of magnitude (:func:`orders_of_magnitude`)
    log10 of a ratio (e.g. of an interval's upper to lower limit), rounded to the nearest whole
    number and spelled out; "less than one order of magnitude" below 0.5.
"""

from __future__ import annotations

import math

NUMBER_WORDS = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six",
                7: "seven", 8: "eight", 9: "nine", 10: "ten"}


def spell(n: int) -> str:
    """A whole number as a word up to ten, as digits above."""
    return NUMBER_WORDS.get(int(n), f"{int(n):,}")


def excludes_null(low: float, high: float, null: float) -> bool:
    """True when the interval [low, high] does not contain ``null``."""
    return low > null or high < null


def direction(low: float, high: float, null: float, threshold: float | None = None,
              higher: str = "increase", lower: str = "reduction") -> str:
    """The direction word for an interval on a scale where ``null`` is no effect.

    ``threshold`` (same scale, distance from ``null``) separates "little to no difference" from
    "no clear difference" when the interval contains the null."""
    if low > null:
        return higher
    if high < null:
        return lower
    if threshold is not None and null - threshold < low and high < null + threshold:
        return "little to no difference"
    return "no clear difference"


def effect_category(estimate: float, null: float, threshold: float,
                    higher: str = "increase", lower: str = "reduction") -> str:
    """The size category of a point estimate for GRADE's informative statements
    (:cite:`santesso2020`; Core GRADE 2, :cite:`guyatt2025coregrade2`: "the location of the point
    estimate of effect in relation to the chosen threshold determines the target"): beyond the
    threshold of an important effect -> ``higher``/``lower``; within it -> "little to no difference".
    With a threshold of 0 (any effect) the sign decides."""
    if estimate - null >= threshold and estimate > null:
        return higher
    if null - estimate >= threshold and estimate < null:
        return lower
    return "little to no difference"


def times(ratio: float) -> str:
    """'about 9 times', 'about 40 % higher', 'about 30 % lower' for a ratio (OR, RR, a width ratio)."""
    if not math.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive finite number, got {ratio}")
    if ratio >= 2:  # whole numbers below 20, one significant figure above; halves round up (25 -> 30)
        n = math.floor(ratio + 0.5) if ratio < 20 else _one_figure(ratio)
        return f"about {n:,} times"
    if ratio >= 1:
        return f"about {round(100 * (ratio - 1)):.0f} % higher"
    return f"about {round(100 * (1 - ratio)):.0f} % lower"


def _one_figure(x: float) -> int:
    """``x`` (≥ 1) to one significant figure, halves rounded up: 25 -> 30, 149 -> 100, 150 -> 200
    (Python's ``round`` and ``%g`` round halves to even: 25 -> 20)."""
    scale = 10 ** math.floor(math.log10(x))
    return int(math.floor(x / scale + 0.5) * scale)


def orders_of_magnitude(ratio: float) -> str:
    """'three orders of magnitude' for a ratio of about 1000 (log10 rounded to a whole number)."""
    if not math.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive finite number, got {ratio}")
    n = round(abs(math.log10(ratio)))
    if n == 0:
        return "less than one order of magnitude"
    return f"{spell(n)} order{'s' if n != 1 else ''} of magnitude"


def more_or_fewer(value: float) -> str:
    """'12 more' or '12 fewer' for a signed absolute difference per 1000 (0 decimals)."""
    return f"{abs(value):.0f} {'more' if value >= 0 else 'fewer'}"


def compare_widths(reference: float, other: float) -> str:
    """How wide ``other`` is relative to ``reference``: 'about 12 times as wide as',
    'about 40 % wider than', 'about 30 % narrower than', 'about as wide as' (rounded to 0 %)."""
    ratio = other / reference
    phrase = times(ratio)
    if ratio >= 2:
        return phrase + " as wide as"
    if phrase in ("about 0 % higher", "about 0 % lower"):
        return "about as wide as"
    return phrase.replace("higher", "wider than").replace("lower", "narrower than")


def verb(direction_word: str, subject_plural: bool = True) -> str:
    """'increased', 'reduced', 'made little to no difference to', 'had no clear effect on'."""
    return {"increase": "increased", "reduction": "reduced",
            "little to no difference": "made little to no difference to",
            "no clear difference": "showed no clear difference in"}[direction_word]


def p_value(p: float) -> str:
    """A p-value as the book prints it: "< 0.001" below 0.001, 3 decimals below 0.01, else 2
    decimals ("0.004", "0.09"), so that no p-value is printed as 0.00; "not estimable" when missing."""
    if p is None or not math.isfinite(p):
        return "not estimable"
    return "< 0.001" if p < 0.001 else f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def p_text(p: float) -> str:
    """'p < 0.001', 'p = 0.004', 'p = 0.09' (:func:`p_value`) for a sentence; 'p not estimable'."""
    text = p_value(p)
    return f"p {text}" if text[0] in "<n" else f"p = {text}"
