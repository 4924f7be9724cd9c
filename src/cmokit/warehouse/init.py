"""Draft a ``sources.yml`` from the raw exports in a folder (``cmokit warehouse init``).

Every file is sniffed with DuckDB (delimiter, header, column types); each
column is matched to a contract column by its name, its type and its values
(an invoice number that repeats over lines means lines to aggregate; ids that
start with ``C`` on negative quantities are credit notes; a quantity and a
unit price make revenue). What cannot be mapped is listed, and the draft says
which contract tables have no data. A plain transaction log (customer, date,
amount) drafts to a file that builds as it is: one order per row, customers
derived from the orders.

>>> import re
>>> _role("Customer ID"), _role("InvoiceDate"), _role("Quantity"), _role("StockCode")
('customer_id', 'time', 'quantity', None)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.errors import ConfigError
from cmokit.warehouse.contract import CONTRACT

EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".jsonl": "jsonl",
              ".ndjson": "jsonl"}

#: name patterns (lower case, separators removed) -> role; first match wins
_ROLES = [
    ("personal", r"e?mail|fullname|firstname|lastname|surname|^name$|phone|mobile|street|address|zip|postcode|birth|iban"),
    ("refund_id", r"^(refund|return|credit(note)?|cancel\w*)(id|no|number|nr)?$"),
    ("order_id", r"^(invoice|order|transaction|receipt|basket|ticket)(id|no|number|nr|num|code)?$"),
    ("customer_id", r"^(customer|cust|client|member|crm|user|account|buyer|shopper)(id|no|number|nr|key|code)?$"),
    ("campaign_id", r"^campaign(id|code|no)?$"),
    ("quantity", r"^(quantity|qty|units|count|amountofitems|items)$"),
    ("price", r"^(unit)?price(each|perunit)?$|^unitprice$|^unitcost$"),
    ("amount", r"amount|revenue|total|sales|value|turnover|spent|spend|netprice|gross|net$|price"),
    ("currency", r"^(currency|ccy|cur)(code)?$"),
    ("first_seen", r"signup|registered|registration|created|firstseen|joined|since"),
    ("time", r"date|time|ts$|^at$|timestamp|when|day$"),
    ("country", r"country|nation"),
    ("consent", r"consent|optin|opt_in|newsletter|marketing|subscribed|permission"),
    ("channel", r"channel|acquisition|utm|medium|source$"),
]


def _role(name: str) -> str | None:
    key = re.sub(r"[^a-z]", "", name.lower())
    for role, pattern in _ROLES:
        if re.search(pattern, key):
            return role
    return None


@dataclass
class Column:
    name: str
    type: str
    role: str | None = None
    distinct: int = 0
    rows: int = 0
    nulls: int = 0
    c_prefix: float = 0.0  # share of values starting with 'C' (credit notes)
    negative: int = 0
    currency: str | None = None
    format: str | None = None  # strptime format of a time column that is not ISO 8601


#: non-ISO date formats tried on a time column, most specific first (day-first before month-first:
#: a value that parses both ways is ambiguous, and the draft says to check it)
DATE_FORMATS = ("%Y%m%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y",
                "%m/%d/%Y %H:%M", "%m/%d/%Y")


def _date_format(con, q: str) -> str | None:
    for fmt in DATE_FORMATS:
        ok = con.execute(f"SELECT avg(CASE WHEN try_strptime(CAST({q} AS VARCHAR), $f) IS NOT NULL THEN 1 ELSE 0 END) "
                         f"FROM sniffed WHERE {q} IS NOT NULL", {"f": fmt}).fetchone()[0]
        if ok is not None and ok >= 0.99:
            return fmt
    return None


@dataclass
class Found:
    name: str  # source name
    pattern: str
    format: str
    files: list
    columns: list
    csv: dict = field(default_factory=dict)

    def by_role(self, role: str):
        return next((c for c in self.columns if c.role == role), None)


@dataclass
class Draft:
    path: Path
    text: str
    mapped: dict  # table -> source
    notes: list  # what to edit
    missing: list  # contract tables without data
    unmapped: list  # (source, column)
    proposals: list  # human-readable mapping lines

    def report(self) -> str:
        lines = [f"wrote {self.path}"]
        lines += ["proposed:"] + [f"  {p}" for p in self.proposals]
        if self.unmapped:
            lines.append("not mapped (ignored unless you map them): "
                         + ", ".join(f"{s}.{c}" for s, c in self.unmapped))
        if self.missing:
            lines.append("contract tables not mapped (reports that need them have no data until you map them): "
                         + ", ".join(self.missing))
        lines += ["edit before building:"] + [f"  - {n}" for n in (self.notes or ["nothing required; check the proposals"])]
        lines.append(f"then: cmokit warehouse build RAW --sources {self.path} --out build/warehouse.duckdb")
        return "\n".join(lines)


def _pattern(path: Path) -> str:
    stem = re.sub(r"[-_ .]?\d[\d\-_ .T:]*$", "", path.stem) or path.stem
    return f"{stem}*{path.suffix}"


def _sniff(con, pattern: str, files: list[Path], fmt: str, raw_dir: Path) -> Found:
    first = str(files[0])
    csv = {}
    if fmt in ("csv", "tsv"):
        row = con.execute("SELECT Delimiter, HasHeader, Columns FROM sniff_csv($p)", {"p": first}).fetchone()
        csv = {"delimiter": row[0], "header": bool(row[1])}
        rel = "read_csv($p, delim=$d, header=$h)"
        params = {"p": first, "d": row[0], "h": bool(row[1])}
    elif fmt == "parquet":
        rel, params = "read_parquet($p)", {"p": first}
    else:
        rel, params = "read_json($p, format='newline_delimited')", {"p": first}
    con.execute(f"CREATE OR REPLACE TEMP TABLE sniffed AS SELECT * FROM {rel} LIMIT 200000", params)
    cols = [Column(r[0], r[1]) for r in con.execute("DESCRIBE sniffed").fetchall()]
    n = con.execute("SELECT count(*) FROM sniffed").fetchone()[0]
    for c in cols:
        q = '"' + c.name.replace('"', '""') + '"'
        c.rows = n
        c.distinct, c.nulls = con.execute(f"SELECT count(DISTINCT {q}), count(*) - count({q}) FROM sniffed").fetchone()
        c.role = _role(c.name)
        numeric = re.match(r"(BIGINT|INTEGER|DOUBLE|DECIMAL|FLOAT|SMALLINT|HUGEINT)", c.type)
        if c.type == "VARCHAR":
            c.c_prefix = con.execute(f"SELECT avg(CASE WHEN starts_with(upper({q}), 'C') AND regexp_matches({q}, '^[Cc]\\d') "
                                     f"THEN 1 ELSE 0 END) FROM sniffed").fetchone()[0] or 0.0
        if numeric:
            c.negative = con.execute(f"SELECT count(*) FROM sniffed WHERE {q} < 0").fetchone()[0]
        if c.role in ("time", "first_seen") and not (c.type.startswith("TIMESTAMP") or c.type == "DATE"):
            ok = con.execute(f"SELECT avg(CASE WHEN TRY_CAST({q} AS TIMESTAMP) IS NOT NULL THEN 1 ELSE 0 END) "
                             "FROM sniffed WHERE {q} IS NOT NULL".replace("{q}", q)).fetchone()[0]
            if not ok or ok < 0.9:
                c.format = _date_format(con, q)
                if c.format is None:
                    c.role = None if c.role == "time" else c.role
        if c.role in ("amount", "price", "quantity") and not numeric:
            c.role = None
        if c.role == "customer_id" and c.type.startswith("TIMESTAMP"):
            c.role = None
        m = re.search(r"(?:^|[_\W])(eur|gbp|usd|chf|sek|dkk|nok|pln|jpy)$", c.name.lower())
        if m and c.role in ("amount", "price"):
            c.currency = m.group(1).upper()
        if c.role is None and c.type.startswith("TIMESTAMP"):
            c.role = "time"
    name = re.sub(r"[^a-z0-9_]", "_", pattern.split("*")[0].lower()).strip("_") or "source"
    return Found(name, pattern, fmt, files, cols, csv)


def _kind(f: Found) -> str | None:
    """Which contract table a file looks like."""
    money = f.by_role("amount") or (f.by_role("price") and f.by_role("quantity"))
    if f.by_role("refund_id") and f.by_role("time") and money:
        return "refunds"
    if f.by_role("time") and money:
        return "orders"
    if f.by_role("customer_id") and (f.by_role("first_seen") or f.by_role("consent") or f.by_role("personal")):
        return "customers"
    if f.by_role("customer_id") and f.by_role("time") and f.by_role("order_id") is None and money:
        return "orders"
    return None


def _y(value: str) -> str:
    """A YAML scalar: plain when safe, else double-quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ ]*[A-Za-z0-9_]|[A-Za-z_]", value) and value.lower() not in (
            "yes", "no", "true", "false", "on", "off", "null", "y", "n"):
        return value
    return json.dumps(value)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else name


def draft(raw_dir, out, force: bool = False) -> Draft:
    """Sniff the exports in ``raw_dir`` and write a draft ``sources.yml`` to ``out``."""
    import duckdb

    raw_dir, out = Path(raw_dir), Path(out)
    if not raw_dir.is_dir():
        raise ConfigError(f"raw export folder {raw_dir} does not exist")
    if out.exists() and not force:
        raise ConfigError(f"{out} exists; pass --force to overwrite it")
    groups: dict[tuple, list] = {}
    for p in sorted(raw_dir.iterdir()):
        if p.is_file() and p.suffix.lower() in EXTENSIONS:
            groups.setdefault((_pattern(p), EXTENSIONS[p.suffix.lower()]), []).append(p)
    if not groups:
        raise ConfigError(f"{raw_dir}: no CSV, TSV, Parquet or JSON-lines files to sniff")
    con = duckdb.connect()
    found = []
    for (pattern, fmt), files in groups.items():
        try:
            found.append(_sniff(con, pattern, files, fmt, raw_dir))
        except duckdb.Error as exc:
            raise ConfigError(f"{files[0].name}: DuckDB could not sniff it ({str(exc).splitlines()[0]})") from None
    con.close()
    names = {}
    for f in found:  # unique source names
        base, i = f.name, 2
        while f.name in names:
            f.name, i = f"{base}_{i}", i + 1
        names[f.name] = f

    kinds = {f.name: _kind(f) for f in found}
    orders_src = next((f for f in found if kinds[f.name] == "orders"), None)
    customers_src = next((f for f in found if kinds[f.name] == "customers"), None)
    notes, proposals, unmapped, used = [], [], [], set()
    currency = next((c.currency for f in found for c in f.columns if c.currency), None)
    out_lines = ["# sources.yml drafted by `cmokit warehouse init` -- schema: docs/sources.md",
                 "# Lines marked EDIT are guesses to confirm.", "version: 1"]
    if currency:
        out_lines.append(f"reporting_currency: {currency}        # from the money column's name")
    else:
        out_lines.append("reporting_currency: EUR        # EDIT: the currency of the money columns (ISO-4217)")
        notes.append("reporting_currency: the currency your amounts are in (the draft says EUR)")
    out_lines += ["", "sources:"]
    for f in found:
        out_lines.append(f"  {f.name}:")
        out_lines.append(f"    path: {json.dumps(f.pattern)}        # {len(f.files)} file(s) now")
        if f.format in ("csv", "tsv"):
            out_lines.append(f"    format: {f.format}")
            out_lines.append(f"    delimiter: {json.dumps(f.csv['delimiter'])}")
            if not f.csv["header"]:
                out_lines.append("    header: false        # EDIT: no header line found; columns are column0, column1, ...")
            out_lines.append("    encoding: utf-8        # EDIT if the export is latin-1 / utf-16")
            out_lines.append('    decimal: "."        # EDIT to "," for decimal commas')
        types = {}
        for c in f.columns:
            if c.role in ("price", "amount"):
                types[c.name] = "DECIMAL(18,4)"
            elif c.role == "quantity" and f.format in ("csv", "tsv"):
                types[c.name] = "BIGINT"
        if types:
            out_lines.append("    types:        # cast before use; a value that does not parse quarantines its line")
            out_lines += [f"      {_y(k)}: {v}" for k, v in types.items()]
        personal = [c.name for c in f.columns if c.role == "personal"]
        out_lines.append(f"    personal: [{', '.join(_y(p) for p in personal)}]        # kept IT-side only, never in the warehouse")
        if f is orders_src or f is customers_src:
            out_lines.append("    timezone: UTC        # EDIT: the zone of local times without an offset (e.g. Europe/London)")
        used.update((f.name, p) for p in personal)
    if orders_src or customers_src:
        notes.append("timezone: the zone the exports' local times are in (the draft assumes UTC)")
    out_lines += ["", "tables:"]
    mapped = {}
    missing = []
    refund_prefix = None
    if orders_src is None:
        raise ConfigError(f"{raw_dir}: found no file that looks like orders or transactions (a date column and an "
                          "amount, or a quantity and a price); write sources.yml by hand (docs/sources.md)")
    f = orders_src
    oid, cid, t = f.by_role("order_id"), f.by_role("customer_id"), f.by_role("time")
    amount, qty, price = f.by_role("amount"), f.by_role("quantity"), f.by_role("price")
    lines_per_order = bool(oid and oid.distinct < oid.rows - oid.nulls)
    if oid and oid.c_prefix > 0 and qty and qty.negative:
        refund_prefix = "C"
    if amount:
        money_line = f"{_q(amount.name)}"
    else:
        money_line = f"{_q(qty.name)} * {_q(price.name)}"
    used.update((f.name, c.name) for c in (oid, cid, t, amount, qty, price) if c)
    for table in ("orders", "refunds") if refund_prefix else ("orders",):
        refund = table == "refunds"
        out_lines.append(f"  {table}:")
        out_lines.append(f"    source: {f.name}")
        if refund_prefix:
            cond = f"starts_with({_q(oid.name)}, '{refund_prefix}')"
            out_lines.append(f"    where: {json.dumps(cond if refund else 'NOT ' + cond)}"
                             + ("        # credit notes / cancellations" if refund else ""))
        if lines_per_order:
            out_lines.append(f"    group_by: {_y(oid.name)}        # {oid.name} repeats over lines: one {table[:-1]} per {oid.name}")
        out_lines.append("    columns:")
        idcol = "refund_id" if refund else "order_id"
        if oid:
            out_lines.append(f"      {idcol}: {_y(oid.name)}")
            proposals.append(f"{oid.name} -> {table}.{idcol}" + (" (lines aggregated)" if lines_per_order else ""))
        elif not refund:
            proposals.append(f"no order id: one order per row of {f.name} (order_id made from the row)")
        if cid:
            out_lines.append(f"      customer_id: {_y(cid.name)}")
            proposals.append(f"{cid.name} -> {table}.customer_id" + (f" ({cid.nulls:,} lines without one: guest orders load with no customer)" if cid.nulls and not refund else ""))
        tcol = "refunded_at" if refund else "ordered_at"
        if t.format:
            out_lines.append(f"      {tcol}: {{column: {_y(t.name)}, format: {json.dumps(t.format)}}}"
                             + ("        # EDIT if days and months are the other way round" if "%m/%d" in t.format
                                or "%d/%m" in t.format else ""))
        else:
            out_lines.append(f"      {tcol}: {_y(t.name)}")
        proposals.append(f"{t.name} -> {table}.{tcol}")
        sign = "-" if refund else ""
        expr = f"{sign}sum({money_line})" if lines_per_order else (f"{sign}({money_line})" if (refund or not amount) else None)
        mcol = "amount" if refund else "revenue"
        if expr is None:
            out_lines.append(f"      {mcol}: {_y(amount.name)}")
        else:
            out_lines.append(f"      {mcol}: {{sql: {json.dumps(expr)}}}")
        proposals.append(f"{expr or amount.name} -> {table}.{mcol}".replace('"', ""))
        camp = f.by_role("campaign_id")
        if camp and not refund:  # campaigns are not drafted: a campaign id without its table would fail the foreign key
            out_lines.append(f"      # campaign_id: {_y(camp.name)}        # once campaigns are mapped")
            if not any("campaign_id" in n for n in notes):
                notes.append(f"orders.campaign_id: map {camp.name} once the campaigns table is mapped (docs/sources.md)")
        mapped[table] = f.name
    refunds_src = next((r for r in found if kinds[r.name] == "refunds"), None)
    if refunds_src is not None and not refund_prefix:
        r = refunds_src
        rid, rcid, rt, ramount, roid = (r.by_role("refund_id"), r.by_role("customer_id"), r.by_role("time"),
                                        r.by_role("amount"), r.by_role("order_id"))
        out_lines += ["  refunds:", f"    source: {r.name}", "    columns:", f"      refund_id: {_y(rid.name)}"]
        if roid:
            out_lines.append(f"      order_id: {_y(roid.name)}")
        if rcid:
            out_lines.append(f"      customer_id: {_y(rcid.name)}")
        out_lines.append(f"      refunded_at: {_y(rt.name)}")
        if ramount:
            out_lines.append(f"      amount: {_y(ramount.name)}        # EDIT to {{sql: \"-{_q(ramount.name)}\"}} if refunds are negative")
        else:
            out_lines.append(f"      amount: {{sql: \"abs({_q(r.by_role('quantity').name)} * {_q(r.by_role('price').name)})\"}}")
        proposals.append(f"{r.name} -> refunds ({rid.name} -> refund_id)")
        used.update((r.name, c.name) for c in (rid, rcid, rt, ramount, roid) if c)
        mapped["refunds"] = r.name
        refund_prefix = None
    # customers
    out_lines.append("  customers:")
    if customers_src is not None:
        c = customers_src
        out_lines.append(f"    source: {c.name}")
        out_lines.append("    columns:")
        spec = {"customer_id": c.by_role("customer_id"), "first_seen_at": c.by_role("first_seen") or c.by_role("time"),
                "country": c.by_role("country"), "acquisition_channel": c.by_role("channel"),
                "marketing_consent": c.by_role("consent")}
        for k, col in spec.items():
            if col is None:
                if not CONTRACT["customers"].column(k).nullable:
                    notes.append(f"customers.{k}: no column found in {c.name}; map it")
                    out_lines.append(f"      # {k}: EDIT the raw column holding {k}")
                continue
            out_lines.append(f"      {k}: {_y(col.name)}")
            proposals.append(f"{col.name} -> customers.{k}")
            used.add((c.name, col.name))
        mapped["customers"] = c.name
    else:
        derive = "[orders, refunds]" if refund_prefix else "orders"
        out_lines.append(f"    derive: {derive}        # no customer file: one customer per id, first seen = first order,")
        out_lines.append("                           # consent unknown = not contactable")
        proposals.append("customers derived from orders (first seen = first order; consent unknown = not contactable)")
        country = f.by_role("country")
        if country:
            out_lines.append("    columns:")
            out_lines.append(f"      country: {_y(country.name)}        # names and aliases -> ISO-2; unknown values load as NULL with a warning")
            proposals.append(f"{country.name} -> customers.country (latest order's)")
            used.add((f.name, country.name))
        mapped["customers"] = "derived"
    for tname in CONTRACT:
        if tname not in mapped:
            missing.append(tname)
    for s in found:
        for col in s.columns:
            if (s.name, col.name) not in used and not (s is orders_src and col.role == "currency"):
                unmapped.append((s.name, col.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(out_lines) + "\n"
    out.write_text(text, encoding="utf-8")
    return Draft(out, text, mapped, notes, missing, unmapped, proposals)


__all__ = ["Draft", "draft"]
