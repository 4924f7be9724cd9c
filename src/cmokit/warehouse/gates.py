"""Publish gates: a new build replaces the published warehouse only when it is plausible.

Before publishing, the build compares the new tables with declared thresholds
and with the last published build:

* ``quarantine_share`` -- per table, rows quarantined as errors / rows read is at
  most ``max_quarantine_share`` (default 5 %);
* ``nulled_values`` -- per table and optional column, rows loaded with that value
  set to null (it failed its check: an unknown country, an orphan campaign) are at
  most ``max_nulled_share`` of rows read (default 5 %): one bad optional value
  never costs the row, a whole column changing format refuses the publish;
* ``required_not_empty`` -- every required table (customers, orders) has rows;
* ``row_count_drop`` -- per table, rows do not fall by more than ``max_row_drop``
  (default 20 %) against the last published warehouse;
* ``contract`` -- the contract checks pass (this gate cannot be accepted: a
  warehouse breaking its contract makes every report wrong).

A failed gate raises :class:`GateError` (exit status 1 on the command line) and
publishes nothing. ``accept=("row_count_drop",)`` (``--accept GATE``, or
``GATE:TABLE`` for one table) is an operator's knowing override; it is recorded
in ``meta_build.accepted_gates`` and every gate's numbers in ``meta_gates``.

>>> g = Gates(max_quarantine_share={"touchpoints": 0.1}, accept=("row_count_drop:orders",))
>>> g.share_limit("touchpoints"), g.share_limit("orders"), g.accepts("row_count_drop", "orders")
(0.1, 0.05, True)
>>> Gates(accept=("contract",))
Traceback (most recent call last):
...
cmokit.errors.ConfigError: --accept contract is not allowed: a warehouse that breaks its contract makes every report wrong; fix the export (see the quarantine) and rebuild
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmokit.errors import BuildError, ConfigError

GATES = ("quarantine_share", "nulled_values", "required_not_empty", "row_count_drop", "contract")
DEFAULT_MAX_QUARANTINE_SHARE = 0.05
DEFAULT_MAX_NULLED_SHARE = 0.05
DEFAULT_MAX_ROW_DROP = 0.20
REQUIRED_TABLES = ("customers", "orders")
GATE_COLUMNS = ["gate", "table_name", "value", "threshold", "passed", "accepted", "detail"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Gates:
    """Thresholds of the publish gates and the gates an operator accepts.

    ``max_quarantine_share`` and ``max_row_drop`` are a fraction for every table or a
    dict ``{table: fraction}`` (tables not named keep the default).
    """

    max_quarantine_share: float | dict = DEFAULT_MAX_QUARANTINE_SHARE
    max_nulled_share: float | dict = DEFAULT_MAX_NULLED_SHARE
    max_row_drop: float | dict = DEFAULT_MAX_ROW_DROP
    required: tuple[str, ...] = REQUIRED_TABLES
    accept: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "accept", tuple(self.accept or ()))
        for item in self.accept:
            gate = item.split(":", 1)[0]
            if gate == "contract":
                raise ConfigError("--accept contract is not allowed: a warehouse that breaks its contract makes "
                                  "every report wrong; fix the export (see the quarantine) and rebuild")
            if gate not in GATES:
                raise ConfigError(f"--accept {item!r}: unknown gate {gate!r}; gates are {', '.join(GATES[:-1])} "
                                  "(optionally GATE:TABLE)")
        for name in ("max_quarantine_share", "max_nulled_share", "max_row_drop"):
            value = getattr(self, name)
            for v in (value.values() if isinstance(value, dict) else [value]):
                if not 0 <= float(v) <= 1:
                    raise ConfigError(f"{name} must be a fraction between 0 and 1, got {v!r}")

    @staticmethod
    def _limit(value, table: str, default: float) -> float:
        if isinstance(value, dict):
            return float(value.get(table, default))
        return float(value)

    def share_limit(self, table: str) -> float:
        return self._limit(self.max_quarantine_share, table, DEFAULT_MAX_QUARANTINE_SHARE)

    def nulled_limit(self, table: str) -> float:
        return self._limit(self.max_nulled_share, table, DEFAULT_MAX_NULLED_SHARE)

    def drop_limit(self, table: str) -> float:
        return self._limit(self.max_row_drop, table, DEFAULT_MAX_ROW_DROP)

    def accepts(self, gate: str, table: str | None) -> bool:
        return gate in self.accept or (table is not None and f"{gate}:{table}" in self.accept)


class GateError(BuildError):
    """A publish gate refused the build; ``gates`` holds every gate's numbers (pandas)."""

    def __init__(self, message: str, gates=None, reasons=None):
        super().__init__(message)
        self.gates = gates
        self.reasons = reasons


def previous_counts(out: Path) -> dict[str, int] | None:
    """Row counts of the contract tables in the published warehouse ``out`` (None: nothing published)."""
    import duckdb

    from cmokit.warehouse.contract import CONTRACT

    if not Path(out).exists():
        return None
    try:
        con = duckdb.connect(str(out), read_only=True)
    except duckdb.Error as exc:  # unreadable: nothing to compare with (the other gates still apply)
        import logging

        logging.getLogger(__name__).warning("row_count_drop gate skipped: cannot read the published warehouse %s (%s)",
                                            out, str(exc).splitlines()[0])
        return None
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0] for t in CONTRACT if t in present}
    finally:
        con.close()


def top_reasons(con, tables, n: int = 3):
    """The ``n`` most frequent quarantine reasons per table (pandas), from the build's quarantine tables."""
    import pandas as pd

    parts = [f"SELECT '{t}' AS table_name, check_name, column_name, severity, outcome, count(*) AS rows "
             f"FROM {_q('quarantine_' + t)} GROUP BY ALL" for t in tables]
    if not parts:
        return pd.DataFrame(columns=["table_name", "check_name", "column_name", "severity", "outcome", "rows"])
    return con.execute(
        f"SELECT * EXCLUDE (_rk) FROM (SELECT *, row_number() OVER (PARTITION BY table_name ORDER BY rows DESC, "
        f"check_name, column_name) AS _rk FROM ({' UNION ALL '.join(parts)})) WHERE _rk <= $n "
        "ORDER BY table_name, rows DESC, check_name, column_name", {"n": n}).df()


def evaluate(con, files, tables: dict[str, int], previous: dict[str, int] | None, checks, gates: Gates):
    """Every gate's numbers for the build on ``con`` (pandas, :data:`GATE_COLUMNS`)."""
    import pandas as pd

    rows = []

    def add(gate, table, value, threshold, passed, detail):
        accepted = (not passed) and gates.accepts(gate, table)
        rows.append(dict(gate=gate, table_name=table, value=float(value), threshold=float(threshold),
                         passed=bool(passed), accepted=bool(accepted), detail=detail))

    read: dict[str, int] = {}
    for f in files:
        read[f.table_name] = read.get(f.table_name, 0) + f.rows_read
    for table, n_read in read.items():
        errors = con.execute(f"SELECT count(*) FROM {_q('quarantine_' + table)} WHERE severity = 'error' "
                             "AND outcome = 'quarantined'").fetchone()[0]
        share = errors / n_read if n_read else 0.0
        limit = gates.share_limit(table)
        add("quarantine_share", table, share, limit, share <= limit,
            f"{errors:,} of {n_read:,} rows read quarantined as errors ({share:.1%}; gate {limit:.1%})")
        nulled = con.execute(f"SELECT column_name, count(*) AS n FROM {_q('quarantine_' + table)} "
                             "WHERE outcome = 'loaded_with_null' GROUP BY ALL ORDER BY n DESC, column_name").fetchall()
        limit = gates.nulled_limit(table)
        for column, n in nulled:
            share = n / n_read if n_read else 0.0
            if share > limit or column == nulled[0][0]:  # the worst column always, others when over
                add("nulled_values", table, share, limit, share <= limit,
                    f"{n:,} of {n_read:,} rows loaded with {column} set to null ({share:.1%}; gate {limit:.1%})")
    for table in gates.required:
        n = tables.get(table, 0)
        add("required_not_empty", table, n, 1, n > 0, f"{n:,} rows loaded (a required table must not be empty)")
    for table, before in (previous or {}).items():
        if not before:
            continue
        now = tables.get(table, 0)
        drop = (before - now) / before
        limit = gates.drop_limit(table)
        add("row_count_drop", table, drop, limit, drop <= limit,
            f"{before:,} rows published before, {now:,} now ({-drop:+.1%}; gate -{limit:.0%})")
    bad = checks[(checks.severity == "error") & (checks.failing_rows > 0)]
    detail = "all error-severity contract checks pass"
    if len(bad):
        first = bad.iloc[0]
        detail = (f"{len(bad)} failing; first {first.table}.{first.column} {first.check} "
                  f"({first.failing_rows} rows, e.g. {first.example})")
    rows.append(dict(gate="contract", table_name=None, value=float(len(bad)), threshold=0.0, passed=not len(bad),
                     accepted=False, detail=detail))
    return pd.DataFrame(rows, columns=GATE_COLUMNS)


def refusal(result, reasons) -> GateError | None:
    """The :class:`GateError` for failed, unaccepted gates in ``result`` (None when the build may publish)."""
    failed = result[~result.passed & ~result.accepted]
    if not len(failed):
        return None
    lines = []
    for g in failed.itertuples():
        where = f" {g.table_name}" if g.table_name else ""
        lines.append(f"  - {g.gate}{where}: {g.detail}")
        if g.table_name is not None and reasons is not None and len(reasons):
            top = reasons[reasons.table_name == g.table_name]
            if len(top):
                lines.append("      top reasons: " + "; ".join(
                    f"{r.check_name} {r.column_name} ({r.rows:,})" for r in top.itertuples()))
    names = sorted({g.gate for g in failed.itertuples() if g.gate != "contract"})
    hint = (f"\nTo publish anyway, knowing why, rerun with {' '.join('--accept ' + n for n in names)} "
            "(recorded in meta_build)." if names else "")
    return GateError(f"{len(failed)} publish gate(s) failed; nothing was published and the last published "
                     f"warehouse, its quarantine and reports are unchanged:\n" + "\n".join(lines) + hint,
                     gates=result, reasons=reasons)


def write(con, result) -> None:
    """Store the gates' numbers in ``meta_gates`` of the warehouse being built."""
    import pyarrow as pa

    table = pa.Table.from_pandas(result, preserve_index=False)
    con.register("gates_arrow", table)
    con.execute("CREATE TABLE meta_gates AS SELECT * FROM gates_arrow")
    con.unregister("gates_arrow")


def warehouse_checks(con) -> list[dict]:
    """Check rows (the :func:`cmokit.warehouse.checks.check` layout) for a published warehouse:
    required tables not empty, and each table's error-quarantine share within its gate
    (the gate recorded by the build; an accepted gate reports as a warning)."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    rows = []
    for t in REQUIRED_TABLES:
        if t in present:
            n = con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0]
            rows.append(dict(table=t, check="not_empty", column=None, severity="error", failing_rows=int(n == 0),
                             example="0 rows" if n == 0 else None, description=f"{t} (a required table) has rows"))
    if not {"meta_loads", "meta_quarantine_summary"} <= present:
        return rows
    limits, accepted = {}, set()
    if "meta_gates" in present:
        for table, thr, acc in con.execute("SELECT table_name, threshold, accepted FROM meta_gates "
                                           "WHERE gate = 'quarantine_share'").fetchall():
            limits[table] = thr
            if acc:
                accepted.add(table)
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'meta_quarantine_summary'").fetchall()}
    where = " AND ".join(w for c, w in (("severity", "severity = 'error'"), ("outcome", "outcome = 'quarantined'"))
                         if c in cols) or "TRUE"  # older warehouses lack one or both columns
    errors = dict(con.execute(f"SELECT table_name, sum(rows) FROM meta_quarantine_summary WHERE {where} "
                              "GROUP BY ALL").fetchall())
    for table, n_read in con.execute("SELECT table_name, sum(rows_read) FROM meta_loads GROUP BY ALL "
                                     "ORDER BY ALL").fetchall():
        n_err = int(errors.get(table, 0) or 0)
        share = n_err / n_read if n_read else 0.0
        limit = float(limits.get(table, DEFAULT_MAX_QUARANTINE_SHARE))
        over = share > limit
        rows.append(dict(table=table, check="quarantine_share", column=None,
                         severity="warning" if table in accepted else "error", failing_rows=n_err if over else 0,
                         example=f"{n_err:,} of {int(n_read):,} rows ({share:.1%}; gate {limit:.1%})" if over else None,
                         description=f"{table}: rows quarantined as errors are at most {limit:.1%} of rows read"))
    return rows


__all__ = ["DEFAULT_MAX_NULLED_SHARE", "DEFAULT_MAX_QUARANTINE_SHARE", "DEFAULT_MAX_ROW_DROP", "GATES", "GateError", "Gates", "REQUIRED_TABLES",
           "evaluate", "previous_counts", "refusal", "top_reasons", "warehouse_checks", "write"]
