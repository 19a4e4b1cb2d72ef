"""Forest plots laid out as a meta-analyst expects (RevMan / robvis): arm columns, weights, estimate
text, pooled diamond, prediction-interval row, heterogeneity under the diamond, risk-of-bias dots."""

from __future__ import annotations

import hashlib
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from jakmeta.book import plots
from jakmeta.evidence.package import load_package
from jakmeta.review import fewstudies, protocol, sof
from jakmeta.stats import pool
from tests import ROOT


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture
def binary():
    table = pd.DataFrame({
        "study_id": ["a", "b", "c", "d"], "trial": ["Alpha", "Beta", "Gamma", "Delta"],
        "events_t": [139, 103, 111, 193], "n_t": [465, 390, 488, 566],
        "events_c": [10, 4, 2, 1], "n_c": [189, 156, 130, 140],
    })
    a, b = table["events_t"] + 0.0, table["n_t"] - table["events_t"] + 0.0
    c, d = table["events_c"] + 0.0, table["n_c"] - table["events_c"] + 0.0
    table["yi"] = np.log(a * d / (b * c))
    table["vi"] = 1 / a + 1 / b + 1 / c + 1 / d
    return table, pool(table["yi"].to_numpy(), table["vi"].to_numpy(), method="REML", ci="hksj")


@pytest.fixture
def rob():
    rows = []
    for sid, judgement in (("a", "low"), ("b", "some_concerns"), ("c", "high")):
        for domain in plots.ROB_DOMAINS:
            rows.append({"study_id": sid, "outcome_scope": "all outcomes", "domain": domain,
                         "judgement": judgement})
    return pd.DataFrame(rows)


def test_binary_forest_plot_has_the_revman_columns(binary, rob):
    table, result = binary
    fig = plots.forest_plot(table, result, "OR", title="SALT ≤ 20", rob=rob)
    texts = _texts(fig)
    for expected in ("JAK inhibitor", "Placebo", "Events", "Total", "Weight", "OR [95% CI]", "Pooled",
                     "Prediction interval", "Heterogeneity", "τ²", "I²", "Q = ", "df = 3", "Test for overall effect",
                     "Risk of bias", "D1", "D5", "Favours JAK inhibitor", "Favours placebo", "SALT ≤ 20"):
        assert expected in texts, expected
    for trial, events, total in zip(table["trial"], table["events_t"], table["n_t"], strict=True):
        assert trial in texts and f"\n{events}\n" in f"\n{texts}\n" and f"\n{total}\n" in f"\n{texts}\n"
    # sums of the arms on the pooled row, weights as percent
    assert str(table["events_t"].sum()) in texts.splitlines() and str(table["n_c"].sum()) in texts.splitlines()
    assert f"{result.weights[0]:.1f}%" in texts and "100.0%" in texts
    # estimate and interval as text, on the ratio scale
    assert f"{np.exp(result.estimate):.2f} [{np.exp(result.ci_low):.2f}, {np.exp(result.ci_high):.2f}]" in texts
    assert f"[{np.exp(result.pi_low):.2f}, {np.exp(result.pi_high):.2f}]" in texts
    assert f"I² = {result.i2:.0f}%" in texts
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "Odds ratio" in ax.get_xlabel()
    plt.close(fig)


def test_risk_of_bias_symbols_follow_the_judgements(binary, rob):
    table, result = binary
    fig = plots.forest_plot(table, result, "OR", rob=rob)
    symbols = [t.get_text() for t in fig.axes[0].texts if t.get_text() in plots.JUDGEMENT_SYMBOLS.values()]
    n = len(plots.ROB_DOMAINS)
    assert symbols == ["+"] * n + ["−"] * n + ["×"] * n + ["?"] * n  # trial d has no judgements
    plt.close(fig)


def test_rob_judgements_prefer_an_outcome_specific_row(rob):
    specific = pd.DataFrame([{"study_id": "a", "outcome_scope": "salt20", "domain": "D4_measurement",
                              "judgement": "high"}])
    got = plots.rob_judgements(pd.concat([rob, specific]), ["a"], outcome="salt20")
    assert got["a"]["D4_measurement"] == "high" and got["a"]["D1_randomisation"] == "low"
    assert plots.rob_judgements(pd.concat([rob, specific]), ["a"])["a"]["D4_measurement"] == "low"
    assert plots.rob_judgements(None, ["x"]) == {"x": dict.fromkeys(plots.ROB_DOMAINS, "not_assessed")}


def test_continuous_forest_plot_shows_mean_sd_n():
    table = pd.DataFrame({"study_id": ["a", "b"], "trial": ["A", "B"], "mean_t": [-30.0, -40.0],
                          "sd_t": [20.0, 25.0], "n_t": [100, 200], "mean_c": [-5.0, -3.0],
                          "sd_c": [19.0, 22.0], "n_c": [50, 100]})
    table["yi"] = table["mean_t"] - table["mean_c"]
    table["vi"] = table["sd_t"] ** 2 / table["n_t"] + table["sd_c"] ** 2 / table["n_c"]
    result = pool(table["yi"].to_numpy(), table["vi"].to_numpy())
    fig = plots.forest_plot(table, result, "MD", higher_is_better=False)
    texts = _texts(fig)
    for expected in ("Mean", "SD", "N", "−30.0", "20.0", "MD [95% CI]", "−25.00", "Favours JAK inhibitor"):
        assert expected in texts, expected
    assert "not estimated (k < 3)" in texts  # the prediction interval row says why it is empty
    assert fig.axes[0].get_xscale() == "linear"
    plt.close(fig)


def test_single_trial_has_no_pooled_rows(binary):
    table, _ = binary
    fig = plots.forest_plot(table.iloc[:1], None, "OR")
    texts = _texts(fig)
    assert "Pooled" not in texts and "Heterogeneity" not in texts and "Alpha" in texts
    plt.close(fig)


def test_old_call_without_arm_columns_still_works(binary):
    table, result = binary
    fig = plots.forest_plot(table[["trial", "yi", "vi"]], result, "OR", title="x")
    texts = _texts(fig)
    assert "Events" not in texts and "Risk of bias" not in texts and "Pooled" in texts
    plt.close(fig)


def test_extreme_intervals_are_clipped_with_arrows(binary):
    table, result = binary
    table = table.copy()
    table.loc[0, "vi"] = 40.0  # CI spanning many orders of magnitude
    fig = plots.forest_plot(table, result, "OR")
    low, high = fig.axes[0].get_xlim()
    assert low >= 1e-3 / 1.3 - 1e-12 and high <= 1e3 * 1.3 + 1e-9
    markers = [line.get_marker() for line in fig.axes[0].lines]
    assert "<" in markers and ">" in markers
    plt.close(fig)


def test_alt_text_and_determinism(binary, rob):
    table, result = binary
    fig = plots.forest_plot(table, result, "OR", title="SALT ≤ 20", rob=rob)
    assert fig.alt_text.startswith("Forest plot: SALT ≤ 20.")
    assert "Alpha" in fig.alt_text and "Prediction interval" in fig.alt_text and "I²" in fig.alt_text
    first = hashlib.sha256(_png(fig)).hexdigest()
    again = plots.forest_plot(table, result, "OR", title="SALT ≤ 20", rob=rob)
    assert hashlib.sha256(_png(again)).hexdigest() == first


def test_forest_plot_from_the_data_package():
    from jakmeta.evidence.package import load_package
    from jakmeta.review.analysis import analyse

    pkg = load_package(ROOT / "data")
    a = analyse(pkg, "salt20", studies="all")
    if a.k < 1:
        pytest.skip("no SALT ≤ 20 data in the package")
    fig = plots.forest_plot(a.table, a.result, a.measure, rob=pkg.risk_of_bias, outcome="salt20")
    texts = _texts(fig)
    assert all(name in texts for name in a.table["trial"].map(lambda s: s.split()[0]))
    assert len(_png(fig)) > 10_000


@pytest.mark.parametrize("outcome, left, right", [
    ("salt20", "Favours placebo", "Favours JAK inhibitor"),
    (None, "Favours placebo", "Favours JAK inhibitor"),
    ("ae_serious", "Favours JAK inhibitor", "Favours placebo"),
    ("salt_cfb", "Favours JAK inhibitor", "Favours placebo"),
])
def test_favours_labels_follow_the_outcome(binary, outcome, left, right):
    table, result = binary
    fig = plots.forest_plot(table, result, "OR", outcome=outcome)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"← {left}" in texts and f"{right} →" in texts
    plt.close(fig)
    fig = plots.forest_plot(table, result, "OR", outcome="ae_any", higher_is_better=True)  # explicit wins
    assert "← Favours placebo" in [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)


def test_a_result_without_heterogeneity_statistics_still_draws(binary):
    """E.g. a Bayesian random-effects result: estimate, interval and weights, no Q or test statistic."""
    from types import SimpleNamespace

    table, result = binary
    bayes = SimpleNamespace(method="Bayes", ci="credible", estimate=result.estimate, ci_low=result.ci_low,
                            ci_high=result.ci_high, weights=result.weights, tau2=0.1, pi_low=float("nan"),
                            pi_high=float("nan"))
    fig = plots.forest_plot(table, bayes, "OR")
    texts = _texts(fig)
    assert "Pooled" in texts and "Heterogeneity" not in texts and "Test for overall effect" not in texts
    assert "Pooled:" in fig.alt_text
    plt.close(fig)


def test_unprintable_ratios_are_bounded_in_the_text():
    assert plots._fmt(np.log(2989293.21), "OR") == "> 9999"
    assert plots._fmt(np.log(0.001), "RR") == "< 0.01"
    assert plots._fmt(np.log(3.7312), "RR") == "3.73"
    assert plots._fmt(-1.5, "MD") == "−1.50"


PKG = load_package()


def test_forest_plot_diamond_is_the_headline():
    a = protocol.run(PKG, "salt20")
    h = fewstudies.headline(a)
    fig = plots.headline_forest_plot(a, title="SALT ≤ 20")
    assert f"{math.exp(h.estimate):.2f}" in fig.alt_text
    assert f"{math.exp(a.result.estimate):.2f}" not in fig.alt_text.split("Pooled")[1][:30]


@pytest.fixture(scope="module")
def pkg():
    return load_package()


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
