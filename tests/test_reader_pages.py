"""The library pieces behind the readers' pages (issue 18): numbers at a sensible precision, the
grouped extraction log, the citation generated from CITATION.cff, the plain-language summary and
subtotal diamonds in forest plots."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from jakmeta.book import plots, release, tables
from jakmeta.book.display import NumberedList, format_number, show_table
from jakmeta.evidence.package import load_package
from jakmeta.review import plain_language, sof


@pytest.fixture(scope="module")
def pkg():
    return load_package()


@pytest.fixture(scope="module")
def sof_table(pkg):
    return sof.summary_of_findings(pkg)


def test_numbers_at_a_sensible_precision():
    assert format_number(0.00000019) == "< 0.001"
    assert format_number(-0.00000019) == "> −0.001"
    assert format_number(15487572347123.88) == "> 10,000"
    assert format_number(-15487572347123.88) == "< −10,000"
    assert format_number(0.0031) == "0.0031" and format_number(1234.567) == "1234.57"
    assert format_number(0.0) == "0.00" and format_number(20000.0) == "20000.00"
    cells = show_table(pd.DataFrame({"tau2": [0.00000019, 0.04], "ci_high": [15487572347123.88, 3.2]})).cells
    assert cells == [["< 0.001", "> 10,000"], ["0.04", "3.20"]]


def test_number_ranges():
    assert tables.number_ranges([5, 1, 2, 3, 7, 8, 3]) == "1–3, 5, 7, 8"
    assert tables.number_ranges([]) == "" and tables.number_ranges([4]) == "4"


def _numbers(text: str, n: int) -> set[int]:
    if text == "all":
        return set(range(1, n + 1))
    out = set()
    for part in text.split(", "):
        low, _, high = part.partition("–")
        out |= set(range(int(low), int(high or low) + 1))
    return out


def test_extraction_log_lists_each_place_once_per_trial(pkg):
    log = tables.not_found(pkg)
    groups = tables.not_found_by_trial(pkg)
    assert [trial for trial, _, _ in groups] == list(dict.fromkeys(log["trial"]))
    shown = 0
    for trial, places, rows in groups:
        assert places and len(places) == len(set(places))
        original = log[log["trial"] == trial].set_index("outcome")
        for row in rows.itertuples():
            for outcome in row.outcome.split("; "):
                shown += 1
                match = original.loc[[outcome]]
                match = match[(match["week"] == row.week) & (match["arms"] == row.arms)]
                assert len(match) == 1, (trial, outcome)
                looked = {p.strip() for p in match["where_we_looked"].iloc[0].split(" ; ") if p.strip()}
                assert {places[n - 1] for n in _numbers(row.places, len(places))} == looked, (trial, outcome)
    assert shown == len(log)


def test_merge_rows_and_unused_values(pkg):
    df = pd.DataFrame({"trial": ["A", "A", "A", "B"], "outcome": ["x", "y", "x", "x"], "n": [1, 1, 1, 2]})
    assert tables.merge_rows(df, "outcome").to_dict("list") == {"trial": ["A", "B"], "outcome": ["x; y", "x"], "n": [1, 2]}
    unused = tables.unused_values(pkg)
    values = pkg.outcomes[(pkg.outcomes["status"] != "not_available") & (pkg.outcomes["analysis_use"] == "no")]
    assert len(unused) == values.groupby(["study_id", "source", "source_type", "note"], dropna=False).ngroups
    assert not unused["note"].fillna("").str.contains("<=|>=").any()


def test_numbered_list_escapes_and_numbers():
    shown = NumberedList("Where we looked", ["a <b>", "https://x.org/a_b"])
    assert "<ol><li>a &lt;b&gt;</li>" in shown._repr_html_()
    assert repr(shown).splitlines() == ["Where we looked", "1. a <b>", "2. https://x.org/a_b"]


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


def test_plain_language_summary_is_computed(pkg, sof_table):
    messages = plain_language.key_messages(sof_table)
    main = sof_table[sof_table["row"] == "salt20"].iloc[0]
    assert messages and messages[0].startswith(main["statement"])
    assert f"{int(main['participants']):,} people" in messages[0]
    table = plain_language.findings_table(sof_table)
    assert len(table) == len(sof_table) and list(table.columns)[0] == "What was measured"
    assert not table.isna().any().any()
    limits = plain_language.limitations(pkg, sof_table)
    weeks = pd.to_numeric(pkg.studies["primary_timepoint_weeks"], errors="coerce")
    assert any(f"{int(weeks.min())} to {int(weeks.max())} weeks" in m for m in limits)
    assert plain_language.certainty_legend().count("⨁") == 10


def test_forest_plot_subtotals_per_drug(pkg):
    a = sof.primary(pkg, "salt20")
    drugs = a.table["study_id"].map(dict(zip(pkg.studies["study_id"], pkg.studies["drug"], strict=True)))
    table = a.table.assign(drug=drugs.str.split(" ").str[0])
    several = [d for d in table["drug"].unique() if (table["drug"] == d).sum() > 1]
    if not several or a.result is None:
        pytest.skip("no pool with two drugs of two or more trials each")
    subtotals = {d: sof.primary(pkg, "salt20", drug=d).result for d in several}
    fig = plots.forest_plot(table, a.result, a.measure, outcome="salt20", subgroup="drug", subtotals=subtotals)
    assert "Subtotals: " in fig.alt_text
    for d in several:
        sub = subtotals[d]
        assert f"{d}: {math.exp(sub.estimate):.2f}" in fig.alt_text
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("Subtotal (95% CI)") == len(several)
    assert all(d.capitalize() in texts for d in table["drug"].unique())
    plain = plots.forest_plot(a.table, a.result, a.measure, outcome="salt20")
    assert "Subtotal (95% CI)" not in [t.get_text() for t in plain.axes[0].texts]
    assert np.isclose(plain.get_size_inches()[1] + 0.3 * (len(table["drug"].unique()) + len(several)),
                      fig.get_size_inches()[1], atol=0.01)


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
