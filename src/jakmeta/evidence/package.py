"""Loading and validating the data package in ``data/``.

The package is a set of CSV files described by ``data/datapackage.json`` (a Frictionless Data
Package whose resources carry Table Schemas). :func:`validate_package` checks, in this order:

1. the descriptor itself: every resource has a name, a path and a schema whose fields, types,
   constraints, primary key and foreign keys are ones this module understands;
2. each file as a file (:func:`read_csv_file`): present, not empty, UTF-8 (a byte-order mark, as
   in Excel's "CSV UTF-8", is accepted, and so are CRLF line endings), comma-separated, every line
   with as many fields as the header, a header with each schema column exactly once, and at least
   one data row. Such a fault gets one message and the file is not checked further, and neither
   are the references to it, so that one bad file does not bury the report under hundreds of
   "unknown reference" lines;
3. the schema, driven entirely by ``datapackage.json`` (add a column or a constraint there and it
   is checked, with no code change): the types ``string``, ``integer``, ``number``, ``boolean``,
   ``date`` and ``any``; the constraints ``required``, ``unique``, ``enum``, ``minimum``,
   ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``, ``maxLength`` and
   ``pattern``; the primary key (a repeated key names both lines; an empty cell counts as a value
   of the key, as ``published.csv`` needs; a table without a primary key still may not repeat a
   whole row) and the foreign keys;
4. the rules of the extraction (:func:`check_rules`): events <= total, a total no larger than the
   arm's randomised size, SD > 0, a value present exactly when the status says one was found,
   a derivation written out for every derived value, derived values that reproduce from their
   inputs (a count from a printed percentage; an SD from an SE or a confidence interval), one row
   used by the analyses per arm x outcome x time point, a placebo and an active arm in every trial,
   and every ``source`` defined in ``references.bib``.

Every problem is reported as a :class:`Problem` naming the file as given (``other/arms.csv`` when
``other/`` is validated), the line in the file (the header is line 1) and the column, so that a
corrupted value is found at once; a cell with a schema problem gets no further rule messages.
:func:`load_package` returns the tables only when there is no problem, and raises
:class:`DataValidationError` otherwise: bad input gets a clear error, never a wrong number.

Why not the ``frictionless`` package (PyPI) for the validation itself? It was tried (frictionless
5.21 on this package, December 2026): it installs about 40 packages (pydantic, petl, typer, rich,
jsonschema, requests, ...) into an environment that must be pinned for Python 3.11-3.13, and its
messages were not clearer: rows are counted by "position" rather than by file line, a Latin-1 file is
silently accepted by guessing its encoding, an empty or header-only ``arms.csv`` gives hundreds of
foreign-key errors and no word about the file, a missing file is reported once per resource that
refers to it, and a duplicated row in a table without a primary key passes. So the book does not
*run* on it; the file-level checks here give one message per fault, in the words above. The package
is still a valid Frictionless data package for its users: ``tests/test_frictionless.py`` validates it
with frictionless (pinned in requirements.txt for the tests only), so that the two never disagree.

Outcome codes: a code is binary (events/total) when it is listed in :data:`BINARY_OUTCOMES` (which
includes ``regrowth75``, the Cochrane review's "hair regrowth >= 75 %") or named like those codes
(``salt<N>``, ``ae_*``), so a code added to the ``outcome`` enum of
``datapackage.json`` needs no change here; every other code is continuous (mean, SD, n).
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd
from scipy import stats

__all__ = [
    "BINARY_OUTCOMES",
    "CONTINUOUS_OUTCOMES",
    "CsvFile",
    "DataPackage",
    "DataValidationError",
    "Problem",
    "REQUIRED_RESOURCES",
    "SOURCE_TYPES",
    "check_rules",
    "default_data_dir",
    "is_binary_outcome",
    "load_package",
    "pooled_components",
    "read_csv_file",
    "resolve_pooled_arms",
    "validate_package",
    "worst_source_type",
]

_BINARY_CODE = re.compile(r"salt\d+(_\w+)?|ae_\w+")


class _BinaryCodes(frozenset):
    """A frozenset of outcome codes whose ``in`` also accepts any code named like them, so that a
    code added to ``datapackage.json`` is handled without a code change: ``salt<N>`` (participants
    reaching SALT <= N, or an N % improvement) and ``ae_*`` (participants with the event)."""

    def __contains__(self, code: object) -> bool:
        return frozenset.__contains__(self, code) or (isinstance(code, str) and bool(_BINARY_CODE.fullmatch(code)))


BINARY_OUTCOMES = _BinaryCodes(
    {"salt20", "salt10", "salt30", "salt50", "salt75", "salt90", "female", "ae_any",
     "ae_treatment_related", "ae_serious", "ae_discontinuation", "ae_acne", "ae_herpes_zoster",
     "ae_uri", "ae_headache", "ae_nasopharyngitis", "ae_cpk_increased", "ae_folliculitis",
     "ae_infection_serious", "regrowth75"}
)
CONTINUOUS_OUTCOMES = frozenset({"salt_cfb", "salt_pcfb", "baseline_salt", "age"})
VALUE_COLUMNS = ("events", "total", "reported_percent", "mean", "sd", "se", "ci_low", "ci_high", "n")


#: Source types of ``source_type`` (data/datapackage.json), most to least primary (GUIDE: registry,
#: publication and regulator values first, sponsor releases next, news only to corroborate).
SOURCE_TYPES = ("registry", "publication", "regulator", "sponsor", "conference", "secondary_review",
                "news", "blog")


def worst_source_type(types) -> str:
    """The least primary of ``types`` in the order of :data:`SOURCE_TYPES` (unknown types last)."""
    present = [str(t) for t in types if isinstance(t, str) and t]
    if not present:
        return ""
    rank = {t: i for i, t in enumerate(SOURCE_TYPES)}
    return max(present, key=lambda t: rank.get(t, len(rank)))


def is_binary_outcome(code: str) -> bool:
    """True for an outcome counted as events/total (see :data:`BINARY_OUTCOMES`)."""
    return code in BINARY_OUTCOMES


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is and what is wrong."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """Raised when the data package does not validate; carries the list of problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"the data package has {len(problems)} problem(s):\n{shown}{more}")


@dataclass(frozen=True)
class DataPackage:
    """The validated tables of the data package (typed pandas DataFrames).

    Resources that ``datapackage.json`` adds beyond the named ones are in ``other`` and are also
    reachable as attributes (``pkg.searches``)."""

    directory: Path
    studies: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    risk_of_bias: pd.DataFrame
    published: pd.DataFrame
    characteristics: pd.DataFrame
    contrasts: pd.DataFrame
    grade_judgements: pd.DataFrame
    screening: pd.DataFrame
    other: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        other = self.__dict__.get("other", {})
        if name in other:
            return other[name]
        raise AttributeError(f"the data package has no resource '{name}'")


#: The resources the analyses need (the table fields of :class:`DataPackage`).
REQUIRED_RESOURCES = tuple(f.name for f in fields(DataPackage) if f.name not in ("directory", "other"))


def default_data_dir() -> Path:
    """The ``data/`` folder: ``$JAKMETA_DATA`` if set, else the one beside ``src/``."""
    env = os.environ.get("JAKMETA_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "data"


def _shown_directory(directory: str | os.PathLike | None) -> tuple[Path, str]:
    """The folder to read, and how to name it in messages: as the user gave it, or, for the
    default folder, relative to the working directory when it lies below it."""
    if directory is not None:
        return Path(directory), str(Path(directory))
    path = default_data_dir()
    try:
        return path, str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path, str(path)


# --- the file as a file ------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvFile:
    """A CSV file read as text: the header, the data rows (lists of strings, blank lines dropped)
    and the line in the file at which each data row starts (the header is usually line 1)."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]


def _not_utf8(file: str, data: bytes, err: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, err.start) + 1
    start = max(data.rfind(b"\n", 0, err.start) + 1, err.start - 25)
    end = data.find(b"\n", err.start)
    end = min(len(data) if end < 0 else end, err.start + 25)
    context = data[start:end].decode("cp1252", errors="replace").strip()
    bad_lines = sum(1 for chunk in data.split(b"\n") if not _decodes(chunk))
    more = f"; {bad_lines} lines in all have such bytes" if bad_lines > 1 else ""
    return Problem(file, line, None,
                   f"not UTF-8 (byte 0x{data[err.start]:02X} in '{context}', read as "
                   f"Windows-1252{more}): save the file as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')")


def _decodes(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_csv_file(path: Path, file: str, problems: list[Problem]) -> CsvFile | None:
    """Read ``path`` as a UTF-8, comma-separated file with a header; append one :class:`Problem`
    (named ``file``) per file-level fault and return None when there is one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(file, None, None, "file is missing"))
        return None
    except IsADirectoryError:
        problems.append(Problem(file, None, None, "is a folder, not a CSV file"))
        return None
    except OSError as err:
        problems.append(Problem(file, None, None, f"file cannot be read ({err.strerror})"))
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(file, 1, None, "file is UTF-16 text, not UTF-8: save it as UTF-8 "
                                               "(in Excel: 'CSV UTF-8 (comma delimited)')"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problems.append(_not_utf8(file, data, err))
        return None
    if not text.strip():
        problems.append(Problem(file, None, None, "file is empty (no header row)"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if all(cell.strip() == "" for cell in record):
                continue  # a blank line, or a row of empty cells (Excel writes these)
            if header is None:
                header, header_line = record, line
            else:
                rows.append(record)
                lines.append(line)
    except csv.Error as err:
        problems.append(Problem(file, start, None, f"cannot be read as CSV: {err} (a value that starts with a "
                                                   "double quote must end with one before the next comma; a double "
                                                   "quote inside a value is written twice)"))
        return None
    if header is None:
        problems.append(Problem(file, None, None, "file is empty (no header row)"))
        return None
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        separator = "';'" if ";" in header[0] else "tabs"
        problems.append(Problem(file, header_line, None, f"the header uses {separator} between columns; "
                                                         "save the file with commas (CSV)"))
        return None
    seen: dict[str, int] = {}
    for k, name in enumerate(header, start=1):
        if name in seen:
            problems.append(Problem(file, header_line, name,
                                    f"column appears twice in the header (fields {seen[name]} and {k})"))
        seen.setdefault(name, k)
    ragged = [(line, len(row)) for line, row in zip(lines, rows, strict=True) if len(row) != len(header)]
    for line, count in ragged:
        hint = ("an unquoted comma inside a value? put such values in double quotes" if count > len(header)
                else "a missing comma, or a line break inside an unquoted value?")
        problems.append(Problem(file, line, None,
                                f"has {count} fields, expected {len(header)} as in the header ({hint})"))
    if len(seen) < len(header) or ragged:
        return None
    if not rows:
        problems.append(Problem(file, None, None, "file has no rows (only the header)"))
        return None
    return CsvFile(header, rows, lines)


# --- the schema --------------------------------------------------------------------------------

TYPES = ("string", "integer", "number", "boolean", "date", "any")
CONSTRAINTS = ("required", "unique", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
               "minLength", "maxLength", "pattern")
_TRUE_VALUES = ["true", "True", "TRUE", "1"]    # the Table Schema defaults
_FALSE_VALUES = ["false", "False", "FALSE", "0"]


def _convert(value: str | None, spec: dict) -> float | int | bool | str | None:
    """Convert one CSV cell to the field's type; empty -> None; raise ValueError when it does not parse."""
    if value is None or value.strip() == "":
        return None
    kind, text = spec.get("type", "string"), value.strip()
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"'{value}' is not an integer")
        return int(text)
    if kind == "number":
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            raise ValueError(f"'{value}' is not a number (use a decimal point, not a comma)")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"'{value}' is not a finite number")
        return number
    if kind == "boolean":
        true, false = spec.get("trueValues", _TRUE_VALUES), spec.get("falseValues", _FALSE_VALUES)
        if text in true or text in false:
            return text in true
        raise ValueError(f"'{value}' is not a boolean (use one of: {', '.join(true + false)})")
    if kind == "date":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a date (expected YYYY-MM-DD)") from None
        return text
    return value


def _key(value: object) -> str:
    """A cell as a comparable key: '' for a missing value."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _as_list(x: str | list[str]) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


@dataclass(frozen=True)
class _Where:
    """Where a table's rows are: its file as named in messages and each row's line."""

    file: str
    lines: tuple[int, ...] | None = None

    def line(self, i: int) -> int:
        return self.lines[i] if self.lines is not None else i + 2

    def problem(self, i: int, column: str | None, message: str) -> Problem:
        return Problem(self.file, self.line(i), column, message)


def _check_field(at: _Where, raw: pd.DataFrame, spec: dict, primary_key: list[str],
                 problems: list[Problem]) -> pd.Series:
    """Type-convert and constraint-check one column; return the converted column."""
    name, kind = spec["name"], spec.get("type", "string")
    constraints = spec.get("constraints", {})
    values: list[object] = []
    for i, cell in enumerate(raw[name].tolist()):
        try:
            value = _convert(cell, spec)
        except ValueError as err:
            problems.append(at.problem(i, name, str(err)))
            values.append(None)
            continue
        values.append(value)
        if value is None:
            if constraints.get("required"):
                problems.append(at.problem(i, name, "missing value (required)"))
            continue
        problems.extend(at.problem(i, name, message) for message in _violations(value, constraints))
    if constraints.get("unique") and primary_key != [name]:
        first: dict[str, int] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            if _key(value) in first:
                problems.append(at.problem(i, name, f"duplicate value '{value}' (must be unique; "
                                                    f"first on line {at.line(first[_key(value)])})"))
            first.setdefault(_key(value), i)
    if kind == "integer":
        return pd.array([v if v is not None else pd.NA for v in values], dtype="Int64")
    if kind == "number":
        return pd.Series([v if v is not None else math.nan for v in values], index=raw.index, dtype=float)
    if kind == "boolean":
        return pd.array([v if v is not None else pd.NA for v in values], dtype="boolean")
    return pd.Series(["" if v is None else v for v in values], index=raw.index, dtype=object)


def _violations(value: object, constraints: dict) -> list[str]:
    """The constraints a (converted, present) value breaks, as messages."""
    out = []
    if "enum" in constraints and value not in constraints["enum"]:
        out.append(f"'{value}' is not one of: {', '.join(map(str, constraints['enum']))}")
    if "minimum" in constraints and value < constraints["minimum"]:
        out.append(f"{value} is below the minimum {constraints['minimum']}")
    if "maximum" in constraints and value > constraints["maximum"]:
        out.append(f"{value} is above the maximum {constraints['maximum']}")
    if "exclusiveMinimum" in constraints and value <= constraints["exclusiveMinimum"]:
        out.append(f"{value} must be above {constraints['exclusiveMinimum']}")
    if "exclusiveMaximum" in constraints and value >= constraints["exclusiveMaximum"]:
        out.append(f"{value} must be below {constraints['exclusiveMaximum']}")
    if "minLength" in constraints and len(str(value)) < constraints["minLength"]:
        out.append(f"'{value}' is shorter than {constraints['minLength']} characters")
    if "maxLength" in constraints and len(str(value)) > constraints["maxLength"]:
        out.append(f"'{value}' is longer than {constraints['maxLength']} characters")
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], str(value)):
        out.append(f"'{value}' does not match {constraints['pattern']}")
    return out


def _repeated(columns: list[pd.Series | list]) -> list[tuple[int, int]]:
    """(row, earlier row) for each row whose values in ``columns`` repeat an earlier row's."""
    first: dict[tuple[str, ...], int] = {}
    out = []
    for i, key in enumerate(zip(*[[_key(v) for v in c] for c in columns], strict=True)):
        if key in first:
            out.append((i, first[key]))
        else:
            first[key] = i
    return out


def _read_resource(directory: Path, shown: str, resource: dict,
                   problems: list[Problem]) -> tuple[pd.DataFrame | None, _Where]:
    at = _Where(str(Path(shown) / resource["path"]))
    csv_file = read_csv_file(directory / resource["path"], at.file, problems)
    if csv_file is None:
        return None, at
    at = _Where(at.file, tuple(csv_file.lines))
    schema = resource["schema"]
    names = [f["name"] for f in schema["fields"]]
    missing = [n for n in names if n not in csv_file.header]
    descriptor = str(Path(shown) / "datapackage.json")
    for n in missing:
        problems.append(Problem(at.file, 1, n, f"column is missing from the header ({descriptor} lists it)"))
    for c in csv_file.header:
        if c not in names:
            close = difflib.get_close_matches(c, missing or names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(Problem(at.file, 1, c, f"column is not in the schema ({descriptor}){hint}"))
    if missing:
        return None, at
    raw = pd.DataFrame(csv_file.rows, columns=csv_file.header, dtype=object)
    primary_key = _as_list(schema.get("primaryKey", []))
    table = pd.DataFrame(index=raw.index)
    for spec in schema["fields"]:
        table[spec["name"]] = _check_field(at, raw, spec, primary_key, problems)
    whole_rows = [raw[c].tolist() for c in csv_file.header]
    identical = set(_repeated(whole_rows))
    if primary_key:
        for i, j in _repeated([table[k].tolist() for k in primary_key]):
            values = ", ".join(f"{k}={_key(table.at[i, k])}" for k in primary_key)
            same = "; the whole row is repeated" if (i, j) in identical else ""
            problems.append(at.problem(i, primary_key[-1],
                                       f"duplicate key ({values}), first on line {at.line(j)}{same}"))
    else:
        for i, j in identical:
            problems.append(at.problem(i, None, f"line {at.line(i)} repeats line {at.line(j)} exactly (duplicate row)"))
    return table, at


def _check_foreign_keys(resources: dict, tables: dict, where: dict[str, _Where], problems: list[Problem]) -> None:
    """Each foreign key of a table names an existing row; skipped when either table could not be
    read (its file-level problem is reported once, instead of once per referring row)."""
    for name, resource in resources.items():
        table = tables.get(name)
        if table is None:
            continue
        for fk in resource["schema"].get("foreignKeys", []):
            fields_ = _as_list(fk["fields"])
            ref_name = fk["reference"].get("resource") or name
            ref = tables.get(ref_name)
            if ref is None:
                continue
            ref_fields = _as_list(fk["reference"]["fields"])
            known = set(zip(*[[_key(v) for v in ref[f]] for f in ref_fields], strict=True))
            ref_file = Path(where[ref_name].file).name
            for i, key in enumerate(zip(*[[_key(v) for v in table[f]] for f in fields_], strict=True)):
                if "" in key or key in known:
                    continue
                what = ", ".join(f"{f}={v}" for f, v in zip(fields_, key, strict=True))
                problems.append(where[name].problem(
                    i, fields_[-1], f"unknown {ref_name} reference ({what}): no such row in {ref_file}"))


def _constraint_problems(spec: dict) -> list[str]:
    """What is wrong with a field's constraints (unknown names, values of the wrong kind)."""
    constraints = spec.get("constraints", {})
    if not isinstance(constraints, dict):
        return ["'constraints' must be an object"]
    kind = spec.get("type", "string")
    bounds_ok = {"integer": (int, float), "number": (int, float), "date": (str,)}.get(kind, ())
    out = []
    for c, value in constraints.items():
        if c not in CONSTRAINTS:
            out.append(f"constraint '{c}' is not supported (use one of: {', '.join(CONSTRAINTS)})")
        elif c in ("required", "unique") and not isinstance(value, bool):
            out.append(f"constraint '{c}' must be true or false")
        elif c == "enum" and not isinstance(value, list):
            out.append("constraint 'enum' must be a list")
        elif c in ("minLength", "maxLength") and (not isinstance(value, int) or isinstance(value, bool)):
            out.append(f"constraint '{c}' must be a whole number")
        elif c in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and (
                not isinstance(value, bounds_ok) or isinstance(value, bool)):
            out.append(f"constraint '{c}' = {value!r} does not suit a field of type '{kind}'")
        elif c == "pattern":
            try:
                re.compile(value)
            except (re.error, TypeError) as err:
                out.append(f"constraint 'pattern' is not a valid regular expression ({err})")
    return out


def _descriptor_problems(descriptor: object, file: str) -> list[Problem]:
    """Structural problems of ``datapackage.json`` that would stop the checks."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return [Problem(file, None, None, "needs a list of 'resources'")]
    problems: list[Problem] = []
    schemas: dict[str, list[str]] = {}
    with_keys: list[dict] = []
    for k, resource in enumerate(descriptor["resources"]):
        name = resource.get("name") if isinstance(resource, dict) else None
        label = f"resource {k + 1} ('{name}')" if name else f"resource {k + 1}"
        schema = resource.get("schema") if isinstance(resource, dict) else None
        if not name or not isinstance(name, str) or not isinstance(resource.get("path"), str):
            problems.append(Problem(file, None, None, f"{label} needs a 'name' and a 'path'"))
            continue
        if name in schemas:
            problems.append(Problem(file, None, None, f"{label}: the name '{name}' is used twice"))
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not all(
                isinstance(f, dict) and isinstance(f.get("name"), str) for f in schema["fields"]):
            problems.append(Problem(file, None, None, f"{label} needs a 'schema' with a list of 'fields', each with a 'name'"))
            continue
        names = [f["name"] for f in schema["fields"]]
        schemas[name] = names
        for k_field, spec in enumerate(schema["fields"]):
            if spec["name"] in names[:k_field]:
                problems.append(Problem(file, None, None, f"{label}: field '{spec['name']}' is defined twice"))
            if not isinstance(spec.get("type", "string"), str) or spec.get("type", "string") not in TYPES:
                problems.append(Problem(file, None, None, f"{label}, field '{spec['name']}': type '{spec.get('type')}' "
                                                          f"is not supported (use one of: {', '.join(TYPES)})"))
                continue
            problems.extend(Problem(file, None, None, f"{label}, field '{spec['name']}': {message}")
                            for message in _constraint_problems(spec))
            for values in ("trueValues", "falseValues"):
                if values in spec and not (isinstance(spec[values], list) and all(isinstance(v, str) for v in spec[values])):
                    problems.append(Problem(file, None, None, f"{label}, field '{spec['name']}': {values} must be "
                                                              "a list of strings"))
        key = schema.get("primaryKey", [])
        if not isinstance(key, (str, list)) or not all(isinstance(f, str) for f in _as_list(key)):
            problems.append(Problem(file, None, None, f"{label}: primaryKey must be a field name or a list of them"))
            continue
        for f in _as_list(key):
            if f not in names:
                problems.append(Problem(file, None, None, f"{label}: primaryKey field '{f}' is not a field"))
        foreign_keys = schema.get("foreignKeys", [])
        if not isinstance(foreign_keys, list) or not all(isinstance(fk, dict) for fk in foreign_keys):
            problems.append(Problem(file, None, None, f"{label}: foreignKeys must be a list of objects"))
        else:
            with_keys.append(resource)
    for resource in with_keys:
        name = resource["name"]
        for fk in resource["schema"].get("foreignKeys", []):
            try:
                fields_, ref = _as_list(fk["fields"]), fk["reference"]
                ref_name, ref_fields = ref.get("resource") or name, _as_list(ref["fields"])
                if not all(isinstance(f, str) for f in [ref_name, *fields_, *ref_fields]):
                    raise TypeError
            except (KeyError, TypeError, AttributeError):
                problems.append(Problem(file, None, None, f"resource '{name}': a foreignKey needs 'fields' and "
                                                          "a 'reference' with 'resource' and 'fields'"))
                continue
            bad = [f for f in fields_ if f not in schemas[name]]
            if ref_name not in schemas:
                problems.append(Problem(file, None, None, f"resource '{name}': foreignKey refers to resource "
                                                          f"'{ref_name}', which is not in the package"))
            else:
                bad += [f"{ref_name}.{f}" for f in ref_fields if f not in schemas[ref_name]]
            if bad or len(fields_) != len(ref_fields):
                problems.append(Problem(file, None, None, f"resource '{name}': foreignKey {fields_} -> "
                                                          f"{ref_name} {ref_fields} names unknown or unpaired fields"))
    return problems


# --- the rules of the extraction ---------------------------------------------------------------

def _bib_keys(bib_path: Path) -> set[str]:
    if not bib_path.exists():
        return set()
    text = bib_path.read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 6
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _percent_reproduces(events: int, total: int, percent: float) -> bool:
    """True when events/total rounds to the printed percentage (half a unit of its last digit)."""
    half_unit = 0.5 * 10 ** (-_decimals(percent))
    return abs(100.0 * events / total - percent) <= half_unit + 1e-9


def _sd_reproduces(row: pd.Series) -> bool | None:
    """Check a derived SD against SE or CI (Cochrane Handbook 6.5.2.2); None if nothing to check."""
    sd, n = row["sd"], row["n"]
    if pd.isna(sd) or pd.isna(n):
        return None
    n = int(n)
    if not pd.isna(row["se"]):
        return math.isclose(sd, row["se"] * math.sqrt(n), rel_tol=0.01)
    if not pd.isna(row["ci_low"]) and not pd.isna(row["ci_high"]):
        width = row["ci_high"] - row["ci_low"]
        candidates = [stats.norm.ppf(0.975)]
        if n > 1:
            candidates.append(stats.t.ppf(0.975, n - 1))
        return any(math.isclose(sd, math.sqrt(n) * width / (2 * q), rel_tol=0.01) for q in candidates)
    return None


def check_rules(directory: Path, tables: dict[str, pd.DataFrame | None],
                where: dict[str, _Where] | None = None) -> list[Problem]:
    """The extraction rules beyond the schema; see the module docstring. ``where`` (from
    :func:`validate_package`) gives each table's file name and row lines; by default the files
    are ``<directory>/<name>.csv`` with one line per row after the header."""
    directory = Path(directory)
    where = dict(where or {})
    for name in tables:
        where.setdefault(name, _Where(str(directory / f"{name}.csv")))
    problems: list[Problem] = []
    bib_keys = _bib_keys(directory.parent / "references.bib")
    rules = [(name, _check_sources) for name in tables] + [
        ("studies", _check_trial_arms), ("arms", _check_arms), ("outcomes", _check_outcomes),
        ("characteristics", _check_characteristics), ("contrasts", _check_contrasts),
        ("searches", _check_searches), ("risk_of_bias", _check_risk_of_bias)]
    for name, rule in rules:
        if tables.get(name) is None:
            continue
        try:
            rule(name, tables, where, problems, bib_keys=bib_keys)
        except KeyError as err:
            problems.append(Problem(where[name].file, None, str(err.args[0]),
                                    "the extraction rules need this column, which the schema does not define"))
    return problems


def _check_searches(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    """A search that read values names where they were read: ``found_values`` needs a ``source``
    (a references.bib key, checked by :func:`_check_sources`) and a ``source_type``."""
    at, table = where[name], tables[name]
    for i, row in table.iterrows():
        if pd.isna(row["found_values"]) or not str(row["found_values"]).strip():
            continue
        for column in ("source", "source_type"):
            if pd.isna(row[column]) or not str(row[column]).strip():
                problems.append(at.problem(i, column, "missing value: a search with found_values must name "
                                                      f"the {column.replace('_', ' ')} they were read in"))


def _check_risk_of_bias(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    """A fact we could not read is not a judgement: ``not_assessed`` rows say "No information read
    by us"; a low / some concerns / high row whose reason rests on what was not read or not
    verifiable needs a published RoB 2 assessment as its source (``source_type`` secondary_review)."""
    from jakmeta.evidence.rob import NO_INFORMATION, UNREAD

    at = where[name]
    for i, row in tables[name].iterrows():
        reason = "" if pd.isna(row["reason"]) else str(row["reason"])
        if row["judgement"] == NO_INFORMATION:
            if not reason.lower().startswith("no information read by us"):
                problems.append(at.problem(i, "reason", "a not_assessed row must start 'No information read by us' "
                                                        "(it records what we could not read, not a judgement)"))
        elif UNREAD.search(reason) and row["source_type"] != "secondary_review":
            problems.append(at.problem(i, "judgement", f"'{row['judgement']}' rests on what was not read or not "
                                       "verifiable; record 'not_assessed' or cite a published RoB 2 assessment"))


def _check_sources(name: str, tables: dict, where: dict, problems: list[Problem], *, bib_keys: set[str]) -> None:
    table, at = tables[name], where[name]
    if not bib_keys:
        return
    for column in ("source", "licence_source"):
        if column not in table:
            continue
        for i, key in enumerate(table[column]):
            if isinstance(key, str) and key and key not in bib_keys:
                problems.append(at.problem(i, column, f"'{key}' is not a key in references.bib"))


def _check_trial_arms(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    at = where[name]
    studies, arms = tables["studies"], tables.get("arms")
    if arms is None:
        return
    arms_file = Path(where["arms"].file).name
    for i, sid in enumerate(studies["study_id"]):
        roles = set(arms.loc[arms["study_id"] == sid, "role"])
        if "placebo" not in roles or "active" not in roles:
            problems.append(at.problem(i, "study_id",
                                       f"trial '{sid}' needs at least one placebo and one active arm in {arms_file}"))


def pooled_components(arms: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """The pseudo-arms that hold values posted only with doses pooled (``arms.csv: pools_arms``):
    (study_id, arm_id) -> the arm_ids it pools."""
    if "pools_arms" not in arms:
        return {}
    out = {}
    for r in arms.itertuples():
        value = r.pools_arms
        if isinstance(value, str) and value.strip():
            out[(r.study_id, r.arm_id)] = [a.strip() for a in value.split(";") if a.strip()]
    return out


def resolve_pooled_arms(rows: pd.DataFrame, arms: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``outcomes.csv`` (one outcome) without double counting of pooled pseudo-arms.

    Per trial and week: when the pseudo-arm *and every arm it pools* have rows, the pseudo-arm's row
    is dropped (per-dose values are preferred); when the pseudo-arm has a row and only some of its
    arms do, those arms' rows are dropped (a partial split cannot replace the pooled value). So no
    participant is counted twice. The validator forbids both in one primary analysis; the rule
    matters when sensitivity rows are put back (``exclude_caveats=False``)."""
    pooled = pooled_components(arms)
    if not pooled or rows.empty:
        return rows
    drop = pd.Series(False, index=rows.index)
    for (sid, pseudo), parts in pooled.items():
        for week in rows.loc[rows["study_id"] == sid, "timepoint_weeks"].unique():
            here = (rows["study_id"] == sid) & (rows["timepoint_weeks"] == week)
            has = set(rows.loc[here, "arm_id"])
            if pseudo not in has or not has & set(parts):
                continue
            if set(parts) <= has:
                drop |= here & (rows["arm_id"] == pseudo)
            else:
                drop |= here & rows["arm_id"].isin(parts)
    return rows[~drop]


def _check_pooled_arms(at: _Where, arms: pd.DataFrame, problems: list[Problem]) -> None:
    """A pseudo-arm pools arms of its own trial, is active, and its size is the sum of theirs."""
    sizes = {(r.study_id, r.arm_id): r.n_randomised for r in arms.itertuples()}
    for i, row in arms.iterrows():
        value = row.get("pools_arms")
        if not isinstance(value, str) or not value.strip():
            continue
        parts = [a.strip() for a in value.split(";") if a.strip()]
        missing = [a for a in parts if (row["study_id"], a) not in sizes]
        if missing:
            problems.append(at.problem(i, "pools_arms", f"pools unknown arm(s) {', '.join(missing)} of trial "
                                                        f"'{row['study_id']}'; list arm_ids of the same trial"))
            continue
        if row["role"] != "active":
            problems.append(at.problem(i, "role", "a pooled pseudo-arm (pools_arms) must have role active"))
        known = [sizes[(row["study_id"], a)] for a in parts]
        if not pd.isna(row["n_randomised"]) and all(not pd.isna(n) for n in known) and row["n_randomised"] != sum(known):
            problems.append(at.problem(i, "n_randomised", f"{row['n_randomised']} is not the sum of the pooled arms' "
                                                          f"sizes ({' + '.join(str(int(n)) for n in known)} = {int(sum(known))})"))


def _check_pooled_use(at: _Where, outcomes: pd.DataFrame, arms: pd.DataFrame | None, problems: list[Problem]) -> None:
    """No primary analysis counts a participant twice: a pooled pseudo-arm and an arm it pools are
    never both ``analysis_use = yes`` for one outcome and week."""
    if arms is None:
        return
    used = outcomes[outcomes["analysis_use"] == "yes"]
    for (sid, pseudo), parts in pooled_components(arms).items():
        mine = used[(used["study_id"] == sid) & (used["arm_id"] == pseudo)]
        for i, row in mine.iterrows():
            clash = used[(used["study_id"] == sid) & used["arm_id"].isin(parts) & (used["outcome"] == row["outcome"])
                         & (used["timepoint_weeks"] == row["timepoint_weeks"])]
            if len(clash):
                problems.append(at.problem(i, "analysis_use", f"arm '{pseudo}' pools {', '.join(parts)}, and line "
                                                              f"{at.line(clash.index[0])} uses arm '{clash['arm_id'].iloc[0]}' "
                                                              f"for the same outcome and week: participants would be "
                                                              "counted twice; use one of them (the other: sensitivity or no)"))


def _check_arms(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    at = where[name]
    _check_pooled_arms(at, tables["arms"], problems)
    for i, row in tables["arms"].iterrows():
        _check_status(at, i, row, ["n_randomised"], problems)
        if pd.isna(row["dose_rank"]):
            continue
        if row["role"] == "placebo" and row["dose_rank"] != 0:
            problems.append(at.problem(i, "dose_rank", "placebo arms have dose_rank 0"))
        if row["role"] == "active" and row["dose_rank"] == 0:
            problems.append(at.problem(i, "dose_rank", "active arms have dose_rank >= 1"))


def _check_contrasts(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    at = where[name]
    for i, row in tables["contrasts"].iterrows():
        if not pd.isna(row[["ci_low", "ci_high", "estimate"]]).any() and not (
                row["ci_low"] <= row["estimate"] <= row["ci_high"]):
            problems.append(at.problem(i, "ci_low",
                                       f"the CI [{row['ci_low']}, {row['ci_high']}] does not contain {row['estimate']}"))


def _arm_sizes(arms: pd.DataFrame | None) -> dict:
    if arms is None:
        return {}
    return {(r.study_id, r.arm_id): r.n_randomised for r in arms.itertuples()}


def _check_characteristics(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    at = where[name]
    arms = tables.get("arms")
    arm_size = _arm_sizes(arms)
    for i, row in tables["characteristics"].iterrows():
        if arms is not None and row["arm_id"] != "all" and (row["study_id"], row["arm_id"]) not in arm_size:
            problems.append(at.problem(i, "arm_id",
                                       f"unknown arms reference (study_id={row['study_id']}, arm_id={row['arm_id']}); "
                                       f"use an arm of {Path(where['arms'].file).name} or 'all'"))
        binary = is_binary_outcome(row["characteristic"])
        value_cols = ["events", "total", "reported_percent"] if binary else ["mean", "sd", "n"]
        _check_status(at, i, row, value_cols, problems)
        if row["status"] == "not_available":
            continue
        if binary:
            _check_binary(at, i, row, arm_size, problems)
        elif pd.isna(row["mean"]):
            problems.append(at.problem(i, "mean", "missing value: a continuous characteristic needs a mean"))


def _check_status(at: _Where, i: int, row: pd.Series, value_cols: list[str], problems: list[Problem]) -> None:
    present = [c for c in value_cols if not pd.isna(row[c])]
    status = row["status"]
    if status == "not_available" and present:
        problems.append(at.problem(i, present[0], "status is not_available but a value is given"))
    if status in ("reported", "derived", "imputed") and not present:
        problems.append(at.problem(i, value_cols[0],
                                   f"missing value: status is {status} (use not_available if it was not found)"))
    if status in ("derived", "imputed") and not str(row.get("derivation", "")).strip():
        problems.append(at.problem(i, "derivation", f"a {status} value needs its derivation written out"))


def _check_binary(at: _Where, i: int, row: pd.Series, arm_size: dict, problems: list[Problem]) -> None:
    """events <= total <= arm size; a count derived from a percentage reproduces it; a row with
    only a printed percentage (no denominator) cannot be used by the analyses."""
    has_counts = not pd.isna(row["events"]) and not pd.isna(row["total"])
    if not has_counts:
        for col in ("events", "total"):
            if pd.isna(row[col]) and (row.get("analysis_use") == "yes" or pd.isna(row["reported_percent"])):
                problems.append(at.problem(i, col, f"missing value: a binary row needs {col}"
                                           + (" to be used" if row.get("analysis_use") == "yes" else "")))
        return
    if row["events"] > row["total"]:
        problems.append(at.problem(i, "events", f"{row['events']} events > total {row['total']}"))
        return
    size = arm_size.get((row["study_id"], row["arm_id"]))
    if size is not None and not pd.isna(size) and row["total"] > size:
        problems.append(at.problem(i, "total",
                                   f"total {row['total']} > {size} randomised to arm {row['arm_id']} (arms.csv)"))
    if not pd.isna(row["reported_percent"]) and not _percent_reproduces(
            int(row["events"]), int(row["total"]), row["reported_percent"]):
        pct = 100 * row["events"] / row["total"]
        problems.append(at.problem(i, "events",
                                   f"{row['events']}/{row['total']} = {pct:.2f}% does not reproduce the printed "
                                   f"{row['reported_percent']}%"))


def _check_caveats(at, i: int, row: pd.Series, problems: list[Problem]) -> None:
    """A row the primary analyses use (``analysis_use = yes``) must not carry a recorded caveat:
    a time point inferred rather than stated, or an adverse-event window that runs past the
    placebo-controlled period (or is unknown). Such rows are ``sensitivity`` at most."""
    if row.get("analysis_use") != "yes":
        return
    if row.get("timepoint_basis") == "inferred":
        problems.append(at.problem(i, "analysis_use", "a row whose time point is inferred (timepoint_basis = "
                                                      "inferred) cannot be used by the primary analyses; "
                                                      "set analysis_use = sensitivity"))
    window = row.get("ae_window")
    if isinstance(window, str) and window not in ("placebo_controlled", ""):
        problems.append(at.problem(i, "analysis_use", f"an adverse-event row with ae_window = {window} cannot be "
                                                      "used by the primary analyses (not confined to the "
                                                      "placebo-controlled period); set analysis_use = sensitivity"))


def _check_outcomes(name: str, tables: dict, where: dict, problems: list[Problem], **_) -> None:
    at = where[name]
    outcomes = tables["outcomes"]
    arm_size = _arm_sizes(tables.get("arms"))
    for i, row in outcomes.iterrows():
        binary = is_binary_outcome(row["outcome"])
        value_cols = (["events", "total", "reported_percent"] if binary
                      else ["mean", "sd", "se", "ci_low", "ci_high", "n"])
        _check_status(at, i, row, value_cols, problems)
        if row["status"] == "not_available":
            if row["analysis_use"] == "yes":
                problems.append(at.problem(i, "analysis_use", "a not_available row cannot be used"))
            continue
        _check_caveats(at, i, row, problems)
        if binary:
            _check_binary(at, i, row, arm_size, problems)
            continue
        if pd.isna(row["mean"]):
            problems.append(at.problem(i, "mean", "missing value: a continuous outcome needs a mean"))
        if not pd.isna(row["sd"]) and row["sd"] <= 0:
            problems.append(at.problem(i, "sd", f"SD must be > 0, got {row['sd']}"))
        if not pd.isna(row["se"]) and row["se"] <= 0:
            problems.append(at.problem(i, "se", f"SE must be > 0, got {row['se']}"))
        if (not pd.isna(row[["ci_low", "ci_high", "mean"]]).any()
                and not row["ci_low"] <= row["mean"] <= row["ci_high"]):
            problems.append(at.problem(i, "ci_low",
                                       f"the CI [{row['ci_low']}, {row['ci_high']}] does not contain the mean {row['mean']}"))
        if row["status"] == "derived" and _sd_reproduces(row) is False:
            problems.append(at.problem(i, "sd", "the derived SD does not reproduce from the SE or CI and n"))
        if row["analysis_use"] == "yes" and row["outcome"] in ("salt_cfb", "salt_pcfb") and pd.isna(row["n"]):
            problems.append(at.problem(i, "n", "missing value: a used continuous row needs n"))
    _check_pooled_use(at, outcomes, tables.get("arms"), problems)
    # one used row per arm x outcome x time point; a row that repeats another whole is already
    # reported as a duplicate key
    used = outcomes[outcomes["analysis_use"] == "yes"]
    key = ["study_id", "arm_id", "outcome", "timepoint_weeks"]
    whole = set(_repeated([used[c].tolist() for c in used.columns]))
    for i, j in _repeated([used[k].tolist() for k in key]):
        if (i, j) in whole:
            continue
        row, first = used.index[i], used.index[j]
        what = ", ".join(f"{k}={_key(used.at[row, k])}" for k in key)
        problems.append(at.problem(row, "analysis_use", f"duplicate arm x outcome x time point used by the analyses "
                                                        f"({what}); line {at.line(first)} is used too"))


# --- the package -------------------------------------------------------------------------------

def validate_package(directory: str | os.PathLike | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and check every resource of the package; return (tables, problems). Never raises for
    bad input: every fault is a :class:`Problem`. A table that could not be read is None."""
    directory, shown = _shown_directory(directory)
    descriptor_file = str(Path(shown) / "datapackage.json")
    descriptor_path = directory / "datapackage.json"
    if not directory.is_dir():
        return {}, [Problem(shown, None, None, "folder not found (expected a data package folder "
                                               "with datapackage.json and its CSV files)")]
    if not descriptor_path.exists():
        return {}, [Problem(descriptor_file, None, None, "file is missing")]
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        return {}, [Problem(descriptor_file, err.lineno, None, f"invalid JSON: {err.msg} (column {err.colno})")]
    except (UnicodeDecodeError, OSError) as err:
        return {}, [Problem(descriptor_file, None, None, f"cannot be read: {err}")]
    problems = _descriptor_problems(descriptor, descriptor_file)
    if problems:
        return {}, problems
    resources = {r["name"]: r for r in descriptor["resources"]}
    for name in REQUIRED_RESOURCES:
        if name not in resources:
            problems.append(Problem(descriptor_file, None, None,
                                    f"has no resource '{name}' (the analyses need: {', '.join(REQUIRED_RESOURCES)})"))
    tables: dict[str, pd.DataFrame | None] = {}
    where: dict[str, _Where] = {}
    for name, resource in resources.items():
        tables[name], where[name] = _read_resource(directory, shown, resource, problems)
    _check_foreign_keys(resources, tables, where, problems)
    checked = {(p.file, p.line, p.column) for p in problems if p.line is not None}
    problems.extend(p for p in check_rules(directory, tables, where)
                    if (p.file, p.line, p.column) not in checked)
    return tables, problems


def load_package(directory: str | os.PathLike | None = None) -> DataPackage:
    """Load the validated data package; raise :class:`DataValidationError` on any problem."""
    directory = Path(directory) if directory is not None else default_data_dir()
    tables, problems = validate_package(directory)
    if problems:
        raise DataValidationError(problems)
    named = {name: tables[name] for name in REQUIRED_RESOURCES}
    other = {name: table for name, table in tables.items() if name not in named}
    return DataPackage(directory=directory, **named, other=other)
