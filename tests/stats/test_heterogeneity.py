"""jakmeta.stats.heterogeneity: the Q-profile confidence interval of tau2 (Viechtbauer 2007)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from jakmeta.stats import tau2_confint
from tests.stats import BCG_VI, BCG_YI, HINE_VI, HINE_YI, K5_VI, K5_YI

# --------------------------------------------------------------------------------------------
# tau2 interval, leave-one-out, subgroups


def test_tau2_confint_bounds_solve_the_q_profile_equation():
    ci = tau2_confint(BCG_YI, BCG_VI, method="REML", level=0.95)

    def qgen(t):
        w = 1 / (BCG_VI + t)
        mu = np.sum(w * BCG_YI) / w.sum()
        return np.sum(w * (BCG_YI - mu) ** 2)

    assert qgen(ci.tau2_ci_low) == pytest.approx(stats.chi2.ppf(0.975, 12), rel=1e-9)
    assert qgen(ci.tau2_ci_high) == pytest.approx(stats.chi2.ppf(0.025, 12), rel=1e-9)
    assert ci.tau2_ci_low < ci.tau2 < ci.tau2_ci_high
    assert ci.i2_ci_low < ci.i2 < ci.i2_ci_high
    assert ci.to_dict()["method"] == "REML"


def test_tau2_confint_lower_bound_is_zero_without_heterogeneity():
    ci = tau2_confint(HINE_YI, HINE_VI, method="DL")
    assert ci.tau2_ci_low == 0.0 and ci.i2_ci_low == 0.0 and ci.h2_ci_low == 1.0
    assert ci.tau2_ci_high > 0


# --------------------------------------------------------------------------------------------
# against metafor's confint() on five studies (tests/reference/metafor_k5.R)

def test_q_profile_interval_equals_metafor_confint():
    """metafor's bounds with its default root tolerance (eps^0.25) are 0.0230449 and 2.060212, off by
    up to 1e-3 relative; with the script's TIGHT control they are the engine's."""
    ci = tau2_confint(K5_YI, K5_VI, method="REML")
    assert ci.k == 5 and ci.level == 0.95
    assert ci.tau2 == pytest.approx(0.194184822874, rel=1e-7)
    assert (ci.tau2_ci_low, ci.tau2_ci_high) == pytest.approx((0.0230174366278, 2.06022696043), rel=1e-8)
    assert (ci.tau_ci_low, ci.tau_ci_high) == pytest.approx((0.1517149848492, 1.43534907267), rel=1e-8)
    assert (ci.i2_ci_low, ci.i2_ci_high) == pytest.approx((24.5692020506788, 96.68370744705), rel=1e-7)
    assert (ci.h2_ci_low, ci.h2_ci_high) == pytest.approx((1.3257184428459, 30.15415510040), rel=1e-7)


def test_q_profile_bounds_do_not_depend_on_the_point_estimator():
    """The Q-profile interval inverts the generalised Q: only the point estimate changes with the
    estimator (metafor: DL 0.191833, the same bounds as REML)."""
    reml, dl = tau2_confint(K5_YI, K5_VI, method="REML"), tau2_confint(K5_YI, K5_VI, method="DL")
    assert dl.tau2 == pytest.approx(0.191833333333, rel=1e-9)
    assert (dl.tau2_ci_low, dl.tau2_ci_high) == pytest.approx((reml.tau2_ci_low, reml.tau2_ci_high), rel=1e-9)
    assert dl.tau2_ci_low < dl.tau2 < dl.tau2_ci_high


def test_a_narrower_level_gives_a_nested_interval_and_to_dict_is_plain():
    wide, narrow = tau2_confint(K5_YI, K5_VI, level=0.95), tau2_confint(K5_YI, K5_VI, level=0.80)
    assert wide.tau2_ci_low < narrow.tau2_ci_low < narrow.tau2_ci_high < wide.tau2_ci_high
    d = wide.to_dict()
    assert d["method"] == "REML" and d["tau2_ci_high"] == wide.tau2_ci_high and len(d) == 15


def test_one_study_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"needs k >= 2 studies; got k = 1"):
        tau2_confint([0.2], [0.04])
