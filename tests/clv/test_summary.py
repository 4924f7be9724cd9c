"""Purchase summary (one Ibis query) against the CDNOW summary Fader, Hardie & Lee fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from cmokit.clv import purchase_summary


def test_cdnow_summary_equals_published_summary(cdnow_summary, cdnow_published_summary):
    merged = cdnow_summary.merge(cdnow_published_summary, on="customer_id", suffixes=("", "_paper"))
    assert len(cdnow_summary) == len(merged) == 2357
    assert (merged["frequency"] == merged["frequency_paper"]).all()
    # the published file rounds to 2 decimals
    for column in ("recency", "T", "monetary_value"):
        assert np.abs(merged[column] - merged[f"{column}_paper"]).max() <= 0.005 + 1e-9, column
    assert cdnow_summary.attrs["time_unit"] == "weeks"


def test_same_day_orders_merge_into_one_occasion_with_summed_revenue():
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "a", "a"],
        "ordered_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-03 09:00", "2024-01-03 18:00", "2024-01-05 12:00"]),
        "revenue": [1.0, 2.0, 3.0, 10.0]})
    merged = purchase_summary(orders, "2024-01-10", time_unit="days").iloc[0]
    assert (merged["frequency"], merged["recency"], merged["T"], merged["monetary_value"]) == (2, 4.0, 9.0, 7.5)
    exact = purchase_summary(orders, "2024-01-10", time_unit="days", merge_same_day=False).iloc[0]
    assert exact["frequency"] == 3
    assert exact["recency"] == pytest.approx(4 + 4 / 24)  # 08:00 on the 1st to 12:00 on the 5th
    assert exact["T"] == pytest.approx(10 - 8 / 24)  # to the end of the as_of day
    assert exact["monetary_value"] == pytest.approx(5.0)


def test_orders_after_as_of_are_ignored_and_polars_in_gives_polars_out(cdnow_orders):
    early = purchase_summary(pl.from_pandas(cdnow_orders), "1997-01-31", time_unit="days")
    assert isinstance(early, pl.DataFrame)
    assert early["T"].max() == 30.0 and early["recency"].max() <= 30.0
    assert early.height == cdnow_orders.loc[cdnow_orders["ordered_at"] <= "1997-01-31", "customer_id"].nunique()


def test_calibration_holdout_counts_every_holdout_occasion(cdnow_calibration_holdout, cdnow_orders):
    ch = cdnow_calibration_holdout
    assert ch["duration_holdout"].iloc[0] == pytest.approx(39.0)
    days = cdnow_orders.assign(day=cdnow_orders["ordered_at"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    in_holdout = days[(days["day"] > "1997-09-30") & (days["day"] <= "1998-06-30")]
    assert ch["frequency_holdout"].sum() == len(in_holdout)
    assert (ch.loc[ch["frequency_holdout"] == 0, "monetary_value_holdout"] == 0).all()
