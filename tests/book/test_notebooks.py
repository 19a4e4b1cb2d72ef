"""jakmeta.book.notebooks: the hint a failing nbval cell gets, and executing notebooks (the stored
notebooks themselves are checked in tests/test_notebooks.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd,
                   check=True, capture_output=True, timeout=60)


def test_nbval_hint_names_the_changed_data_rows(tmp_path):
    """When a stored output no longer matches, the hint lists the data rows changed since the
    notebook was committed, and says how to store new outputs."""
    from jakmeta.book.notebooks import nbval_hint

    (tmp_path / "data").mkdir()
    (tmp_path / "chapters").mkdir()
    csv = tmp_path / "data" / "outcomes.csv"
    csv.write_text("study_id,events\nbrave_aa1,139\nbrave_aa2,103\n", encoding="utf-8")
    (tmp_path / "chapters" / "x.ipynb").write_text("{}", encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "x")
    csv.write_text("study_id,events\nbrave_aa1,139\nbrave_aa2,104\n", encoding="utf-8")
    hint = nbval_hint(str(tmp_path / "chapters" / "x.ipynb"), root=str(tmp_path))
    assert "data/outcomes.csv line 3 was: brave_aa2,103" in hint
    assert "data/outcomes.csv line 3 now: brave_aa2,104" in hint
    assert "make notebooks" in hint and "jakmeta.book.notebooks execute chapters/x.ipynb" in hint
    clean = nbval_hint(str(tmp_path / "chapters" / "x.ipynb"), mismatch=False, root=str(tmp_path / "chapters"))
    assert "raised an error" in clean


def test_strip_volatile_removes_timestamps_ui_state_and_memory_addresses():
    import nbformat

    from jakmeta.book.notebooks import strip_volatile

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x", metadata={"execution": {"iopub.status.busy": "2026-01-01T00:00"},
                                                    "collapsed": True, "scrolled": False, "tags": ["keep"]})
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "<Styler at 0x7f3a2b1c0d90>"},
                                           execution_count=1)]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"state": {}}
    strip_volatile(nb)
    assert dict(nb.cells[0].metadata) == {"tags": ["keep"]}
    assert nb.cells[0].outputs[0]["data"]["text/plain"] == "<Styler at 0xADDRESS>"
    assert "widgets" not in nb.metadata


def test_changed_rows_reads_a_zero_context_diff():
    from jakmeta.book.notebooks import _changed_rows

    diff = ("diff --git a/data/outcomes.csv b/data/outcomes.csv\n--- a/data/outcomes.csv\n+++ b/data/outcomes.csv\n"
            "@@ -3 +3 @@\n-brave_aa2,103\n+brave_aa2,104\n@@ -10,0 +11,2 @@\n+new,1\n+new,2\n")
    assert _changed_rows(diff) == [
        "  data/outcomes.csv line 3 was: brave_aa2,103", "  data/outcomes.csv line 3 now: brave_aa2,104",
        "  data/outcomes.csv line 11 now: new,1", "  data/outcomes.csv line 12 now: new,2"]
    assert _changed_rows("") == []


def test_nbval_hint_outside_a_git_checkout_and_without_changes(tmp_path):
    from jakmeta.book.notebooks import nbval_hint

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.ipynb").write_text("{}", encoding="utf-8")
    assert "(not a git checkout" in nbval_hint(str(plain / "x.ipynb"), root=str(plain))
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "a.csv").write_text("a\n1\n", encoding="utf-8")
    (repo / "x.ipynb").write_text("{}", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "x")
    hint = nbval_hint(str(repo / "x.ipynb"), root=str(repo))
    assert "No file in data or src/jakmeta changed since the notebook was last committed" in hint


def test_execute_stores_outputs_without_volatile_metadata(tmp_path):
    import nbformat

    from jakmeta.book.notebooks import main

    path = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, path)
    assert main(["execute", str(path)]) == 0
    stored = nbformat.read(path, as_version=4)
    assert stored.cells[0].outputs[0]["text"] == "42\n"
    assert "execution" not in stored.cells[0].metadata
