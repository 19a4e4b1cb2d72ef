"""Small fixes to the HTML that Jupyter Book 1.0.4 produces, found by the browser tests:

- every page loaded sphinx-thebe's inline script twice ("Identifier 'THEBE_JS_URL' has already
  been declared") and pointed it at a CDN; the book has no launch buttons, so thebe's scripts are
  dropped, and any other script included twice is included once;
- the theme logged "Got invalid theme mode" on a first visit, because no colour mode was stored
  yet: a one-line script sets light mode when none is set, before the theme's script reads it.
"""

from __future__ import annotations


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


THEME_MODE = "if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = 'light'; }"


def setup(app):
    app.add_js_file(None, body=THEME_MODE, priority=100)
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
