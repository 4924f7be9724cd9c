"""Real data end to end: the Online Retail II subset (tests/fixtures/online_retail, CC BY 4.0, UCI / Daqing Chen).

The build reconciles exactly (invoice lines = lines into orders + lines into refunds + quarantined),
credit notes become refunds, guest invoices load as orders without a customer, customers are derived;
RFM, the purchase summary (CLV) and retention cohorts agree with an independent pandas computation
over the raw lines.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pytest

import cmokit
from cmokit.warehouse.build import build
from cmokit.warehouse.init import draft

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "online_retail"
SOURCES = ROOT / "examples" / "online_retail" / "sources.yml"
NOW = dt.datetime(2026, 1, 1)
AS_OF = "2010-12-09"


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    return pd.read_parquet(FIXTURE / "online_retail_II_subset.parquet")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("retail") / "wh.duckdb"
    return build(FIXTURE, out, dev_key=True, now=NOW, sources=SOURCES)


@pytest.fixture(scope="module")
def truth(lines) -> dict:
    """Orders, refunds and customers computed with pandas from the raw lines, independently of the build."""
    d = lines.copy()
    d["value"] = d.Quantity * d.Price.map(lambda p: round(p, 3))
    london = ZoneInfo("Europe/London")
    d["at"] = pd.to_datetime(d.InvoiceDate).map(lambda t: t.replace(tzinfo=london).astimezone(dt.timezone.utc)
                                                .replace(tzinfo=None))
    credit = d.Invoice.str.startswith("C")
    per = d.groupby("Invoice").agg(total=("value", "sum"), at=("at", "min"), customer=("Customer ID", "first"))
    orders = per[~per.index.str.startswith("C")]
    refunds = per[per.index.str.startswith("C")]
    return {"lines": len(d), "credit_lines": int(credit.sum()), "orders": orders, "refunds": refunds,
            "customers": d["Customer ID"].dropna().nunique()}


def test_lines_reconcile_exactly_into_orders_refunds_and_quarantine(built, truth):
    assert built.lines == [f"online_retail_II_subset.parquet: {truth['lines']:,} lines read = "
                           f"{truth['lines'] - truth['credit_lines']:,} into orders + {truth['credit_lines']:,} into refunds "
                           "+ 0 quarantined (ok)"]
    s = built.summary().set_index("table")
    assert (s.read == s.loaded + s.quarantined).all()
    # the three 'A' bad-debt adjustments are negative orders: quarantined with their reason, not dropped
    ok = truth["orders"][truth["orders"].total >= 0]
    assert s.loc["orders", "read"] == len(truth["orders"]) and s.loc["orders", "loaded"] == len(ok)
    assert built.tables["customers"] == truth["customers"]


def test_credit_notes_are_refunds_and_guest_invoices_are_orders(built, truth):
    con = duckdb.connect(str(built.path), read_only=True)
    n_orders, n_guest, revenue = con.execute("SELECT count(*), count(*) - count(customer_id), sum(revenue) FROM orders").fetchone()
    n_ref, refunded = con.execute("SELECT count(*), sum(amount) FROM refunds WHERE amount >= 0").fetchone()
    con.close()
    ok = truth["orders"][truth["orders"].total >= 0]
    assert n_orders == len(ok) and n_guest == int(ok.customer.isna().sum()) and n_guest > 0
    assert float(revenue) == pytest.approx(round(ok.total.sum(), 2), abs=0.01 * len(ok))
    ref = truth["refunds"][truth["refunds"].total <= 0]
    assert n_ref == len(ref) and float(refunded) == pytest.approx(-ref.total.sum(), abs=0.01 * len(ref))


def _customer_orders(wh):
    """Orders of identified customers (guests are not customers), with the pandas truth's source ids."""
    o = wh.execute(wh.orders)
    return o[o.customer_id.notna()]


def test_rfm_agrees_with_pandas(built, truth):
    wh = cmokit.connect(built.path)
    got = cmokit.segments.rfm(wh, as_of=AS_OF)
    got = got[got.customer_id.notna()].set_index("customer_id")
    o = _customer_orders(wh)
    day_end = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    o = o[o.ordered_at < day_end]
    exp = o.groupby("customer_id").agg(frequency=("order_id", "count"), monetary=("revenue", lambda r: float(r.astype(float).sum())),
                                       last=("ordered_at", "max"))
    exp["recency_days"] = (pd.Timestamp(AS_OF) - exp["last"].dt.normalize()).dt.days
    exp = exp.loc[got.index]
    assert len(got) == len(exp) == o.customer_id.nunique()
    assert (got.frequency.to_numpy() == exp.frequency.to_numpy()).all()
    assert np.allclose(got.monetary.astype(float), exp.monetary, atol=0.005)
    assert (got.recency_days.to_numpy() == exp.recency_days.to_numpy()).all()
    # and the warehouse's totals agree with the raw lines: per-customer revenue from pandas over the lines
    raw = truth["orders"]
    raw = raw[(raw.total >= 0) & raw.customer.notna() & (raw["at"] < day_end)]
    assert sorted(np.round(raw.groupby("customer").total.sum().to_numpy(), 2)) == pytest.approx(
        sorted(exp.monetary.to_numpy()), abs=0.01 * 20)


def test_purchase_summary_agrees_with_pandas(built):
    wh = cmokit.connect(built.path)
    got = cmokit.clv.purchase_summary(wh, as_of=AS_OF, time_unit="days")
    got = got[got.customer_id.notna()].set_index("customer_id").sort_index()
    o = _customer_orders(wh)
    o = o[o.ordered_at < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)].assign(day=lambda f: f.ordered_at.dt.normalize())
    per_day = o.groupby(["customer_id", "day"]).revenue.sum().astype(float).reset_index()
    g = per_day.groupby("customer_id")
    exp = pd.DataFrame({"frequency": g.size() - 1,
                        "recency": (g.day.max() - g.day.min()).dt.days,
                        "T": (pd.Timestamp(AS_OF) - g.day.min()).dt.days})
    assert list(got.index) == list(exp.index)
    for col in ("frequency", "recency", "T"):
        assert np.allclose(got[col].astype(float), exp[col].astype(float)), col


def test_retention_cohorts_agree_with_pandas(built):
    wh = cmokit.connect(built.path)
    o = _customer_orders(wh)  # cohorts are of customers: the identified customers' orders
    got = cmokit.retention.cohorts(o, as_of=AS_OF)
    o = o[o.ordered_at < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    month = o.ordered_at.dt.year * 12 + o.ordered_at.dt.month
    first = month.groupby(o.customer_id).transform("min")
    active = pd.DataFrame({"c": o.customer_id, "cohort": first, "k": month - first}).drop_duplicates()
    exp = active.groupby(["cohort", "k"]).c.nunique()
    sizes = active[active.k == 0].groupby("cohort").c.nunique()
    cohort = pd.to_datetime(got.cohort_month)
    got = got.assign(cohort=cohort.dt.year * 12 + cohort.dt.month)
    seen = got[got.active_customers > 0]
    assert dict(zip(zip(seen.cohort, seen.months_since_first), seen.active_customers)) == exp.to_dict()
    assert dict(zip(got.cohort, got.cohort_size)) == sizes.to_dict()


def test_init_drafts_the_mapping_the_issue_asks_for(tmp_path):
    d = draft(FIXTURE, tmp_path / "sources.yml")
    text = "\n".join(d.proposals)
    for want in ("Invoice -> orders.order_id (lines aggregated)", "Customer ID -> orders.customer_id",
                 "InvoiceDate -> orders.ordered_at", "sum(Quantity * Price) -> orders.revenue",
                 "Invoice -> refunds.refund_id", "Country -> customers.country"):
        assert want in text, text
    assert set(d.missing) >= {"campaigns", "marketing_spend", "touchpoints"}
    # the draft builds as it is (the zone and currency are left for the user to confirm)
    res = build(FIXTURE, tmp_path / "wh.duckdb", dev_key=True, now=NOW, sources=d.path)
    assert res.tables["refunds"] > 0 and res.lines[0].endswith("+ 0 quarantined (ok)")


def test_init_on_a_plain_transaction_log_drafts_a_file_that_builds_as_is(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = np.random.default_rng(3)
    n = 400
    log = pd.DataFrame({"customer_id": rng.integers(1, 60, n),
                        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
                        "quantity": rng.integers(1, 5, n), "amount": np.round(rng.gamma(2, 20, n), 2)})
    log.to_csv(raw / "transactions.csv", index=False)
    d = draft(raw, tmp_path / "sources.yml")
    res = build(raw, tmp_path / "wh.duckdb", dev_key=True, now=NOW, sources=d.path)
    assert res.tables["orders"] == n and res.tables["customers"] == log.customer_id.nunique()
    wh = cmokit.connect(res.path)
    got = cmokit.segments.rfm(wh, as_of="2025-12-31").set_index("customer_id")
    assert sorted(got.monetary.round(2)) == pytest.approx(sorted(log.groupby("customer_id").amount.sum().round(2)))


def test_a_cdnow_shaped_log_with_integer_dates_drafts_and_builds(tmp_path):
    """CDNOW: customer id, date as YYYYMMDD, number of CDs, dollar amount; whitespace-free CSV here."""
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [("00001", 19970101, 1, 11.77), ("00002", 19970112, 1, 12.00), ("00002", 19970112, 5, 77.00),
            ("00003", 19970102, 2, 20.76), ("00003", 19970330, 2, 20.76), ("00003", 19970402, 2, 19.54)]
    pd.DataFrame(rows, columns=["customer_id", "date", "cds", "amount"]).to_csv(raw / "cdnow.csv", index=False)
    d = draft(raw, tmp_path / "sources.yml")
    assert 'format: "%Y%m%d"' in d.text
    res = build(raw, tmp_path / "wh.duckdb", dev_key=True, now=NOW, sources=d.path)
    assert res.tables["orders"] == 6 and res.tables["customers"] == 3
    wh = cmokit.connect(res.path)
    got = cmokit.clv.purchase_summary(wh, as_of="1997-06-30", time_unit="days").set_index("customer_id")
    # customer 00003: orders on Jan 2, Mar 30, Apr 2 -> 2 repeats, recency 90 days, age 179 days (00002: 169)
    assert sorted(got.frequency) == [0, 0, 2] and sorted(got["T"]) == [169, 179, 180]
    assert sorted(got.recency) == [0, 0, 90]


def test_a_redelivered_export_duplicates_nothing_and_still_reconciles(tmp_path, built):
    import shutil

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FIXTURE / "online_retail_II_subset.parquet", raw / "online_retail_II_2010-12-09.parquet")
    shutil.copy(FIXTURE / "online_retail_II_subset.parquet", raw / "online_retail_II_2010-12-10.parquet")
    res = build(raw, tmp_path / "wh.duckdb", dev_key=True, now=NOW, sources=SOURCES)
    assert res.tables == built.tables
    s = res.summary().groupby("table")[["read", "loaded", "quarantined"]].sum()
    assert s.loc["orders", "read"] == 2 * built.summary().set_index("table").loc["orders", "read"]
    assert all(line.endswith("+ 0 quarantined (ok)") for line in res.lines) and len(res.lines) == 2
    q = duckdb.connect(str(res.quarantine_path), read_only=True)
    checks = dict(q.execute("SELECT check_name, count(*) FROM quarantine_orders GROUP BY 1").fetchall())
    q.close()
    assert checks["duplicate_delivery"] == built.tables["orders"]


def test_init_on_the_bundled_sample_drafts_orders_refunds_and_the_crm_and_builds(tmp_path, sample_dir):
    d = draft(sample_dir, tmp_path / "sources.yml")
    assert d.mapped == {"orders": "shop_orders", "refunds": "refunds", "customers": "crm_customers"}
    assert ("crm_customers", "email") not in d.unmapped and "personal: [email, full_name, phone]" in d.text
    res = build(sample_dir, tmp_path / "wh.duckdb", dev_key=True, now=NOW, sources=d.path)
    full = build(sample_dir, tmp_path / "full.duckdb", dev_key=True, now=NOW)
    for t in ("customers", "orders", "refunds"):
        assert res.tables[t] == full.tables[t], t
