"""Execute the book's notebooks in place so that their stored outputs are what nbval checks.

``python -m jakmeta.book.notebooks execute chapters/data.ipynb`` runs the notebook top to bottom in a
fresh kernel (working directory: the notebook's folder, as Jupyter Book and nbval use) and
writes it back with its outputs. Volatile metadata (execution timestamps) is removed so that two
runs on the same data give byte-identical files.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
from pathlib import Path

import nbformat
from nbclient import NotebookClient

VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled")
MEMORY_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}")


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove what changes from run to run: timestamps, UI state, memory addresses in reprs."""
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain")
            if isinstance(text, str):  # e.g. "<Styler at 0x7f...>": the same as nbval's sanitize rule
                out["data"]["text/plain"] = MEMORY_ADDRESS.sub("0xADDRESS", text)
    nb.metadata.pop("widgets", None)
    return nb


def execute_notebook(path: str | os.PathLike, timeout: int = 600) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in place and return it."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("MPLBACKEND", None)  # notebooks use the inline backend
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    strip_volatile(nb)
    nbformat.write(nb, path)
    return nb


# ------------------------------------------------------------------ what to look at when nbval fails

ROOT = Path(__file__).resolve().parents[3]
#: Where a changed published number comes from: the data and the library.
WATCHED = ("data", "src/jakmeta")
MAX_ROWS = 12


def _git(*args: str, cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def _changed_rows(diff: str) -> list[str]:
    """``file line N: - old`` / ``+ new`` lines from a ``git diff -U0`` of CSV files."""
    rows, path, old_line, new_line = [], "", 0, 0
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else path
        elif line.startswith("--- "):
            path = line[6:] if line.startswith("--- a/") else path
        elif line.startswith("@@"):
            match = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)", line)
            old_line, new_line = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        elif line.startswith("-"):
            rows.append(f"  {path} line {old_line} was: {line[1:]}")
            old_line += 1
        elif line.startswith("+"):
            rows.append(f"  {path} line {new_line} now: {line[1:]}")
            new_line += 1
    return rows


@functools.cache
def nbval_hint(notebook: str, mismatch: bool = True, root: str | os.PathLike = ROOT) -> str:
    """What to look at when nbval finds that a notebook's stored outputs differ from a fresh run
    (``mismatch``) or that a cell fails: the data rows and library files changed since the notebook
    was last committed, and the command that stores the new outputs."""
    root = Path(root)
    path = Path(notebook).resolve()
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = path
    lines = [f"{rel}: " + ("an output stored in the notebook differs from a fresh run (the diff is above)."
                          if mismatch else "a cell raised an error in a fresh run (the traceback is above).")]
    since = _git("log", "-1", "--format=%h %cs", "--", str(rel), cwd=root)
    if since is None:
        lines.append("(not a git checkout: cannot list what changed since the notebook was stored)")
    elif not since.strip():
        lines.append("The notebook was never committed.")
    else:
        commit, date = since.split()
        files = (_git("diff", "--name-only", commit, "--", *WATCHED, cwd=root) or "").split()
        if files:
            lines.append(f"Changed since the notebook was last committed ({commit}, {date}):")
            lines += [f"  {f}" for f in files[:MAX_ROWS]]
            if len(files) > MAX_ROWS:
                lines.append(f"  ... and {len(files) - MAX_ROWS} more (git diff --stat {commit} -- data src)")
            csvs = [f for f in files if f.endswith(".csv")]
            rows = _changed_rows(_git("diff", "-U0", commit, "--", *csvs, cwd=root) or "") if csvs else []
            if rows:
                lines.append("Data rows that changed:")
                lines += rows[:MAX_ROWS] + ([f"  ... and {len(rows) - MAX_ROWS} more"] if len(rows) > MAX_ROWS else [])
        else:
            lines.append(f"No file in {' or '.join(WATCHED)} changed since the notebook was last committed "
                         f"({commit}, {date}): look at the notebook itself or the installed packages.")
    lines += [
        "If the new output is right (an intended change of data or code): store it with",
        f"  make notebooks    (or: .venv/bin/python -m jakmeta.book.notebooks execute {rel})",
        "then review `git diff` of the notebook and commit it with the change that caused it.",
        "If it is not: the data rows or code listed above are where the published number moved.",
    ]
    return "\n".join(lines)


_HINTED: set[str] = set()


def pytest_runtest_makereport(item, call):
    """pytest hook (``-p jakmeta.book.notebooks``, loaded by the project's conftest.py): add
    :func:`nbval_hint` to the report of the first failing nbval cell of a notebook (a pointer to it
    for the next ones)."""
    if call.when != "call" or call.excinfo is None or type(item).__name__ != "IPyNbCell":
        return None
    notebook = str(item.fspath)
    if "_build" in Path(notebook).parts and (ROOT / "chapters" / Path(notebook).name).exists():
        notebook = str(ROOT / "chapters" / Path(notebook).name)  # `make test-notebooks` runs copies
    if notebook in _HINTED:
        text = "see 'what to look at' under the first failing cell of this notebook; then `make notebooks`"
    else:
        _HINTED.add(notebook)
        text = nbval_hint(notebook, mismatch="outputs differ" in str(call.excinfo.value).lower())
    item.add_report_section("call", "what to look at", text)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jakmeta.book.notebooks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place, storing their outputs")
    run.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    for p in args.paths:
        execute_notebook(p)
        print(f"executed {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
