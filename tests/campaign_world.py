"""A small world of every contract table (campaigns, experiments, journeys) and the entry
checks every source-taking routine must pass; shared by the campaigns and attribution tests.

The latest order, ``o6``, is at 23:30 on LAST (2025-03-10), with a touch and a day of spend on
LAST too.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cmokit.errors import ContractError

LAST = "2025-03-10"
DAY_BEFORE = "2025-03-09"
O6_REVENUE = 70.0  # k1, 2025-03-10 23:30, campaign c1, inside experiment e1 (k1 is in "mail")
SPEND_ON_LAST = 20.0


def _d(*days):
    return [dt.date.fromisoformat(d) for d in days]


def world() -> dict:
    ts = pd.to_datetime
    return {
        "customers": pd.DataFrame({
            "customer_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
            "first_seen_at": ts(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05", "2025-01-06"]),
            "acquisition_channel": ["email", "display", "paid_search", "email", "direct", "display"],
            "marketing_consent": [True, True, False, True, True, False],
        }),
        "orders": pd.DataFrame({
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "customer_id": ["k1", "k2", "k3", "k4", "k5", "k1"],
            "ordered_at": ts(["2025-01-05 10:00", "2025-02-01 12:00", "2025-02-20 09:00", "2025-03-05 15:00",
                              "2025-03-09 11:00", "2025-03-10 23:30"]),
            "revenue": [50.0, 30.0, 20.0, 40.0, 25.0, O6_REVENUE],
            "campaign_id": ["c1", "c1", None, "c1", None, "c1"],
        }),
        "campaigns": pd.DataFrame({
            "campaign_id": ["c1"], "campaign_name": ["Spring mail"], "channel": ["email"],
            "starts_on": _d("2025-01-01"), "ends_on": _d("2025-03-31"), "budget": [1000.0],
        }),
        "marketing_spend": pd.DataFrame({
            "spend_date": _d("2025-01-05", DAY_BEFORE, LAST), "campaign_id": ["c1"] * 3, "channel": ["email"] * 3,
            "spend": [100.0, 10.0, SPEND_ON_LAST], "impressions": [1000, 100, 200], "clicks": [10, 1, 2],
        }),
        "touchpoints": pd.DataFrame({
            "touchpoint_id": ["t1", "t2", "t3", "t4", "t5"],
            "customer_id": ["k1", "k2", "k4", "k1", "k6"],
            "touched_at": ts(["2025-01-04 09:00", "2025-01-30 09:00", "2025-03-04 09:00", "2025-03-10 08:00",
                              "2025-03-02 09:00"]),
            "channel": ["display", "email", "paid_search", "email", "display"],
            "campaign_id": [None, "c1", None, "c1", None],
            "touch_type": ["impression", "click", "click", "click", "impression"],
        }),
        "experiments": pd.DataFrame({
            "experiment_id": ["e1"], "campaign_id": ["c1"], "starts_on": _d("2025-03-01"),
            "ends_on": _d("2025-03-31"), "primary_metric": ["conversion"],
        }),
        "experiment_assignments": pd.DataFrame({
            "experiment_id": ["e1"] * 6, "customer_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
            "variant": ["mail", "control", "control", "mail", "control", "mail"],
            "assigned_at": ts(["2025-02-28"] * 6),
        }),
    }


def check_missing_column(call, table, column):
    """``call`` on the world without ``table.column`` raises a ContractError naming both."""
    frames = world()
    frames[table] = frames[table].drop(columns=[column])
    with pytest.raises(ContractError, match=rf"{table}.*{column}") as err:
        call(frames)
    assert err.value.table == table


def check_wrong_type(call, table, column):
    """``call`` with text in the typed column ``table.column`` raises a ContractError naming both."""
    frames = world()
    frames[table] = frames[table].assign(**{column: ["not a value"] * len(frames[table])})
    with pytest.raises(ContractError, match=rf"{table}.*{column}"):
        call(frames)


def check_empty(call, table):
    """``call`` with ``table`` empty raises a ContractError naming it."""
    frames = world()
    frames[table] = frames[table].iloc[0:0]
    with pytest.raises(ContractError, match=table) as err:
        call(frames)
    assert err.value.table == table


def check_entry(call, table, column):
    """All three entry checks; a text ``column`` is mistyped through the table's time column."""
    check_missing_column(call, table, column)
    check_wrong_type(call, table, {"variant": "assigned_at"}.get(column, column))
    check_empty(call, table)


def convert(kind):
    """pandas -> ``kind`` ("polars" or "arrow")."""
    import polars as pl
    import pyarrow as pa

    return pl.from_pandas if kind == "polars" else (lambda df: pa.Table.from_pandas(df, preserve_index=False))
