"""Budget optimiser: bounds by name, never violated, and as good as a brute-force grid."""

import itertools

import numpy as np
import pandas as pd
import pytest

from cmokit.errors import ConfigError, ConvergenceError
from cmokit.mmm.budget import current_allocation, forward_plan, media_revenue, optimize_budget

TOTAL = 60_000.0
HORIZON = 4


def test_optimiser_matches_brute_force_grid_on_three_channels(simulated_model):
    # the optimiser itself, without the ±30 % band and the evidence gate
    plan = optimize_budget(simulated_model, TOTAL, HORIZON, band=None, gate=False)
    step = TOTAL / 60
    best = -np.inf
    for a, b in itertools.product(np.arange(0, TOTAL + 1, step), repeat=2):
        if a + b <= TOTAL:
            best = max(best, media_revenue(simulated_model, [a, b, TOTAL - a - b], HORIZON).sum())
    optimised = plan.totals.set_index("scenario").loc["optimised", "media_revenue"]
    assert optimised >= best - 1e-6 * best
    assert plan.allocation["budget"].sum() == pytest.approx(TOTAL)


def test_optimiser_beats_or_matches_current_allocation(simulated_model):
    plan = optimize_budget(simulated_model, TOTAL, HORIZON)
    totals = plan.totals.set_index("scenario")
    assert totals.loc["optimised", "media_revenue"] >= totals.loc["current", "media_revenue"]
    assert totals.loc["uplift", "media_revenue"] == pytest.approx(
        totals.loc["optimised", "media_revenue"] - totals.loc["current", "media_revenue"])
    assert totals.loc["uplift", "media_revenue_lower"] <= totals.loc["uplift", "media_revenue"] \
        <= totals.loc["uplift", "media_revenue_upper"]


@pytest.mark.parametrize("seed", range(6))
def test_bounds_are_never_violated(simulated_model, seed):
    rng = np.random.default_rng(seed)
    channels = list(simulated_model.channels_)
    lows = rng.uniform(0, TOTAL / 4, 3)
    highs = lows + rng.uniform(TOTAL / 4, TOTAL, 3)
    bounds = {ch: (lo, hi) for ch, lo, hi in zip(channels, lows, highs)}
    plan = optimize_budget(simulated_model, TOTAL, HORIZON, bounds=bounds)
    a = plan.allocation.set_index("channel")
    for ch, (lo, hi) in bounds.items():
        assert lo - 1e-6 <= a.loc[ch, "budget"] <= hi + 1e-6
    assert a["budget"].sum() == pytest.approx(TOTAL)


def test_bounds_follow_channel_names_not_order(simulated_model):
    channels = list(simulated_model.channels_)
    # force the channel the model likes most to a small cap, given in reversed order
    top = simulated_model.summary_.sort_values("marginal_roi").iloc[-1]["channel"]
    bounds = {ch: ((0, 5_000) if ch == top else (0, TOTAL)) for ch in reversed(channels)}
    forward = optimize_budget(simulated_model, TOTAL, HORIZON, bounds=dict(reversed(list(bounds.items()))))
    backward = optimize_budget(simulated_model, TOTAL, HORIZON, bounds=bounds)
    assert forward.allocation.set_index("channel").loc[top, "budget"] <= 5_000 + 1e-6
    pd.testing.assert_frame_equal(forward.allocation, backward.allocation)


def test_unknown_channel_and_infeasible_bounds_raise(simulated_model):
    with pytest.raises(ConfigError, match="unknown channel"):
        optimize_budget(simulated_model, TOTAL, HORIZON, bounds={"tv": (0, 1)})
    with pytest.raises(ConfigError, match="lower bounds"):
        optimize_budget(simulated_model, TOTAL, HORIZON, bounds={"display": (TOTAL * 2, TOTAL * 3)})


def test_target_roas_is_reached(simulated_model):
    plan = optimize_budget(simulated_model, TOTAL, HORIZON, target_roas=2.0)
    opt = plan.totals.set_index("scenario").loc["optimised"]
    assert opt["roas"] >= 2.0 - 1e-6 and opt["spend"] <= TOTAL + 1e-6
    with pytest.raises(ConvergenceError):
        optimize_budget(simulated_model, TOTAL, HORIZON, target_roas=1e6)


def test_forward_plan_carries_over_history_and_accepts_tidy_plans(simulated_model):
    last = simulated_model.periods_.max()
    periods = pd.date_range(last + pd.Timedelta(days=7), periods=6, freq="W-MON")
    dark = pd.DataFrame({"period": periods, **{ch: 0.0 for ch in simulated_model.channels_}})
    pred = forward_plan(simulated_model, dark)
    # with no new spend, media revenue decays week on week but starts above zero (carry-over)
    assert pred["media_revenue"].iloc[0] > 0
    assert (np.diff(pred["media_revenue"].to_numpy()) <= 1e-9).all()
    tidy = dark.melt(id_vars="period", var_name="channel", value_name="spend")
    pd.testing.assert_frame_equal(forward_plan(simulated_model, tidy), pred)
    assert (pred["revenue_lower"] <= pred["revenue"]).all() and (pred["revenue"] <= pred["revenue_upper"]).all()


def test_current_allocation_rescales_history(simulated_model):
    cur = current_allocation(simulated_model, TOTAL)
    assert sum(cur.values()) == pytest.approx(TOTAL)
    shares = simulated_model.summary_.set_index("channel")["share_of_spend"]
    for ch, v in cur.items():
        assert v / TOTAL == pytest.approx(shares[ch])


def test_optimum_meets_the_analytic_first_order_conditions(simulated_model):
    # At a maximum of a sum of concave-at-the-optimum responses under sum(B) = total, every
    # channel strictly inside its bounds has the same marginal ROI (the Lagrange multiplier);
    # a channel held at its upper bound earns more at the margin, one at its lower bound less.
    bounds = {"paid_social": (0, 10_000), "display": (0, TOTAL), "paid_search": (5_000, TOTAL)}
    a = optimize_budget(simulated_model, TOTAL, HORIZON, bounds=bounds).allocation.set_index("channel")
    lo, hi = a["lower_bound"], a["upper_bound"]
    inside = a[(a["budget"] > lo + 1.0) & (a["budget"] < hi - 1.0)]
    at_upper = a[a["budget"] >= hi - 1.0]
    at_lower = a[a["budget"] <= lo + 1.0]
    assert len(inside) >= 2, a
    lam = inside["marginal_roi"].median()
    np.testing.assert_allclose(inside["marginal_roi"], lam, rtol=0.01)
    assert (at_upper["marginal_roi"] >= lam * 0.99).all()
    assert (at_lower["marginal_roi"] <= lam * 1.01).all()
    assert a.loc["paid_social", "budget"] <= 10_000 + 1e-6
