"""Export the marketing warehouse as Parquet, for Spark and other engines.

``export_parquet(warehouse, out_dir)`` writes one folder per contract table
(``out_dir/orders/``, ``out_dir/customers/``, ...). Tables with a time column
(orders, touchpoints, marketing spend, experiment assignments, customers) are
Hive-partitioned by the UTC month of that column
(``out_dir/orders/partition_month=2024-03/data_0.parquet``), so an engine
reading a date range skips whole months. The partition column is not a
contract column: :func:`cmokit.connect` drops it when it reads the folder
back. Types stay as in the warehouse (``DECIMAL(18,2)`` money, UTC
``TIMESTAMP`` without zone, ``DATE``). The export reads through DuckDB, so
``memory_limit`` / ``temp_directory`` let it run out of core.

>>> import cmokit, pandas as pd, tempfile, pathlib
>>> from cmokit.warehouse.export import export_parquet
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-02-03"]), "revenue": [10.0, 5.0],
...     "campaign_id": [None, None]})
>>> out = pathlib.Path(tempfile.mkdtemp()) / "parquet"
>>> export_parquet(cmokit.connect({"orders": orders}), out)["orders"]
2
>>> sorted(p.name for p in (out / "orders").iterdir())
['partition_month=2024-01', 'partition_month=2024-02']
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cmokit.errors import ConfigError
from cmokit.warehouse.contract import CONTRACT

#: Name of the Hive partition column added to time-keyed tables.
PARTITION_COLUMN = "partition_month"


def export_parquet(source, out_dir, *, tables=None, overwrite: bool = False,
                   memory_limit: str | None = None, temp_directory: str | None = None,
                   threads: int | None = None) -> dict[str, int]:
    """Write the contract tables of a DuckDB warehouse as (partitioned) Parquet.

    Parameters
    ----------
    source
        A warehouse path or a DuckDB-backed :class:`cmokit.Warehouse`.
    out_dir
        Folder to write; one sub-folder per table.
    tables
        Contract table names to export (default: every one the warehouse has).
    overwrite
        Replace existing table folders (otherwise an existing folder is an error).
    memory_limit, temp_directory, threads
        DuckDB settings for exporting a warehouse larger than memory.

    Returns
    -------
    dict
        Rows written per table.
    """
    from cmokit.warehouse.connect import Warehouse, connect

    opened = not isinstance(source, Warehouse)
    wh = connect(source, memory_limit=memory_limit, temp_directory=temp_directory, threads=threads)
    if wh._con is None:
        raise ConfigError("export reads a DuckDB warehouse; pass its path")
    con = wh._con
    out = Path(out_dir)
    names = [n for n in (tables or CONTRACT) if wh.has_table(n)]
    unknown = [n for n in (tables or []) if n not in CONTRACT]
    if unknown:
        raise ConfigError(f"not contract tables: {', '.join(unknown)}")
    # Larger-than-memory exports: rows need not keep their order in the files.
    con.execute("SET preserve_insertion_order = false")
    written: dict[str, int] = {}
    for name in names:
        spec = CONTRACT[name]
        target = out / name
        if target.exists():
            if not overwrite:
                raise ConfigError(f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it")
            shutil.rmtree(target)
        target.mkdir(parents=True)
        rel = con.table(name)
        columns = [c.name for c in spec.columns]
        time_column = spec.time_column
        if time_column:
            # strftime over a contract column: a fixed expression, no user value reaches SQL.
            rel = rel.project(", ".join(f'"{c}"' for c in columns)
                              + f", strftime(\"{time_column}\", '%Y-%m') AS {PARTITION_COLUMN}")
            rel.write_parquet(str(target), partition_by=[PARTITION_COLUMN], overwrite=True)
        else:
            rel.project(", ".join(f'"{c}"' for c in columns)).write_parquet(str(target / "data_0.parquet"))
        written[name] = int(con.table(name).count("*").fetchone()[0])
    if opened:
        wh.close()
    return written
