"""Input checks shared by :mod:`jakmeta.stats.effects`, :mod:`jakmeta.stats` and :mod:`jakmeta.stats.bias`.

Every check raises :class:`ValueError` with a message that says what is wrong, where (argument
name and index, or row and column for 2-D input) and what would be valid. The functions return
clean ``float64`` numpy arrays so that the numerical code never has to re-check its input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _fmt(value: object) -> str:
    """Format a number as a user would type it (numpy 2 reprs would show ``np.float64(...)``)."""
    try:
        return repr(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(value)


def _where(name: str, index: tuple[int, ...] | int) -> str:
    if isinstance(index, tuple) and len(index) == 2:
        return f"{name}[row {index[0]}, column {index[1]}]"
    if isinstance(index, tuple):
        index = index[0]
    return f"{name}[{index}]"


def _refuse_non_numbers(name: str, values: object) -> None:
    """Refuse text and booleans, which numpy would silently turn into numbers.

    "1" → 1.0 and True → 1.0: a column read as text or a mask passed by mistake must not be
    pooled.
    """
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of numbers, not text; got {values!r}")
    if isinstance(values, (list, tuple)):  # numpy would turn [0.1, True] into [0.1, 1.0]
        items = [(i, x) for i, x in enumerate(values)]
        nested = [((i, j), x) for i, row in items if isinstance(row, (list, tuple)) for j, x in enumerate(row)]
        for idx, item in items + nested:
            if isinstance(item, (str, bytes, bool, np.bool_)):
                kind = "booleans" if isinstance(item, (bool, np.bool_)) else "text"
                raise ValueError(f"{_where(name, idx)} = {item!r}: {name} must be a sequence of numbers, not {kind}")
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):
        return  # ragged input: the float conversion below reports it
    if raw.dtype.kind == "b":
        raise ValueError(f"{name} must be a sequence of numbers, not booleans (True/False); got {values!r}")
    if raw.dtype.kind in "USV":
        first = raw.ravel()[0] if raw.size else raw
        raise ValueError(
            f"{name} must be a sequence of numbers, not text; got {first!r} (convert the column with float() or "
            "pandas.to_numeric first)"
        )
    if raw.dtype.kind == "O":
        for pos, item in enumerate(raw.ravel()):
            if isinstance(item, (str, bytes, bool, np.bool_)):
                kind = "booleans" if isinstance(item, (bool, np.bool_)) else "text"
                idx = np.unravel_index(pos, raw.shape)
                where = _where(name, tuple(int(i) for i in idx))
                raise ValueError(f"{where} = {item!r}: {name} must be a sequence of numbers, not {kind}")


def _as_float_array(name: str, values: object, ndim: int, wrong_type: str, wrong_shape: str) -> np.ndarray:
    """Return ``values`` as a float array of ``ndim`` dimensions, or raise ValueError.

    Text and booleans are refused although numpy would convert them; the messages say what was expected.
    """
    _refuse_non_numbers(name, values)
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(wrong_type.format(name=name, values=values, exc=exc)) from None
    if arr.ndim != ndim:
        raise ValueError(wrong_shape.format(name=name, shape=arr.shape))
    return arr


def as_vector(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a 1-D float array; raise ValueError if it is not numeric or not 1-D.

    Text ("1.2") and booleans are refused although numpy would convert them.
    """
    return _as_float_array(name, values, 1, "{name} must be a sequence of numbers; got {values!r} ({exc})",
                           "{name} must be one-dimensional (one value per study); got shape {shape}")


def as_matrix(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a 2-D float array (one meta-analysis per row); text and booleans are refused."""
    return _as_float_array(name, values, 2, "{name} must be a 2-D array of numbers; got {exc}",
                           "{name} must be two-dimensional (one meta-analysis per row, NaN-padded); "
                           "got shape {shape}")


def same_length(**arrays: np.ndarray) -> int:
    """Check that all arrays have the same length and return it."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same length (one value per study): {shown}")
    return next(iter(lengths.values()))


def nonempty(name: str, arr: np.ndarray) -> None:
    """Raise if there is no study at all (k = 0)."""
    if arr.size == 0:
        raise ValueError(f"{name} is empty (k = 0): at least one study is needed")


def finite(name: str, arr: np.ndarray) -> None:
    """Raise at the first NaN or infinite value."""
    bad = np.flatnonzero(~np.isfinite(arr.ravel()))
    if bad.size:
        idx = np.unravel_index(bad[0], arr.shape)
        raise ValueError(
            f"{_where(name, tuple(int(i) for i in idx))} = {_fmt(arr[idx])}: values must be finite "
            "numbers (no NaN or inf); remove or impute missing studies before calling"
        )


def positive(name: str, arr: np.ndarray, what: str = "sampling variances") -> None:
    """Raise at the first value that is not strictly positive."""
    bad = np.flatnonzero(~(arr.ravel() > 0))
    if bad.size:
        idx = np.unravel_index(bad[0], arr.shape)
        value = arr[idx]
        kind = "zero" if value == 0 else "negative"
        raise ValueError(
            f"{_where(name, tuple(int(i) for i in idx))} = {_fmt(value)} is {kind}: {what} must be > 0"
        )


def nonnegative(name: str, arr: np.ndarray, what: str) -> None:
    """Raise at the first negative value."""
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] = {_fmt(arr[i])} is negative: {what} must be >= 0")


def counts(name: str, values: object) -> np.ndarray:
    """Return event/participant counts as floats after checking they are whole numbers >= 0."""
    arr = as_vector(name, values)
    finite(name, arr)
    nonnegative(name, arr, "counts")
    bad = np.flatnonzero(arr != np.round(arr))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] = {_fmt(arr[i])} is not a whole number: counts must be integers")
    return arr


def totals(name: str, values: object) -> np.ndarray:
    """Return group sizes after checking they are whole numbers > 0."""
    arr = counts(name, values)
    bad = np.flatnonzero(arr == 0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] = 0: a group with no participants cannot be analysed (need n > 0)")
    return arr


def events_within_totals(events_name: str, events: np.ndarray, totals_name: str, n: np.ndarray) -> None:
    """Raise where more events than participants are reported."""
    bad = np.flatnonzero(events > n)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{events_name}[{i}] = {events[i]:g} exceeds {totals_name}[{i}] = {n[i]:g}: "
            "events must be between 0 and the group size"
        )


def choice(name: str, value: object, options: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``options``; raise otherwise, listing the valid names."""
    if not isinstance(value, str) or value not in options:
        valid = ", ".join(repr(o) for o in options)
        raise ValueError(f"unknown {name} {value!r}; valid values are {valid}")
    return value


def level(value: object) -> float:
    """Return the confidence level after checking it lies strictly between 0 and 1."""
    try:
        lev = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"level must be a number strictly between 0 and 1 (e.g. 0.95); got {value!r}") from None
    if not 0.0 < lev < 1.0:
        hint = " (use 0.95, not 95)" if 1.0 < lev <= 100.0 else ""
        raise ValueError(f"level must be strictly between 0 and 1 (e.g. 0.95); got {value!r}{hint}")
    return lev


def yi_vi(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of effect sizes and sampling variances (1-D, same length, finite, vi > 0)."""
    y = as_vector("yi", yi)
    v = as_vector("vi", vi)
    same_length(yi=y, vi=v)
    nonempty("yi", y)
    finite("yi", y)
    finite("vi", v)
    positive("vi", v)
    return y, v


def yi_vi_rows(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate NaN-padded 2-D arrays (one meta-analysis per row); return (YI, VI, mask)."""
    y = as_matrix("YI", yi)
    v = as_matrix("VI", vi)
    if y.shape != v.shape:
        raise ValueError(f"YI and VI must have the same shape; got {y.shape} and {v.shape}")
    if y.size == 0:
        raise ValueError(f"YI is empty (shape {y.shape}): at least one row with one study is needed")
    nan_y, nan_v = np.isnan(y), np.isnan(v)
    differ = nan_y != nan_v
    if differ.any():
        r, c = (int(i) for i in np.argwhere(differ)[0])
        raise ValueError(
            f"YI[row {r}, column {c}] = {_fmt(y[r, c])} but VI[row {r}, column {c}] = {_fmt(v[r, c])}: "
            "padding must be NaN in both arrays at the same positions"
        )
    mask = ~nan_y
    empty = np.flatnonzero(~mask.any(axis=1))
    if empty.size:
        raise ValueError(f"row {int(empty[0])} of YI has no study (k = 0): every row needs at least one")
    for name, arr in (("YI", y), ("VI", v)):
        inf = np.isinf(arr)
        if inf.any():
            r, c = (int(i) for i in np.argwhere(inf)[0])
            raise ValueError(f"{name}[row {r}, column {c}] = {_fmt(arr[r, c])}: values must be finite")
    with np.errstate(invalid="ignore"):
        bad = ~(v > 0) & mask
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        kind = "zero" if v[r, c] == 0 else "negative"
        raise ValueError(f"VI[row {r}, column {c}] = {_fmt(v[r, c])} is {kind}: sampling variances must be > 0")
    return y, v, mask
