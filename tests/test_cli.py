"""The command line (``python -m jakmeta ...``), the version and citation metadata, and the release
helpers behind the "What changed" chapter and the downloads (jakmeta.book.release)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

import jakmeta  # noqa: E402
from jakmeta import cli
from jakmeta.book import release
from jakmeta.evidence import labels  # noqa: E402
from jakmeta.evidence.package import load_package  # noqa: E402
from jakmeta.review import analysis  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAN = re.compile(r"\bnan\b|<NA>|\bNaT\b", re.IGNORECASE)


def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------- summary, reproduce

def test_summary_markdown_has_no_nan(capsys):
    code, out, err = _main(capsys, "summary")
    assert code == 0, err
    assert not NAN.search(out), out
    assert "—" in out or "|" in out


def test_summary_csv_has_a_header_and_one_row_per_outcome(capsys):
    from jakmeta.review import sof

    code, out, err = _main(capsys, "summary", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert {"outcome", "k", "estimate", "ci_low", "ci_high", "certainty"} <= set(frame.columns)
    assert len(frame) == len(sof.summary_table())
    assert not NAN.search(out)


def test_reproduce_markdown(capsys):
    code, out, err = _main(capsys, "reproduce")
    assert code == 0, err
    assert "salt50" in out and "verdict" in out
    assert not NAN.search(out)


def test_invalid_data_fails_clearly(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    text = (data / "arms.csv").read_text(encoding="utf-8").replace(",placebo,0,no,189,", ",placebo,0,no,-189,", 1)
    (data / "arms.csv").write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "jakmeta", "summary", "--data", str(data)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "arms.csv" in result.stderr and "n_randomised" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------------------------------ analyse

def test_analyse_prints_the_same_numbers_as_the_library(capsys):
    pkg = load_package()
    a = analysis.analyse(pkg, "salt20", studies="all", method="DL", ci="z")
    code, out, err = _main(capsys, "analyse", "salt20", "--trials", "all", "--method", "DL", "--ci", "z")
    assert code == 0, err
    assert f"{a.k} comparison(s)" in out
    import math

    assert (f"Pooled OR {cli.significant(math.exp(a.result.estimate))} "
            f"(95% CI {cli.significant(math.exp(a.result.ci_low))}") in out
    for trial in a.table["trial"]:
        assert trial in out
    assert not NAN.search(out)


def test_analyse_exclude_multiarm_and_plot(capsys, tmp_path):
    pkg = load_package()
    with_data = analysis.analyse(pkg, "salt20", studies="all").table["study_id"].tolist()
    dropped = with_data[0]
    name = pkg.studies.set_index("study_id").loc[dropped, "trial_name"]
    plot = tmp_path / "forest.png"
    code, out, err = _main(capsys, "analyse", "salt20", "--trials", "all", "--exclude", name,
                           "--multiarm", "highest", "--plot", str(plot))
    assert code == 0, err
    assert f"without {dropped}" in out
    expected = analysis.analyse(pkg, "salt20", multiarm="highest",
                                studies=[s for s in analysis.study_set(pkg, "all") if s != dropped])
    assert f"{expected.k} comparison(s)" in out
    assert plot.stat().st_size > 1000 and plot.read_bytes()[:4] == b"\x89PNG"


def test_analyse_without_data_says_so(capsys):
    empty = [o for o in labels.OUTCOME_LABELS
             if analysis.analyse(load_package(), o, studies="liu").k == 0]
    if not empty:
        pytest.skip("every outcome has data in the liu set")
    code, out, _ = _main(capsys, "analyse", empty[0], "--plot", "never-written.png")
    assert code == 0 and "nothing to pool" in out and not NAN.search(out)
    assert "no forest plot" in out and not Path("never-written.png").exists()


def test_analyse_unknown_outcome_lists_the_valid_ones(capsys):
    code, out, err = _main(capsys, "analyse", "salt21")
    assert code == 2 and out == ""
    assert "unknown outcome 'salt21'" in err
    for outcome in labels.OUTCOME_LABELS:
        assert outcome in err


def test_analyse_unknown_trial_lists_the_valid_ones(capsys):
    code, _, err = _main(capsys, "analyse", "salt20", "--exclude", "NOT-A-TRIAL")
    assert code == 2
    assert "unknown trial(s) NOT-A-TRIAL" in err
    for study_id in load_package().studies["study_id"]:
        assert study_id in err


def test_analyse_rejects_an_unknown_method(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["analyse", "salt20", "--method", "XYZ"])
    assert exit_info.value.code == 2
    assert "REML" in capsys.readouterr().err


def test_printable_replaces_missing_values():
    frame = pd.DataFrame({"a": [1.0, float("nan"), 2.5], "b": ["x", None, pd.NA]})
    shown = cli.printable(frame)
    assert shown["a"].tolist() == ["1", "—", "2.50"]  # 3 significant figures
    assert shown["b"].tolist() == ["x", "—", "—"]


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "jakmeta", "--version"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == f"jakmeta {jakmeta.__version__}"


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


def test_requires_python_allows_311_to_313():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet

    for version in ("3.11.7", "3.12.1", "3.13.0"):
        assert version in SpecifierSet(spec), f"requires-python {spec} excludes {version}"


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


def test_snapshot_command_writes_the_current_version(capsys, tmp_path):
    code, out, err = _main(capsys, "snapshot", "--folder", str(tmp_path))
    assert code == 0, err
    stored = pd.read_csv(tmp_path / f"v{jakmeta.__version__}.csv")
    assert list(stored.columns) == release.SNAPSHOT_COLUMNS + release.PROTOCOL_COLUMNS
    from jakmeta.review import protocol

    assert list(stored["row_id"]) == [e.row_id for e in protocol.entries()]


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


@pytest.mark.parametrize("args", [["--row", "ae_serious"], ["ae_serious"]], ids=["row", "ad hoc"])
def test_a_plot_that_cannot_be_written_is_a_clear_error(capsys, tmp_path, args):
    code, out, err = _main(capsys, "analyse", *args, "--plot", str(tmp_path / "no such folder" / "f.png"))
    assert code == 2 and "does not exist" in err  # refused before any work
    target = tmp_path / "forest.png"
    target.mkdir()  # a folder where the file should go: writing fails (also as root)
    code, out, err = _main(capsys, "analyse", *args, "--plot", str(target))
    assert code == 1 and f"could not write the forest plot {target}" in err and "Traceback" not in err
