"""Benchmark of the book (not a timed test): clean build time, per-notebook execution time,
and the time of `make test` without installation.

Run with ``make bench``. Budget on a 2-core machine: notebooks <= 60 s in total, make test <= 4 min.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def time_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    print("Per-notebook execution time (fresh kernel each):")
    total = 0.0
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        seconds = time_notebook(path)
        total += seconds
        print(f"  {path.name:<32s} {seconds:6.2f} s")
    print(f"  {'total':<32s} {total:6.2f} s   (budget 60 s)")

    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    jb = str(Path(sys.executable).parent / "jupyter-book")
    build = time_command([jb, "build", ".", "-W", "-n", "--keep-going"])
    print(f"Clean book build: {build:.1f} s")

    test = time_command(["make", "test"])
    print(f"make test (environment already installed): {test:.1f} s   (budget 240 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
