"""Execute the book's notebooks in place so that their stored outputs are what nbval checks.

``python -m jakmeta.notebooks execute chapters/data.ipynb`` runs the notebook top to bottom in a
fresh kernel (working directory: the notebook's folder, as Jupyter Book and nbval use) and
writes it back with its outputs. Volatile metadata (execution timestamps) is removed so that two
runs on the same data give byte-identical files.
"""

from __future__ import annotations

import argparse
import os
import re
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jakmeta.notebooks")
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
