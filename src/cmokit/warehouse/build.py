"""The governed warehouse build: map -> cast -> validate -> quarantine -> pseudonymise -> publish.

``build(raw_dir, out)`` reads every raw export in ``raw_dir`` (see
:mod:`cmokit.warehouse.sources`), and writes

* ``out`` -- the marketing warehouse: the contract tables, pseudonymous, with
  no personal column, plus ``meta_loads``, ``meta_quarantine_summary`` and
  ``meta_build`` (counts and hashes only);
* ``out`` with suffix ``.quarantine.duckdb`` -- IT's side: one
  ``quarantine_<table>`` per source with the failed check, the column, the
  file, the line and the original values (which may hold personal data, so
  this file is never given to marketing).

Guarantees:

* **Nothing is lost** -- every raw row is loaded or quarantined; the
  reconciliation ``rows_read = rows_loaded + rows_quarantined`` is checked per
  file and the build fails if it does not hold.
* **Atomic publish** -- both files are written under temporary names and
  renamed into place only after the contract checks pass; a failed or killed
  build leaves the previous warehouse untouched and readable. The warehouse is
  renamed first (readers hold it open, so its rename is the one likely to be
  refused, and then nothing is published); both files record the build's
  ``build_id`` in ``meta_build``, so the rare half-published pair (killed
  between the two renames) fails ``cmokit warehouse check``
  (``quarantine_same_build``) until the next build.
* **Idempotent** -- the build always reprocesses every export in ``raw_dir``:
  adding a newer export (a new day of orders) gives exactly the warehouse a
  full rebuild gives, and a re-delivered export duplicates nothing (its rows
  are quarantined as ``duplicate_delivery``). When one key arrives with
  different values, the latest file (by name), then the latest line, wins and
  the older row is quarantined as ``duplicate_key``.
* **Pseudonymous** -- customer ids are replaced by a keyed HMAC-SHA256
  (:mod:`cmokit.warehouse.pseudonym`); the key is never stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.errors import BuildError, ConfigError
from cmokit.warehouse import erasure, files as _files
from cmokit.warehouse import gates as _gates
from cmokit.warehouse.contract import CONTRACT, Column, PERSONAL_COLUMNS
from cmokit.warehouse.files import quarantine_path
from cmokit.warehouse.pseudonym import hmac_sql, load_key
from cmokit.warehouse.sources import SOURCES, Source, discover, load_order

log = logging.getLogger(__name__)

TRUE_WORDS = ("Y", "YES", "TRUE", "T", "1")
FALSE_WORDS = ("N", "NO", "FALSE", "F", "0")
DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
#: Money as the contract takes it: digits, at most two decimals, no exponent (12.505 and 1e3 are refused).
MONEY_TEXT = r"[+-]?([0-9]+([.][0-9]{0,2})?|[.][0-9]{1,2})"
QUARANTINED, KEPT = "quarantined", "loaded_with_null"  # outcome of a quarantine row


@dataclass
class FileResult:
    """Reconciliation of one raw file."""

    source_file: str
    table_name: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    warnings: list[str] = field(default_factory=list)
    rows_erased: int = 0  # rows of suppressed customers (erasure), dropped before validation

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_erased


@dataclass
class BuildResult:
    path: Path
    quarantine_path: Path
    files: list[FileResult]
    tables: dict[str, int]
    checks: object  # pandas DataFrame
    built_at: dt.datetime
    build_id: str = ""  # also in meta_build of the warehouse and of the quarantine
    lines: list = field(default_factory=list)  # per raw file: lines read = lines into each table + quarantined
    gates: object = None  # pandas DataFrame: every publish gate's numbers (also meta_gates)
    reasons: object = None  # pandas DataFrame: the top quarantine reasons per table
    customers_erased: int = 0  # suppressed customers found (and erased) in the raw exports
    accepted_gates: tuple[str, ...] = ()

    def summary(self):
        """Per-file reconciliation as a DataFrame (read = loaded + quarantined + erased)."""
        import pandas as pd

        return pd.DataFrame([
            dict(table=f.table_name, file=f.source_file, read=f.rows_read, loaded=f.rows_loaded,
                 quarantined=f.rows_quarantined, erased=f.rows_erased, reconciles=f.reconciles,
                 warnings="; ".join(f.warnings))
            for f in self.files
        ])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- header checks
def read_header(path: Path, source: Source) -> tuple[list[str], list[str]]:
    """The file's columns and warnings; a clear :class:`BuildError` when the
    header cannot carry the contract columns."""
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first:
        raise BuildError(
            f"{path.name}: the file is empty (0 bytes, not even a header line; check empty_file). "
            f"Expected the {source.table} export with columns {', '.join(source.raw_columns)}; re-export it or remove it."
        )
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BuildError(f"{path.name} line 1: the header is not UTF-8 (check encoding, byte {exc.start}); "
                         "re-export the file as UTF-8") from None
    cols = next(csv.reader([header]))
    expected = source.raw_columns
    missing = [c for c in source.needed_raw_columns if c not in cols]
    if missing:
        for delim, name in DELIMITERS.items():
            parts = [p.strip('"') for p in header.split(delim)]
            if all(c in parts for c in source.needed_raw_columns):
                raise BuildError(
                    f"{path.name} line 1: the file is {name}-delimited ({delim!r}); cmokit expects comma-separated "
                    f"exports (check delimiter). Re-export with ',' as the delimiter."
                )
        raise BuildError(
            f"{path.name} line 1, column {missing[0]!r}: required column missing (check required_column) "
            f"for table {source.table}. Found columns: {', '.join(cols)}; expected: {', '.join(expected)}."
        )
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise BuildError(f"{path.name} line 1, column {dupes[0]!r}: the header names this column twice (check unique_columns)")
    warnings = []
    extra = [c for c in cols if c not in expected and c not in source.personal]
    if extra:
        warnings.append(f"extra column(s) ignored: {', '.join(extra)}")
    return cols, warnings


# --------------------------------------------------------------------------- SQL pieces
def _text(name: str) -> str:
    """The trimmed raw text of contract column ``name`` (NULL when blank): computed once per row by
    :meth:`_Build._validate` as ``t_<name>``, then read by the casts and every check."""
    return _q("t_" + name)


def _trimmed(raw: str) -> str:
    """SQL: the raw text ``raw`` trimmed of spaces, NULL when blank -- ``NULLIF(trim(raw), '')``, which
    copies every value; most values need no trimming, and for an ASCII value (bytes = characters) that
    neither starts nor ends with a space trim changes nothing (DuckDB's trim strips Unicode space
    separators, and the only one in ASCII is the space), so such a value is passed through as it is."""
    return (f"CASE WHEN {raw} <> '' AND NOT prefix({raw}, ' ') AND NOT suffix({raw}, ' ') AND strlen({raw}) = length({raw}) "
            f"THEN {raw} ELSE NULLIF(trim({raw}), '') END")


#: the DuckDB storage format of the warehouse and quarantine files: readable by DuckDB 1.3 and later; its
#: string compression (DICT_FSST) writes the tables about a fifth faster than the default format (v0.10.2)
#: and the files a little smaller (DECISIONS.md, "Build performance")
STORAGE_VERSION = "v1.3.0"

#: the shape of an ISO 8601 UTC timestamp as exports write it, 2025-01-31T23:59:59Z (LIKE: ``_`` is any character)
UTC_SHAPE = "____-__-__T__:__:__Z"


def _timestamp(txt: str) -> str:
    """SQL: the text ``txt`` as a UTC TIMESTAMP (NULL when unparseable), an offset or zone converted.

    ``TRY_CAST(... AS TIMESTAMPTZ)`` parses offsets and zone names, through ICU: about 5x the cost of the
    plain TIMESTAMP cast, which ignores an offset. A value shaped as :data:`UTC_SHAPE` ends in ``Z`` and
    has no room for an offset, so there both casts give the same timestamp (property test in
    tests/warehouse/test_properties.py); the plain cast takes those, the zone-aware cast the rest."""
    return (f"CASE WHEN {txt} LIKE '{UTC_SHAPE}' THEN TRY_CAST({txt} AS TIMESTAMP) "
            f"ELSE TRY_CAST({txt} AS TIMESTAMPTZ)::TIMESTAMP END")


def _parse(col: Column) -> str:
    """SQL that casts the trimmed raw text of ``col`` to the contract type (NULL when unparseable)."""
    txt = _text(col.name)
    t = col.type.upper()
    if t == "VARCHAR":
        return f"upper({txt})" if col.name == "country" else txt
    if t == "TIMESTAMP":
        return _timestamp(txt)
    if t == "BOOLEAN":
        return (f"CASE WHEN list_contains($true_words, upper({txt})) THEN TRUE "
                f"WHEN list_contains($false_words, upper({txt})) THEN FALSE END")
    return f"TRY_CAST({txt} AS {col.type})"


def _column_checks(col: Column, i: int, params: dict) -> list[tuple[str, str]]:
    """(SQL condition, check name) for one column's value checks, in order."""
    txt, typed = _text(col.name), _q(col.name)
    out = []
    if col.type.upper().startswith("DECIMAL"):
        # the pattern is this module's constant, written into the SQL: DuckDB compiles a bound pattern
        # again for every row (4x slower); it holds no quote, so it cannot end the string literal
        assert "'" not in MONEY_TEXT
        out.append((f"{txt} IS NOT NULL AND NOT regexp_full_match({txt}, '{MONEY_TEXT}')", "money_format"))
    out.append((f"{txt} IS NOT NULL AND {typed} IS NULL", "unparseable"))
    if col.accepted is not None:
        params[f"acc{i}"] = list(col.accepted)
        out.append((f"{typed} IS NOT NULL AND NOT list_contains($acc{i}, {typed})", "accepted_values"))
    if col.minimum is not None:
        params[f"min{i}"] = col.minimum
        out.append((f"{typed} < $min{i}", "minimum"))
    return out


def _used(params: dict, sql: str) -> dict:
    """The bound parameters ``sql`` refers to (DuckDB refuses named parameters a statement does not use)."""
    import re

    named = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {k: v for k, v in params.items() if k in named}


def _check_expr(table: str) -> tuple[str, dict, dict]:
    """SQL ``CASE`` giving 'check|column' of a typed row's first failed *hard* check (else NULL), and
    per optional (nullable) column a ``CASE`` giving its failed check: a bad optional value becomes
    null with a warning, only what the contract needs to keep a row can reject it."""
    spec = CONTRACT[table]
    whens, soft, params = [], {}, {}
    for col in spec.columns:
        if not col.nullable:
            whens.append(f"WHEN {_text(col.name)} IS NULL THEN 'missing_value|{col.name}'")
    checks = {col.name: _column_checks(col, i, params) for i, col in enumerate(spec.columns)}
    for kind in ("money_format", "unparseable", "accepted_values", "minimum"):
        for col in spec.columns:
            for cond, name in checks[col.name]:
                if name == kind and not col.nullable:
                    whens.append(f"WHEN {cond} THEN '{name}|{col.name}'")
    for col in spec.columns:
        if col.nullable:
            soft[col.name] = [f"WHEN {cond} THEN '{name}'" for cond, name in checks[col.name]]
    for inv in spec.invariants:
        if spec.column(inv.column).nullable:
            soft[inv.column].append(f"WHEN NOT ({inv.sql}) THEN '{inv.name}'")
        else:
            whens.append(f"WHEN NOT ({inv.sql}) THEN '{inv.name}|{inv.column}'")
    soft = {c: "CASE " + " ".join(w) + " END" for c, w in soft.items() if w}
    return "CASE " + " ".join(whens) + " END", soft, params


def _fingerprint(table: str) -> str:
    """SQL: a fingerprint of a row's raw contract values (a re-delivered row has the same)."""
    return "md5(to_json([" + ", ".join(_q("r_" + c) for c in CONTRACT[table].column_names) + "]))"


def _flagged(soft) -> str:
    """SQL: whether a checked row failed a hard check or has a warning on one of the ``soft`` columns."""
    return " OR ".join(["_fail IS NOT NULL"] + [f"{_q('_soft_' + c)} IS NOT NULL" for c in soft])


def _reader_gave_up(exc: BaseException) -> bool:
    """Whether ``exc``, raised while DuckDB read an export, is the CSV reader giving up on the file (a
    slower route can read it) rather than the machine failing (a full disk, no memory, an interrupt),
    which every route would meet again, only later."""
    import duckdb

    return (isinstance(exc, duckdb.Error) and not _files.is_disk_full(exc)
            and not isinstance(exc, (duckdb.OutOfMemoryException, duckdb.InterruptException, duckdb.FatalException)))


class _SlowRoute(Exception):
    """A file the fused route cannot read (see :meth:`_Build._scan_fused`)."""


# --------------------------------------------------------------------------- the build
class _Build:
    def __init__(self, con, key: bytes, now: dt.datetime, built_at: dt.datetime, progress,
                 suppressed: list[str] = (), delivery: str = "date"):
        self.con = con
        self.key = key
        self.now = now
        self.built_at = built_at
        self.progress = progress
        self.files: list[FileResult] = []
        self.suppressed = set(suppressed)
        self.delivery = delivery
        self.customers_erased = 0
        self.headers: dict[str, set] = {}  # table -> raw columns seen in any of its files
        self.id_map_ready = False  # set once the customers are loaded and their pseudonyms mapped
        self._fused_files: dict[str, list[tuple[Path, list[str]]]] = {}  # table -> (file, its columns) by rank (fused route)
        if self.suppressed:
            erasure.register(con, sorted(self.suppressed))

    def run(self, raw_dir: Path, config=None) -> None:
        if config is not None:
            return self._run_config(raw_dir, config)
        found = discover(raw_dir)
        if not any(found.values()):
            raise BuildError(f"{raw_dir}: no raw exports found (expected files such as "
                             f"{', '.join(s.pattern for s in SOURCES.values())})")
        for table, source in SOURCES.items():
            if source.required and not found[table]:
                raise BuildError(f"{raw_dir}: no {table} export (files matching {source.pattern}); "
                                 "the warehouse cannot be built without it")
        for table, source in SOURCES.items():
            self._load_table(table, source, _files.delivery_order(found[table], self.delivery))

    def _run_config(self, raw_dir: Path, config) -> None:
        """Read through a sources.yml (:mod:`cmokit.warehouse.sources_config`): the reader fills ``cand``
        with normalised raw text per contract table; validation below is the same as for the default sources."""
        from cmokit.warehouse.sources_config import Reader

        self.reader = Reader(self.con, config, raw_dir, self.built_at)
        for table in load_order():
            if table in config.tables:
                self._load_table(table, self.reader.source_object(table), [], reader=self.reader)
            else:
                self._load_table(table, SOURCES.get(table) or Source(table, "", {c: c for c in CONTRACT[table].column_names}), [])
        self.reader.verify()

    def _fill_from_reader(self, table: str, reader) -> None:
        filled = reader.fill(table)
        paths = reader.paths()
        rejects = reader.line_rejects(table)
        results = {}
        for name, _rank, rows in filled:
            results[name] = FileResult(name, table, _files.sha256(paths[name]) if name in paths else "", rows_read=int(rows))
        for name, *_ in rejects:
            results.setdefault(name, FileResult(name, table, _files.sha256(paths[name]) if name in paths else ""))
            results[name].rows_read += 1
        if rejects:
            self.con.executemany(
                f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, $check, $col, 'error', $raw, $at, '{QUARANTINED}')",
                [{"file": f, "line": line, "check": check, "col": col, "raw": raw, "at": self.built_at}
                 for f, line, check, col, raw in rejects])
        files = list(results.values())
        if files and reader.warnings.get(table):
            files[0].warnings.extend(reader.warnings[table])
        for f in files:
            if f.rows_read == 0:
                f.warnings.append("header only: no rows")
            if self.progress:
                self.progress(f.source_file, f.rows_read)
        self.files.extend(files)

    # -- one table ---------------------------------------------------------------
    def _load_table(self, table: str, source: Source, files: list[Path], reader=None) -> None:
        con = self.con
        spec = CONTRACT[table]
        cols_sql = ", ".join(f"{_q(c.name)} {c.type}" for c in spec.columns)
        con.execute(f"CREATE TABLE {_q(table)} ({cols_sql})")
        con.execute(f"CREATE TEMP TABLE {_q('quarantine_' + table)} (source_file VARCHAR, line BIGINT, check_name VARCHAR, "
                    "column_name VARCHAR, severity VARCHAR, raw_values VARCHAR, quarantined_at TIMESTAMP, outcome VARCHAR)")
        if reader is None and files and self._scan_fused(table, source, files):
            if self.suppressed:
                self._erase(table, source, fused=True)
            self._validate(table, source, fused=True)
            return
        raw_cols = [f"{_q('r_' + c)} VARCHAR" for c in spec.column_names]
        personal = [f"{_q('p_' + c)} VARCHAR" for c in source.personal]
        con.execute(f"CREATE TEMP TABLE cand (_file VARCHAR, _rank INTEGER, _line BIGINT, {', '.join(raw_cols + personal)})")
        for rank, path in enumerate(files):
            self._read_file(table, source, path, rank)
        if reader is not None:
            self._fill_from_reader(table, reader)
        if self.suppressed:
            self._erase(table, source)
        self._validate(table, source)
        con.execute("DROP TABLE IF EXISTS cand")

    # -- the fused route: CSV -> typed and checked in one statement per file -------------------
    def _raw_json(self, table: str, source: Source) -> str:
        """SQL: a row's raw values as JSON (keyed by the export's column names) from its ``r_``/``p_`` columns."""
        return "to_json(struct_pack(" + ", ".join(
            [f"{_q(raw)} := {_q('r_' + name)}" for name, raw in source.columns.items()
             if name not in source.optional or raw in self.headers.get(table, ())]  # not columns no file had
            + [f"{_q(p)} := {_q('p_' + p)}" for p in source.personal]) + "))"

    def _csv_rows(self, table: str, source: Source, path: Path, cols: list[str]) -> tuple[str, dict]:
        """SQL (and its parameters) reading ``path`` as raw text: ``r_<contract column>`` and ``p_<personal
        column>`` (NULL for a column this file lacks), malformed lines to ``rej_errors``."""
        select = [f"{_q(source.columns[name])} AS {_q('r_' + name)}" if source.columns.get(name) in cols
                  else f"NULL::VARCHAR AS {_q('r_' + name)}" for name in CONTRACT[table].column_names]
        select += [f"{_q(p)} AS {_q('p_' + p)}" if p in cols else f"NULL::VARCHAR AS {_q('p_' + p)}" for p in source.personal]
        sql = (f"SELECT {', '.join(select)} FROM read_csv($path, columns=$columns, header=true, auto_detect=false, "
               "delim=',', quote='\"', escape='\"', strict_mode=true, store_rejects=true, rejects_table='rej_errors', "
               "rejects_scan='rej_scans', null_padding=false)")
        return sql, {"path": str(path), "columns": {c: "VARCHAR" for c in cols}}

    def _checked_sql(self, table: str, rows: str, carry: list[str]) -> tuple[str, dict]:
        """SQL over ``rows`` (raw text as ``r_<contract column>``): the ``carry`` columns, each contract column
        trimmed and cast, the row's first failed hard check (``_fail``, 'check|column') and per optional
        column its warning (``_soft_<column>``, the checks of :func:`_check_expr`); and its parameters."""
        spec = CONTRACT[table]
        texts = [_text(c) for c in spec.column_names]
        text = ", ".join(f"{_trimmed(_q('r_' + c))} AS {t}" for c, t in zip(spec.column_names, texts))
        typed = ", ".join(f"{_parse(c)} AS {_q(c.name)}" for c in spec.columns)
        check_sql, soft, params = _check_expr(table)
        params.update(true_words=list(TRUE_WORDS), false_words=list(FALSE_WORDS), now=self.now)
        soft_cols = "".join(f", {case} AS {_q('_soft_' + c)}" for c, case in soft.items())
        keep = ", ".join(carry)
        sql = (f"SELECT * EXCLUDE ({', '.join(texts)}), {check_sql} AS _fail{soft_cols} "
               f"FROM (SELECT {keep}, {typed}, {', '.join(texts)} FROM (SELECT {keep}, {text} FROM ({rows})))")
        return sql, params

    def _scan_fused(self, table: str, source: Source, files: list[Path]) -> bool:
        """The fast route for CSV exports: one streaming statement per file reads, trims, types and checks
        its rows into ``checked`` -- no raw staging copy and no line-numbering pass (a row's line follows
        from where it was stored); the raw values of a row its own checks flag are kept beside it as JSON.

        Returns False, leaving nothing behind, when a file needs the slower route through ``cand``: the
        CSV reader gives up on the whole file, or a line is not UTF-8 (it may be salvaged)."""
        import duckdb

        con = self.con
        spec = CONTRACT[table]
        heads = []
        for path in files:
            cols, warnings = read_header(path, source)
            heads.append((path, cols, warnings))
        self.headers.setdefault(table, set()).update(*(set(cols) for _, cols, _ in heads))
        self._fused_files[table] = [(path, cols) for path, cols, _ in heads]
        raws = [_q("r_" + c) for c in spec.column_names] + [_q("p_" + p) for p in source.personal]
        soft = _check_expr(table)[1]
        mapped = list(source.pseudonymise)
        flagged = _flagged(soft)
        columns = (["_rank INTEGER"] + [f"{_q(c.name)} {c.type}" for c in spec.columns]
                   + ["_fail VARCHAR"] + [f"{_q('_soft_' + c)} VARCHAR" for c in soft]
                   + [f"{_q('_pseudo_' + c)} VARCHAR" for c in mapped] + ["_raw VARCHAR"])
        con.execute(f"CREATE TEMP TABLE checked ({', '.join(columns)})")
        names = ", ".join([_q(c.name) for c in spec.columns] + ["_fail"] + [_q("_soft_" + c) for c in soft])
        start, spans, rejected, results = 0, [], [], []
        # the files' SHA-256 (for meta_loads) in a thread while DuckDB reads them (hashlib releases the GIL)
        pool = ThreadPoolExecutor(max_workers=1)
        digests = [pool.submit(_files.sha256, path) for path, _, _ in heads]
        pool.shutdown(wait=False)
        try:
            for rank, (path, cols, warnings) in enumerate(heads):
                con.execute("DROP TABLE IF EXISTS rej_errors")
                con.execute("DROP TABLE IF EXISTS rej_scans")
                read, read_params = self._csv_rows(table, source, path, cols)
                select, params = self._checked_sql(table, read, raws)
                sql = (f"INSERT INTO checked SELECT $rank, {names}, " + "".join("NULL, " for _ in mapped)
                       + f"CASE WHEN {flagged} THEN {self._raw_json(table, source)} END FROM ({select})")
                n = con.execute(sql, {**_used(params, sql), **read_params, "rank": rank}).fetchone()[0]
                rejects = con.execute("SELECT line, any_value(column_name), any_value(error_type), any_value(csv_line) "
                                      "FROM rej_errors GROUP BY line ORDER BY line").fetchall()
                if any("ENCODING" in str(err).upper() for _, _, err, _ in rejects):
                    raise _SlowRoute(f"{path.name}: a line is not UTF-8")
                spans.append((rank, path.name, start, n))
                rejected += [(rank, int(line)) for line, *_ in rejects]
                start += n
                result = FileResult(path.name, table, "", rows_read=n + len(rejects))
                result.warnings = list(warnings)
                results.append((result, path, rejects))
        except (duckdb.Error, _SlowRoute) as exc:
            for digest in digests:
                digest.cancel()
            if not isinstance(exc, _SlowRoute) and not _reader_gave_up(exc):
                raise  # a full disk, no memory, an interrupt: the staged route would only fail again, later
            log.info("%s: %s; reading its exports through the staging table", table, str(exc).splitlines()[0])
            con.execute("DROP TABLE checked")
            return False
        # where each file's rows are stored, and its rejected lines (a stored row's line skips them)
        con.execute("CREATE OR REPLACE TEMP TABLE spans (_rank INTEGER, _file VARCHAR, start BIGINT, n BIGINT)")
        con.executemany("INSERT INTO spans VALUES (?, ?, ?, ?)", spans)
        con.execute("CREATE OR REPLACE TEMP TABLE rej_lines (_rank INTEGER, line BIGINT)")
        if rejected:
            con.executemany("INSERT INTO rej_lines VALUES (?, ?)", rejected)
        con.execute("CREATE OR REPLACE TEMP TABLE rej_lines AS SELECT _rank, line - row_number() OVER "
                    "(PARTITION BY _rank ORDER BY line) + 1 AS adj FROM rej_lines")
        for (result, path, rejects), digest in zip(results, digests):
            result.sha256 = digest.result()
            if result.warnings:
                log.warning("%s: %s", path.name, "; ".join(result.warnings))
            if rejects:
                con.executemany(
                    f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, 'malformed_line', $col, 'error', $raw, "
                    f"$at, '{QUARANTINED}')",
                    [{"file": path.name, "line": int(line), "col": f"{col or ''} ({err.lower()})".strip(),
                      "raw": _json_line(raw), "at": self.built_at} for line, col, err, raw in rejects])
            if result.rows_read == 0:
                result.warnings.append("header only: no rows")
            self.files.append(result)
            if self.progress:
                self.progress(path.name, result.rows_read)
        return True

    def _by_file(self, table: str, by_rank) -> dict[str, int]:
        """Counts per file rank (a dict or (rank, count) pairs) as counts per file name (fused route)."""
        names = [path.name for path, _ in self._fused_files[table]]
        return {names[rank]: n for rank, n in dict(by_rank).items()}

    def _fused_raws(self, table: str, source: Source, flagged: str) -> None:
        """``raws`` (``_rid``, ``_line``, ``_raw``, ``_fp``) on the fused route: the JSON kept by the scan for
        rows their own checks flagged; a row flagged later (a foreign key) or holding a duplicated key is
        read again from its file (only then, and only the files that hold such rows)."""
        con = self.con
        con.execute("CREATE TEMP TABLE raws0 AS SELECT rowid AS _rid, _raw, NULL::VARCHAR AS _fp FROM checked "
                    "WHERE _raw IS NOT NULL AND rowid NOT IN (SELECT _rid FROM dups)")
        con.execute(f"CREATE TEMP TABLE need AS SELECT rowid AS _rid FROM checked WHERE ({flagged}) AND _raw IS NULL "
                    "UNION SELECT _rid FROM dups")
        wanted = con.execute("SELECT s._rank, s._file, s.start, s.n FROM spans s WHERE EXISTS (SELECT 1 FROM need "
                             "WHERE need._rid >= s.start AND need._rid < s.start + s.n) ORDER BY s._rank").fetchall()
        for rank, name, start, _n in wanted:
            path, cols = self._fused_files[table][rank]
            con.execute("DROP TABLE IF EXISTS rej_errors")
            con.execute("DROP TABLE IF EXISTS rej_scans")
            read, params = self._csv_rows(table, source, path, cols)
            con.execute(f"INSERT INTO raws0 SELECT _rid, {self._raw_json(table, source)}, {_fingerprint(table)} "
                        f"FROM (SELECT $start + row_number() OVER () - 1 AS _rid, * FROM ({read})) "
                        "WHERE _rid IN (SELECT _rid FROM need)", {**params, "start": start})
        con.execute("CREATE TEMP TABLE raws AS SELECT r._rid, r._file, r._raw, r._fp, r.l0 + (SELECT count(*) FROM rej_lines j "
                    "WHERE j._rank = r._rank AND j.adj <= r.l0) AS _line FROM (SELECT r._rid, s._file, r._raw, r._fp, s._rank, "
                    "r._rid - s.start + 2 AS l0 FROM raws0 r JOIN spans s ON r._rid >= s.start AND r._rid < s.start + s.n) r")
        for t in ("raws0", "need", "spans", "rej_lines"):
            con.execute(f"DROP TABLE {t}")

    def _erase(self, table: str, source: Source, fused: bool = False) -> None:
        """Erasure: drop every raw row (and malformed line) of a suppressed customer -- before any
        check on the staged route; on the fused route right after the scan, before anything reads the
        rows beyond each row's own checks (a row's checks and kept raw values go with it)."""
        ids = list(source.pseudonymise)
        if fused and ids:  # the stored id is the trimmed raw id; a file is known by its rank
            by_rank, found = erasure.erase_rows(self.con, "checked", [_q(c) for c in ids], "_rank")
            per_file = self._by_file(table, by_rank)
        else:
            per_file, found = erasure.erase_candidates(self.con, table, ids)
        bad = erasure.erase_malformed(self.con, table, self.suppressed)
        if table == "customers":
            self.customers_erased = found
        for f in self.files:
            if f.table_name == table:
                f.rows_erased = int(per_file.get(f.source_file, 0)) + int(bad.get(f.source_file, 0))

    def _read_file(self, table: str, source: Source, path: Path, rank: int) -> None:
        con = self.con
        result = FileResult(path.name, table, _files.sha256(path))
        self.files.append(result)
        cols, result.warnings = read_header(path, source)
        self.headers.setdefault(table, set()).update(cols)
        if result.warnings:
            log.warning("%s: %s", path.name, "; ".join(result.warnings))
        columns = {c: "VARCHAR" for c in cols}
        # contract columns in contract order; an optional column the source does not map is NULL
        # (or leaves out of this file: the sample's region columns arrived later than its first exports)
        select = [f"{_q(source.columns[name])} AS {_q('r_' + name)}" if source.columns.get(name) in cols
                  else f"NULL AS {_q('r_' + name)}" for name in CONTRACT[table].column_names]
        select += [f"{_q(p)} AS {_q('p_' + p)}" if p in cols else f"NULL AS {_q('p_' + p)}" for p in source.personal]
        try:
            n_ok, rejects = self._scan(path, columns, select, rank)
        except Exception as exc:  # the CSV reader gave up on the whole file (e.g. stray carriage returns)
            if not _reader_gave_up(exc):
                raise
            log.warning("%s: the fast CSV reader failed (%s); re-reading line by line", path.name, str(exc).splitlines()[0])
            con.execute("DELETE FROM cand WHERE _file = $f", {"f": path.name})
            n_ok, rejects = self._scan_line_by_line(path, cols, columns, select, rank)
        if any("ENCODING" in str(err).upper() for _, _, err, _ in rejects):
            rejects = self._salvage(table, source, path, cols, rejects, rank)
        if rejects:
            con.executemany(
                f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, 'malformed_line', $col, 'error', $raw, $at, "
                f"'{QUARANTINED}')",
                [{"file": path.name, "line": int(line), "col": f"{col or ''} ({err.lower()})".strip(),
                  "raw": _json_line(raw), "at": self.built_at} for line, col, err, raw in rejects],
            )
        result.rows_read = con.execute("SELECT count(*) FROM cand WHERE _file = $f", {"f": path.name}).fetchone()[0] \
            + len(rejects)
        if result.rows_read == 0:
            result.warnings.append("header only: no rows")
        if self.progress:
            self.progress(path.name, result.rows_read)

    def _salvage(self, table: str, source: Source, path: Path, cols: list[str], rejects, rank: int):
        """Lines rejected for invalid UTF-8 only in optional, personal or extra columns are kept: those
        fields become null and the quarantine gets a warning row. Returns the rejects still rejected."""
        spec = CONTRACT[table]
        mapped = {raw: name for name, raw in source.columns.items()}
        soft = {c for c in cols if c not in mapped or spec.column(mapped[c]).nullable}
        wanted = {int(r[0]) for r in rejects if "ENCODING" in str(r[2]).upper()}
        lines = {}
        with open(path, "rb") as fh:
            for i, raw in enumerate(fh, start=1):
                if i in wanted:
                    lines[i] = raw.rstrip(b"\n").removesuffix(b"\r")
        keep, rows, notes = [], [], []
        for r in rejects:
            body = lines.get(int(r[0]))
            fields = None
            if body is not None:
                try:  # latin-1 keeps every byte, so the CSV split is exact; each field is then decoded
                    fields = next(csv.reader([body.decode("latin-1")], strict=True))
                except (csv.Error, StopIteration):
                    fields = None
            if fields is None or len(fields) != len(cols):
                keep.append(r)
                continue
            values, bad = {}, []
            for name, value in zip(cols, fields):
                try:
                    values[name] = value.encode("latin-1").decode("utf-8")
                except UnicodeDecodeError:
                    values[name] = None
                    bad.append(name)
            if not bad or not set(bad) <= soft:
                keep.append(r)
                continue
            row = {"file": path.name, "rank": rank, "line": int(r[0])}
            row.update({f"r{i}": values.get(raw) for i, raw in enumerate(source.columns.values())})
            row.update({f"p{i}": values.get(p) for i, p in enumerate(source.personal)})
            rows.append(row)
            text = body.decode("utf-8", "replace")
            notes += [{"file": path.name, "line": int(r[0]), "col": mapped.get(b, b), "raw": _json_line(text),
                       "at": self.built_at} for b in bad]
        if rows:
            names = [_q("r_" + c) for c in source.columns] + [_q("p_" + p) for p in source.personal]
            params = [f"$r{i}" for i in range(len(source.columns))] + [f"$p{i}" for i in range(len(source.personal))]
            self.con.executemany(f"INSERT INTO cand (_file, _rank, _line, {', '.join(names)}) "
                                 f"VALUES ($file, $rank, $line, {', '.join(params)})", rows)
            self.con.executemany(
                f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, 'invalid_encoding', $col, 'warning', $raw, "
                f"$at, '{KEPT}')", notes)
        return keep

    def _scan(self, path: Path, columns: dict, select: list[str], rank: int, line_map=None):
        """Read one CSV into ``cand`` with DuckDB; returns (rows accepted, rejected lines)."""
        con = self.con
        con.execute("DROP TABLE IF EXISTS rej_errors")
        con.execute("DROP TABLE IF EXISTS rej_scans")
        name = line_map[0] if line_map else path.name
        con.execute(
            f"INSERT INTO cand SELECT $file, $rank, row_number() OVER () + 1, {', '.join(select)} "
            "FROM read_csv($path, columns=$columns, header=true, auto_detect=false, delim=',', quote='\"', "
            "escape='\"', strict_mode=true, store_rejects=true, rejects_table='rej_errors', rejects_scan='rej_scans', "
            "null_padding=false)",
            {"file": name, "rank": rank, "path": str(path), "columns": columns},
        )
        n_ok = con.execute("SELECT count(*) FROM cand WHERE _file = $f", {"f": name}).fetchone()[0]
        rejects = con.execute(
            "SELECT line, any_value(column_name), any_value(error_type), any_value(csv_line) "
            "FROM rej_errors GROUP BY line ORDER BY line").fetchall()
        if rejects:
            # accepted rows were numbered as if no line had been rejected: shift them past each rejected line
            con.execute("CREATE OR REPLACE TEMP TABLE rej_lines AS SELECT line, line - row_number() OVER (ORDER BY line) + 1 AS adj "
                        "FROM (SELECT DISTINCT line FROM rej_errors)")
            con.execute("UPDATE cand SET _line = _line + (SELECT count(*) FROM rej_lines WHERE rej_lines.adj <= cand._line) "
                        "WHERE _file = $f", {"f": name})
        return n_ok, rejects

    def _scan_line_by_line(self, path: Path, cols: list[str], columns: dict, select: list[str], rank: int):
        """Fallback for files the CSV reader rejects whole: Python checks each line
        (UTF-8, one record, the header's number of fields); good lines are re-read
        by DuckDB, bad ones are quarantined with their line number."""
        import tempfile

        import pyarrow as pa

        rejects, kept_lines, good = [], [], []
        with open(path, "rb") as fh:
            header = fh.readline()
            for lineno, raw in enumerate(fh, start=2):
                body = raw.rstrip(b"\n")
                if body.endswith(b"\r"):
                    body = body[:-1]
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    rejects.append((lineno, None, "INVALID ENCODING", body.decode("utf-8", "replace")))
                    continue
                if "\r" in text:
                    rejects.append((lineno, None, "STRAY CARRIAGE RETURN", text))
                    continue
                try:
                    fields = next(csv.reader([text], strict=True))
                except (csv.Error, StopIteration):
                    rejects.append((lineno, None, "UNQUOTED", text))
                    continue
                if len(fields) != len(cols):
                    rejects.append((lineno, None, "TOO MANY COLUMNS" if len(fields) > len(cols) else "MISSING COLUMNS", text))
                    continue
                kept_lines.append(lineno)
                good.append(body + b"\n")
        with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as tmp:
            tmp.write(header)
            tmp.writelines(good)
        try:
            n_ok, more = self._scan(Path(tmp.name), columns, select, rank, line_map=(path.name,))
        finally:
            os.unlink(tmp.name)
        if more:  # pragma: no cover - the line checks above catch what the reader rejects
            raise BuildError(f"{path.name}: rows could not be read even line by line; nothing was published")
        mapping = pa.table({"clean": pa.array(range(2, len(kept_lines) + 2), pa.int64()),
                            "orig": pa.array(kept_lines, pa.int64())})
        self.con.register("line_map_arrow", mapping)
        self.con.execute("UPDATE cand SET _line = m.orig FROM line_map_arrow m WHERE cand._file = $f AND cand._line = m.clean",
                         {"f": path.name})
        self.con.unregister("line_map_arrow")
        return n_ok, rejects

    def _validate(self, table: str, source: Source, fused: bool = False) -> None:
        """Type, check, de-duplicate and publish ``cand`` in as few passes over its rows as DuckDB allows.

        One statement casts every column, computes each row's first failed hard check (the foreign
        keys included) and its soft warnings, and looks up the pseudonym of each customer id
        (``checked``: typed values only, no raw text); only the rows of keys that occur more than once
        are ranked; the raw values are read back from ``cand`` only for the rows the quarantine
        records; the contract table is then one ordered insert. The order of the checks and so the
        quarantine reasons are those of :func:`_check_expr`.
        """
        con = self.con
        spec = CONTRACT[table]
        qt = _q("quarantine_" + table)
        soft = _check_expr(table)[1]
        # customer ids are looked up in the pseudonym map once: the published pseudonym, and the foreign key
        # check (an id without pseudonym is not a loaded customer). By UPDATE, not by a join in the
        # statement below: a join does not keep the stored order, which saves the publish its sort.
        mapped = list(source.pseudonymise)
        if not fused:
            select, params = self._checked_sql(table, "SELECT rowid AS _rid, * FROM cand", ["_rid", "_file", "_rank", "_line"])
            pseudo = "".join(f", NULL::VARCHAR AS {_q('_pseudo_' + c)}" for c in mapped)
            sql = f"CREATE TEMP TABLE checked AS SELECT *{pseudo}, NULL::VARCHAR AS _raw FROM ({select})"
            con.execute(sql, _used(params, sql))
        # a row's id in the tables below: cand's rowid (kept as _rid) or, on the fused route, checked's own
        # rowid; rows of one file rank by line, which on the fused route is the order they were stored in
        rid, order_col = ("rowid", "rowid") if fused else ("_rid", "_line")
        ready = self.id_map_ready  # else this is the table the map is made from: pseudonyms after it
        if ready:
            self._pseudonyms(mapped)
        # foreign keys against tables already loaded; an optional reference to an unknown parent becomes
        # null with a warning, a required one rejects the row (after the row's own checks, in order)
        for fk in spec.foreign_keys:
            if fk.column in mapped and ready:  # id_map.source_id is never NULL: the rows NOT IN (id_map)
                orphan = f"{_q(fk.column)} IS NOT NULL AND {_q('_pseudo_' + fk.column)} IS NULL"
            else:
                target = ("SELECT source_id FROM id_map" if fk.column in source.pseudonymise
                          else f"SELECT {_q(fk.target)} FROM {_q(fk.table)}")
                orphan = f"{_q(fk.column)} IS NOT NULL AND {_q(fk.column)} NOT IN ({target})"
            if fk.column in soft:
                con.execute(f"UPDATE checked SET {_q('_soft_' + fk.column)} = 'foreign_key' WHERE _fail IS NULL AND "
                            f"{_q('_soft_' + fk.column)} IS NULL AND {orphan}")
            else:
                con.execute(f"UPDATE checked SET _fail = 'foreign_key|{fk.column}' WHERE _fail IS NULL AND {orphan}")
        # duplicate keys among valid rows: the latest file, then the latest line wins. Ranking every
        # row would sort the whole table: rank only the rows of keys that occur more than once.
        key_cols = [_q(k) for k in spec.key]
        key = ", ".join(key_cols)
        # exports usually come in key order: when the valid rows' key rises strictly in stored order
        # (one streaming pass), no key is duplicated and the stored order is already the published one
        in_order = len(key_cols) == 1 and not con.execute(
            f"SELECT count(*) FROM (SELECT {key} AS k, lag({key}) OVER () AS prev FROM checked WHERE _fail IS NULL) "
            "WHERE k IS NULL OR prev >= k").fetchone()[0]
        con.execute(f"CREATE TEMP TABLE dupkeys AS SELECT {key} FROM checked WHERE _fail IS NULL "
                    f"{'AND false ' if in_order else ''}GROUP BY ALL HAVING count(*) > 1")
        same_key = " AND ".join(f"c.{k} IS NOT DISTINCT FROM d.{k}" for k in key_cols)
        con.execute(f"CREATE TEMP TABLE dups AS SELECT c.{rid} AS _rid, c._rank, c.{order_col} AS _ord, "
                    f"{', '.join('c.' + k for k in key_cols)}, "
                    f"row_number() OVER (PARTITION BY {', '.join('c.' + k for k in key_cols)} ORDER BY c._rank DESC, "
                    f"c.{order_col} DESC) AS _rn FROM checked c SEMI JOIN dupkeys d ON {same_key} WHERE c._fail IS NULL")
        con.execute("DROP TABLE dupkeys")
        # the raw values, a fingerprint of them and the line of the rows the quarantine records
        flagged = _flagged(soft)
        if fused:
            self._fused_raws(table, source, flagged)
        else:
            con.execute(f"CREATE TEMP TABLE raws AS SELECT rowid AS _rid, _file, _line, {self._raw_json(table, source)} AS _raw, "
                        f"{_fingerprint(table)} AS _fp FROM cand "
                        f"WHERE rowid IN (SELECT _rid FROM checked WHERE {flagged} UNION ALL SELECT _rid FROM dups)")
        con.execute(
            f"INSERT INTO {qt} SELECT r._file, r._line, split_part(c._fail, '|', 1), split_part(c._fail, '|', 2), 'error', "
            f"r._raw, $at, '{QUARANTINED}' FROM checked c JOIN raws r ON r._rid = c.{rid} WHERE c._fail IS NOT NULL",
            {"at": self.built_at})
        con.execute(
            f"INSERT INTO {qt} SELECT _file, _line, CASE WHEN _fp = _kept_fp THEN 'duplicate_delivery' ELSE 'duplicate_key' END, "
            f"$key, CASE WHEN _fp = _kept_fp THEN 'info' ELSE 'warning' END, _raw, $at, '{QUARANTINED}' "
            f"FROM (SELECT r._file, r._line, d._rn, r._fp, r._raw, first_value(r._fp) OVER (PARTITION BY "
            f"{', '.join('d.' + k for k in key_cols)} ORDER BY d._rank DESC, d._ord DESC) AS _kept_fp "
            "FROM dups d JOIN raws r ON r._rid = d._rid) WHERE _rn > 1",
            {"at": self.built_at, "key": ", ".join(spec.key)})
        # the rows kept: a view, not a copy (the table is written once, by the ordered insert below)
        kept = "_fail IS NULL"
        if con.execute("SELECT count(*) FROM dups WHERE _rn > 1").fetchone()[0]:
            kept += f" AND {rid} NOT IN (SELECT _rid FROM dups WHERE _rn > 1)"
        con.execute(f"CREATE TEMP VIEW ranked AS SELECT {'rowid AS _rid, ' if fused else ''}* FROM checked WHERE {kept}")
        for c in soft:
            con.execute(f"INSERT INTO {qt} SELECT r._file, r._line, k.{_q('_soft_' + c)}, $col, 'warning', r._raw, $at, "
                        f"'{KEPT}' FROM ranked k JOIN raws r ON r._rid = k._rid WHERE k.{_q('_soft_' + c)} IS NOT NULL",
                        {"at": self.built_at, "col": c})
        if table == "customers":
            self._pseudonym_map()
        if not ready:
            self._pseudonyms(mapped)
        out_cols = []
        for c in spec.columns:
            if c.name in mapped:  # NULL for an order without a customer (a guest checkout)
                out_cols.append(f"ranked.{_q('_pseudo_' + c.name)} AS {_q(c.name)}")
            elif c.name in soft:
                out_cols.append(f"CASE WHEN ranked.{_q('_soft_' + c.name)} IS NULL THEN ranked.{_q(c.name)} END")
            else:
                out_cols.append(f"ranked.{_q(c.name)}")
        order = ", ".join(f"{_q(k)}" for k in spec.key)
        # without ORDER BY DuckDB keeps the stored order (preserve_insertion_order, as for the line numbers)
        # (the published order is by the published values: a pseudonymised key is ordered by its pseudonym)
        order_by = "" if in_order and not set(spec.key) & set(mapped) else f" ORDER BY {order}"
        con.execute(f"INSERT INTO {_q(table)} SELECT {', '.join(out_cols)} FROM ranked{order_by}")
        if fused:  # the fused route stores a file's rank, not its name
            loaded = self._by_file(table, con.execute("SELECT _rank, count(*) FROM ranked GROUP BY _rank").fetchall())
        else:
            loaded = dict(con.execute("SELECT _file, count(*) FROM ranked GROUP BY _file").fetchall())
        quarantined = dict(con.execute(f"SELECT source_file, count(*) FROM {qt} WHERE outcome = '{QUARANTINED}' "
                                       "GROUP BY source_file").fetchall())
        con.execute("DROP VIEW ranked")
        for t in ("raws", "dups", "checked"):
            con.execute(f"DROP TABLE {t}")
        for f in self.files:
            if f.table_name == table:
                f.rows_loaded = int(loaded.get(f.source_file, 0))
                f.rows_quarantined = int(quarantined.get(f.source_file, 0))
                if not f.reconciles:
                    raise BuildError(f"{f.source_file}: reconciliation failed: read {f.rows_read} rows, loaded "
                                     f"{f.rows_loaded}, quarantined {f.rows_quarantined}, erased {f.rows_erased}; "
                                     "nothing was published")

    def _pseudonyms(self, columns) -> None:
        """Fill ``checked``'s ``_pseudo_<column>`` from ``id_map`` (NULL for an id not in it)."""
        if not self.id_map_ready:
            return
        for c in columns:
            self.con.execute(f"UPDATE checked SET {_q('_pseudo_' + c)} = id_map.customer_id FROM id_map "
                             f"WHERE id_map.source_id = checked.{_q(c)}")

    def _pseudonym_map(self) -> None:
        """``id_map``: every loaded source customer id and its pseudonym, computed inside DuckDB
        (:func:`cmokit.warehouse.pseudonym.hmac_sql`, byte-identical to :func:`cmokit.warehouse.pseudonym.pseudonymise`)."""
        con = self.con
        expr, params = hmac_sql("source_id", self.key)
        con.execute(f"CREATE TEMP TABLE id_map AS SELECT source_id, {expr} AS customer_id "
                    "FROM (SELECT customer_id AS source_id FROM ranked)", params)  # ranked: one row per customer id
        n_ids, n_pseudo = con.execute("SELECT count(*), count(DISTINCT customer_id) FROM id_map").fetchone()
        if n_pseudo != n_ids:  # pragma: no cover - 96-bit collision
            raise BuildError("pseudonym collision: two source ids map to one customer_id; widen pseudonym.HEX_CHARS")
        self.id_map_ready = True

    # -- metadata ------------------------------------------------------------------
    def write_meta(self, version: str, build_id: str, currency: str = "EUR") -> None:
        import pyarrow as pa

        con = self.con
        loads = pa.table({
            "source_file": [f.source_file for f in self.files],
            "table_name": [f.table_name for f in self.files],
            "sha256": [f.sha256 for f in self.files],
            "rows_read": pa.array([f.rows_read for f in self.files], pa.int64()),
            "rows_loaded": pa.array([f.rows_loaded for f in self.files], pa.int64()),
            "rows_quarantined": pa.array([f.rows_quarantined for f in self.files], pa.int64()),
            "rows_erased": pa.array([f.rows_erased for f in self.files], pa.int64()),
            "warnings": ["; ".join(f.warnings) for f in self.files],
            "loaded_at": pa.array([self.built_at] * len(self.files), pa.timestamp("us")),
        })
        con.register("loads_arrow", loads)
        con.execute("CREATE TABLE meta_loads AS SELECT * FROM loads_arrow")
        con.unregister("loads_arrow")
        parts = " UNION ALL ".join(
            f"SELECT '{t}' AS table_name, source_file, check_name, column_name, severity, outcome, count(*) AS rows "
            f"FROM {_q('quarantine_' + t)} GROUP BY ALL" for t in SOURCES)
        con.execute(f"CREATE TABLE meta_quarantine_summary AS SELECT * FROM ({parts}) ORDER BY ALL")
        con.execute("CREATE TABLE meta_build AS SELECT $built_at::TIMESTAMP AS built_at, $now::TIMESTAMP AS now, "
                    "$version AS cmokit_version, $currency AS currency, 'UTC' AS time_zone, $build_id AS build_id, "
                    "'' AS accepted_gates, $erased::BIGINT AS customers_erased",  # accepted_gates: set after the gates
                    {"built_at": self.built_at, "now": self.now, "version": version, "currency": currency,
                     "build_id": build_id, "erased": self.customers_erased})


def _json_line(raw) -> str:
    import json

    return json.dumps({"csv_line": raw}, ensure_ascii=False)


def _is_bundled_sample(raw_dir: Path) -> bool:
    """Whether ``raw_dir`` holds exports written by ``cmokit sample`` (its ``truth.json`` says so)."""
    import json

    try:
        truth = json.loads((raw_dir / "truth.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(truth, dict) and truth.get("generator") == "cmokit.sample"


def build(raw_dir, out, *, key: bytes | None = None, key_file=None, dev_key: bool = False,
          now: dt.datetime | None = None, progress=None, memory_limit: str | None = None,
          accept=(), max_quarantine_share=_gates.DEFAULT_MAX_QUARANTINE_SHARE,
          max_nulled_share=_gates.DEFAULT_MAX_NULLED_SHARE, max_row_drop=_gates.DEFAULT_MAX_ROW_DROP, suppress=None, delivery_order: str = "date",
          force: bool = False, sources=None) -> BuildResult:
    """Build the marketing warehouse ``out`` from the raw exports in ``raw_dir``.

    Parameters
    ----------
    raw_dir : path
        Folder of raw CSV exports (see ``data/sample/README.md`` for the files).
    out : path
        The warehouse file to publish (``.duckdb``); its quarantine goes beside it.
    key, key_file, dev_key
        The pseudonymisation secret (bytes), a file holding it, or the documented
        development key (sample data only: refused on other data unless ``force``);
        default ``$CMOKIT_PSEUDONYM_KEY``.
    now : datetime, optional
        The build's clock (UTC) for "not in the future" checks; default: now.
    progress : callable, optional
        ``progress(file_name, rows)`` after each file is read.
    memory_limit : str, optional
        DuckDB memory limit for the build (e.g. ``"2GB"``); spills to disk beyond it.
    accept : iterable of str
        Publish gates the operator knowingly overrides (``"row_count_drop"``, or
        ``"row_count_drop:orders"`` for one table); recorded in ``meta_build``.
    max_quarantine_share, max_nulled_share, max_row_drop : float or dict
        Gate thresholds (fractions; a dict ``{table: fraction}`` per table): defaults
        5 % of rows read quarantined as errors, 5 % loaded with an optional value nulled
        (per column), a 20 % drop against the last published build.
    suppress : path or list of str, optional
        Suppression list: customer source ids to erase (a file, one id a line, or the ids).
    delivery_order : {"date", "mtime"}
        How deliveries of one export are ordered (the later one wins a duplicated key):
        the date in the file name (undated = the base export, first), or the file's mtime.
    force : bool
        Allow ``dev_key`` on data that is not the bundled sample.
    sources : path or SourcesConfig, optional
        A ``sources.yml`` saying where each contract table's data is and how to map it
        (``docs/sources.md``); default: the bundled sample's exports
        (:mod:`cmokit.warehouse.sources`).

    Returns
    -------
    BuildResult
        Per-file reconciliation, row counts per table, the contract checks, the gates.

    Raises
    ------
    GateError
        A publish gate failed: nothing was published (see :mod:`cmokit.warehouse.gates`).
    """
    import duckdb

    import cmokit
    from cmokit.warehouse.checks import run_checks

    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise BuildError(f"raw export folder {raw_dir} does not exist")
    sources_cfg = None
    if sources is not None:
        from cmokit.warehouse.sources_config import SourcesConfig, load_config

        sources_cfg = sources if isinstance(sources, SourcesConfig) else load_config(sources)
    if dev_key and not key and not key_file and not force and not _is_bundled_sample(raw_dir):
        raise ConfigError(f"--dev-key is for the bundled sample only, and {raw_dir} is not a cmokit sample "
                          "(no truth.json from `cmokit sample`): anyone with cmokit can reverse pseudonyms made "
                          "with the published development key. Set $CMOKIT_PSEUDONYM_KEY or pass --key-file; "
                          "--force uses the development key anyway (test data only)")
    gates = _gates.Gates(max_quarantine_share=max_quarantine_share, max_nulled_share=max_nulled_share,
                         max_row_drop=max_row_drop, accept=tuple(accept or ()))
    if delivery_order not in _files.DELIVERY_ORDERS:
        raise ConfigError(f"unknown delivery order {delivery_order!r}; choose one of {', '.join(_files.DELIVERY_ORDERS)}")
    suppressed = erasure.read_suppression(suppress)
    key = key or load_key(key_file, dev_key)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _files.clean_stale(out)
    built_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    build_id = uuid.uuid4().hex
    now = (now or built_at).replace(tzinfo=None)
    tmp, qtmp = _files.temp_paths(out)
    qout = quarantine_path(out)
    for p in _files.leftovers(tmp) + _files.leftovers(qtmp):
        _files.remove(p)
    previous = _gates.previous_counts(out)
    config = {"storage_compatibility_version": STORAGE_VERSION, **({"memory_limit": memory_limit} if memory_limit else {})}
    published = False
    con = None
    try:
        con = duckdb.connect(str(tmp), config=config)
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = true")  # line numbers and the in-order publish rely on it
        b = _Build(con, key, now, built_at, progress, suppressed, delivery_order)
        b.run(raw_dir, sources_cfg)
        b.write_meta(cmokit.__version__, build_id, sources_cfg.reporting_currency if sources_cfg else "EUR")
        checks = run_checks(con, now=now)
        tables = {t: con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0] for t in CONTRACT}
        reasons = _gates.top_reasons(con, SOURCES)
        gate_result = _gates.evaluate(con, b.files, tables, previous, checks, gates)
        refused = _gates.refusal(gate_result, reasons)
        if refused is not None:
            _keep_refused_quarantine(con, out, build_id, built_at)
            raise refused
        overridden = tuple(f"{g.gate}:{g.table_name}" for g in gate_result.itertuples() if g.accepted)
        _gates.write(con, gate_result)
        con.execute("UPDATE meta_build SET accepted_gates = $a", {"a": ", ".join(overridden)})
        _write_quarantine(con, qtmp, build_id, built_at)
        con.execute("CHECKPOINT")
        con.close()
        _files.fsync(tmp)
        _files.fsync(qtmp)
        # the publish: readers see the old file or the new one, never a mix. Warehouse first: if
        # its rename is refused (a reader holds it open), neither file has changed.
        os.replace(tmp, out)
        published = True
        os.replace(qtmp, qout)
        _files.refused_quarantine_path(out).unlink(missing_ok=True)  # an earlier refusal is resolved
    except BaseException as exc:
        try:
            if con is not None:
                con.close()
        except Exception:
            pass
        for p in _files.leftovers(tmp) + _files.leftovers(qtmp):
            _files.remove(p)
        if published and isinstance(exc, Exception):
            raise BuildError(f"{out} was published but its quarantine {qout} could not be replaced ({exc}); "
                             "the quarantine is from an earlier build: rerun the build") from exc
        if isinstance(exc, Exception) and not isinstance(exc, BuildError) and _files.is_disk_full(exc):
            raise _files.disk_full_error(exc, out) from exc
        raise
    lines = b.reader.summary_lines() if getattr(b, "reader", None) is not None else []
    return BuildResult(out, qout, b.files, tables, checks, built_at, build_id, lines=lines, gates=gate_result, reasons=reasons,
                       customers_erased=b.customers_erased, accepted_gates=overridden)


def _keep_refused_quarantine(con, out: Path, build_id: str, built_at: dt.datetime) -> None:
    """A refused build's quarantine explains the refusal: keep it beside (not over) the published one."""
    target = _files.refused_quarantine_path(out)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        _write_quarantine(con, tmp, build_id, built_at)
        os.replace(tmp, target)
    except Exception as exc:  # the refusal matters more than its diagnosis
        log.warning("could not keep the refused build's quarantine at %s: %s", target, exc)
        for p in _files.leftovers(tmp):
            _files.remove(p)


def _write_quarantine(con, path: Path, build_id: str, built_at: dt.datetime) -> None:
    """Move the quarantine (temporary tables: they never touch the warehouse file) to IT's own file,
    readable by its owner only, with a ``meta_build`` naming the build it belongs to."""
    import duckdb

    with _files.private_files():
        qcon = duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION})
        os.chmod(path, _files.QUARANTINE_MODE)
        _copy_quarantine(con, qcon, build_id, built_at)
    os.chmod(path, _files.QUARANTINE_MODE)


def _copy_quarantine(con, qcon, build_id: str, built_at: dt.datetime) -> None:
    try:
        qcon.execute("CREATE TABLE meta_build AS SELECT $build_id AS build_id, $built_at::TIMESTAMP AS built_at",
                     {"build_id": build_id, "built_at": built_at})
        for t in SOURCES:
            cur = con.execute(f"SELECT * FROM {_q('quarantine_' + t)} ORDER BY source_file, line")
            reader = cur.to_arrow_reader() if hasattr(cur, "to_arrow_reader") else cur.fetch_record_batch()
            qcon.register("q_arrow", reader)
            qcon.execute(f"CREATE TABLE {_q('quarantine_' + t)} AS SELECT * FROM q_arrow")
            qcon.unregister("q_arrow")
        qcon.execute("CHECKPOINT")
    finally:
        qcon.close()


__all__ = ["BuildResult", "FileResult", "build", "quarantine_path", "read_header"]
del sys, PERSONAL_COLUMNS
