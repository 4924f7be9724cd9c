"""Lift tests are data (issue 14.2): the contract table, the planted test, windowed calibration."""

import numpy as np
import pandas as pd
import pytest

from cmokit.mmm.calibration import LiftTest, from_table, lift_tests, weights
from cmokit.mmm.model import MediaMixModel


def test_planted_lift_test_is_consistent_with_the_planted_response(sample_dir, truth):
    # truth.json's lift test is the planted response's: ROI of the withheld spend near the channel's 2.6
    planted = truth["lift_tests"][0]
    assert planted["channel"] == "paid_search"
    assert planted["true_incremental_roi"] == pytest.approx(
        planted["true_incremental_revenue"] / planted["spend_change"], rel=1e-4)
    assert planted["true_incremental_roi"] == pytest.approx(truth["media"]["paid_search"]["incremental_roi"], rel=0.1)
    raw = pd.read_csv(sample_dir / "lift_tests.csv")
    assert raw.loc[0, "incremental_revenue_eur"] == pytest.approx(planted["true_incremental_revenue"], abs=0.01)
    lo, hi = raw.loc[0, "incremental_revenue_lower_eur"], raw.loc[0, "incremental_revenue_upper_eur"]
    assert lo <= planted["true_incremental_revenue"] <= hi


def test_warehouse_lift_tests_become_calibration(warehouse, truth):
    tests = lift_tests(warehouse)
    assert len(tests) == 1
    t = tests[0]
    planted = truth["lift_tests"][0]
    assert t.channel == "paid_search" and t.method == "geo_holdout"
    assert t.incremental_roi == pytest.approx(planted["true_incremental_roi"], rel=1e-3)
    # std error of the ROI: the planted 15 % of the revenue change, over the spend change
    assert t.std_error == pytest.approx(0.15 * t.incremental_roi, rel=1e-3)
    assert lift_tests(warehouse, kpi="revenue") == []  # measured on first orders only
    assert lift_tests({"orders": warehouse.execute(warehouse.orders.limit(5))}) == []  # no table: none


def test_from_table_keeps_the_window_and_kpi():
    rows = pd.DataFrame({"test_id": ["a", "b"], "channel": ["video", "video"],
                         "starts_on": pd.to_datetime(["2024-01-01", "2026-01-05"]),
                         "ends_on": pd.to_datetime(["2024-02-25", "2026-02-01"]),
                         "kpi": ["revenue", "revenue"], "spend_change": [1000.0, 500.0],
                         "incremental_revenue": [1500.0, 100.0], "incremental_revenue_lower": [1000.0, 0.0],
                         "incremental_revenue_upper": [2000.0, 200.0], "interval_level": [0.95, 0.95],
                         "method": ["matched_markets", "matched_markets"]})
    got = from_table(rows, kpi="revenue", start="2023-01-02", end="2025-12-28")
    assert [t.test_id for t in got] == ["a"]
    assert got[0].incremental_roi == 1.5
    assert got[0].std_error == pytest.approx(1000 / (2 * 1.959964) / 1000, rel=1e-5)
    assert weights([LiftTest("x", 1.0, 0.0), LiftTest("x", 1.0, 0.5)], 2.0).tolist() == [1e4, 4.0]


def test_hard_windowed_holdout_is_reproduced_by_the_model(simulate, planted_channels):
    # a geo holdout with std error 0 pins the model's ROI of the withheld window spend to the measurement
    panel, _ = simulate(n_weeks=104, seed=4)
    start, end = panel["period"].iloc[60], panel["period"].iloc[67] + pd.Timedelta(days=6)
    lift = LiftTest("paid_search", 1.7, 0.0, start.date(), end.date(), "geo_holdout", -1000.0, "t1")
    model = MediaMixModel(channels=planted_channels, calibration=[lift], n_bootstrap=5, maxiter=10,
                          random_state=0).fit(panel)
    dark = panel.copy()
    window = (dark["period"] >= start) & (dark["period"] <= end)
    dark.loc[window, "paid_search"] = 0.0
    lost = (model.predict(panel, history=False)["revenue"] - model.predict(dark, history=False)["revenue"]).sum()
    assert lost / panel.loc[window, "paid_search"].sum() == pytest.approx(1.7, rel=1e-3)


def test_lift_test_outside_the_panel_is_a_config_error(simulate, planted_channels):
    from cmokit.errors import ConfigError

    panel, _ = simulate(n_weeks=60, seed=1)
    lift = LiftTest("paid_search", 1.0, 0.1, pd.Timestamp("2030-01-01").date(), pd.Timestamp("2030-02-01").date(),
                    "geo_holdout", -10.0)
    with pytest.raises(ConfigError, match="outside the panel"):
        MediaMixModel(channels=planted_channels, calibration=[lift], n_bootstrap=2, maxiter=2).fit(panel)


def test_explicit_empty_calibration_ignores_the_panel_tests(simulate, planted_channels):
    panel, _ = simulate(n_weeks=80, seed=1)
    panel.attrs["lift_tests"] = [LiftTest("paid_search", 5.0, 0.0)]
    picked = MediaMixModel(channels=planted_channels, n_bootstrap=2, maxiter=5).fit(panel)
    ignored = MediaMixModel(channels=planted_channels, calibration=[], n_bootstrap=2, maxiter=5).fit(panel)
    assert picked.roi().set_index("channel").loc["paid_search", "roi"] == pytest.approx(5.0, rel=1e-3)
    assert not ignored.roi()["calibrated"].any()
    assert np.isclose(picked.roi()["calibrated"].sum(), 1)
