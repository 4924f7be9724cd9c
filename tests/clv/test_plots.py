"""CLV figures carry the model results they are given (data and labels, not images)."""

from __future__ import annotations

import numpy as np
import pytest

from cmokit import clv
from cmokit.plots import clv as clv_plots


@pytest.fixture(scope="module")
def fitted(cdnow_calibration_holdout):
    return clv.BetaGeo().fit(cdnow_calibration_holdout), clv.GammaGamma().fit(cdnow_calibration_holdout)


def test_holdout_figure_shows_actual_and_model_means(cdnow_calibration_holdout, fitted):
    table = clv.holdout_by_frequency(cdnow_calibration_holdout, fitted[0])
    fig = clv_plots.holdout_by_frequency(table)
    assert [t.name for t in fig.data] == ["Actual", "Model"]
    np.testing.assert_allclose(fig.data[1].y, table["predicted"])
    assert fig.data[0].x[-1] == "7+"


def test_cumulative_figure_plots_both_curves(cdnow_orders, fitted):
    curve = clv.cumulative_transactions(cdnow_orders, fitted[0], "1997-09-30", "1998-06-30")
    fig = clv_plots.cumulative_transactions(curve)
    assert fig.data[0].y[-1] == curve["actual"].iloc[-1]
    assert "Cumulative" in fig.layout.title.text


def test_alive_matrix_heatmap_and_clv_figures(cdnow_calibration_holdout, fitted):
    grid = clv.alive_matrix(fitted[0], T=38.86, max_frequency=10, points=20)
    fig = clv_plots.alive_matrix(grid)
    assert np.nanmax(np.asarray(fig.data[0].z, dtype=float)) <= 1.0
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    values = clv.customer_lifetime_value(cdnow_calibration_holdout, *fitted, horizon_days=365,
                                         annual_discount_rate=0.1, margin=0.3)
    assert len(clv_plots.clv_distribution(values).data[0].x) == len(values)
    import pandas as pd

    table = pd.DataFrame({"bucket": ["alive", "dormant"], "customers": [2, 1], "clv_mean": [3.0, 1.0],
                          "clv_total": [6.0, 1.0], "clv_share": [6 / 7, 1 / 7]})
    bars = clv_plots.clv_by_group(table, "bucket")
    assert list(bars.data[0].x) == ["alive", "dormant"] and list(bars.data[0].y) == [3.0, 1.0]


def test_frequency_recency_matrix_of_expected_purchases(fitted):
    grid = clv.alive_matrix(fitted[0], T=38.86, max_frequency=10, points=20)
    fig = clv_plots.alive_matrix(grid, value="expected_purchases")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.nanmax(z) == pytest.approx(grid["expected_purchases"].max())
    assert fig.data[0].zmax is None  # not capped at 1 like a probability
    assert "Expected purchases" in fig.layout.title.text
