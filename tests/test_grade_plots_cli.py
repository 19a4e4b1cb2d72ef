"""GRADE rules, plots (deterministic, labelled) and the coverage simulation (the command line: test_cli.py)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from jakmeta.book import plots  # noqa: E402
from jakmeta.evidence.package import load_package  # noqa: E402
from jakmeta.review import grade, sof  # noqa: E402
from jakmeta.stats import simulation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PKG = load_package()


# ---------------------------------------------------------------------------------- GRADE

def test_certainty_counts_down_and_floors_at_very_low():
    serious = grade.DomainRating("imprecision", "serious", "", True)
    very = grade.DomainRating("risk_of_bias", "very serious", "", False)
    assert grade.certainty([]) == "high"
    assert grade.certainty([serious]) == "moderate"
    assert grade.certainty([serious, very]) == "very low"
    assert grade.certainty([very, very]) == "very low"


def test_optimal_information_size_against_the_formula():
    # p0 = 0.2, p1 = 0.25: (1.95996 + 0.84162)^2 (0.16 + 0.1875) / 0.05^2 = 1091.0 per group.
    assert 2180 <= grade.optimal_information_size(0.2, 0.25) <= 2184
    assert grade.optimal_information_size(0.05) > grade.optimal_information_size(0.2)
    with pytest.raises(ValueError, match="control_risk"):
        grade.optimal_information_size(0.0)


def test_imprecision_rules():
    wide = grade.imprecision_domain(2, 1200, 1000, (-80, 400), 50, "per 1000")
    assert wide.judgement == "very serious"
    crosses_null = grade.imprecision_domain(3, 3000, 1000, (-10, 200), 50, "per 1000")
    assert crosses_null.judgement == "serious"
    precise = grade.imprecision_domain(4, 3000, 1000, (120, 300), 50, "per 1000")
    assert precise.judgement == "not serious"
    small = grade.imprecision_domain(1, 100, 1000, (120, 300), 50, "per 1000")
    assert small.judgement == "serious"  # GRADE: OIS not met with a CI clear of the threshold is one level


def test_inconsistency_rules():
    assert grade.inconsistency_domain(1, float("nan"), (0.1, 1), (np.nan, np.nan)).judgement == "not serious"
    assert grade.inconsistency_domain(5, 80, (0.1, 1), (-1, 2)).judgement == "serious"
    assert grade.inconsistency_domain(5, 55, (0.1, 1), (-0.5, 1.5)).judgement == "serious"
    assert grade.inconsistency_domain(5, 20, (0.1, 1), (0.05, 1.2)).judgement == "not serious"


def test_risk_of_bias_rule_weights_the_judgements():
    assert grade.risk_of_bias_domain({"a": 60, "b": 40}, {"a": "high", "b": "low"}).judgement == "serious"
    assert grade.risk_of_bias_domain({"a": 30, "b": 70}, {"a": "high", "b": "low"}).judgement == "not serious"
    assert grade.risk_of_bias_domain({"a": 100}, {}).judgement == "serious"  # not assessed


def test_absolute_risk_from_relative_effect():
    assert grade.risk_with_intervention(0.1, 1.0, "OR") == pytest.approx(0.1)
    assert grade.risk_with_intervention(0.1, 9.0, "OR") == pytest.approx(0.5)
    assert grade.risk_with_intervention(0.4, 3.0, "RR") == 1.0
    with pytest.raises(ValueError):
        grade.risk_with_intervention(0.1, 2.0, "MD")


@pytest.mark.parametrize("level,words", [("high", "result in"), ("moderate", "likely result in"),
                                         ("low", "may result in"), ("very low", "very uncertain")])
def test_plain_language_uses_grade_wording(level, words):
    assert words in grade.plain_language("hair regrowth", level, "increase")


def test_little_to_no_difference_wording():
    assert "little to no difference in" in grade.plain_language("x", "high", "little to no difference")


# ---------------------------------------------------------------------------------- plots

def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def test_forest_plot_is_deterministic_and_labelled():
    a = sof.primary(PKG, "salt20", studies="all")
    fig = plots.forest_plot(a.table, a.result, a.measure, title="SALT ≤ 20")
    ax = fig.axes[0]
    assert "Odds ratio" in ax.get_xlabel() and ax.get_xscale() == "log"
    texts = " ".join(t.get_text() for t in ax.texts)
    for trial in a.table["trial"]:
        assert trial in texts
    assert "Pooled" in texts and "Favours JAK inhibitor" in texts
    first = hashlib.sha256(_png(fig)).hexdigest()
    again = plots.forest_plot(a.table, a.result, a.measure, title="SALT ≤ 20")
    assert hashlib.sha256(_png(again)).hexdigest() == first


def test_forest_plot_of_a_single_trial_draws_no_pool():
    first = sof.primary(PKG, "salt50").table["study_id"].iloc[0]
    a = sof.primary(PKG, "salt50", studies=[first])  # one trial (the update added SALT50 trials)
    assert a.k == 1
    fig = plots.forest_plot(a.table, a.result, a.measure)
    assert "Pooled" not in " ".join(t.get_text() for t in fig.axes[0].texts)
    plt.close(fig)


def test_other_plots_render():
    a = sof.primary(PKG, "salt20", studies="all")
    for fig in (plots.funnel_plot(a.table["yi"], a.table["vi"], a.result.estimate, "OR"),
                plots.traffic_light_plot(PKG.risk_of_bias),
                plots.completeness_plot(report_matrix())):
        assert len(_png(fig)) > 1000


def report_matrix():
    from jakmeta.book import tables

    return tables.completeness_matrix(PKG)


# ---------------------------------------------------------------------------------- simulation

def test_coverage_simulation_is_reproducible_and_sensible():
    first = simulation.coverage(7, [0.0, 0.5], n_sims=400, seed=1)
    second = simulation.coverage(7, [0.0, 0.5], n_sims=400, seed=1)
    assert first.equals(second)
    table = first.pivot(index="tau2", columns="interval", values="coverage")
    assert 0.9 <= table.loc[0.5, "hksj"] <= 0.99
    assert table.loc[0.5, "hksj-adhoc"] >= table.loc[0.5, "hksj"]
    with pytest.raises(ValueError, match="tau2"):
        simulation.simulate_meta_analyses(7, -1.0, 10)

# The command line is tested in tests/test_cli.py.
