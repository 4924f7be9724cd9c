"""Cohort table against a hand-computed table, and warehouse vs in-memory frames on the sample."""

import pandas as pd
import polars as pl
import pytest

from cmokit.retention import cohorts


@pytest.fixture
def tiny_orders():
    rows = [
        ("o1", "a", "2025-01-05 10:00:00", 10.0), ("o2", "a", "2025-02-10 10:00:00", 20.0),
        ("o3", "a", "2025-03-31 23:00:00", 30.0),
        ("o4", "b", "2025-01-31 23:59:59", 40.0), ("o5", "b", "2025-03-01 00:00:00", 10.0),
        ("o6", "c", "2025-02-01 00:00:00", 5.0), ("o7", "c", "2025-02-15 00:00:00", 5.0),
        ("o8", "d", "2025-03-15 00:00:00", 100.0),
        ("o9", "d", "2025-04-01 00:00:00", 50.0),  # after as_of
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue"])
    return frame.assign(ordered_at=pd.to_datetime(frame["ordered_at"]), campaign_id=None)


HAND = pd.DataFrame(
    [
        # cohort, k, size, active, orders, revenue, retention, revenue retention, cumulative / customer
        ("2025-01-01", 0, 2, 2, 2, 50.0, 1.0, 1.0, 25.0),
        ("2025-01-01", 1, 2, 1, 1, 20.0, 0.5, 0.4, 35.0),
        ("2025-01-01", 2, 2, 2, 2, 40.0, 1.0, 0.8, 55.0),
        ("2025-02-01", 0, 1, 1, 2, 10.0, 1.0, 1.0, 10.0),
        ("2025-02-01", 1, 1, 0, 0, 0.0, 0.0, 0.0, 10.0),
        ("2025-03-01", 0, 1, 1, 1, 100.0, 1.0, 1.0, 100.0),
    ],
    columns=["cohort_month", "months_since_first", "cohort_size", "active_customers", "orders", "revenue",
             "customer_retention", "revenue_retention", "cumulative_revenue_per_customer"],
)


def test_cohorts_equal_the_hand_computed_table(tiny_orders):
    got = cohorts(tiny_orders, as_of="2025-03-31")
    expected = HAND.assign(cohort_month=pd.to_datetime(HAND["cohort_month"]))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_warehouse_pandas_and_polars_give_identical_cohorts_on_the_sample(warehouse, sample_orders):
    from_wh = cohorts(warehouse, revenue="gross")
    from_pd = cohorts(sample_orders)
    from_pl = cohorts(pl.from_pandas(sample_orders))
    assert isinstance(from_pl, pl.DataFrame)
    pd.testing.assert_frame_equal(from_wh, from_pd, check_dtype=False)
    pd.testing.assert_frame_equal(from_wh, from_pl.to_pandas(), check_dtype=False)


def test_cohort_sizes_and_revenue_reconcile_with_the_orders_table(warehouse):
    table = cohorts(warehouse, revenue="gross")
    orders = warehouse.orders.filter(warehouse.orders.customer_id.notnull())  # guest orders are in no cohort
    assert table.loc[table["months_since_first"] == 0, "cohort_size"].sum() == int(
        warehouse.execute(orders.customer_id.nunique()))
    assert table["revenue"].sum() == pytest.approx(float(warehouse.execute(orders.revenue.sum())), abs=0.01)
    assert table["orders"].sum() == int(warehouse.execute(orders.count()))
    assert (table["customer_retention"].between(0, 1)).all()
