"""Each contract check fails on a crafted bad input and passes on the sample."""

from __future__ import annotations

import pandas as pd
import pytest

import cmokit
from cmokit.errors import ContractError
from cmokit.warehouse.checks import check, failures
from cmokit.warehouse.contract import CONTRACT


NOW = pd.Timestamp("2026-01-01").to_pydatetime()


@pytest.fixture(scope="module")
def frames(warehouse):
    """A small, consistent slice of the sample: 200 customers and everything that refers to them
    (so every check passes on it and each crafted corruption is the only failure)."""
    customers = warehouse.customers.order_by("customer_id").limit(200)
    ids = warehouse.execute(customers.customer_id)
    data = {"customers": warehouse.execute(customers)}
    for t in ("orders", "touchpoints", "experiment_assignments"):
        table = warehouse.table(t)
        data[t] = warehouse.execute(table.filter(table.customer_id.isin(list(ids))))
    for t in ("campaigns", "marketing_spend", "experiments"):
        data[t] = warehouse.execute(warehouse.table(t))
    # the sample has no refunds export: refund half of every tenth order of the slice, an hour later
    o = data["orders"].sort_values("order_id").iloc[::10]
    data["refunds"] = pd.DataFrame({"refund_id": "r-" + o.order_id, "order_id": o.order_id,
                                    "customer_id": o.customer_id, "refunded_at": o.ordered_at + pd.Timedelta(hours=1),
                                    "amount": (o.revenue.astype(float) / 2).round(2)}).reset_index(drop=True)
    assert all(len(v) for v in data.values())
    return data


def test_the_slice_passes_every_check(frames):
    res = check(cmokit.connect(frames), now=NOW)
    assert failures(res).empty
    # and the crafted cases below cover every row check the contract produces
    produced = {(t, c, col) for t, c, col in zip(res.table, res.check, res.column)
                if c not in ("columns_present", "column_types")}
    assert produced == set(_every_check())


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
    res = check(cmokit.connect(data), now=NOW)
    bad = failures(res)
    hit = bad[(bad.table == table) & (bad.check == check_name) & (bad.column == column)]
    assert len(hit) == 1, bad
    assert hit.iloc[0].failing_rows >= 1
    if check_name not in ("columns_present",):
        assert hit.iloc[0].example  # names an example row


@pytest.mark.parametrize("table, column", [("customers", "marketing_consent"), ("orders", "revenue"),
                                           ("campaigns", "channel"), ("touchpoints", "customer_id")])
def test_all_null_column_is_cast_to_its_contract_type_and_fails_not_null(frames, table, column):
    # pandas hands DuckDB a column of only None as INTEGER; the checks must still run on it
    data = _corrupt(frames, table, lambda d: d.assign(**{column: None}))
    bad = failures(check(cmokit.connect(data), now=NOW))
    hit = bad[(bad.table == table) & (bad.check == "not_null") & (bad.column == column)]
    assert len(hit) == 1 and hit.iloc[0].failing_rows == len(data[table]), bad
    assert not (bad.check == "column_types").any(), bad  # nulls fit any type
    assert all((t, col) == (table, column) or c == "foreign_key" for t, c, col in zip(bad.table, bad.check, bad.column)), bad


def test_values_that_do_not_fit_the_contract_type_fail_column_types(frames):
    data = _corrupt(frames, "orders", lambda d: d.assign(revenue=["12,50"] + [str(v) for v in d.revenue[1:]]))
    bad = failures(check(cmokit.connect(data), now=NOW))
    assert bad[["table", "check", "column", "failing_rows"]].values.tolist() == [
        ["orders", "column_types", "revenue", 1], ["orders", "not_null", "revenue", 1]]
    assert "revenue=12,50" in bad.example.iloc[0]


def test_raise_on_error_names_table_and_example(frames):
    data = _corrupt(frames, "orders", lambda d: d.assign(revenue=-5.0))
    with pytest.raises(ContractError, match=r"orders\.revenue minimum") as err:
        check(cmokit.connect(data), raise_on_error=True)
    assert err.value.table == "orders" and len(err.value.failures) >= 1


def test_missing_table_is_reported(frames):
    res = check(cmokit.connect({"orders": frames["orders"]}))
    assert res[(res.table == "customers") & (res.check == "table_present")].failing_rows.iloc[0] == 1


def _every_check():
    out = []
    for t, spec in CONTRACT.items():
        out.append((t, "key_not_null", ", ".join(spec.key)))
        out.append((t, "key_unique", ", ".join(spec.key)))
        for c in spec.columns:
            if not c.nullable and c.name not in spec.key:
                out.append((t, "not_null", c.name))
            if c.accepted is not None:
                out.append((t, "accepted_values", c.name))
            if c.minimum is not None:
                out.append((t, "minimum", c.name))
        out += [(t, inv.name, inv.column) for inv in spec.invariants]
        out += [(t, "foreign_key", fk.column) for fk in spec.foreign_keys]
    return out


#: The bad value each invariant is crafted with.
INVARIANT_BAD = {"country_iso2": "Germany", "not_in_future": pd.Timestamp("2099-01-01"),
                 "ends_after_start": pd.Timestamp("1999-01-01"), "clicks_le_impressions": None}


@pytest.mark.parametrize("table, check_name, column", _every_check(), ids=lambda v: str(v).replace(", ", "+"))
def test_every_contract_check_fails_on_its_crafted_row(frames, table, check_name, column):
    """Generated from the contract: a new check without a crafted failure cannot slip in untested."""
    d = frames[table].copy().reset_index(drop=True)
    first = column.split(", ")[0]
    if len(d) == 1:  # one experiment: add a second so a corrupted cell never makes a whole column null
        d = pd.concat([d, d.assign(**{k: d[k] + "_copy" for k in CONTRACT[table].key})], ignore_index=True)
    if check_name == "key_unique":
        d = pd.concat([d, d.head(1)], ignore_index=True)
    else:
        d[first] = d[first].astype(object)
        if check_name in ("key_not_null", "not_null"):
            d.loc[0, first] = None
        elif check_name == "accepted_values":
            d.loc[0, first] = "not_a_listed_value"
        elif check_name == "minimum":
            d.loc[0, first] = -1
        elif check_name == "foreign_key":
            d.loc[0, first] = "no_such_parent"
        elif check_name == "clicks_le_impressions":
            d.loc[0, first] = int(d.loc[0, "impressions"]) + 1
        else:
            d.loc[0, first] = INVARIANT_BAD[check_name]
        d[first] = d[first].infer_objects()
    res = check(cmokit.connect({**frames, table: d}), now=NOW)
    bad = failures(res)
    hit = bad[(bad.table == table) & (bad.check == check_name) & (bad.column == column)]
    assert len(hit) == 1 and hit.iloc[0].failing_rows >= 1, bad
    # nothing else fails, apart from the same row's other checks and children losing their parent
    assert all(t == table or c == "foreign_key" for t, c in zip(bad.table, bad.check)), bad
