"""The Makefile's set-up logic, checked with `make -n` (nothing is installed): a .venv that is broken,
half-installed or built by another Python than the one asked for is rebuilt; a healthy one is kept;
SOURCE_DATE_EPOCH comes from the last commit and is never 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _fake_python(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "pyproject.toml", "scripts/ipython_kernel_config.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _plan(project: Path, *args: str) -> str:
    result = subprocess.run([MAKE, "-n", "install", f"PYTHON={sys.executable}", *args], cwd=project,
                            capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def test_missing_venv_is_created(project):
    plan = _plan(project)
    assert f"{sys.executable} -m venv .venv" in plan and 'if [ -n "" ]' in plan  # nothing to rebuild


def test_broken_venv_is_rebuilt(project):
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(project / "gone" / "python3")
    assert "its interpreter .venv/bin/python does not run; rebuilding it" in _plan(project)


def test_half_installed_venv_is_rebuilt(project):
    _fake_python(project / ".venv" / "bin" / "python", HERE)
    assert "an earlier installation did not finish; rebuilding it" in _plan(project)


def test_venv_of_another_python_is_rebuilt(project):
    _fake_python(project / ".venv" / "bin" / "python", "3.9")
    (project / ".venv" / ".installed").write_text("3.9\n", encoding="utf-8")
    assert f"it was built with Python 3.9 and PYTHON={sys.executable} is {HERE}; rebuilding it" in _plan(project)


def test_healthy_venv_is_kept(project):
    _fake_python(project / ".venv" / "bin" / "python", HERE)
    (project / ".venv" / ".installed").write_text(f"{HERE}\n", encoding="utf-8")
    (project / ".venv" / "etc" / "ipython").mkdir(parents=True)
    # Each target newer than what it is made from: fixed, increasing times (not the clock).
    for i, name in enumerate(("requirements.txt", "pyproject.toml", "scripts/ipython_kernel_config.py",
                              ".venv/.installed", ".venv/etc/ipython/ipython_kernel_config.py")):
        (project / name).touch()
        os.utime(project / name, (1_700_000_000 + 10 * i, 1_700_000_000 + 10 * i))
    plan = _plan(project)
    assert "rebuilding" not in plan and "-m venv" not in plan and "pip install" not in plan, plan


def test_unsupported_python_is_refused(project):
    fake = project / "python3.9"
    _fake_python(fake, "3.9")
    result = subprocess.run([MAKE, "install", f"PYTHON={fake}"], cwd=project, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "is Python 3.9; supported: 3.11 3.12 3.13" in result.stderr


def test_source_date_epoch_is_the_last_commit():
    result = subprocess.run([MAKE, "-pn", "clean"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    values = [line.split(":=", 1)[1].strip() for line in result.stdout.splitlines()
              if line.startswith("SOURCE_DATE_EPOCH :=")]
    assert values and int(values[0]) > 0
    commit = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True)
    if commit.returncode == 0 and commit.stdout.strip():
        assert values[0] == commit.stdout.strip()


def test_distclean_removes_the_venv(project):
    _fake_python(project / ".venv" / "bin" / "python", HERE)
    result = subprocess.run([MAKE, "-n", "distclean"], cwd=project, capture_output=True, text=True, timeout=60)
    assert "rm -rf .venv" in result.stdout
