"""The "how this was computed" note (jakmeta.book.computed): one per Summary of Findings row, whose
command, run through the command line, gives the estimate the page shows; words read from the
protocol; functions that exist; deterministic output for nbval."""

from __future__ import annotations

import csv
import importlib
import io
import re
import shlex

import pytest

from jakmeta import cli
from jakmeta.book import computed
from jakmeta.evidence.package import load_package
from jakmeta.review import protocol, sof

#: A sample of Summary of Findings rows (a drug at a dose, the class, a Mantel-Haenszel harm per
#: drug, a mean difference, a single trial); every row is checked for its note, a sample is run.
SAMPLE = ("salt20_baricitinib_4mg", "salt20", "ae_serious_baricitinib", "salt_cfb", "salt90")


@pytest.fixture(scope="module")
def pkg():
    return load_package()


@pytest.fixture(scope="module")
def sof_table(pkg):
    return sof.summary_of_findings(pkg)


@pytest.fixture(scope="module")
def layout(sof_table):
    return sof.sof_layout(sof_table)


def _run(argv: list[str], capsys) -> dict:
    capsys.readouterr()
    assert cli.main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 1
    return rows[0]


def test_every_sof_row_has_its_note(pkg, sof_table, layout):
    row_ids = layout.attrs["row_ids"]
    assert row_ids == [e.row_id for e in protocol.entries(pkg, role="primary")] == list(sof_table["row_id"])
    notes = computed.notes(pkg, zip(row_ids, layout["Outcome"], strict=True))
    assert [n.row_id for n in notes.items] == row_ids
    page = notes._repr_html_()
    assert re.findall(r'data-row-id="([^"]+)"', page) == row_ids
    for n in notes.items:  # the closed note (what prints) carries the command
        summary = re.search(rf'data-row-id="{re.escape(n.row_id)}"><summary>(.*?)</summary>', page).group(1)
        assert f"python -m jakmeta analyse --row {n.row_id}" in summary


def test_answer_table_names_its_rows(pkg, sof_table):
    answer = sof.answer_table(sof_table)
    row_ids = answer.attrs["row_ids"]
    assert len(row_ids) == len(answer)
    labels = dict(zip(sof_table["row_id"], sof_table["label"], strict=True))
    assert [labels[r] for r in row_ids] == list(answer["Question"])


@pytest.mark.parametrize("row_id", SAMPLE)
def test_the_command_gives_the_estimate_the_page_shows(pkg, layout, row_id, capsys):
    n = computed.note(pkg, row_id)
    argv = shlex.split(n.command)
    assert argv[:3] == ["python", "-m", "jakmeta"]
    out = _run(argv[3:] + ["--format", "csv"], capsys)
    assert out["row_id"] == row_id
    shown = layout.iloc[layout.attrs["row_ids"].index(row_id)]
    estimate = float(out["estimate"])
    if out["measure"] == "MD":
        assert shown["Risk difference with JAK inhibitor (95% CI or CrI)"].startswith(f"MD {estimate:+.1f} points")
    else:
        assert shown["Relative effect (95% CI or CrI)"].startswith(f"{out['measure']} {estimate:.2f} (")
    assert out["model"] == shown["Model"]


def test_note_reads_the_protocol(pkg):
    e = protocol.entry(pkg, "ae_serious_baricitinib")
    n = computed.note(pkg, e.row_id)
    assert n.label == e.label
    assert n.model.startswith(protocol.model_text(e))
    assert n.fixed.startswith(e.date_fixed) and protocol.WHEN[e.fixed] in n.fixed
    assert n.engine == "jakmeta.stats.common_effect.mantel_haenszel"
    assert "risk ratio" in n.question and "baricitinib" in n.question
    # the arms left out are named with their trial, not as codes
    assert all(sid not in n.multiarm for sid, _ in e.exclude_arms)
    assert computed.note(pkg, "salt20").engine == "jakmeta.stats.bayes.pool_bayes"
    assert computed.note(pkg, "salt20_liu").engine == "jakmeta.stats.engine.pool"
    with pytest.raises(ValueError, match="unknown row_id"):
        computed.note(pkg, "no_such_row")


def test_the_functions_it_names_exist(pkg):
    n = computed.note(pkg, "salt20")
    assert n.functions[0] == "jakmeta.review.fewstudies.headline"
    assert "jakmeta.review.analysis.analyse" in n.functions
    for name in (*n.functions, n.engine):
        module, _, attr = name.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), name


def test_output_is_deterministic_and_plain(pkg):
    a, b = computed.note(pkg, "salt20"), computed.note(pkg, "salt20")
    assert a._repr_html_() == b._repr_html_() and repr(a) == repr(b)
    assert ' id="' not in a._repr_html_()
    assert not re.search(r"0x[0-9a-f]{6,}", repr(a))
    text = repr(a)
    assert text.startswith("How this was computed (salt20)")
    assert "python -m jakmeta analyse --row salt20" in text
    listed = repr(computed.notes(pkg, [("salt20", "SALT ≤ 20")], title="How each row was computed"))
    assert listed == "How each row was computed\n- SALT ≤ 20: python -m jakmeta analyse --row salt20"
    assert "&lt;" in computed.note(pkg, "salt20", label="<b>")._repr_html_()  # labels are escaped


def test_engine_for_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="valid: bayes, mh, reml-hksj"):
        computed.engine_for("xyz")
