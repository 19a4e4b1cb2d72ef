"""Benchmark of the website as a reader loads it (not a timed test): time to load each page in
headless Chromium from a local server, each page's weight, and the total bytes of the site. Needs
`make book` first.

Page weight: the bytes of the page and of every resource it loads (the browser's resource timing,
``decodedBodySize``; the local server does not compress). "First load" counts everything, as for a
reader who opens this page first; "after the first load" leaves out what the first page of the book
(its landing page) already loaded (style sheets, scripts, fonts, which the browser then has in its
cache). The goal is at most 1 MB per page after the first load."""

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
    print("Page load time (navigation start to load event end) and page weight (first load / after the first load):")
    weights_js = """
        const nav = performance.getEntriesByType('navigation')[0];
        const out = {[location.href.split('#')[0]]: nav.decodedBodySize};
        for (const r of performance.getEntriesByType('resource')) out[r.name.split('?')[0]] = r.decodedBodySize;
        return out;"""
    first_page: set[str] = set()
    heavy = []
    try:
        for i, page in enumerate(PAGES):
            start = time.perf_counter()
            driver.get(f"{base}/{page}")
            wall = time.perf_counter() - start
            time.sleep(0.3)  # late resources (MathJax, images) are in the resource timing too
            nav = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;")
            sizes = driver.execute_script(weights_js)
            if i == 0:
                first_page = set(sizes) - {f"{base}/{page}"}
            cold = sum(sizes.values())
            warm = sum(v for k, v in sizes.items() if k not in first_page)
            heavy += [page] if warm > 1e6 else []
            print(f"  {page:<42s} {nav:7.0f} ms  (wall {wall * 1000:6.0f} ms)  "
                  f"{cold / 1e6:5.2f} MB / {warm / 1e6:5.2f} MB")
        print("Pages over 1 MB after the first load: " + (", ".join(heavy) if heavy else "none"))
    finally:
        driver.quit()
        httpd.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
