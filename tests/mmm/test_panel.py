"""media_panel against sums computed directly from the frames."""

import pandas as pd
import polars as pl
import pytest

import cmokit
from cmokit.errors import ConfigError
from cmokit.mmm.panel import media_panel


@pytest.fixture()
def frames():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["a", "a", "b", "c"],
        "ordered_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-09 00:00", "2024-01-07 23:59", "2024-01-20 00:00"]),
        "revenue": [10.0, 20.0, 5.0, 7.0], "campaign_id": [None] * 4})
    spend = pd.DataFrame({
        "spend_date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-10", "2024-01-02"]).date,
        "campaign_id": ["s1", "s1", "s1", "d1"], "channel": ["paid_search"] * 3 + ["display"],
        "spend": [1.0, 2.0, 4.0, 8.0], "impressions": [1] * 4, "clicks": [0] * 4})
    return orders, spend


def test_weekly_sums_by_hand(frames):
    orders, spend = frames
    wh = cmokit.connect({"orders": orders, "marketing_spend": spend})
    p = media_panel(wh, "2024-01-01", "2024-01-21")
    assert list(p["period"].dt.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert list(p["revenue"]) == [15.0, 20.0, 7.0]
    assert list(p["paid_search"]) == [3.0, 4.0, 0.0]
    assert list(p["display"]) == [8.0, 0.0, 0.0]


def test_first_order_revenue_counts_each_customers_first_order(frames):
    orders, spend = frames
    wh = cmokit.connect({"orders": orders, "marketing_spend": spend})
    p = media_panel(wh, "2024-01-01", "2024-01-21", kpi="first_order_revenue")
    assert list(p["revenue"]) == [15.0, 0.0, 7.0]


def test_guest_orders_are_no_first_orders(frames):
    """Ranked over a NULL customer_id, all guest orders were one "customer" whose earliest order counted."""
    orders, spend = frames
    guests = pd.DataFrame({"order_id": ["g1", "g2"], "customer_id": [None, None],
                           "ordered_at": pd.to_datetime(["2024-01-02", "2024-01-16"]), "revenue": [100.0, 50.0],
                           "campaign_id": [None, None]})
    wh = cmokit.connect({"orders": pd.concat([orders, guests], ignore_index=True), "marketing_spend": spend})
    assert list(media_panel(wh, "2024-01-01", "2024-01-21", kpi="first_order_revenue")["revenue"]) == [15.0, 0.0, 7.0]
    assert list(media_panel(wh, "2024-01-01", "2024-01-21")["revenue"]) == [115.0, 20.0, 57.0]


def test_daily_holidays_controls_and_polars(frames):
    orders, spend = frames
    wh = cmokit.connect({"orders": pl.from_pandas(orders), "marketing_spend": pl.from_pandas(spend)})
    ctrl = pl.DataFrame({"period": pd.to_datetime(["2024-01-02"]), "price_index": [1.1]})
    p = media_panel(wh, "2024-01-01", "2024-01-03", granularity="day", holidays=["2024-01-01"], controls=ctrl)
    assert isinstance(p, pd.DataFrame)  # a Warehouse returns pandas
    assert list(p["holiday"]) == [1.0, 0.0, 0.0]
    assert list(p["paid_search"]) == [0.0, 1.0, 2.0]
    assert p["price_index"].iloc[1] == pytest.approx(1.1)
    polars_out = media_panel({"orders": pl.from_pandas(orders), "marketing_spend": pl.from_pandas(spend)},
                             "2024-01-01", "2024-01-07")
    assert isinstance(polars_out, pl.DataFrame)


def test_bad_arguments(frames):
    orders, spend = frames
    wh = cmokit.connect({"orders": orders, "marketing_spend": spend})
    with pytest.raises(ConfigError):
        media_panel(wh, "2024-02-01", "2024-01-01")
    with pytest.raises(ConfigError):
        media_panel(wh, "2024-01-01", "2024-01-07", granularity="month")
