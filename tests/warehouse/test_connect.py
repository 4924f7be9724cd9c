"""cmokit.connect: read-only, concurrent readers, frames and backends."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import polars as pl
import pytest

import cmokit
from cmokit.errors import ConfigError, ReadOnlyError


def test_tables_are_ibis_tables(warehouse):
    import ibis

    assert isinstance(warehouse.orders, ibis.expr.types.Table)
    assert warehouse.engine == "duckdb"
    assert set(warehouse.orders.columns) == {"order_id", "customer_id", "ordered_at", "revenue", "campaign_id", "region"}


def test_write_fails_with_clear_message(warehouse):
    with pytest.raises(ReadOnlyError, match="read-only"):
        warehouse.sql("DELETE FROM orders")


def test_values_are_bound(warehouse):
    evil = "x'; DROP TABLE orders; --"
    out = warehouse.sql("SELECT count(*) AS n FROM orders WHERE order_id = $id", {"id": evil})
    assert out.n.iloc[0] == 0
    assert warehouse.execute(warehouse.orders.count()) > 0


def test_several_processes_read_at_once(warehouse_path):
    code = ("import cmokit,sys; wh=cmokit.connect(sys.argv[1]); print(wh.execute(wh.orders.count()))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(warehouse_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    counts = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(counts) == 1 and int(counts.pop()) > 0


def test_polars_output_and_frame_inputs(warehouse):
    pl_wh = cmokit.connect(warehouse.path, output="polars")
    assert isinstance(pl_wh.execute(pl_wh.campaigns), pl.DataFrame)
    frame = warehouse.execute(warehouse.orders.limit(50))
    res = cmokit.warehouse.resolve(pl.from_pandas(frame), "orders")
    assert res.kind == "polars"
    assert res.execute(res.table("orders").count()) == 50
    res = cmokit.warehouse.resolve(frame, "orders")
    assert isinstance(res.execute(res.table("orders")), pd.DataFrame)


def test_existing_ibis_backend_is_accepted():
    import ibis

    con = ibis.duckdb.connect()
    con.create_table("orders", ibis.memtable(pd.DataFrame({"order_id": ["a"], "revenue": [1.0]})))
    wh = cmokit.connect(con)
    assert wh.execute(wh.orders.count()) == 1


def test_missing_file_says_how_to_build(tmp_path):
    with pytest.raises(ConfigError, match="cmokit warehouse build"):
        cmokit.connect(tmp_path / "nope.duckdb")


def test_snapshot_has_rows_latest_and_hash(warehouse):
    snap = warehouse.snapshot()
    assert snap["tables"]["orders"]["rows"] > 0 and snap["tables"]["orders"]["latest"].startswith("2025-12")
    assert len(snap["sha256"]) == 64


def test_import_is_light():
    code = "import sys, cmokit; print(any(m in sys.modules for m in ('ibis', 'sklearn', 'plotly', 'papermill', 'duckdb')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_arrow_frames_are_accepted(warehouse):
    import pyarrow as pa

    frame = warehouse.execute(warehouse.orders.limit(20))
    wh = cmokit.connect({"orders": pa.Table.from_pandas(frame, preserve_index=False)})
    assert wh.execute(wh.orders.count()) == 20
    assert float(wh.execute(wh.orders.revenue.sum())) == pytest.approx(float(frame.revenue.sum()))
    res = cmokit.warehouse.resolve(pa.Table.from_pandas(frame, preserve_index=False), "orders")
    assert res.execute(res.table("orders").count()) == 20
