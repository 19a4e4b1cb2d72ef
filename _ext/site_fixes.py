"""Small fixes to the HTML that Jupyter Book 1.0.4 produces, found by the browser tests:

- every page loaded sphinx-thebe's inline script twice ("Identifier 'THEBE_JS_URL' has already
  been declared") and pointed it at a CDN; the book has no launch buttons, so thebe's scripts are
  dropped, and any other script included twice is included once;
- the theme logged "Got invalid theme mode" on a first visit, because no colour mode was stored
  yet: a one-line script sets light mode when none is set, before the theme's script reads it;
- a figure from a notebook cell without ``mystnb.image.alt`` metadata got its file name as alt
  text: the alt text is now read from the PNG's ``Description`` text chunk, which
  ``jakmeta.book.plots`` writes from the numbers the figure shows (``fig.alt_text``);
- the book is light only (its figures are drawn for white paper; one palette is checked for
  contrast): a script in the head sets light mode before the theme reads it, whatever the reader's
  system prefers or an earlier visit stored, and ``_static/book.css`` hides the colour-mode button;
- every page loaded Font Awesome's whole icon script (1.5 MB) for about fifteen icons: after the
  build, ``_static/scripts/fontawesome.js`` is replaced by a small script holding only the icons
  the pages use (their SVG paths taken from the theme's own copy of Font Awesome, which is under
  the CC BY 4.0 / MIT licences stated in its header), and its source map is dropped.
"""

from __future__ import annotations

import json
import re
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


THEME_MODE = ("try { localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light'); } catch (e) {} "
              "document.documentElement.dataset.mode = 'light'; document.documentElement.dataset.theme = 'light';")

#: Classes of Font Awesome that are not icons (styles and sizes).
_FA_MODIFIERS = {"fa-solid", "fa-regular", "fa-brands", "fa-lg", "fa-sm", "fa-xs", "fa-fw", "fa-2x", "fa-3x",
                 "fa-spin", "fa-pull-left", "fa-pull-right"}
#: Icons the theme's scripts create at run time (pydata-sphinx-theme.js: the close button of dialogs).
_FA_RUNTIME = {"fa-xmark"}
_FA_CLASS = re.compile(r"\bfa-[a-z0-9-]+")

ICON_SCRIPT = """/* The few Font Awesome icons this site uses (Font Awesome Free, https://fontawesome.com,
   icons CC BY 4.0, code MIT; paths from the copy that pydata-sphinx-theme ships), drawn as inline SVG
   in place of each <i class="fa-..."> element, as Font Awesome's own script does. Written by
   _ext/site_fixes.py. */
(() => {
  const ICONS = %s;
  const style = document.createElement("style");
  style.textContent = ".svg-inline--fa{display:inline-block;height:1em;overflow:visible;vertical-align:-.125em}" +
    ".svg-inline--fa.fa-lg{height:1.25em;vertical-align:-.2em}";
  const draw = (i) => {
    const name = Array.from(i.classList).find((c) => ICONS[c]);
    if (!name) return;
    const [w, h, d] = ICONS[name];
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    for (const a of Array.from(i.attributes)) svg.setAttribute(a.name, a.value);
    svg.setAttribute("class", `${i.getAttribute("class")} svg-inline--fa`);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", d);
    svg.appendChild(path);
    i.replaceWith(svg);
  };
  const all = (root) => root.querySelectorAll && root.querySelectorAll("i[class*='fa-']").forEach(draw);
  const start = () => {
    document.head.appendChild(style);
    all(document);
    new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
      if (n.nodeType !== 1) return;
      if (n.matches("i[class*='fa-']")) draw(n); else all(n);
    }))).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
"""


def _fontawesome_source() -> Path | None:
    try:
        import pydata_sphinx_theme
    except ImportError:
        return None
    path = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "scripts"
            / "fontawesome.js")
    return path if path.is_file() else None


def icon_paths(script: str, names) -> dict[str, list]:
    """``{"fa-list": [width, height, svg path]}`` for the named icons, read from Font Awesome's
    script (entries ``list:[512,512,[aliases],"f03a","M40 48..."]``); an icon found in several
    styles (brands, regular, solid, in that order in the script) keeps the last: solid."""
    found = {}
    for name in sorted(names):
        bare = name.removeprefix("fa-")
        pattern = re.compile(r'[{,]"?' + re.escape(bare) + r'"?:\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]*","(M[^"]+)"\]')
        matches = list(pattern.finditer(script))
        if matches:
            match = matches[-1]
            found[name] = [int(match.group(1)), int(match.group(2)), match.group(3)]
    return found


def _small_icon_script(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = _fontawesome_source()
    target = Path(app.outdir) / "_static" / "scripts" / "fontawesome.js"
    if source is None or not target.exists():
        return
    names = set(_FA_RUNTIME)
    for page in Path(app.outdir).rglob("*.html"):
        for classes in re.findall(r'class="([^"]*\bfa-[^"]*)"', page.read_text(encoding="utf-8")):
            names |= set(_FA_CLASS.findall(classes))
    icons = icon_paths(source.read_text(encoding="utf-8"), names - _FA_MODIFIERS)
    target.write_text(ICON_SCRIPT % json.dumps(icons, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    (target.parent / "fontawesome.js.map").unlink(missing_ok=True)


def setup(app):
    app.add_js_file(None, body=THEME_MODE, priority=100)
    app.connect("html-page-context", _clean_scripts, priority=900)
    app.connect("doctree-resolved", _alt_from_png)
    app.connect("build-finished", _small_icon_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
