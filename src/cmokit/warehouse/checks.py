"""Contract checks on a published warehouse (or frames shaped like it).

Every check comes from the contract (:mod:`cmokit.warehouse.contract`):
tables and columns present, values of the contract types, keys unique and not
null, required columns not null, accepted values, lower bounds, invariants and
foreign keys. Columns stored with another type (a pandas column of only nulls
arrives as INTEGER) are cast to the contract type first, so the other checks
always run; values that do not cast fail ``column_types``. The result is
a tidy table -- one row per check -- with the number of failing rows and an
example; :func:`check` raises :class:`~cmokit.errors.ContractError` only when
asked to and an error-severity check fails.

>>> import pandas as pd, cmokit
>>> campaigns = pd.DataFrame({"campaign_id": ["a", "a"], "campaign_name": ["A", "A2"],
...     "channel": ["email", "carrier_pigeon"], "starts_on": pd.to_datetime(["2024-01-01"] * 2),
...     "ends_on": pd.to_datetime(["2024-02-01"] * 2), "budget": [10.0, None]})
>>> res = check(cmokit.connect({"campaigns": campaigns}), tables=["campaigns"])
>>> res[res.failing_rows > 0][["check", "column", "failing_rows"]].to_string(index=False)
'       check      column  failing_rows\\n  key_unique campaign_id             2\\naccepted_values     channel             1'
"""

from __future__ import annotations

import datetime as dt

from cmokit.errors import ConfigError, ContractError
from cmokit.warehouse.contract import CONTRACT, TableSpec

COLUMNS = ["table", "check", "column", "severity", "failing_rows", "example", "description"]


def _q(name: str) -> str:
    """Quote an identifier from the contract (never a user value)."""
    return '"' + name.replace('"', '""') + '"'


def _accepted_text(col) -> str:
    if len(col.accepted) > 12:
        return f"{col.name} is one of {len(col.accepted)} accepted values (e.g. {', '.join(col.accepted[:3])})"
    return f"{col.name} is one of {', '.join(col.accepted)}"


def _same_type(stored: str, contract: str) -> bool:
    return stored.upper().replace(" ", "") == contract.upper().replace(" ", "")


def _casts(con, spec: TableSpec) -> dict[str, str]:
    """Contract columns of ``spec`` stored with another type: name -> contract type."""
    stored = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {_q(spec.name)})").fetchall())
    return {c.name: c.type for c in spec.columns if c.name in stored and not _same_type(stored[c.name], c.type)}


def _relation(con, spec: TableSpec, casts: dict[str, str] | None = None) -> str:
    """``spec``'s table as SQL with every contract column of its contract type (TRY_CAST where needed)."""
    casts = _casts(con, spec) if casts is None else casts
    if not casts:
        return _q(spec.name)
    cast = ", ".join(f"TRY_CAST({_q(n)} AS {t}) AS {_q(n)}" for n, t in casts.items())
    return f"(SELECT * REPLACE ({cast}) FROM {_q(spec.name)}) AS {_q(spec.name)}"


def _example(con, rel: str, where: str, params: dict, key: tuple[str, ...], column: str | None) -> str | None:
    cols = list(dict.fromkeys([*key, *([column] if column else [])]))
    sel = ", ".join(_q(c) for c in cols)
    row = con.execute(f"SELECT {sel} FROM {rel} WHERE {where} LIMIT 1", params).fetchone()
    if row is None:
        return None
    return ", ".join(f"{c}={v!s}" for c, v in zip(cols, row))


def partial_checks(con, spec: TableSpec) -> list[dict]:
    """The row checks of ``spec`` over the columns the table has (a frame handed to a
    routine): no columns_present, foreign key or clock checks; checks on absent columns skipped."""
    return _table_checks(con, spec, set(), None, partial=True)


def _present_only(spec: TableSpec, cols: set[str]) -> TableSpec:
    """``spec`` narrowed to the columns a frame has (partial key = no key checks; no clock or FK checks)."""
    import re
    from dataclasses import replace

    names = set(spec.column_names)

    def usable(inv) -> bool:
        used = set(re.findall(r"[a-z_]+", inv.sql)) & names
        return "$now" not in inv.sql and used <= cols

    return replace(spec, key=spec.key if set(spec.key) <= cols else (),
                   columns=tuple(c for c in spec.columns if c.name in cols),
                   invariants=tuple(i for i in spec.invariants if usable(i)), foreign_keys=())


def _table_checks(con, spec: TableSpec, present: set[str], now: dt.datetime | None, *,
                  partial: bool = False) -> list[dict]:
    rows: list[dict] = []
    t = spec.name
    rel = _q(t)

    def add(check, column, severity, where, description, params=None, count_sql=None):
        params = params or {}
        if count_sql is None:
            count_sql = f"SELECT count(*) FROM {rel} WHERE {where}"
        n = con.execute(count_sql, params).fetchone()[0]
        ex_col = column if column in spec.column_names else None
        ex = _example(con, rel, where, params, spec.key, ex_col) if n else None
        rows.append(dict(table=t, check=check, column=column, severity=severity, failing_rows=int(n),
                         example=ex, description=description))

    cols = {r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {_q(t)})").fetchall()}
    missing = [c for c in spec.column_names if c not in cols]
    if partial:
        spec = _present_only(spec, cols)
        missing = []
    else:
        rows.append(dict(table=t, check="columns_present", column=", ".join(missing) or None, severity="error",
                         failing_rows=len(missing), example=None,
                         description=f"{t} has every contract column"))
    if missing:
        return rows
    casts = _casts(con, spec)
    bad = {n: f"({_q(n)} IS NOT NULL AND TRY_CAST({_q(n)} AS {ty}) IS NULL)" for n, ty in casts.items()}
    counts = con.execute(f"SELECT {', '.join(f'count(*) FILTER (WHERE {w})' for w in bad.values())} "
                         f"FROM {rel}").fetchone() if bad else ()
    wrong = [n for n, k in zip(bad, counts) if k]
    add("column_types", ", ".join(wrong) or None, "error", " OR ".join(bad[n] for n in wrong) or "FALSE",
        f"{t} values have the contract types")
    rel = _relation(con, spec, casts)  # every later check sees contract types (uncastable values as NULL)
    if spec.key:
        key = ", ".join(_q(k) for k in spec.key)
        key_null = " OR ".join(f"{_q(k)} IS NULL" for k in spec.key)
        add("key_not_null", ", ".join(spec.key), "error", key_null, f"{t} key ({', '.join(spec.key)}) is never null")
        dup_where = f"({key}) IN (SELECT ({key}) FROM {rel} GROUP BY {key} HAVING count(*) > 1)"
        # a key that rises strictly in the order the rows are read is unique: one streaming pass (a
        # published table is usually stored in key order) instead of grouping every key
        rising = len(spec.key) == 1 and not con.execute(
            f"SELECT count(*) FROM (SELECT {key} AS k, lag({key}) OVER () AS p FROM {rel} WHERE {key} IS NOT NULL) "
            "WHERE p >= k").fetchone()[0]
        add("key_unique", ", ".join(spec.key), "error", dup_where, f"{t} has {spec.grain}: the key is unique",
            count_sql="SELECT 0" if rising else None)
    for col in spec.columns:
        c = _q(col.name)
        if not col.nullable and col.name not in spec.key:
            add("not_null", col.name, "error", f"{c} IS NULL", f"{col.name} is required")
        if col.accepted is not None:
            add("accepted_values", col.name, "error", f"{c} IS NOT NULL AND {c} NOT IN (SELECT unnest($accepted))",
                _accepted_text(col), {"accepted": list(col.accepted)})
        if col.minimum is not None:
            add("minimum", col.name, "error", f"{c} < $minimum", f"{col.name} >= {col.minimum:g}",
                {"minimum": col.minimum})
    for inv in spec.invariants:
        params = {"now": now} if "$now" in inv.sql else {}
        add(inv.name, inv.column, inv.severity, f"NOT ({inv.sql})", inv.description, params)
    for fk in spec.foreign_keys:
        if fk.table not in present:
            continue
        where = (f"{_q(fk.column)} IS NOT NULL AND {_q(fk.column)} NOT IN "
                 f"(SELECT {_q(fk.target)} FROM {_relation(con, CONTRACT[fk.table])} WHERE {_q(fk.target)} IS NOT NULL)")
        add("foreign_key", fk.column, "error", where, f"{fk.column} exists in {fk.table}.{fk.target}")
    return rows


def run_checks(con, tables=None, now: dt.datetime | None = None, required=("customers", "orders")):
    """Contract checks over a DuckDB connection; returns the tidy result (pandas)."""
    import pandas as pd

    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    names = list(tables) if tables is not None else list(CONTRACT)
    rows: list[dict] = []
    for name in names:
        spec = CONTRACT[name]
        if name not in present:
            sev = "error" if (tables is None and name in required) or tables is not None else "warning"
            rows.append(dict(table=name, check="table_present", column=None, severity=sev, failing_rows=1,
                             example=None, description=f"{name} is in the warehouse"))
            continue
        rows.extend(_table_checks(con, spec, present, now))
    return pd.DataFrame(rows, columns=COLUMNS)


def check(source, tables=None, now: dt.datetime | None = None, raise_on_error: bool = False):
    """Run every contract check; returns a DataFrame (table, check, column,
    severity, failing_rows, example, description), one row per check.

    ``raise_on_error=True`` raises :class:`ContractError` (carrying the
    failures) when an error-severity check fails.
    """
    import pandas as pd

    from cmokit.warehouse.connect import connect

    wh = connect(source)
    con = getattr(wh, "_con", None)
    if con is None:
        raise ConfigError("contract checks run on DuckDB warehouses; export Spark tables with cmokit first")
    result = run_checks(con, tables=tables, now=now)
    same = _same_build(con, wh.path) if wh.path and tables is None else None
    extra = [same] if same is not None else []
    if tables is None and wh.path:  # the publish gates a built warehouse file must still meet
        from cmokit.warehouse.gates import warehouse_checks

        extra += warehouse_checks(con)
    if extra:
        result = pd.concat([result, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    if raise_on_error:
        bad = result[(result.severity == "error") & (result.failing_rows > 0)]
        if len(bad):
            first = bad.iloc[0]
            raise ContractError(
                f"{len(bad)} contract check(s) failed; first: {first.table}.{first.column} {first.check} "
                f"({first.failing_rows} rows, e.g. {first.example}). Fix the source export and rebuild.",
                table=first.table, failures=bad.reset_index(drop=True))
    return result


def _build_id(con) -> str | None:
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'meta_build'").fetchall()}
    return con.execute("SELECT any_value(build_id) FROM meta_build").fetchone()[0] if "build_id" in cols else None


def _same_build(con, path) -> dict | None:
    """Check row: the IT-side quarantine beside warehouse ``path`` is from the warehouse's build.

    None when there is nothing to compare: no quarantine beside the warehouse (marketing's copy)
    or a warehouse built before builds carried a ``build_id``.
    """
    import duckdb

    from cmokit.warehouse.files import quarantine_path

    qpath = quarantine_path(path)
    ours = _build_id(con)
    if ours is None or not qpath.exists():
        return None
    qcon = duckdb.connect(str(qpath), read_only=True)
    try:
        theirs = _build_id(qcon)
    finally:
        qcon.close()
    bad = theirs != ours
    return dict(table="meta_build", check="quarantine_same_build", column="build_id", severity="error",
                failing_rows=int(bad), example=f"warehouse {ours}, quarantine {theirs}" if bad else None,
                description=f"{qpath.name} is the quarantine of this build (else a build was interrupted "
                            "while publishing: rebuild)")


def failures(result):
    """Only the failing rows of a :func:`check` result."""
    return result[result.failing_rows > 0].reset_index(drop=True)
