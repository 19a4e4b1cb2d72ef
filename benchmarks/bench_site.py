"""Benchmark of the website as a reader loads it (not a timed test): time to load each page in
headless Chromium from a local server, and the total bytes of the site. Needs `make book` first."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.website.test_site import PAGES, SITE  # noqa: E402


def main() -> int:
    import functools
    import http.server
    import threading

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    if not (SITE / "index.html").exists():
        print("build the book first (make book)")
        return 1
    total = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    print(f"Site size: {total / 1e6:.1f} MB in {sum(1 for p in SITE.rglob('*') if p.is_file())} files")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    print("Page load time (navigation start to load event end):")
    try:
        for page in PAGES:
            start = time.perf_counter()
            driver.get(f"{base}/{page}")
            wall = time.perf_counter() - start
            nav = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;")
            print(f"  {page:<42s} {nav:7.0f} ms  (wall {wall * 1000:6.0f} ms)")
    finally:
        driver.quit()
        httpd.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
