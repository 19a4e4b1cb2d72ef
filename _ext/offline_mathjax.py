"""Serve MathJax from the build itself, so that the book's math renders without the network.

The MathJax 3.2.2 files come from the pinned PyPI package ``django-static-mathjax`` (it ships
MathJax's ``es5`` bundles; Django is not needed). ``tex-chtml.js`` (1.2 MB) is copied with the
web fonts of its HTML output (``output/chtml/fonts/woff-v2``, of which a page loads only the few it
uses): about half the weight of the SVG bundle (``tex-svg.js``, 2.1 MB, glyphs inside).

MathJax (2.1 MB) is loaded only by pages with mathematics: myst-nb asks Sphinx to put every
asset on every page, so a page whose document has no math node (``math``, ``math_block``) and
no TeX delimiters in raw HTML outputs gets neither the MathJax script nor its configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_FILE = "tex-chtml.js"
FONTS = Path("output") / "chtml" / "fonts" / "woff-v2"


def _source() -> Path:
    import mathjax  # the package django-static-mathjax installs

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_FILE


def _set_path(app, config) -> None:
    config.mathjax_path = f"mathjax/{MATHJAX_FILE}"


def _copy(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_source(), target / MATHJAX_FILE)
    fonts = _source().parent / FONTS
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
    _source()  # fail the build early if the package is missing
    app.connect("config-inited", _set_path)
    app.connect("html-page-context", _drop_mathjax, priority=900)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
