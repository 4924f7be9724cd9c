"""Each contract check fails on a crafted bad input and passes on the sample."""

from __future__ import annotations

import pandas as pd
import pytest

import cmokit
from cmokit.errors import ContractError
from cmokit.warehouse.checks import check, failures


@pytest.fixture(scope="module")
def frames(warehouse):
    return {t: warehouse.execute(warehouse.table(t).limit(200)) for t in
            ("customers", "orders", "campaigns", "marketing_spend", "touchpoints", "experiments", "experiment_assignments")}


def test_sample_warehouse_passes_every_check(warehouse):
    res = check(warehouse)
    assert len(res) > 40
    assert failures(res).empty, failures(res)


def _corrupt(frames, table, fn):
    data = {k: v.copy() for k, v in frames.items()}
    data[table] = fn(data[table])
    return data


@pytest.mark.parametrize("table, check_name, column, corrupt", [
    ("orders", "key_unique", "order_id", lambda d: pd.concat([d, d.head(1)])),
    ("orders", "key_not_null", "order_id", lambda d: d.assign(order_id=[None] + list(d.order_id[1:]))),
    ("orders", "minimum", "revenue", lambda d: d.assign(revenue=[-1.0] + list(d.revenue[1:]))),
    ("orders", "not_in_future", "ordered_at", lambda d: d.assign(ordered_at=[pd.Timestamp("2099-01-01")] + list(d.ordered_at[1:]))),
    ("orders", "foreign_key", "customer_id", lambda d: d.assign(customer_id=["c_nobody"] + list(d.customer_id[1:]))),
    ("orders", "not_null", "ordered_at", lambda d: d.assign(ordered_at=[pd.NaT] + list(d.ordered_at[1:]))),
    ("customers", "accepted_values", "acquisition_channel", lambda d: d.assign(acquisition_channel=["fax"] + list(d.acquisition_channel[1:]))),
    ("customers", "country_iso2", "country", lambda d: d.assign(country=["Germany"] + list(d.country[1:]))),
    ("campaigns", "ends_after_start", "ends_on", lambda d: d.assign(ends_on=[pd.Timestamp("2000-01-01")] + list(d.ends_on[1:]))),
    ("marketing_spend", "clicks_le_impressions", "clicks", lambda d: d.assign(clicks=d.impressions + 1)),
    ("marketing_spend", "key_unique", "spend_date, campaign_id", lambda d: pd.concat([d, d.head(2)])),
    ("touchpoints", "accepted_values", "touch_type", lambda d: d.assign(touch_type="telepathy")),
    ("experiment_assignments", "foreign_key", "experiment_id", lambda d: d.assign(experiment_id="EXP-NONE")),
    ("orders", "columns_present", "revenue", lambda d: d.drop(columns=["revenue"])),
])
def test_check_fails_on_crafted_bad_input(frames, table, check_name, column, corrupt):
    data = _corrupt(frames, table, corrupt)
    if check_name == "foreign_key" and table == "orders":
        data["customers"] = frames["customers"]
    res = check(cmokit.connect(data), now=pd.Timestamp("2026-01-01").to_pydatetime())
    bad = failures(res)
    hit = bad[(bad.table == table) & (bad.check == check_name) & (bad.column == column)]
    assert len(hit) == 1, bad
    assert hit.iloc[0].failing_rows >= 1
    if check_name not in ("columns_present",):
        assert hit.iloc[0].example  # names an example row


def test_raise_on_error_names_table_and_example(frames):
    data = _corrupt(frames, "orders", lambda d: d.assign(revenue=-5.0))
    with pytest.raises(ContractError, match=r"orders\.revenue minimum") as err:
        check(cmokit.connect(data), raise_on_error=True)
    assert err.value.table == "orders" and len(err.value.failures) >= 1


def test_missing_table_is_reported(frames):
    res = check(cmokit.connect({"orders": frames["orders"]}))
    assert res[(res.table == "customers") & (res.check == "table_present")].failing_rows.iloc[0] == 1
