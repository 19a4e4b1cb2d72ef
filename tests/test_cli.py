"""The command line (``python -m jakmeta ...``), the version and citation metadata, and the release
helpers behind the "What changed" chapter and the downloads (jakmeta.book.release)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import jakmeta
from jakmeta import cli
from jakmeta.book import release
from jakmeta.evidence import labels
from jakmeta.evidence.package import load_package
from jakmeta.review import analysis

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


def test_requires_python_allows_311_to_313():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet

    for version in ("3.11.7", "3.12.1", "3.13.0"):
        assert version in SpecifierSet(spec), f"requires-python {spec} excludes {version}"


def test_snapshot_command_writes_the_current_version(capsys, tmp_path):
    code, out, err = _main(capsys, "snapshot", "--folder", str(tmp_path))
    assert code == 0, err
    stored = pd.read_csv(tmp_path / f"v{jakmeta.__version__}.csv")
    assert list(stored.columns) == release.SNAPSHOT_COLUMNS + release.PROTOCOL_COLUMNS
    from jakmeta.review import protocol

    assert list(stored["row_id"]) == [e.row_id for e in protocol.entries()]


@pytest.mark.parametrize("args", [["--row", "ae_serious"], ["ae_serious"]], ids=["row", "ad hoc"])
def test_a_plot_that_cannot_be_written_is_a_clear_error(capsys, tmp_path, args):
    code, out, err = _main(capsys, "analyse", *args, "--plot", str(tmp_path / "no such folder" / "f.png"))
    assert code == 2 and "does not exist" in err  # refused before any work
    target = tmp_path / "forest.png"
    target.mkdir()  # a folder where the file should go: writing fails (also as root)
    code, out, err = _main(capsys, "analyse", *args, "--plot", str(target))
    assert code == 1 and f"could not write the forest plot {target}" in err and "Traceback" not in err
