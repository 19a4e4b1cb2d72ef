"""Loading and validating the data package in ``data/``.

The package is a set of CSV files described by ``data/datapackage.json`` (a Frictionless Data
Package whose resources carry Table Schemas). :func:`validate_package` checks

1. the schema: required columns, types (``string``, ``integer``, ``number``), the constraints
   ``required``, ``enum``, ``minimum``, ``maximum``, ``pattern`` and ``unique``, primary keys and
   foreign keys;
2. the rules of the extraction (:func:`check_rules`): events <= total, a total no larger than the
   arm's randomised size, SD > 0, a value present exactly when the status says one was found,
   a derivation written out for every derived value, derived values that reproduce from their
   inputs (a count from a printed percentage; an SD from an SE or a confidence interval), one row
   used by the analyses per arm x outcome x time point, a placebo and an active arm in every trial,
   and every ``source`` defined in ``references.bib``.

Every problem is reported as a :class:`Problem` naming the file, the line (the header is line 1)
and the column, so that a corrupted value is found at once. :func:`load_package` returns the
tables only when there is no problem, and raises :class:`DataValidationError` otherwise: bad input
gets a clear error, never a wrong number.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy import stats

__all__ = [
    "DataPackage",
    "DataValidationError",
    "Problem",
    "check_rules",
    "default_data_dir",
    "load_package",
    "validate_package",
]

BINARY_OUTCOMES = frozenset(
    {"salt20", "salt10", "salt30", "salt50", "salt75", "salt90", "female", "ae_any",
     "ae_treatment_related", "ae_serious", "ae_discontinuation", "ae_acne", "ae_herpes_zoster",
     "ae_uri", "ae_headache", "ae_nasopharyngitis", "ae_cpk_increased", "ae_folliculitis",
     "ae_infection_serious"}
)
CONTINUOUS_OUTCOMES = frozenset({"salt_cfb", "salt_pcfb", "baseline_salt", "age"})
VALUE_COLUMNS = ("events", "total", "reported_percent", "mean", "sd", "se", "ci_low", "ci_high", "n")


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
    """The validated tables of the data package (typed pandas DataFrames)."""

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


def default_data_dir() -> Path:
    """The ``data/`` folder: ``$JAKMETA_DATA`` if set, else the one beside ``src/``."""
    env = os.environ.get("JAKMETA_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def _line(index: int) -> int:
    """CSV line number of the data row with 0-based position ``index`` (header is line 1)."""
    return index + 2


def _read_raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")


def _convert(value: str, kind: str) -> float | int | str | None:
    """Convert one CSV cell to ``kind``; empty -> None; raise ValueError when it does not parse."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"'{value}' is not an integer")
        return int(text)
    if kind == "number":
        number = float(text)  # raises ValueError with a clear enough message
        if not math.isfinite(number):
            raise ValueError(f"'{value}' is not a finite number")
        return number
    return value


def _check_field(file: str, raw: pd.DataFrame, field: dict, problems: list[Problem]) -> pd.Series:
    """Type-convert and constraint-check one column; return the converted column."""
    name, kind = field["name"], field.get("type", "string")
    constraints = field.get("constraints", {})
    values: list[object] = []
    for i, cell in enumerate(raw[name].tolist()):
        try:
            value = _convert(cell, kind)
        except ValueError as err:
            problems.append(Problem(file, _line(i), name, f"{err} (expected {kind})"))
            value = None
        values.append(value)
        if value is None:
            if constraints.get("required"):
                problems.append(Problem(file, _line(i), name, "missing value (required)"))
            continue
        if "enum" in constraints and value not in constraints["enum"]:
            allowed = ", ".join(map(str, constraints["enum"]))
            problems.append(Problem(file, _line(i), name, f"'{value}' is not one of: {allowed}"))
        if "minimum" in constraints and value < constraints["minimum"]:
            problems.append(Problem(file, _line(i), name, f"{value} is below the minimum {constraints['minimum']}"))
        if "maximum" in constraints and value > constraints["maximum"]:
            problems.append(Problem(file, _line(i), name, f"{value} is above the maximum {constraints['maximum']}"))
        if "pattern" in constraints and not re.fullmatch(constraints["pattern"], str(value)):
            problems.append(Problem(file, _line(i), name, f"'{value}' does not match {constraints['pattern']}"))
    series = pd.Series(values, index=raw.index, name=name, dtype=object)
    if constraints.get("unique"):
        duplicated = series.notna() & series.duplicated(keep="first")
        for i in series.index[duplicated]:
            problems.append(Problem(file, _line(i), name, f"duplicate value '{series[i]}' (must be unique)"))
    if kind == "integer":
        return pd.array([v if v is not None else pd.NA for v in values], dtype="Int64")
    if kind == "number":
        return pd.Series([v if v is not None else math.nan for v in values], index=raw.index, dtype=float)
    return pd.Series(["" if v is None else v for v in values], index=raw.index, dtype=object)


def _as_list(x: str | list[str]) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def _read_resource(directory: Path, resource: dict, problems: list[Problem]) -> pd.DataFrame | None:
    file = f"{directory.name}/{resource['path']}"
    path = directory / resource["path"]
    if not path.exists():
        problems.append(Problem(file, None, None, "file is missing"))
        return None
    try:
        raw = _read_raw(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        problems.append(Problem(file, None, None, f"cannot be read as CSV: {err}"))
        return None
    schema = resource["schema"]
    names = [f["name"] for f in schema["fields"]]
    missing = [n for n in names if n not in raw.columns]
    extra = [c for c in raw.columns if c not in names]
    for n in missing:
        problems.append(Problem(file, 1, n, "column is missing from the header"))
    for c in extra:
        problems.append(Problem(file, 1, c, "column is not in the schema (data/datapackage.json)"))
    if missing:
        return None
    table = pd.DataFrame(index=raw.index)
    for field in schema["fields"]:
        table[field["name"]] = _check_field(file, raw, field, problems)
    key = schema.get("primaryKey")
    if key:
        key = _as_list(key)
        duplicated = table.duplicated(subset=key, keep="first")
        for i in table.index[duplicated]:
            values = ", ".join(f"{k}={table.at[i, k]}" for k in key)
            problems.append(Problem(file, _line(i), key[-1], f"duplicate key ({values})"))
    return table


def _check_foreign_keys(directory: Path, resources: dict, tables: dict, problems: list[Problem]) -> None:
    for name, resource in resources.items():
        table = tables.get(name)
        if table is None:
            continue
        file = f"{directory.name}/{resource['path']}"
        for fk in resource["schema"].get("foreignKeys", []):
            fields = _as_list(fk["fields"])
            ref = tables.get(fk["reference"]["resource"])
            if ref is None:
                continue
            ref_fields = _as_list(fk["reference"]["fields"])
            known = set(map(tuple, ref[ref_fields].astype(str).to_numpy().tolist()))
            for i, row in table[fields].astype(str).iterrows():
                if tuple(row.tolist()) not in known:
                    what = ", ".join(f"{f}={row[f]}" for f in fields)
                    problems.append(Problem(
                        file, _line(i), fields[-1],
                        f"unknown {fk['reference']['resource']} reference ({what})"))


def _bib_keys(bib_path: Path) -> set[str]:
    if not bib_path.exists():
        return set()
    text = bib_path.read_text(encoding="utf-8")
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


def check_rules(directory: Path, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """The extraction rules beyond the schema; see the module docstring."""
    problems: list[Problem] = []
    name = directory.name
    studies, arms, outcomes = tables.get("studies"), tables.get("arms"), tables.get("outcomes")
    bib_keys = _bib_keys(directory.parent / "references.bib")

    for resource, table in tables.items():
        if table is None or "source" not in table:
            continue
        for i, key in table["source"].items():
            if key and bib_keys and key not in bib_keys:
                problems.append(Problem(f"{name}/{resource}.csv", _line(i), "source",
                                        f"'{key}' is not a key in references.bib"))

    if studies is not None and arms is not None:
        for sid in studies["study_id"]:
            roles = set(arms.loc[arms["study_id"] == sid, "role"])
            if "placebo" not in roles or "active" not in roles:
                i = studies.index[studies["study_id"] == sid][0]
                problems.append(Problem(f"{name}/studies.csv", _line(i), "study_id",
                                        f"trial '{sid}' needs at least one placebo and one active arm in arms.csv"))

    if arms is not None:
        file = f"{name}/arms.csv"
        for i, row in arms.iterrows():
            _check_status(file, i, row, ["n_randomised"], problems)
            if row["role"] == "placebo" and row["dose_rank"] != 0:
                problems.append(Problem(file, _line(i), "dose_rank", "placebo arms have dose_rank 0"))
            if row["role"] == "active" and row["dose_rank"] == 0:
                problems.append(Problem(file, _line(i), "dose_rank", "active arms have dose_rank >= 1"))

    if outcomes is not None:
        _check_outcomes(f"{name}/outcomes.csv", outcomes, arms, problems)
    characteristics = tables.get("characteristics")
    if characteristics is not None:
        _check_characteristics(f"{name}/characteristics.csv", characteristics, arms, problems)
    contrasts = tables.get("contrasts")
    if contrasts is not None:
        file = f"{name}/contrasts.csv"
        for i, row in contrasts.iterrows():
            if not pd.isna(row["ci_low"]) and not pd.isna(row["ci_high"]) and not (
                    row["ci_low"] <= row["estimate"] <= row["ci_high"]):
                problems.append(Problem(file, _line(i), "ci_low",
                                        f"the CI [{row['ci_low']}, {row['ci_high']}] does not contain {row['estimate']}"))
    return problems


def _check_characteristics(file: str, table: pd.DataFrame, arms: pd.DataFrame | None, problems: list[Problem]) -> None:
    known = set(zip(arms["study_id"], arms["arm_id"], strict=True)) if arms is not None else set()
    arm_size = {(r.study_id, r.arm_id): r.n_randomised for r in arms.itertuples()} if arms is not None else {}
    for i, row in table.iterrows():
        if row["arm_id"] != "all" and (row["study_id"], row["arm_id"]) not in known:
            problems.append(Problem(file, _line(i), "arm_id",
                                    f"unknown arms reference (study_id={row['study_id']}, arm_id={row['arm_id']}); "
                                    "use an arm of arms.csv or 'all'"))
        binary = row["characteristic"] == "female"
        value_cols = ["events", "total", "reported_percent"] if binary else ["mean", "sd", "n"]
        _check_status(file, i, row, value_cols, problems)
        if row["status"] == "not_available":
            continue
        if binary:
            _check_binary(file, i, row, arm_size, problems)
        elif pd.isna(row["mean"]):
            problems.append(Problem(file, _line(i), "mean", "missing value: a continuous characteristic needs a mean"))


def _check_status(file: str, i: int, row: pd.Series, value_cols: list[str], problems: list[Problem]) -> None:
    present = [c for c in value_cols if not pd.isna(row[c])]
    status = row["status"]
    if status == "not_available" and present:
        problems.append(Problem(file, _line(i), present[0],
                                "status is not_available but a value is given"))
    if status in ("reported", "derived", "imputed") and not present:
        problems.append(Problem(file, _line(i), value_cols[0],
                                f"missing value: status is {status} (use not_available if it was not found)"))
    if status in ("derived", "imputed") and not str(row.get("derivation", "")).strip():
        problems.append(Problem(file, _line(i), "derivation",
                                f"a {status} value needs its derivation written out"))


def _check_binary(file: str, i: int, row: pd.Series, arm_size: dict, problems: list[Problem]) -> None:
    """events <= total <= arm size; a count derived from a percentage reproduces it; a row with
    only a printed percentage (no denominator) cannot be used by the analyses."""
    has_counts = not pd.isna(row["events"]) and not pd.isna(row["total"])
    if not has_counts:
        for col in ("events", "total"):
            if pd.isna(row[col]) and (row.get("analysis_use") == "yes" or pd.isna(row["reported_percent"])):
                problems.append(Problem(file, _line(i), col, f"missing value: a binary row needs {col}"
                                        + (" to be used" if row.get("analysis_use") == "yes" else "")))
        return
    if row["events"] > row["total"]:
        problems.append(Problem(file, _line(i), "events", f"{row['events']} events > total {row['total']}"))
        return
    size = arm_size.get((row["study_id"], row["arm_id"]))
    if size is not None and not pd.isna(size) and row["total"] > size:
        problems.append(Problem(file, _line(i), "total",
                                f"total {row['total']} > {size} randomised to arm {row['arm_id']} (arms.csv)"))
    if not pd.isna(row["reported_percent"]) and not _percent_reproduces(
            int(row["events"]), int(row["total"]), row["reported_percent"]):
        pct = 100 * row["events"] / row["total"]
        problems.append(Problem(file, _line(i), "events",
                                f"{row['events']}/{row['total']} = {pct:.2f}% does not reproduce the printed "
                                f"{row['reported_percent']}%"))


def _check_outcomes(file: str, outcomes: pd.DataFrame, arms: pd.DataFrame | None, problems: list[Problem]) -> None:
    arm_size = {}
    if arms is not None:
        arm_size = {(r.study_id, r.arm_id): r.n_randomised for r in arms.itertuples()}
    for i, row in outcomes.iterrows():
        binary = row["outcome"] in BINARY_OUTCOMES
        value_cols = (["events", "total", "reported_percent"] if binary
                      else ["mean", "sd", "se", "ci_low", "ci_high", "n"])
        _check_status(file, i, row, value_cols, problems)
        if row["status"] == "not_available":
            if row["analysis_use"] == "yes":
                problems.append(Problem(file, _line(i), "analysis_use", "a not_available row cannot be used"))
            continue
        if binary:
            _check_binary(file, i, row, arm_size, problems)
        else:
            if pd.isna(row["mean"]):
                problems.append(Problem(file, _line(i), "mean", "missing value: a continuous outcome needs a mean"))
            if not pd.isna(row["sd"]) and row["sd"] <= 0:
                problems.append(Problem(file, _line(i), "sd", f"SD must be > 0, got {row['sd']}"))
            if not pd.isna(row["se"]) and row["se"] <= 0:
                problems.append(Problem(file, _line(i), "se", f"SE must be > 0, got {row['se']}"))
            if (not pd.isna(row["ci_low"]) and not pd.isna(row["ci_high"])
                    and not row["ci_low"] <= row["mean"] <= row["ci_high"]):
                problems.append(Problem(file, _line(i), "ci_low",
                                        f"the CI [{row['ci_low']}, {row['ci_high']}] does not contain the mean {row['mean']}"))
            if row["status"] == "derived" and _sd_reproduces(row) is False:
                problems.append(Problem(file, _line(i), "sd",
                                        "the derived SD does not reproduce from the SE or CI and n"))
            if row["analysis_use"] == "yes" and row["outcome"] in ("salt_cfb", "salt_pcfb") and pd.isna(row["n"]):
                problems.append(Problem(file, _line(i), "n", "missing value: a used continuous row needs n"))
    used = outcomes[outcomes["analysis_use"] == "yes"]
    key = ["study_id", "arm_id", "outcome", "timepoint_weeks"]
    duplicated = used.duplicated(subset=key, keep="first")
    for i in used.index[duplicated]:
        what = ", ".join(f"{k}={used.at[i, k]}" for k in key)
        problems.append(Problem(file, _line(i), "analysis_use",
                                f"duplicate arm x outcome x time point used by the analyses ({what})"))


def validate_package(directory: str | os.PathLike | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and check every resource of the package; return (tables, problems)."""
    directory = Path(directory) if directory is not None else default_data_dir()
    problems: list[Problem] = []
    descriptor_path = directory / "datapackage.json"
    if not descriptor_path.exists():
        return {}, [Problem(f"{directory.name}/datapackage.json", None, None, "file is missing")]
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        return {}, [Problem(f"{directory.name}/datapackage.json", err.lineno, None, f"invalid JSON: {err.msg}")]
    resources = {r["name"]: r for r in descriptor["resources"]}
    tables = {name: _read_resource(directory, r, problems) for name, r in resources.items()}
    _check_foreign_keys(directory, resources, tables, problems)
    problems.extend(check_rules(directory, tables))
    return tables, problems


def load_package(directory: str | os.PathLike | None = None) -> DataPackage:
    """Load the validated data package; raise :class:`DataValidationError` on any problem."""
    directory = Path(directory) if directory is not None else default_data_dir()
    tables, problems = validate_package(directory)
    if problems:
        raise DataValidationError(problems)
    return DataPackage(directory=directory, **tables)
