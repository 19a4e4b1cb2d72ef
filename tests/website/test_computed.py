"""From a number to its code in one step (issue 20): every headline of the site carries its "how
this was computed" note (``details.jm-computed``, :mod:`jakmeta.book.computed`):

- every row of the Summary of Findings and of the landing page's answer table has its note, in
  the table's order, and every headline forest plot of an outcome chapter has one in its section;
- each note names a valid row id of ``data/analyses.csv`` and the command that reproduces it;
- the notes read at 390 px without sideways scrolling, and the printed Summary of Findings shows
  every row's command.
"""

from __future__ import annotations

import base64
import csv
import re
import shutil
import subprocess

import pytest

from .conftest import ROOT
from .test_layout import _open

#: Pages with headline results, and whether each headline forest plot there needs its note.
HEADLINE_PAGES = ("index.html", "chapters/summary.html", "chapters/efficacy_responders.html",
                  "chapters/efficacy_salt_change.html", "chapters/harms.html", "chapters/sensitivity.html",
                  "chapters/plain_language.html")
OUTCOME_CHAPTERS = ("chapters/efficacy_responders.html", "chapters/efficacy_salt_change.html", "chapters/harms.html")
COMMAND = "python -m jakmeta analyse --row "

NOTES_JS = """
return Array.from(document.querySelectorAll('details.jm-computed')).map(d => ({
  row: d.dataset.rowId, summary: d.querySelector('summary').textContent.replace(/\\s+/g, ' ').trim(),
  inList: !!d.closest('.jm-computed-list'),
  title: (d.querySelector('.jm-computed-title') || {}).textContent || ''}));
"""

#: Tables followed by a list of notes: their body rows' first cells and the notes' labels.
TABLE_NOTES_JS = """
const out = [];
for (const list of document.querySelectorAll('.jm-computed-list')) {
  // the nearest table before the list in document order
  const tables = Array.from(document.querySelectorAll('table.jm-table'))
    .filter(t => t.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING);
  const table = tables[tables.length - 1];
  out.push({heads: table ? Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim()) : [],
            first: table ? Array.from(table.tBodies[0].rows).map(r => r.cells[0].textContent.trim()) : [],
            notes: Array.from(list.querySelectorAll('details.jm-computed .jm-computed-title'))
                     .map(s => s.textContent.trim())});
}
return out;
"""

FORESTS_JS = """
return Array.from(document.querySelectorAll('img[alt^="Forest plot"]')).map(img => {
  const section = img.closest('section');
  const notes = section ? Array.from(section.querySelectorAll(':scope > div details.jm-computed, :scope > details.jm-computed, :scope .cell details.jm-computed'))
                        .filter(d => !d.closest('.jm-computed-list')
                                     && (img.compareDocumentPosition(d) & Node.DOCUMENT_POSITION_FOLLOWING)) : [];
  return {alt: img.alt.slice(0, 60), section: section ? section.id : '', rows: notes.map(d => d.dataset.rowId)};
});
"""


def _row_ids() -> set[str]:
    with (ROOT / "data" / "analyses.csv").open(encoding="utf-8", newline="") as handle:
        return {row["row_id"] for row in csv.DictReader(handle)}


def _primary_ids() -> list[str]:
    with (ROOT / "data" / "analyses.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["role"] == "primary"]
    return [r["row_id"] for r in sorted(rows, key=lambda r: int(r["order"]))]


@pytest.mark.parametrize("page", HEADLINE_PAGES)
def test_every_note_names_a_valid_row_and_its_command(browser, server, page):
    _open(browser, server, page, "desktop")
    notes = browser.execute_script(NOTES_JS)
    assert notes, f"{page}: no 'how this was computed' note"
    valid = _row_ids()
    for n in notes:
        assert n["row"] in valid, f"{page}: note names '{n['row']}', not a row of data/analyses.csv"
        assert n["summary"].endswith(COMMAND + n["row"]), f"{page}: the closed note lacks its command: {n['summary']!r}"


@pytest.mark.parametrize("page", ("index.html", "chapters/summary.html"))
def test_every_table_row_has_its_note(browser, server, page):
    _open(browser, server, page, "desktop")
    lists = browser.execute_script(TABLE_NOTES_JS)
    assert lists, f"{page}: no list of notes under a table"
    for item in lists:
        assert "Certainty" in item["heads"], f"{page}: a list of notes that follows no answer table"
        assert item["notes"] == item["first"], f"{page}: the notes do not follow the table's rows"
    if page == "chapters/summary.html":  # the Summary of Findings: one note per protocol row, in order
        sof = [x for x in lists if "Model" in x["heads"]]
        assert sof, "no list of notes under the Summary of Findings table"
        rows = [n["row"] for n in browser.execute_script(NOTES_JS) if n["inList"]]
        assert rows[-len(_primary_ids()):] == _primary_ids()


@pytest.mark.parametrize("page", OUTCOME_CHAPTERS)
def test_every_headline_forest_plot_has_its_note(browser, server, page):
    _open(browser, server, page, "desktop")
    forests = browser.execute_script(FORESTS_JS)
    if not forests:  # a single trial (k = 1): the headline is its sentence and table, with the note
        assert any(not n["inList"] for n in browser.execute_script(NOTES_JS)), f"{page}: no note"
        return
    missing = [f["alt"] for f in forests if not f["rows"]]
    assert not missing, f"{page}: forest plots without a 'how this was computed' note: {missing}"
    valid = _row_ids()
    assert all(f["rows"][0] in valid for f in forests)


OPEN_AND_MEASURE_JS = """
const out = [];
for (const d of document.querySelectorAll('details.jm-computed')) {
  d.open = true;
  const r = d.getBoundingClientRect();
  if (d.scrollWidth > d.clientWidth + 1 || r.right > document.documentElement.clientWidth + 1)
    out.push(`${d.dataset.rowId}: ${d.scrollWidth} > ${d.clientWidth} px`);
  const small = parseFloat(getComputedStyle(d).fontSize);
  if (small < 11) out.push(`${d.dataset.rowId}: font ${small} px`);
}
return out;
"""


@pytest.mark.parametrize("page", ("index.html", "chapters/summary.html", "chapters/harms.html"))
@pytest.mark.parametrize("width", ("desktop", "phone"))
def test_notes_read_without_sideways_scrolling(browser, server, reset_width, page, width):
    _open(browser, server, page, width)
    problems = browser.execute_script(OPEN_AND_MEASURE_JS)
    assert not problems, f"{page} at {width}: {problems}"


@pytest.fixture
def reset_width(browser):
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_printed_summary_shows_every_rows_command(browser, server, reset_width, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is missing")
    _open(browser, server, "chapters/summary.html", "desktop")
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                      "printBackground": True, "preferCSSPageSize": True})
    path = tmp_path / "summary.pdf"
    path.write_bytes(base64.b64decode(pdf["data"]))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    missing = [r for r in _primary_ids() if f"{COMMAND}{r}" not in flat]
    assert not missing, f"rows without their command in the printed Summary of Findings: {missing}"
