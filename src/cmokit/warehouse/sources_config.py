"""Raw sources as configuration: ``sources.yml`` says where each contract table's data is and how to map it.

The file (schema in ``docs/sources.md``) names raw **sources** (a file glob in
CSV/TSV, Parquet, JSON lines or Excel, or a table/query of a database reached
through a SQLAlchemy- or Ibis-style URL, :mod:`cmokit.warehouse.dburl`) and,
per contract **table**, the source it comes from, an optional row filter, an
optional grouping (invoice lines -> orders) and, per contract column, a raw
column or an SQL expression over raw columns plus parse rules (timestamp
format, source time zone, currency, value maps). Customers can be
derived from orders when there is no CRM export.

Everything runs in DuckDB: files are read with ``read_csv`` / ``read_parquet``
/ ``read_json`` and the declared options; identifiers from the file are quoted,
values (formats, zones, rates, value maps) are bound parameters. SQL
expressions (``sql:``, ``where:``) are the IT author's own SQL over the raw
columns, like a dbt model: the file is trusted configuration, never user input.

The output of this module is the build's seam: for each contract table a
temporary ``cand`` table of raw text values (``r_<column>``) already
normalised to what the contract parses (ISO timestamps in UTC, '.' decimals in
the reporting currency, ISO-2 countries, ``true``/``false`` consent), so the
build's validation, quarantine and pseudonymisation apply unchanged. A value
that cannot be normalised keeps its raw text, so the build quarantines the row
as ``unparseable`` with the original value.

>>> cfg = parse_config('''
... version: 1
... sources:
...   tx: {path: "transactions*.csv"}
... tables:
...   orders:
...     source: tx
...     columns: {customer_id: cust, ordered_at: date, revenue: amount}
...   customers: {derive: orders}
... ''')
>>> sorted(cfg.tables)
['customers', 'orders']
>>> cfg.tables["orders"].columns["order_id"].generated
True
"""

from __future__ import annotations

import dataclasses
import glob as globmod
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.errors import ConfigError
from cmokit.warehouse.contract import CONTRACT, CURRENCY, MONEY
from cmokit.warehouse.countries import to_iso2

log = logging.getLogger(__name__)

FORMATS = ("csv", "tsv", "parquet", "jsonl", "excel")
_EXT = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
        ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".xlsx": "excel", ".xlsm": "excel"}
TRUE_VALUES = ("y", "yes", "true", "t", "1", "opt-in", "optin", "opted-in", "opted in", "on", "subscribed")
FALSE_VALUES = ("n", "no", "false", "f", "0", "opt-out", "optout", "opted-out", "opted out", "off", "unsubscribed")

_TOP_KEYS = {"version", "reporting_currency", "fx", "sources", "tables"}
_SOURCE_KEYS = {"path", "database", "table", "query", "format", "delimiter", "encoding", "decimal", "quote",
                "header", "skip", "sheet", "types", "personal", "timezone", "currency", "description"}
_TABLE_KEYS = {"source", "where", "group_by", "columns", "derive", "description"}
_COLUMN_KEYS = {"column", "sql", "format", "timezone", "values", "currency", "description"}
_FX_KEYS = {"rates", "path"}


# --------------------------------------------------------------------------- YAML with line numbers
class _Map(dict):
    """A YAML mapping that remembers the line (1-based) of each key."""

    line: int = 0
    lines: dict

    def at(self, key) -> int:
        return self.lines.get(key, self.line)


def _load_yaml(text: str, name: str):
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        out = _Map()
        out.line = node.start_mark.line + 1
        out.lines = {}
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            if key in out:
                raise ConfigError(f"{name} line {knode.start_mark.line + 1}: key {key!r} appears twice")
            out[key] = loader.construct_object(vnode, deep=True)
            out.lines[key] = knode.start_mark.line + 1
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        data = yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, _Map):
        raise ConfigError(f"{name}: expected a mapping with 'sources' and 'tables' at the top level")
    return data


def _unknown_keys(m: _Map, allowed: set, where: str, name: str) -> None:
    import difflib

    for key in m:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(allowed))}"
            raise ConfigError(f"{name} line {m.at(key)}: unknown key {key!r} in {where}{hint}")


# --------------------------------------------------------------------------- the parsed configuration
@dataclass
class SourceSpec:
    name: str
    line: int
    path: str | None = None
    database: str | None = None
    table: str | None = None
    query: str | None = None
    format: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    decimal: str = "."
    quote: str = '"'
    header: bool = True
    skip: int = 0
    sheet: str | None = None
    types: dict = field(default_factory=dict)
    personal: tuple = ()
    timezone: str = "UTC"
    currency: str | None = None  # a currency code for the whole source
    currency_column: str | None = None  # or a raw column holding each row's currency
    lines: dict = field(default_factory=dict)  # key -> line in the sources file, for errors


@dataclass
class ColumnSpec:
    name: str
    line: int
    column: str | None = None
    sql: str | None = None
    format: str | None = None
    timezone: str | None = None
    values: dict = field(default_factory=dict)
    currency: str | None = None
    generated: bool = False  # order_id etc. made up for a transaction log (one per row)

    def describe(self) -> str:
        return self.column if self.column is not None else (self.sql or "generated")


@dataclass
class TableConfig:
    name: str
    line: int
    source: str | None = None
    where: str | None = None
    group_by: tuple = ()
    columns: dict = field(default_factory=dict)
    derive: tuple = ()  # customers derived from these tables' rows


@dataclass
class SourcesConfig:
    sources: dict
    tables: dict
    reporting_currency: str = CURRENCY
    fx: dict = field(default_factory=dict)  # currency -> rate to the reporting currency
    name: str = "sources.yml"
    base: Path | None = None


def load_config(path) -> SourcesConfig:
    """Read and validate ``sources.yml``; a :class:`ConfigError` names the key and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sources file {path} does not exist (draft one with `cmokit warehouse init RAW --out {path}`)")
    return parse_config(path.read_text(encoding="utf-8"), name=path.name, base=path.parent)


def parse_config(text: str, name: str = "sources.yml", base: Path | None = None) -> SourcesConfig:
    """Validate the text of a sources file (see :func:`load_config`)."""
    data = _load_yaml(text, name)
    _unknown_keys(data, _TOP_KEYS, "the top level", name)
    if data.get("version", 1) != 1:
        raise ConfigError(f"{name} line {data.at('version')}: version {data['version']!r} is not supported (use 1)")
    currency = str(data.get("reporting_currency", CURRENCY)).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"{name} line {data.at('reporting_currency')}: reporting_currency {currency!r} is not an ISO-4217 code")
    fx = _parse_fx(data.get("fx"), data, name, base)
    raw_sources = data.get("sources") or _Map()
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, dict) or not raw_tables:
        raise ConfigError(f"{name} line {data.line}: 'tables' is missing or empty; map at least the orders table")
    sources = {}
    if not isinstance(raw_sources, _Map):
        raise ConfigError(f"{name} line {data.at('sources')}: 'sources' must be a mapping of source names")
    for sname, s in raw_sources.items():
        sources[sname] = _parse_source(sname, s, raw_sources.at(sname), name)
    tables = {}
    for tname, t in raw_tables.items():
        line = raw_tables.at(tname)
        if tname not in CONTRACT:
            import difflib

            close = difflib.get_close_matches(str(tname), list(CONTRACT), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{name} line {line}: {tname!r} is not a contract table "
                              f"(the contract has: {', '.join(CONTRACT)}){hint}")
        tables[tname] = _parse_table(tname, t, line, sources, name)
    for tname, t in tables.items():
        for d in t.derive:
            if d not in tables or tables[d].derive:
                raise ConfigError(f"{name} line {t.line}: {tname} derives from {d!r}, which is not a mapped table")
    if "orders" not in tables:
        raise ConfigError(f"{name} line {raw_tables.line}: no 'orders' table; the warehouse cannot be built without orders")
    if "customers" not in tables:
        raise ConfigError(f"{name} line {raw_tables.line}: no 'customers' table; map a CRM export or "
                          "write `customers: {derive: orders}` to derive customers from orders")
    return SourcesConfig(sources, tables, currency, fx, name, base)


def _parse_fx(raw, data, name, base) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, _Map):
        raise ConfigError(f"{name} line {data.at('fx')}: 'fx' must be a mapping with 'rates' or 'path'")
    _unknown_keys(raw, _FX_KEYS, "fx", name)
    rates = {}
    if "path" in raw:
        import csv

        p = Path(raw["path"])
        p = p if p.is_absolute() or base is None else base / p
        if not p.is_file():
            raise ConfigError(f"{name} line {raw.at('path')}: fx table {p} does not exist")
        with open(p, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not {"currency", "rate"} <= set(reader.fieldnames or ()):
                raise ConfigError(f"{name} line {raw.at('path')}: fx table {p.name} needs columns currency, rate "
                                  f"(found {', '.join(reader.fieldnames or ())})")
            for row in reader:
                rates[row["currency"].strip().upper()] = row["rate"]
    for cur, rate in (raw.get("rates") or {}).items():
        rates[str(cur).upper()] = rate
    out = {}
    for cur, rate in rates.items():
        try:
            value = float(rate)
        except (TypeError, ValueError):
            value = -1.0
        if not re.fullmatch(r"[A-Z]{3}", cur) or not value > 0:
            line = raw.get("rates", _Map()).at(cur) if isinstance(raw.get("rates"), _Map) else raw.line
            raise ConfigError(f"{name} line {line}: fx rate {cur}: {rate!r} must be a positive number for an ISO-4217 code")
        out[cur] = value
    return out


def _parse_source(sname, s, line, name) -> SourceSpec:
    if not isinstance(s, _Map):
        raise ConfigError(f"{name} line {line}: source {sname!r} must be a mapping (path: ..., format: ...)")
    _unknown_keys(s, _SOURCE_KEYS, f"source {sname!r}", name)
    spec = SourceSpec(sname, line, lines=dict(s.lines))
    for k in ("path", "database", "table", "query", "delimiter", "encoding", "decimal", "quote", "sheet", "timezone"):
        if k in s and s[k] is not None:
            setattr(spec, k, str(s[k]))
    if bool(spec.path) == bool(spec.database):
        raise ConfigError(f"{name} line {line}: source {sname!r} needs exactly one of 'path' (a file glob) "
                          "or 'database' (a URL such as duckdb:///crm.duckdb or sqlite:///shop.db)")
    if spec.database:
        from cmokit.warehouse import dburl

        dburl.check(spec.database, f"{name} line {s.at('database')}")
        if bool(spec.table) == bool(spec.query):
            raise ConfigError(f"{name} line {line}: database source {sname!r} needs exactly one of 'table' or 'query'")
    fmt = s.get("format")
    if fmt is not None:
        fmt = str(fmt).lower()
        if fmt not in FORMATS:
            raise ConfigError(f"{name} line {s.at('format')}: format {fmt!r} of source {sname!r} is not one of "
                              f"{', '.join(FORMATS)}")
    elif spec.path:
        fmt = _EXT.get(Path(spec.path).suffix.lower())
        if fmt is None:
            raise ConfigError(f"{name} line {s.at('path')}: cannot tell the format of {spec.path!r} from its "
                              f"extension; add format: one of {', '.join(FORMATS)}")
    spec.format = fmt
    if spec.delimiter is None:
        spec.delimiter = "\t" if fmt == "tsv" else ","
    if spec.decimal not in (".", ","):
        raise ConfigError(f"{name} line {s.at('decimal')}: decimal must be '.' or ','")
    if "header" in s:
        spec.header = bool(s["header"])
    if "skip" in s:
        if not isinstance(s["skip"], int) or s["skip"] < 0:
            raise ConfigError(f"{name} line {s.at('skip')}: skip must be a whole number of lines")
        spec.skip = s["skip"]
    types = s.get("types") or {}
    if not isinstance(types, dict):
        raise ConfigError(f"{name} line {s.at('types')}: types must map raw columns to SQL types")
    for col, typ in types.items():
        if not re.fullmatch(r"[A-Za-z ]+(\(\s*\d+\s*(,\s*\d+\s*)?\))?", str(typ)):
            raise ConfigError(f"{name} line {types.at(col) if isinstance(types, _Map) else s.at('types')}: "
                              f"type {typ!r} of raw column {col!r} is not a SQL type name (e.g. DOUBLE, DECIMAL(18,4))")
    spec.types = {str(k): str(v) for k, v in types.items()}
    personal = s.get("personal") or []
    if isinstance(personal, str) or not isinstance(personal, list):
        raise ConfigError(f"{name} line {s.at('personal')}: personal must be a list of raw column names")
    spec.personal = tuple(str(p) for p in personal)
    cur = s.get("currency")
    if isinstance(cur, dict):
        if set(cur) != {"column"}:
            raise ConfigError(f"{name} line {s.at('currency')}: currency is a code (GBP) or {{column: RAW_COLUMN}}")
        spec.currency_column = str(cur["column"])
    elif cur is not None:
        spec.currency = str(cur).upper()
        if not re.fullmatch(r"[A-Z]{3}", spec.currency):
            raise ConfigError(f"{name} line {s.at('currency')}: currency {cur!r} is not an ISO-4217 code")
    _check_zone(spec.timezone, name, s.at("timezone"))
    return spec


def _check_zone(zone, name, line) -> None:
    import zoneinfo

    if zone in (None, "UTC"):
        return
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} line {line}: time zone {zone!r} is unknown (use an IANA name such as "
                          "Europe/London)") from None


def _parse_table(tname, t, line, sources, name) -> TableConfig:
    if not isinstance(t, _Map):
        raise ConfigError(f"{name} line {line}: table {tname!r} must be a mapping (source: ..., columns: ...)")
    _unknown_keys(t, _TABLE_KEYS, f"table {tname!r}", name)
    spec = CONTRACT[tname]
    cfg = TableConfig(tname, line)
    derive = t.get("derive")
    if derive is not None:
        if tname != "customers":
            raise ConfigError(f"{name} line {t.at('derive')}: only customers can be derived (from orders/refunds)")
        cfg.derive = tuple([derive] if isinstance(derive, str) else derive)
        for d in cfg.derive:
            if d not in ("orders", "refunds"):
                raise ConfigError(f"{name} line {t.at('derive')}: customers derive from orders and/or refunds, not {d!r}")
        if "source" in t or "group_by" in t or "where" in t:
            raise ConfigError(f"{name} line {line}: a derived table takes no source, where or group_by")
        extra = [c for c in (t.get("columns") or {}) if c != "country"]
        if extra:
            raise ConfigError(f"{name} line {t.at('columns')}: derived customers take only country from the raw "
                              f"rows (a raw column of the orders' source); {extra[0]!r} cannot be mapped here")
    else:
        src = t.get("source")
        if src is None:
            raise ConfigError(f"{name} line {line}: table {tname!r} needs 'source' (one of: {', '.join(sources) or 'none declared'})")
        if src not in sources:
            raise ConfigError(f"{name} line {t.at('source')}: table {tname!r} names source {src!r}, which is not "
                              f"declared under 'sources' ({', '.join(sources) or 'none declared'})")
        cfg.source = src
        cfg.where = None if t.get("where") is None else _one_expression(str(t["where"]), name, t.at("where"))
        gb = t.get("group_by")
        cfg.group_by = () if gb is None else tuple([str(gb)] if isinstance(gb, str) else [str(g) for g in gb])
    cols = t.get("columns") or _Map()
    if not isinstance(cols, _Map):
        raise ConfigError(f"{name} line {t.at('columns')}: columns must map contract columns to raw columns")
    for cname, c in cols.items():
        cline = cols.at(cname)
        if cname not in spec.column_names:
            import difflib

            close = difflib.get_close_matches(str(cname), spec.column_names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{name} line {cline}: {cname!r} is not a column of contract table {tname} "
                              f"({', '.join(spec.column_names)}){hint}")
        cfg.columns[cname] = _parse_column(cname, c, cline, name)
    if not cfg.derive:
        for col in spec.columns:
            if col.name in cfg.columns:
                continue
            if col.name == spec.key[0] and len(spec.key) == 1 and not cfg.group_by and col.type == "VARCHAR":
                cfg.columns[col.name] = ColumnSpec(col.name, line, generated=True)  # one per raw row
            elif not col.nullable:
                raise ConfigError(f"{name} line {line}: table {tname} does not map required column "
                                  f"{col.name!r} ({col.meaning}); add it under columns")
    return cfg


def _one_expression(sql: str, name: str, line: int) -> str:
    """An ``sql:`` or ``where:`` is one expression: a ';' outside quotes would start a second statement."""
    bare = re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "", sql)
    if ";" in bare or "--" in bare or "/*" in bare:
        raise ConfigError(f"{name} line {line}: {sql!r} must be one SQL expression (no ';' or comments)")
    return sql


def _parse_column(cname, c, line, name) -> ColumnSpec:
    if isinstance(c, str | int | float) and not isinstance(c, bool):
        return ColumnSpec(cname, line, column=str(c))
    if not isinstance(c, _Map):
        raise ConfigError(f"{name} line {line}: column {cname!r} must be a raw column name or a mapping "
                          "(column:/sql:, format:, timezone:, values:)")
    _unknown_keys(c, _COLUMN_KEYS, f"column {cname!r}", name)
    if ("column" in c) == ("sql" in c):
        raise ConfigError(f"{name} line {line}: column {cname!r} needs exactly one of 'column' or 'sql'")
    spec = ColumnSpec(cname, line, column=None if "column" not in c else str(c["column"]),
                      sql=None if "sql" not in c else _one_expression(str(c["sql"]), name, c.at("sql")))
    spec.format = None if c.get("format") is None else str(c["format"])
    spec.timezone = None if c.get("timezone") is None else str(c["timezone"])
    _check_zone(spec.timezone, name, c.at("timezone"))
    vals = c.get("values") or {}
    if not isinstance(vals, dict):
        raise ConfigError(f"{name} line {c.at('values')}: values must map raw values to contract values")
    spec.values = {str(k): (None if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                   for k, v in vals.items()}
    if c.get("currency") is not None:
        spec.currency = str(c["currency"]).upper()
    return spec


# --------------------------------------------------------------------------- reading
def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class SourceRead:
    """Lines read from one raw file (or database table) of a source."""

    source: str
    file: str
    lines: int = 0
    rejected: int = 0  # malformed lines, values that do not parse as their declared type
    routed: dict = field(default_factory=dict)  # table -> lines used
    unrouted: int = 0

    shared: bool = False  # several tables read every line (no where: on at least one of them)

    def line(self) -> str:
        ok = "ok" if self.reconciles else "MISMATCH"
        quarantined = self.rejected + self.unrouted
        if self.shared:
            parts = ", ".join(f"{n:,} into {t}" for t, n in self.routed.items())
            return f"{self.file}: {self.lines:,} lines read, each used by every table ({parts}) + {quarantined:,} quarantined ({ok})"
        parts = " + ".join(f"{n:,} into {t}" for t, n in self.routed.items())
        return f"{self.file}: {self.lines:,} lines read = {parts or '0 used'} + {quarantined:,} quarantined ({ok})"

    @property
    def reconciles(self) -> bool:
        if self.shared:
            return all(n + self.rejected + self.unrouted <= self.lines for n in self.routed.values())
        return self.lines == sum(self.routed.values()) + self.rejected + self.unrouted


class Reader:
    """Fills the build's ``cand`` table of each contract table from a :class:`SourcesConfig`."""

    def __init__(self, con, cfg: SourcesConfig, raw_dir: Path, built_at):
        self.con = con
        self.cfg = cfg
        self.raw_dir = Path(raw_dir)
        self.built_at = built_at
        self.loaded: dict[str, list[str]] = {}  # source -> files
        self.reads: dict[tuple, SourceRead] = {}
        self.rejects: dict[str, list] = {}  # source -> [(file, line, check, column, raw json)]
        self.warnings: dict[str, list[str]] = {}  # table -> warnings
        self.computed: set[str] = set()

    # -- sources ----------------------------------------------------------------------
    def files(self, s: SourceSpec) -> list[Path]:
        pattern = s.path if Path(s.path).is_absolute() else str(self.raw_dir / s.path)
        return sorted(Path(p) for p in globmod.glob(pattern) if Path(p).is_file())

    def load_source(self, name: str) -> None:
        if name in self.loaded:
            return
        s = self.cfg.sources[name]
        tmp = _q("src_" + name)
        if s.database:
            files = [self._read_database(s, tmp)]
        else:
            paths = self.files(s)
            if not paths:
                raise ConfigError(f"{self.cfg.name} line {s.line}: source {name!r} matches no file "
                                  f"({s.path} under {self.raw_dir})")
            files = []
            for rank, p in enumerate(paths):
                self._read_file(s, p, rank, tmp, first=rank == 0)
                files.append(p.name)
        self._check_columns(s, tmp)
        self._apply_types(s, tmp)
        self.loaded[name] = files

    def _read_file(self, s: SourceSpec, path: Path, rank: int, tmp: str, first: bool) -> None:
        con = self.con
        params = {"path": str(path), "file": path.name, "rank": rank}
        if s.format in ("csv", "tsv"):
            rel = self._csv_relation(s, path, params)
        elif s.format == "parquet":
            rel = "(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line FROM read_parquet($path, file_row_number=true))"
        elif s.format == "jsonl":
            rel = "(SELECT *, row_number() OVER () AS _line FROM read_json($path, format='newline_delimited'))"
        else:
            rel = self._excel_relation(s, path)
            del params["path"]  # read in Python, not by DuckDB
        sel = f"SELECT $file AS _file, $rank AS _rank, * FROM {rel}"
        try:
            if first:
                con.execute(f"CREATE TEMP TABLE {tmp} AS {sel}", params)
            else:
                con.execute(f"INSERT INTO {tmp} BY NAME {sel}", params)
        except Exception as exc:
            import duckdb

            if not isinstance(exc, duckdb.Error):
                raise
            raise ConfigError(f"{path.name}: could not be read as {s.format} with the options of source {s.name!r} "
                              f"({self.cfg.name} line {s.line}): {str(exc).splitlines()[0]}") from None
        n = con.execute(f"SELECT count(*) FROM {tmp} WHERE _file = $f", {"f": path.name}).fetchone()[0]
        rej = self._csv_rejects(s, path) if s.format in ("csv", "tsv") else []
        self.reads[(s.name, path.name)] = SourceRead(s.name, path.name, lines=n + len(rej), rejected=len(rej))
        self.rejects.setdefault(s.name, []).extend(rej)

    def _csv_relation(self, s: SourceSpec, path: Path, params: dict) -> str:
        opts = {"delim": s.delimiter, "quote": s.quote, "escape": s.quote, "header": s.header, "skip": s.skip,
                "encoding": s.encoding}
        params.update({f"o_{k}": v for k, v in opts.items()})
        # the header decides the column names; every column is read as text (types come after, per line)
        names = _csv_header(path, s)
        params["columns"] = {n: "VARCHAR" for n in names}
        self.con.execute("DROP TABLE IF EXISTS rej_errors")
        self.con.execute("DROP TABLE IF EXISTS rej_scans")
        first_line = 1 + s.skip + (1 if s.header else 0)
        return ("(SELECT *, row_number() OVER () + " + str(first_line - 1) + " AS _line FROM read_csv($path, "
                "columns=$columns, delim=$o_delim, quote=$o_quote, escape=$o_escape, header=$o_header, skip=$o_skip, "
                "encoding=$o_encoding, auto_detect=false, strict_mode=true, null_padding=false, store_rejects=true, "
                "rejects_table='rej_errors', rejects_scan='rej_scans'))")

    def _csv_rejects(self, s: SourceSpec, path: Path) -> list:
        import json

        con = self.con
        rows = con.execute("SELECT line, any_value(column_name), any_value(error_type), any_value(csv_line) "
                           "FROM rej_errors GROUP BY line ORDER BY line").fetchall()
        if rows:  # accepted rows were numbered as if no line had been rejected: shift them past each rejected line
            con.execute("CREATE OR REPLACE TEMP TABLE rej_lines AS SELECT line, line - row_number() OVER (ORDER BY line) + 1 AS adj "
                        "FROM (SELECT DISTINCT line FROM rej_errors)")
            con.execute(f"UPDATE {_q('src_' + s.name)} SET _line = _line + (SELECT count(*) FROM rej_lines "
                        f"WHERE rej_lines.adj <= _line) WHERE _file = $f", {"f": path.name})
        return [(path.name, int(line), "malformed_line", f"{col or ''} ({err.lower()})".strip(),
                 json.dumps({"csv_line": raw}, ensure_ascii=False)) for line, col, err, raw in rows]

    def _excel_relation(self, s: SourceSpec, path: Path) -> str:
        """One sheet as text columns, ``_line`` = the Excel row number; blank rows are not data lines.
        Date cells are written in the format the mapping declares for their column (ISO otherwise), so a
        column mixing date cells and dates typed as text parses with one rule; numbers keep Excel's 15
        significant digits (0.1 + 0.2 is 0.3, as Excel shows it)."""
        import importlib.util

        if importlib.util.find_spec("openpyxl") is None:
            raise ConfigError(f"{path.name}: reading Excel needs openpyxl (pip install openpyxl), or save the sheet "
                              "as CSV and declare format: csv")
        import openpyxl
        import pyarrow as pa

        where = f"{self.cfg.name} line {s.lines.get('sheet', s.line)} (source {s.name!r})"
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl each raise their own
            raise ConfigError(f"{path.name}: is not a readable Excel workbook (.xlsx/.xlsm) for source {s.name!r} "
                              f"({where}): {type(exc).__name__}: {exc}") from None
        try:
            if s.sheet is None:
                ws = wb.worksheets[0]
            elif s.sheet in wb.sheetnames:
                ws = wb[s.sheet]
            else:
                raise ConfigError(f"{path.name}: has no sheet {s.sheet!r} (it has: {', '.join(wb.sheetnames)}); "
                                  f"fix sheet: in {where}")
            ws.reset_dimensions()  # exporters write wrong <dimension> tags; read every row there is
            rows = [(i, row) for i, row in enumerate(ws.iter_rows(values_only=True), start=1) if i > s.skip]
        finally:
            wb.close()
        formats = {c.column: c.format for t in self.cfg.tables.values() if t.source == s.name
                   for c in t.columns.values() if c.column is not None and c.format and "%z" not in c.format.lower()}
        if s.header:
            if not rows:
                raise ConfigError(f"{path.name}: sheet {ws.title!r} has no header row after {s.skip} skipped rows")
            head = [("" if v is None else str(v).strip()) or f"column{k}" for k, v in enumerate(rows[0][1])]
            dupes = sorted({c for c in head if head.count(c) > 1})
            if dupes:
                raise ConfigError(f"{path.name} sheet {ws.title!r} row {rows[0][0]}, column {dupes[0]!r}: the header "
                                  "names this column twice")
            rows = rows[1:]
        else:
            head = [f"column{k}" for k in range(max((len(r) for _, r in rows), default=0))]
        data = [(i, r) for i, r in rows if any(v is not None and str(v).strip() != "" for v in r)]
        cols = {name: pa.array([_excel_text(r[k] if k < len(r) else None, formats.get(name)) for _, r in data],
                               pa.string()) for k, name in enumerate(head)}
        cols["_line"] = pa.array([i for i, _ in data], pa.int64())
        name = f"xl_{s.name}_{len(self.reads)}"
        self.con.register(name, pa.table(cols))
        return _q(name)

    def _read_database(self, s: SourceSpec, tmp: str) -> str:
        """A table or query of a database (SQLAlchemy- or Ibis-style URL, :mod:`cmokit.warehouse.dburl`),
        read through Ibis; errors name the key and line and never show the URL's password."""
        import ibis

        from cmokit.warehouse import dburl

        where = f"{self.cfg.name} line {s.lines.get('database', s.line)} (source {s.name!r}, database)"
        shown = dburl.mask(s.database)
        dialect, backend = dburl.scheme(s.database)
        path = dburl.file_path(s.database, self.raw_dir)
        if path is not None and not path.is_file():  # sqlite would create an empty database
            raise ConfigError(f"{where}: cannot connect to {shown}: no such database file {path}")
        url = dburl.to_ibis_url(s.database, self.raw_dir)
        try:
            db = ibis.connect(url, **({"read_only": True} if backend == "duckdb" else {}))
        except ImportError as exc:
            raise ConfigError(f"{where}: cannot connect to {shown}: the Ibis backend for {backend} is not installed "
                              f"(pip install 'ibis-framework[{backend}]'; "
                              f"{dburl.mask(str(exc).splitlines()[0], s.database)})") from None
        except Exception as exc:  # noqa: BLE001 - every driver has its own error family
            raise ConfigError(f"{where}: cannot connect to {shown}: {type(exc).__name__}: "
                              f"{dburl.mask(str(exc).splitlines()[0] if str(exc) else '', s.database)}") from None
        try:
            expr = db.table(s.table) if s.table else db.sql(s.query)
            data = expr.to_pyarrow()
        except Exception as exc:  # noqa: BLE001 - every driver has its own error family
            raise ConfigError(f"{where}: cannot read {'table ' + s.table if s.table else 'the query'} from "
                              f"{shown}: {type(exc).__name__}: "
                              f"{dburl.mask(str(exc).splitlines()[0] if str(exc) else '', s.database)}") from None
        finally:
            db.disconnect()
        label = f"{dialect}:{s.table or 'query'}"
        self.con.register("db_arrow", data)
        self.con.execute(f"CREATE TEMP TABLE {tmp} AS SELECT $file AS _file, 0 AS _rank, *, "
                         "row_number() OVER () AS _line FROM db_arrow", {"file": label})
        self.con.unregister("db_arrow")
        n = self.con.execute(f"SELECT count(*) FROM {tmp}").fetchone()[0]
        self.reads[(s.name, label)] = SourceRead(s.name, label, lines=n)
        return label

    def raw_columns(self, s: SourceSpec) -> dict:
        return {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {_q('src_' + s.name)}").fetchall()
                if r[0] not in ("_file", "_rank", "_line")}

    def _check_columns(self, s: SourceSpec, tmp: str) -> None:
        have = self.raw_columns(s)
        needed = []
        for tname, t in self.cfg.tables.items():
            if t.source != s.name:
                continue
            needed += [(c.column, f"table {tname} column {c.name}", c.line) for c in t.columns.values() if c.column]
            needed += [(g, f"table {tname} group_by", t.line) for g in t.group_by]
        needed += [(c, "types", s.line) for c in s.types]
        if s.currency_column:
            needed.append((s.currency_column, "currency", s.line))
        for col, what, line in needed:
            if col not in have:
                import difflib

                close = difflib.get_close_matches(col, list(have), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"{self.cfg.name} line {line}: {what} names raw column {col!r}, which source "
                                  f"{s.name!r} does not have (it has: {', '.join(have)}){hint}")

    def _apply_types(self, s: SourceSpec, tmp: str) -> None:
        """Cast declared raw columns; a value that does not parse quarantines its line (it never becomes NULL)."""
        if not s.types:
            return
        con = self.con
        have = self.raw_columns(s)
        casts, fails = [], []
        for col, typ in s.types.items():
            text = f"NULLIF(trim(CAST({_q(col)} AS VARCHAR)), '')"
            if re.match(r"(?i)(DECIMAL|NUMERIC|DOUBLE|FLOAT|REAL|INT|BIGINT|INTEGER|SMALLINT|HUGEINT)", typ):
                text = _clean_number(text, s.decimal)
            casts.append(f"TRY_CAST({text} AS {typ}) AS {_q(col)}")
            fails.append(f"WHEN NULLIF(trim(CAST({_q(col)} AS VARCHAR)), '') IS NOT NULL AND TRY_CAST({text} AS {typ}) "
                         f"IS NULL THEN {_sql_str(col)}")
        keep = [c for c in have if c not in s.types]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT _file, _rank, _line, "
                    f"{', '.join([_q(c) for c in keep] + casts)}, CASE {' '.join(fails)} END AS _type_fail "
                    f"FROM (SELECT * FROM {tmp}) ORDER BY _rank, _line")
        cols_json = "to_json(struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in have if c not in s.personal) + "))"
        # the failing line's original text is gone after the cast: keep the columns that did cast and name the failure
        bad = con.execute(f"SELECT _file, _line, _type_fail, {cols_json} FROM {tmp} WHERE _type_fail IS NOT NULL "
                          "ORDER BY _rank, _line").fetchall()
        for f, line, col, raw in bad:
            self.rejects.setdefault(s.name, []).append((f, int(line), "unparseable", col, raw))
            self.reads[(s.name, f)].rejected += 1
        con.execute(f"DELETE FROM {tmp} WHERE _type_fail IS NOT NULL")
        con.execute(f"ALTER TABLE {tmp} DROP COLUMN _type_fail")

    # -- mapping ------------------------------------------------------------------------
    def source_object(self, table: str):
        """A :class:`~cmokit.warehouse.sources.Source` describing the configured table for the build."""
        from cmokit.warehouse.sources import Source

        t = self.cfg.tables[table]
        s = self.cfg.sources.get(t.source) if t.source else None
        cols = {c: (t.columns[c].describe() if c in t.columns else c) for c in CONTRACT[table].column_names}
        personal = tuple(p for p in (s.personal if s else ()) if p not in cols.values())
        pseudo = tuple(c for c in ("customer_id",) if c in CONTRACT[table].column_names)
        from cmokit.warehouse.dburl import mask

        return Source(table, (s.path or mask(s.database)) if s else "derived", cols, personal=personal, pseudonymise=pseudo,
                      required=table in ("orders", "customers"))

    def fill(self, table: str) -> list[tuple[str, int, int]]:
        """Insert the table's candidate rows into ``cand``; returns (file, rank, rows) per file. Line-level
        rejects to quarantine come from :meth:`line_rejects`."""
        t = self.cfg.tables[table]
        con = self.con
        if t.derive:
            self._derive_customers(t)
        else:
            self.compute(table)
            spec = CONTRACT[table]
            cols = ", ".join(["_file", "_rank", "_line"] + [_q("r_" + c) for c in spec.column_names]
                             + [_q("p_" + p) for p in self.source_object(table).personal])
            con.execute(f"INSERT INTO cand ({cols}) SELECT {cols} FROM {_q('mapped_' + table)}")
            con.execute(f"DROP TABLE {_q('mapped_' + table)}")
        return con.execute("SELECT _file, any_value(_rank), count(*) FROM cand GROUP BY _file ORDER BY 2, 1").fetchall()

    def paths(self) -> dict:
        """Raw file name -> path, for the files read so far."""
        out = {}
        for name in self.loaded:
            s = self.cfg.sources[name]
            if s.path:
                out.update({p.name: p for p in self.files(s)})
        return out

    def line_rejects(self, table: str) -> list:
        """Line-level quarantine rows (file, line, check, column, raw json) charged to ``table``: a source's
        malformed lines and lines no table used are charged to the first table (contract order) using it."""
        t = self.cfg.tables[table]
        if t.derive or self._first_user(t.source) != table:
            return []
        return list(self.rejects.get(t.source, [])) + self._unrouted(t.source)

    def _first_user(self, source: str) -> str:
        from cmokit.warehouse.sources import load_order

        return next(n for n in load_order() if n in self.cfg.tables and self.cfg.tables[n].source == source)

    def _unrouted(self, source: str) -> list:
        users = [t for t in self.cfg.tables.values() if t.source == source]
        if any(t.where is None for t in users):
            return []
        cond = " OR ".join(f"({t.where})" for t in users)
        s = self.cfg.sources[source]
        cols = [c for c in self.raw_columns(s) if c not in s.personal]
        raw = "to_json(struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in cols) + "))"
        rows = self.con.execute(f"SELECT _file, _line, {raw} FROM {_q('src_' + source)} WHERE NOT coalesce({cond}, false) "
                                "ORDER BY _rank, _line").fetchall()
        for f, _, _ in rows:
            self.reads[(source, f)].unrouted += 1
        where = "; ".join(f"{t.name}: {t.where}" for t in users)
        return [(f, int(line), "unrouted", where[:200], r) for f, line, r in rows]

    def _expr(self, c: ColumnSpec, s: SourceSpec, types: dict, params: dict, table: str, agg: bool) -> str:
        """SQL text of one contract column, normalised to what the contract parses (raw text kept when it cannot be)."""
        col = CONTRACT[table].column(c.name)
        if c.generated:
            return "NULL"  # filled with the line's identity below
        if c.column is not None:
            base = _q(c.column)
            raw_type = types.get(c.column, "VARCHAR").upper()
            if agg and c.column not in self.cfg.tables[table].group_by:
                base = f"min({base})" if col.type.upper() != "TIMESTAMP" else base
        else:
            base = f"({c.sql})"
            raw_type = "?"
        p = f"p{len(params)}"
        if raw_type in ("DOUBLE", "FLOAT", "REAL") and col.type == "VARCHAR":  # ids stored as floats: 13085.0 -> 13085
            base = f"CASE WHEN {base} = floor({base}) THEN CAST(CAST({base} AS BIGINT) AS VARCHAR) ELSE CAST({base} AS VARCHAR) END"
        text = f"NULLIF(trim(CAST({base} AS VARCHAR)), '')"
        if c.values:
            params[p + "k"], params[p + "v"] = list(c.values), list(c.values.values())
            mapped = f"list_extract(${p}v, list_position(${p}k, {text}))"
            text = f"CASE WHEN list_position(${p}k, {text}) > 0 THEN {mapped} ELSE {text} END"
        t = col.type.upper()
        if t == "TIMESTAMP":
            zone = c.timezone or s.timezone
            params[p + "z"] = zone
            if c.format:
                params[p + "f"] = c.format
                naive = f"try_strptime({text}, ${p}f)"
                has_offset = f"regexp_matches(${p}f, '%z|%Z')"
                ts = f"CASE WHEN {has_offset} THEN timezone('UTC', try_strptime({text}, ${p}f)::TIMESTAMPTZ) " \
                     f"ELSE timezone('UTC', timezone(${p}z, {naive})) END"
            else:
                offset = f"regexp_matches({text}, '(Z|[+-]\\d\\d(:?\\d\\d)?)$')"
                ts = (f"CASE WHEN {offset} THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) "
                      f"ELSE timezone('UTC', timezone(${p}z, TRY_CAST({text} AS TIMESTAMP))) END")
            if agg and c.column is not None and c.column not in self.cfg.tables[table].group_by:
                ts = f"min({ts})"
                text = f"min({text})"
            return f"coalesce(CAST({ts} AS VARCHAR), {text})"
        if t == "DATE" and c.format:
            params[p + "f"] = c.format
            return f"coalesce(CAST(CAST(try_strptime({text}, ${p}f) AS DATE) AS VARCHAR), {text})"
        if t == "BOOLEAN":
            params[p + "t"], params[p + "n"] = list(TRUE_VALUES), list(FALSE_VALUES)
            low = f"lower({text})"
            return (f"CASE WHEN list_contains(${p}t, {low}) THEN 'true' WHEN list_contains(${p}n, {low}) THEN 'false' "
                    f"ELSE {text} END")
        if t == MONEY or t.startswith("DECIMAL") or t in ("BIGINT", "INTEGER", "DOUBLE"):
            num = _clean_number(text, s.decimal) if raw_type in ("VARCHAR", "?") else text
            if raw_type.startswith("DECIMAL"):  # 3.5000 -> 3.5: the declared scale adds no digits the source had
                num = f"CASE WHEN contains({num}, '.') THEN rtrim(rtrim({num}, '0'), '.') ELSE {num} END"
            if t == MONEY or t.startswith("DECIMAL"):
                rate = self._rate(c, s, params, p, agg, table)
                if rate is not None:
                    value = f"TRY_CAST({num} AS DECIMAL(38,10)) * {rate}"
                    # no rate for the row's currency: keep a text that names it, so the row is quarantined
                    return (f"CASE WHEN {text} IS NOT NULL AND {rate} IS NULL THEN 'no fx rate: ' || {text} "
                            f"ELSE coalesce(CAST(CAST(round({value}, 2) AS DECIMAL(38,2)) AS VARCHAR), {text}) END")
                if c.sql is not None or raw_type in ("DOUBLE", "FLOAT", "REAL"):
                    # a computed amount (sum of quantity x price) or a binary float is rounded to cents once,
                    # here; a money *text* keeps its digits so the build can refuse 12.505
                    cents = f"CAST(CAST(round(TRY_CAST({num} AS DECIMAL(38,10)), 2) AS DECIMAL(38,2)) AS VARCHAR)"
                    return f"coalesce({cents}, {text})"
            return f"coalesce({num}, {text})"
        return text

    def _rate(self, c: ColumnSpec, s: SourceSpec, params: dict, p: str, agg: bool, table: str):
        """SQL for the FX rate of a money value, or None when no conversion is needed."""
        rep = self.cfg.reporting_currency
        fx = dict(self.cfg.fx)
        fx.setdefault(rep, 1.0)
        if c.currency or (s.currency and not s.currency_column):
            cur = c.currency or s.currency
            if cur == rep:
                return None
            if cur not in fx:
                raise ConfigError(f"{self.cfg.name} line {c.line}: {table}.{c.name} is in {cur} but fx has no rate "
                                  f"from {cur} to the reporting currency {rep}; add it under fx: rates:")
            params[p + "r"] = fx[cur]
            return f"CAST(${p}r AS DECIMAL(38,10))"
        if s.currency_column:
            params[p + "c"], params[p + "r"] = list(fx), [float(v) for v in fx.values()]
            cur = f"upper(trim({_q(s.currency_column)}))"
            if agg:
                cur = f"min({cur})"
            return f"CAST(list_extract(${p}r, list_position(${p}c, {cur})) AS DECIMAL(38,10))"
        return None  # no currency declared: the money is in the reporting currency

    def compute(self, table: str) -> None:
        """Map a configured table into the temp table ``mapped_<table>`` (once)."""
        con = self.con
        if table in self.computed:
            return
        self.computed.add(table)
        t = self.cfg.tables[table]
        self.load_source(t.source)
        s = self.cfg.sources[t.source]
        types = self.raw_columns(s)
        params: dict = {}
        agg = bool(t.group_by)
        spec = CONTRACT[table]
        exprs = {c: self._expr(t.columns[c], s, types, params, table, agg) if c in t.columns else "NULL"
                 for c in spec.column_names}
        mapped_cols = {c for c, e in exprs.items() if e != "NULL"}
        cust = self.cfg.tables.get("customers")
        if cust is not None and table in cust.derive and "country" in cust.columns:
            # a derived customer's country comes from a raw column of the orders/refunds source
            cs = dataclasses.replace(cust.columns["country"], name="country")
            if cs.column is not None and cs.column not in types:
                raise ConfigError(f"{self.cfg.name} line {cs.line}: customers.country names raw column {cs.column!r}, "
                                  f"which source {t.source!r} of {table} does not have (it has: {', '.join(types)})")
            exprs["x_country"] = self._expr(cs, s, types, params, "customers", agg)
        where = f"WHERE {t.where}" if t.where else ""
        src = _q("src_" + t.source)
        personal = [p for p in self.source_object(table).personal]
        if agg:
            gb = ", ".join(_q(g) for g in t.group_by)
            pers = [f"CAST(min({_q(p)}) AS VARCHAR) AS {_q('p_' + p)}" if p in types else f"NULL::VARCHAR AS {_q('p_' + p)}" for p in personal]
            select = ("SELECT _file, _rank, min(_line) AS _line, count(*) AS _lines, "
                      + ", ".join([f"CAST({e} AS VARCHAR) AS {_q('r_' + c)}" for c, e in exprs.items()] + pers)
                      + f" FROM {src} {where} GROUP BY _file, _rank, {gb}")
        else:
            pers = [f"CAST({_q(p)} AS VARCHAR) AS {_q('p_' + p)}" if p in types else f"NULL::VARCHAR AS {_q('p_' + p)}" for p in personal]
            select = ("SELECT _file, _rank, _line, 1 AS _lines, "
                      + ", ".join([f"CAST({e} AS VARCHAR) AS {_q('r_' + c)}" for c, e in exprs.items()] + pers)
                      + f" FROM {src} {where}")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE mapped AS {select}", params)
        except Exception as exc:
            import duckdb

            if not isinstance(exc, duckdb.Error):
                raise
            raise ConfigError(f"{self.cfg.name} line {t.line}: the mapping of table {table} does not run on source "
                              f"{t.source!r}: {str(exc).splitlines()[0]} (check its columns' sql:, where: and "
                              "group_by)") from None
        generated = [c for c, cs in t.columns.items() if cs.generated]
        if generated:  # one row per raw row (a transaction log): the id is the row's content and its occurrence,
            # so a redelivered file gives the same ids (duplicate_delivery) and two equal rows stay two rows
            content = "md5(to_json([" + ", ".join(_q("r_" + c) for c in spec.column_names if c not in generated) + "]))"
            con.execute(f"CREATE OR REPLACE TEMP TABLE mapped AS SELECT * REPLACE ("
                        f"left({content}, 16) || '-' || row_number() OVER (PARTITION BY _file, {content} ORDER BY _line) "
                        f"AS {_q('r_' + generated[0])}) FROM mapped ORDER BY _rank, _line")
        for col in ("country", "x_country"):
            if col in mapped_cols or (col == "x_country" and col in exprs):
                self._countries(table, col)
        for f, n in con.execute("SELECT _file, sum(_lines) FROM mapped GROUP BY _file").fetchall():
            self.reads[(t.source, f)].routed[table] = int(n)
        con.execute(f"ALTER TABLE mapped RENAME TO {_q('mapped_' + table)}")

    def _countries(self, table: str, column: str = "country") -> None:
        """Country names and aliases -> ISO-2 through country_converter's table; unknown values load as NULL
        with a warning naming them (a country the shop spells its own way never costs a customer)."""
        con = self.con
        rc = _q("r_" + column)
        vals = [r[0] for r in con.execute(f"SELECT DISTINCT {rc} FROM mapped WHERE {rc} IS NOT NULL").fetchall()]
        iso = to_iso2(vals)
        unknown = [v for v, c in iso.items() if c is None]
        if unknown:
            counts = con.execute(f"SELECT {rc}, count(*) FROM mapped WHERE list_contains($v, {rc}) "
                                 "GROUP BY 1 ORDER BY 2 DESC, 1", {"v": unknown}).fetchall()
            msg = (f"{'customers.' if column != 'country' else ''}country: {len(unknown)} value(s) not recognised as a country, loaded as NULL: "
                   + ", ".join(f"{v!r} ({n:,} {table})" for v, n in counts[:10])
                   + " (map them under the column's values: if they are countries)")
            owner = "customers" if column == "x_country" else table
            if msg not in self.warnings.get(owner, []):
                self.warnings.setdefault(owner, []).append(msg)
            log.warning("%s: %s", owner, msg)
        import pyarrow as pa

        con.register("country_arrow", pa.table({"raw": pa.array(list(iso), pa.string()),
                                                "iso2": pa.array(list(iso.values()), pa.string())}))
        con.execute(f"UPDATE mapped SET {rc} = m.iso2 FROM country_arrow m WHERE mapped.{rc} = m.raw")
        con.unregister("country_arrow")

    def _derive_customers(self, t: TableConfig) -> None:
        """One customer per customer id seen in the given tables: first seen = first order (or refund), country =
        the latest row's, consent unknown = false (not contactable), acquisition channel unknown."""
        con = self.con
        parts = []
        for d in t.derive:
            self.compute(d)
            time_col = "r_ordered_at" if d == "orders" else "r_refunded_at"
            country = "r_x_country" if "country" in t.columns else "NULL"
            parts.append(f"SELECT r_customer_id AS id, TRY_CAST({time_col} AS TIMESTAMP) AS ts, {country} AS country "
                         f"FROM {_q('mapped_' + d)} WHERE r_customer_id IS NOT NULL")
        params: dict = {}
        country = "arg_max(country, ts) FILTER (WHERE country IS NOT NULL)"  # the latest known country
        con.execute(
            "INSERT INTO cand (_file, _rank, _line, r_customer_id, r_first_seen_at, r_country, r_acquisition_channel, "
            "r_marketing_consent) SELECT $file, 0, row_number() OVER (ORDER BY id), id, CAST(min(ts) AS VARCHAR), "
            f"{country}, NULL, 'false' FROM ({' UNION ALL '.join(parts)}) GROUP BY id",
            {"file": "derived from " + " and ".join(t.derive), **params})

    def summary_lines(self) -> list[str]:
        return [r.line() for r in self.reads.values()]

    def verify(self) -> None:
        """Every raw line went to one table or to quarantine; overlapping ``where:`` filters are an error
        (a line counted twice would double revenue)."""
        from cmokit.errors import BuildError

        for r in self.reads.values():
            users = [t for t in self.cfg.tables.values() if t.source == r.source]
            r.shared = len(users) > 1 and any(t.where is None for t in users)
            if not r.reconciles:
                tables = ", ".join(f"{t.name}: {t.where}" for t in users)
                raise BuildError(f"{r.file}: lines do not reconcile ({r.line()}); the where: filters of the tables "
                                 f"reading source {r.source!r} overlap ({tables}); nothing was published")


def _csv_header(path: Path, s: SourceSpec) -> list[str]:
    """Column names from the header line (or column0, column1, ... without one); a clear error when unreadable."""
    import codecs
    import csv

    enc = s.encoding.lower().replace("_", "-")
    enc = "utf-8-sig" if enc in ("utf-8", "utf8") else enc
    try:
        codecs.lookup(enc)
    except LookupError:
        raise ConfigError(f"{path.name}: encoding {s.encoding!r} of source {s.name!r} is unknown (utf-8, latin-1, utf-16)") from None
    try:
        with open(path, encoding=enc, newline="") as fh:
            for _ in range(s.skip):
                fh.readline()
            first = next(csv.reader(fh, delimiter=s.delimiter, quotechar=s.quote), None)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name} line {1 + s.skip}: the header is not {s.encoding} (byte {exc.start}); declare the "
                          f"file's encoding in source {s.name!r}") from None
    if not first:
        raise ConfigError(f"{path.name}: the file is empty (not even a header line); re-export it or remove it")
    if not s.header:
        return [f"column{i}" for i in range(len(first))]
    if len(first) == 1 and s.delimiter == ",":
        for delim, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delim in first[0]:
                raise ConfigError(f"{path.name} line 1: the file looks {name}-delimited; declare delimiter: "
                                  f"{delim!r} in source {s.name!r}")
    dupes = sorted({c for c in first if first.count(c) > 1})
    if dupes:
        raise ConfigError(f"{path.name} line 1, column {dupes[0]!r}: the header names this column twice")
    return [c.strip() for c in first]


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _excel_text(value, fmt: str | None = None) -> str | None:
    """An Excel cell as the text a CSV export would hold.

    >>> import datetime as dt
    >>> [_excel_text(v) for v in (0.1 + 0.2, 1234.0, 19.99, True, dt.datetime(2025, 1, 2, 10, 30), None)]
    ['0.3', '1234', '19.99', 'true', '2025-01-02 10:30:00', None]
    >>> _excel_text(dt.datetime(2025, 1, 2), "%d.%m.%Y")
    '02.01.2025'
    """
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, dt.datetime | dt.date):
        if fmt:
            return value.strftime(fmt)
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _clean_number(text: str, decimal: str) -> str:
    """SQL normalising a number written with currency symbols, spaces and the declared decimal separator."""
    t = f"regexp_replace({text}, '[\\s\\p{{Sc}}]', '', 'g')"
    if decimal == ",":
        t = f"replace(replace({t}, '.', ''), ',', '.')"
    return t


__all__ = ["ColumnSpec", "Reader", "SourceSpec", "SourcesConfig", "TableConfig", "load_config", "parse_config",
           "to_iso2"]
