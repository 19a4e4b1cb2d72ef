"""No typed results in the book's prose, and no contradiction between chapters.

1. Every markdown cell of every chapter (and every ``.md`` chapter) is scanned for a stated result:
   a number with a decimal point, a percentage, or an OR/RR/MD value. Glued values
   (``{glue:text}`...```), citations, cross-references, inline code and math are removed first.
   What remains may only be a method parameter from :data:`ALLOWED_NUMBERS` /
   :data:`ALLOWED_PERCENTAGES`, or a section number of a cited handbook.
2. The Summary of Findings, the harms chapter and the reproduction chapter agree on which outcomes
   have data (issue 10, item 4).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

#: Method parameters that may be typed: prior scale, alpha, power, a software version.
ALLOWED_NUMBERS = {"0.5", "0.05", "0.8", "1.0"}
#: Percentages that are method parameters or definitions: confidence level (95), tolerance of
#: "reproduced" (5) and "close" (10), GRADE thresholds for I² and weight (50, 75), outcome
#: definitions (SALT30/50/75/90, "at least half": 50; 25-30 % eligibility text of a definition).
ALLOWED_PERCENTAGES = {"5", "10", "30", "50", "75", "90", "95", "100"}

REMOVE = [
    re.compile(r"\{glue(:\w+)?\}`[^`]*`"),
    re.compile(r"\{(cite|cite:p|cite:t|doc|download|ref|numref)\}`[^`]*`"),
    re.compile(r"\$\$.*?\$\$", re.DOTALL),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"https?://\S+"),
]
SECTION_CONTEXT = re.compile(r"(Handbook|[Ss]ections?|[Cc]hapters?|ch\.|Table|Jupyter Book|version|and)\s*$")
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?:\.\d+)*(?![\w])")
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
EFFECT = re.compile(r"\b(OR|RR|MD|HR|RD)\s*(?:=|of|:)?\s*[−-]?\d")


def _markdown_sources() -> list[tuple[str, str]]:
    out = []
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                out.append((f"{path.name} cell {i}", "".join(cell["source"])))
    for path in sorted(CHAPTERS.glob("*.md")):
        out.append((path.name, path.read_text(encoding="utf-8")))
    return out


def typed_results(text: str) -> list[str]:
    """The stated results in a piece of markdown that are neither glued nor allowed."""
    for pattern in REMOVE:
        text = pattern.sub(" ", text)
    found = []
    for m in DECIMAL.finditer(text):
        value = m.group(0)
        if value in ALLOWED_NUMBERS or value.count(".") >= 2:
            continue
        if SECTION_CONTEXT.search(text[max(0, m.start() - 25):m.start()]):
            continue
        found.append(value)
    found += [m.group(0) for m in PERCENT.finditer(text) if m.group(1) not in ALLOWED_PERCENTAGES]
    found += [m.group(0) for m in EFFECT.finditer(text)]
    return found


def test_the_scanner_finds_typed_results_and_spares_glued_ones():
    assert typed_results("the pooled OR 9.41 (5.40 to 16.43)") == ["9.41", "5.40", "16.43", "OR 9"]
    assert typed_results("covers it in 87 % of cases") == ["87 %"]
    assert typed_results("OR {glue:text}`or` ({glue:text}`lo` to {glue:text}`hi`)") == []
    assert typed_results("a half-normal(0.5) prior; 95 % CI; Cochrane Handbook 6.4 and 6.5; section 10.10.4") == []


@pytest.mark.parametrize(("where", "text"), _markdown_sources(), ids=lambda v: v if len(v) < 60 else "")
def test_no_typed_result_in_prose(where, text):
    found = typed_results(text)
    assert not found, f"{where}: typed result(s) {found}; glue them (myst_nb.glue) or add a method parameter to the allow-list"


# ----------------------------------------------------------------------------- agreement


def test_sof_harms_and_reproduction_agree_on_which_outcomes_have_data():
    from jakmeta.evidence.package import load_package
    from jakmeta.review import reproduction, sof

    pkg = load_package()
    table = sof.summary_of_findings(pkg)
    main = table[table["row"].isin(sof.OUTCOMES)].set_index("outcome")
    for outcome in sof.OUTCOMES:
        a = sof.primary(pkg, outcome)  # what the outcome and harms chapters show
        has_data = len(a.trial_ids) > 0
        row = main.loc[outcome]
        assert (row["trials_with_data"] > 0) == has_data, outcome
        # "no data" is never said of an outcome with data (e.g. double-zero trials)
        if has_data:
            assert "No trial with usable data" not in row["statement"], outcome
        else:
            assert row["certainty"] == "no estimate", outcome
        # the reproduction chapter's Liu-set analysis uses a subset of the same trials
        liu = reproduction.liu_analysis(pkg, outcome)
        assert set(liu.trial_ids) <= set(a.trial_ids) | set(reproduction.study_set(pkg, "liu")), outcome
        if liu.trial_ids:
            assert has_data, f"{outcome}: the reproduction chapter has data the SoF lacks"


def test_summary_page_table_and_harms_chapter_agree():
    """The Summary of Findings as laid out on the page (``sof.sof_layout``, also written to
    summary_of_findings.csv) and the harms chapter's per-harm trial list (built with
    ``sof.primary``, written to harms_trials.csv) agree on which harms have data."""
    from jakmeta.evidence.labels import OUTCOME_LABELS
    from jakmeta.evidence.package import load_package
    from jakmeta.review import sof

    pkg = load_package()
    layout = sof.sof_layout(sof.summary_of_findings(pkg))
    for outcome in ("ae_any", "ae_treatment_related", "ae_serious", "ae_discontinuation"):
        row = layout[layout["Outcome"].str.startswith(OUTCOME_LABELS[outcome])].iloc[0]  # the class row comes first
        with_data = len(sof.primary(pkg, outcome).trial_ids) > 0
        assert (row["№ of participants (studies)"] != "—") == with_data, outcome
