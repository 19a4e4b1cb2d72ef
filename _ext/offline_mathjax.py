"""Serve MathJax from the build itself, so that the book's math renders without the network.

The MathJax 3.2.2 files come from the pinned PyPI package ``django-static-mathjax`` (it ships
MathJax's ``es5`` bundles; Django is not needed). Only ``tex-svg.js`` is copied: the SVG output
embeds its glyphs, so no font files are needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_FILE = "tex-svg.js"


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


def setup(app):
    _source()  # fail the build early if the package is missing
    app.connect("config-inited", _set_path)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
