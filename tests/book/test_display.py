"""The table-rendering helper: labels, missing values, number formats, alignment, determinism."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jakmeta.book.display import NumberedList, Table, format_number, show_table


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": ["brave_aa1", "brave_aa2", None],
        "events_t": [12.0, np.nan, 3.0],
        "n_participants": pd.array([1710, None, 3], dtype="Int64"),
        "ci_low": [0.1234, np.nan, -2.5],
        "q_pvalue": [0.5, 0.0002, np.nan],
        "note": ["long text", pd.NA, "x"],
    }, index=[7, 8, 9])


def test_no_index_and_human_labels(frame):
    t = show_table(frame)
    assert isinstance(t, Table)
    assert t.header == ["Trial", "Events (JAK inhibitor)", "Participants", "95% CI lower", "p (Q)", "Note"]
    html = t._repr_html_()
    assert ">7<" not in html and ">8<" not in html  # no row index
    assert "study_id" not in html and "n_participants" not in html


def test_given_labels_win(frame):
    t = show_table(frame, labels={"study_id": "Study", "note": "Comment"})
    assert t.header[0] == "Study" and t.header[-1] == "Comment"


def test_missing_values_become_the_missing_text(frame):
    t = show_table(frame)
    text, html = repr(t), t._repr_html_()
    for bad in ("NaN", "nan", "<NA>", "None", "&lt;NA&gt;"):
        assert bad not in text and bad not in html
    assert t.cells[2][0] == "—" and t.cells[1][1] == "—" and t.cells[1][2] == "—"
    assert show_table(frame, missing="not reported").cells[1][-1] == "not reported"


def test_numbers(frame):
    t = show_table(frame)
    assert [r[1] for r in t.cells] == ["12", "—", "3"]            # integers without .0
    assert [r[2] for r in t.cells] == ["1710", "—", "3"]
    assert [r[3] for r in t.cells] == ["0.12", "—", "-2.50"]      # 2 decimals by default
    assert [r[4] for r in t.cells] == ["0.500", "< 0.001", "—"]   # p-values
    assert show_table(frame, decimals={"ci_low": 3}).cells[0][3] == "0.123"
    assert show_table(frame, decimals=1).cells[0][3] == "0.1"
    assert show_table(frame, decimals=1).cells[0][1] == "12"       # integral column stays integer
    assert format_number(0.0031) == "0.0031" and format_number(-0.0) == "0.00"
    assert format_number(float("inf")) == "∞" and format_number(np.int64(5)) == "5"


def test_alignment_and_scroll_box(frame):
    html = show_table(frame)._repr_html_()
    assert html.startswith('<div class="jm-table-scroll"')
    assert "overflow-x: auto" in html
    assert re.search(r'<th class="jm-num" style="text-align: right;">Participants</th>', html)
    assert re.search(r'<td class="jm-text" style="text-align: left;">brave_aa1</td>', html)


def test_long_text_columns_get_a_minimum_width():
    df = pd.DataFrame({"short": ["a", "b"], "long": ["x" * 10, "a sentence that is longer than forty characters"]})
    html = show_table(df)._repr_html_()
    assert '<td class="jm-text" style="text-align: left;">a</td>' in html
    assert '<td class="jm-text jm-long" style="text-align: left;">xxxxxxxxxx</td>' in html


def test_html_is_escaped_and_deterministic(frame):
    frame.loc[7, "note"] = "a < b & c"
    one, two = show_table(frame)._repr_html_(), show_table(frame.copy())._repr_html_()
    assert one == two
    assert "a &lt; b &amp; c" in one
    assert "id=" not in one  # no random element ids


def test_caption_index_and_series():
    df = pd.DataFrame({"x": [1.5]}, index=pd.Index(["a"], name="trial"))
    t = show_table(df, caption="Table 1", index=True)
    assert t.header == ["Trial", "X"] and "<caption>Table 1</caption>" in t._repr_html_()
    assert repr(t).splitlines()[0] == "Table 1"
    assert show_table(pd.Series([1, 2], name="k")).header == ["Trials (k)"]
    assert show_table(pd.DataFrame({"x": [1]}, index=["r"]), index=True).header == ["", "X"]


def test_text_repr_is_aligned(frame):
    lines = repr(show_table(frame)).splitlines()
    assert lines[0].startswith("Trial") and set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(frame)


def test_booleans_and_mixed_columns():
    df = pd.DataFrame({"flag": [True, False], "value": [3.0, "not found"]})
    t = show_table(df)
    assert [r[0] for r in t.cells] == ["yes", "no"]
    assert [r[1] for r in t.cells] == ["3", "not found"]
    assert t.numeric == [False, False]


def test_empty_frame_and_bad_input():
    assert show_table(pd.DataFrame({"a": []})).cells == []
    with pytest.raises(TypeError, match="DataFrame"):
        show_table([1, 2])


def test_columns_never_read_alike():
    t = show_table(pd.DataFrame({"trial": ["A"], "study_id": ["a"], "k": [2]}))
    assert t.header == ["Trial (trial)", "Trial (study_id)", "Trials (k)"]
    assert show_table(pd.DataFrame({"a": [1], "b": [2]}), labels={"a": "X", "b": "X"}).header == ["X", "X"]


def test_dates_and_categories():
    df = pd.DataFrame({"searched": [pd.Timestamp("2026-12-01"), pd.Timestamp("2026-11-30 14:05")],
                       "drug": pd.Categorical(["baricitinib", None])})
    t = show_table(df)
    assert [r[0] for r in t.cells] == ["2026-12-01", "2026-11-30 14:05:00"]
    assert [r[1] for r in t.cells] == ["baricitinib", "—"]


def test_numbers_at_a_sensible_precision():
    assert format_number(0.00000019) == "< 0.001"
    assert format_number(-0.00000019) == "> −0.001"
    assert format_number(15487572347123.88) == "> 10,000"
    assert format_number(-15487572347123.88) == "< −10,000"
    assert format_number(0.0031) == "0.0031" and format_number(1234.567) == "1234.57"
    assert format_number(0.0) == "0.00" and format_number(20000.0) == "20000.00"
    cells = show_table(pd.DataFrame({"tau2": [0.00000019, 0.04], "ci_high": [15487572347123.88, 3.2]})).cells
    assert cells == [["< 0.001", "> 10,000"], ["0.04", "3.20"]]


def test_numbered_list_escapes_and_numbers():
    shown = NumberedList("Where we looked", ["a <b>", "https://x.org/a_b"])
    assert "<ol><li>a &lt;b&gt;</li>" in shown._repr_html_()
    assert repr(shown).splitlines() == ["Where we looked", "1. a <b>", "2. https://x.org/a_b"]
