"""Open the marketing warehouse as Ibis tables: the query layer of every routine.

``connect(path)`` opens the DuckDB file read-only; ``connect({"orders": df})``
wraps in-memory pandas / polars / Arrow frames shaped like contract tables;
``connect(backend)`` wraps an existing Ibis backend (DuckDB, PySpark, ...);
``connect(spark, tables=DIR)`` runs every routine on Spark over the Parquet
export (``cmokit warehouse export PATH --parquet DIR``), a mapping of table
name to Parquet/Delta path, or a Spark catalog database.

Analysis routines take a *source*: a :class:`Warehouse`, or a single frame
shaped like the contract table they need. :func:`resolve` turns either into
an Ibis table plus a function that returns results in the caller's frame kind
(pandas for a warehouse unless ``output="polars"``; the input's kind for a frame).

>>> import pandas as pd, cmokit
>>> orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
...     "ordered_at": pd.to_datetime(["2024-01-02"]), "revenue": [10.0],
...     "campaign_id": [None]})
>>> wh = cmokit.connect({"orders": orders})
>>> wh.execute(wh.orders.count())
1
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cmokit._frames import kind_of
from cmokit.errors import ConfigError, ContractError, ReadOnlyError
from cmokit.warehouse.contract import CONTRACT

#: Tables the build writes beside the contract tables (metadata, no personal data).
META_TABLES = ("meta_loads", "meta_quarantine_summary", "meta_build", "meta_gates")


def _ibis():
    import ibis

    return ibis


class Warehouse:
    """A read-only view of the marketing warehouse (or frames shaped like it).

    Contract tables are Ibis tables: ``wh.orders``, ``wh.table("orders")``.
    ``wh.execute(expr)`` runs an expression in the engine and returns a small
    result as pandas (or polars when ``output="polars"``).
    """

    def __init__(self, backend, *, output: str = "pandas", path: str | None = None,
                 tables: dict[str, str] | None = None, duckdb_connection=None, owns_backend: bool = True):
        if output not in ("pandas", "polars"):
            raise ConfigError(f"output must be 'pandas' or 'polars', not {output!r}")
        self.backend = backend
        self.output = output
        self.path = path
        self._tables = dict(tables or {})
        self._con = duckdb_connection
        self._owns_backend = owns_backend
        self._unchecked: dict[str, list] = {}  # contract tables from frames, validated on first use by a routine

    # -- tables -------------------------------------------------------------
    @property
    def engine(self) -> str:
        """Name of the Ibis backend (``duckdb``, ``pyspark``, ...)."""
        return self.backend.name

    def list_tables(self) -> list[str]:
        names = set(self.backend.list_tables())
        return sorted(n for n in set(self._tables) | names if n in CONTRACT or n in META_TABLES or n in self._tables)

    def has_table(self, name: str) -> bool:
        return name in self._tables or name in set(self.backend.list_tables())

    def table(self, name: str):
        """The Ibis table ``name`` (a contract table or a metadata table)."""
        real = self._tables.get(name, name)
        try:
            return self.backend.table(real)
        except Exception as exc:  # backend-specific "not found" errors
            from cmokit.errors import ContractError

            raise ContractError(
                f"table {name!r} is not in this warehouse ({self.path or self.engine}); "
                f"it has: {', '.join(self.list_tables()) or 'no tables'}. "
                "Build it with `cmokit warehouse build RAW_DIR --out PATH`.",
                table=name,
            ) from exc

    def __getattr__(self, name: str):
        if name in CONTRACT or name in META_TABLES:
            return self.table(name)
        raise AttributeError(name)

    # -- results ------------------------------------------------------------
    def execute(self, expr, output: str | None = None):
        """Run an Ibis expression; tables come back as pandas or polars."""
        return execute(expr, output or self.output)

    def sql(self, query: str, params: list | dict | None = None):
        """Run a read-only SQL query with bound parameters (DuckDB only).

        Values are bound, never formatted into the query. Writes raise
        :class:`ReadOnlyError`.
        """
        if self._con is None:
            raise ConfigError("raw SQL is available on DuckDB warehouses only; use Ibis expressions")
        import duckdb

        try:
            rel = self._con.execute(query, params or [])
            return rel.df() if self.output == "pandas" else rel.pl()
        except duckdb.Error as exc:
            if "read-only" in str(exc).lower():
                raise ReadOnlyError(
                    f"the marketing warehouse {self.path} is read-only for analysis; "
                    "write results to your own file (e.g. result.to_parquet(...)) "
                    "or rebuild the warehouse with `cmokit warehouse build`."
                ) from exc
            raise

    def snapshot(self) -> dict[str, Any]:
        """Provenance of this warehouse: rows per table, latest timestamp, content hash."""
        return snapshot(self)

    def close(self) -> None:
        if not self._owns_backend:  # e.g. the caller's Spark session: leave it running
            return
        try:
            self.backend.disconnect()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        where = self.path or "in-memory"
        return f"<cmokit.Warehouse {where} engine={self.engine} output={self.output}>"


def execute(expr, output: str = "pandas"):
    """Execute an Ibis expression, returning pandas / polars (scalars as Python)."""
    ibis = _ibis()
    if isinstance(expr, ibis.expr.types.Table):
        if output == "polars":
            return expr.to_polars()
        return expr.execute()
    return expr.execute()


def connect(source=None, *, output: str = "pandas", memory_limit: str | None = None,
            temp_directory: str | None = None, threads: int | None = None, tables=None) -> Warehouse:
    """Open the marketing warehouse.

    Parameters
    ----------
    source
        A path to the DuckDB warehouse file (opened read-only; several
        processes may read at once); a mapping of contract table name to a
        pandas / polars / Arrow frame; an existing Ibis backend; a Spark
        session (``pyspark.sql.SparkSession``, classic or Connect); or a
        :class:`Warehouse` (returned as is). ``None`` reads
        ``$CMOKIT_WAREHOUSE``.
    output
        ``"pandas"`` (default) or ``"polars"``: the frame kind results come back as.
    memory_limit, temp_directory, threads
        DuckDB settings for out-of-core work: ``memory_limit="2GB"`` caps
        DuckDB's memory and ``temp_directory`` is where it spills the rest,
        so routines finish on data larger than memory. Also read from
        ``$CMOKIT_MEMORY_LIMIT``, ``$CMOKIT_TEMP_DIRECTORY`` and
        ``$CMOKIT_THREADS`` when not given.
    tables
        Spark only: where the contract tables live. A folder (local or a
        ``scheme://`` URI) with one Parquet or Delta folder per table, as
        ``cmokit warehouse export --parquet`` writes; a mapping of table
        name to Parquet/Delta path; or the name of a Spark catalog database
        (``"marketing"`` or ``"catalog.marketing"``) holding tables named as
        in the contract. Each table is registered as a session temporary
        view with contract columns only; the session is left running on
        :meth:`Warehouse.close`.

    Examples
    --------
    Spark (needs ``pip install cmokit[spark]`` and Java)::

        spark = SparkSession.builder.getOrCreate()
        wh = cmokit.connect(spark, tables="s3://bucket/marketing_parquet")
        cmokit.segments.rfm(wh, as_of="2025-12-31")
    """
    if isinstance(source, Warehouse):
        return source
    if source is None:
        env = os.environ.get("CMOKIT_WAREHOUSE")
        if not env:
            raise ConfigError("no warehouse given: pass a path or set CMOKIT_WAREHOUSE")
        source = env
    ibis = _ibis()
    if _is_spark_session(source):
        backend = ibis.pyspark.connect(source)
        return Warehouse(backend, output=output, tables=_spark_tables(backend, tables), owns_backend=False)
    if tables is not None:
        if getattr(source, "name", None) != "pyspark":
            raise ConfigError("tables= locates contract tables for Spark; pass a SparkSession or Ibis PySpark backend")
        return Warehouse(source, output=output, tables=_spark_tables(source, tables), owns_backend=False)
    memory_limit = memory_limit or os.environ.get("CMOKIT_MEMORY_LIMIT") or None
    temp_directory = temp_directory or os.environ.get("CMOKIT_TEMP_DIRECTORY") or None
    threads = threads or os.environ.get("CMOKIT_THREADS") or None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ConfigError(
                f"warehouse file {path} does not exist; build one with "
                f"`cmokit warehouse build RAW_DIR --out {path}` (the sample: `make warehouse`)"
            )
        import duckdb

        config = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = str(temp_directory)
        if threads:
            config["threads"] = int(threads)
        # A fresh in-memory connection that ATTACHes the file read-only: DuckDB caches
        # database instances per path within a process, so a plain connect(path) after a
        # rebuild (e.g. in a Jupyter kernel) would return the pre-build snapshot.
        # The path is the operator's setting, quoted as a string literal (ATTACH takes no
        # bound parameters); no data value reaches SQL this way.
        con = duckdb.connect(":memory:", config=config)
        try:
            con.execute("ATTACH '" + str(path.resolve()).replace("'", "''") + "' AS warehouse (READ_ONLY)")
            con.execute("USE warehouse")
        except duckdb.Error as exc:
            con.close()
            raise ConfigError(f"cannot open warehouse file {path}: {exc}") from exc
        backend = ibis.duckdb.from_connection(con)
        return Warehouse(backend, output=output, path=str(path), duckdb_connection=con)
    if isinstance(source, dict):
        import duckdb

        from cmokit.warehouse.conform import load_frames

        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
        try:
            unchecked = load_frames(con, source)
        except Exception:
            con.close()
            raise
        backend = ibis.duckdb.from_connection(con)
        wh = Warehouse(backend, output=output, duckdb_connection=con)
        wh._unchecked = unchecked
        return wh
    if hasattr(source, "list_tables") and hasattr(source, "table"):
        return Warehouse(source, output=output)
    raise ConfigError(
        f"cannot connect to a {type(source).__name__}: pass a warehouse path, a dict of frames or an Ibis backend"
    )


def _is_spark_session(obj) -> bool:
    cls = type(obj)
    return cls.__name__ == "SparkSession" and cls.__module__.startswith("pyspark")


def _spark_tables(backend, tables) -> dict[str, str]:
    """Register the contract tables ``tables`` points at as temporary views; name -> view name."""
    session = backend._session
    if tables is None:
        return {}
    if isinstance(tables, dict):
        sources = {name: ("path", str(path)) for name, path in tables.items()}
    else:
        where = str(tables)
        local = Path(where)
        if "://" in where or local.is_dir():
            names = [n for n in CONTRACT if "://" in where or (local / n).is_dir()]
            sources = {n: ("path", f"{where.rstrip('/')}/{n}") for n in names}
        elif "/" not in where and os.sep not in where:
            sources = {n: ("catalog", f"{where}.{n}") for n in CONTRACT if session.catalog.tableExists(f"{where}.{n}")}
        else:
            raise ConfigError(f"tables={where!r}: no such folder (expected the Parquet export folder, "
                              "a mapping of table name to path, or a catalog database name)")
    if not sources:
        raise ConfigError(f"no contract tables found at {tables!r}; write them with "
                          "`cmokit warehouse export WAREHOUSE --parquet DIR`")
    token = hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest()[:10]
    views = {}
    for name, (kind, where) in sources.items():
        try:
            frame = _spark_read(session, kind, where)
        except Exception as exc:
            if isinstance(tables, dict) or "://" not in str(tables):
                raise ConfigError(f"cannot read table {name!r} from {where}: {exc}") from exc
            continue  # a remote export folder need not hold every contract table
        if name in CONTRACT:
            frame = frame.select(*[c.name for c in CONTRACT[name].columns if c.name in frame.columns])
        view = f"cmokit_{name}_{token}"
        frame.createOrReplaceTempView(view)
        views[name] = view
    return views


def _spark_read(session, kind: str, where: str):
    if kind == "catalog":
        return session.table(where)
    if Path(where, "_delta_log").is_dir() or where.rstrip("/").endswith(".delta"):
        return session.read.format("delta").load(where)
    return session.read.parquet(where)


@dataclass
class Resolved:
    """A routine's input as Ibis tables plus how to hand results back."""

    warehouse: Warehouse
    kind: str  # "pandas" | "polars" | "arrow"

    def table(self, name: str, columns=(), *, nonempty: bool = False):
        """Contract table ``name`` as an Ibis table, after checking that it has ``columns``.

        A table that came from a frame is checked against the contract the first time a
        routine reads it (keys, required values, accepted values, bounds): a
        :class:`~cmokit.errors.ContractError` names the table, column and an example row.
        ``nonempty=True`` also refuses a table without rows (for a routine whose result means
        nothing without them).

        >>> import pandas as pd
        >>> res = resolve(pd.DataFrame({"order_id": [], "customer_id": [], "ordered_at": [], "revenue": []}))
        >>> res.table("orders", ("customer_id", "revenue"), nonempty=True)
        Traceback (most recent call last):
        ...
        cmokit.errors.ContractError: orders is empty: this routine needs at least one row of orders
        """
        wh = self.warehouse
        if name in wh._unchecked:
            from cmokit.warehouse.conform import validate

            validate(wh._con, CONTRACT[name], wh._unchecked[name])
            del wh._unchecked[name]
        t = wh.table(name)
        missing = [c for c in columns if c not in t.columns]
        if missing:
            raise ContractError(
                f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(needed here); it has: {', '.join(t.columns) or 'no columns'}",
                table=name)
        if nonempty and int(wh.execute(t.limit(1).count())) == 0:
            raise ContractError(f"{name} is empty: this routine needs at least one row of {name}", table=name)
        return t

    def as_of(self, as_of=None, table: str = "orders", column: str = "ordered_at"):
        """The snapshot day (:func:`cmokit.engine.snapshot_day`) over ``table.column``."""
        from cmokit.engine import snapshot_day

        return snapshot_day(self.table(table, (column,)), as_of, column, what=table)

    def execute(self, expr):
        """Run ``expr``; a table comes back in the caller's frame kind."""
        out = self.warehouse.execute(expr, output="polars" if self.kind == "polars" else "pandas")
        return self.finish(out) if self.kind == "arrow" and hasattr(out, "columns") else out

    def finish(self, frame):
        """Convert a result frame to the caller's kind."""
        from cmokit._frames import to_kind

        return to_kind(frame, self.kind)


def resolve(source, table_name: str = "orders") -> Resolved:
    """Turn a routine's ``source`` into a :class:`Resolved`.

    ``source`` is a :class:`Warehouse`, a path, an Ibis backend, a dict of
    frames, or one pandas / polars / Arrow frame shaped like ``table_name``.
    """
    kind = kind_of(source)
    if kind is not None:
        wh = connect({table_name: source})
        return Resolved(wh, kind)
    if isinstance(source, dict):
        kinds = {kind_of(v) for v in source.values()}
        wh = connect(source)
        return Resolved(wh, kinds.pop() if len(kinds) == 1 else "pandas")
    wh = connect(source)
    return Resolved(wh, wh.output)


def snapshot(wh: Warehouse) -> dict[str, Any]:
    """Rows per contract table, latest timestamp, and a content hash of the file."""
    ibis = _ibis()
    tables: dict[str, Any] = {}
    for name, spec in CONTRACT.items():
        if not wh.has_table(name):
            continue
        t = wh.table(name)
        info: dict[str, Any] = {"rows": int(t.count().execute())}
        if spec.time_column:
            latest = t[spec.time_column].max().execute()
            info["latest"] = None if latest is None else str(latest)
        tables[name] = info
    out: dict[str, Any] = {"path": wh.path, "engine": wh.engine, "tables": tables}
    if wh.path:
        out["sha256"] = file_sha256(wh.path)
        out["modified_at"] = _mtime(wh.path)
    del ibis
    return out


def file_sha256(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def _mtime(path) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(os.path.getmtime(path), tz=dt.timezone.utc).isoformat(timespec="seconds")


Finisher = Callable[[Any], Any]
