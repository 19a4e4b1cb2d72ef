"""Serve MathJax from the build itself, so that the book's math renders without the network.

The MathJax 3.2.2 files come from the pinned PyPI package ``django-static-mathjax`` (it ships
MathJax's ``es5`` components; Django is not needed). The book does not load a combined bundle
(``tex-chtml.js``, 1.16 MB, of which 0.43 MB is the context menu and 0.04 MB TeX packages the
book does not use) but MathJax's own loader (``startup.js``) with the components its formulas
need (:data:`COMPONENTS`): the core, TeX input with the ``base`` and ``ams`` packages (the book's
formulas use ``\frac``, ``\hat``, ``\sum``, ``\sqrt``, ``\text``, ``\operatorname``), HTML output
(CHTML) with its TeX font and the web fonts of which a page loads only the few it uses, and
the hidden MathML that screen readers read (``a11y/assistive-mml``): 0.75 MB of scripts and,
on the methods page, 0.07 MB of fonts, instead of 1.16 MB and the fonts, so that every page weighs
at most 1 MB after the first load (issue 18; ``make bench``: methods 1.34 MB -> 0.93 MB). What
the book gives up is MathJax's context menu (``ui/menu``: show the TeX, zoom), not the mathematics.
A formula with a command outside these packages shows as an error box in red, which
``tests/website`` would find (no ``mjx-merror`` on any page).

MathJax is loaded only by pages with mathematics: myst-nb asks Sphinx to put every asset on
every page, so a page whose document has no math node (``math``, ``math_block``) and no TeX
delimiters in raw HTML outputs gets neither the MathJax script nor its configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_FILE = "startup.js"
#: The components (paths under MathJax's ``es5`` folder, without ``.js``) the book's formulas need;
#: MathJax's loader (``startup.js``) loads them from the folder it was itself loaded from.
COMPONENTS = ("core", "input/tex-base", "input/tex/extensions/ams", "output/chtml",
              "output/chtml/fonts/tex", "a11y/assistive-mml")
FONTS = Path("output") / "chtml" / "fonts" / "woff-v2"
#: MathJax configuration (merged into Sphinx's ``mathjax3_config``): what the loader loads and the
#: TeX packages; no context menu (``ui/menu`` is not served).
LOADER_CONFIG = {
    "loader": {"load": ["input/tex-base", "[tex]/ams", "output/chtml", "a11y/assistive-mml"]},
    "tex": {"packages": {"[+]": ["ams"]}},
    "options": {"enableMenu": False},
}


def _root() -> Path:
    import mathjax  # the package django-static-mathjax installs

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def _set_path(app, config) -> None:
    config.mathjax_path = f"mathjax/{MATHJAX_FILE}"
    merged = dict(config.mathjax3_config or {})
    for key, value in LOADER_CONFIG.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(merged.get(key), dict) else value
    config.mathjax3_config = merged


def _copy(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for name in (MATHJAX_FILE.removesuffix(".js"), *COMPONENTS):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_root() / f"{name}.js", target / f"{name}.js")
    fonts = _root() / FONTS
    if fonts.is_dir():
        shutil.copytree(fonts, target / FONTS, dirs_exist_ok=True)


_TEX = ("\\(", "\\[", "$$", "\\begin{")


def has_math(doctree) -> bool:
    """True when a page needs MathJax: a math node, or TeX delimiters in raw HTML."""
    from docutils import nodes

    if doctree is None:
        return True
    if next(iter(doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))), None) is not None:
        return True
    return any(any(mark in node.astext() for mark in _TEX) for node in doctree.findall(nodes.raw))


def _drop_mathjax(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts or has_math(doctree):
        return
    context["script_files"] = [
        s for s in scripts
        if MATHJAX_FILE not in str(s) and "window.MathJax" not in getattr(s, "attributes", {}).get("body", "")]


def setup(app):
    missing = [c for c in (MATHJAX_FILE.removesuffix(".js"), *COMPONENTS) if not (_root() / f"{c}.js").is_file()]
    if missing:  # fail the build early if the package is missing or lacks a component
        raise RuntimeError(f"MathJax components missing in {_root()}: {missing}")
    app.connect("config-inited", _set_path)
    app.connect("html-page-context", _drop_mathjax, priority=900)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
