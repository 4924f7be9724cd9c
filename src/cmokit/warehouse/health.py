"""Data health of the marketing warehouse: freshness, daily volumes, quarantine, loads.

Read by the ``00_data_health`` report. Every figure is computed in the engine
(Ibis) from the contract tables' time columns (``TableSpec.time_column``) and
from the metadata tables the build writes (``meta_loads``,
``meta_quarantine_summary``, ``meta_build``). The snapshot date ``as_of`` is an
Ibis literal (a bound value), never text in a query.

>>> import pandas as pd, cmokit
>>> from cmokit.warehouse import health
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
...     "ordered_at": pd.to_datetime(["2025-12-30 10:00", "2025-12-31 09:00"]),
...     "revenue": [10.0, 5.0], "campaign_id": [None, None]})
>>> wh = cmokit.connect({"orders": orders})
>>> health.freshness(wh, as_of="2025-12-31")[["table", "rows", "days_behind"]].to_dict("records")
[{'table': 'orders', 'rows': 2, 'days_behind': 0}]
>>> health.daily_volumes(wh, days=2, as_of="2025-12-31")["rows"].tolist()
[1, 1]
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cmokit.errors import ConfigError
from cmokit.warehouse.connect import connect
from cmokit.warehouse.contract import CONTRACT

QUARANTINE_COLUMNS = ["table_name", "source_file", "check_name", "column_name", "rows"]
LOAD_COLUMNS = ["source_file", "table_name", "sha256", "rows_read", "rows_loaded", "rows_quarantined", "loaded_at"]


def parse_as_of(as_of) -> dt.date | None:
    """``as_of`` as a date (``None`` stays ``None``); a clear error for anything else."""
    if as_of is None or as_of == "":
        return None
    if isinstance(as_of, dt.date):
        return as_of if not isinstance(as_of, dt.datetime) else as_of.date()
    try:
        return dt.date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise ConfigError(f"as_of must be a date like 2025-12-31, got {str(as_of)[:60]!r}") from None


def _has_table(wh, name: str) -> bool:
    con = getattr(wh, "_con", None)
    if con is None:
        return wh.has_table(name)
    # Ibis 12's list_tables fails on DuckDB 2.0 (and leaves the connection busy): ask DuckDB directly
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(found[0][0])


def _timed_tables(wh):
    return [(name, spec.time_column) for name, spec in CONTRACT.items() if spec.time_column and _has_table(wh, name)]


def freshness(source, as_of=None) -> pd.DataFrame:
    """One row per contract table: ``rows``, ``latest_at`` and ``days_behind`` ``as_of``.

    ``as_of`` defaults to the latest timestamp over all tables. Tables with no
    time column get ``latest_at`` missing.
    """
    wh = connect(source)
    records = []
    for name, spec in CONTRACT.items():
        if not _has_table(wh, name):
            continue
        t = wh.table(name)
        if spec.time_column:
            agg = wh.execute(t.aggregate(rows=t.count(), latest_at=t[spec.time_column].max()), output="pandas")
            rows, latest = int(agg["rows"].iloc[0]), agg["latest_at"].iloc[0]
        else:
            rows, latest = int(wh.execute(t.count())), None
        records.append({"table": name, "rows": rows, "time_column": spec.time_column,
                        "latest_at": pd.Timestamp(latest) if latest is not None and not pd.isna(latest) else pd.NaT})
    out = pd.DataFrame(records, columns=["table", "rows", "time_column", "latest_at"])
    out["latest_at"] = pd.to_datetime(out["latest_at"])
    ref = parse_as_of(as_of)
    ref_ts = pd.Timestamp(ref) if ref else out["latest_at"].max()
    behind = (ref_ts.normalize() - out["latest_at"].dt.normalize()).dt.days
    out["days_behind"] = behind.astype("Int64")
    return out


def daily_volumes(source, days: int = 90, as_of=None) -> pd.DataFrame:
    """Rows per UTC day per contract table over the ``days`` days ending ``as_of`` (inclusive).

    Tidy: ``table``, ``day``, ``rows``; days without rows are filled with 0.
    """
    if int(days) < 1:
        raise ConfigError(f"days must be at least 1, got {days}")
    import ibis

    wh = connect(source)
    end = parse_as_of(as_of) or freshness(wh)["latest_at"].max().date()
    start = end - dt.timedelta(days=int(days) - 1)
    lo, hi = ibis.literal(start), ibis.literal(end + dt.timedelta(days=1))
    frames = []
    for name, column in _timed_tables(wh):
        t = wh.table(name)
        col = t[column]
        window = t.filter((col >= lo.cast(col.type())) & (col < hi.cast(col.type())))
        expr = window.group_by(day=window[column].cast("date")).aggregate(rows=window.count())
        got = wh.execute(expr, output="pandas")
        full = pd.DataFrame({"day": pd.date_range(start, end, freq="D")})
        got["day"] = pd.to_datetime(got["day"])
        merged = full.merge(got, on="day", how="left").fillna({"rows": 0})
        merged.insert(0, "table", name)
        frames.append(merged)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["table", "day", "rows"])
    out["rows"] = out["rows"].astype("int64")
    return out


def _meta(source, name: str, columns: list[str]) -> pd.DataFrame:
    wh = connect(source)
    if not _has_table(wh, name):
        return pd.DataFrame(columns=columns)
    return wh.execute(wh.table(name), output="pandas")


def quarantine_summary(source) -> pd.DataFrame:
    """Rows the build quarantined, per table, source file, check and column (from ``meta_quarantine_summary``)."""
    out = _meta(source, "meta_quarantine_summary", QUARANTINE_COLUMNS)
    return out.sort_values(["table_name", "rows"], ascending=[True, False], ignore_index=True) if len(out) else out


def loads(source) -> pd.DataFrame:
    """One row per loaded source file: rows read, loaded and quarantined (from ``meta_loads``)."""
    return _meta(source, "meta_loads", LOAD_COLUMNS)


def build_info(source) -> pd.DataFrame:
    """When and by which cmokit version the warehouse was built (from ``meta_build``)."""
    return _meta(source, "meta_build", ["built_at", "cmokit_version", "now"])


__all__ = ["build_info", "daily_volumes", "freshness", "loads", "parse_as_of", "quarantine_summary"]
