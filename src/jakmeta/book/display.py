"""How a table looks on a page of the book: the one table-rendering helper every chapter uses.

:func:`show_table` turns a :class:`pandas.DataFrame` into a table a reader of a journal would
recognise (labels in the header, no row index, consistent decimals, an em dash for a missing value,
numbers right-aligned, text left-aligned), wrapped in a box that scrolls horizontally when the
table is wider than the page. The result renders as HTML in a notebook (``_repr_html_``) and as
aligned plain text elsewhere (``__repr__``); both are deterministic (no random ids), so notebooks
stored with outputs compare equal under nbval.

:func:`relabel` replaces codes in cells (``study_id`` -> trial name, outcome code -> outcome label,
citation key -> "Author et al. year" via :func:`reference_labels`) before a table is shown.
"""

from __future__ import annotations

import datetime
import html
import math
import numbers
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from jakmeta.evidence.labels import column_label, reader_signs

_MISSING_TEXT = {"", "nan", "NaN", "<NA>", "None", "NaT", "none"}


def is_missing(value) -> bool:
    """True for None, NaN, pd.NA, NaT and the text forms pandas prints for them."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() in _MISSING_TEXT
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_)


def _is_integral(value) -> bool:
    return isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer())


#: Below this magnitude a number is shown as ``< 0.001`` (a reader gains nothing from 0.00000019).
SMALLEST_SHOWN = 0.001
#: Above this magnitude a non-integral number is shown as ``> 10,000`` (CI limits of sparse data can
#: run to 15487572347123.88, which no reader can use).
LARGEST_SHOWN = 10_000


def format_number(value, decimals: int = 2) -> str:
    """A number as a reader expects it: integers without ``.0``, floats to ``decimals`` places;
    a non-zero value that would round to 0 keeps two significant digits (``0.0031``), and below
    :data:`SMALLEST_SHOWN` reads ``< 0.001``; a non-integral value beyond :data:`LARGEST_SHOWN`
    reads ``> 10,000``; infinities as ``∞``."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v != 0 and abs(v) < SMALLEST_SHOWN:
        return f"< {SMALLEST_SHOWN:g}" if v > 0 else f"> −{SMALLEST_SHOWN:g}"
    if abs(v) > LARGEST_SHOWN and not v.is_integer():
        return f"> {LARGEST_SHOWN:,}" if v > 0 else f"< −{LARGEST_SHOWN:,}"
    text = f"{v:.{decimals}f}"
    if v != 0 and float(text) == 0:
        text = np.format_float_positional(v, precision=2, unique=False, fractional=False, trim="-")
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


#: Default decimals for columns whose name says what they hold (used when ``decimals`` says nothing).
DEFAULT_DECIMALS = {"i2": 0, "i2_ci_low": 0, "i2_ci_high": 0, "weight": 1, "weights": 1}
_P_COLUMNS = re.compile(r"(^|_)(p|pvalue|p_value)$")


def format_p(value: float) -> str:
    """A p-value: 3 decimals, ``< 0.001`` below that."""
    v = float(value)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _column_decimals(name, decimals) -> int | None:
    if isinstance(decimals, Mapping):
        value = decimals.get(name)
        if value is None and isinstance(name, tuple):
            value = decimals.get(name[-1])
        return value
    return decimals


class Table:
    """A formatted table: ``_repr_html_`` for notebooks and the book, ``__repr__`` as plain text.

    ``header`` holds the column labels, ``cells`` the formatted text of every cell (row-major),
    ``numeric`` per column whether it is right-aligned.
    """

    def __init__(self, header: list[str], cells: list[list[str]], numeric: list[bool],
                 caption: str | None = None):
        self.header, self.cells, self.numeric, self.caption = header, cells, numeric, caption

    def to_frame(self) -> pd.DataFrame:
        """The formatted cells as a DataFrame of strings (the labels as columns)."""
        return pd.DataFrame(self.cells, columns=self.header)

    #: Text columns whose longest cell has more characters than this get a minimum width
    #: (class ``jm-long``), so that on a narrow screen they scroll rather than shrink to a word a line.
    LONG_TEXT = 40

    def to_html(self) -> str:
        longest = [max((len(r[j]) for r in self.cells), default=0) for j in range(len(self.header))]

        def cell(tag: str, text: str, j: int) -> str:
            numeric = self.numeric[j]
            cls = "jm-num" if numeric else ("jm-text jm-long" if longest[j] > self.LONG_TEXT else "jm-text")
            align = "right" if numeric else "left"
            return f'<{tag} class="{cls}" style="text-align: {align};">{html.escape(text)}</{tag}>'

        lines = ['<div class="jm-table-scroll" style="overflow-x: auto; max-width: 100%;">',
                 '<table class="jm-table">']
        if self.caption:
            lines.append(f"<caption>{html.escape(self.caption)}</caption>")
        lines.append("<thead><tr>" + "".join(cell("th", h, j) for j, h in enumerate(self.header)) + "</tr></thead>")
        lines.append("<tbody>")
        for row in self.cells:
            lines.append("<tr>" + "".join(cell("td", c, j) for j, c in enumerate(row)) + "</tr>")
        lines.append("</tbody>")
        lines.append("</table>")
        lines.append("</div>")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_text(self) -> str:
        rows = [self.header, *self.cells]
        widths = [max(len(r[j]) for r in rows) for j in range(len(self.header))]

        def line(r):
            return "  ".join((c.rjust(w) if num else c.ljust(w))
                             for c, w, num in zip(r, widths, self.numeric, strict=True)).rstrip()

        out = ([self.caption] if self.caption else []) + [line(self.header)]
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(r) for r in self.cells)
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.to_text()

    def __str__(self) -> str:
        return self.to_text()

    def __len__(self) -> int:
        return len(self.cells)


def show_table(df, labels: dict[str, str] | None = None, decimals: dict[str, int] | int | None = None,
               missing: str = "—", caption: str | None = None, index: bool = False) -> Table:
    """Render ``df`` for a reader: no row index (unless ``index=True``), human column labels
    (``labels``, else :func:`column_label`), missing values as ``missing``, integers without
    ``.0``, floats to ``decimals`` places (an int for all columns, or a dict per column; default 2),
    numbers right-aligned, text left-aligned, inside a horizontally scrolling box.

    Returns a :class:`Table`; the last expression of a notebook cell displays it.
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"show_table expects a pandas DataFrame or Series, got {type(df).__name__}")
    if index:
        if all(n is None for n in df.index.names):
            df = df.rename_axis([""] * df.index.nlevels)
        df = df.reset_index()
    labels = dict(labels or {})
    header, columns, numeric = [], [], []
    for j, name in enumerate(df.columns):
        col = df.iloc[:, j]
        values = col.tolist()
        present = [v for v in values if not is_missing(v)]
        is_num = bool(present) and all(_is_number(v) for v in present)
        places = _column_decimals(name, decimals)
        explicit = isinstance(decimals, Mapping) and places is not None  # set for this column
        p_column = places is None and bool(_P_COLUMNS.search(str(name)))
        if places is None:
            places = DEFAULT_DECIMALS.get(str(name))
        nums = [v for v in present if _is_number(v)]
        all_int = bool(nums) and all(_is_integral(v) for v in nums) and (
            not explicit or pd.api.types.is_integer_dtype(col.dtype))
        texts = []
        for v in values:
            if is_missing(v):
                texts.append(missing)
            elif isinstance(v, bool | np.bool_):
                texts.append("yes" if v else "no")
            elif isinstance(v, datetime.date):  # dates as ISO 8601, without a midnight time
                stamp = pd.Timestamp(v)
                texts.append(stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(" "))
            elif all_int and _is_number(v):
                texts.append(str(int(v)))
            elif p_column and _is_number(v):
                texts.append(format_p(v))
            elif _is_number(v):
                texts.append(format_number(v, 2 if places is None else places))
            else:
                texts.append(reader_signs(str(v)))
        header.append(labels[name] if name in labels else column_label(name))
        columns.append(texts)
        numeric.append(is_num)
    # two columns must not read alike: a derived label that repeats gets its column name added
    repeated = {h for h in header if header.count(h) > 1}
    for j, name in enumerate(df.columns):
        if name not in labels and header[j] in repeated:
            header[j] = f"{header[j]} ({name})"
    cells = [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(df))]
    return Table(header, cells, numeric, caption)


class NumberedList:
    """A titled, numbered list (e.g. the places looked for a trial's values in the extraction log):
    ``_repr_html_`` for the book, plain text otherwise; long items (web addresses) may break."""

    def __init__(self, title: str, items: list[str]):
        self.title, self.items = title, list(items)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self.items)
        return (f'<div class="jm-list"><p class="jm-list-title">{html.escape(self.title)}</p>'
                f"<ol>{items}</ol></div>")

    def __repr__(self) -> str:
        return "\n".join([self.title] + [f"{i}. {item}" for i, item in enumerate(self.items, 1)])


