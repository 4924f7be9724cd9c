"""sources.yml: validation errors name key and line; formats, parse rules and value maps; bad input."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import duckdb
import pytest

from cmokit.errors import ConfigError
from cmokit.warehouse.build import build, quarantine_path
from cmokit.warehouse.sources_config import load_config, parse_config, to_iso2

NOW = dt.datetime(2026, 1, 1)
KEY = b"own-data-test-key-0123456789abcdef"  # a test key: --dev-key is for the bundled sample only

TX = """version: 1
reporting_currency: EUR
sources:
  tx:
    path: "tx*.csv"
{extra}
tables:
  orders:
    source: tx
    columns:
      customer_id: customer
      ordered_at: date
      revenue: amount
  customers: {{derive: orders}}
"""


def _build(tmp_path, yml: str, files: dict, **kw):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for name, content in files.items():
        (raw / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "sources.yml").write_text(yml)
    kw.setdefault("max_quarantine_share", 1.0)  # these files are small and bad on purpose: no publish gate here
    return build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "sources.yml", **kw)


def _rows(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- validation names key and line
@pytest.mark.parametrize("text, expected", [
    (TX.format(extra="    delimter: ';'"), r"line 6: unknown key 'delimter' in source 'tx'; did you mean 'delimiter'\?"),
    (TX.format(extra="").replace("ordered_at: date", "orderd_at: date"),
     r"line 12: 'orderd_at' is not a column of contract table orders .*did you mean 'ordered_at'\?"),
    (TX.format(extra="").replace("  orders:", "  order:"), r"line 8: 'order' is not a contract table .*did you mean 'orders'\?"),
    (TX.format(extra="").replace("source: tx", "source: tz"), r"line 9: table 'orders' names source 'tz', which is not declared"),
    (TX.format(extra="").replace("      revenue: amount\n", ""), r"line 8: table orders does not map required column 'revenue'"),
    (TX.format(extra="    timezone: Europe/Londn"), r"line 6: time zone 'Europe/Londn' is unknown"),
    (TX.format(extra="").replace("  customers: {derive: orders}\n", ""), r"no 'customers' table.*derive: orders"),
    (TX.format(extra="    database: not-a-url\n    table: t").replace('    path: "tx*.csv"\n', ""),
     r"line 5: database 'not-a-url' is not a URL"),
    ("version: 1\nsources: [\n", r"line \d+: not valid YAML"),
    (TX.format(extra="").replace("revenue: amount", "revenue: {sql: \"amount; DROP TABLE orders\"}"),
     r"line 13: 'amount; DROP TABLE orders' must be one SQL expression"),
])
def test_config_errors_name_the_key_and_line(text, expected):
    with pytest.raises(ConfigError, match=expected):
        parse_config(text)


def test_a_missing_raw_column_is_named_with_its_line_and_a_suggestion(tmp_path):
    yml = TX.format(extra="").replace("revenue: amount", "revenue: amout")
    with pytest.raises(ConfigError, match=r"line 13: table orders column revenue names raw column 'amout'.*did you mean 'amount'\?"):
        _build(tmp_path, yml, {"tx.csv": "customer,date,amount\na,2025-01-01,5\n"})


def test_a_database_that_cannot_connect_is_a_clear_error(tmp_path):
    yml = TX.format(extra="    database: sqlite:///missing/shop.db\n    table: orders").replace('    path: "tx*.csv"\n', "")
    with pytest.raises(ConfigError, match=r"line 5 \(source 'tx', database\): cannot connect to sqlite:///missing/shop.db"):
        _build(tmp_path, yml, {})


# --------------------------------------------------------------------------- a transaction log
def test_a_transaction_log_builds_one_order_per_row_and_derives_customers(tmp_path):
    log = "customer,date,amount\na,2025-01-02,10.50\nb,2025-01-03,4\na,2025-02-01,1.25\na,2025-02-01,1.25\n"
    res = _build(tmp_path, TX.format(extra=""), {"tx.csv": log})
    assert res.tables["orders"] == 4 and res.tables["customers"] == 2  # equal rows stay two orders
    rows = _rows(res.path, "SELECT count(DISTINCT customer_id), sum(revenue), min(ordered_at) FROM orders")
    assert rows == [(2, pytest.approx(17.0), dt.datetime(2025, 1, 2))]
    cust = _rows(res.path, "SELECT first_seen_at, marketing_consent FROM customers ORDER BY first_seen_at")
    assert cust == [(dt.datetime(2025, 1, 2), False), (dt.datetime(2025, 1, 3), False)]  # consent unknown: not contactable
    assert res.lines == ["tx.csv: 4 lines read = 4 into orders + 0 quarantined (ok)"]


def test_a_redelivered_transaction_log_duplicates_nothing(tmp_path):
    log = "customer,date,amount\na,2025-01-02,10.50\nb,2025-01-03,4\n"
    res = _build(tmp_path, TX.format(extra=""), {"tx_2025-01-03.csv": log, "tx_2025-01-04.csv": log})
    assert res.tables["orders"] == 2
    q = _rows(quarantine_path(res.path), "SELECT check_name, count(*) FROM quarantine_orders GROUP BY 1")
    assert q == [("duplicate_delivery", 2)]


# --------------------------------------------------------------------------- formats and parse rules
def test_semicolons_decimal_commas_bom_crlf_and_currency_symbols(tmp_path):
    extra = "    delimiter: ';'\n    decimal: ','\n    types: {amount: 'DECIMAL(18,2)'}"
    body = "\ufeffcustomer;date;amount\r\na;2025-01-02;1.234,50 €\r\nb;2025-01-03;€ 4,00\r\n"
    res = _build(tmp_path, TX.format(extra=extra), {"tx.csv": body.encode("utf-8")})
    assert sorted(r[0] for r in _rows(res.path, "SELECT revenue FROM orders")) == [4, 1234.5]


def test_latin1_encoding_when_declared(tmp_path):
    extra = "    encoding: latin-1"
    body = "customer,date,amount\nJürgen,2025-01-02,3\n".encode("latin-1")
    res = _build(tmp_path, TX.format(extra=extra), {"tx.csv": body})
    assert res.tables["orders"] == 1


def test_the_declared_zone_applies_to_local_times_and_offsets_are_kept(tmp_path):
    extra = "    timezone: Europe/Berlin"
    log = "customer,date,amount\na,2025-07-01 12:00:00,1\nb,2025-07-01T12:00:00+00:00,1\nc,2025-01-15 00:30,1\n"
    res = _build(tmp_path, TX.format(extra=extra), {"tx.csv": log})
    got = sorted(r[0] for r in _rows(res.path, "SELECT ordered_at FROM orders"))
    assert got == [dt.datetime(2025, 1, 14, 23, 30), dt.datetime(2025, 7, 1, 10, 0), dt.datetime(2025, 7, 1, 12, 0)]


def test_a_declared_timestamp_format(tmp_path):
    yml = TX.format(extra="").replace("ordered_at: date", "ordered_at: {column: date, format: '%d.%m.%Y %H:%M'}")
    res = _build(tmp_path, yml, {"tx.csv": "customer,date,amount\na,31.12.2025 23:59,1\nb,1.2.2025 08:00,2\n"})
    assert sorted(r[0] for r in _rows(res.path, "SELECT ordered_at FROM orders")) == [
        dt.datetime(2025, 2, 1, 8, 0), dt.datetime(2025, 12, 31, 23, 59)]


def test_an_unparseable_timestamp_is_quarantined_with_its_original_value(tmp_path):
    res = _build(tmp_path, TX.format(extra=""), {"tx.csv": "customer,date,amount\na,2025-01-02,1\nb,31.12.2025,2\n"})
    q = _rows(quarantine_path(res.path), "SELECT line, check_name, column_name, raw_values FROM quarantine_orders")
    assert q[0][:3] == (3, "unparseable", "ordered_at") and "31.12.2025" in q[0][3]


def test_currency_per_row_converts_with_the_fx_table(tmp_path):
    yml = TX.format(extra="    currency: {column: cur}").replace(
        "reporting_currency: EUR", "reporting_currency: EUR\nfx:\n  rates: {USD: 0.5, GBP: 1.2}")
    log = "customer,date,amount,cur\na,2025-01-02,10,USD\nb,2025-01-03,10,gbp\nc,2025-01-03,10,EUR\nd,2025-01-03,10,XYZ\n"
    res = _build(tmp_path, yml, {"tx.csv": log})
    assert sorted(float(r[0]) for r in _rows(res.path, "SELECT revenue FROM orders")) == [5.0, 10.0, 12.0]
    q = _rows(quarantine_path(res.path), "SELECT column_name, raw_values FROM quarantine_orders")
    assert len(q) == 1 and q[0][0] == "revenue" and "no fx rate" in q[0][1]  # unknown currency: no made-up rate
    assert _rows(res.path, "SELECT currency FROM meta_build") == [("EUR",)]


def test_a_truncated_last_line_is_quarantined_and_reconciles(tmp_path):
    res = _build(tmp_path, TX.format(extra=""), {"tx.csv": "customer,date,amount\na,2025-01-02,1\nb,2025-01"})
    assert res.tables["orders"] == 1
    assert res.lines == ["tx.csv: 2 lines read = 1 into orders + 1 quarantined (ok)"]
    q = _rows(quarantine_path(res.path), "SELECT line, check_name FROM quarantine_orders")
    assert q == [(3, "malformed_line")]


def test_parquet_and_json_lines(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'a' AS customer, TIMESTAMP '2025-01-02 10:00' AS date, 5.5 AS amount) TO '{raw / 'tx.parquet'}'")
    (raw / "more.jsonl").write_text('{"customer": "b", "date": "2025-01-03", "amount": 2}\n')
    yml = (TX.format(extra="").replace('path: "tx*.csv"', 'path: "tx*.parquet"')
           .replace("sources:\n", 'sources:\n  js: {path: "more*.jsonl"}\n'))
    (tmp_path / "s.yml").write_text(yml)
    res = build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "s.yml")
    assert _rows(res.path, "SELECT sum(revenue) FROM orders") == [(pytest.approx(5.5),)]
    cfg = load_config(tmp_path / "s.yml")
    assert cfg.sources["js"].format == "jsonl"


def _shop_db(raw, kind):
    db = raw / f"shop.{kind}"
    if kind == "sqlite":
        c = sqlite3.connect(db)
        c.execute("CREATE TABLE sales (customer TEXT, date TEXT, amount REAL)")
        c.executemany("INSERT INTO sales VALUES (?, ?, ?)", [("a", "2025-01-02", 3.5), ("b", "2025-01-05", 1.0)])
        c.commit()
        c.close()
    else:
        c = duckdb.connect(str(db))
        c.execute("CREATE TABLE sales AS SELECT * FROM (VALUES ('a', '2025-01-02', 3.5), ('b', '2025-01-05', 1.0)) "
                  "t(customer, date, amount)")
        c.close()
    return db


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_a_database_table_or_query_through_ibis(tmp_path, kind):
    raw = tmp_path / "raw"
    raw.mkdir()
    _shop_db(raw, kind)
    yml = TX.format(extra=f"    database: {kind}:///shop.{kind}\n    query: SELECT * FROM sales WHERE amount > 2").replace(
        '    path: "tx*.csv"\n', "")
    (tmp_path / "s.yml").write_text(yml)
    res = build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "s.yml")
    assert res.tables["orders"] == 1 and res.lines == [f"{kind}:query: 1 lines read = 1 into orders + 0 quarantined (ok)"]


@pytest.mark.parametrize("url", [
    "sqlite+pysqlite:///shop.sqlite",       # SQLAlchemy: dialect+driver, three slashes = relative to RAW
    "sqlite:////{raw}/shop.sqlite",         # four slashes = absolute
    "duckdb:///shop.duckdb",
    "duckdb:////{raw}/shop.duckdb",
])
def test_sqlalchemy_urls_of_file_databases(tmp_path, url):
    raw = tmp_path / "raw"
    raw.mkdir()
    kind = "sqlite" if url.startswith("sqlite") else "duckdb"
    _shop_db(raw, kind)
    url = url.format(raw=str(raw).lstrip("/"))
    yml = TX.format(extra=f"    database: {url}\n    table: sales").replace('    path: "tx*.csv"\n', "")
    (tmp_path / "s.yml").write_text(yml)
    res = build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "s.yml")
    assert _rows(res.path, "SELECT count(*), sum(revenue) FROM orders") == [(2, pytest.approx(4.5))]
    assert res.lines == [f"{kind}:sales: 2 lines read = 2 into orders + 0 quarantined (ok)"]


@pytest.mark.parametrize("url, expected", [
    ("postgresql+psycopg2://ana:s3cr%40t@127.0.0.1:1/shop", r"line 5 \(source 'tx', database\): cannot connect to "
     r"postgresql\+psycopg2://ana:\*\*\*@127.0.0.1:1/shop: "),
    ("mysql+pymysql://ana:s3cr%40t@127.0.0.1:1/shop", r"line 5 \(source 'tx', database\): cannot connect to "
     r"mysql\+pymysql://ana:\*\*\*@127.0.0.1:1/shop: "),
    ("sqlite:////nowhere/s3cr@t.db", r"line 5 .*no such database file /nowhere/s3cr@t.db"),  # no password: shown
    ("nosuchdb://ana:s3cr%40t@host/shop", r"line 5: database URL nosuchdb://ana:\*\*\*@host/shop: no Ibis backend "
     r"for dialect 'nosuchdb'"),
])
def test_a_server_that_cannot_connect_names_the_line_and_never_shows_the_password(tmp_path, capsys, caplog, url,
                                                                                   expected):
    """Port 1 on this machine: nothing listens; without the backend's driver installed, the error says which."""
    import logging

    from cmokit.cli import main

    caplog.set_level(logging.DEBUG)
    yml = TX.format(extra=f"    database: {url}\n    table: sales").replace('    path: "tx*.csv"\n', "")
    with pytest.raises(ConfigError, match=expected) as err:
        _build(tmp_path, yml, {})
    raw = tmp_path / "raw"
    code = main(["warehouse", "build", str(raw), "--sources", str(tmp_path / "sources.yml"), "--out",
                 str(tmp_path / "cli.duckdb"), "--key-file", str(_key_file(tmp_path))])
    out = capsys.readouterr()
    assert code == 2 and "line 5" in out.err
    if "%40" in url:
        for text in (str(err.value), out.out, out.err, caplog.text):
            assert "s3cr" not in text


def _key_file(tmp_path):
    p = tmp_path / "key"
    p.write_bytes(KEY)
    return p


# --------------------------------------------------------------------------- value maps
def test_countries_by_name_alias_and_code_and_unknown_values_warn_not_quarantine(tmp_path):
    yml = (TX.format(extra="").replace("  customers: {derive: orders}\n",
                                       "  customers:\n    derive: orders\n    columns:\n      country: {column: land, values: {EIRE: IE}}\n"))
    log = ("customer,date,amount,land\na,2025-01-02,1,United Kingdom\nb,2025-01-02,1,EIRE\nc,2025-01-02,1,DEU\n"
           "d,2025-01-02,1,USA\ne,2025-01-02,1,Atlantis\nf,2025-01-02,1,fr\n")
    res = _build(tmp_path, yml, {"tx.csv": log})
    got = sorted((r[0] or "--") for r in _rows(res.path, "SELECT country FROM customers"))
    assert got == ["--", "DE", "FR", "GB", "IE", "US"]
    assert res.tables["orders"] == 6  # Atlantis costs nobody their orders
    warnings = " ".join(res.summary().warnings)
    assert "'Atlantis' (1 orders)" in warnings


def test_to_iso2_uses_the_maintained_table():
    got = to_iso2(["RSA", "Korea", "United Arab Emirates", "Channel Islands", "Unspecified"])
    assert got == {"RSA": "ZA", "Korea": "KR", "United Arab Emirates": "AE", "Channel Islands": None, "Unspecified": None}


def test_consent_words_and_a_crm_export_with_personal_columns(tmp_path):
    yml = """version: 1
sources:
  crm: {path: "crm*.csv", personal: [email]}
  tx: {path: "tx*.csv"}
tables:
  customers:
    source: crm
    columns: {customer_id: id, first_seen_at: since, marketing_consent: optin, country: country}
  orders:
    source: tx
    columns: {customer_id: customer, ordered_at: date, revenue: amount}
"""
    crm = ("id,since,optin,country,email\n1,2025-01-01,Y,DE,a@x\n2,2025-01-01,opt-in,DE,b@x\n3,2025-01-01,no,,c@x\n"
           "4,2025-01-01,1,DE,d@x\n5,2025-01-01,maybe,DE,e@x\n")
    res = _build(tmp_path, yml, {"crm.csv": crm, "tx.csv": "customer,date,amount\n1,2025-02-01,3\n,2025-02-01,4\n"})
    assert sorted(_rows(res.path, "SELECT marketing_consent FROM customers")) == [(False,), (True,), (True,), (True,)]
    q = _rows(quarantine_path(res.path), "SELECT check_name, column_name, raw_values FROM quarantine_customers")
    assert q[0][:2] == ("unparseable", "marketing_consent") and '"email":"e@x"' in q[0][2]  # IT side keeps it
    cols = [r[0] for r in _rows(res.path, "SELECT column_name FROM information_schema.columns")]
    assert "email" not in cols
    # the guest order (no customer) loads and counts in revenue
    assert _rows(res.path, "SELECT count(*), count(customer_id), sum(revenue) FROM orders") == [(2, 1, pytest.approx(7.0))]


def test_the_bundled_sample_mapping_as_a_sources_file_builds_the_same_warehouse(tmp_path, sample_dir):
    sample_yml = Path(__file__).parents[2] / "src" / "cmokit" / "warehouse" / "sample_sources.yml"
    a = build(sample_dir, tmp_path / "a.duckdb", key=KEY, now=NOW)
    b = build(sample_dir, tmp_path / "b.duckdb", key=KEY, now=NOW, sources=sample_yml)
    assert a.tables == b.tables
    assert a.tables["refunds"] > 1000
    for t in ("customers", "orders", "refunds", "campaigns", "marketing_spend", "touchpoints"):
        sql = f"SELECT * FROM {t} ORDER BY ALL"
        assert _rows(a.path, sql) == _rows(b.path, sql), t


def test_cli_init_then_build_prints_the_line_reconciliation(tmp_path, capsys):
    from cmokit.cli import main

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sales.csv").write_text("customer,date,amount\na,2025-01-02,3.5\nb,2025-01-03,4\n")
    yml = tmp_path / "sources.yml"
    assert main(["warehouse", "init", str(raw), "--out", str(yml)]) == 0
    assert "customers derived from orders" in capsys.readouterr().out
    assert main(["warehouse", "build", str(raw), "--sources", str(yml), "--out", str(tmp_path / "wh.duckdb"),
                 "--dev-key", "--force", "--now", "2026-01-01T00:00:00"]) == 0
    assert "lines: sales.csv: 2 lines read = 2 into orders + 0 quarantined (ok)" in capsys.readouterr().out
    yml.write_text(yml.read_text().replace("    source:", "    sorce:", 1))
    assert main(["warehouse", "build", str(raw), "--sources", str(yml), "--out", str(tmp_path / "wh.duckdb"),
                 "--dev-key", "--force"]) == 2
    assert "unknown key 'sorce'" in capsys.readouterr().err


def test_overlapping_where_filters_refuse_to_publish(tmp_path):
    from cmokit.errors import BuildError

    yml = TX.format(extra="").replace("    source: tx\n", "    source: tx\n    where: amount::DOUBLE >= 0\n", 1) + (
        "  refunds:\n    source: tx\n    where: amount::DOUBLE <= 5\n"
        "    columns: {customer_id: customer, refunded_at: date, amount: amount}\n")
    with pytest.raises(BuildError, match=r"tx.csv: lines do not reconcile .*overlap"):
        _build(tmp_path, yml, {"tx.csv": "customer,date,amount\na,2025-01-02,3\nb,2025-01-02,30\n"})
    assert not (tmp_path / "wh.duckdb").exists()


def test_a_wide_file_feeding_two_tables_reconciles_per_table(tmp_path):
    yml = """version: 1
sources:
  wide: {path: "wide*.csv", personal: [email]}
tables:
  customers:
    source: wide
    group_by: cid
    columns: {customer_id: cid, first_seen_at: {sql: "min(ts)"}, marketing_consent: {sql: "bool_or(optin = 'Y')"}}
  orders:
    source: wide
    columns: {order_id: oid, customer_id: cid, ordered_at: ts, revenue: amount}
"""
    wide = "cid,oid,ts,amount,optin,email\n1,o1,2025-01-02,3,Y,a@x\n1,o2,2025-01-05,4,Y,a@x\n2,o3,2025-01-03,5,N,b@x\n"
    res = _build(tmp_path, yml, {"wide.csv": wide})
    assert res.tables["customers"] == 2 and res.tables["orders"] == 3
    assert res.lines == ["wide.csv: 3 lines read, each used by every table (3 into customers, 3 into orders) "
                         "+ 0 quarantined (ok)"]
    assert sorted(_rows(res.path, "SELECT marketing_consent FROM customers")) == [(False,), (True,)]


def test_a_source_in_another_currency_converts_with_an_fx_file(tmp_path):
    (tmp_path / "fx.csv").write_text("currency,rate\nUSD,0.9\n")
    yml = TX.format(extra="    currency: USD").replace("reporting_currency: EUR", "reporting_currency: EUR\nfx: {path: fx.csv}")
    res = _build(tmp_path, yml, {"tx.csv": "customer,date,amount\na,2025-01-02,$10.00\n"})
    assert _rows(res.path, "SELECT revenue FROM orders") == [(pytest.approx(9.0),)]
    missing = TX.format(extra="    currency: CHF").replace("reporting_currency: EUR", "reporting_currency: EUR\nfx: {path: fx.csv}")
    with pytest.raises(ConfigError, match=r"orders.revenue is in CHF but fx has no rate from CHF to the reporting currency EUR"):
        _build(tmp_path, missing, {"tx.csv": "customer,date,amount\na,2025-01-02,10\n"})


EXCEL = """version: 1
sources:
  shop:
    path: "orders*.xlsx"
    sheet: Orders
    skip: 2
    personal: [email]
tables:
  orders:
    source: shop
    columns:
      order_id: Order
      customer_id: Customer
      ordered_at: {column: Date, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
      revenue: Amount
  customers: {derive: orders}
"""


def _workbook(path):
    """Two sheets; the data sheet has a title and a blank row above its header, date cells and dates typed as
    text in one column, money as number cells (a float sum, a currency format) and as text, and a blank row."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Exported from the shop back office; the orders are on the next sheet"])
    ws = wb.create_sheet("Orders")
    ws.append(["Shop orders, January-February 2025"])
    ws.append([])
    ws.append(["Order", "Customer", "Date", "Amount", "email"])
    ws.append(["o1", "a", dt.datetime(2025, 1, 2, 10, 30), 12.5, "a@example.com"])      # row 4: a date cell
    ws.append(["o2", "b", "03.01.2025 08:00", "19.99", "b@example.com"])                # row 5: text date, text money
    ws.append([None, None, None, None, None])                                           # row 6: blank
    ws.append(["o3", "a", dt.datetime(2025, 2, 1, 0, 0), 0.1 + 0.2, None])             # row 7: a float sum
    ws.append(["o4", "c", "1st of Feb", 1234, None])                                    # row 8: not a date
    ws["D4"].number_format = "#,##0.00 [$€-1]"
    wb.save(path)


def test_an_excel_sheet_builds_a_warehouse(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _workbook(raw / "orders.xlsx")
    (tmp_path / "s.yml").write_text(EXCEL)
    res = build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "s.yml", max_quarantine_share=1.0)
    rows = _rows(res.path, "SELECT ordered_at, CAST(revenue AS DOUBLE) FROM orders ORDER BY ordered_at")
    assert rows == [(dt.datetime(2025, 1, 2, 9, 30), pytest.approx(12.5)),   # Berlin 10:30 -> 09:30 UTC
                    (dt.datetime(2025, 1, 3, 7, 0), pytest.approx(19.99)),
                    (dt.datetime(2025, 1, 31, 23, 0), pytest.approx(0.3))]
    assert res.tables["customers"] == 2
    assert res.lines == ["orders.xlsx: 4 lines read = 4 into orders + 0 quarantined (ok)"]  # the blank row is no line
    bad = _rows(quarantine_path(res.path), "SELECT line, column_name, raw_values FROM quarantine_orders "
                                           "WHERE outcome = 'quarantined'")
    assert [(line, col) for line, col, _ in bad] == [(8, "ordered_at")]  # the Excel row number, as IT sees it
    assert "1st of Feb" in bad[0][2]


def test_a_missing_sheet_names_the_sheets_there_are(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _workbook(raw / "orders.xlsx")
    (tmp_path / "s.yml").write_text(EXCEL.replace("sheet: Orders", "sheet: Order"))
    with pytest.raises(ConfigError, match=r"orders.xlsx: has no sheet 'Order' \(it has: Notes, Orders\); fix sheet: "
                                          r"in s.yml line 5 \(source 'shop'\)"):
        build(raw, tmp_path / "wh.duckdb", key=KEY, now=NOW, sources=tmp_path / "s.yml")


def test_a_file_that_is_no_workbook_is_a_clear_error(tmp_path):
    yml = TX.format(extra="").replace('path: "tx*.csv"', 'path: "tx*.xlsx"')
    with pytest.raises(ConfigError, match=r"tx.xlsx: is not a readable Excel workbook .* for source 'tx'"):
        _build(tmp_path, yml, {"tx.xlsx": b"PK\x03\x04 not really a workbook"})


def test_excel_without_its_reader_is_a_clear_error(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openpyxl" else real(name, *a))
    yml = TX.format(extra="").replace('path: "tx*.csv"', 'path: "tx*.xlsx"')
    with pytest.raises(ConfigError, match=r"tx.xlsx: reading Excel needs openpyxl"):
        _build(tmp_path, yml, {"tx.xlsx": b"PK\x03\x04 not really a workbook"})
