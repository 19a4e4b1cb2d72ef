"""jakmeta.review.harms: harms per licensed dose, pooled over placebo-controlled windows only."""

from __future__ import annotations

import pandas as pd
import pytest

from jakmeta.evidence.package import load_package
from jakmeta.review import harms
from tests import ROOT


@pytest.fixture(scope="module")
def pkg():
    return load_package(ROOT / "data")


def test_harms_pool_a_specific_ae_for_deuruxolitinib_with_mantel_haenszel(pkg):
    t = harms.harms_table(pkg, "primary")
    acne = t[(t["drug"] == "deuruxolitinib") & (t["outcome"] == "ae_acne")].iloc[0]
    assert acne["k"] == 2 and acne["Estimate"] == "pooled (Mantel-Haenszel)"
    # MH RR by hand (Greenland & Robins): sum(a n2 / N) / sum(c n1 / N) over THRIVE-AA1 and AA2, 8 mg
    comp = harms.harm_comparisons(pkg, "ae_acne", "deuruxolitinib", "8 mg BID")
    n = comp["n_t"] + comp["n_c"]
    rr = (comp["events_t"] * comp["n_c"] / n).sum() / (comp["events_c"] * comp["n_t"] / n).sum()
    assert acne["RR"] == pytest.approx(rr)
    assert set(harms.pooled_specific_aes(t)["drug"]) >= {"deuruxolitinib"}


def test_harms_primary_uses_only_placebo_controlled_windows(pkg):
    t = harms.harms_table(pkg, "primary")
    for text in t["AE window per trial"]:
        assert "past the placebo-controlled period" not in text and "unknown" not in text
    sens = harms.harms_table(pkg, "sensitivity")
    assert set(harms.pooled_specific_aes(sens)["drug"]) >= {"baricitinib", "deuruxolitinib"}


def test_harms_window_must_be_known():
    with pytest.raises(ValueError, match="unknown window"):
        harms.harm_comparisons(None, "ae_acne", "x", "y", window="later")


def _table(events_t, n_t, events_c, n_c):
    return pd.DataFrame({"events_t": events_t, "n_t": n_t, "events_c": events_c, "n_c": n_c})


def test_pooled_rr_is_the_mantel_haenszel_rr_without_correction():
    """metafor 3.8.1: rma.mh(ai = c(3, 0, 5), n1i = c(100, 50, 80), ci = c(1, 0, 2), n2i = c(100, 50, 40),
    measure = "RR"): RR 1.72727272727 = (1.5 + 5·40/120) / (0.5 + 2·80/120), 95% CI 0.482599319365 to
    6.18208719876, I² 0 (the double-zero trial adds nothing)."""
    out = harms.pooled_rr(_table([3, 0, 5], [100, 50, 80], [1, 0, 2], [100, 50, 40]))
    assert out["estimable"] and out["k"] == 3
    assert out["rr"] == pytest.approx(1.72727272727, rel=1e-9)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((0.482599319365, 6.18208719876), rel=1e-8)
    assert out["i2"] == 0


def test_pooled_rr_without_events_says_why():
    out = harms.pooled_rr(_table([0, 0], [10, 20], [0, 0], [10, 20]))
    assert out == {"estimable": False, "k": 2, "reason": "no events in either arm"}


def test_licensed_doses_come_from_the_arms_table(pkg):
    doses = harms.licensed_doses(pkg)
    licensed = pkg.arms[pkg.arms["licensed"] == "yes"]
    assert doses and len(doses) == len(set(doses))
    assert set(doses) == set(zip(licensed["drug"], licensed["dose"].astype(str), strict=True))
    assert {drug for drug, _ in doses} >= {"baricitinib", "ritlecitinib", "deuruxolitinib"}


def test_dose_words_drop_the_note_in_brackets():
    assert harms._dose_words("ritlecitinib", "50 mg QD (approved dose)") == "ritlecitinib 50 mg QD"
    assert harms._dose_words("baricitinib", "4 mg QD") == "baricitinib 4 mg QD"
