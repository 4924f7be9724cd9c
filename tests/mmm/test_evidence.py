"""Budget advice gated by evidence (issue 14.1): the band, held channels, the test designs."""

import itertools

import numpy as np
import pandas as pd
import pytest

from cmokit.mmm.budget import optimize_budget
from cmokit.mmm.evidence import detectable_roi, evidence_levels, straddles, test_design

TOTAL = 60_000.0
HORIZON = 4


def test_gate_flags_exactly_the_intervals_straddling_break_even_brute_force():
    # every ordered pair of interval ends on a grid around break-even, identified or not, calibrated or not
    grid = [0.0, 0.5, 0.999, 1.0, 1.001, 1.5, 3.0]
    rows = [(lo, hi, ident, cal) for lo, hi in itertools.product(grid, repeat=2) if lo <= hi
            for ident in (True, False) for cal in (True, False)]
    roi = pd.DataFrame({"channel": [f"c{i}" for i in range(len(rows))],
                        "roi": [(lo + hi) / 2 for lo, hi, _, _ in rows],
                        "roi_lower": [r[0] for r in rows], "roi_upper": [r[1] for r in rows],
                        "identified": [r[2] for r in rows], "calibrated": [r[3] for r in rows]})
    got = evidence_levels(roi, break_even=1.0)["evidence"].tolist()
    for (lo, hi, ident, cal), level in zip(rows, got):
        straddle = lo < 1.0 < hi
        if straddle or not (ident or cal):
            assert level == "held", (lo, hi, ident, cal)
        else:
            assert level == ("calibrated" if cal else "identified"), (lo, hi, ident, cal)
    assert straddles([0.0], [6.55]).tolist() == [True]  # the demo's paid search before calibration


@pytest.mark.parametrize("break_even", [0.3, 0.5, 1.0, 2.5, 4.0])
def test_optimiser_never_moves_a_held_channel_and_never_leaves_the_band(simulated_model, break_even):
    plan = optimize_budget(simulated_model, TOTAL, HORIZON, break_even=break_even)
    a = plan.allocation.set_index("channel")
    roi = simulated_model.roi().set_index("channel")
    expected_held = {ch for ch in roi.index
                     if roi.loc[ch, "roi_lower"] < break_even < roi.loc[ch, "roi_upper"] or not roi.loc[ch, "identified"]}
    assert set(a.index[a["evidence"] == "held"]) == expected_held
    assert set(plan.tests["channel"]) == expected_held
    for ch in a.index:
        cur, budget = a.loc[ch, "current_budget"], a.loc[ch, "budget"]
        assert 0.7 * cur - 1e-6 <= budget <= 1.3 * cur + 1e-6, ch
        assert (a.loc[ch, "lower_bound"], a.loc[ch, "upper_bound"]) == pytest.approx((0.7 * cur, 1.3 * cur)) \
            or ch in expected_held
        if ch in expected_held:
            assert budget == cur and a.loc[ch, "bound"] == "held"
    assert a["budget"].sum() == pytest.approx(TOTAL)


def test_some_break_even_holds_a_channel_on_the_simulation(simulated_model):
    # the parametrised test above must see held and free channels, or it checks nothing
    held = [len(optimize_budget(simulated_model, TOTAL, HORIZON, break_even=b).tests) for b in (0.3, 0.5, 1.0, 2.5, 4.0)]
    assert max(held) >= 1 and min(held) < len(simulated_model.channels_)


def test_user_bounds_override_the_band_but_not_the_gate(simulated_model):
    roi = simulated_model.roi().set_index("channel")
    be = float(roi.loc["display", ["roi_lower", "roi_upper"]].mean())  # display straddles this break-even
    bounds = {"paid_search": (0, TOTAL), "display": (0, TOTAL)}
    plan = optimize_budget(simulated_model, TOTAL, HORIZON, bounds=bounds, break_even=be)
    a = plan.allocation.set_index("channel")
    assert a.loc["paid_search", "bound"] == "user" and a.loc["paid_search", "upper_bound"] == TOTAL
    assert a.loc["display", "bound"] == "held" and a.loc["display", "budget"] == a.loc["display", "current_budget"]
    assert a.loc["paid_social", "bound"] == "band ±30%"


def test_detectable_roi_matches_the_normal_power_formula():
    # (z_0.95 + z_0.80) * sigma / (delta * sqrt(W)) = (1.6449 + 0.8416) * 1000 / (500 * 2)
    assert detectable_roi(1000.0, 500.0, 4, interval=0.9) == pytest.approx(2.4865, abs=1e-4)
    # statsmodels' power for a one-sample z-test agrees: at this effect size power is 0.8
    from statsmodels.stats.power import NormalIndPower

    effect = 2.4865 * 500 * 2 / 1000  # standardised: detectable revenue / its standard error
    power = NormalIndPower().power(effect_size=effect, nobs1=1, alpha=0.1, ratio=0)
    assert power == pytest.approx(0.8, abs=1e-3)


def test_test_design_halves_the_interval_or_says_it_cannot(simulated_model):
    roi = simulated_model.roi()
    designs = test_design(roi, simulated_model.spend_history_, simulated_model.residual_sd_, break_even=2.5)
    assert len(designs) >= 1
    for _, d in designs.iterrows():
        half_width = (d["roi_upper"] - d["roi_lower"]) / 2
        assert 4 <= d["periods"] <= 26
        assert d["detectable_roi"] <= half_width + 1e-9 or d["periods"] == 26
        assert d["channel"] in d["design"]
        j = list(roi["channel"]).index(d["channel"])
        spend = simulated_model.spend_history_[:, j]
        assert abs(d["spend_change_per_period"]) == pytest.approx(0.5 * spend.mean())
        # the reported detectable ROI is the formula's at the chosen length
        assert d["detectable_roi"] == pytest.approx(
            detectable_roi(simulated_model.residual_sd_, 0.5 * spend.mean(), d["periods"], simulated_model.interval))


@pytest.fixture(scope="module")
def demo_panel(warehouse, truth):
    from cmokit.mmm import media_panel

    # the notebook's defaults (70_media_mix): first-order revenue over the sample's weeks
    return media_panel(warehouse, truth["start"], truth["end"], kpi="first_order_revenue")


def _demo_plan(panel, **settings):
    from cmokit.mmm import MediaMixModel

    model = MediaMixModel(n_bootstrap=200, random_state=0, **settings).fit(panel)  # notebook: 200 replicates, seed 0
    return model, optimize_budget(model, 30_000.0, 13, random_state=0)


def _never_cut_to_zero_on_a_profitable_interval(model, plan):
    a = plan.allocation.set_index("channel")
    roi = model.roi().set_index("channel")
    for ch in a.index:
        if roi.loc[ch, "roi_upper"] > 1.0:
            assert a.loc[ch, "budget"] > 0, ch


def test_demo_sample_without_lift_test_holds_paid_search(demo_panel):
    # before issue 14 the demo cut paid search to zero on ROI 0.00 [0.00, 6.55]; the gate holds it
    model, plan = _demo_plan(demo_panel, calibration=[])
    a = plan.allocation.set_index("channel")
    assert a.loc["paid_search", "evidence"] == "held"
    assert a.loc["paid_search", "budget"] >= a.loc["paid_search", "current_budget"] - 1e-6
    assert "paid_search" in set(plan.tests["channel"])
    _never_cut_to_zero_on_a_profitable_interval(model, plan)
    assert np.isfinite(plan.tests["detectable_roi"]).all()


def test_demo_sample_lift_test_calibrates_paid_search_and_ranks_it_first(demo_panel, truth):
    # the warehouse's lift_tests table reaches the model through the panel, without code
    assert [t.channel for t in demo_panel.attrs["lift_tests"]] == ["paid_search"]
    model, plan = _demo_plan(demo_panel)
    roi = model.roi().set_index("channel")
    assert roi.loc["paid_search", "calibrated"] and roi["calibrated"].sum() == 1
    assert roi["roi"].idxmax() == "paid_search"
    planted = truth["media"]["paid_search"]["incremental_roi"]  # 2.6
    assert roi.loc["paid_search", "roi_lower"] <= planted <= roi.loc["paid_search", "roi_upper"]
    a = plan.allocation.set_index("channel")
    assert a.loc["paid_search", "evidence"] == "calibrated"
    assert a.loc["paid_search", "budget"] >= a.loc["paid_search", "current_budget"] - 1e-6
    _never_cut_to_zero_on_a_profitable_interval(model, plan)
