"""Warehouse health figures agree with direct SQL on the sample warehouse and its build metadata."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from cmokit.errors import ConfigError
from cmokit.warehouse import health
from cmokit.warehouse.contract import CONTRACT


@pytest.fixture(scope="module")
def con(warehouse_path):
    c = duckdb.connect(str(warehouse_path), read_only=True)
    yield c
    c.close()


def test_freshness_matches_direct_sql(warehouse, con):
    fresh = health.freshness(warehouse, as_of="2025-12-31").set_index("table")
    for name, spec in CONTRACT.items():
        assert fresh.loc[name, "rows"] == con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        if spec.time_column:
            latest = pd.Timestamp(con.execute(f'SELECT max("{spec.time_column}") FROM "{name}"').fetchall()[0][0])
            assert fresh.loc[name, "latest_at"] == latest
            assert fresh.loc[name, "days_behind"] == (pd.Timestamp("2025-12-31") - latest.normalize()).days


def test_daily_volumes_match_direct_sql_with_bound_dates(warehouse, con):
    vols = health.daily_volumes(warehouse, days=30, as_of="2025-12-31")
    start, end = dt.date(2025, 12, 2), dt.date(2026, 1, 1)
    for name in vols["table"].unique():
        column = CONTRACT[name].time_column
        expected = con.execute(f'SELECT count(*) FROM "{name}" WHERE "{column}" >= ? AND "{column}" < ?',
                               [start, end]).fetchall()[0][0]
        part = vols[vols["table"] == name]
        assert len(part) == 30 and part["day"].min() == pd.Timestamp(start)
        assert part["rows"].sum() == expected
    one_day = con.execute("SELECT count(*) FROM orders WHERE CAST(ordered_at AS DATE) = DATE '2025-12-20'").fetchall()[0][0]
    got = vols[(vols["table"] == "orders") & (vols["day"] == pd.Timestamp("2025-12-20"))]["rows"]
    assert got.tolist() == [one_day]


def test_loads_and_quarantine_come_from_the_build_metadata(warehouse, con):
    loads = health.loads(warehouse)
    assert loads["rows_loaded"].sum() == con.execute("SELECT sum(rows_loaded) FROM meta_loads").fetchall()[0][0]
    quarantine = health.quarantine_summary(warehouse)
    assert quarantine["rows"].sum() == (con.execute("SELECT coalesce(sum(rows), 0) FROM meta_quarantine_summary")
                                        .fetchall()[0][0])
    build = health.build_info(warehouse)
    assert len(build) == 1 and {"built_at", "cmokit_version"} <= set(build.columns)


def test_missing_metadata_gives_empty_tables_in_contract_shape():
    import cmokit

    wh = cmokit.connect({"orders": pd.DataFrame({"order_id": ["o"], "ordered_at": pd.to_datetime(["2025-01-01"])})})
    assert list(health.quarantine_summary(wh).columns) == health.QUARANTINE_COLUMNS
    assert health.loads(wh).empty


@pytest.mark.parametrize("bad", ["x'; DROP TABLE orders; --", "2025-13-01", "yesterday"])
def test_snapshot_date_must_be_a_date(warehouse, bad):
    with pytest.raises(ConfigError, match="as_of must be a date"):
        health.daily_volumes(warehouse, as_of=bad)
    with pytest.raises(ConfigError, match="days must be at least 1"):
        health.daily_volumes(warehouse, days=0, as_of="2025-12-31")
