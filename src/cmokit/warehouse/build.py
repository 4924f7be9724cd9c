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
import hashlib
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.errors import BuildError
from cmokit.warehouse.contract import CONTRACT, Column, PERSONAL_COLUMNS
from cmokit.warehouse.pseudonym import load_key, pseudonymise
from cmokit.warehouse.sources import SOURCES, Source, discover, load_order

log = logging.getLogger(__name__)

TRUE_WORDS = ("Y", "YES", "TRUE", "T", "1")
FALSE_WORDS = ("N", "NO", "FALSE", "F", "0")
DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


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

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


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

    def summary(self):
        """Per-file reconciliation as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([
            dict(table=f.table_name, file=f.source_file, read=f.rows_read, loaded=f.rows_loaded,
                 quarantined=f.rows_quarantined, reconciles=f.reconciles, warnings="; ".join(f.warnings))
            for f in self.files
        ])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    missing = [c for c in expected if c not in cols]
    if missing:
        for delim, name in DELIMITERS.items():
            parts = [p.strip('"') for p in header.split(delim)]
            if all(c in parts for c in expected):
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
def _parse(col: Column, raw: str) -> str:
    """SQL that casts the raw text column ``raw`` to the contract type (NULL when unparseable)."""
    txt = f"NULLIF(trim({raw}), '')"
    t = col.type.upper()
    if t == "VARCHAR":
        return f"upper({txt})" if col.name == "country" else txt
    if t == "TIMESTAMP":
        return f"TRY_CAST({txt} AS TIMESTAMPTZ)::TIMESTAMP"
    if t == "BOOLEAN":
        return (f"CASE WHEN upper({txt}) IN (SELECT unnest($true_words)) THEN TRUE "
                f"WHEN upper({txt}) IN (SELECT unnest($false_words)) THEN FALSE END")
    return f"TRY_CAST({txt} AS {col.type})"


def _check_expr(table: str) -> tuple[str, dict]:
    """SQL ``CASE`` giving 'check|column' of a typed row's first failed check, else NULL."""
    spec = CONTRACT[table]
    src = SOURCES[table]
    whens, params = [], {}
    for col in spec.columns:
        raw = _q("r_" + col.name)
        if not col.nullable:
            whens.append(f"WHEN NULLIF(trim({raw}), '') IS NULL THEN 'missing_value|{col.name}'")
    for col in spec.columns:
        raw, typed = _q("r_" + col.name), _q(col.name)
        whens.append(f"WHEN NULLIF(trim({raw}), '') IS NOT NULL AND {typed} IS NULL THEN 'unparseable|{col.name}'")
    for i, col in enumerate(spec.columns):
        typed = _q(col.name)
        if col.accepted is not None:
            params[f"acc{i}"] = list(col.accepted)
            whens.append(f"WHEN {typed} IS NOT NULL AND {typed} NOT IN (SELECT unnest($acc{i})) THEN 'accepted_values|{col.name}'")
        if col.minimum is not None:
            params[f"min{i}"] = col.minimum
            whens.append(f"WHEN {typed} < $min{i} THEN 'minimum|{col.name}'")
    for inv in spec.invariants:
        whens.append(f"WHEN NOT ({inv.sql}) THEN '{inv.name}|{inv.column}'")
    del src
    return "CASE " + " ".join(whens) + " END", params


# --------------------------------------------------------------------------- the build
class _Build:
    def __init__(self, con, key: bytes, now: dt.datetime, built_at: dt.datetime, progress):
        self.con = con
        self.key = key
        self.now = now
        self.built_at = built_at
        self.progress = progress
        self.files: list[FileResult] = []

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
            self._load_table(table, source, found[table])

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
            results[name] = FileResult(name, table, _sha256(paths[name]) if name in paths else "", rows_read=int(rows))
        for name, *_ in rejects:
            results.setdefault(name, FileResult(name, table, _sha256(paths[name]) if name in paths else ""))
            results[name].rows_read += 1
        if rejects:
            self.con.executemany(
                f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, $check, $col, 'error', $raw, $at)",
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
                    "column_name VARCHAR, severity VARCHAR, raw_values VARCHAR, quarantined_at TIMESTAMP)")
        raw_cols = [f"{_q('r_' + c)} VARCHAR" for c in spec.column_names]
        personal = [f"{_q('p_' + c)} VARCHAR" for c in source.personal]
        con.execute(f"CREATE TEMP TABLE cand (_file VARCHAR, _rank INTEGER, _line BIGINT, {', '.join(raw_cols + personal)})")
        for rank, path in enumerate(files):
            self._read_file(table, source, path, rank)
        if reader is not None:
            self._fill_from_reader(table, reader)
        self._validate(table, source)
        con.execute("DROP TABLE cand")

    def _read_file(self, table: str, source: Source, path: Path, rank: int) -> None:
        con = self.con
        result = FileResult(path.name, table, _sha256(path))
        self.files.append(result)
        cols, result.warnings = read_header(path, source)
        if result.warnings:
            log.warning("%s: %s", path.name, "; ".join(result.warnings))
        columns = {c: "VARCHAR" for c in cols}
        select = [f"{_q(raw)} AS {_q('r_' + name)}" for name, raw in source.columns.items()]
        select += [f"{_q(p)} AS {_q('p_' + p)}" if p in cols else f"NULL AS {_q('p_' + p)}" for p in source.personal]
        try:
            n_ok, rejects = self._scan(path, columns, select, rank)
        except Exception as exc:  # the CSV reader gave up on the whole file (e.g. stray carriage returns)
            import duckdb

            if not isinstance(exc, duckdb.Error):
                raise
            log.warning("%s: the fast CSV reader failed (%s); re-reading line by line", path.name, str(exc).splitlines()[0])
            con.execute("DELETE FROM cand WHERE _file = $f", {"f": path.name})
            n_ok, rejects = self._scan_line_by_line(path, cols, columns, select, rank)
        if rejects:
            con.executemany(
                f"INSERT INTO {_q('quarantine_' + table)} VALUES ($file, $line, 'malformed_line', $col, 'error', $raw, $at)",
                [{"file": path.name, "line": int(line), "col": f"{col or ''} ({err.lower()})".strip(),
                  "raw": _json_line(raw), "at": self.built_at} for line, col, err, raw in rejects],
            )
        result.rows_read = n_ok + len(rejects)
        if result.rows_read == 0:
            result.warnings.append("header only: no rows")
        if self.progress:
            self.progress(path.name, result.rows_read)

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

    def _validate(self, table: str, source: Source) -> None:
        con = self.con
        spec = CONTRACT[table]
        qt = _q("quarantine_" + table)
        typed = ", ".join(f"{_parse(c, _q('r_' + c.name))} AS {_q(c.name)}" for c in spec.columns)
        params = {"true_words": list(TRUE_WORDS), "false_words": list(FALSE_WORDS)}
        needs = {p for p in params if any(f"${p}" in _parse(c, "x") for c in spec.columns)}
        con.execute(f"CREATE TEMP TABLE typed AS SELECT *, {typed} FROM cand", {k: params[k] for k in needs})
        check_sql, cparams = _check_expr(table)
        if "$now" in check_sql:
            cparams["now"] = self.now
        con.execute(f"CREATE TEMP TABLE checked AS SELECT *, {check_sql} AS _fail FROM typed", cparams)
        con.execute("DROP TABLE typed")
        # foreign keys against tables already loaded (customer ids via the pseudonym map)
        for fk in spec.foreign_keys:
            if fk.column in source.pseudonymise:
                target = "SELECT source_id FROM id_map"
            else:
                target = f"SELECT {_q(fk.target)} FROM {_q(fk.table)}"
            con.execute(f"UPDATE checked SET _fail = 'foreign_key|{fk.column}' WHERE _fail IS NULL AND "
                        f"{_q(fk.column)} IS NOT NULL AND {_q(fk.column)} NOT IN ({target})")
        # duplicate keys among valid rows: the latest file, then the latest line wins
        key = ", ".join(_q(k) for k in spec.key)
        fp = "md5(to_json([" + ", ".join(_q("r_" + c) for c in spec.column_names) + "]))"
        con.execute(
            f"CREATE TEMP TABLE ranked AS SELECT *, row_number() OVER w AS _rn, {fp} AS _fp, "
            f"first_value({fp}) OVER w AS _kept_fp FROM checked WHERE _fail IS NULL "
            f"WINDOW w AS (PARTITION BY {key} ORDER BY _rank DESC, _line DESC)")
        raw_json = "to_json(struct_pack(" + ", ".join(
            [f"{_q(raw)} := {_q('r_' + name)}" for name, raw in source.columns.items()]
            + [f"{_q(p)} := {_q('p_' + p)}" for p in source.personal]) + "))"
        con.execute(
            f"INSERT INTO {qt} SELECT _file, _line, split_part(_fail, '|', 1), split_part(_fail, '|', 2), 'error', "
            f"{raw_json}, $at FROM checked WHERE _fail IS NOT NULL", {"at": self.built_at})
        con.execute(
            f"INSERT INTO {qt} SELECT _file, _line, CASE WHEN _fp = _kept_fp THEN 'duplicate_delivery' ELSE 'duplicate_key' END, "
            f"$key, CASE WHEN _fp = _kept_fp THEN 'info' ELSE 'warning' END, {raw_json}, $at FROM ranked WHERE _rn > 1",
            {"at": self.built_at, "key": ", ".join(spec.key)})
        con.execute("DROP TABLE checked")
        if table == "customers":
            self._pseudonym_map()
        out_cols = []
        joins = ""
        for c in spec.columns:
            if c.name in source.pseudonymise:
                out_cols.append(f"id_map.customer_id AS {_q(c.name)}")
                # LEFT: an order without a customer (a guest checkout) keeps a NULL customer_id
                joins = f" LEFT JOIN id_map ON id_map.source_id = ranked.{_q(c.name)}"
            else:
                out_cols.append(f"ranked.{_q(c.name)}")
        order = ", ".join(f"{_q(k)}" for k in spec.key)
        con.execute(f"INSERT INTO {_q(table)} SELECT {', '.join(out_cols)} FROM ranked{joins} "
                    f"WHERE ranked._rn = 1 ORDER BY {order}")
        loaded = dict(con.execute("SELECT _file, count(*) FROM ranked WHERE _rn = 1 GROUP BY _file").fetchall())
        quarantined = dict(con.execute(f"SELECT source_file, count(*) FROM {qt} GROUP BY source_file").fetchall())
        con.execute("DROP TABLE ranked")
        for f in self.files:
            if f.table_name == table:
                f.rows_loaded = int(loaded.get(f.source_file, 0))
                f.rows_quarantined = int(quarantined.get(f.source_file, 0))
                if not f.reconciles:
                    raise BuildError(f"{f.source_file}: reconciliation failed: read {f.rows_read} rows, loaded "
                                     f"{f.rows_loaded}, quarantined {f.rows_quarantined}; nothing was published")

    def _pseudonym_map(self) -> None:
        import pyarrow as pa

        con = self.con
        ids = [r[0] for r in con.execute("SELECT DISTINCT customer_id FROM ranked WHERE _rn = 1").fetchall()]
        mapping = pa.table({"source_id": pa.array(ids, pa.string()),
                            "customer_id": pa.array(pseudonymise(ids, self.key), pa.string())})
        con.register("id_map_arrow", mapping)
        con.execute("CREATE TEMP TABLE id_map AS SELECT * FROM id_map_arrow")
        con.unregister("id_map_arrow")
        n_pseudo = con.execute("SELECT count(DISTINCT customer_id) FROM id_map").fetchone()[0]
        if n_pseudo != len(ids):  # pragma: no cover - 96-bit collision
            raise BuildError("pseudonym collision: two source ids map to one customer_id; widen pseudonym.HEX_CHARS")

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
            "warnings": ["; ".join(f.warnings) for f in self.files],
            "loaded_at": pa.array([self.built_at] * len(self.files), pa.timestamp("us")),
        })
        con.register("loads_arrow", loads)
        con.execute("CREATE TABLE meta_loads AS SELECT * FROM loads_arrow")
        con.unregister("loads_arrow")
        parts = " UNION ALL ".join(
            f"SELECT '{t}' AS table_name, source_file, check_name, column_name, severity, count(*) AS rows "
            f"FROM {_q('quarantine_' + t)} GROUP BY ALL" for t in SOURCES)
        con.execute(f"CREATE TABLE meta_quarantine_summary AS SELECT * FROM ({parts}) ORDER BY ALL")
        con.execute("CREATE TABLE meta_build AS SELECT $built_at::TIMESTAMP AS built_at, $now::TIMESTAMP AS now, "
                    "$version AS cmokit_version, $currency AS currency, 'UTC' AS time_zone, $build_id AS build_id",
                    {"built_at": self.built_at, "now": self.now, "version": version, "currency": currency,
                     "build_id": build_id})


def _json_line(raw) -> str:
    import json

    return json.dumps({"csv_line": raw}, ensure_ascii=False)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(out: Path) -> None:
    """Remove temporary files left by builds that died (kill -9, power loss)."""
    for p in out.parent.glob(f".{out.name}.tmp-*"):
        try:
            pid = int(p.name.rsplit("-", 1)[1].split(".")[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            p.unlink(missing_ok=True)


def build(raw_dir, out, *, key: bytes | None = None, key_file=None, dev_key: bool = False,
          now: dt.datetime | None = None, progress=None, memory_limit: str | None = None,
          sources=None) -> BuildResult:
    """Build the marketing warehouse ``out`` from the raw exports in ``raw_dir``.

    Parameters
    ----------
    raw_dir : path
        Folder of raw CSV exports (see ``data/sample/README.md`` for the files).
    out : path
        The warehouse file to publish (``.duckdb``); its quarantine goes beside it.
    key, key_file, dev_key
        The pseudonymisation secret (bytes), a file holding it, or the documented
        development key (sample data only); default ``$CMOKIT_PSEUDONYM_KEY``.
    now : datetime, optional
        The build's clock (UTC) for "not in the future" checks; default: now.
    progress : callable, optional
        ``progress(file_name, rows)`` after each file is read.
    memory_limit : str, optional
        DuckDB memory limit for the build (e.g. ``"2GB"``); spills to disk beyond it.
    sources : path or SourcesConfig, optional
        A ``sources.yml`` saying where each contract table's data is and how to map it
        (``docs/sources.md``); default: the bundled sample's exports
        (:mod:`cmokit.warehouse.sources`).

    Returns
    -------
    BuildResult
        Per-file reconciliation, row counts per table and the contract checks.
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
    key = key or load_key(key_file, dev_key)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    built_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    build_id = uuid.uuid4().hex
    now = (now or built_at).replace(tzinfo=None)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    qout = quarantine_path(out)
    qtmp = out.with_name(f".{out.name}.tmp-{os.getpid()}.quarantine")
    for p in (tmp, qtmp):
        p.unlink(missing_ok=True)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    con = duckdb.connect(str(tmp), config=config)
    published = False
    try:
        con.execute("SET TimeZone = 'UTC'")
        b = _Build(con, key, now, built_at, progress)
        b.run(raw_dir, sources_cfg)
        b.write_meta(cmokit.__version__, build_id, sources_cfg.reporting_currency if sources_cfg else "EUR")
        checks = run_checks(con, now=now)
        bad = checks[(checks.severity == "error") & (checks.failing_rows > 0)]
        if len(bad):
            first = bad.iloc[0]
            raise BuildError(f"contract check {first.table}.{first.column} {first.check} failed after loading "
                             f"({first.failing_rows} rows, e.g. {first.example}); nothing was published")
        tables = {t: con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0] for t in CONTRACT}
        _write_quarantine(con, qtmp, build_id, built_at)
        con.execute("CHECKPOINT")
        con.close()
        _fsync(tmp)
        _fsync(qtmp)
        # the publish: readers see the old file or the new one, never a mix. Warehouse first: if
        # its rename is refused (a reader holds it open), neither file has changed.
        os.replace(tmp, out)
        published = True
        os.replace(qtmp, qout)
    except BaseException as exc:
        try:
            con.close()
        except Exception:
            pass
        for p in (tmp, qtmp, Path(str(tmp) + ".wal"), Path(str(qtmp) + ".wal")):
            p.unlink(missing_ok=True)
        if published and isinstance(exc, Exception):
            raise BuildError(f"{out} was published but its quarantine {qout} could not be replaced ({exc}); "
                             "the quarantine is from an earlier build: rerun the build") from exc
        raise
    lines = b.reader.summary_lines() if getattr(b, "reader", None) is not None else []
    return BuildResult(out, qout, b.files, tables, checks, built_at, build_id, lines)


def _write_quarantine(con, path: Path, build_id: str, built_at: dt.datetime) -> None:
    """Move the quarantine (temporary tables: they never touch the warehouse file) to IT's own file,
    with a ``meta_build`` naming the build it belongs to."""
    import duckdb

    qcon = duckdb.connect(str(path))
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


def quarantine_path(out) -> Path:
    """Where the IT-side quarantine of warehouse ``out`` lives."""
    out = Path(out)
    return out.with_name(out.stem + ".quarantine.duckdb")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["BuildResult", "FileResult", "build", "quarantine_path", "read_header"]
del sys, PERSONAL_COLUMNS
