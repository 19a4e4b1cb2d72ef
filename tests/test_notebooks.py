"""The book's notebooks: stored with outputs, listed in the table of contents, and checked by a
strict nbval that can fail.

nbval compares a fresh run of each notebook with the outputs stored in it; a notebook stored
without outputs would make that comparison assert nothing, hence the first test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files.extend(s["file"] for s in chapter.get("sections", []))
    return files


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_with_outputs(path):
    cells = _code_cells(path)
    assert cells, f"{path.name}: no code cells"
    not_run = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert not not_run, f"{path.name}: code cells {not_run} were never executed; run `make notebooks`"
    assert any(c["outputs"] for c in cells), f"{path.name}: stored without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_have_no_volatile_text(path):
    volatile = re.compile(r"object at 0x[0-9a-f]+|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
    for i, cell in enumerate(_code_cells(path)):
        assert "execution" not in cell.get("metadata", {}), f"{path.name} cell {i}: timestamps stored"
        for out in cell["outputs"]:
            text = json.dumps(out.get("data", {}).get("text/plain", "")) + json.dumps(out.get("text", ""))
            assert not volatile.search(text), f"{path.name} cell {i}: volatile output {text[:80]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_errors_stored(path):
    for i, cell in enumerate(_code_cells(path)):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path.name} cell {i} stores an error"
            assert out.get("name") != "stderr", f"{path.name} cell {i} stores stderr: {out.get('text')}"


def test_every_toc_entry_exists_and_every_chapter_is_in_the_toc():
    toc = _toc_files()
    for entry in toc:
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml names {entry}, which does not exist"
    listed = {str(Path(e)) for e in toc}
    for path in list(CHAPTERS.glob("*.ipynb")) + list(CHAPTERS.glob("*.md")):
        rel = str(path.relative_to(ROOT).with_suffix(""))
        assert rel in listed, f"{rel} is not in _toc.yml"


def test_config_executes_every_notebook_and_fails_on_errors():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "force"
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert config["execute"]["allow_errors"] is False


def _run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONHASHSEED"] = "0"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "jakmeta.book.notebooks", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         str(notebook)],
        capture_output=True, text=True, cwd=notebook.parent, env=env, timeout=300,
    )


def _smallest_notebook_with_text_output() -> Path:
    for path in sorted(NOTEBOOKS, key=lambda p: p.stat().st_size):
        for cell in _code_cells(path):
            for out in cell["outputs"]:
                if out["output_type"] == "stream" or "text/plain" in out.get("data", {}):
                    return path
    pytest.fail("no notebook stores a text output")


def test_nbval_fails_when_a_stored_output_is_changed(tmp_path):
    """A strict nbval run must fail when one stored output differs from a fresh run."""
    original = _smallest_notebook_with_text_output()
    copy = tmp_path / original.name
    shutil.copy(original, copy)
    nb = json.loads(copy.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell["outputs"]:
            if out["output_type"] == "stream":
                out["text"] = ["a deliberately changed stored output\n"]
                break
            if "text/plain" in out.get("data", {}):
                out["data"]["text/plain"] = ["a deliberately changed stored output"]
                break
        else:
            continue
        break
    copy.write_text(json.dumps(nb), encoding="utf-8")
    result = _run_nbval(copy)
    assert result.returncode != 0, "nbval passed although a stored output was changed"
    output = result.stdout + result.stderr
    assert "mismatch" in output.lower()
    assert "what to look at" in output and "make notebooks" in output, output[-2000:]
