"""Erasure: customers on a suppression list leave the warehouse and the quarantine.

A suppression list is IT's record of customers whose data must be erased (a
right-to-erasure request, a test account). Every build reads it and drops, before
validation, every raw row that carries a listed source id in a customer-id
column (customers, orders, touchpoints, assignments), and every malformed raw
line holding the id as one of its fields. So none of their rows reaches the
warehouse, their pseudonym is never computed, and the IT-side quarantine keeps
nothing of theirs. The list itself is never copied anywhere; the build reports
only counts (``rows_erased`` per file in ``meta_loads``, ``customers_erased``
in ``meta_build``).

>>> read_suppression(["CRM-1", " CRM-2 ", "", "# a comment"])
['CRM-1', 'CRM-2']
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from cmokit.errors import ConfigError


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_suppression(suppress) -> list[str]:
    """Source customer ids from a file path (one per line; blank lines and ``#`` comments skipped;
    a CSV line counts its first field) or from a list/set of ids."""
    if suppress is None:
        return []
    if isinstance(suppress, (str, os.PathLike)):  # a file; a list or set holds the ids themselves
        path = Path(suppress)
        if not path.is_file():
            raise ConfigError(f"suppression list {path} does not exist; give a file of customer source ids, one a line")
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        lines = [next(csv.reader([x]), [""])[0] if x.strip() else "" for x in lines]
    else:
        lines = [str(x) for x in suppress]
    ids = []
    for x in lines:
        x = x.strip()
        if x and not x.startswith("#"):
            ids.append(x)
    return list(dict.fromkeys(ids))


def register(con, ids: list[str]) -> None:
    """The suppressed ids as a temporary table of the build (never written to a file)."""
    import pyarrow as pa

    con.register("suppressed_arrow", pa.table({"source_id": pa.array(ids, pa.string())}))
    con.execute("CREATE TEMP TABLE suppressed AS SELECT DISTINCT source_id FROM suppressed_arrow")
    con.unregister("suppressed_arrow")


def erase_candidates(con, table: str, id_columns) -> tuple[dict[str, int], int]:
    """Drop the raw rows of ``table`` (in the build's ``cand``) whose customer id is suppressed.

    Returns (rows erased per file, distinct suppressed ids found)."""
    if not id_columns:
        return {}, 0
    return erase_rows(con, "cand", [f"trim({_q('r_' + c)})" for c in id_columns], "_file")


def erase_rows(con, rows: str, ids: list[str], group: str) -> tuple[dict, int]:
    """Drop the rows of the build's temporary table ``rows`` whose id (SQL expressions ``ids``, each a
    trimmed source customer id) is suppressed. Returns (rows erased per ``group`` value, distinct
    suppressed ids found in the first id)."""
    hit = " OR ".join(f"{v} IN (SELECT source_id FROM suppressed)" for v in ids)
    erased = dict(con.execute(f"SELECT {group}, count(*) FROM {rows} WHERE {hit} GROUP BY {group}").fetchall())
    found = con.execute(f"SELECT count(DISTINCT {ids[0]}) FROM {rows} WHERE {hit}").fetchone()[0]
    con.execute(f"DELETE FROM {rows} WHERE {hit}")
    return erased, int(found)


def erase_malformed(con, table: str, ids: set[str]) -> dict[str, int]:
    """Drop malformed raw lines (already in the quarantine) holding a suppressed id as a field."""
    qt = _q("quarantine_" + table)
    rows = con.execute(f"SELECT rowid, source_file, raw_values FROM {qt} WHERE check_name = 'malformed_line'").fetchall()
    gone, per_file = [], {}
    for rowid, name, raw in rows:
        try:
            text = json.loads(raw).get("csv_line") or ""
        except (ValueError, AttributeError):
            text = raw or ""
        fields = {f.strip() for f in next(csv.reader([text.replace("\r", " ").replace("\n", " ")]), [])}
        if fields & ids:
            gone.append(rowid)
            per_file[name] = per_file.get(name, 0) + 1
    if gone:
        con.execute(f"DELETE FROM {qt} WHERE rowid IN (SELECT unnest($ids))", {"ids": gone})
    return per_file


__all__ = ["erase_candidates", "erase_malformed", "erase_rows", "read_suppression", "register"]
