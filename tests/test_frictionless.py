"""The data package validates in the tool its users have: the Frictionless Framework's
``frictionless validate`` (PyPI ``frictionless``, pinned in requirements.txt for the tests only).

``python -m jakmeta validate`` stays the validator with the domain rules and line-level messages
(tests/test_validate_files.py); this checks that the descriptor and the CSV files also pass the
standard tool, as shipped in ``data/`` and as copied into the built site (``_build/html/data`` and
``jakmeta-data.zip``; when the book is not built, tests/website/test_data_package.py checks the
site's copy in the browser tests' step).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK_STAMP = ROOT / "_build" / ".book-ok"  # written by `make book` when a build has finished
SITE = ROOT / "_build" / "html"


def frictionless_validate(descriptor: Path) -> dict:
    """``frictionless validate --json DESCRIPTOR`` with this environment's frictionless: its report."""
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(descriptor)],
                            capture_output=True, text=True, timeout=300, cwd=descriptor.parent)
    if "No module named frictionless" in result.stderr:
        pytest.fail("frictionless is not installed in this environment: run `make install` "
                    "(requirements.txt pins it for the tests)")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"frictionless validate printed no JSON report (exit {result.returncode}): {result.stderr}")


def _problems(report: dict) -> list[str]:
    out = [f"{e.get('type')}: {e.get('message')}" for e in report.get("errors", [])]
    for task in report.get("tasks", []):
        out += [f"{task.get('name')}: {e.get('type')}: {e.get('message')}" for e in task.get("errors", [])]
    return out


def assert_valid(descriptor: Path) -> dict:
    report = frictionless_validate(descriptor)
    assert report["valid"], "\n".join(_problems(report)[:30])
    names = json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
    assert report["stats"]["tasks"] == len(names)  # every resource was read and checked
    return report


def test_the_shipped_data_package_is_valid():
    assert_valid(ROOT / "data" / "datapackage.json")


def test_frictionless_finds_a_planted_fault(tmp_path):
    """The check can fail: a text in an integer column of arms.csv is reported for that resource."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    lines = (data / "arms.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("n_randomised")
    row = lines[1].split(",")
    row[column] = "many"
    lines[1] = ",".join(row)
    (data / "arms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = frictionless_validate(data / "datapackage.json")
    assert not report["valid"]
    arms = [t for t in report["tasks"] if t.get("name") == "arms"][0]
    assert any(e.get("type") == "type-error" and e.get("fieldName") == "n_randomised" for e in arms["errors"])


def _built_site() -> Path:
    if not BOOK_STAMP.exists() or not (SITE / "data" / "datapackage.json").exists():
        pytest.skip("the book is not built (no _build/.book-ok): the site's copy of the data package is "
                    "checked by tests/website/test_data_package.py after `make book`")
    return SITE


def test_the_site_copy_of_the_data_package_is_valid(tmp_path):
    site = _built_site()
    copy = tmp_path / "data"
    shutil.copytree(site / "data", copy)  # a copy, so that a build starting now cannot change it
    if not BOOK_STAMP.exists():
        pytest.skip("the book is being rebuilt")
    assert_valid(copy / "datapackage.json")


def test_the_site_zip_of_the_data_package_is_valid(tmp_path):
    site = _built_site()
    with zipfile.ZipFile(site / "jakmeta-data.zip") as zf:
        zf.extractall(tmp_path)
    descriptors = list(tmp_path.rglob("datapackage.json"))
    assert len(descriptors) == 1, descriptors
    assert_valid(descriptors[0])
