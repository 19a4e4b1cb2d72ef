"""Subtotal diamonds per drug in the forest plots of pools that mix drugs (issue 18): computed by
the row's own headline model, so that a drug's subtotal equals that drug's own Summary of Findings
row where the row rests on the same comparisons."""

from __future__ import annotations

import math

import matplotlib
import pandas as pd
import pytest

from jakmeta.book import plots
from jakmeta.evidence.package import load_package
from jakmeta.review import fewstudies, protocol, sof

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def pkg():
    return load_package()


def _same_comparisons(x: pd.DataFrame, y: pd.DataFrame) -> bool:
    cols = [c for c in ("study_id", "events_t", "n_t", "events_c", "n_c", "mean_t", "sd_t", "mean_c", "sd_c")
            if c in x and c in y]
    return (len(x) == len(y) and x[cols].reset_index(drop=True).astype(str)
            .equals(y[cols].reset_index(drop=True).astype(str)))


def test_a_drug_subtotal_equals_the_drugs_own_row(pkg):
    checked = []
    for e in protocol.entries(pkg, role="primary"):
        if e.level != "class":
            continue
        a = protocol.run(pkg, e)
        for drug, sub in fewstudies.subgroup_headlines(a).items():
            own = [d for d in protocol.entries(pkg, role="primary")
                   if d.level == "drug" and d.outcome == e.outcome and d.drug == drug]
            for d in own:
                b = protocol.run(pkg, d)
                if not _same_comparisons(fewstudies.comparisons_where(a, "drug", drug).table, b.table):
                    continue  # e.g. the licensed dose only, where the class row combines every dose
                row = sof.summary_row(pkg, d)
                tr = math.exp if a.measure in ("OR", "RR") else (lambda v: v)
                assert tr(sub.estimate) == pytest.approx(row["estimate"], rel=1e-9)
                assert tr(sub.ci_low) == pytest.approx(row["ci_low"], rel=1e-9)
                assert tr(sub.ci_high) == pytest.approx(row["ci_high"], rel=1e-9)
                assert sub.model == row["model"]
                checked.append((e.row_id, d.row_id))
    assert ("ae_serious", "ae_serious_baricitinib") in checked


def test_subtotals_use_the_row_model(pkg):
    salt20 = protocol.run(pkg, "salt20")
    subs = fewstudies.subgroup_headlines(salt20)
    assert set(subs) >= {"baricitinib"}
    assert all(h.model.startswith("Bayesian") for h in subs.values())
    assert all((salt20.table["drug"] == g).sum() >= 2 for g in subs)  # one-trial groups get no subtotal
    serious = fewstudies.subgroup_headlines(protocol.run(pkg, "ae_serious"))
    assert all(h.model.startswith("Common effect, Mantel-Haenszel") for h in serious.values())


def test_a_pool_of_one_drug_has_no_subtotals(pkg):
    a = protocol.run(pkg, "salt20_baricitinib_4mg")
    assert fewstudies.subgroup_headlines(a) == {}


def test_the_forest_plot_shows_the_subtotals(pkg):
    a = protocol.run(pkg, "salt20")
    fig = plots.headline_forest_plot(a, title="SALT ≤ 20", rob=pkg.risk_of_bias)
    subs = fewstudies.subgroup_headlines(a)
    assert "Subtotals: " in fig.alt_text
    for drug, h in subs.items():
        assert f"{drug}: {math.exp(h.estimate):.2f}" in fig.alt_text
    texts = [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts]
    assert sum(t.startswith("Subtotal (") for t in texts) == len(subs)
    matplotlib.pyplot.close(fig)


def test_a_common_effect_headline_says_why_it_has_no_prediction_interval(pkg):
    a = protocol.run(pkg, "ae_serious")
    assert a.k >= 3
    fig = plots.headline_forest_plot(a, title="Serious adverse events")
    texts = [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts]
    assert "not estimated (common-effect model)" in texts and "not estimated (k < 3)" not in texts
    matplotlib.pyplot.close(fig)
