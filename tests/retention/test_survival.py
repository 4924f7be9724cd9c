"""Kaplan–Meier curves against the product-limit estimator worked by hand."""

import pandas as pd
import pytest

from cmokit.retention import kaplan_meier, lifetimes


def test_kaplan_meier_equals_the_hand_product_limit():
    # durations 5(event) 8(censored) 8(event) 12(event) 20(censored): S(5)=4/5, S(8)=4/5*3/4=0.6, S(12)=0.6*1/2=0.3
    t = pd.DataFrame({"duration_days": [5, 8, 8, 12, 20], "churned": [True, False, True, True, False],
                      "cohort_year": "2024"})
    curve = kaplan_meier(t).set_index("duration_days")["survival"]
    assert curve.loc[[0, 5, 8, 12, 20]].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])


def test_lifetimes_by_hand():
    orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
                           "ordered_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-11-01"]),
                           "revenue": [1.0] * 3, "campaign_id": [None] * 3})
    got = lifetimes(orders, as_of="2025-12-31", window_days=180)
    # a: last order 305 days ago > 180 -> churned at 59 days; b: 60 days ago -> censored at 60 days
    assert got[["customer_id", "duration_days", "churned"]].to_dict("list") == {
        "customer_id": ["a", "b"], "duration_days": [59, 60], "churned": [True, False]}


def test_survival_by_cohort_on_the_sample_starts_at_day_zero_and_never_rises(warehouse):
    table = lifetimes(warehouse)
    curves = kaplan_meier(table, by="cohort_year")
    assert set(curves["group"]) == {"2023", "2024", "2025"}
    for year, g in curves.groupby("group"):
        # one-order customers who lapsed churn at day 0, so S(0) = 1 - their share of the cohort
        part = table[table["cohort_year"] == year]
        gone_at_zero = ((part["duration_days"] == 0) & part["churned"]).mean()
        assert g["duration_days"].iloc[0] == 0
        assert g["survival"].iloc[0] == pytest.approx(1 - gone_at_zero)
        assert g["survival"].is_monotonic_decreasing


def test_lifetimes_same_from_warehouse_and_frame(warehouse, sample_orders):
    import polars as pl

    from_wh = lifetimes(warehouse, revenue="gross")
    pd.testing.assert_frame_equal(from_wh, lifetimes(sample_orders), check_dtype=False)
    from_pl = lifetimes(pl.from_pandas(sample_orders))
    assert isinstance(from_pl, pl.DataFrame)
    pd.testing.assert_frame_equal(from_wh, from_pl.to_pandas(), check_dtype=False)
    # and the curves drawn from either are the same
    pd.testing.assert_frame_equal(kaplan_meier(from_wh, by="segment"), kaplan_meier(from_pl, by="segment"))
