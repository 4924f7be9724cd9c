"""The governed build: nothing lost, clear errors, pseudonymous, atomic, idempotent."""

from __future__ import annotations

import importlib
import re
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from cmokit.errors import BuildError, ConfigError
from cmokit.warehouse.build import build, quarantine_path
from cmokit.warehouse.connect import file_sha256
from tests.conftest import SAMPLE_NOW
from tests.warehouse.conftest import read_quarantine as _quarantine
from tests.warehouse.conftest import rewrite_csv as _rewrite


def _build(raw, tmp_path, name="w.duckdb"):
    return build(raw, tmp_path / name, dev_key=True, now=SAMPLE_NOW)


def _assert_reconciles(result):
    s = result.summary()
    assert (s.read == s.loaded + s.quarantined).all(), s


def test_clean_sample_loads_everything(raw, tmp_path):
    r = _build(raw, tmp_path)
    s = r.summary()
    assert s.quarantined.sum() == 0 and (s.read == s.loaded).all()
    assert r.checks[(r.checks.severity == "error")].failing_rows.sum() == 0


@pytest.mark.parametrize("case, table, column, check", [
    ("unparseable_date", "orders", "ordered_at", "unparseable"),
    ("future_date", "orders", "ordered_at", "not_in_future"),
    ("negative_revenue", "orders", "revenue", "minimum"),
    ("orphan_customer", "orders", "customer_id", "foreign_key"),
    ("orphan_campaign", "orders", "campaign_id", "foreign_key"),
    ("missing_key", "orders", "order_id", "missing_value"),
    ("bad_channel", "marketing_spend", "channel", "accepted_values"),
    ("clicks_gt_impressions", "marketing_spend", "clicks", "clicks_le_impressions"),
    ("bad_consent", "customers", "marketing_consent", "unparseable"),
])
def test_bad_row_is_quarantined_with_its_check(raw, tmp_path, case, table, column, check):
    files = {"orders": "shop_orders.csv", "marketing_spend": "ad_spend.csv", "customers": "crm_customers.csv"}
    path = raw / files[table]

    def corrupt(rows):
        h = rows[0]
        row = rows[5]
        if case == "unparseable_date":
            row[h.index("order_ts")] = "31/02/2024 25:00"
        elif case == "future_date":
            row[h.index("order_ts")] = "2031-01-01T00:00:00Z"
        elif case == "negative_revenue":
            row[h.index("amount_eur")] = "-12.50"
        elif case == "orphan_customer":
            row[h.index("crm_id")] = "CRM-9999999"
        elif case == "orphan_campaign":
            row[h.index("campaign_code")] = "NOPE-1"
        elif case == "missing_key":
            row[h.index("order_number")] = ""
        elif case == "bad_channel":
            row[h.index("channel")] = "carrier_pigeon"
        elif case == "clicks_gt_impressions":
            row[h.index("clicks")] = str(int(row[h.index("impressions")]) + 5)
        elif case == "bad_consent":
            row[h.index("marketing_opt_in")] = "maybe"
        return rows

    _rewrite(path, corrupt)
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    q = _quarantine(r, table)
    assert len(q) >= 1
    first = q.iloc[0]
    assert (first.check_name, first.column_name, int(first.line)) == (check, column, 6)
    assert first.source_file == path.name and first.raw_values.startswith("{")


def test_bad_customer_cascades_to_quarantine_not_loss(raw, tmp_path):
    _rewrite(raw / "crm_customers.csv", lambda rows: [rows[0]] + [r if i != 3 else r[:4] + ["yesterday"] + r[5:]
                                                                 for i, r in enumerate(rows[1:], 1)])
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    q = _quarantine(r, "orders")
    assert set(q.check_name) <= {"foreign_key"}


def test_non_utf8_bytes_are_quarantined_with_line(raw, tmp_path):
    p = raw / "shop_orders.csv"
    lines = p.read_bytes().split(b"\n")
    lines[9] = lines[9].replace(b"SO-", b"SO-\xff\xfe", 1)
    p.write_bytes(b"\n".join(lines))
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    q = _quarantine(r, "orders")
    assert list(q.line) == [10]
    assert q.check_name.iloc[0] == "malformed_line" and "encoding" in q.column_name.iloc[0]


def test_line_numbers_after_a_rejected_line(raw, tmp_path):
    p = raw / "shop_orders.csv"
    lines = p.read_text().split("\n")
    lines[3] = lines[3] + ",surplus"  # too many columns on line 4
    h = lines[0].split(",")
    cells = lines[20].split(",")
    cells[h.index("amount_eur")] = "-1.00"  # negative revenue on line 21
    lines[20] = ",".join(cells)
    p.write_text("\n".join(lines))
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    q = _quarantine(r, "orders")
    assert list(zip(q.line, q.check_name)) == [(4, "malformed_line"), (21, "minimum")]


def test_duplicate_keys_latest_wins_and_reconciles(raw, tmp_path):
    def dup(rows):
        extra = list(rows[8])
        extra[rows[0].index("amount_eur")] = "999.99"
        return rows + [list(rows[7]), extra]

    _rewrite(raw / "shop_orders.csv", dup)
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    q = _quarantine(r, "orders")
    assert sorted(q.check_name) == ["duplicate_delivery", "duplicate_key"]
    con = duckdb.connect(str(r.path), read_only=True)
    assert con.execute("SELECT count(*) FROM orders WHERE revenue = 999.99").fetchone()[0] == 1
    con.close()


@pytest.mark.parametrize("case, message", [
    ("semicolon", r"semicolon-delimited"),
    ("missing_column", r"line 1, column 'amount_eur': required column missing"),
    ("empty", r"empty \(0 bytes"),
])
def test_file_level_problems_are_clear_errors(raw, tmp_path, case, message):
    p = raw / "shop_orders.csv"
    text = p.read_text()
    if case == "semicolon":
        p.write_text(text.replace(",", ";"))
    elif case == "missing_column":
        _rewrite(p, lambda rows: [[c for i, c in enumerate(r) if i != rows[0].index("amount_eur")] for r in rows])
    else:
        p.write_bytes(b"")
    with pytest.raises(BuildError, match=message) as err:
        _build(raw, tmp_path)
    assert "shop_orders.csv" in str(err.value)
    assert not (tmp_path / "w.duckdb").exists()


def test_extra_column_is_ignored_with_a_warning(raw, tmp_path):
    _rewrite(raw / "shop_orders.csv", lambda rows: [r + (["note"] if i == 0 else ["x"]) for i, r in enumerate(rows)])
    r = _build(raw, tmp_path)
    _assert_reconciles(r)
    s = r.summary().set_index("file")
    assert "extra column(s) ignored: note" in s.loc["shop_orders.csv", "warnings"]


def test_header_only_file_loads_nothing_and_says_so(raw, tmp_path):
    p = raw / "touchpoints.csv"
    p.write_text(p.read_text().split("\n")[0] + "\n")
    r = _build(raw, tmp_path)
    assert r.tables["touchpoints"] == 0
    assert "header only" in r.summary().set_index("file").loc["touchpoints.csv", "warnings"]


def test_missing_key_is_a_clear_error(raw, tmp_path, monkeypatch):
    monkeypatch.delenv("CMOKIT_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="CMOKIT_PSEUDONYM_KEY"):
        build(raw, tmp_path / "w.duckdb", now=SAMPLE_NOW)


def test_key_changes_pseudonyms(raw, tmp_path, monkeypatch):
    monkeypatch.setenv("CMOKIT_PSEUDONYM_KEY", "a-long-production-secret-1234")
    a = build(raw, tmp_path / "a.duckdb", now=SAMPLE_NOW)
    b = _build(raw, tmp_path, "b.duckdb")
    ids = [set(duckdb.connect(str(x.path), read_only=True).execute("SELECT customer_id FROM customers").fetchnumpy()["customer_id"])
           for x in (a, b)]
    assert len(ids[0]) == len(ids[1]) and not ids[0] & ids[1]


def test_no_personal_data_reaches_the_warehouse(sample_dir, warehouse_path):
    import pandas as pd

    raw = pd.read_csv(sample_dir / "crm_customers.csv", dtype=str)
    con = duckdb.connect(str(warehouse_path), read_only=True)
    text_cols = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE data_type = 'VARCHAR'").fetchall()
    values = set()
    for t, c in text_cols:
        values |= {v for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM "{t}"').fetchall() if v}
    con.close()
    personal = set(raw.email) | set(raw.full_name) | set(raw.phone) | set(raw.crm_id)
    assert not values & personal
    email = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
    phone = re.compile(r"\+\d{2} \d{3} \d{5}")
    assert not [v for v in values if email.search(v) or phone.search(v)]
    # not even as stray bytes in the file
    blob = warehouse_path.read_bytes()
    assert not [e for e in raw.email.head(200) if e.encode() in blob]


def test_adding_a_new_day_equals_a_full_rebuild(raw, tmp_path):
    orders = (raw / "shop_orders.csv").read_text().split("\n")
    header, body = orders[0], [x for x in orders[1:] if x]
    last_day = max(x.split(",")[2][:10] for x in body)
    old = [x for x in body if x.split(",")[2][:10] < last_day]
    new = [x for x in body if x.split(",")[2][:10] == last_day]
    assert new
    full = _build(raw, tmp_path, "full.duckdb")
    (raw / "shop_orders.csv").write_text("\n".join([header, *old]) + "\n")
    _build(raw, tmp_path, "inc.duckdb")
    (raw / f"shop_orders_{last_day}.csv").write_text("\n".join([header, *new]) + "\n")
    inc = _build(raw, tmp_path, "inc.duckdb")
    # the same export delivered twice duplicates nothing
    shutil.copy(raw / f"shop_orders_{last_day}.csv", raw / f"shop_orders_{last_day}_resent.csv")
    twice = _build(raw, tmp_path, "twice.duckdb")
    _assert_reconciles(twice)

    def tables(path):
        con = duckdb.connect(str(path), read_only=True)
        out = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in full.tables}
        con.close()
        return out

    assert tables(full.path) == tables(inc.path) == tables(twice.path)
    assert set(_quarantine(twice, "orders").check_name) == {"duplicate_delivery"}


def test_failed_build_leaves_previous_warehouse_intact(raw, tmp_path):
    r = _build(raw, tmp_path)
    before = file_sha256(r.path)
    (raw / "shop_orders.csv").write_text("order_number;crm_id\n1;2\n")
    with pytest.raises(BuildError):
        _build(raw, tmp_path)
    assert file_sha256(r.path) == before
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))


@pytest.mark.slow
def test_killed_build_leaves_previous_warehouse_readable(tmp_path, sample_dir):
    import cmokit

    out = tmp_path / "w.duckdb"
    build(sample_dir, out, dev_key=True, now=SAMPLE_NOW)
    before = file_sha256(out)
    big = tmp_path / "big"
    from cmokit.sample.generator import generate

    generate(big, customers=150_000, seed=3, progress=False)
    code = ("import sys; from cmokit.warehouse.build import build; "
            "build(sys.argv[1], sys.argv[2], dev_key=True)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(big), str(out)])
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".w.duckdb.tmp-*")):
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the build finished before it could be killed; use a bigger input"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert file_sha256(out) == before
    wh = cmokit.connect(out)
    assert wh.execute(wh.orders.count()) > 0
    wh.close()
    # the next build cleans the dead build's leftovers and publishes
    build(sample_dir, out, dev_key=True, now=SAMPLE_NOW)
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))


def test_quarantine_is_kept_out_of_the_marketing_warehouse(warehouse_path):
    con = duckdb.connect(str(warehouse_path), read_only=True)
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert not [n for n in names if n.startswith("quarantine")]
    assert quarantine_path(warehouse_path).exists()


def _same_build(path):
    from cmokit.warehouse.checks import check

    res = check(path, now=SAMPLE_NOW)
    return res[res.check == "quarantine_same_build"].failing_rows.tolist()


def test_warehouse_and_quarantine_carry_the_same_build_id(raw, tmp_path):
    r = _build(raw, tmp_path)
    q = duckdb.connect(str(r.quarantine_path), read_only=True)
    w = duckdb.connect(str(r.path), read_only=True)
    try:
        assert q.execute("SELECT build_id FROM meta_build").fetchall() == [(r.build_id,)]
        assert w.execute("SELECT build_id FROM meta_build").fetchall() == [(r.build_id,)]
    finally:
        q.close()
        w.close()
    assert _same_build(r.path) == [0]


def test_half_published_build_is_caught_by_warehouse_check(raw, tmp_path):
    # a build killed between the two renames leaves the new warehouse beside the old quarantine
    first = _build(raw, tmp_path)
    old_quarantine = tmp_path / "old.quarantine.duckdb"
    shutil.copy(first.quarantine_path, old_quarantine)
    second = _build(raw, tmp_path)
    shutil.copy(old_quarantine, second.quarantine_path)
    assert _same_build(second.path) == [1]
    assert _same_build(_build(raw, tmp_path).path) == [0]  # the next build repairs it


def test_refused_warehouse_rename_publishes_neither_file(raw, tmp_path, monkeypatch):
    build_module = importlib.import_module("cmokit.warehouse.build")  # the submodule; cmokit.warehouse.build is the function

    r = _build(raw, tmp_path)
    before = file_sha256(r.path), file_sha256(r.quarantine_path)
    real = build_module.os.replace

    def refuse_warehouse(src, dst):
        if str(dst) == str(r.path):  # e.g. Windows: a reader holds the warehouse open
            raise PermissionError(13, "file in use", str(dst))
        return real(src, dst)

    monkeypatch.setattr(build_module.os, "replace", refuse_warehouse)
    with pytest.raises(PermissionError):
        _build(raw, tmp_path)
    monkeypatch.undo()
    assert (file_sha256(r.path), file_sha256(r.quarantine_path)) == before
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))
    assert _same_build(r.path) == [0]


def test_refused_quarantine_rename_says_the_warehouse_was_published(raw, tmp_path, monkeypatch):
    build_module = importlib.import_module("cmokit.warehouse.build")  # the submodule; cmokit.warehouse.build is the function

    r = _build(raw, tmp_path)
    real = build_module.os.replace

    def refuse_quarantine(src, dst):
        if str(dst) == str(r.quarantine_path):
            raise PermissionError(13, "file in use", str(dst))
        return real(src, dst)

    monkeypatch.setattr(build_module.os, "replace", refuse_quarantine)
    with pytest.raises(BuildError, match="was published but its quarantine .* rerun the build"):
        _build(raw, tmp_path)
    monkeypatch.undo()
    assert not list(tmp_path.glob(".w.duckdb.tmp-*"))
    assert _same_build(r.path) == [1]


def test_exports_without_the_region_columns_still_build(raw, tmp_path):
    """Regions are optional in the contract, so the default layout's region columns may be absent
    (exports made before the sample had regions): the build loads every row with region NULL."""
    full = _build(raw, tmp_path, "full.duckdb")

    def drop(name):
        return lambda rows: [[v for c, v in zip(rows[0], r) if c != name] for r in rows]

    for pattern, column in (("crm_customers*.csv", "region"), ("shop_orders*.csv", "ship_region"),
                            ("ad_spend*.csv", "region")):
        for path in raw.glob(pattern):
            _rewrite(path, drop(column))
    r = _build(raw, tmp_path)
    s, f = r.summary(), full.summary()
    assert s.quarantined.sum() == 0 and s.loaded.tolist() == f.loaded.tolist()
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        for table in ("customers", "orders", "marketing_spend"):
            assert con.execute(f"SELECT count(region) FROM {table}").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] > 0
    finally:
        con.close()
    con = duckdb.connect(str(tmp_path / "full.duckdb"), read_only=True)
    try:  # the full export does carry them (so the test above is not vacuous)
        assert con.execute("SELECT count(region) FROM customers").fetchone()[0] > 0
    finally:
        con.close()


def test_a_missing_required_column_is_still_refused(raw, tmp_path):
    for path in raw.glob("shop_orders*.csv"):
        _rewrite(path, lambda rows: [[v for c, v in zip(rows[0], r) if c != "amount_eur"] for r in rows])
    with pytest.raises(BuildError, match="amount_eur.*required column missing"):
        _build(raw, tmp_path)
