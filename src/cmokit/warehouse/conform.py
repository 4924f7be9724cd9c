"""Frames handed to a routine are checked against the contract before any analysis runs.

``cmokit.connect({"orders": frame})`` (and every routine given a frame) loads the
frame into an in-memory DuckDB table, then:

* casts columns stored with another *kind* of type than the contract's (a date
  held as text, a time-zone-aware timestamp, which becomes naive UTC); numeric
  columns keep their stored precision. A value that does not cast is an error;
* turns float ``NaN`` into ``NULL`` (so "unknown revenue" is never a number);
* adds absent *optional* contract columns as typed ``NULL`` columns;
* runs the contract's row checks on the columns present — keys unique and not
  null, required values present, accepted values, lower bounds, row invariants —
  and raises :class:`~cmokit.errors.ContractError` naming the table, the check,
  the column and an example row when an error-severity check fails.

Absent *required* columns are left for the routine: each routine names the
columns it needs (:meth:`cmokit.warehouse.connect.Resolved.table`), so a frame
only has to carry what the routine uses. Foreign keys and checks against the
wall clock are the build's business, not a single frame's.

>>> import pandas as pd, cmokit
>>> orders = pd.DataFrame({"order_id": ["o1", "o1"], "customer_id": ["a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-02"]), "revenue": [1.0, 2.0]})
>>> cmokit.segments.rfm(cmokit.connect({"orders": orders}))
Traceback (most recent call last):
...
cmokit.errors.ContractError: orders: order_id is not unique (2 rows, e.g. order_id=o1); a frame passed to cmokit must have one row per order
"""

from __future__ import annotations

from cmokit.errors import ContractError
from cmokit.warehouse.contract import CONTRACT, TableSpec


#: Columns whose contract list is the warehouse's vocabulary, not a limit on analysis:
#: a frame may name its own channels (e.g. "A", "B" in a journey study).
OPEN_VOCABULARY = ("channel", "acquisition_channel")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def family(duck_type: str) -> str:
    """The kind of a DuckDB type: string, timestamp, timestamptz, date, numeric, boolean or other."""
    t = duck_type.upper()
    if "WITH TIME ZONE" in t or t == "TIMESTAMPTZ":
        return "timestamptz"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "timestamp"
    if t == "DATE":
        return "date"
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR"):
        return "string"
    if t in ("BOOLEAN", "BOOL"):
        return "boolean"
    if t.startswith(("DECIMAL", "NUMERIC")) or t in ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT",
                                                      "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT",
                                                      "UTINYINT", "UHUGEINT"):
        return "numeric"
    if t == '"NULL"' or t == "NULL":
        return "null"
    return "other"


def _stored(con, name: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {_q(name)})").fetchall())


def conform(con, spec: TableSpec) -> list[ContractError]:
    """Cast, clean and complete table ``spec.name`` in ``con`` in place (see the module doc).

    Returns the columns that could not be cast, as errors a routine raises on first use."""
    stored = _stored(con, spec.name)
    replace, add, problems = [], [], []
    for col in spec.columns:
        if col.name not in stored:
            if col.nullable:
                add.append(f"CAST(NULL AS {col.type}) AS {_q(col.name)}")
            continue
        have, want = family(stored[col.name]), family(col.type)
        c = _q(col.name)
        if have == want and have != "numeric":
            continue
        if have == "numeric" and want == "numeric":
            if stored[col.name].upper() in ("DOUBLE", "FLOAT", "REAL"):
                replace.append(f"CASE WHEN isnan({c}) THEN NULL ELSE {c} END AS {c}")
            continue
        if have == "timestamptz":
            expr = f"CAST({c} AT TIME ZONE 'UTC' AS {col.type})"
        elif have == "null":
            expr = f"CAST({c} AS {col.type})"
        else:
            bad = con.execute(f"SELECT {c} FROM {_q(spec.name)} WHERE {c} IS NOT NULL "
                              f"AND TRY_CAST({c} AS {col.type}) IS NULL LIMIT 1").fetchone()
            if bad is not None:  # leave the column as it is: check() reports it, a routine refuses it
                n = con.execute(f"SELECT count(*) FROM {_q(spec.name)} WHERE {c} IS NOT NULL "
                                f"AND TRY_CAST({c} AS {col.type}) IS NULL").fetchone()[0]
                problems.append(ContractError(
                    f"{spec.name}: column {col.name} is {stored[col.name]} but the contract needs {col.type}; "
                    f"{n} value(s) do not convert, e.g. {bad[0]!r}"
                    + (" (write timestamps as ISO 8601, e.g. 2025-12-31 23:59:00)" if want in ("timestamp", "date") else ""),
                    table=spec.name))
                continue
            expr = f"TRY_CAST({c} AS {col.type})"
        replace.append(f"{expr} AS {c}")
    if not replace and not add:
        return problems
    select = "*"
    if replace:
        select += f" REPLACE ({', '.join(replace)})"
    if add:
        select += ", " + ", ".join(add)
    con.execute(f"CREATE OR REPLACE TABLE {_q(spec.name)} AS SELECT {select} FROM {_q(spec.name)}")
    return problems


def validate(con, spec: TableSpec, problems=()) -> None:
    """Raise :class:`ContractError` for the first failing error-severity row check
    over the columns present (keys, required values, accepted values, minimums,
    invariants that do not read the clock)."""
    from cmokit.warehouse.checks import partial_checks

    for problem in problems:
        raise problem
    for row in partial_checks(con, spec):
        if row["severity"] != "error" or not row["failing_rows"]:
            continue
        if row["check"] == "accepted_values" and row["column"] in OPEN_VOCABULARY:
            continue
        what = {
            "key_not_null": f"{row['column']} is missing",
            "key_unique": f"{row['column']} is not unique",
            "not_null": f"{row['column']} is missing (null or NaN)",
            "accepted_values": f"{row['column']} has values outside the contract",
            "minimum": f"{row['column']} is below its minimum",
        }.get(row["check"], f"{row['column']} fails {row['check']}")
        hint = {
            "key_unique": f"; a frame passed to cmokit must have {spec.grain}",
            "accepted_values": f" ({row['description']})",
            "minimum": f" ({row['description']})",
            "not_null": "; drop or fill those rows first",
        }.get(row["check"], f" ({row['description']})" if row["check"] not in ("key_not_null",) else "")
        raise ContractError(f"{spec.name}: {what} ({row['failing_rows']} rows, e.g. {row['example']}){hint}",
                            table=spec.name)


def load_frames(con, frames: dict) -> dict[str, list]:
    """Register each frame of ``frames`` as a table of ``con``; contract tables are conformed.

    Returns the contract tables loaded, which :func:`validate` checks when a routine first reads them
    (``cmokit.warehouse.check`` reports the same problems as a table instead)."""
    loaded: dict[str, list] = {}
    from cmokit._frames import kind_of
    from cmokit.errors import ConfigError

    for name, frame in frames.items():
        kind = kind_of(frame)
        if kind is None:
            raise ConfigError(f"table {name!r}: expected a pandas, polars or Arrow frame, got {type(frame).__name__}")
        if kind == "polars" and hasattr(frame, "collect") and not hasattr(frame, "height"):
            frame = frame.collect()  # a LazyFrame
        con.register(f"__src_{name}", frame)
        con.execute(f"CREATE TABLE {_q(name)} AS SELECT * FROM {_q('__src_' + name)}")  # identifiers, not values
        con.unregister(f"__src_{name}")
        if name in CONTRACT:
            loaded[name] = conform(con, CONTRACT[name])
    return loaded
