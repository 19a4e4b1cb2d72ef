"""The package's floors: every import (top-level or inside a function) points down, never up.

stats and evidence are the ground floor, side by side (neither imports the other); review stands on
both; book on review; the command line on everything. A module that only re-exports names of other
modules (a shim) is not allowed, and each subpackage lists its public names in ``__all__``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jakmeta"
#: What each floor may import from the package (besides itself).
ALLOWED = {
    "stats": set(),
    "evidence": set(),
    "review": {"stats", "evidence"},
    "book": {"stats", "evidence", "review"},
    "cli": {"stats", "evidence", "review", "book"},
    "__main__": {"cli"},
    "__init__": set(),
}
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _floor(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imported_floors(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names] if node.module == "jakmeta" else [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "jakmeta" and len(parts) > 1 and parts[1] != "__version__":
                found.add((parts[1], node.lineno))
    return found


def test_the_floors_are_the_four_subpackages_and_the_command_line():
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == {
        "stats", "evidence", "review", "book"}
    assert {p.name for p in PACKAGE.glob("*.py")} == {"__init__.py", "__main__.py", "cli.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    floor = _floor(path)
    upward = [(f, line) for f, line in _imported_floors(path) if f != floor and f not in ALLOWED[floor]]
    assert not upward, f"{path.relative_to(PACKAGE)} imports from a floor above or beside it: {upward}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name not in ("__init__.py", "__main__.py")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_only_re_exports(path):
    body = ast.parse(path.read_text(encoding="utf-8")).body
    defines = [n for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign | ast.If)]
    assert defines, f"{path.relative_to(PACKAGE)} defines nothing of its own (a re-export shim)"


@pytest.mark.parametrize("name", ["stats", "evidence", "review", "book"])
def test_each_subpackage_says_what_it_answers_and_lists_its_public_names(name):
    module = importlib.import_module(f"jakmeta.{name}")
    assert module.__doc__ and module.__doc__.startswith(f"jakmeta.{name}:")
    for public in module.__all__:
        assert not public.startswith("_")
        assert hasattr(module, public) or importlib.import_module(f"jakmeta.{name}.{public}")
