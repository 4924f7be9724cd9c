"""What data a report needs, checked against the warehouse before any kernel starts.

A report declares the contract tables it reads and how many rows it needs, in
its ``reports.yml`` entry (or the notebook's metadata key ``needs`` under ``cmokit``)::

    - notebook: 70_media_mix
      needs:
        marketing_spend: 1          # at least one row
        orders.customer_id: 100     # at least 100 orders with a customer id (not guests)

A table missing from the warehouse, or with fewer rows than needed (an empty
``marketing_spend`` made the media-mix report show an ROI of 0 for every
channel), is an *unmet need*: the runner then writes a page saying what the
report needs and how to provide it (the ``sources.yml`` entry), and records the
status ``explained`` instead of running the notebook.

>>> needs = parse_needs({"orders": 1, "orders.customer_id": 100}, "10_customer_segments")
>>> [(n.table, n.column, n.min_rows) for n in needs]
[('orders', None, 1), ('orders', 'customer_id', 100)]
>>> parse_needs({"spend": 1}, "70_media_mix")
Traceback (most recent call last):
...
cmokit.errors.ConfigError: 70_media_mix: needs names 'spend', which is not a contract table; use one of customers, orders, refunds, campaigns, marketing_spend, touchpoints, experiments, experiment_assignments, lift_tests
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cmokit.errors import ConfigError
from cmokit.warehouse.contract import CONTRACT

#: Where the sources.yml schema is documented (shown on every explained page).
SOURCES_DOC = "docs/sources.md"


@dataclass(frozen=True)
class Need:
    """At least ``min_rows`` rows in contract table ``table`` (with ``column`` not null, when given)."""

    table: str
    column: str | None = None
    min_rows: int = 1

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    @property
    def rows(self) -> str:
        return "at least one row" if self.min_rows == 1 else f"at least {self.min_rows:,} rows"

    @property
    def what(self) -> str:
        """What the table holds, from the contract: description, grain, the column needed."""
        spec = CONTRACT[self.table]
        what = f"{spec.description.rstrip('.')}; {spec.grain}"
        if self.column:
            what += f"; rows with {self.column} filled in ({spec.column(self.column).meaning.rstrip('.')})"
        return what[0].lower() + what[1:]

    def describe(self) -> str:
        """``marketing_spend: at least one row — daily media spend and delivery ...; one row per campaign per day``."""
        return f"{self.label}: {self.rows} — {self.what}"


@dataclass(frozen=True)
class Unmet:
    """A need the warehouse does not meet: ``found`` rows (``None``: the table is absent)."""

    need: Need
    found: int | None

    @property
    def reason(self) -> str:
        if self.found is None:
            return f"table {self.need.table} is not in this warehouse"
        if self.found == 0:
            return f"{self.need.label} is empty (0 rows)" if not self.need.column else \
                f"no row of {self.need.table} has {self.need.column} filled in"
        return f"{self.need.label} has {self.found:,} rows; this report needs at least {self.need.min_rows:,}"

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self.need), found=self.found, reason=self.reason, needs=self.need.describe())


def parse_needs(spec, where: str = "report") -> tuple[Need, ...]:
    """Needs from a manifest or metadata value: ``{table[.column]: min_rows}`` or a list of tables."""
    if spec is None:
        return ()
    if isinstance(spec, (list, tuple)):
        spec = {name: 1 for name in spec}
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: `needs` is a mapping of contract table to minimum rows "
                          f"(e.g. {{marketing_spend: 1}}), not {spec!r}")
    out = []
    for key, rows in spec.items():
        table, _, column = str(key).partition(".")
        if table not in CONTRACT:
            raise ConfigError(f"{where}: needs names {table!r}, which is not a contract table; "
                              f"use one of {', '.join(CONTRACT)}")
        if column and column not in CONTRACT[table].column_names:
            raise ConfigError(f"{where}: needs names {key!r}, but {table} has no column {column!r}; "
                              f"it has {', '.join(CONTRACT[table].column_names)}")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise ConfigError(f"{where}: needs {key}: the minimum number of rows must be a whole number ≥ 1, "
                              f"not {rows!r}")
        out.append(Need(table, column or None, rows))
    return tuple(out)


def check(needs, warehouse) -> list[Unmet]:
    """The needs a warehouse file does not meet (empty when it meets all, or when there is no file to check).

    Table and column names come from the contract (checked by :func:`parse_needs`), so
    they are safe identifiers; no value reaches the SQL.
    """
    if not needs or not warehouse or not Path(warehouse).is_file():
        return []  # nothing to check against: the report itself says what is wrong
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:  # not a DuckDB file, or locked by a writer: the report itself will say so
        return []
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        unmet = []
        for need in needs:
            if need.table not in present:
                unmet.append(Unmet(need, None))
                continue
            cols = {r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [need.table]).fetchall()}
            if need.column and need.column not in cols:
                unmet.append(Unmet(need, 0))
                continue
            where = f' WHERE "{need.column}" IS NOT NULL' if need.column else ""
            found = con.execute(f'SELECT count(*) FROM "{need.table}"{where}').fetchone()[0]
            if found < need.min_rows:
                unmet.append(Unmet(need, int(found)))
        return unmet
    finally:
        con.close()


def build_currency(warehouse) -> str | None:
    """The reporting currency a warehouse file was built in (``meta_build.currency``), if it records one."""
    if not warehouse or not Path(warehouse).is_file():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'meta_build'").fetchall()}
        if "currency" not in cols:
            return None
        row = con.execute("SELECT any_value(currency) FROM meta_build").fetchone()
        return str(row[0]).strip().upper() if row and row[0] else None
    finally:
        con.close()


def sources_entry(table: str, currency: str | None = None) -> str:
    """A ``sources.yml`` ``tables:`` entry for ``table``, every contract column with its meaning.

    Money columns are described in ``currency`` (the warehouse's reporting currency), default the contract's.
    """
    from cmokit.warehouse.contract import in_reporting_currency

    spec = CONTRACT[table]
    lines = ["tables:", f"  {table}:                # {spec.grain}",
             "    source: my_export         # a source under `sources:` (file glob or database table)",
             "    columns:"]
    width = max(len(c.name) for c in spec.columns) + len(": RAW_COLUMN")
    for col in spec.columns:
        note = ("optional; " if col.nullable else "") + in_reporting_currency(col.meaning, currency)
        if col.accepted:
            note += f" One of: {', '.join(col.accepted)}."
        lines.append(f"      {(col.name + ': RAW_COLUMN').ljust(width)}  # {note}")
    return "\n".join(lines)


def _doc_link() -> str:
    """``docs/sources.md`` as a link to the file when cmokit runs from a checkout, else as text."""
    import cmokit

    doc = Path(cmokit.__file__).resolve().parents[2] / SOURCES_DOC
    text = f"<code>{SOURCES_DOC}</code>"
    return f"<a href='{html.escape(doc.as_uri())}'>{text}</a>" if doc.is_file() else text


def explanation_html(unmet: list[Unmet], currency: str | None = None) -> str:
    """The body of an explained page: what the report needs, what the warehouse has, how to provide it."""
    items = "".join(
        f"<li><strong>{html.escape(u.need.label)}</strong>: {html.escape(u.need.rows)} — {html.escape(u.need.what)}"
        f"<br><span class='muted'>Found: {html.escape(u.reason)}.</span></li>" for u in unmet
    )
    tables = sorted({u.need.table for u in unmet}, key=list(CONTRACT).index)
    entries = "".join(f"<pre>{html.escape(sources_entry(t, currency))}</pre>" for t in tables)
    return (
        "<div class='card explained' id='needs'>"
        "<h2>Not run: this warehouse lacks the data this report needs</h2>"
        f"<p>This report needs:</p><ul>{items}</ul>"
        "<h3>How to provide it</h3>"
        "<p>Export the data from the system that holds it (ad platforms, tracking, experiment tool), "
        "add a table entry for it to your <code>sources.yml</code>, rebuild the warehouse with "
        "<code>cmokit warehouse build RAW --sources sources.yml --out PATH</code>, and run the report "
        "again. Each entry maps your raw columns onto the contract columns below:</p>"
        f"{entries}"
        f"<p>The schema of <code>sources.yml</code> (formats, SQL expressions, time zones, currencies) is "
        f"described in {_doc_link()} of cmokit; "
        "<code>cmokit warehouse init RAW --out sources.yml</code> drafts one from your files.</p>"
        "<p class='muted'>Nothing is wrong with the rest of the warehouse: reports that have their data "
        "ran as usual. This page is a status, not a failure.</p></div>"
    )


__all__ = ["Need", "SOURCES_DOC", "Unmet", "build_currency", "check", "explanation_html", "parse_needs", "sources_entry"]
