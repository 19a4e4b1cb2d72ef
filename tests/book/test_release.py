"""jakmeta.book.release: version and citation metadata, dates of the data and the build, the
snapshots of pooled results and what changed between them, and the data zip."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import zipfile

import pandas as pd
import pytest
import yaml

import jakmeta
from jakmeta.book import release
from jakmeta.evidence.package import load_package
from jakmeta.review import sof
from tests import ROOT

PKG = load_package()
SOF = sof.summary_of_findings(PKG)


def test_what_changed_logs_the_headline_by_row_id():
    snap = release.snapshot(PKG).set_index("row_id")
    sof_rows = SOF.set_index("row_id")
    for row_id in sof_rows.index[sof_rows["k"] > 0]:
        assert snap.loc[row_id, "estimate"] == pytest.approx(sof_rows.loc[row_id, "estimate"]), row_id
        assert snap.loc[row_id, "model"] == sof_rows.loc[row_id, "model"]


def test_citation_from_citation_cff():
    cff = {"title": "A book", "version": "1.2.3", "date-released": "2026-12-01", "license": "MIT",
           "authors": [{"name": "The jakmeta team"}]}
    assert release.citation_apa(cff) == "The jakmeta team. (2026). *A book* (Version 1.2.3) [Computer software]."
    two = {**cff, "doi": "10.5281/zenodo.1", "authors": [{"family-names": "Liu", "given-names": "Ming"},
                                                         {"family-names": "Gao", "given-names": "Ya-Li"}]}
    assert release.citation_apa(two).startswith("Liu, M., & Gao, Y. L. (2026).")
    assert release.citation_apa(two).endswith("https://doi.org/10.5281/zenodo.1")
    bib = release.citation_bibtex(cff)
    assert bib.startswith("@software{jakmeta,\n  author = {{The jakmeta team}},") and "version = {1.2.3}" in bib
    project = release.read_citation()
    assert project["version"] in release.citation_bibtex(project)
    text = "# comment\n# another\n\ncff-version: 1.2.0\n# kept\ntitle: x\n"
    assert release.cff_without_comments(text) == "cff-version: 1.2.0\n# kept\ntitle: x\n"


# ------------------------------------------------------------------------------ version and citation

def test_version_is_the_same_in_pyproject_citation_and_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert pyproject == jakmeta.__version__ == str(citation["version"]) == release.version()


def test_citation_cff_has_the_required_fields():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "date-released"):
        assert citation.get(key), f"CITATION.cff: {key} is missing"
    assert isinstance(dt.date.fromisoformat(str(citation["date-released"])), dt.date)
    assert citation["authors"] and all(a.get("name") or a.get("family-names") for a in citation["authors"])


# ------------------------------------------------------------------------------------------- release

def test_data_last_searched_reads_the_search_log(tmp_path):
    (tmp_path / "searches.csv").write_text("search_id,date\n1,2025-03-04\n2,2026-01-02\n3,\n", encoding="utf-8")
    assert release.data_last_searched(tmp_path) == dt.date(2026, 1, 2)


def test_data_last_searched_falls_back_to_datapackage_then_none(tmp_path):
    assert release.data_last_searched(tmp_path) is None
    (tmp_path / "datapackage.json").write_text(json.dumps({"last_searched": "2024-05-06"}), encoding="utf-8")
    assert release.data_last_searched(tmp_path) == dt.date(2024, 5, 6)


def test_build_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
    assert release.build_date() == dt.date(2026, 1, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # 0 would print 1970: never used
    assert release.build_date().year > 1970


def _snap(ver: str, **changes) -> pd.DataFrame:
    row = {"version": ver, "outcome": "salt20", "label": "SALT ≤ 20", "trials_set": "all", "measure": "OR",
           "method": "REML", "ci": "hksj", "k": 4, "trials": 4, "participants": 2524, "estimate": 13.763,
           "ci_low": 3.895, "ci_high": 48.63, "pi_low": 1.0, "pi_high": 100.0, "tau2": 0.2, "i2": 30.0}
    other = dict(row, outcome="salt50", label="SALT50", estimate=0.667, ci_low=0.049, ci_high=9.02, k=1)
    row.update(changes)
    return pd.DataFrame([row, other])


def test_changes_lists_only_what_moved():
    old = _snap("0.1.0")
    assert release.changes(old, _snap("0.2.0")).empty
    moved = release.changes(old, _snap("0.2.0", k=5, participants=3086, estimate=17.213))
    assert len(moved) == 1
    row = moved.iloc[0]
    assert row["outcome"] == "SALT ≤ 20" and row["trials_set"] == "all"
    assert row["moved"] == "comparisons, participants, estimate"
    assert row["old"] == "OR 13.76 (3.90 to 48.63); k = 4, n = 2524"
    assert row["new"] == "OR 17.21 (3.90 to 48.63); k = 5, n = 3086"
    # below the printed precision nothing moved
    assert release.changes(old, _snap("0.2.0", estimate=13.7631)).empty


def test_changes_ignore_int_versus_float_counts():
    """A result only in the new version makes the old counts floats (4.0) in the merge: not a change."""
    new = pd.concat([_snap("0.2.0"), _snap("0.2.0", outcome="salt90", label="SALT90").iloc[:1]],
                    ignore_index=True)
    moved = release.changes(_snap("0.1.0"), new)
    assert moved[["outcome", "moved"]].values.tolist() == [["SALT90", "new result"]]


def test_changes_new_and_dropped_results():
    old = _snap("0.1.0", estimate=float("nan"), ci_low=float("nan"), ci_high=float("nan"), k=0)
    row = release.changes(old, _snap("0.2.0")).iloc[0]
    assert row["moved"] == "new result" and row["old"] == "no pooled result"
    assert release.changes(_snap("0.2.0"), old).iloc[0]["moved"] == "no longer pooled"


def test_snapshot_round_trip_and_ordering(tmp_path):
    release.write_snapshot(_snap("0.10.0"), tmp_path)
    release.write_snapshot(_snap("0.2.0", estimate=20.0), tmp_path)
    release.write_snapshot(_snap("0.9.1"), tmp_path)
    assert list(release.read_snapshots(tmp_path)) == ["0.2.0", "0.9.1", "0.10.0"]
    log = release.change_log(tmp_path)
    assert [(a, b, len(c)) for a, b, c in log] == [("0.2.0", "0.9.1", 1), ("0.9.1", "0.10.0", 0)]


def test_stored_snapshots_are_readable():
    snaps = release.read_snapshots()
    assert "0.1.0" in snaps, "results/summaries/v0.1.0.csv (the first version's pooled results) is missing"


def test_data_zip_is_complete_and_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = release.write_data_zip(tmp_path / "a.zip").read_bytes()
    second = release.write_data_zip(tmp_path / "b.zip").read_bytes()
    assert first == second
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    prefix = f"jakmeta-data-{jakmeta.__version__}/"
    assert f"{prefix}datapackage.json" in names and f"{prefix}README.md" in names
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert prefix + resource["path"] in names


def test_how_to_report_an_error_from_citation_cff():
    """The way to report an error comes from CITATION.cff: its issue tracker (``repository-code``)
    and contact e-mail when recorded, else a sentence that says none is (never a guessed address)."""
    assert release.issue_tracker({}) == ""
    assert release.issue_tracker({"repository-code": "https://github.com/o/r/"}) == "https://github.com/o/r/issues"
    assert release.issue_tracker({"repository-code": "https://git.example.org/r"}) == "https://git.example.org/r"
    with_tracker = release.report_error({"repository-code": "https://gitlab.com/o/r"})
    assert "issue tracker" in with_tracker and "<https://gitlab.com/o/r/issues>" in with_tracker
    assert "No public address" not in with_tracker
    by_mail = release.report_error({"contact": [{"name": "Team", "email": "team@example.org"}]})
    assert "<team@example.org>" in by_mail and "issue tracker" not in by_mail
    fallback = release.report_error({"title": "x"})
    assert fallback.startswith("**No public address for reports is recorded yet.**")
    assert "`repository-code`" in fallback and "http" not in fallback and "@" not in fallback


@pytest.mark.parametrize("repository", ["https://github.com/example/jakmeta", None])
def test_about_page_shows_the_tracker_or_says_there_is_none(tmp_path, repository):
    """A page built with the book's Sphinx extension (jakmeta.book.release) from a CITATION.cff
    with ``repository-code`` links the issue tracker; without it, it shows the fallback sentence."""
    import yaml
    from bs4 import BeautifulSoup
    from sphinx.cmd.build import build_main

    src, out = tmp_path / "src", tmp_path / "out"
    (src / "data").mkdir(parents=True)
    (src / "data" / "datapackage.json").write_text('{"resources": []}', encoding="utf-8")
    (src / "conf.py").write_text('extensions = ["myst_parser", "jakmeta.book.release"]\n'
                                 'myst_enable_extensions = ["substitution"]\n', encoding="utf-8")
    (src / "index.md").write_text("# About\n\n## How to report an error\n\n{{ report_error }}\n", encoding="utf-8")
    cff = {"cff-version": "1.2.0", "title": "A book", "version": "1.0.0", "authors": [{"name": "Team"}]}
    if repository:
        cff["repository-code"] = repository
    (src / "CITATION.cff").write_text(yaml.safe_dump(cff), encoding="utf-8")
    assert build_main(["-q", "-b", "html", str(src), str(out)]) == 0
    article = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser").select_one("section")
    text = " ".join(article.get_text(" ").split())
    links = [a["href"] for a in article.select("a[href]") if not a["href"].startswith("#")]
    if repository:
        assert links == [f"{repository}/issues"] and "issue tracker" in text
        assert "No public address" not in text
    else:
        assert links == [] and "No public address for reports is recorded yet." in text
        assert "repository-code" in text
