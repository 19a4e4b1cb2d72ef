"""File-level faults of the data package, one test per fault class, as a new user would make them:
a missing, empty or header-only file, a file that is not UTF-8, ragged rows, a quote left open,
renamed or repeated columns, repeated rows and keys, a broken ``datapackage.json``. Each gets one
message that names the file as given and the line, and no cascade of follow-up messages; an Excel
export (byte-order mark, CRLF) is accepted; ``python -m jakmeta validate`` never shows a traceback.

Every test works on a copy of ``data/`` in a temporary folder and is driven by the resources of
``data/datapackage.json``, so tables and columns added there are covered without editing this file.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jakmeta import cli
from jakmeta.evidence.package import (
    REQUIRED_RESOURCES,
    DataValidationError,
    is_binary_outcome,
    load_package,
    validate_package,
)
from tests import DATA, copy_data

DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"]}
FILES = sorted(r["path"] for r in RESOURCES.values())
KEYED = sorted(r["path"] for r in RESOURCES.values() if r["schema"].get("primaryKey"))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def _new_problems(directory: Path, corrupt) -> list[str]:
    """The problems a corruption adds to those of the untouched copy (which should be none)."""
    before = {str(p) for p in validate_package(directory)[1]}
    corrupt()
    return [str(p) for p in validate_package(directory)[1] if str(p) not in before]


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    # surrogateescape: an earlier corruption may have written a byte that is not UTF-8
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8",
           newline: str = "\n") -> list[int]:
    """Write a CSV file; return the line at which each data row starts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    lines = []
    for row in rows:
        lines.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(row)
    path.write_bytes(buffer.getvalue().encode(encoding, errors="surrogateescape"))
    return lines


def _only(problems: list[str], *words: str) -> str:
    assert len(problems) == 1, "expected exactly one message:\n" + "\n".join(problems)
    for word in words:
        assert word in problems[0], f"'{word}' not in: {problems[0]}"
    return problems[0]


# --- missing, empty, header-only ---------------------------------------------------------------

@pytest.mark.parametrize("file", FILES)
def test_missing_file(package, file):
    problem = _new_problems(package, lambda: (package / file).unlink())
    _only(problem, f"{package / file}: file is missing")


@pytest.mark.parametrize("file,content", [(f, b"") for f in FILES] + [
    ("arms.csv", b"\n\r\n"), ("arms.csv", b"\xef\xbb\xbf")],
    ids=[*FILES, "arms.csv-blank_lines", "arms.csv-bom_only"])
def test_empty_file(package, file, content):
    problem = _new_problems(package, lambda: (package / file).write_bytes(content))
    _only(problem, f"{package / file}: file is empty (no header row)")


@pytest.mark.parametrize("file", FILES)
def test_header_only_file_is_one_message_without_cascade(package, file):
    header, _ = _read(package / file)
    problem = _new_problems(package, lambda: _write(package / file, header, []))
    _only(problem, f"{package / file}: file has no rows (only the header)")


# --- encoding, separators, quoting, ragged rows ------------------------------------------------

@pytest.mark.parametrize("file", FILES)
def test_latin1_byte_is_reported_with_its_line(package, file):
    def corrupt():
        lines = (package / file).read_bytes().split(b"\n")
        lines[3] = lines[3][:1] + b"\xe9" + lines[3][1:]  # an 'e acute' written by a Latin-1 editor
        (package / file).write_bytes(b"\n".join(lines))
    _only(_new_problems(package, corrupt), f"{package / file}, line 4: not UTF-8", "0xE9", "save the file as UTF-8")


def test_utf16_file(package):
    text = (package / "arms.csv").read_text(encoding="utf-8")
    problem = _new_problems(package, lambda: (package / "arms.csv").write_text(text, encoding="utf-16"))
    _only(problem, "arms.csv, line 1: file is UTF-16 text, not UTF-8")


def test_semicolon_separated_file(package):
    header, rows = _read(package / "arms.csv")
    def corrupt():
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\n").writerows([header, *rows])
        (package / "arms.csv").write_text(buffer.getvalue(), encoding="utf-8")
    _only(_new_problems(package, corrupt), "arms.csv, line 1: the header uses ';' between columns")


@pytest.mark.parametrize("file", FILES)
def test_ragged_rows_name_line_and_field_counts(package, file):
    header, rows = _read(package / file)
    assert len(rows) >= 2, f"{file} needs two rows for this test"
    rows[0] = [*rows[0], "extra"]
    rows[1] = rows[1][:-1]
    def corrupt():
        corrupt.lines = _write(package / file, header, rows)
    problems = _new_problems(package, corrupt)
    n = len(header)
    assert problems == [
        f"{package / file}, line {corrupt.lines[0]}: has {n + 1} fields, expected {n} as in the header "
        "(an unquoted comma inside a value? put such values in double quotes)",
        f"{package / file}, line {corrupt.lines[1]}: has {n - 1} fields, expected {n} as in the header "
        "(a missing comma, or a line break inside an unquoted value?)",
    ]


@pytest.mark.parametrize("file", ["arms.csv", "outcomes.csv"])
def test_quote_left_open(package, file):
    def corrupt():
        lines = (package / file).read_text(encoding="utf-8").split("\n")
        lines[2] = lines[2].replace(",", ',"', 1)
        (package / file).write_text("\n".join(lines), encoding="utf-8")
    _only(_new_problems(package, corrupt), f"{package / file}, line 3: cannot be read as CSV")


# --- columns -----------------------------------------------------------------------------------

@pytest.mark.parametrize("file", FILES)
def test_renamed_column_is_missing_and_unknown_without_cascade(package, file):
    header, rows = _read(package / file)
    old = header[1]
    problems = _new_problems(package, lambda: _write(package / file, [header[0], old + "x", *header[2:]], rows))
    assert sorted(problems) == sorted([
        f"{package / file}, line 1, column '{old}': column is missing from the header "
        f"({package / 'datapackage.json'} lists it)",
        f"{package / file}, line 1, column '{old}x': column is not in the schema "
        f"({package / 'datapackage.json'}); did you mean '{old}'?",
    ])


def test_column_twice_in_the_header(package):
    header, rows = _read(package / "arms.csv")
    problem = _new_problems(package, lambda: _write(package / "arms.csv", [*header, header[0]],
                                                   [[*r, r[0]] for r in rows]))
    _only(problem, "arms.csv, line 1, column 'study_id': column appears twice in the header")


# --- repeated rows and keys --------------------------------------------------------------------

@pytest.mark.parametrize("file", FILES)
def test_repeated_row_in_every_table_names_both_lines(package, file):
    header, rows = _read(package / file)
    def corrupt():
        corrupt.lines = _write(package / file, header, [*rows, rows[0]])
    problem = _only(_new_problems(package, corrupt), f"{package / file}, line {corrupt.lines[-1]}")
    assert "first on line 2; the whole row is repeated" in problem or "repeats line 2 exactly" in problem


@pytest.mark.parametrize("file", KEYED)
def test_repeated_key_with_other_values_names_both_lines(package, file):
    resource = next(r for r in RESOURCES.values() if r["path"] == file)
    key = resource["schema"]["primaryKey"]
    key = [key] if isinstance(key, str) else key
    header, rows = _read(package / file)
    free = [f["name"] for f in resource["schema"]["fields"] if f["name"] not in key
            and f.get("type", "string") == "string" and not {"enum", "pattern"} & set(f.get("constraints", {}))]
    if not free:
        pytest.skip("no free-text column to change")
    other = free[-1]
    changed = list(rows[0])
    changed[header.index(other)] += " (a second reading)"
    def corrupt():
        corrupt.lines = _write(package / file, header, [*rows, changed])
    problems = _new_problems(package, corrupt)
    assert problems and problems[0].startswith(f"{package / file}, line {corrupt.lines[-1]}, column '{key[-1]}': "
                                               "duplicate key (")
    assert "first on line 2" in problems[0] and "whole row" not in problems[0]


def test_outcome_reported_by_two_sources_is_not_a_duplicate(package):
    """The same cell from a second source (registry beside publication, or corroborating news)
    is a legitimate second row, as long as only one of them is used."""
    header, rows = _read(package / "outcomes.csv")
    i = next(k for k, r in enumerate(rows) if r[header.index("analysis_use")] == "yes")
    second = list(rows[i])
    second[header.index("source")] = "liu2023"
    second[header.index("analysis_use")] = "no"
    assert _new_problems(package, lambda: _write(package / "outcomes.csv", header, [*rows, second])) == []


# --- line numbers, accepted variants -----------------------------------------------------------

def test_line_numbers_count_blank_lines_and_line_breaks_inside_values(package):
    header, rows = _read(package / "arms.csv")
    rows[0][header.index("note")] = "a note\nwritten on two lines"
    rows.insert(1, [""] * len(header))  # a row of empty cells, as spreadsheets write
    rows[4][header.index("status")] = "guessed"
    def corrupt():
        corrupt.lines = _write(package / "arms.csv", header, rows)
    problem = _only(_new_problems(package, corrupt), "'guessed' is not one of")
    assert problem.startswith(f"{package / 'arms.csv'}, line {corrupt.lines[4]}, column 'status'")
    assert corrupt.lines[4] == 7


def test_excel_export_with_bom_and_crlf_is_accepted(package):
    before, problems = validate_package(package)
    assert problems == [], "\n".join(map(str, problems))
    for file in FILES:
        header, rows = _read(package / file)
        _write(package / file, header, [*rows, [""] * len(header)], encoding="utf-8-sig", newline="\r\n")
        assert (package / file).read_bytes().startswith(b"\xef\xbb\xbf")
    after, problems = validate_package(package)
    assert problems == [], "\n".join(map(str, problems))
    for name, table in before.items():
        pd.testing.assert_frame_equal(after[name], table)


def test_messages_name_the_folder_given(tmp_path, package):
    elsewhere = tmp_path / "my package"
    package.rename(elsewhere)
    (elsewhere / "arms.csv").write_bytes(b"")
    result = subprocess.run([sys.executable, "-m", "jakmeta", "validate", "my package"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "my package/arms.csv: file is empty (no header row)" in result.stderr
    assert "Traceback" not in result.stderr and "data/" not in result.stderr
    problems = validate_package(elsewhere)[1]
    assert [str(p) for p in problems] == [f"{elsewhere}/arms.csv: file is empty (no header row)"]


# --- one message per cell ----------------------------------------------------------------------

def test_a_bad_cell_gets_one_message(package):
    header, rows = _read(package / "outcomes.csv")
    i = next(k for k, r in enumerate(rows) if r[header.index("events")] and r[header.index("total")])
    rows[i][header.index("events")] = "n/a"
    problem = _only(_new_problems(package, lambda: _write(package / "outcomes.csv", header, rows)))
    assert "column 'events': 'n/a' is not an integer" in problem


def test_unknown_reference_names_the_file_it_looks_in(package):
    header, rows = _read(package / "arms.csv")
    rows[0][header.index("study_id")] = "no_such_trial"
    problems = _new_problems(package, lambda: _write(package / "arms.csv", header, rows))
    assert any("unknown studies reference (study_id=no_such_trial): no such row in studies.csv" in p
               for p in problems), problems


# --- the descriptor ----------------------------------------------------------------------------

def _edit_descriptor(directory: Path, edit) -> None:
    path = directory / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit(descriptor)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")


def _resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


DESCRIPTOR_FAULTS = [
    ("resources_not_a_list", lambda d: d.update(resources={}), "needs a list of 'resources'"),
    ("resource_without_path", lambda d: _resource(d, "arms").pop("path"), "needs a 'name' and a 'path'"),
    ("unsupported_type", lambda d: _resource(d, "arms")["schema"]["fields"][0].update(type="datetime"),
     "type 'datetime' is not supported"),
    ("misspelt_constraint", lambda d: _resource(d, "arms")["schema"]["fields"][0]["constraints"].update(requried=True),
     "constraint 'requried' is not supported"),
    ("primary_key_not_a_field", lambda d: _resource(d, "arms")["schema"].update(primaryKey=["study_id", "arm"]),
     "primaryKey field 'arm' is not a field"),
    ("foreign_key_to_nothing",
     lambda d: _resource(d, "arms")["schema"]["foreignKeys"][0]["reference"].update(resource="trials"),
     "refers to resource 'trials', which is not in the package"),
    ("resource_dropped", lambda d: d["resources"].remove(_resource(d, "screening")), "has no resource 'screening'"),
]


@pytest.mark.parametrize("edit,words", [f[1:] for f in DESCRIPTOR_FAULTS], ids=[f[0] for f in DESCRIPTOR_FAULTS])
def test_descriptor_fault_is_reported_not_raised(package, edit, words, capsys):
    _edit_descriptor(package, edit)
    assert cli.main(["validate", str(package)]) == 1
    err = capsys.readouterr().err
    assert f"{package / 'datapackage.json'}" in err and words in err, err


@pytest.mark.parametrize("setup", [
    lambda d: (d / "datapackage.json").unlink(),
    lambda d: (d / "datapackage.json").write_text("{ not json", encoding="utf-8"),
    lambda d: shutil.rmtree(d),
    lambda d: (d / "arms.csv").write_bytes(b"\x00\x01\x02garbage\n,\n"),
], ids=["no_descriptor", "broken_json", "no_folder", "binary_file"])
def test_cli_exits_with_a_message_never_a_traceback(package, setup, capsys):
    setup(package)
    assert cli.main(["validate", str(package)]) == 1
    err = capsys.readouterr().err
    assert str(package) in err and "Traceback" not in err


def test_load_package_raises_data_validation_error(package):
    (package / "arms.csv").write_bytes(b"")
    with pytest.raises(DataValidationError, match=r"arms\.csv: file is empty"):
        load_package(package)


# --- additions to the schema are checked without code changes ----------------------------------

def test_new_column_and_new_resource_are_checked(package):
    def add(descriptor):
        fields = _resource(descriptor, "outcomes")["schema"]["fields"]
        fields.append({"name": "test_flag", "type": "string",
                       "constraints": {"required": True, "enum": ["registry", "publication", "news"]}})
        descriptor["resources"].append({"name": "test_log", "path": "test_log.csv", "schema": {
            "fields": [{"name": "search_id", "type": "integer"},
                       {"name": "date", "type": "date"},
                       {"name": "found", "type": "boolean"}],
            "primaryKey": "search_id"}})
    _edit_descriptor(package, add)
    header, rows = _read(package / "outcomes.csv")
    lines = _write(package / "outcomes.csv", [*header, "test_flag"], [[*r, "publication"] for r in rows])
    _write(package / "test_log.csv", ["search_id", "date", "found"], [["1", "2026-12-01", "true"]])
    pkg = load_package(package)
    assert set(pkg.outcomes["test_flag"]) == {"publication"}
    assert pkg.test_log["found"].tolist() == [True] and "test_log" not in REQUIRED_RESOURCES

    _write(package / "outcomes.csv", [*header, "test_flag"], [[*r, "blog"] for r in rows[:1]] + [
        [*r, "publication"] for r in rows[1:]])
    _write(package / "test_log.csv", ["search_id", "date", "found"], [["1", "2026-13-01", "yes"], ["1", "", ""]])
    problems = [str(p) for p in validate_package(package)[1]]
    log = package / "test_log.csv"
    assert problems == [
        f"{package / 'outcomes.csv'}, line {lines[0]}, column 'test_flag': 'blog' is not one of: registry, "
        "publication, news",
        f"{log}, line 2, column 'date': '2026-13-01' is not a date (expected YYYY-MM-DD)",
        f"{log}, line 2, column 'found': 'yes' is not a boolean (use one of: true, True, TRUE, 1, false, "
        "False, FALSE, 0)",
        f"{log}, line 3, column 'search_id': duplicate key (search_id=1), first on line 2",
    ]


@pytest.mark.parametrize("code,binary", [("salt20", True), ("ae_serious", True), ("ae_alopecia_new", True),
                                         ("salt40", True), ("salt_cfb", False), ("salt_pcfb", False),
                                         ("age", False), ("female", True)])
def test_outcome_kind_follows_the_code(code, binary):
    assert is_binary_outcome(code) is binary


def test_random_corruptions_never_raise(package):
    """Forty random edits (cells, rows, header names, bytes), each validated: problems, never an exception."""
    import random

    rng = random.Random(20261201)
    values = ["", " ", "n/a", "-1", "0", "1e309", "nan", "3.5", "999999", "yes", "placebo", "é", '"', "x,y",
              "a\nb", "NA", "true", "2026-02-30"]
    for _ in range(40):
        path = package / rng.choice(FILES)
        if rng.random() < 0.2:
            data = path.read_bytes()
            i = rng.randrange(len(data) + 1)
            path.write_bytes(data[:i] + rng.choice([b'"', b",", b"\n", b"\xe9", b"\x00", b";"]) + data[i + 1:])
        else:
            header, rows = _read(path)
            if rows and rng.random() < 0.8:
                rows[rng.randrange(len(rows))][rng.randrange(len(header))] = rng.choice(values)
            else:
                header[rng.randrange(len(header))] = rng.choice(values) or "x"
            _write(path, header, rows)
        try:
            validate_package(package)
        except Exception as err:  # pragma: no cover - the failure message is the point
            pytest.fail(f"validate_package raised {err!r} after an edit of {path.name}")
