"""The one date rule: ISO snapshot dates only, tz-aware values in UTC, None = latest order day, inclusive."""

from __future__ import annotations

import datetime as dt
import warnings

import ibis
import pandas as pd
import pytest

from cmokit.engine import as_of_date, renamed_args, snapshot_day, until
from cmokit.errors import ConfigError, ContractError


@pytest.mark.parametrize("text", ["12/01/2025", "01.12.2025", "2025-13-01", "yesterday", "2025/12/01", ""])
def test_non_iso_or_invalid_dates_are_config_errors(text):
    with pytest.raises(ConfigError, match="as_of"):
        as_of_date(text)


@pytest.mark.parametrize("value, day", [
    ("2025-12-01", dt.date(2025, 12, 1)),
    ("2025-12-01T23:59:59", dt.date(2025, 12, 1)),
    ("2025-12-02T00:30+01:00", dt.date(2025, 12, 1)),  # 23:30 UTC on the 1st
    ("2025-12-01T23:30-02:00", dt.date(2025, 12, 2)),
    (dt.date(2025, 12, 1), dt.date(2025, 12, 1)),
    (dt.datetime(2025, 12, 1, 18), dt.date(2025, 12, 1)),
    (pd.Timestamp("2025-12-02 00:30", tz="Europe/Berlin"), dt.date(2025, 12, 1)),
])
def test_accepted_dates_resolve_to_the_utc_day(value, day):
    assert as_of_date(value) == day


def test_wrong_types_are_config_errors():
    with pytest.raises(ConfigError, match="ISO date string"):
        as_of_date(20251201)
    with pytest.raises(ConfigError, match="NaT"):
        as_of_date(pd.NaT)


def _orders(times):
    return ibis.memtable(pd.DataFrame({"ordered_at": pd.to_datetime(times, format="ISO8601")}))


def test_none_is_the_latest_order_day_and_the_bound_is_inclusive():
    t = _orders(["2025-03-01 00:00", "2025-03-04 23:59:59.999"])
    assert snapshot_day(t) == dt.date(2025, 3, 4)
    assert until(t, snapshot_day(t)).count().execute() == 2
    assert until(t, "2025-03-03").count().execute() == 1
    assert until(t, "2025-03-01").count().execute() == 1  # an order at 00:00 on as_of counts


def test_an_empty_table_has_no_latest_day():
    t = ibis.memtable(pd.DataFrame({"ordered_at": pd.Series([], dtype="datetime64[ns]")}))
    with pytest.raises(ContractError, match="empty"):
        snapshot_day(t)
    assert snapshot_day(t, "2025-01-01") == dt.date(2025, 1, 1)


def test_renamed_arguments_warn_and_still_work():
    @renamed_args(cutoff="as_of")
    def f(source=None, as_of=None):
        return as_of

    with pytest.warns(FutureWarning, match="renamed as_of"):
        assert f(cutoff="2025-01-01") == "2025-01-01"
    with pytest.raises(ConfigError, match="as_of= only"):
        f(cutoff="2025-01-01", as_of="2025-01-02")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(as_of="2025-01-02") == "2025-01-02"
