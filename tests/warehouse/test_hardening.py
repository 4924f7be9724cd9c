"""Faults and bad inputs found by the probe of the build (issue 13, item 7): each a test."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import duckdb
import pytest

from cmokit.errors import BuildError, ConfigError
from cmokit.warehouse.build import build, quarantine_path
from cmokit.warehouse.connect import file_sha256
from tests.conftest import SAMPLE_NOW
from tests.warehouse.conftest import read_quarantine, rewrite_csv


def _build(raw, out, **kw):
    return build(raw, out, dev_key=True, now=SAMPLE_NOW, **kw)


def _quarantine(result, table):
    return read_quarantine(result, table, order="line, column_name")


def _one(path, sql, params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def _customer_line(raw, n):
    """(line number, crm_id, number of orders) of the n-th customer with orders."""
    import pandas as pd

    customers = pd.read_csv(raw / "crm_customers.csv", dtype=str)
    orders = pd.read_csv(raw / "shop_orders.csv", dtype=str)
    counts = orders.crm_id.value_counts()
    i = [k for k, cid in enumerate(customers.crm_id) if cid in counts.index][n]
    return i + 2, customers.crm_id[i], int(counts[customers.crm_id[i]])


def test_a_bad_optional_or_personal_value_never_removes_the_customer(raw, tmp_path):
    p = raw / "crm_customers.csv"
    lines = p.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    (l1, id1, n1), (l2, id2, n2), (l3, id3, n3), (l4, id4, n4) = (_customer_line(raw, k) for k in range(4))

    def set_cell(line, column, value: bytes):
        cells = lines[line - 1].split(b",")
        cells[header.index(column)] = value
        lines[line - 1] = b",".join(cells)

    set_cell(l1, "full_name", b"Ren\xe9e M\xfcller")  # latin-1 bytes in a column that never reaches the warehouse
    set_cell(l2, "country", b"NULL")  # empty exported as the word NULL
    set_cell(l3, "country", b"XX")  # not an ISO-3166 code
    set_cell(l4, "acquisition_source", b"carrier_pigeon")
    p.write_bytes(b"\n".join(lines))
    r = _build(raw, tmp_path / "w.duckdb")
    s = r.summary()
    assert (s.read == s.loaded + s.quarantined).all() and s.quarantined.sum() == 0
    q = _quarantine(r, "customers")
    assert list(zip(q.line, q.check_name, q.column_name, q.severity, q.outcome)) == [
        (l1, "invalid_encoding", "full_name", "warning", "loaded_with_null"),
        (l2, "accepted_values", "country", "warning", "loaded_with_null"),
        (l3, "accepted_values", "country", "warning", "loaded_with_null"),
        (l4, "accepted_values", "acquisition_channel", "warning", "loaded_with_null"),
    ]
    assert '"country":"XX"' in q.raw_values.iloc[2].replace(" ", "")  # the warning keeps the value for IT
    from cmokit.warehouse.pseudonym import DEV_KEY, pseudonymise

    ids = pseudonymise([id1, id2, id3, id4], DEV_KEY)
    rows = _one(r.path, "SELECT customer_id, country, acquisition_channel FROM customers "
                        "WHERE customer_id IN (SELECT unnest($ids)) ORDER BY customer_id", {"ids": ids})
    assert len(rows) == 4
    by_id = {c: (country, channel) for c, country, channel in rows}
    assert by_id[ids[1]][0] is None and by_id[ids[2]][0] is None and by_id[ids[3]][1] is None
    orders = _one(r.path, "SELECT count(*) FROM orders WHERE customer_id IN (SELECT unnest($ids))", {"ids": ids})
    assert orders[0][0] == n1 + n2 + n3 + n4  # none of their orders is lost


def test_a_bad_byte_in_a_required_column_still_rejects_the_line(raw, tmp_path):
    p = raw / "crm_customers.csv"
    lines = p.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b"CRM-", b"CRM-\xe9", 1)
    p.write_bytes(b"\n".join(lines))
    q = _quarantine(_build(raw, tmp_path / "w.duckdb"), "customers")
    assert list(zip(q.line, q.check_name)) == [(5, "malformed_line")]


def test_an_orphan_campaign_on_an_order_keeps_the_order(raw, tmp_path):
    def orphan(rows):
        rows[5][rows[0].index("campaign_code")] = "NOPE-1"
        return rows

    rewrite_csv(raw / "shop_orders.csv", orphan)
    r = _build(raw, tmp_path / "w.duckdb")
    q = _quarantine(r, "orders")
    assert list(zip(q.line, q.check_name, q.column_name, q.outcome)) == [(6, "foreign_key", "campaign_id", "loaded_with_null")]
    assert r.summary().quarantined.sum() == 0


@pytest.mark.parametrize("value, check", [("12.505", "money_format"), ("1e3", "money_format"), ("12,50", "money_format"),
                                          ("12.5", None), ("-0.00", None)])
def test_money_is_taken_only_as_written_with_two_decimals(raw, tmp_path, value, check):
    def put(rows):
        rows[5][rows[0].index("amount_eur")] = value
        return rows

    rewrite_csv(raw / "shop_orders.csv", put)
    r = _build(raw, tmp_path / "w.duckdb")
    q = _quarantine(r, "orders")
    if check is None:
        assert q.empty
    else:
        assert list(zip(q.line, q.check_name, q.column_name)) == [(6, check, "revenue")]


def test_future_first_seen_is_quarantined(raw, tmp_path):
    def future(rows):
        rows[3][rows[0].index("signup_ts")] = "2031-01-01T00:00:00Z"
        return rows

    rewrite_csv(raw / "crm_customers.csv", future)
    q = _quarantine(_build(raw, tmp_path / "w.duckdb"), "customers")
    assert list(zip(q.line, q.check_name, q.column_name)) == [(4, "not_in_future", "first_seen_at")]


def test_top_reasons_per_table_are_in_the_result_and_the_cli_summary(raw, tmp_path):
    def bad(rows):
        for i in (3, 4, 5):
            rows[i][rows[0].index("amount_eur")] = "-1.00"
        rows[7][rows[0].index("order_ts")] = "yesterday"
        return rows

    rewrite_csv(raw / "shop_orders.csv", bad)
    r = _build(raw, tmp_path / "w.duckdb")
    top = r.reasons[r.reasons.table_name == "orders"]
    assert list(zip(top.check_name, top.column_name, top.rows)) == [("minimum", "revenue", 3), ("unparseable", "ordered_at", 1)]
    p = subprocess.run([sys.executable, "-m", "cmokit.cli", "warehouse", "build", str(raw), "--out",
                        str(tmp_path / "c.duckdb"), "--dev-key", "--now", "2026-01-01T00:00:00"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "Top quarantine reasons per table" in p.stdout
    line = next(x for x in p.stdout.splitlines() if "minimum" in x and "revenue" in x)
    assert line.split()[0] == "orders" and line.split()[-1] == "3"


def test_a_stale_spill_directory_from_a_killed_build_is_cleaned(raw, tmp_path):
    out = tmp_path / "w.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    spill = tmp_path / f".w.duckdb.tmp-{dead.pid}.tmp"  # DuckDB's spill folder beside the temp database
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 100)
    (tmp_path / f".w.duckdb.tmp-{dead.pid}").write_bytes(b"half a database")
    _build(raw, out)
    assert out.exists() and not list(tmp_path.glob(".w.duckdb.tmp-*"))


def test_a_full_disk_is_a_clear_error_and_publishes_nothing(raw, tmp_path, monkeypatch):
    build_module = importlib.import_module("cmokit.warehouse.build")  # the submodule; cmokit.warehouse.build is the function

    out = tmp_path / "w.duckdb"
    _build(raw, out)
    before = file_sha256(out), file_sha256(quarantine_path(out))

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "w.duckdb": No space left on device')

    monkeypatch.setattr(build_module, "_write_quarantine", full)
    with pytest.raises(BuildError, match="the disk ran out of space .* nothing was published") as err:
        _build(raw, out)
    assert "GB free" in str(err.value) and "Traceback" not in str(err.value)
    monkeypatch.undo()
    assert (file_sha256(out), file_sha256(quarantine_path(out))) == before
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))


def test_a_full_disk_while_reading_an_export_is_not_retried_by_the_slower_route(raw, tmp_path, monkeypatch):
    """The fused CSV route falls back to the staged route when the CSV reader gives up on a file, not
    when the machine fails: a full disk is reported once, clearly, without a second attempt."""
    build_module = importlib.import_module("cmokit.warehouse.build")
    csv_rows = build_module._Build._csv_rows
    staged = []

    def full_disk(self, table, source, path, cols):
        sql, params = csv_rows(self, table, source, path, cols)
        if table != "orders":
            return sql, params
        return f"SELECT * FROM ({sql}) WHERE error('IO Error: Could not write \"w.duckdb\": No space left on device')", params

    monkeypatch.setattr(build_module._Build, "_csv_rows", full_disk)
    monkeypatch.setattr(build_module._Build, "_read_file", lambda *a, **k: staged.append(a[1]))
    with pytest.raises(BuildError, match="the disk ran out of space .* nothing was published"):
        _build(raw, tmp_path / "w.duckdb")
    assert staged == [] and not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("rule", ["date", "mtime"])
def test_a_later_delivery_wins_by_the_declared_order_not_by_name(raw, tmp_path, rule):
    base = raw / "shop_orders.csv"
    lines = base.read_text().split("\n")
    header = lines[0].split(",")
    fixed = lines[5].split(",")
    order_id = fixed[header.index("order_number")]
    fixed[header.index("amount_eur")] = "777.77"
    correction = raw / "shop_orders-2026-01-02.csv"  # sorts before shop_orders.csv by name
    correction.write_text("\n".join([lines[0], ",".join(fixed)]) + "\n")
    if rule == "mtime":  # delivered later: the base file is older
        os.utime(base, (1_700_000_000, 1_700_000_000))
        os.utime(correction, (1_800_000_000, 1_800_000_000))
    r = _build(raw, tmp_path / "w.duckdb", delivery_order=rule)
    assert _one(r.path, "SELECT revenue::VARCHAR FROM orders WHERE order_id = $o", {"o": order_id}) == [("777.77",)]
    q = _quarantine(r, "orders")
    assert list(zip(q.source_file, q.check_name)) == [("shop_orders.csv", "duplicate_key")]


def test_dev_key_on_data_that_is_not_the_sample_is_refused_unless_forced(raw, tmp_path):
    (raw / "truth.json").unlink()
    with pytest.raises(ConfigError, match="--dev-key is for the bundled sample only.*--force"):
        _build(raw, tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()
    assert _build(raw, tmp_path / "w.duckdb", force=True).tables["customers"] > 0
    p = subprocess.run([sys.executable, "-m", "cmokit.cli", "warehouse", "build", str(raw), "--out",
                        str(tmp_path / "c.duckdb"), "--dev-key"], capture_output=True, text=True)
    assert p.returncode == 2 and "--dev-key is for the bundled sample only" in p.stderr


def test_the_warehouse_and_quarantine_files_use_the_declared_storage_format(raw, tmp_path):
    """Both files are written in the storage format of DuckDB 1.3 (DECISIONS.md, "Build performance"):
    readable by DuckDB 1.3 and later, whatever DuckDB version wrote them."""
    build_module = importlib.import_module("cmokit.warehouse.build")
    out = tmp_path / "w.duckdb"
    _build(raw, out)
    for path in (out, quarantine_path(out)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            tags = con.execute("SELECT tags FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
        finally:
            con.close()
        assert tags["storage_version"] == build_module.STORAGE_VERSION + "+", path


def test_the_cli_prints_warnings_below_the_reconciliation_not_as_a_column(raw, tmp_path):
    """A long warning (extra columns in an export) is a line of its own, not a column that stretches
    every row of the reconciliation table past the screen; counts read 1,234."""
    extra = [f"a_rather_long_extra_column_name_{i}" for i in range(6)]
    rewrite_csv(raw / "shop_orders.csv", lambda rows: [rows[0] + extra] + [r + [""] * len(extra) for r in rows[1:]])
    p = subprocess.run([sys.executable, "-m", "cmokit.cli", "warehouse", "build", str(raw), "--out",
                        str(tmp_path / "w.duckdb"), "--dev-key", "--now", "2026-01-01T00:00:00"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    table, warnings = p.stdout.split("Reconciliation", 1)[1].split("Warnings:", 1)
    rows = table.splitlines()[1:]
    assert "warnings" not in rows[0] and max(len(line) for line in rows) < 120, table
    assert any(line.startswith("  orders (shop_orders.csv): ") for line in warnings.splitlines()), warnings
    assert any("," in line.split()[-5] for line in rows if line.split()[:1] == ["orders"])  # 1,234
