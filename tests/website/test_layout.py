"""Every page as a reader sees it, at a desktop width (1280 px) and a phone width (390 px):

- no missing-value marker of pandas (``NaN``, ``nan``, ``<NA>``, ``None``, ``NaT``) as a table cell or
  in the visible text, and no pandas footer ("76 rows × 9 columns");
- nothing wider than the page unless it sits in a box that scrolls horizontally, nothing cut off by
  a box that hides its overflow, and text outputs that wrap rather than scroll;
- a real year (not 1970) in the footer;
- a full-page screenshot of every page at both widths in ``_build/screenshots/`` for review.

The site is ``_build/html`` or ``$JAKMETA_SITE_DIR``; the page list is ``_toc.yml``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import BUILD
from .test_site import PAGES

SCREENSHOTS = BUILD / "screenshots"
WIDTHS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
MISSING_MARKERS = ("NaN", "nan", "<NA>", "None", "NaT")
PANDAS_FOOTER = re.compile(r"\d[\d,]*\s+rows\s*×\s*\d[\d,]*\s+columns")


def _open(browser, server, page: str, width: str) -> None:
    w, h, mobile = WIDTHS[width]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})
    browser.get(f"{server}/{page}")
    browser.set_script_timeout(30)
    # wait for fonts and for MathJax to typeset (math changes the width of a page)
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const math = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
        const loaded = new Promise(r => document.readyState === 'complete' ? r() : addEventListener('load', r));
        Promise.all([document.fonts.ready, math, loaded]).then(() => setTimeout(done, 150), () => done());
    """)


@pytest.fixture
def reset_width(browser):
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# Elements wider than the viewport that are not inside a horizontally scrolling box, and elements
# cut off by an ancestor that hides its overflow. Only the outermost offender is reported.
OVERFLOW_JS = r"""
const vw = document.documentElement.clientWidth;
const scrolls = s => s.overflowX === 'auto' || s.overflowX === 'scroll';
const hides = s => s.overflowX === 'hidden' || s.overflowX === 'clip';
const describe = (el, r) => {
  let name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
             (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const text = (el.innerText || el.getAttribute('alt') || '').trim().replace(/\s+/g, ' ').slice(0, 70);
  const sec = el.closest('section[id]');
  return `${name} [${Math.round(r.left)}..${Math.round(r.right)} px]` +
         (sec ? ` in #${sec.id}` : '') + (text ? `: "${text}"` : '');
};
const reported = new Set();
const wide = [], clipped = [];
const roots = document.querySelectorAll('.bd-header, .bd-main, footer');
for (const root of roots) {
  for (const el of root.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || s.position === 'fixed') continue;
    if (el.closest('.bd-sidebar-primary, .bd-sidebar-secondary, dialog, .sr-only, .visually-hidden, mjx-assistive-mml')) continue;
    let parent = el.parentElement, skip = false;
    while (parent) { if (reported.has(parent)) { skip = true; break; } parent = parent.parentElement; }
    if (skip) continue;
    // the nearest ancestor that scrolls or hides horizontally
    let box = el.parentElement;
    while (box && box !== document.body && box !== document.documentElement) {
      const bs = getComputedStyle(box);
      if (scrolls(bs) || hides(bs)) break;
      box = box.parentElement;
    }
    const boxed = box && box !== document.body && box !== document.documentElement;
    const bs = boxed ? getComputedStyle(box) : null;
    if (boxed && scrolls(bs)) {
      const br = box.getBoundingClientRect();
      if (br.right > vw + 1 || br.left < -1) { wide.push(describe(box, br)); reported.add(box); }
      continue;  // inside a scrolling box: may be wider than the page
    }
    if (boxed && hides(bs) && el.closest('article')) {
      const br = box.getBoundingClientRect();
      if (r.right > br.right + 2 || r.left < br.left - 2) {
        clipped.push(describe(el, r) + ` (cut by ${describe(box, br).split(' [')[0]})`);
        reported.add(el);
        continue;
      }
    }
    if (r.right > vw + 1 || r.left < -1) { wide.push(describe(el, r)); reported.add(el); }
  }
}
// text outputs (print, plain-text results) wrap instead of scrolling
const unwrapped = [];
for (const pre of document.querySelectorAll('.cell_output pre')) {
  if (pre.scrollWidth > pre.clientWidth + 2 && pre.getBoundingClientRect().width > 0) {
    unwrapped.push(describe(pre, pre.getBoundingClientRect()));
  }
}
return {vw: vw, page: document.documentElement.scrollWidth, wide: wide, clipped: clipped,
        unwrapped: unwrapped};
"""


FOOTER_JS = "return Array.from(document.querySelectorAll('footer')).map(f => f.innerText).join(' ')"
CELLS_JS = "return Array.from(document.querySelectorAll('article td, article th')).map(c => c.innerText.trim())"
# the visible results of a page: source code may say NaN, results may not
TEXT_JS = """
    const main = document.querySelector('article') || document.body;
    return Array.from(main.querySelectorAll('p, li, td, th, dd, dt, caption, figcaption, .cell_output'))
      .filter(el => !el.closest('.cell_input, div.highlight, .highlight, code, details:not([open])'))
      .map(el => el.innerText).join('\\n');
"""
# Everything a reader sees in the article, headings and tables included; not code (cells, inline
# code, which is for reviewers), not collapsed details. Used by tests/website/test_reader.py.
VISIBLE_JS = """
    const main = document.querySelector('article') || document.body;
    const parts = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!el || el.closest('.cell_input, div.highlight, pre, code, script, style, details:not([open]), .visually-hidden, mjx-assistive-mml')) continue;
      if (!el.getClientRects().length) continue;
      parts.push(walker.currentNode.textContent);
    }
    return parts.join(' ');
"""
# WCAG 2.1 contrast of table cells, captions and figure captions against the background they are
# drawn on (the nearest ancestor with an opaque enough background; white at the root).
CONTRAST_JS = r"""
const rgba = c => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat([1]).slice(0, 4); };
const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
const background = el => {
  let layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 0.99) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
  return out;
};
const low = [];
for (const el of document.querySelectorAll('article td, article th, article caption, article figcaption, article .jm-scroll-hint, article .jm-figure-hint')) {
  const text = el.innerText.trim();
  if (!text || !el.getClientRects().length) continue;
  const fg = rgba(getComputedStyle(el).color), bg = background(el);
  const colour = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
  const [a, b] = [lum(colour), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  if (ratio < 4.5) low.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}:1`);
}
return low;
"""
# Forest plots (natural and shown width, scrolling box, hint) and card tables, at either width.
READER_JS = """
const forest = Array.from(document.querySelectorAll('.cell_output img[alt^="Forest plot"]')).map(img => {
  const box = img.closest('.cell_output');
  const prev = box && box.previousElementSibling;
  return {natural: img.naturalWidth, shown: Math.round(img.getBoundingClientRect().width),
          overflows: box ? box.scrollWidth > box.clientWidth + 2 : false, scroll: box ? box.scrollLeft : 0,
          hint: !!(prev && prev.classList.contains('jm-figure-hint'))};
});
const cards = Array.from(document.querySelectorAll('table.jm-cards')).map(t => {
  const box = t.closest('.jm-table-scroll') || t.parentElement;
  return {overflows: box.scrollWidth > box.clientWidth + 2 || t.getBoundingClientRect().right > document.documentElement.clientWidth + 1,
          labelled: Array.from(t.querySelectorAll('tbody td')).every(td => td.hasAttribute('data-label'))};
});
return {forest: forest, cards: cards, height: document.documentElement.scrollHeight};
"""
_MEASURED: dict = {}


def _measure(browser, server, page: str, width: str) -> dict:
    """Load a page once per width and take everything the tests below check, and a screenshot."""
    key = (server, page, width)
    if key not in _MEASURED:
        _open(browser, server, page, width)
        found = browser.execute_script(OVERFLOW_JS)
        found.update(browser.execute_script(READER_JS))
        if width == "desktop":
            found.update(cells=browser.execute_script(CELLS_JS), text=browser.execute_script(TEXT_JS),
                         footer=browser.execute_script(FOOTER_JS), contrast=browser.execute_script(CONTRAST_JS),
                         visible=browser.execute_script(VISIBLE_JS))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        _screenshot(browser, SCREENSHOTS / f"{page.replace('/', '_').removesuffix('.html')}_{WIDTHS[width][0]}.png",
                    width)
        _MEASURED[key] = found
    return _MEASURED[key]


@pytest.mark.parametrize("page", PAGES)
def test_no_missing_value_markers_or_pandas_footers(browser, server, reset_width, page):
    found = _measure(browser, server, page, "desktop")
    cells = found["cells"]
    counts = {c: cells.count(c) for c in sorted({c for c in cells if c in MISSING_MARKERS})}
    bad_words = sorted(set(re.findall(r"(?<![\w.])(NaN|<NA>|NaT)(?![\w])", found["text"])))
    footers = PANDAS_FOOTER.findall(found["text"])
    problems = []
    if counts:
        problems.append(f"table cells showing a missing-value marker: {counts} (use jakmeta.book.display.show_table)")
    if bad_words:
        problems.append(f"missing-value markers in the visible text: {bad_words}")
    if footers:
        problems.append(f"pandas footers: {footers} (use jakmeta.book.display.show_table)")
    assert not problems, f"{page}: " + "; ".join(problems)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_clipped_or_wider_than_the_page(browser, server, reset_width, page, width):
    found = _measure(browser, server, page, width)
    problems = []
    if found["page"] > found["vw"] + 1:
        problems.append(f"the page scrolls sideways ({found['page']} px > {found['vw']} px)")
    if found["wide"]:
        problems.append("wider than the page, not in a scrolling box: " + "; ".join(found["wide"][:8]))
    if found["clipped"]:
        problems.append("cut off: " + "; ".join(found["clipped"][:8]))
    if found["unwrapped"]:
        problems.append("text output that does not wrap: " + "; ".join(found["unwrapped"][:5]))
    assert not problems, f"{page} at {WIDTHS[width][0]} px: " + " | ".join(problems)


def _screenshot(browser, path, width: str) -> None:
    """A full-page PNG: the viewport is made as tall as the page, then captured (capturing beyond
    the viewport instead misplaces the theme's sticky sidebars)."""
    import base64
    import time

    w, h, mobile = WIDTHS[width]
    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    height = max(h, min(int(size["height"]), 20000))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    time.sleep(0.2)
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})


@pytest.mark.parametrize("page", PAGES)
def test_footer_shows_a_real_year(browser, server, reset_width, page):
    footer = _measure(browser, server, page, "desktop")["footer"]
    years = [int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", footer)]
    assert years, f"{page}: no year in the footer: {footer!r}"
    assert 1970 not in years and max(years) >= 2025, f"{page}: footer year {years} ({footer.strip()[:120]!r})"


def test_long_tables_can_be_filtered_and_sorted(browser, server, reset_width):
    """book.js gives every jakmeta.book.display table of more than 20 rows a filter box and sortable
    headers (the extraction log has such tables)."""
    _open(browser, server, "chapters/extraction_log.html", "desktop")
    tables = browser.find_elements("css selector", "table.jm-sortable")
    assert tables, "no long jakmeta.book.display table with a filter box on the extraction log"
    table = tables[0]
    rows = lambda: [r for r in table.find_elements("css selector", "tbody tr") if r.is_displayed()]  # noqa: E731
    before = rows()
    first_cell = before[0].find_elements("css selector", "td")[0].text
    box = browser.execute_script("""
        let el = arguments[0].closest('.jm-table-scroll').previousElementSibling;
        while (el && !el.matches('input.jm-filter')) el = el.previousElementSibling;
        return el;""", table)
    assert box is not None, "no filter box above the long table"
    browser.execute_script("arguments[0].scrollIntoView()", box)
    box.send_keys(first_cell)
    assert 0 < len(rows()) <= len(before)
    words = first_cell.lower().split()
    assert all(all(w in r.text.lower() for w in words) for r in rows())
    box.clear()
    box.send_keys("zzzz-no-such-text")
    assert not rows()
    browser.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", box)
    header = table.find_elements("css selector", "thead th")[0]
    browser.execute_script("arguments[0].click()", header)
    assert header.get_attribute("aria-sort") == "ascending"
    texts = [r.find_elements("css selector", "td")[0].text.lower() for r in rows()]
    assert texts == sorted(texts, key=lambda t: (t == "—", t))


def test_a_table_wider_than_its_box_says_so(browser, server, reset_width):
    """A jakmeta.book.display table wider than its box (here at phone width) scrolls in it, with a hint
    above it and its first column kept in view; a table that fits has neither."""
    _open(browser, server, "chapters/extraction_log.html", "phone")
    found = browser.execute_script("""
        const out = [];
        for (const box of document.querySelectorAll('.jm-table-scroll')) {
          const wide = box.scrollWidth > box.clientWidth + 2;
          const hint = box.previousElementSibling && box.previousElementSibling.classList.contains('jm-scroll-hint');
          const first = box.querySelector('tbody tr > :first-child');
          out.push({wide: wide, hint: hint, sticky: first ? getComputedStyle(first).position : null});
        }
        return out;""")
    wide = [f for f in found if f["wide"]]
    assert wide, "expected at least one table wider than the phone screen in the extraction log"
    assert all(f["hint"] for f in wide), found
    assert all(f["sticky"] == "sticky" for f in wide if f["sticky"]), found
    assert not any(f["sticky"] == "sticky" for f in found if not f["wide"]), found
    assert not any(f["hint"] for f in found if not f["wide"]), found


ANSWER_TABLES_JS = """
return Array.from(document.querySelectorAll('.jm-table-scroll')).filter(box => {
  const heads = Array.from(box.querySelectorAll('thead th')).map(th => th.textContent.trim());
  return heads.includes('Certainty') && (heads.includes('In plain words') || heads.includes('Model')
                                         || heads.includes('Headline model'));
}).map(box => ({caption: (box.querySelector('caption, th') || box).textContent.trim().slice(0, 50),
               box: box.clientWidth, table: box.scrollWidth,
               page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth}));
"""


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", ["index.html", "chapters/summary.html"])
def test_answer_tables_fit_without_sideways_scrolling(browser, server, reset_width, page, width):
    """The answer table of the landing page (with its plain words) and the Summary of Findings fit
    their column at 1280 px, and read as cards at 390 px: no sideways scrolling at either width."""
    _open(browser, server, page, width)
    tables = browser.execute_script(ANSWER_TABLES_JS)
    assert tables, f"{page}: no answer table"
    wide = [t for t in tables if t["table"] > t["box"] + 1 or t["page"] > t["view"] + 1]
    assert not wide, f"{page} at {width}: tables that scroll sideways: {wide}"


def test_per_drug_table_of_the_responders_fits_at_desktop_width(browser, server, reset_width):
    """The per-drug SALT <= 20 table of the responders chapter (drug and dose, trials, estimate,
    certainty, model) fits its column at 1280 px: the estimate and its interval are one column."""
    _open(browser, server, "chapters/efficacy_responders.html", "desktop")
    tables = browser.execute_script(ANSWER_TABLES_JS)
    assert tables, "no per-drug table with a Certainty and a Headline model column"
    wide = [t for t in tables if t["table"] > t["box"] + 1 or t["page"] > t["view"] + 1]
    assert not wide, f"tables that scroll sideways at 1280 px: {wide}"
