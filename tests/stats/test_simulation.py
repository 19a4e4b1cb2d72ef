"""jakmeta.stats.simulation: simulated meta-analyses and the coverage of their intervals."""

from __future__ import annotations

import numpy as np
import pytest

from jakmeta.stats import simulation


def test_vectorised_bayes_matches_the_engine():
    from jakmeta.stats.bayes import pool_bayes

    yi, vi = simulation.simulate_meta_analyses(3, 0.2, 5, seed=7)
    low, high = simulation.bayes_intervals(yi, vi)
    for i in range(5):
        b = pool_bayes(yi[i], vi[i], tau_prior="half-normal", tau_scale=0.5)
        assert low[i] == pytest.approx(b.ci_low, abs=0.01) and high[i] == pytest.approx(b.ci_high, abs=0.01)


def test_few_studies_simulation_is_reproducible():
    first = simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200)
    assert first.equals(simulation.few_studies(ks=(2, 5), tau2_values=(0.3,), n_sims=200))
    wide = first.pivot(index="k", columns="interval", values="width_ratio")
    assert wide.loc[2, "REML, HKSJ"] > wide.loc[5, "REML, HKSJ"]
    assert np.all((first["coverage"] >= 0) & (first["coverage"] <= 1))


def test_coverage_simulation_is_reproducible_and_sensible():
    first = simulation.coverage(7, [0.0, 0.5], n_sims=400, seed=1)
    second = simulation.coverage(7, [0.0, 0.5], n_sims=400, seed=1)
    assert first.equals(second)
    table = first.pivot(index="tau2", columns="interval", values="coverage")
    assert 0.9 <= table.loc[0.5, "hksj"] <= 0.99
    assert table.loc[0.5, "hksj-adhoc"] >= table.loc[0.5, "hksj"]
    with pytest.raises(ValueError, match="tau2"):
        simulation.simulate_meta_analyses(7, -1.0, 10)


def test_simulated_data_follow_the_random_effects_model():
    """vi ~ U(vi_range); y = mu + tau·z1 + √vi·z2: with tau2 = 0 and 20 000 trials the standardised
    residuals (y − mu)/√vi have mean 0 and variance 1 (to Monte Carlo error); with tau2 > 0, more."""
    yi, vi = simulation.simulate_meta_analyses(4, 0.0, 5000, mu=0.3, vi_range=(0.1, 0.2), seed=3)
    assert yi.shape == vi.shape == (5000, 4)
    assert vi.min() >= 0.1 and vi.max() <= 0.2
    z = (yi - 0.3) / np.sqrt(vi)
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.var() - 1) < 0.05
    yi, vi = simulation.simulate_meta_analyses(4, 1.0, 5000, mu=0.3, vi_range=(0.1, 0.2), seed=3)
    assert np.var(yi - 0.3) == pytest.approx(1.0 + vi.mean(), rel=0.05)


def test_the_seed_fixes_the_data_and_bad_sizes_are_refused():
    a = simulation.simulate_meta_analyses(3, 0.2, 4, seed=11)
    b = simulation.simulate_meta_analyses(3, 0.2, 4, seed=11)
    c = simulation.simulate_meta_analyses(3, 0.2, 4, seed=12)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match=r"k and n_sims must be >= 1, got k=0, n_sims=5"):
        simulation.simulate_meta_analyses(0, 0.1, 5)


def test_coverage_table_has_one_row_per_tau2_and_interval_with_its_mc_error():
    table = simulation.coverage(3, [0.0, 0.2], n_sims=100, seed=5)
    assert list(table.columns) == ["tau2", "interval", "coverage", "mean_width", "mc_se"]
    assert len(table) == 6 and set(table["interval"]) == {"z", "hksj", "hksj-adhoc"}
    row = table.iloc[0]
    assert row["mc_se"] == pytest.approx(np.sqrt(row["coverage"] * (1 - row["coverage"]) / 100))
    wald, adhoc = (table[(table["tau2"] == 0.2) & (table["interval"] == i)].iloc[0] for i in ("z", "hksj-adhoc"))
    assert adhoc["mean_width"] > wald["mean_width"]  # the modified HKSJ is never narrower than Wald


def test_bayes_intervals_are_ordered_and_narrow_with_more_precise_data():
    yi, vi = simulation.simulate_meta_analyses(5, 0.0, 3, seed=2)
    low, high = simulation.bayes_intervals(yi, vi)
    assert low.shape == high.shape == (3,) and np.all(low < high)
    low2, high2 = simulation.bayes_intervals(yi, vi / 100)
    assert np.all(high2 - low2 < high - low)
