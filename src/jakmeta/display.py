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
from pathlib import Path

import numpy as np
import pandas as pd

#: Column labels for the snake_case names used across the package (Cochrane Handbook vocabulary).
#: Used when ``show_table`` is given no label for a column.
DEFAULT_LABELS: dict[str, str] = {
    "study_id": "Trial", "trial_name": "Trial", "trial": "Trial", "study": "Trial",
    "arm_id": "Arm", "arm": "Arm", "label": "Arm", "comparison": "Comparison",
    "outcome": "Outcome", "outcome_label": "Outcome", "measure": "Measure", "method": "Method",
    "estimate": "Estimate", "effect": "Effect",
    "ci_low": "95% CI lower", "ci_high": "95% CI upper",
    "pi_low": "95% PI lower", "pi_high": "95% PI upper",
    "ci": "95% CI", "pi": "95% PI",
    "k": "Trials (k)", "n_studies": "Trials", "n_trials": "Trials", "studies": "Trials",
    "n_participants": "Participants", "participants": "Participants", "n_total": "Participants",
    "n_randomised": "Randomised",
    "events_t": "Events (JAK inhibitor)", "total_t": "Total (JAK inhibitor)", "n_t": "N (JAK inhibitor)",
    "events_c": "Events (placebo)", "total_c": "Total (placebo)", "n_c": "N (placebo)",
    "mean_t": "Mean (JAK inhibitor)", "sd_t": "SD (JAK inhibitor)",
    "mean_c": "Mean (placebo)", "sd_c": "SD (placebo)",
    "events": "Events", "total": "Total", "n": "N", "mean": "Mean", "sd": "SD", "se": "SE",
    "yi": "Effect size (analysis scale)", "vi": "Variance", "sei": "SE",
    "weight": "Weight (%)", "weights": "Weight (%)",
    "tau2": "τ²", "tau": "τ", "i2": "I² (%)", "h2": "H²", "q": "Q", "q_df": "Q df",
    "q_pvalue": "p (Q)", "p_value": "p", "pvalue": "p", "p": "p", "z": "z",
    "timepoint_weeks": "Week", "primary_timepoint_weeks": "Primary time point (weeks)", "week": "Week",
    "drug": "Drug", "dose": "Dose", "route": "Route", "phase": "Phase", "role": "Role",
    "registry_id": "Registry", "design": "Design", "eligibility": "Eligibility",
    "in_liu2023": "In Liu 2023", "population": "Analysis population", "analysis_use": "Used in analysis",
    "reported_percent": "Reported (%)", "status": "Status", "source": "Source", "locator": "Where found",
    "where_we_looked": "Where we looked", "derivation": "Derivation", "note": "Note", "notes": "Notes",
    "reason": "Reason", "domain": "Domain", "judgement": "Judgement", "certainty": "Certainty",
    "comment": "Comment", "comments": "Comments", "footnote": "Footnote", "value": "Value",
    "decision": "Decision", "characteristic": "Characteristic", "outcome_scope": "Outcomes",
    "published": "Published", "ours": "Ours", "difference": "Difference",
    "rule": "Rule", "multiarm": "Multi-arm rule", "ci_method": "CI method", "tau2_method": "τ² method",
    "source_type": "Kind of source", "overall": "Overall",
    # RoB 2 domains (data/risk_of_bias.csv)
    "D1_randomisation": "D1 Randomisation", "D2_deviations": "D2 Deviations from interventions",
    "D3_missing_data": "D3 Missing outcome data", "D4_measurement": "D4 Outcome measurement",
    "D5_selection": "D5 Selection of the reported result",
}

#: RoB 2 judgements as written in data/risk_of_bias.csv, and as a reader reads them.
ROB_JUDGEMENTS = {"low": "Low", "some_concerns": "Some concerns", "high": "High", "not_assessed": "No information read by us"}

#: Words that keep a fixed spelling when a label is derived from a snake_case name.
_TOKENS = {
    "ci": "CI", "pi": "PI", "sd": "SD", "se": "SE", "or": "OR", "rr": "RR", "rd": "RD", "md": "MD",
    "smd": "SMD", "n": "N", "i2": "I²", "tau2": "τ²", "tau": "τ", "salt": "SALT", "ae": "AE",
    "jak": "JAK", "grade": "GRADE", "rob": "RoB", "id": "ID", "hksj": "HKSJ", "dl": "DL",
    "reml": "REML", "pm": "PM", "mh": "MH", "liu2023": "Liu 2023", "pct": "%", "pvalue": "p",
    "cfb": "change from baseline", "pcfb": "percent change from baseline",
}
_ARM_SUFFIX = {"t": "(JAK inhibitor)", "c": "(placebo)"}
_MISSING_TEXT = {"", "nan", "NaN", "<NA>", "None", "NaT", "none"}


def column_label(name) -> str:
    """The human label of a column: :data:`DEFAULT_LABELS`, else its snake_case words in sentence
    case (``ci_low_or`` -> ``CI low OR``; a trailing ``_t``/``_c`` names the arm)."""
    if isinstance(name, tuple):
        return " · ".join(column_label(part) for part in name if str(part) != "")
    key = str(name)
    if key in DEFAULT_LABELS:
        return DEFAULT_LABELS[key]
    if not re.fullmatch(r"[a-z0-9_]+", key):
        return key  # already a label (has capitals, spaces or symbols)
    words = [w for w in key.split("_") if w]
    if not words:
        return key
    suffix = _ARM_SUFFIX.get(words[-1]) if len(words) > 1 else None
    if suffix:
        words = words[:-1]
    out = [_TOKENS.get(w, w) for w in words]
    if out[0] == words[0]:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out + ([suffix] if suffix else []))


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


_ASCII_SIGNS = re.compile(r"\s*(<=|>=)\s*")


def reader_signs(text: str) -> str:
    """ASCII comparison signs as a reader writes them: ``SALT>=50`` -> ``SALT ≥ 50``, ``<=`` -> ``≤``
    (the data keep the ASCII form their sources and rules use)."""
    return _ASCII_SIGNS.sub(lambda m: " ≤ " if m.group(1) == "<=" else " ≥ ", text)


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


def trial_names(studies: pd.DataFrame) -> dict[str, str]:
    """``study_id`` -> ``trial_name`` from ``data/studies.csv`` (``DataPackage.studies``)."""
    return dict(zip(studies["study_id"], studies["trial_name"], strict=True))


def relabel(df: pd.DataFrame, studies: pd.DataFrame | Mapping[str, str] | None = None,
            columns: tuple[str, ...] = ("study_id", "outcome"),
            references: Mapping[str, str] | None = None,
            reference_columns: tuple[str, ...] = ("source", "published_source"),
            arms: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of ``df`` with codes in cells replaced by what a reader knows: ``study_id`` by the
    trial name (``studies`` is ``DataPackage.studies`` or a mapping), ``arm_id`` by the arm's
    label (``arms`` is ``DataPackage.arms``; needs a ``study_id`` column), ``outcome`` by
    :data:`jakmeta.analysis.OUTCOME_LABELS` (other snake_case codes in words: ``ae_acne`` ->
    ``AE acne``), RoB 2 judgements (``some_concerns`` -> ``Some concerns``) in a ``judgement``,
    ``overall`` or domain column, and, given ``references`` (e.g. :func:`reference_labels`),
    citation keys in the ``reference_columns`` by author and year. Unknown codes stay as they are."""
    from jakmeta.analysis import OUTCOME_LABELS

    out = df.copy()
    if arms is not None and {"arm_id", "study_id"} <= set(out.columns):
        arm_labels = {(a.study_id, a.arm_id): a.label for a in arms.itertuples()}
        out["arm_id"] = [arm_labels.get((sid, aid), aid) for sid, aid in zip(out["study_id"], out["arm_id"], strict=True)]
    for column in out.columns:
        if column in ("judgement", "overall") or str(column).startswith(("D1_", "D2_", "D3_", "D4_", "D5_")):
            out[column] = out[column].map(lambda j: ROB_JUDGEMENTS.get(j, j) if isinstance(j, str) else j)
    if "study_id" in columns and "study_id" in out.columns and studies is not None:
        names = trial_names(studies) if isinstance(studies, pd.DataFrame) else dict(studies)
        out["study_id"] = out["study_id"].map(lambda s: names.get(s, s))
    if "outcome" in columns and "outcome" in out.columns:
        out["outcome"] = out["outcome"].map(
            lambda o: OUTCOME_LABELS.get(o, column_label(o) if isinstance(o, str) else o))
    if references:
        for column in reference_columns:
            if column in out.columns:
                out[column] = out[column].map(lambda k: references.get(k, k) if isinstance(k, str) else k)
    return out


_BIB_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.DOTALL)
_BIB_FIELD = re.compile(r"\b(author|year|journal|title|publisher|organization|institution|howpublished)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", re.IGNORECASE)


def reference_labels(bib_path: str | Path | None = None) -> dict[str, str]:
    """Citation key -> a label a reader knows, from a BibTeX file: ``Mao et al. 2023`` (first
    author's surname; "et al." for three or more authors), or ``journal year`` when no author is
    recorded. ``bib_path`` defaults to the project's ``references.bib`` (beside ``data/``), so the
    chapters find it wherever they are executed."""
    if bib_path is None:
        from jakmeta.data import default_data_dir

        bib_path = default_data_dir().parent / "references.bib"
    labels = {}
    for match in _BIB_ENTRY.finditer(Path(bib_path).read_text(encoding="utf-8")):
        key, body = match.group(2), match.group(3)
        raw = {name.lower(): value for name, value in _BIB_FIELD.findall(body)}
        fields = {name: _latex_to_text(value) for name, value in raw.items()}
        year = fields.get("year", "")
        # an author in its own braces ({Pfizer Inc.}) is an organisation: its whole name is kept
        raw_authors = _split_authors(raw.get("author", ""))
        organisations = {_latex_to_text(a) for a in raw_authors if a.startswith("{") and a.endswith("}")}
        authors = [_latex_to_text(a) for a in raw_authors]
        if authors and authors[-1].lower() == "others":
            authors = authors[:-1] + ["", ""]  # "and others": et al.
        if authors:
            surnames = [a if a in organisations else a.split(",")[0].strip() if "," in a
                        else (a.split() or [""])[-1] for a in authors]
            who = (surnames[0] if len(surnames) == 1 else f"{surnames[0]} and {surnames[1]}"
                   if len(surnames) == 2 else f"{surnames[0]} et al.")
        else:
            who = next((fields[f] for f in ("journal", "organization", "institution", "publisher", "howpublished")
                        if fields.get(f)), None)
            if who is None:
                title = fields.get("title", key)
                who = title if len(title) <= 50 else title[:48].rsplit(" ", 1)[0] + " …"
        labels[key] = f"{who} {year}".strip()
    return labels


def _split_authors(field: str) -> list[str]:
    """BibTeX author list split at the top-level " and " only (not inside braces, so that
    ``{Eli Lilly and Company} and {Incyte}`` is two authors)."""
    authors, depth, start, i = [], 0, 0, 0
    while i < len(field):
        ch = field[i]
        depth += (ch == "{") - (ch == "}")
        if depth == 0 and field[i:i + 5].lower() == " and ":
            authors.append(field[start:i])
            start = i = i + 5
            continue
        i += 1
    authors.append(field[start:])
    return [a.strip() for a in authors if a.strip()]


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327"}


def _latex_to_text(value: str) -> str:
    """BibTeX field text without braces, with accents (``R\\"over`` -> ``Röver``) as Unicode."""
    import unicodedata

    value = re.sub(r"\\([\"'`^~c])\s*\{?\s*([A-Za-z])\}?",
                   lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]), value)
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
