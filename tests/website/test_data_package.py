"""The data package as the site offers it (``data/`` and ``jakmeta-data.zip``) passes the tool its
users validate it with, ``frictionless validate`` (tests/test_frictionless.py checks the shipped
copy; this runs after `make book`, in the browser tests' step, where the site always exists)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.test_frictionless import assert_valid


def test_the_site_data_package_is_valid(site: Path):
    assert_valid(site / "data" / "datapackage.json")


def test_the_site_zip_is_a_valid_data_package(site: Path, tmp_path: Path):
    with zipfile.ZipFile(site / "jakmeta-data.zip") as zf:
        zf.extractall(tmp_path)
    descriptors = list(tmp_path.rglob("datapackage.json"))
    assert len(descriptors) == 1, descriptors
    assert_valid(descriptors[0])
