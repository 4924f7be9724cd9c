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
    assert export_parquet(warehouse_path, exported, tables=["campaigns"], overwrite=True) == {"campaigns": 97}


def test_reopening_an_open_warehouse_with_other_settings_is_a_clear_error(warehouse_path):
    import cmokit

    wh = cmokit.connect(warehouse_path)
    try:
        with pytest.raises(ConfigError, match="already open in this process"):
            cmokit.connect(warehouse_path, memory_limit="1GB")
    finally:
        wh.close()
