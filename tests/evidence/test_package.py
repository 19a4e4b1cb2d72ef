"""The data package: the committed package validates, and each of many single faults planted in a
copy of it is caught with a message that names the file, the line and the column.

Each corruption test copies ``data/`` (and ``references.bib``) into a temporary folder, changes
one cell or row, and runs ``python -m jakmeta validate`` on it as a user would.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from jakmeta import cli
from jakmeta.evidence.package import DataValidationError, load_package, validate_package
from tests import DATA, copy_data


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0].keys())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def _validate_cli(directory: Path) -> subprocess.CompletedProcess:
    """Run ``python -m jakmeta validate DIR`` in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "jakmeta", "validate", str(directory)],
                          capture_output=True, text=True, timeout=120)


def _validate_in_process(directory: Path, capsys) -> subprocess.CompletedProcess:
    """The same command through :func:`jakmeta.cli.main` (fast; same output and exit code)."""
    code = cli.main(["validate", str(directory)])
    out = capsys.readouterr()
    return subprocess.CompletedProcess(["validate"], code, out.out, out.err)


def test_committed_package_validates():
    tables, problems = validate_package(DATA)
    assert problems == [], "\n".join(map(str, problems))
    assert len(tables["studies"]) >= 7


def test_cli_validate_passes_on_committed_package():
    result = _validate_cli(DATA)
    assert result.returncode == 0, result.stderr
    assert "data package valid" in result.stdout


def test_every_value_row_names_source_locator_and_status():
    pkg = load_package(DATA)
    for name in ("studies", "arms", "outcomes"):
        table = getattr(pkg, name)
        for column in ("source", "locator", "status"):
            assert (table[column].str.strip() != "").all(), f"{name}.csv has an empty {column}"


def test_derived_values_say_how():
    pkg = load_package(DATA)
    for name in ("arms", "outcomes"):
        table = getattr(pkg, name)
        derived = table[table["status"] == "derived"]
        assert (derived["derivation"].str.len() > 10).all()


def _first(rows: list[dict[str, str]], predicate: Callable[[dict[str, str]], bool]) -> int:
    for i, row in enumerate(rows):
        if predicate(row):
            return i
    pytest.skip("no row of the kind this corruption needs")


def _binary_value_row(row: dict[str, str]) -> bool:
    return row["events"] != "" and row["total"] != ""


def _percent_row(row: dict[str, str]) -> bool:
    return _binary_value_row(row) and row["reported_percent"] != ""


def _set(file: str, predicate, column: str, value: Callable[[dict[str, str]], str] | str):
    def corrupt(directory: Path) -> int:
        rows = _read(directory / file)
        i = _first(rows, predicate)
        rows[i][column] = value(rows[i]) if callable(value) else value
        _write(directory / file, rows)
        return i + 2
    return corrupt


def _duplicate_row(file: str, predicate, **changes: str):
    def corrupt(directory: Path) -> int:
        rows = _read(directory / file)
        i = _first(rows, predicate)
        rows.append(dict(rows[i], **changes))
        _write(directory / file, rows)
        return len(rows) + 1
    return corrupt


def _drop_column(file: str, column: str):
    def corrupt(directory: Path) -> None:
        rows = _read(directory / file)
        fields = [f for f in rows[0] if f != column]
        _write(directory / file, [{k: r[k] for k in fields} for r in rows], fields)
    return corrupt


def _remove_placebo_arm(directory: Path) -> None:
    arms = _read(directory / "arms.csv")
    study = arms[_first(arms, lambda r: r["role"] == "placebo")]["study_id"]
    _write(directory / "arms.csv", [r for r in arms if not (r["study_id"] == study and r["role"] == "placebo")])
    outcomes = _read(directory / "outcomes.csv")
    _write(directory / "outcomes.csv",
           [r for r in outcomes if not (r["study_id"] == study and r["arm_id"] == "placebo")])


def _continuous_value(column: str, value: str, **also: str):
    """Give a not_available SALT-change row values (mean -10, SD 20, n 20), then set ``column``."""
    def corrupt(directory: Path) -> int:
        rows = _read(directory / "outcomes.csv")
        i = _first(rows, lambda r: r["outcome"] == "salt_cfb" and r["status"] == "not_available")
        rows[i].update(status="reported", mean="-10", sd="20", n="20", population="observed")
        rows[i][column] = value
        rows[i].update(also)
        _write(directory / "outcomes.csv", rows)
        return i + 2
    return corrupt


ANY = lambda row: True  # noqa: E731
USED_BINARY = lambda row: _binary_value_row(row) and row["analysis_use"] == "yes"  # noqa: E731


# (id, corruption, file the message must name, column the message must name, words it must contain)
CORRUPTIONS = [
    ("events_above_total", _set("outcomes.csv", _binary_value_row, "events", lambda r: str(int(r["total"]) + 1)),
     "outcomes.csv", "events", "> total"),
    ("negative_events", _set("outcomes.csv", _binary_value_row, "events", "-3"),
     "outcomes.csv", "events", "below the minimum"),
    ("non_integer_events", _set("outcomes.csv", _binary_value_row, "events", "12.5"),
     "outcomes.csv", "events", "not an integer"),
    ("text_in_total", _set("outcomes.csv", _binary_value_row, "total", "n/a"),
     "outcomes.csv", "total", "not an integer"),
    ("total_above_arm_size", _set("outcomes.csv", _binary_value_row, "total", "100000"),
     "outcomes.csv", "total", "randomised"),
    ("negative_sd", _continuous_value("sd", "-4.2"), "outcomes.csv", "sd", "below the minimum"),
    ("zero_sd", _continuous_value("sd", "0"), "outcomes.csv", "sd", "SD must be > 0"),
    ("text_in_sd", _continuous_value("sd", "about 20"), "outcomes.csv", "sd", "not a number"),
    ("mean_outside_its_ci", _continuous_value("ci_low", "5", ci_high="9"), "outcomes.csv", "ci_low", "does not contain"),
    ("unknown_study_in_outcomes", _set("outcomes.csv", ANY, "study_id", "no_such_trial"),
     "outcomes.csv", "arm_id", "unknown arms reference"),
    ("unknown_study_in_arms", _set("arms.csv", ANY, "study_id", "no_such_trial"),
     "arms.csv", "study_id", "unknown studies reference"),
    ("unknown_arm", _set("outcomes.csv", ANY, "arm_id", "no_such_arm"),
     "outcomes.csv", "arm_id", "unknown arms reference"),
    ("duplicate_arm", _duplicate_row("arms.csv", ANY), "arms.csv", "arm_id", "duplicate key"),
    ("duplicate_study", _duplicate_row("studies.csv", ANY), "studies.csv", "study_id", "duplicate"),
    ("duplicate_used_outcome", _duplicate_row("outcomes.csv", USED_BINARY, source="liu2023"),
     "outcomes.csv", "analysis_use", "duplicate arm x outcome x time point"),
    ("missing_source", _set("outcomes.csv", ANY, "source", ""),
     "outcomes.csv", "source", "missing value"),
    ("missing_status", _set("arms.csv", ANY, "status", ""), "arms.csv", "status", "missing value"),
    ("unknown_status", _set("outcomes.csv", ANY, "status", "guessed"),
     "outcomes.csv", "status", "not one of"),
    ("unknown_outcome_code", _set("outcomes.csv", ANY, "outcome", "salt_99"),
     "outcomes.csv", "outcome", "not one of"),
    ("missing_events_of_reported_row", _set("outcomes.csv", _binary_value_row, "events", ""),
     "outcomes.csv", "events", "missing value"),
    ("value_in_not_available_row", _set("outcomes.csv", lambda r: r["status"] == "not_available"
                                        and r["outcome"].startswith(("salt2", "salt5", "salt9", "ae_")),
                                        "events", "5"),
     "outcomes.csv", "events", "not_available"),
    ("derived_without_derivation", _set("outcomes.csv", lambda r: r["status"] == "derived", "derivation", ""),
     "outcomes.csv", "derivation", "derivation"),
    ("count_does_not_match_percent", _set("outcomes.csv", _percent_row, "events",
                                          lambda r: str(max(0, int(r["events"]) - 3))),
     "outcomes.csv", "events", "does not reproduce"),
    ("unknown_source_key", _set("arms.csv", ANY, "source", "nobody2099"),
     "arms.csv", "source", "references.bib"),
    ("placebo_with_dose_rank", _set("arms.csv", lambda r: r["role"] == "placebo", "dose_rank", "2"),
     "arms.csv", "dose_rank", "placebo"),
    ("bad_route", _set("studies.csv", ANY, "route", "intravenous"), "studies.csv", "route", "not one of"),
    ("missing_column", _drop_column("outcomes.csv", "locator"), "outcomes.csv", "locator", "missing from the header"),
    ("trial_without_placebo", _remove_placebo_arm, "studies.csv", "study_id", "placebo"),
    ("nan_in_number", _continuous_value("mean", "nan"), "outcomes.csv", "mean", "finite"),
]


@pytest.mark.parametrize("corrupt,file,column,words", [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
def test_corruption_is_caught(package, corrupt, file, column, words, capsys):
    corrupt(package)
    result = _validate_in_process(package, capsys)
    assert result.returncode != 0, f"validate passed a corrupted package:\n{result.stdout}"
    lines = [line for line in result.stderr.splitlines() if f"{file}" in line and f"'{column}'" in line]
    assert lines, f"no message names {file} and column {column}:\n{result.stderr}"
    assert any(words in line for line in lines), f"no message says '{words}':\n{result.stderr}"
    assert any("line " in line for line in lines) or words == "missing from the header"


def test_load_package_raises_with_the_problems(package):
    _set("outcomes.csv", _binary_value_row, "events", "-1")(package)
    with pytest.raises(DataValidationError) as info:
        load_package(package)
    assert "outcomes.csv" in str(info.value) and "'events'" in str(info.value)


def test_missing_file_is_reported(package):
    (package / "arms.csv").unlink()
    result = _validate_cli(package)
    assert result.returncode != 0
    assert "arms.csv: file is missing" in result.stderr


def test_unreadable_datapackage_is_reported(package):
    (package / "datapackage.json").write_text("{ not json", encoding="utf-8")
    result = _validate_cli(package)
    assert result.returncode != 0 and "invalid JSON" in result.stderr


def test_csv_files_round_trip_through_pandas():
    for path in sorted(DATA.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        assert len(frame) > 0, f"{path.name} is empty"


@pytest.mark.parametrize(("column", "value"), [("timepoint_basis", "inferred"),
                                               ("ae_window", "beyond_placebo_period"),
                                               ("ae_window", "unknown")])
def test_caveated_row_cannot_be_used_by_primary_analyses(package: Path, column: str, value: str):
    """A row with an inferred time point or an AE window past the placebo period may be a
    sensitivity row, never a primary one: switching one to ``analysis_use = yes`` is reported."""
    rows = _read(package / "outcomes.csv")
    target = next(i for i, r in enumerate(rows) if r[column] == value and r["analysis_use"] == "sensitivity"
                  and r["status"] != "not_available")
    rows[target]["analysis_use"] = "yes"
    _write(package / "outcomes.csv", rows)
    _, problems = validate_package(package)
    messages = [str(p) for p in problems if p.column == "analysis_use"]
    assert any(value in m and f"line {target + 2}" in m for m in messages), messages


@pytest.mark.parametrize("column", ["source", "source_type"])
def test_search_with_found_values_names_its_source(package: Path, column: str):
    """Every number in the search log has its provenance: emptying the source of a search that
    read values is reported with file, line and column."""
    rows = _read(package / "searches.csv")
    target = next(i for i, r in enumerate(rows) if r["found_values"])
    rows[target][column] = ""
    _write(package / "searches.csv", rows)
    _, problems = validate_package(package)
    messages = [str(p) for p in problems]
    assert any("searches.csv" in m and f"line {target + 2}" in m and column in m for m in messages), messages


PKG = load_package()


def test_validator_refuses_a_judgement_resting_on_what_was_not_read(tmp_path):
    import shutil

    from jakmeta.evidence.package import validate_package

    shutil.copytree(PKG.directory, tmp_path / "data")
    shutil.copy(PKG.directory.parent / "references.bib", tmp_path / "references.bib")
    path = tmp_path / "data" / "risk_of_bias.csv"
    text = path.read_text(encoding="utf-8").replace("Quadruple masking.", "Quadruple masking; details not readable.", 1)
    path.write_text(text, encoding="utf-8")
    _, problems = validate_package(tmp_path / "data")
    assert any("risk_of_bias.csv" in str(p) and "not read or not verifiable" in str(p) for p in problems)
