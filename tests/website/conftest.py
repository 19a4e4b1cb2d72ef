"""Fixtures for testing the built website as a reader meets it: the site served on 127.0.0.1 and
Debian's Chromium driven headless through Selenium.

These tests run after ``make book`` (``make test`` orders them so). When Chromium is missing they
are skipped on a developer's machine but FAIL when the ``CI`` environment variable is set: CI must
never pass by not testing.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The built site under test: ``_build/html``, or the directory named by ``JAKMETA_SITE_DIR`` (e.g. a
#: build made with ``jupyter-book build . --path-output /tmp/x``: ``/tmp/x/_build/html``).
SITE = Path(os.environ.get("JAKMETA_SITE_DIR") or ROOT / "_build" / "html").resolve()
#: The build directory next to the site: executed notebooks (``jupyter_execute``) and screenshots.
BUILD = SITE.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _missing(what: str) -> None:
    message = f"{what} is missing"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        _missing(f"the built site ({SITE}; run `make book` or set JAKMETA_SITE_DIR)")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@pytest.fixture(scope="session")
def server(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _missing("Chromium or ChromeDriver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-quic", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    # Every test reads the site as a reader whose system prefers dark and who chose dark mode on an
    # earlier visit: the book is light only, and must stay legible for that reader.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "try { localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark'); } catch (e) {}")})
    yield driver
    driver.quit()
