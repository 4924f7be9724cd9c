"""Parquet export: every contract table round-trips exactly, partitioned by the month of its time column."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from cmokit.cli import main
from cmokit.errors import ConfigError
from cmokit.warehouse.contract import CONTRACT
from cmokit.warehouse.export import PARTITION_COLUMN, export_parquet


@pytest.fixture(scope="module")
def exported(warehouse_path, tmp_path_factory):
    # A private copy: the shared warehouse may already be open in this worker with default settings.
    private = tmp_path_factory.mktemp("export_source") / "warehouse.duckdb"
    shutil.copyfile(warehouse_path, private)
    out = tmp_path_factory.mktemp("export") / "parquet"
    assert main(["warehouse", "export", str(private), "--parquet", str(out), "--memory-limit", "1GB"]) == 0
    return out


def test_every_table_round_trips_row_for_row(warehouse_path, exported):
    con = duckdb.connect(str(warehouse_path), read_only=True)
    for name, spec in CONTRACT.items():
        columns = ", ".join(f'"{c.name}"' for c in spec.columns)
        back = con.execute(f"SELECT {columns} FROM read_parquet(?, hive_partitioning = true)",  # noqa: S608 contract names
                           [str(exported / name / "**" / "*.parquet")]).fetchall()
        original = con.execute(f"SELECT {columns} FROM {name}").fetchall()  # noqa: S608
        assert sorted(back, key=repr) == sorted(original, key=repr), name
        types = con.execute(f"DESCRIBE SELECT {columns} FROM read_parquet(?)",  # noqa: S608
                            [str(exported / name / "**" / "*.parquet")]).fetchall()
        assert [t[1] for t in types] == [c.type for c in spec.columns], name


def test_time_keyed_tables_are_partitioned_by_the_month_of_their_time_column(exported):
    con = duckdb.connect()
    for name, spec in CONTRACT.items():
        if not spec.time_column:
            assert not any(p.is_dir() for p in (exported / name).iterdir()), name
            continue
        wrong = con.execute(
            f"SELECT count(*) FROM read_parquet(?, hive_partitioning = true) "  # noqa: S608 contract names
            f"WHERE strftime(\"{spec.time_column}\", '%Y-%m') <> {PARTITION_COLUMN}",
            [str(exported / name / "**" / "*.parquet")]).fetchone()[0]
        assert wrong == 0, name
        months = con.execute(f"SELECT count(DISTINCT {PARTITION_COLUMN}) FROM read_parquet(?, hive_partitioning = true)",  # noqa: S608
                             [str(exported / name / "**" / "*.parquet")]).fetchone()[0]
        assert len(list((exported / name).glob(f"{PARTITION_COLUMN}=*"))) == months, name
    assert len(list((exported / "orders").glob(f"{PARTITION_COLUMN}=*"))) == 36  # 2023-01 .. 2025-12


def test_export_refuses_to_overwrite_unless_asked(warehouse_path, exported):
    with pytest.raises(ConfigError, match="overwrite"):
        export_parquet(warehouse_path, exported, tables=["campaigns"])
    # 97 national campaigns + the planted geo test's 3 regional ones (truth.json geo_test)
    assert export_parquet(warehouse_path, exported, tables=["campaigns"], overwrite=True) == {"campaigns": 100}


def test_reopening_an_open_warehouse_with_other_settings_works(warehouse_path):
    # Each connect is its own DuckDB instance attaching the file read-only, so a second
    # connection with other settings no longer collides with the first (it used to be refused).
    import cmokit

    wh = cmokit.connect(warehouse_path)
    try:
        other = cmokit.connect(warehouse_path, memory_limit="1GB")
        assert other.sql("SELECT current_setting('memory_limit') AS m").m[0].replace(" ", "") in ("1GB", "953.6MiB")
        assert other.execute(other.orders.count()) == wh.execute(wh.orders.count())
        other.close()
    finally:
        wh.close()


def test_connect_after_a_rebuild_reads_the_new_data(tmp_path):
    # A process (a Jupyter kernel) that still holds a connection must see a rebuilt file.
    import duckdb

    import cmokit

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders AS SELECT 'o1' AS order_id")
    con.close()
    first = cmokit.connect(path)
    assert first.execute(first.orders.count()) == 1
    new = tmp_path / "w.new.duckdb"
    con = duckdb.connect(str(new))
    con.execute("CREATE TABLE orders AS SELECT * FROM (VALUES ('o1'), ('o2')) t(order_id)")
    con.close()
    new.replace(path)
    second = cmokit.connect(path)
    assert second.execute(second.orders.count()) == 2
    first.close()
    second.close()
