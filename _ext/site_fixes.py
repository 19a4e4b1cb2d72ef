"""Small fixes to the HTML that Jupyter Book 1.0.4 produces, found by the browser tests:

- every page loaded sphinx-thebe's inline script twice ("Identifier 'THEBE_JS_URL' has already
  been declared") and pointed it at a CDN; the book has no launch buttons, so thebe's scripts are
  dropped, and any other script included twice is included once;
- the theme logged "Got invalid theme mode" on a first visit, because no colour mode was stored
  yet: a one-line script sets light mode when none is set, before the theme's script reads it;
- a figure from a notebook cell without ``mystnb.image.alt`` metadata got its file name as alt
  text: the alt text is now read from the PNG's ``Description`` text chunk, which
  ``jakmeta.plots`` writes from the numbers the figure shows (``fig.alt_text``).
"""

from __future__ import annotations

from pathlib import Path


def _script_key(script) -> tuple:
    filename = str(script)
    body = getattr(script, "attributes", {}).get("body", "")
    return filename, body


def _clean_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _script_key(script)
        if "thebe" in key[0] or "THEBE_JS_URL" in key[1] or key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def png_description(path: Path) -> str | None:
    """The ``Description`` text chunk (tEXt, zTXt or iTXt) of a PNG file, or None."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            text = getattr(image, "text", {}) or {}
    except (OSError, ImportError, ValueError):
        return None
    value = text.get("Description")
    return str(value).strip() or None if value else None


def _alt_from_png(app, doctree, docname) -> None:
    from docutils import nodes

    for node in doctree.findall(nodes.image):
        if node.get("alt"):
            continue
        uri = (node.get("candidates") or {}).get("*") or node.get("uri", "")
        if not str(uri).lower().endswith(".png"):
            continue
        for path in (Path(app.srcdir) / uri, Path(app.srcdir) / Path(docname).parent / uri):
            if path.is_file():
                description = png_description(path)
                if description:
                    node["alt"] = description
                break


THEME_MODE = "if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = 'light'; }"


def setup(app):
    app.add_js_file(None, body=THEME_MODE, priority=100)
    app.connect("html-page-context", _clean_scripts, priority=900)
    app.connect("doctree-resolved", _alt_from_png)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
