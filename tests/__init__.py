"""The library tests; see tests/README.md for what lives where."""

from __future__ import annotations

import shutil
from pathlib import Path

#: The checkout the tests run in (found from this file, never from the working directory).
ROOT = Path(__file__).resolve().parents[1]
#: The data package.
DATA = ROOT / "data"
#: The reference values (metafor) the engine is tested against, copied with attribution.
REFERENCE_DIR = ROOT / "tests" / "reference"


def copy_data(tmp_path: Path) -> Path:
    """A copy of ``data/`` in ``tmp_path/data``, with ``references.bib`` beside it."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    return target
