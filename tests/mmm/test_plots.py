"""MMM figures carry the result's numbers and the glossary's labels (src/cmokit/plots/mmm.py)."""

import numpy as np

from cmokit.mmm.budget import forward_plan, optimize_budget, plan_schedule
from cmokit.plots import mmm as plots


def test_decomposition_stacks_every_component(simulated_model):
    contrib = simulated_model.contributions()
    fig = plots.decomposition(contrib)
    assert [t.name for t in fig.data] == list(contrib["component"].unique())
    stacked = sum(np.asarray(t.y) for t in fig.data)
    np.testing.assert_allclose(stacked, simulated_model.fitted_)
    assert fig.layout.yaxis.title.text == "Revenue (EUR)"


def test_roi_bars_and_error_bars(simulated_model):
    roi = simulated_model.roi()
    fig = plots.roi(roi)
    np.testing.assert_allclose(fig.data[0].y, roi["roi"])
    np.testing.assert_allclose(fig.data[0].error_y.array, roi["roi_upper"] - roi["roi"])


def test_curves_budget_and_forecast(simulated_model):
    curves = simulated_model.response_curves()
    fig = plots.response_curves(curves)
    assert {t.name for t in fig.data} >= set(simulated_model.channels_)
    assert fig.layout.xaxis.title.text == "Spend (EUR)"
    assert len(plots.adstock_curves(simulated_model.adstock_curves()).data) == len(simulated_model.channels_)
    plan = optimize_budget(simulated_model, 50_000, 4)
    fig = plots.budget(plan)
    np.testing.assert_allclose(fig.data[1].y, plan.allocation["budget"])
    pred = forward_plan(simulated_model, plan_schedule(simulated_model, plan))
    assert len(pred) == 4
    np.testing.assert_allclose(plots.forecast(pred).data[1].y, pred["revenue"])
