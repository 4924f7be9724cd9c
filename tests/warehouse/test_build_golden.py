"""The build's output on messy exports, pinned to what the build made before its validation was fused.

``golden/messy_build.json`` was written by the build of commit d37f821 (one SQL pass per check stage,
Python HMAC) from :func:`tests.warehouse.messy.write_messy`; the fused build (one typed pass per table,
HMAC inside DuckDB) must give the same tables, rows, row order, pseudonyms, quarantine rows and
reasons. Regenerate only for an intended change of output::

    .venv/bin/python -m tests.warehouse.test_build_golden --write
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import pytest

from tests.warehouse.messy import write_messy

GOLDEN = Path(__file__).with_name("golden") / "messy_build.json"
NOW = dt.datetime(2025, 6, 1)
#: columns that differ between two builds of the same exports
VOLATILE = {"built_at", "build_id", "now", "loaded_at", "quarantined_at", "cmokit_version"}


def _tables(path, known: dict | None = None) -> dict:
    """Per table: columns, row count, md5 of the rows. ``known`` (the golden's tables): a column the
    contract gained since the golden was written (e.g. orders.region) must be NULL on these exports,
    which do not carry it, and is then left out of the comparison."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            cols = [(n, typ) for n, typ, *_ in con.execute(f'DESCRIBE "{t}"').fetchall() if n not in VOLATILE]
            if known is not None and t in known:
                names = {c.split(" ")[0] for c in known[t]["columns"]}
                for n in [n for n, _ in cols if n not in names]:
                    filled = con.execute(f'SELECT count("{n}") FROM "{t}"').fetchone()[0]
                    assert filled == 0, f"{t}.{n} (added since the golden) holds {filled} values on exports without it"
                cols = [(n, typ) for n, typ in cols if n in names]
            sel = ", ".join(f'"{n}"' for n, _ in cols) or "count(*)"
            rows = [repr(r) for r in con.execute(f'SELECT {sel} FROM "{t}"').fetchall()]
            if t.startswith(("meta_", "quarantine_")):  # no key order: ties may come in any order
                rows = sorted(rows)
            out[t] = {"columns": [f"{n} {typ}" for n, typ in cols], "rows": len(rows),
                      "md5": hashlib.md5("\n".join(rows).encode()).hexdigest()}
        return out
    finally:
        con.close()


def snapshot(folder, spoil: bool = True, known: dict | None = None) -> dict:
    from cmokit.warehouse.build import build

    raw = write_messy(Path(folder) / "raw", spoil=spoil)
    res = build(raw, Path(folder) / "w.duckdb", dev_key=True, force=True, now=NOW,
                max_quarantine_share=1.0, max_nulled_share=1.0)
    import duckdb

    con = duckdb.connect(str(res.path), read_only=True)
    summary = [list(map(str, r)) for r in con.execute(
        "SELECT table_name, check_name, column_name, outcome, sum(rows) FROM meta_quarantine_summary "
        "GROUP BY ALL ORDER BY ALL").fetchall()]
    con.close()
    known = known or {}
    return {"reasons": summary, "warehouse": _tables(res.path, known.get("warehouse")),
            "quarantine": _tables(res.quarantine_path, known.get("quarantine"))}


@pytest.mark.parametrize("route", ["fused", "staged"])
@pytest.mark.parametrize("kind", ["messy", "clean"])
def test_exports_build_exactly_as_before(tmp_path, monkeypatch, kind, route):
    """Messy exports take every check and the ranking of duplicates; clean ones, already in key order,
    the path that publishes without sorting. Tables, stored row order, quarantine: as before -- on the
    fused route (CSV to checked rows in one statement; a file with a non-UTF-8 line falls back to the
    staged route) and with every table forced through the staged route (``cand``)."""
    import importlib

    build_module = importlib.import_module("cmokit.warehouse.build")
    routes = []
    scan = build_module._Build._scan_fused

    def spy(self, table, source, files):
        routes.append((table, scan(self, table, source, files) if route == "fused" else False))
        return routes[-1][1]

    monkeypatch.setattr(build_module._Build, "_scan_fused", spy)
    want = json.loads(GOLDEN.read_text())[kind]
    got = snapshot(tmp_path, spoil=kind == "messy", known=want)
    fused = {t for t, ok in routes if ok}
    if route == "staged":
        assert not fused
    elif kind == "clean":
        assert fused == {t for t, _ in routes}
    else:  # the messy customers export has a latin-1 byte (salvaged on the staged route); the rest go fused
        assert "customers" not in fused and {"orders", "touchpoints", "marketing_spend"} <= fused
    assert got["reasons"] == want["reasons"]
    assert got["warehouse"] == want["warehouse"]
    assert got["quarantine"] == want["quarantine"]


def test_messy_exports_exercise_every_check():
    reasons = {r[1] for r in json.loads(GOLDEN.read_text())["messy"]["reasons"]}
    assert reasons >= {"accepted_values", "duplicate_delivery", "duplicate_key", "foreign_key", "invalid_encoding",
                       "malformed_line", "minimum", "missing_value", "money_format", "not_in_future", "unparseable",
                       "ends_after_start", "clicks_le_impressions"}


if __name__ == "__main__" and "--write" in sys.argv:  # pragma: no cover
    import tempfile

    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as e:
        GOLDEN.write_text(json.dumps({"messy": snapshot(d), "clean": snapshot(e, spoil=False)}, indent=1) + "\n")
    print(f"wrote {GOLDEN}")
else:
    pytest.importorskip("duckdb")


def test_erasure_gives_the_same_build_on_both_routes(tmp_path, monkeypatch):
    """A suppression list on messy exports: the fused route erases right after its scan, the staged route
    before any check; warehouse, quarantine and the per-file reconciliation (meta_loads) are the same."""
    import importlib

    import pandas as pd

    from cmokit.warehouse.build import build

    raw = write_messy(tmp_path / "raw")
    ids = pd.read_csv(raw / "shop_orders.csv", dtype=str, on_bad_lines="skip").crm_id.dropna().str.strip()
    suppress = tmp_path / "erase.txt"
    suppress.write_text("\n".join(ids.value_counts().index[:4]) + "\n")
    build_module = importlib.import_module("cmokit.warehouse.build")
    got = {}
    for route in ("fused", "staged"):
        if route == "staged":
            monkeypatch.setattr(build_module._Build, "_scan_fused", lambda *a: False)
        res = build(raw, tmp_path / f"{route}.duckdb", dev_key=True, force=True, now=NOW, suppress=suppress,
                    max_quarantine_share=1.0, max_nulled_share=1.0)
        assert res.summary().erased.sum() > 0
        got[route] = (_tables(res.path), _tables(res.quarantine_path), res.customers_erased)
    assert got["fused"] == got["staged"]
