"""references.bib: every key the data and the chapters cite exists, and each entry cites the work
itself, once, by its original address, with its title as the work prints it.

The rules (issue 17, "source hygiene"): a mirror, a staging or development host, or a raw IP
address is only a place a value was read (the ``locator`` of the value), never the address of a
reference; titles keep their capitals (BibTeX braces, so that the bibliography style does not
lower-case "FDA" to "Fda"); no working notes in titles; one entry per work (no two entries with
one DOI, one address or one title); a journal article's address is the article (DOI, PubMed, the
publisher), never a news page.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "references.bib"

#: Hosts that copy other sites' pages (registry, PubMed, publisher or press-release mirrors, an
#: encyclopaedia mirror, web archives): a place a value was read, not a reference's address.
MIRROR_HOSTS = ("meddatax.com", "trial.medpath.com/clinical-trial", "parkinsonspathways.com", "suppr.wilddata.cn",
                "laibokeji.com", "togows.dbcls.jp", "2medical.news", "friendsoftheugagarden.org", "archive.vn",
                "archive.org", "marketscreener.com", "apotheraspecialtypharmacy.com", "profilpelajar.com",
                "vactosertibinhibitor.com", "ouci.dntb.gov.ua", "clincosm.com", "vellito.com", "cm.healio.com",
                "finviz.com", "dissem.in", "acemap.info", "webvpn", "crick.ai", "ichgcp.net", "trials.co/")
#: Hosts allowed as the address of a journal article.
ARTICLE_HOSTS = ("doi.org", "pubmed.ncbi.nlm.nih.gov", "www.pubmed.gov", "pmc.ncbi.nlm.nih.gov", "frontiersin.org",
                 "link.springer.com", "onlinelibrary.wiley.com", "cochranelibrary.com", "nejm.org", "thelancet.com",
                 "jamanetwork.com", "sciencedirect.com", "china-pharmacy.com", "training.cochrane.org")
#: Words of a working note, which belongs in ``note``, never in a title.
WORKING_NOTES = re.compile(r"excerpt|truncated|unverified|not verified|mirror|\bcopy\b|summary of (?!findings)|pubmed record|"
                           r"digest|\[|\(staging\)", re.I)
ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}\s*\n", re.S)


def _field(body: str, name: str) -> str | None:
    m = re.search(r"(?:^|,)\s*" + name + r"\s*=\s*\{", body, re.I | re.M)
    if not m:
        return None
    depth, i = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(body[i], 0)
        i += 1
    return body[m.end():i - 1]


def _entries() -> list[tuple[str, str, str]]:
    return ENTRY.findall(BIB.read_text(encoding="utf-8"))


ENTRIES = _entries()
KEYS = [key for _, key, _ in ENTRIES]


def _norm_url(url: str) -> str:
    p = urlparse(url.strip())
    return (p.netloc.lower().removeprefix("www.") + p.path.rstrip("/")).lower()


def test_keys_are_unique():
    assert len(KEYS) == len(set(KEYS)), sorted({k for k in KEYS if KEYS.count(k) > 1})


def _cited_in_data() -> set[tuple[str, str, str]]:
    cited = set()
    for path in sorted((ROOT / "data").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                for column in ("source", "licence_source", "review"):
                    key = (row.get(column) or "").strip()
                    if key:
                        cited.add((f"{path.name}:{line}:{column}", key, column))
    return cited


def test_every_source_key_in_data_is_in_the_bibliography():
    missing = sorted(f"{where} -> {key}" for where, key, _ in _cited_in_data() if key not in set(KEYS))
    assert not missing, missing


def test_every_citation_in_the_chapters_is_in_the_bibliography():
    cited = set()
    for path in list((ROOT / "chapters").glob("*.ipynb")) + list((ROOT / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
            cited |= {(path.name, k.strip()) for k in group.split(",")}
    missing = sorted(f"{name}: {key}" for name, key in cited if key not in set(KEYS))
    assert not missing, missing


@pytest.mark.parametrize(("kind", "key", "body"), ENTRIES, ids=KEYS)
def test_address_is_the_original(kind, key, body):
    url = _field(body, "url")
    if not url:
        return
    host = urlparse(url).netloc
    assert "staging." not in host and "platformsh.site" not in host and not host.startswith("develop-"), url
    assert not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}(:\d+)?", host), f"raw IP address: {url}"
    assert not any(m in url for m in MIRROR_HOSTS), f"a mirror is a locator, not a reference's address: {url}"
    if kind.lower() == "article":
        assert any(h in host for h in ARTICLE_HOSTS), f"a journal article's address must be the article: {url}"


@pytest.mark.parametrize(("kind", "key", "body"), ENTRIES, ids=KEYS)
def test_title_keeps_capitals_and_has_no_working_notes(kind, key, body):
    title = _field(body, "title")
    assert title, f"{key}: no title"
    whole = title.startswith("{") and title.endswith("}") and _outer_group(title)
    unprotected = "" if whole else _strip_groups(title)
    assert not re.search(r"[A-Z]", unprotected[1:]), f"{key}: capitals outside braces would be lower-cased: {title}"
    assert not WORKING_NOTES.search(title), f"{key}: working note in the title: {title}"


def _strip_groups(text: str) -> str:
    """The text outside brace groups (nested groups included)."""
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _outer_group(title: str) -> bool:
    """True when the whole title is one brace group ({...})."""
    depth = 0
    for i, ch in enumerate(title):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and i < len(title) - 1:
            return False
    return True


def test_one_entry_per_work():
    seen: dict[str, dict[str, str]] = {"doi": {}, "url": {}, "title": {}}
    clashes = []
    for _, key, body in ENTRIES:
        values = {"doi": (_field(body, "doi") or "").lower().strip(),
                  "url": _norm_url(_field(body, "url") or ""),
                  "title": re.sub(r"[^a-z0-9]", "", (_field(body, "title") or "").lower())}
        for kind, value in values.items():
            if not value or (kind == "url" and value.endswith("training.cochrane.org/handbook")):
                continue  # the Handbook's chapters share the Handbook's address
            if value in seen[kind]:
                clashes.append(f"{key} and {seen[kind][value]} share a {kind}: {value}")
            seen[kind].setdefault(value, key)
    assert not clashes, clashes
