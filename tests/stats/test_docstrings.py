"""The public names of jakmeta.stats are listed in ``__all__`` and carry numpydoc docstrings.

Every module of the pooling engine lists its public names in ``__all__``; every function there
has ``Parameters`` and ``Returns`` (or ``Yields``) sections, every result dataclass an
``Attributes`` section, and where the module cites a paper (a ``[key]`` or ``:cite:`` of
references.bib in its source) each function and dataclass names its sources in ``References``.
Ruff's pydocstyle rules (numpy convention, pyproject.toml) check the form; this test checks that
the sections are there. Names with a leading underscore are the engine's implementation details.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

import jakmeta.stats

STATS = Path(jakmeta.stats.__file__).parent
MODULES = sorted(p.stem for p in STATS.glob("*.py") if not p.stem.startswith("_"))
#: a citation of references.bib in a docstring: [key], [key1; key2] or :cite:`key`.
CITATION = re.compile(r"\[[A-Za-z][A-Za-z0-9_]*\d{4}[a-z_]*(?:;\s*[A-Za-z][A-Za-z0-9_]*)*\]|:cite:`[^`]+`")


def _module(name: str):
    return importlib.import_module(f"jakmeta.stats.{name}")


def _sections(doc: str) -> set[str]:
    """The numpydoc section headers of a docstring (a title line underlined with dashes)."""
    lines = inspect.cleandoc(doc).splitlines()
    return {
        lines[i].strip()
        for i in range(len(lines) - 1)
        if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())
        and len(lines[i + 1].strip()) == len(lines[i].strip())
    }


def _public_objects():
    for name in MODULES:
        module = _module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield pytest.param(name, attr, obj, id=f"{name}.{attr}")


def test_the_modules_are_found():
    assert {"engine", "tau2", "inference", "effects", "bayes", "bias"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_each_module_lists_its_public_names_and_only_defined_ones(name):
    module = _module(name)
    assert hasattr(module, "__all__"), f"jakmeta.stats.{name} has no __all__"
    names = list(module.__all__)
    assert len(names) == len(set(names)), f"jakmeta.stats.{name}.__all__ repeats a name"
    for attr in names:
        assert not attr.startswith("_"), f"jakmeta.stats.{name}.__all__ lists the private name {attr}"
        assert hasattr(module, attr), f"jakmeta.stats.{name}.__all__ lists {attr}, which is not defined"
        obj = getattr(module, attr)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__module__ == module.__name__, f"{attr} is defined in {obj.__module__}, not {name}"
    # every public function or class defined in the module is listed (the rest is private)
    defined = {attr for attr, obj in vars(module).items()
               if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__
               and not attr.startswith("_")}
    assert defined <= set(names), f"jakmeta.stats.{name} defines public {sorted(defined - set(names))} not in __all__"


def test_the_package_exports_only_public_names_of_its_modules():
    listed = {attr: _module(name) for name in MODULES for attr in _module(name).__all__}
    for attr in jakmeta.stats.__all__:
        assert attr in listed, f"jakmeta.stats.__all__ lists {attr}, which no module lists in its __all__"
        assert getattr(jakmeta.stats, attr) is getattr(listed[attr], attr)


@pytest.mark.parametrize(("module", "attr", "obj"), list(_public_objects()))
def test_public_names_have_numpydoc_sections(module, attr, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"jakmeta.stats.{module}.{attr} has no docstring"
    sections = _sections(obj.__doc__)
    where = f"jakmeta.stats.{module}.{attr}"
    if inspect.isfunction(obj):
        assert "Parameters" in sections, f"{where}: no Parameters section"
        assert sections & {"Returns", "Yields"}, f"{where}: no Returns section"
    elif dataclasses.is_dataclass(obj):
        assert "Attributes" in sections, f"{where}: no Attributes section"
        fields = {f.name for f in dataclasses.fields(obj)}
        described = set(re.findall(r"^(\w+(?:, \w+)*)(?: :|$)", doc.split("Attributes\n----------\n")[1],
                                   re.M))
        named = {n for group in described for n in group.split(", ")}
        assert fields <= named, f"{where}: Attributes does not describe {sorted(fields - named)}"
    cites = CITATION.search(inspect.getsource(_module(module)))
    if cites and (inspect.isfunction(obj) or dataclasses.is_dataclass(obj)):
        assert "References" in sections, f"{where}: the module cites papers but this docstring has no References"


@pytest.mark.parametrize(("module", "attr", "obj"), list(_public_objects()))
def test_references_name_the_keys_cited_in_the_docstring(module, attr, obj):
    doc = inspect.getdoc(obj)
    if "References" not in _sections(obj.__doc__):
        return
    body, refs = doc.split("References\n----------\n", 1)
    cited = {k.strip() for group in re.findall(r"\[([^\]]+)\]", body) for k in group.split(";")}
    cited = {k for k in cited if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*\d{4}[a-z_]*|cochrane_handbook_ch\d+", k)}
    listed = set(re.findall(r"^\.\. \[([^\]]+)\]", refs, re.M))
    assert cited <= listed, f"jakmeta.stats.{module}.{attr}: cited but not in References: {sorted(cited - listed)}"
    assert listed, f"jakmeta.stats.{module}.{attr}: an empty References section"


def test_references_are_keys_of_the_bibliography():
    bib = (Path(__file__).resolve().parents[2] / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", bib, re.M))
    missing = set()
    for param in _public_objects():
        module, attr, obj = param.values
        for key in re.findall(r"^\.\. \[([^\]]+)\]", inspect.getdoc(obj) or "", re.M):
            if key not in keys:
                missing.add(f"jakmeta.stats.{module}.{attr}: {key}")
    assert not missing, sorted(missing)
