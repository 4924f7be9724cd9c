"""Erasure: customers on a suppression list leave the warehouse and the IT-side quarantine (issue 13, item 5)."""

from __future__ import annotations

import stat
import subprocess
import sys

import duckdb
import pandas as pd

from cmokit.warehouse.build import build
from cmokit.warehouse.pseudonym import DEV_KEY, pseudonymise
from tests.conftest import SAMPLE_NOW


def _text_values(path) -> set[str]:
    """Every VARCHAR value of every table and column of a DuckDB file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE data_type = 'VARCHAR'").fetchall()
        values = set()
        for t, c in cols:
            values |= {v for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL').fetchall()}
        return values
    finally:
        con.close()


def _victims(raw, n=3):
    """Customers with orders, and one with a bad order that lands in the quarantine."""
    orders = pd.read_csv(raw / "shop_orders.csv", dtype=str)
    busy = orders.crm_id.value_counts()
    return list(busy.index[:n])


def test_suppressed_customers_leave_no_row_in_warehouse_or_quarantine(raw, tmp_path):
    victims = _victims(raw)
    # put their data into the quarantine too: a bad order, a malformed line, a duplicate delivery
    orders = (raw / "shop_orders.csv").read_text().split("\n")
    header = orders[0].split(",")
    theirs = [x for x in orders[1:] if x and x.split(",")[header.index("crm_id")] == victims[0]]
    bad = theirs[0].split(",")
    bad[header.index("order_number")] += "X"
    bad[header.index("amount_eur")] = "-3.00"
    malformed = theirs[1] + ",surplus"
    (raw / "shop_orders_2025-12-30.csv").write_text("\n".join([orders[0], ",".join(bad), malformed, theirs[2]]) + "\n")
    suppress = tmp_path / "erase.txt"
    suppress.write_text("# erasure requests\n" + "\n".join(victims) + "\nCRM-NOT-A-CUSTOMER\n")
    r = build(raw, tmp_path / "w.duckdb", dev_key=True, now=SAMPLE_NOW, suppress=suppress)
    s = r.summary()
    assert (s.read == s.loaded + s.quarantined + s.erased).all()
    assert r.customers_erased == len(victims)
    raw_rows = {t: pd.read_csv(raw / f, dtype=str) for t, f in
                [("customers", "crm_customers.csv"), ("orders", "shop_orders.csv"), ("touchpoints", "touchpoints.csv"),
                 ("experiment_assignments", "experiment_assignments.csv"), ("refunds", "refunds.csv")]}
    expected = sum(int(d.crm_id.isin(victims).sum()) for d in raw_rows.values()) + 3  # + the new file's three lines
    assert s.erased.sum() == expected
    pseudonyms = set(pseudonymise(victims, DEV_KEY))
    for path in (r.path, r.quarantine_path):
        values = _text_values(path)
        assert not values & (pseudonyms | set(victims))
        assert not [v for v in values if any(x in v for x in victims)]  # not inside raw lines either
        blob = path.read_bytes()
        assert not [x for x in victims if x.encode() in blob]
    # other customers are untouched: a build without the list has exactly the victims' rows more
    full = build(raw, tmp_path / "full.duckdb", dev_key=True, now=SAMPLE_NOW)
    assert full.tables["customers"] - r.tables["customers"] == len(victims)
    assert full.tables["orders"] - r.tables["orders"] == int(raw_rows["orders"].crm_id.isin(victims).sum())
    con = duckdb.connect(str(r.path), read_only=True)
    assert con.execute("SELECT customers_erased FROM meta_build").fetchone()[0] == len(victims)
    assert con.execute("SELECT sum(rows_erased) FROM meta_loads").fetchone()[0] == expected
    con.close()


def test_quarantine_is_readable_by_its_owner_only(raw, tmp_path):
    r = build(raw, tmp_path / "w.duckdb", dev_key=True, now=SAMPLE_NOW)
    assert stat.S_IMODE(r.quarantine_path.stat().st_mode) == 0o600


def test_suppression_from_python_list_and_cli(raw, tmp_path):
    victims = _victims(raw, 1)
    r = build(raw, tmp_path / "a.duckdb", dev_key=True, now=SAMPLE_NOW, suppress=victims)
    assert r.customers_erased == 1
    lst = tmp_path / "erase.csv"
    lst.write_text(f"{victims[0]},requested 2025-12-01\n")
    out = tmp_path / "b.duckdb"
    p = subprocess.run([sys.executable, "-m", "cmokit.cli", "warehouse", "build", str(raw), "--out", str(out),
                        "--dev-key", "--now", "2026-01-01T00:00:00", "--suppress", str(lst)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "erased 1 customer(s) on the suppression list" in p.stdout
    assert not _text_values(out) & set(pseudonymise(victims, DEV_KEY))
