"""The website as a reader meets it: pages load in a real browser without console errors, links
and anchors resolve, figures load and have alt text, the key tables and plots are visible, the
search works, math renders offline, downloads are valid CSV, and the build is reproducible.

Screenshots of three pages are saved under ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

from .conftest import BUILD, ROOT, SITE

SCREENSHOTS = BUILD / "screenshots"


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [c["file"] for c in part["chapters"]]
    return [f"{p}.html" for p in pages]


PAGES = _toc_pages()


def _html_files() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts)


def _wait(driver, condition, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _severe_console_messages(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# ------------------------------------------------------------------------- in the browser

@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(browser, server, page):
    browser.get_log("browser")  # clear
    browser.get(f"{server}/{page}")
    _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.find_element("css selector", "article h1").text.strip(), f"{page} has no title"
    errors = _severe_console_messages(browser)
    assert not errors, f"{page}: console errors: {errors}"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "chapters/bibliography.html"])
def test_images_load_and_have_alt_text(browser, server, page):
    browser.get(f"{server}/{page}")
    _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")
    images = browser.find_elements("css selector", "main img")
    for img in images:
        src = img.get_attribute("src")
        alt = (img.get_attribute("alt") or "").strip()
        assert alt, f"{page}: image {src} has no alt text"
        assert not re.search(r"(_images/|\.(png|svg|jpe?g)$)", alt), \
            f"{page}: image {src} has its file name as alt text (give the cell mystnb.image.alt or set fig.alt_text)"
        loaded = browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
        assert loaded, f"{page}: image {src} did not load"


@pytest.mark.parametrize("page", ["chapters/summary.html", "chapters/grade.html"])
def test_summary_of_findings_table_is_visible_and_fits(browser, server, page):
    browser.get(f"{server}/{page}")
    tables = [t for t in browser.find_elements("css selector", "main table")
              if "Certainty" in t.text and "Relative effect" in t.text]
    assert tables, f"{page}: no Summary of Findings table"
    table = tables[0]
    assert table.is_displayed()
    for outcome in ("SALT ≤ 20", "Serious adverse event"):
        assert outcome in table.text
    # A wide table must scroll inside its own container, not push the page sideways.
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    view_width = browser.execute_script("return document.documentElement.clientWidth")
    assert page_width <= view_width + 1, f"{page}: the page overflows horizontally ({page_width} > {view_width})"


def test_forest_plot_is_visible(browser, server):
    browser.get(f"{server}/chapters/efficacy_responders.html")
    figure = browser.find_element("css selector", "#fig-forest-salt20 img, figure#fig-forest-salt20 img")
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    assert figure.is_displayed() and figure.size["width"] > 300
    assert "Forest plot" in figure.get_attribute("alt")


def test_search_finds_a_trial(browser, server):
    browser.get(f"{server}/search.html?q=THRIVE")
    _wait(browser, lambda d: len(d.find_elements("css selector", "#search-results li")) > 0, timeout=30)
    results = browser.find_element("css selector", "#search-results").text
    assert "THRIVE" in results or "Update" in results


def test_math_renders_offline(browser, server):
    browser.get(f"{server}/chapters/methods.html")
    _wait(browser, lambda d: len(d.find_elements("css selector", "mjx-container mjx-math")) > 0, timeout=30)
    sources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    external = [s for s in sources if not s.startswith(browser.current_url.split("/chapters/")[0])]
    assert not external, f"resources fetched from outside the site: {external}"


def test_screenshots(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {"landing": "chapters/index.html", "forest_plot": "chapters/update.html", "grade": "chapters/grade.html"}
    for name, page in shots.items():
        browser.get(f"{server}/{page}")
        _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        if name == "forest_plot":
            img = browser.find_element("css selector", "main img")
            browser.execute_script("arguments[0].scrollIntoView()", img)
        if name == "grade":
            table = [t for t in browser.find_elements("css selector", "main table") if "Certainty" in t.text][-1]
            browser.execute_script("arguments[0].scrollIntoView()", table)
        time.sleep(0.3)
        path = SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"could not save {path}"
        assert path.stat().st_size > 10_000


# ------------------------------------------------------------------------- offline checks of the files

def _targets(html: Path) -> list[tuple[str, str]]:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    found = []
    for tag, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
        for element in soup.find_all(tag):
            value = element.get(attribute)
            if value:
                found.append((tag, value))
    return found


def _ids(html: Path, cache: dict) -> set[str]:
    if html not in cache:
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        cache[html] = {e.get("id") for e in soup.find_all(id=True)} | {e.get("name") for e in soup.find_all("a", attrs={"name": True})}
    return cache[html]


def test_every_internal_link_and_anchor_resolves(site):
    cache: dict = {}
    broken = []
    for html in _html_files():
        for tag, target in _targets(html):
            parsed = urlparse(target)
            if parsed.scheme in ("http", "https", "mailto", "data", "javascript"):
                continue
            path = html if not parsed.path else (html.parent / unquote(parsed.path)).resolve()
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{html.relative_to(site)}: {tag} -> {target} (no such file)")
                continue
            if parsed.fragment and path.suffix == ".html" and parsed.fragment not in _ids(path, cache):
                broken.append(f"{html.relative_to(site)}: {tag} -> {target} (no such anchor)")
    assert not broken, "\n".join(broken[:40])


def test_no_resource_is_loaded_from_the_network(site):
    external = []
    for html in _html_files():
        for tag, target in _targets(html):
            if tag in ("script", "img", "link") and urlparse(target).scheme in ("http", "https"):
                external.append(f"{html.relative_to(site)}: {tag} {target}")
    assert not external, "\n".join(external)


def test_every_downloadable_table_is_valid_csv(site):
    files = sorted((site / "_downloads").rglob("*.csv"))
    assert len(files) >= 5, "expected the chapters' CSV downloads"
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert len(rows) >= 2, f"{path.name}: no data rows"
        widths = {len(r) for r in rows}
        assert widths == {len(rows[0])}, f"{path.name}: rows of different widths {widths}"
        assert all(cell.strip() for cell in rows[0]), f"{path.name}: empty column name"


# ------------------------------------------------------------------------- reproducible builds

SANITIZE = [(re.compile(r"0x[0-9a-fA-F]{6,16}"), "0xADDRESS")]


def _merged_streams(outputs: list) -> list:
    """Consecutive stream outputs of one cell as one (the book build merges them)."""
    merged: list = []
    for out in outputs:
        text = "".join(out["text"]) if isinstance(out.get("text"), list) else out.get("text")
        if out["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream" \
                and merged[-1]["name"] == out["name"]:
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + text}
        elif out["output_type"] == "stream":
            merged.append({**out, "text": text})
        else:
            merged.append(out)
    return merged


def _outputs(notebook: Path) -> list:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    outputs = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in _merged_streams(cell.get("outputs", [])):
            if any(k.startswith("application/papermill.record") for k in out.get("data", {})):
                continue  # myst-nb glue records: stored in the notebook, moved out of the built copy
            data = {k: ("".join(v) if isinstance(v, list) else v) for k, v in out.get("data", {}).items()}
            text = "".join(out.get("text", [])) if isinstance(out.get("text"), list) else out.get("text", "")
            item = {"type": out["output_type"], "data": data, "text": text}
            dumped = json.dumps(item, sort_keys=True)
            for pattern, replacement in SANITIZE:
                dumped = pattern.sub(replacement, dumped)
            outputs.append(dumped)
    return outputs


@pytest.mark.parametrize("notebook", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name)
def test_build_reproduces_the_stored_outputs_byte_for_byte(site, notebook):
    """The book build executes every notebook afresh; its outputs, figures (PNG bytes) included,
    must equal the outputs stored in the repository (a second, independent execution)."""
    built = BUILD / "jupyter_execute" / "chapters" / notebook.name
    assert built.exists(), f"{built} missing: build the book first"
    stored, fresh = _outputs(notebook), _outputs(built)
    assert len(stored) == len(fresh), f"{notebook.name}: {len(stored)} stored vs {len(fresh)} built outputs"
    for i, (a, b) in enumerate(zip(stored, fresh, strict=True)):
        assert a == b, f"{notebook.name}: output {i} differs between the stored notebook and the build"
