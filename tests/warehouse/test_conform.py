"""Frames handed to routines are conformed to the contract and refused with a clear error when they break it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import cmokit
from cmokit.errors import ContractError
from cmokit.warehouse.connect import resolve


def _orders(**over):
    base = dict(order_id=["o1", "o2", "o3"], customer_id=["a", "a", "b"],
                ordered_at=pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-03"]),
                revenue=[10.0, 20.0, 5.0])
    base.update(over)
    return pd.DataFrame(base)


def _read(frame, columns=("order_id", "customer_id", "ordered_at", "revenue")):
    r = resolve(frame, "orders")
    return r, r.table("orders", columns)


def test_absent_optional_columns_are_added_as_typed_nulls():
    _, t = _read(_orders())
    assert t.schema()["campaign_id"].is_string()
    assert t.campaign_id.isnull().all().execute()


def test_nan_revenue_is_a_missing_value_not_a_number():
    with pytest.raises(ContractError, match=r"orders: revenue is missing .*order_id=o2"):
        _read(_orders(revenue=[10.0, np.nan, 5.0]))


def test_duplicate_keys_name_the_key_and_an_example():
    with pytest.raises(ContractError, match=r"order_id is not unique \(2 rows, e.g. order_id=o1"):
        _read(_orders(order_id=["o1", "o1", "o3"]))


def test_missing_columns_name_the_table_the_column_and_what_it_has():
    with pytest.raises(ContractError, match=r"orders: missing column revenue .*it has: order_id, customer_id"):
        _read(_orders().drop(columns="revenue"))


def test_text_timestamps_are_cast_and_bad_ones_refused():
    _, t = _read(_orders(ordered_at=["2025-01-01", "2025-01-05 10:00", "2025-01-03"]))
    assert t.schema()["ordered_at"].is_timestamp()
    with pytest.raises(ContractError, match=r"ordered_at .* '05.01.2025'"):
        _read(_orders(ordered_at=["2025-01-01", "05.01.2025", "2025-01-03"]))


def test_untyped_money_is_refused_with_the_value():
    with pytest.raises(ContractError, match=r"revenue .* 'abc'"):
        _read(_orders(revenue=["10", "abc", "5"]))


def test_time_zone_aware_timestamps_become_utc():
    times = pd.to_datetime(["2025-01-01 00:30", "2025-01-05 00:00", "2025-01-03 00:00"]).tz_localize("Europe/Berlin")
    r, t = _read(_orders(ordered_at=times))
    first = r.execute(t.order_by("order_id")).ordered_at.iloc[0]
    assert first == pd.Timestamp("2024-12-31 23:30")


def test_negative_revenue_is_below_the_contract_minimum():
    with pytest.raises(ContractError, match="revenue is below its minimum"):
        _read(_orders(revenue=[10.0, -1.0, 5.0]))


def test_check_reports_instead_of_raising():
    res = cmokit.warehouse.check(cmokit.connect({"orders": _orders(order_id=["o1", "o1", "o3"])}), tables=["orders"])
    assert res.set_index("check").loc["key_unique", "failing_rows"] == 2


@pytest.mark.parametrize("make, kind", [(pl.from_pandas, "polars"), (pa.Table.from_pandas, "arrow")])
def test_frames_of_every_kind_come_back_as_their_kind(make, kind):
    r, t = _read(make(_orders()))
    assert r.kind == kind
    out = r.execute(t.select("order_id"))
    from cmokit._frames import kind_of

    assert kind_of(out) == kind
