"""Publish gates: a bad delivery never replaces a good warehouse (issue 13, item 4)."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from cmokit.warehouse.build import build, quarantine_path
from cmokit.warehouse.connect import file_sha256
from cmokit.warehouse.files import refused_quarantine_path
from cmokit.warehouse.gates import GateError
from tests.conftest import SAMPLE_NOW
from tests.warehouse.conftest import rewrite_csv as _rewrite

NAMES = {"DE": "Germany", "FR": "France", "NL": "Netherlands", "GB": "United Kingdom", "AT": "Austria",
         "BE": "Belgium", "ES": "Spain", "IT": "Italy"}


def _build(raw, out, **kw):
    return build(raw, out, dev_key=True, now=SAMPLE_NOW, **kw)


def _set_column(path, column, fn):
    def change(rows):
        i = rows[0].index(column)
        for r in rows[1:]:
            r[i] = fn(r[i])
        return rows

    _rewrite(path, change)


def _full_country_names(raw):
    _set_column(raw / "crm_customers.csv", "country", lambda v: NAMES.get(v, v))


def _dotted_dates(raw):  # 2024-03-05T10:11:12Z -> 05.03.2024 10:11:12
    _set_column(raw / "shop_orders.csv", "order_ts", lambda v: f"{v[8:10]}.{v[5:7]}.{v[:4]} {v[11:19]}")


def _header_only_orders(raw):
    p = raw / "shop_orders.csv"
    p.write_text(p.read_text().split("\n")[0] + "\n")


def _files(out):
    return {p.name: file_sha256(p) for p in (out, quarantine_path(out))}


@pytest.mark.parametrize("break_it, gate, table", [
    (_full_country_names, "nulled_values", "customers"),
    (_dotted_dates, "quarantine_share", "orders"),
    (_header_only_orders, "required_not_empty", "orders"),
], ids=["country_full_names", "dotted_order_dates", "header_only_orders"])
def test_bad_delivery_is_refused_and_the_last_good_warehouse_stays(raw, tmp_path, break_it, gate, table):
    out = tmp_path / "w.duckdb"
    _build(raw, out)
    before = _files(out)
    break_it(raw)
    with pytest.raises(GateError) as err:
        _build(raw, out)
    assert _files(out) == before  # byte-identical warehouse and quarantine
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))
    failed = err.value.gates[~err.value.gates.passed]
    assert ((failed.gate == gate) & (failed.table_name == table)).any(), failed
    assert f"{gate} {table}:" in str(err.value) and "nothing was published" in str(err.value)
    # the refused build's quarantine is kept beside, for IT to see why, until a build publishes again
    assert refused_quarantine_path(out).exists()
    if gate != "quarantine_share":  # dotted dates also leave orders empty: nothing sensible to accept
        _build(raw, out, accept=[f"{gate}:{table}", "row_count_drop"])
        assert not refused_quarantine_path(out).exists()


def test_dotted_dates_also_fail_the_row_count_gate_with_numbers(raw, tmp_path):
    out = tmp_path / "w.duckdb"
    first = _build(raw, out)
    n = first.tables["orders"]
    _dotted_dates(raw)
    with pytest.raises(GateError) as err:
        _build(raw, out)
    msg = str(err.value)
    assert f"row_count_drop orders: {n:,} rows published before, 0 now (-100.0%; gate -20%)" in msg
    assert f"quarantine_share orders: {n:,} of {n:,} rows read quarantined as errors (100.0%; gate 5.0%)" in msg
    assert "top reasons: unparseable ordered_at" in msg


def test_first_build_of_a_broken_export_is_refused_too(raw, tmp_path):
    _dotted_dates(raw)
    with pytest.raises(GateError, match="quarantine_share orders"):
        _build(raw, tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_accept_publishes_and_is_recorded(raw, tmp_path):
    out = tmp_path / "w.duckdb"
    _build(raw, out)
    _full_country_names(raw)
    r = _build(raw, out, accept=["nulled_values:customers"])
    assert r.accepted_gates == ("nulled_values:customers",)
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT accepted_gates FROM meta_build").fetchone()[0] == "nulled_values:customers"
        gates = con.execute("SELECT gate, table_name, passed, accepted FROM meta_gates WHERE NOT passed").fetchall()
        assert gates == [("nulled_values", "customers", False, True)]
        assert con.execute("SELECT count(*) FROM customers WHERE country IS NOT NULL").fetchone()[0] == 0
    finally:
        con.close()


def test_a_drop_within_the_threshold_publishes_and_one_beyond_is_refused(raw, tmp_path):
    out = tmp_path / "w.duckdb"
    first = _build(raw, out)
    lines = (raw / "shop_orders.csv").read_text().split("\n")
    body = [x for x in lines[1:] if x]
    keep = int(len(body) * 0.85)  # a 15 % drop: within the default 20 %
    (raw / "shop_orders.csv").write_text("\n".join([lines[0], *body[:keep]]) + "\n")
    assert _build(raw, out).tables["orders"] == keep
    (raw / "shop_orders.csv").write_text("\n".join([lines[0], *body[:int(keep * 0.7)]]) + "\n")
    with pytest.raises(GateError, match="row_count_drop orders"):
        _build(raw, out)
    # a stricter threshold refuses the first drop too
    (raw / "shop_orders.csv").write_text("\n".join(lines))
    _build(raw, out)
    (raw / "shop_orders.csv").write_text("\n".join([lines[0], *body[:keep]]) + "\n")
    with pytest.raises(GateError, match="row_count_drop orders"):
        _build(raw, out, max_row_drop={"orders": 0.1})
    del first


def test_unknown_or_contract_accept_is_a_config_error(raw, tmp_path):
    from cmokit.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown gate 'row_drop'"):
        _build(raw, tmp_path / "w.duckdb", accept=["row_drop"])
    with pytest.raises(ConfigError, match="--accept contract is not allowed"):
        _build(raw, tmp_path / "w.duckdb", accept=["contract"])


def _run(*args):
    return subprocess.run([sys.executable, "-m", "cmokit.cli", *args], capture_output=True, text=True)


def test_cli_gate_failure_exits_nonzero_names_the_gate_and_accept_overrides(raw, tmp_path):
    out = tmp_path / "w.duckdb"
    base = ("warehouse", "build", str(raw), "--out", str(out), "--dev-key", "--now", "2026-01-01T00:00:00")
    assert _run(*base).returncode == 0
    before = _files(out)
    _header_only_orders(raw)
    r = _run(*base)
    assert r.returncode == 1, r.stderr
    assert "required_not_empty orders: 0 rows loaded" in r.stderr and "--accept" in r.stderr
    assert _files(out) == before
    r = _run(*base, "--accept", "required_not_empty", "--accept", "row_count_drop")
    assert r.returncode == 0, r.stderr
    assert "published past failed gate(s)" in r.stdout
    # and `warehouse check` refuses the empty required table
    r = _run("warehouse", "check", str(out))
    assert r.returncode == 1 and "not_empty" in r.stdout


def test_check_fails_on_a_quarantine_share_over_its_gate(raw, tmp_path):
    from cmokit.warehouse.checks import check

    out = tmp_path / "w.duckdb"

    def dot_every_tenth(rows):
        i = rows[0].index("order_ts")
        for n, r in enumerate(rows[1:]):
            if n % 10 == 0:
                v = r[i]
                r[i] = f"{v[8:10]}.{v[5:7]}.{v[:4]} {v[11:19]}"
        return rows

    _rewrite(raw / "shop_orders.csv", dot_every_tenth)
    with pytest.raises(GateError, match="quarantine_share orders"):
        _build(raw, out)
    r = _build(raw, out, accept=["quarantine_share"])
    res = check(out, now=SAMPLE_NOW)
    row = res[(res.check == "quarantine_share") & (res.table == "orders")].iloc[0]
    assert row.failing_rows > 0 and row.severity == "warning"  # accepted at build time: reported, not failing
    # the same warehouse without the acceptance on record fails the check
    con = duckdb.connect(str(out))
    con.execute("UPDATE meta_gates SET accepted = false")
    con.close()
    res = check(out, now=SAMPLE_NOW)
    row = res[(res.check == "quarantine_share") & (res.table == "orders")].iloc[0]
    assert row.severity == "error" and row.failing_rows == r.summary().query("table == 'orders'").quarantined.sum()
    clean = check(tmp_path / "w.duckdb", now=SAMPLE_NOW)
    assert len(clean[clean.check == "quarantine_share"]) == r.summary().table.nunique()  # one per table read (was 7)


def test_checks_do_not_import_the_build(warehouse_path):
    # issue 12: the build -> checks -> build import cycle is gone (file helpers live in warehouse/files.py).
    # The package __init__ exports build eagerly, so look at what checks.py and files.py themselves import.
    import ast
    from pathlib import Path

    import cmokit.warehouse.checks as checks_module

    for mod in ("checks.py", "files.py"):
        tree = ast.parse((Path(checks_module.__file__).parent / mod).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "cmokit.warehouse.build" not in imported, f"{mod} imports the build"
    code = ("import sys; from cmokit.warehouse.checks import check; res = check(sys.argv[1]); "
            "print(int((res.check == 'quarantine_same_build').sum()))")
    p = subprocess.run([sys.executable, "-c", code, str(warehouse_path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "1"  # the quarantine beside the warehouse was found through files.quarantine_path
