"""Every combination the reviewer command ``python -m jakmeta analyse`` accepts either refuses with a
message or prints finite numbers on the measure's reporting scale (issue 19).

The combinations: every outcome the command accepts (:func:`jakmeta.cli.analysable_outcomes`) ×
trial set × multi-arm rule × measure × tau² method × CI method. The full product is about 37,000
runs of the command (some 45 minutes here), so this test **samples** it, deterministically:

- every outcome × trial set × multi-arm rule once (about 340 runs), with the measures that fit the
  outcome taken in turn (each binary outcome meets OR, RR, RD and the Peto OR three times each) and
  the 21 tau² method × CI pairs taken in turn (each pair meets every rule and most outcomes);
- every outcome with every measure that does not fit it (these must be refused);
- the full method × CI product for four analyses (binary with OR, Peto OR and RD; continuous
  with SMD).

Runs are in-process through :func:`jakmeta.cli.main`, with the data package loaded once and each
comparison table built once (the method, CI and measure do not change it).

What is checked in a printed result, independently of the library: the pooled estimate lies within
its CI; a ratio (OR, RR, Peto OR) and its CI limits are positive; each trial's printed estimate is
the one its printed counts give on the reporting scale (OR, RR, RD, Peto OR recomputed here, with
0.5 added to every cell of a table with a zero cell; MD from the printed means) and lies within its
printed CI; the pooled estimate lies between the smallest and the largest trial estimate; nothing is
NaN or infinite.
"""

from __future__ import annotations

import itertools
import math
import re

import pytest

import jakmeta.evidence.package
from jakmeta import cli
from jakmeta.evidence import labels  # noqa: E402
from jakmeta.evidence.package import is_binary_outcome, load_package
from jakmeta.review import analysis
from jakmeta.review.analysis import MULTIARM_RULES
from jakmeta.stats import CI_METHODS, METHODS

PKG = load_package()
OUTCOMES = cli.analysable_outcomes(PKG)
TRIAL_SETS = ("liu", "update", "all")
MEASURES = (*cli.BINARY_MEASURES, *cli.CONTINUOUS_MEASURES)
RATIO = {"OR", "RR", "PETO"}  # reported as exp of the pooled log
PAIRS = list(itertools.product(METHODS, CI_METHODS))


def _fitting(outcome: str) -> tuple[str, ...]:
    return cli.BINARY_MEASURES if is_binary_outcome(outcome) else cli.CONTINUOUS_MEASURES


SAMPLE = [(outcome, trials, rule, _fitting(outcome)[i % len(_fitting(outcome))], *PAIRS[i % len(PAIRS)])
          for i, (outcome, trials, rule) in enumerate(itertools.product(OUTCOMES, TRIAL_SETS, MULTIARM_RULES))]
SAMPLE += [(outcome, TRIAL_SETS[i % 3], MULTIARM_RULES[i % 4], measure, *PAIRS[i % len(PAIRS)])
           for i, (outcome, measure) in enumerate(itertools.product(OUTCOMES, MEASURES))
           if measure not in _fitting(outcome)]
FULL = [("salt20", "all", "combine", "OR"), ("salt20", "all", "split", "PETO"),
        ("ae_serious", "all", "combine", "RD"), ("salt_cfb", "all", "combine", "SMD")]
SAMPLE += [(*data, method, ci) for data in FULL for method, ci in PAIRS]

POOLED = re.compile(r"^(?:Pooled|Estimate) (?P<name>.+?) (?P<est>\S+) \(95% CI (?P<lo>\S+) to (?P<hi>\S+)\);",
                    re.MULTILINE)
NUMBER = r"-?\d+(?:\.\d+)?"


_TABLES: dict = {}
_comparison_table = analysis.comparison_table


def _cached_comparison_table(pkg, outcome, **kwargs):
    key = (outcome, *sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
    if key not in _TABLES:
        _TABLES[key] = _comparison_table(pkg, outcome, **kwargs)
    return _TABLES[key].copy()


@pytest.fixture(autouse=True)
def _package_loaded_once(monkeypatch):
    monkeypatch.setattr(jakmeta.evidence.package, "load_package", lambda directory=None: PKG)
    monkeypatch.setattr(analysis, "comparison_table", _cached_comparison_table)


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _trial_estimate(row: dict, measure: str) -> float | None:
    """The trial's estimate on the reporting scale from its printed arm data (None: not recomputed)."""
    if "/" in row["JAK inhibitor"]:
        a, n1 = map(float, row["JAK inhibitor"].split("/"))
        c, n2 = map(float, row["Placebo"].split("/"))
        b, d = n1 - a, n2 - c
        if min(a, b, c, d) == 0:
            a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        n1, n2 = a + b, c + d
        if measure == "OR":
            return (a * d) / (b * c)
        if measure == "RR":
            return (a / n1) / (c / n2)
        if measure == "RD":
            return a / n1 - c / n2
        if measure == "PETO":
            n, events = n1 + n2, a + c
            variance = events * (b + d) * n1 * n2 / (n**2 * (n - 1))
            return math.exp((a - events * n1 / n) / variance)
        return None
    if measure == "MD":
        mean_t = float(re.match(NUMBER, row["JAK inhibitor"]).group())
        mean_c = float(re.match(NUMBER, row["Placebo"]).group())
        return mean_t - mean_c
    return None


def _trial_rows(out: str) -> list[dict]:
    lines = [line for line in out.splitlines() if line.startswith("|")]
    if not lines:
        return []
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
            for line in lines[2:]]


def _check_printed_result(out: str, measure: str) -> None:
    assert not re.search(r"\bnan\b|\binf\b|∞|<NA>", out, re.IGNORECASE), out
    if "nothing to pool" in out:
        assert "No trial in this set reports the outcome" in out
        return
    match = POOLED.search(out)
    assert match, out
    assert match["name"] == cli.MEASURE_WORDS.get(measure, measure), out
    est, lo, hi = (float(match[k]) for k in ("est", "lo", "hi"))
    assert all(math.isfinite(x) for x in (est, lo, hi)), out
    assert lo <= est <= hi, out
    if measure in RATIO:
        assert lo > 0, out
    rows = _trial_rows(out)
    assert rows, out
    column = cli.MEASURE_WORDS.get(measure, measure)
    printed = [float(r[column]) for r in rows]
    for row, value in zip(rows, printed, strict=True):
        expected = _trial_estimate(row, measure)
        if expected is not None:  # 3 significant figures; MD from means printed with 1 decimal
            tolerance = 0.11 if measure == "MD" else 5e-3 * abs(expected) + 1e-12
            assert abs(value - expected) <= tolerance, (row, expected, out)
        limits = [float(x) for x in row["95% CI"].split(" to ")]
        assert limits[0] <= value <= limits[1], (row, out)
    slack = 5e-3 * max(abs(x) for x in printed) + 1e-12
    assert min(printed) - slack <= est <= max(printed) + slack, out


@pytest.mark.parametrize("outcome, trials, multiarm, measure, method, ci", SAMPLE,
                         ids=["-".join(case) for case in SAMPLE])
def test_analyse_refuses_or_prints_finite_numbers_on_the_reporting_scale(capsys, outcome, trials, multiarm,
                                                                          measure, method, ci):
    argv = ["analyse", outcome, "--trials", trials, "--multiarm", multiarm, "--measure", measure,
            "--method", method, "--ci", ci]
    code, out, err = _run(capsys, argv)
    fits = measure in (cli.BINARY_MEASURES if is_binary_outcome(outcome) else cli.CONTINUOUS_MEASURES)
    if not fits:
        assert code == 2 and out == "", (argv, out)
        assert f"measure {measure} does not fit outcome '{outcome}'" in err and "valid:" in err
        return
    if code != 0:  # a refusal: a message, nothing on stdout
        assert out == "" and err.startswith("error: ") and len(err) > 20, (argv, err)
        return
    assert err == "", (argv, err)
    _check_printed_result(out, measure)


def test_the_sample_covers_every_accepted_value():
    """Every outcome, trial set, rule, measure, method and CI is run; every method × CI pair; every
    outcome with every measure that fits it, and with every one that does not."""
    for position, values in enumerate((OUTCOMES, TRIAL_SETS, MULTIARM_RULES, MEASURES, METHODS, CI_METHODS)):
        assert {case[position] for case in SAMPLE} == set(values)
    assert {case[4:] for case in SAMPLE} == set(PAIRS)
    assert {case[:4:3] for case in SAMPLE} == set(itertools.product(OUTCOMES, MEASURES))
    assert {case[:3] for case in SAMPLE} == set(itertools.product(OUTCOMES, TRIAL_SETS, MULTIARM_RULES))
    assert {"ae_acne", "salt20", "salt_cfb"} <= set(OUTCOMES)


# ------------------------------------------------------------------- the cases issue 19 reported

def test_peto_is_printed_as_a_ratio(capsys):
    code, out, err = _run(capsys, ["analyse", "salt20", "--trials", "all", "--measure", "PETO"])
    assert code == 0, err
    a = analysis.analyse(PKG, "salt20", studies="all", measure="PETO")
    assert f"Pooled Peto OR {cli.significant(math.exp(a.result.estimate))} " in out
    assert math.exp(a.result.estimate) > 3  # about 4.7, not the log Peto OR 1.54


def test_a_measure_that_does_not_fit_is_refused_whatever_the_trial_set(capsys):
    for trials in TRIAL_SETS:
        code, out, err = _run(capsys, ["analyse", "salt_cfb", "--trials", trials, "--measure", "OR"])
        assert code == 2 and out == ""
        assert "measure OR does not fit outcome 'salt_cfb'" in err and "valid: MD, SMD" in err
    code, _, err = _run(capsys, ["analyse", "salt20", "--measure", "SMD"])
    assert code == 2 and "valid: OR, RR, RD, PETO" in err


@pytest.mark.parametrize("name", ["x.txt", "forest", "forest.jpeg"])
def test_an_unknown_plot_type_is_refused_with_the_valid_ones(capsys, tmp_path, name):
    code, out, err = _run(capsys, ["analyse", "salt20", "--plot", str(tmp_path / name)])
    assert code == 2 and out == "" and "Traceback" not in err
    assert "valid file types: .png, .svg, .pdf" in err
    assert not (tmp_path / name).exists()


def test_a_plot_into_a_missing_folder_is_refused(capsys, tmp_path):
    code, _, err = _run(capsys, ["analyse", "salt20", "--plot", str(tmp_path / "no" / "f.svg")])
    assert code == 2 and "does not exist" in err


def test_every_outcome_with_placebo_and_active_arms_is_accepted(capsys, tmp_path):
    code, out, err = _run(capsys, ["analyse", "ae_acne", "--trials", "all", "--plot", str(tmp_path / "f.svg")])
    assert code == 0, err
    assert out.startswith("Acne: RR") and "Pooled RR" in out and (tmp_path / "f.svg").stat().st_size > 1000
    rows = PKG.outcomes[PKG.outcomes["status"] != "not_available"].merge(PKG.arms, on=["study_id", "arm_id"])
    for outcome, group in rows.groupby("outcome"):
        both = {"placebo", "active"} <= set(group["role"])
        assert (outcome in OUTCOMES) == (both or outcome in labels.OUTCOME_LABELS), outcome
    code, _, err = _run(capsys, ["analyse", "ae_no_such_event"])
    assert code == 2 and "unknown outcome 'ae_no_such_event'; valid:" in err and "ae_acne" in err


def test_summary_and_reproduce_print_three_significant_figures(capsys, monkeypatch):
    from jakmeta.review import reproduction, sof

    frame, table = sof.summary_table(), reproduction.reproduction_table()
    monkeypatch.setattr(sof, "summary_table", lambda data=None: frame)  # built once, printed thrice
    monkeypatch.setattr(reproduction, "reproduction_table", lambda data=None: table)
    code, out, err = _run(capsys, ["summary"])
    assert code == 0, err
    for value in frame["ci_low"].dropna():
        text = cli.significant(float(value)) if not float(value).is_integer() else str(int(value))
        assert f" {text} " in out
    small = frame.loc[frame["ci_low"] < 0.1, "ci_low"]
    if len(small):  # e.g. 0.049: three significant figures, not three decimals
        assert f" {cli.significant(float(small.iloc[0]))} " in out and len(cli.significant(float(small.iloc[0]))) >= 5
    code, csv, _ = _run(capsys, ["summary", "--format", "csv"])
    assert repr(float(frame["estimate"].dropna().iloc[0])) in csv  # CSV keeps full precision
    code, out, err = _run(capsys, ["reproduce"])
    assert code == 0, err
    published = table["published"].dropna()
    assert all(f" {str(v) if not float(v).is_integer() else int(v)} " in out for v in published)


@pytest.mark.parametrize("value, text", [(0.049, "0.0490"), (9.4123, "9.41"), (17.213, "17.2"), (140.993, "141"),
                                         (1251.7, "1250"), (-22.707, "-22.7"), (0.000123456, "0.000123"),
                                         (9.996, "10.0"), (0.0, "0"), (2.0, "2.00")])
def test_significant(value, text):
    assert cli.significant(value) == text


@pytest.mark.parametrize("p, text", [(0.0, "< 0.001"), (0.0004, "< 0.001"), (0.004, "0.004"), (0.0449, "0.04"),
                                     (0.0951, "0.10"), (0.5, "0.50"), (float("nan"), "not estimable")])
def test_p_values_are_never_printed_as_zero(p, text):
    from jakmeta.review import wording

    assert wording.p_value(p) == text
    assert wording.p_text(p) == (f"p {text}" if text[0] in "<n" else f"p = {text}")
    assert cli.format_p(p) == (text if math.isfinite(p) else "—")


def test_analyse_prints_a_small_q_p_value_as_below_0001(capsys):
    code, out, err = _run(capsys, ["analyse", "salt20", "--trials", "all", "--measure", "RD"])
    a = analysis.analyse(PKG, "salt20", studies="all", measure="RD")
    assert code == 0, err
    if a.result.q_pvalue < 0.001:
        assert "(p < 0.001)" in out and "p = 0.00)" not in out
