"""The book as a reader meets it in every mode (issue 18):

- **print**: ``chapters/summary.html`` printed by Chromium on A4 and US Letter shows every column
  header of the Summary of Findings and every row's certainty in the PDF's text (read with
  ``pdftotext``; text cut off at the page edge is not in it), and in print no table is wider than
  the printed page;
- **colour mode**: the book is light only; a reader whose system prefers dark, or who stored dark
  mode on an earlier visit, gets light pages, and every table cell, caption and figure caption
  has a text contrast of at least 4.5:1 (WCAG 2.1 AA, contrast ratio of relative luminances);
- **phone**: Summary-of-Findings tables read as cards without sideways scrolling; a forest plot
  wider than its box has a hint above it and opens on the plot;
- **desktop**: forest plots are shown at a size where their 9-pt labels are at least 10 px;
- **words, not codes**: no citation key, outcome code, protocol or drug code, analysis string or
  snake_case word in the visible text of any page;
- **weight**: MathJax only on pages with mathematics, served as the few components its formulas
  need, each formula typeset; the icon script is small; the extraction log
  is shorter than 20,000 px at 1280 px;
- **readers' pages**: glossary, plain-language summary and About exist; the first use of a
  glossary term links to it; the download page shows a citation generated from CITATION.cff.

Browser measurements reuse the page loads of ``test_layout`` where they can (``_measure``).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT, SITE
from .test_layout import WIDTHS, _measure, _open
from .test_site import PAGES

# ------------------------------------------------------------------------------------ print

#: Paper sizes in inches (width, height): A4 and US Letter, portrait.
PAPERS = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}
SOF_JS = """
const tables = Array.from(document.querySelectorAll('table.jm-table')).filter(t => {
  const heads = Array.from(t.querySelectorAll('thead th')).map(th => th.textContent.trim());
  return heads.includes('Certainty') && heads.some(h => h.startsWith('Relative effect'));
});
return tables.map(t => {
  const heads = Array.from(t.querySelectorAll('thead th')).map(th => th.textContent.trim());
  const col = heads.indexOf('Certainty');
  return {heads: heads, certainty: Array.from(t.tBodies[0].rows).map(r => r.cells[col].textContent.trim())};
});
"""


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def screen_media(browser):
    yield browser
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": DARK})
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("paper", list(PAPERS))
def test_printed_summary_of_findings_shows_every_column(browser, server, screen_media, paper, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is missing")
    _open(browser, server, "chapters/summary.html", "desktop")
    sof = browser.execute_script(SOF_JS)
    assert sof, "no Summary of Findings table (headers Relative effect ... and Certainty) on the page"
    width, height = PAPERS[paper]
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"paperWidth": width, "paperHeight": height,
                                                      "printBackground": True, "preferCSSPageSize": True})
    path = tmp_path / f"summary-{paper}.pdf"
    path.write_bytes(base64.b64decode(pdf["data"]))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = _words(text)
    words = set(re.findall(r"[\w№⨁◯]+", text))
    problems = []
    for table in sof:
        for head in table["heads"]:
            missing = [w for w in re.findall(r"[\w№]+", head) if w not in words]
            if missing:
                problems.append(f"column header {head!r} (words not in the PDF: {missing})")
        # every row's certainty: each word of the levels ("MODERATE", "VERY", "LOW") is in the PDF at
        # least as often as rows carry it (pdftotext may put the words of one cell on two lines)
        levels = [[w for w in re.findall(r"[A-Za-z]+", c) if len(w) > 1] for c in table["certainty"]]
        for word in {w for level in levels for w in level}:
            rows = sum(word in level for level in levels)
            count = len(re.findall(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text))
            if count < rows:
                problems.append(f"certainty word {word!r}: {count} in the PDF, {rows} rows")
        last = table["heads"][-1]
        assert last.split()[0] in words, f"{paper}: the last column ({last!r}) is not in the printed page"
    for hidden in ("Show code cell source", "scroll sideways", "Filter "):
        if hidden in flat:
            problems.append(f"screen-only text in print: {hidden!r}")
    assert not problems, f"printed on {paper}: " + "; ".join(problems)


PRINT_FIT_JS = """
const out = [];
const page = document.querySelector('article') || document.body;
const limit = page.getBoundingClientRect().right + 1;
for (const t of document.querySelectorAll('article table')) {
  const r = t.getBoundingClientRect();
  if (r.width && r.right > limit) out.push(`${(t.querySelector('caption, th') || t).textContent.trim().slice(0, 60)}: ${Math.round(r.right)} > ${Math.round(limit)} px`);
}
return out;
"""


def test_every_table_fits_the_printed_page(browser, server, screen_media):
    """In print (media print, at the printable width of A4 portrait with 10 mm margins, 718 px,
    the narrower of A4 and Letter), no table of any page with tables is wider than the page."""
    pages = [p for p in PAGES if "<table" in (SITE / p).read_text(encoding="utf-8")]
    problems = {}
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": DARK})
    for page in pages:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 718, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        browser.get(f"{server}/{page}")
        wide = browser.execute_script(PRINT_FIT_JS)
        if wide:
            problems[page] = wide[:4]
    assert not problems, f"tables wider than the printed page: {problems}"


# ------------------------------------------------------------------------------------ colour mode

#: The reader's system prefers dark (conftest's browser emulates it for every test).
DARK = [{"name": "prefers-color-scheme", "value": "dark"}]


def test_site_is_light_for_a_reader_who_prefers_dark(browser, server, screen_media):
    _open(browser, server, "chapters/summary.html", "desktop")
    state = browser.execute_script("""return {mode: document.documentElement.dataset.mode,
        theme: document.documentElement.dataset.theme,
        dark: matchMedia('(prefers-color-scheme: dark)').matches,
        button: Array.from(document.querySelectorAll('.theme-switch-button')).some(b => b.offsetParent !== null)}""")
    assert state["dark"], "the browser does not emulate a reader who prefers dark"
    assert state["theme"] == "light" and state["mode"] == "light", state
    assert not state["button"], "the colour-mode button is visible, but the book is light only"


@pytest.mark.parametrize("page", PAGES)
def test_text_contrast_of_tables_and_captions(browser, server, page):
    """WCAG 2.1 AA: contrast ratio (L1 + 0.05) / (L2 + 0.05) >= 4.5 for every table cell, caption and
    figure caption, measured with the colours the browser computed (a reader preferring dark)."""
    low = _measure(browser, server, page, "desktop")["contrast"]
    assert not low, f"{page}: text with contrast below 4.5:1: {low[:6]}"


# ------------------------------------------------------------------------------------ phone and desktop

def test_summary_of_findings_reads_without_sideways_scrolling_on_a_phone(browser, server):
    found = _measure(browser, server, "chapters/summary.html", "phone")["cards"]
    assert found, "no Summary-of-Findings table shown as cards at 390 px"
    assert all(not c["overflows"] for c in found), found
    assert all(c["labelled"] for c in found), found


def test_forest_plots_on_a_phone_have_a_hint_and_open_on_the_plot(browser, server):
    found = _measure(browser, server, "chapters/efficacy_responders.html", "phone")["forest"]
    assert found, "no forest plot on the responders chapter"
    for plot in found:
        if plot["overflows"]:
            assert plot["hint"], f"a forest plot wider than its box has no hint: {plot}"
            assert plot["scroll"] > 0, f"a forest plot's box does not open on the plot: {plot}"


def test_forest_plots_at_desktop_width_have_labels_of_10_px(browser, server):
    """The forest plot's table text is 9 pt at 100 dpi (12.5 px at natural size): shown at 80 % of
    its natural width or more, its labels are at least 10 px."""
    found = _measure(browser, server, "chapters/efficacy_responders.html", "desktop")["forest"]
    assert found
    for plot in found:
        assert plot["shown"] >= 0.8 * min(plot["natural"], 1200) - 1, plot


# ------------------------------------------------------------------------------------ words, not codes

def _bib_keys() -> set[str]:
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", (ROOT / "references.bib").read_text(encoding="utf-8")))


def _outcome_codes() -> set[str]:
    from jakmeta.book.tables import MATRIX_OUTCOMES
    from jakmeta.evidence.labels import AE_LABELS, OUTCOME_LABELS

    return set(OUTCOME_LABELS) | set(AE_LABELS) | set(MATRIX_OUTCOMES)


#: Codes a reader does not know: protocol numbers and development codes of the drugs, ASCII
#: comparison signs, analysis strings ("reported+derived") and snake_case words.
CODE_PATTERNS = {
    "protocol or drug code": re.compile(r"\b(?:B79\d{5}|PF-\d{8}|CP543\.\d{4}|LEO \d{6}|CTP-\d{3}|INCB\d{5,})\b"),
    "ASCII comparison": re.compile(r"\w*\s?(?:>=|<=)\s?\d+"),
    "analysis string": re.compile(r"\b[a-z]+\+[a-z]+\b"),
    "snake_case word": re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])"),
}
#: What may look like a code in the visible text: web addresses and file names (offered as
#: downloads), and the trial registry's own identifiers (NCT numbers are how readers look trials up).
ALLOWED = re.compile(r"https?://\S+|\b[\w.-]+\.(?:csv|json|md|zip|cff|py|ipynb|bib|png)\b|\bNCT\d{8}\b")


def _row_ids() -> set[str]:
    """The protocol's row ids (data/analyses.csv): identifiers a reviewer types after
    ``python -m jakmeta analyse --row``, shown on purpose beside each analysis, as NCT numbers are."""
    import csv

    with (ROOT / "data" / "analyses.csv").open(encoding="utf-8", newline="") as handle:
        ids = {row["row_id"] for row in csv.DictReader(handle)}
    # snapshots stored before the protocol file: row ids <outcome> and <outcome>_liu (jakmeta.book.release)
    for path in (ROOT / "results" / "summaries").glob("v*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            ids |= {key for row in csv.DictReader(handle) for key in (row["outcome"], f"{row['outcome']}_liu")}
    return ids


def code_words(text: str, keys: set[str], outcomes: set[str], row_ids: set[str] | None = None) -> list[str]:
    """The codes in a page's visible text (see :data:`CODE_PATTERNS`), each once; the protocol's
    row ids (``row_ids``, default :func:`_row_ids`) are identifiers a reviewer types, not codes."""
    text = ALLOWED.sub(" ", text)
    ids = _row_ids() if row_ids is None else row_ids
    if ids:
        text = re.sub(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                      + r")(?![\w-])", " ", text)
    found = []
    for word in set(re.findall(r"[\w+-]+", text)):
        if word in keys:
            found.append(f"citation key {word}")
        elif word in outcomes:
            found.append(f"outcome code {word}")
    for kind, pattern in CODE_PATTERNS.items():
        found += [f"{kind} {m.group(0)}" for m in pattern.finditer(text)]
    return sorted(set(found))


def test_code_words_are_found():
    keys, outcomes = {"mao2023frontimmunol"}, {"salt_cfb", "ae_serious"}
    text = ("See mao2023frontimmunol; salt_cfb and ae_serious; ALLEGRO-2b/3 (B7981015), PF-06651600, "
            "SALT>=50, reported+derived, analysis_use; not in https://x.org/a_b and not_found.csv, NCT03732807.")
    found = code_words(text, keys, outcomes, row_ids=set())
    assert found == ["ASCII comparison SALT>=50", "analysis string reported+derived",
                     "citation key mao2023frontimmunol", "outcome code ae_serious", "outcome code salt_cfb",
                     "protocol or drug code B7981015", "protocol or drug code PF-06651600",
                     "snake_case word ae_serious", "snake_case word analysis_use", "snake_case word salt_cfb"]
    assert code_words("SALT ≤ 20 at week 24 (Liu et al. 2023); τ² = 0.04", keys, outcomes) == []
    assert code_words("row salt20_baricitinib_4mg; ae_serious", keys, outcomes, {"salt20_baricitinib_4mg"}) == [
        "outcome code ae_serious", "snake_case word ae_serious"]


#: Codes that stay on purpose: a development code inside the title of a work, which the
#: bibliography quotes as published (a title is a title). Each is allowed on the bibliography page
#: only, with its reason; everywhere else the book names the drug (registry group names in the data
#: and GRADE tables are shown as the arms' labels; notes name the drugs). An explicit list, so that
#: any *new* code fails at once, and ``test_quoted_codes_are_still_there`` fails when a title has
#: gone, so that the list only shrinks.
QUOTED_TITLES = {
    "protocol or drug code CTP-543": "deuruxolitinib's code in the titles of its registry records "
                                     "(NCT03137381, NCT04518995, NCT04797650), of the phase-2 paper "
                                     "(King et al. 2022) and of press releases and news",
    "protocol or drug code PF-06651600": "ritlecitinib's code in the titles of registry record NCT02974868 "
                                         "and of Pfizer's 2018 press release",
    "protocol or drug code PF-06700841": "brepocitinib's code in the title of registry record NCT02974868",
    "protocol or drug code LEO 124249": "delgocitinib's code in the title of registry record NCT02561585",
}
QUOTED_ON = "chapters/bibliography.html"


@pytest.mark.parametrize("page", PAGES)
def test_no_codes_in_the_visible_text(browser, server, page):
    text = _measure(browser, server, page, "desktop")["visible"]
    allowed = QUOTED_TITLES if page == QUOTED_ON else {}
    found = [c for c in code_words(text, _bib_keys(), _outcome_codes()) if c not in allowed]
    assert not found, f"{page}: codes in the visible text: {found}"


def test_quoted_codes_are_still_there(browser, server):
    """Every entry of :data:`QUOTED_TITLES` still appears on the bibliography; remove the ones that are gone."""
    seen = set(code_words(_measure(browser, server, QUOTED_ON, "desktop")["visible"], _bib_keys(), _outcome_codes()))
    gone = sorted(set(QUOTED_TITLES) - seen)
    assert not gone, f"no longer on {QUOTED_ON}, now remove from QUOTED_TITLES: {gone}"


# ------------------------------------------------------------------------------------ weight and length

def test_extraction_log_is_shorter_than_20000_px(browser, server):
    height = _measure(browser, server, "chapters/extraction_log.html", "desktop")["height"]
    assert height < 20_000, f"the extraction log is {height} px tall at 1280 px"


def _soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((SITE / page).read_text(encoding="utf-8"), "html.parser")


def test_mathjax_only_on_pages_with_mathematics(site):
    for page in PAGES:
        soup = _soup(page)
        loads = any("mathjax" in (s.get("src") or "") for s in soup.find_all("script"))
        math = bool(soup.select("article .math, article div.math, article span.math"))
        assert loads == math, f"{page}: MathJax {'loaded' if loads else 'not loaded'}, math {'found' if math else 'none'}"
    assert any(_soup(p).select("article .math") for p in PAGES), "no page with mathematics at all"


MATH_JS = """
const math = Array.from(document.querySelectorAll('article .math'));
return {math: math.length, typeset: math.filter(e => e.querySelector('mjx-container mjx-math')).length,
        errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error') || e.textContent),
        spoken: math.filter(e => e.querySelector('mjx-assistive-mml math')).length,
        bytes: performance.getEntriesByType('resource').filter(r => r.name.includes('/_static/mathjax/'))
                          .reduce((sum, r) => sum + r.decodedBodySize, 0)};
"""


def test_every_formula_is_typeset_by_the_small_mathjax(browser, server, site):
    """MathJax is served as its loader and the few components the book's formulas need
    (_ext/offline_mathjax.py): every formula of every page with mathematics is typeset, none is an
    error box (a TeX command outside the packages served), each has the MathML that screen readers
    read, and the MathJax files a page loads weigh under 0.9 MB (the combined tex-chtml.js alone
    was 1.16 MB, which put the methods page over 1 MB after the first load)."""
    pages = [p for p in PAGES if _soup(p).select("article .math")]
    assert pages
    for page in pages:
        _open(browser, server, page, "desktop")
        found = browser.execute_script(MATH_JS)
        assert found["typeset"] == found["math"] > 0 and not found["errors"], f"{page}: {found}"
        assert found["spoken"] == found["math"], f"{page}: formulas without MathML for screen readers: {found}"
        assert 0 < found["bytes"] < 900_000, f"{page}: MathJax loads {found['bytes']:,} bytes"


def test_icon_script_is_small_and_draws_the_icons(browser, server, site):
    script = site / "_static" / "scripts" / "fontawesome.js"
    assert script.stat().st_size < 30_000, f"{script.name} is {script.stat().st_size:,} bytes"
    _open(browser, server, "chapters/summary.html", "desktop")
    drawn = browser.execute_script("return document.querySelectorAll('svg.svg-inline--fa path').length")
    left = browser.execute_script("return document.querySelectorAll(\"i[class*='fa-']\").length")
    assert drawn >= 3 and left == 0, f"{drawn} icons drawn, {left} left undrawn"


# ------------------------------------------------------------------------------------ readers' pages

#: Terms the glossary must explain (issue 18).
GLOSSARY_TERMS = ("HKSJ", "REML", "τ²", "I²", "Prediction interval", "OIS", "Credible interval", "SALT",
                  "Mantel-Haenszel", "Few-studies rule", "Liu set", "k", "GRADE")


def test_glossary_explains_the_terms_and_pages_link_to_it(site):
    soup = _soup("chapters/glossary.html")
    terms = set()
    for dt in soup.select("dl.glossary dt"):
        for link in dt.select("a.headerlink"):
            link.decompose()
        terms.add(dt.get_text(" ", strip=True))
    missing = [t for t in GLOSSARY_TERMS if t not in terms]
    assert not missing, f"glossary lacks {missing}"
    ids = {e.get("id") for e in soup.find_all(id=True)}
    links = _soup("chapters/methods.html").select("a.jm-term")
    assert len(links) >= 5, "methods: fewer than five glossary terms linked"
    for a in links:
        target = a["href"]
        assert target.startswith("glossary.html#") and target.split("#", 1)[1] in ids, target
    texts = [a.get_text() for a in links]
    assert len(texts) == len(set(texts)), f"a term linked more than once on a page: {texts}"


def test_readers_pages_exist_and_say_what_they_must(site):
    about = _words(_soup("chapters/about.html").select_one("article").get_text(" "))
    for words in ("Funding", "None", "Declarations of interest", "report an error", "issue tracker", "protocol"):
        assert words.lower() in about.lower(), f"About page lacks {words!r}"
    summary = _words(_soup("chapters/plain_language.html").select_one("article").get_text(" "))
    assert summary.index("Key messages") < summary.index("What did we find")
    for words in ("limitations", "up to date"):
        assert words in summary, f"plain-language summary lacks {words!r}"
    download = _soup("chapters/download.html")
    citation = download.select_one("pre.jm-citation")
    assert citation is not None and citation.get_text().startswith("@software{"), "no BibTeX citation"
    assert "[Computer software]" in download.get_text(), "no APA citation"
    cff = (site / "CITATION.cff").read_text(encoding="utf-8")
    assert not cff.lstrip().startswith("#"), "the CITATION.cff offered to readers opens with comments"


@pytest.mark.parametrize("page", ["chapters/about.html", "chapters/download.html"])
def test_how_to_report_an_error_follows_citation_cff(site, page):
    """The About and download pages say how to report an error as CITATION.cff allows: a link to
    the issue tracker of ``repository-code`` when it is filled, else the sentence that no address
    is recorded (jakmeta.book.release.report_error)."""
    import yaml

    from jakmeta.book import release

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    article = _soup(page).select_one("article")
    text = _words(article.get_text(" "))
    tracker = release.issue_tracker(cff)
    if tracker:
        assert any(a.get("href") == tracker for a in article.select("a")), f"{page}: no link to {tracker}"
        assert "No public address" not in text
    else:
        assert "No public address for reports is recorded yet." in text, f"{page}: no fallback sentence"
    assert "report an error" in text.lower()


def test_bibliography_is_in_author_year_order(site):
    labels = [e.get_text(strip=True).strip("[]") for e in _soup("chapters/bibliography.html").select(
        "div.citation span.label, dl.citation dt.label, .citation .label")]
    assert labels, "no bibliography labels"
    assert not any(re.fullmatch(r"\d+", label) for label in labels), "numbered bibliography"
    assert all(re.search(r"\b(19|20)\d\d[a-z]?$", label) or label.endswith("n.d.") for label in labels), labels[:10]


def test_widths_cover_the_phone():
    assert WIDTHS["phone"][0] == 390 and WIDTHS["desktop"][0] == 1280
