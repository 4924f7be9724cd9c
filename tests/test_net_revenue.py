"""Net revenue and guest orders (issue 13 item 3): every routine against an independent pandas computation.

The pandas reference here is written from the rules in DECISIONS.md ("Refunds and guest orders"),
not from the library's Ibis code: per order, net = max(gross − refunds linked to it and booked by
``as_of``, 0); an order refunded in full still counts as an order (value 0) except as a CLV purchase
occasion; refunds with only a customer id reduce the customer's total; guest orders (no customer id)
never reach a customer table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cmokit.errors import ConfigError

AS_OF = pd.Timestamp("2024-03-31")


def small():
    """Orders with guests, partial / full / unlinked / late refunds."""
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"],
        "customer_id": ["a", "a", "a", None, "b", "b", "c", None, "c"],
        "ordered_at": pd.to_datetime(["2024-01-02 10:00", "2024-02-05 09:00", "2024-03-10 12:00",
                                      "2024-01-15 08:00", "2024-01-20 18:00", "2024-03-02 11:00",
                                      "2024-02-14 16:00", "2024-03-20 13:00", "2024-03-30 09:00"]),
        "revenue": [10.0, 20.0, 30.0, 99.0, 40.0, 15.0, 25.0, 60.0, 35.0],
        "campaign_id": [None] * 9,
    })
    refunds = pd.DataFrame({
        "refund_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "order_id": ["o2", None, "o6", "o4", "o9", None],
        "customer_id": ["a", "a", "b", None, "c", "c"],
        "refunded_at": pd.to_datetime(["2024-02-07 00:00", "2024-03-15 00:00", "2024-03-05 00:00", "2024-01-16 00:00",
                                       "2024-04-10 00:00", "2024-03-31 23:00"]),
        "amount": [5.0, 12.0, 15.0, 9.0, 35.0, 100.0],
    })
    return orders, refunds


def reference_orders(orders, refunds, as_of=AS_OF, *, drop_cancelled=False):
    """Identified orders up to ``as_of`` with net revenue (pandas); ``drop_cancelled``: without the
    orders refunded in full (the CLV purchase occasions)."""
    end = as_of + pd.Timedelta(days=1)
    o = orders[(orders["ordered_at"] < end) & orders["customer_id"].notna()].copy()
    r = refunds[(refunds["refunded_at"] < end) & refunds["order_id"].notna()]
    linked = r.groupby("order_id")["amount"].sum()
    refunded = o["order_id"].map(linked).fillna(0.0)
    o["net"] = (o["revenue"] - refunded).clip(lower=0.0)
    return o[~((o["revenue"] > 0) & (o["net"] <= 0))] if drop_cancelled else o


def unlinked(refunds, as_of=AS_OF, since=None):
    end = as_of + pd.Timedelta(days=1)
    r = refunds[(refunds["refunded_at"] < end) & refunds["order_id"].isna() & refunds["customer_id"].notna()]
    if since is not None:
        r = r[r["refunded_at"] >= since]
    return r.groupby("customer_id")["amount"].sum()


def test_reference_by_hand():
    """The pandas reference itself, on numbers worked out by hand."""
    orders, refunds = small()
    o = reference_orders(orders, refunds)
    # a: 10, 20-5, 30; b: o6 refunded in full -> 0; c: o9's refund is booked after AS_OF
    assert o.set_index("order_id")["net"].to_dict() == {"o1": 10.0, "o2": 15.0, "o3": 30.0, "o5": 40.0,
                                                        "o6": 0.0, "o7": 25.0, "o9": 35.0}
    assert "o6" not in reference_orders(orders, refunds, drop_cancelled=True)["order_id"].tolist()
    assert unlinked(refunds).to_dict() == {"a": 12.0, "c": 100.0}


def test_rfm_net_and_gross_against_pandas():
    from cmokit.segments import rfm

    orders, refunds = small()
    got = rfm({"orders": orders, "refunds": refunds}, as_of="2024-03-31").set_index("customer_id")
    o = reference_orders(orders, refunds)
    want = o.groupby("customer_id")["net"].sum().sub(unlinked(refunds), fill_value=0).clip(lower=0)
    want = want[want.index.isin(o["customer_id"])]
    assert got.index.tolist() == sorted(want.index)  # no guest row, no None
    np.testing.assert_allclose(got["monetary"], want.sort_index())
    assert got["frequency"].to_dict() == o.groupby("customer_id").size().to_dict()

    gross = rfm({"orders": orders, "refunds": refunds}, as_of="2024-03-31", revenue="gross").set_index("customer_id")
    known = orders[orders["customer_id"].notna()]
    np.testing.assert_allclose(gross["monetary"], known.groupby("customer_id")["revenue"].sum().sort_index())
    # no refunds table (a frame of orders alone, an older warehouse) = gross, no error
    pd.testing.assert_frame_equal(rfm(orders, as_of="2024-03-31").set_index("customer_id"), gross)


def test_features_net_windows_against_pandas():
    from cmokit import features

    orders, refunds = small()
    got = features.customer_features({"orders": orders, "refunds": refunds}, "2024-03-31",
                                     windows=(30,)).set_index("customer_id")
    o = reference_orders(orders, refunds)
    since = AS_OF - pd.Timedelta(days=29)
    recent = o[o["ordered_at"] >= since].groupby("customer_id")["net"].sum()
    want30 = recent.reindex(got.index, fill_value=0.0).sub(unlinked(refunds, since=since), fill_value=0)
    np.testing.assert_allclose(got["revenue_30d"], want30.reindex(got.index).clip(lower=0))
    assert None not in got.index and got.index.notna().all()


def test_purchase_summary_net_against_pandas():
    from cmokit.clv import purchase_summary

    orders, refunds = small()
    got = purchase_summary({"orders": orders, "refunds": refunds}, "2024-03-31", time_unit="days").set_index(
        "customer_id")
    o = reference_orders(orders, refunds, drop_cancelled=True)
    o["day"] = o["ordered_at"].dt.normalize()
    days = o.groupby(["customer_id", "day"])["net"].sum().reset_index().sort_values(["customer_id", "day"])
    total = days.groupby("customer_id")["net"].sum()
    repeat = total - days.groupby("customer_id")["net"].first()
    n = days.groupby("customer_id").size() - 1
    keep = (1 - unlinked(refunds).reindex(total.index, fill_value=0) / total).clip(lower=0)
    want = (repeat * keep / n).where(n > 0, 0.0)
    assert got.index.tolist() == sorted(total.index)
    assert got["frequency"].to_dict() == n.to_dict()
    np.testing.assert_allclose(got["monetary_value"], want.sort_index())


def test_cohorts_net_against_pandas():
    from cmokit.retention import cohorts

    orders, refunds = small()
    got = cohorts({"orders": orders, "refunds": refunds}, as_of="2024-03-31")
    o = reference_orders(orders, refunds)
    o["month"] = o["ordered_at"].dt.to_period("M")
    r = refunds[(refunds["refunded_at"] < AS_OF + pd.Timedelta(days=1)) & refunds["order_id"].isna()
                & refunds["customer_id"].notna()].copy()
    r["month"], r["net"] = r["refunded_at"].dt.to_period("M"), -r["amount"]
    first = o.groupby("customer_id")["month"].min()
    money = pd.concat([o[["customer_id", "month", "net"]], r[["customer_id", "month", "net"]]])
    money = money[money["customer_id"].isin(first.index)]
    money["k"] = [(m - first[c]).n for c, m in zip(money["customer_id"], money["month"])]
    money["cohort"] = money["customer_id"].map(first)
    want = money.groupby(["cohort", "k"])["net"].sum()
    active = o.assign(k=[(m - first[c]).n for c, m in zip(o["customer_id"], o["month"])],
                      cohort=o["customer_id"].map(first)).groupby(["cohort", "k"])["customer_id"].nunique()
    got_idx = got.assign(cohort=pd.to_datetime(got["cohort_month"]).dt.to_period("M")).set_index(
        ["cohort", "months_since_first"])
    np.testing.assert_allclose(got_idx["revenue"], want.reindex(got_idx.index, fill_value=0.0))
    np.testing.assert_array_equal(got_idx["active_customers"], active.reindex(got_idx.index, fill_value=0))
    # guests are not a cohort member: sizes count identified customers only
    assert int(got_idx.xs(0, level=1)["cohort_size"].sum()) == first.size


def test_guest_orders_never_reach_customer_routines():
    from cmokit import features
    from cmokit.clv import purchase_summary
    from cmokit.retention import churn_labels, cohorts, lifetimes
    from cmokit.segments import rfm

    orders, _ = small()
    known = orders[orders["customer_id"].notna()].reset_index(drop=True)
    for routine in (rfm, purchase_summary, features.customer_features, churn_labels, lifetimes, cohorts):
        with_guests = routine(orders, "2024-03-20")
        without = routine(known, "2024-03-20")
        pd.testing.assert_frame_equal(with_guests, without, check_dtype=False, obj=routine.__name__)
        if "customer_id" in with_guests.columns:
            assert with_guests["customer_id"].notna().all()


def test_guest_share_against_pandas():
    from cmokit.features import guest_share

    orders, _ = small()
    share = guest_share(orders, "2024-03-20")
    upto = orders[orders["ordered_at"] < pd.Timestamp("2024-03-21")]
    guest = upto[upto["customer_id"].isna()]
    assert (share.orders, share.guest_orders) == (len(upto), len(guest))
    assert share.revenue_share == pytest.approx(guest["revenue"].sum() / upto["revenue"].sum())
    assert str(share) == f"excludes 2 guest orders of {len(upto)} ({100 * share.revenue_share:.1f} % of revenue)"
    assert guest_share(orders[orders["customer_id"].notna()]).guest_orders == 0


def test_revenue_kpis_against_pandas():
    from cmokit.campaigns import revenue_kpis

    orders, refunds = small()
    got = revenue_kpis({"orders": orders, "refunds": refunds}, period="month", as_of="2024-03-31")
    end = AS_OF + pd.Timedelta(days=1)
    o = orders[orders["ordered_at"] < end].assign(period=lambda d: d["ordered_at"].dt.to_period("M"))
    r = refunds[refunds["refunded_at"] < end].assign(period=lambda d: d["refunded_at"].dt.to_period("M"))
    want = pd.DataFrame({"orders": o.groupby("period").size(), "gross_revenue": o.groupby("period")["revenue"].sum(),
                         "guest_orders": o[o["customer_id"].isna()].groupby("period").size(),
                         "refunds": r.groupby("period").size(), "refunded_amount": r.groupby("period")["amount"].sum()
                         }).fillna(0)
    want["net_revenue"] = want["gross_revenue"] - want["refunded_amount"]
    want["refund_rate"] = want["refunded_amount"] / want["gross_revenue"]
    want["refund_count_rate"] = want["refunds"] / want["orders"]
    got = got.set_index(pd.to_datetime(got["period"]).dt.to_period("M"))
    for col in want.columns:
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), err_msg=col)
    whole = revenue_kpis({"orders": orders, "refunds": refunds}, as_of="2024-03-31").iloc[0]
    assert whole["refund_rate"] == pytest.approx(r["amount"].sum() / o["revenue"].sum())
    # no refunds table: zero refunds, net = gross
    bare = revenue_kpis(orders, as_of="2024-03-31").iloc[0]
    assert (bare["refunds"], bare["net_revenue"]) == (0, pytest.approx(o["revenue"].sum()))


def test_bad_revenue_choice_is_a_config_error():
    from cmokit.segments import rfm

    orders, refunds = small()
    with pytest.raises(ConfigError, match="'net'.*'gross'"):
        rfm({"orders": orders, "refunds": refunds}, revenue="nett")


def test_refunds_frame_is_checked_against_the_contract():
    from cmokit.errors import ContractError
    from cmokit.segments import rfm

    orders, refunds = small()
    refunds.loc[0, "amount"] = -5.0
    with pytest.raises(ContractError, match="amount"):
        rfm({"orders": orders, "refunds": refunds})


# --- on the bundled sample (its refunds all name their order) ----------------------------------------

@pytest.fixture(scope="module")
def sample_frames(warehouse):
    orders = warehouse.execute(warehouse.table("orders"), output="pandas")
    refunds = warehouse.execute(warehouse.table("refunds"), output="pandas")
    orders["revenue"], refunds["amount"] = orders["revenue"].astype(float), refunds["amount"].astype(float)
    return orders, refunds


def test_sample_rfm_and_cohorts_are_net_by_default(warehouse, sample_frames):
    from cmokit.retention import cohorts
    from cmokit.segments import rfm

    orders, refunds = sample_frames
    as_of = pd.Timestamp("2025-06-30")
    assert len(refunds[refunds["refunded_at"] < as_of]) > 100  # the sample really carries refunds
    o = reference_orders(orders, refunds, as_of)
    want = o.groupby("customer_id")["net"].sum().sub(unlinked(refunds, as_of), fill_value=0)
    got = rfm(warehouse, "2025-06-30").set_index("customer_id")
    assert got.index.tolist() == sorted(o["customer_id"].unique())
    np.testing.assert_allclose(got["monetary"], want.loc[got.index], rtol=1e-12)
    gross = rfm(warehouse, "2025-06-30", revenue="gross")
    assert gross["monetary"].sum() > got["monetary"].sum()

    table = cohorts(warehouse, "2025-06-30")
    assert table["revenue"].sum() == pytest.approx(o["net"].sum() - unlinked(refunds, as_of).sum())


def test_sample_campaign_kpis_net_attributed_revenue(warehouse, sample_frames):
    from cmokit.campaigns import campaign_kpis

    orders, refunds = sample_frames
    as_of = pd.Timestamp("2025-12-31")
    end = as_of + pd.Timedelta(days=1)
    o = orders[(orders["ordered_at"] < end) & orders["campaign_id"].notna()]
    linked = refunds[refunds["refunded_at"] < end].groupby("order_id")["amount"].sum()
    net = (o["revenue"] - o["order_id"].map(linked).fillna(0)).clip(lower=0)
    got = campaign_kpis(warehouse, by="total", as_of="2025-12-31").iloc[0]
    gross = campaign_kpis(warehouse, by="total", as_of="2025-12-31", revenue="gross").iloc[0]
    assert got["attributed_revenue"] == pytest.approx(net.sum())
    assert gross["attributed_revenue"] == pytest.approx(o["revenue"].sum())
    assert got["orders"] == gross["orders"] == len(o)  # a refunded order is still an order


def test_sample_gamma_gamma_fits_on_net_spend(warehouse):
    from cmokit.clv import GammaGamma, purchase_summary

    net = purchase_summary(warehouse, "2025-06-30")
    gross = purchase_summary(warehouse, "2025-06-30", revenue="gross")
    repeat = net[net["frequency"] > 0]
    assert (repeat["monetary_value"] > 0).all()
    assert net["monetary_value"].mean() < gross["monetary_value"].mean()
    GammaGamma().fit(net)  # no refund nets a repeat buyer to zero on the sample


# --- on real data: the Online Retail II subset (credit notes name no invoice, guests are 1 in 5) -----

@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    from cmokit.warehouse.build import build
    from tests.warehouse.test_online_retail import FIXTURE, NOW, SOURCES

    out = tmp_path_factory.mktemp("retail_net") / "wh.duckdb"
    build(FIXTURE, out, dev_key=True, force=True, now=NOW, sources=SOURCES)
    import cmokit

    wh = cmokit.connect(out)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def retail_truth():
    from tests.warehouse.test_online_retail import FIXTURE

    lines = pd.read_parquet(FIXTURE / "online_retail_II_subset.parquet")
    return _retail_truth(lines)


def _retail_truth(lines):
    """Invoices and credit notes from the raw lines with pandas (as tests/warehouse/test_online_retail.py)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    d = lines.copy()
    d["value"] = d.Quantity * d.Price.map(lambda p: round(p, 3))
    london = ZoneInfo("Europe/London")
    d["at"] = pd.to_datetime(d.InvoiceDate).map(lambda t: t.replace(tzinfo=london).astimezone(dt.timezone.utc)
                                                .replace(tzinfo=None))
    per = d.groupby("Invoice").agg(total=("value", "sum"), at=("at", "min"), customer=("Customer ID", "first"))
    credit = per.index.str.startswith("C")
    orders, refunds = per[~credit & (per.total >= 0)], per[credit & (per.total <= 0)]
    return {"orders": orders, "refunds": refunds.assign(amount=-refunds.total)}


def test_retail_net_rfm_refund_rate_and_guests_against_the_raw_lines(retail, retail_truth):
    from cmokit.campaigns import revenue_kpis
    from cmokit.features import guest_share
    from cmokit.segments import rfm
    from tests.warehouse.test_online_retail import AS_OF

    end = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    o = retail_truth["orders"][lambda f: f["at"] < end]
    r = retail_truth["refunds"][lambda f: f["at"] < end]
    assert r["customer"].notna().any() and o["customer"].isna().any()  # the case this data exists for

    # guests: counted in revenue, reported, left out of RFM
    share = guest_share(retail, AS_OF)
    assert (share.orders, share.guest_orders) == (len(o), int(o["customer"].isna().sum()))
    assert share.guest_revenue == pytest.approx(o.loc[o["customer"].isna(), "total"].sum(), abs=0.01 * len(o))

    # refund rate: every credit note booked by AS_OF over every invoice
    k = revenue_kpis(retail, as_of=AS_OF).iloc[0]
    assert int(k["refunds"]) == len(r)
    assert k["refund_rate"] == pytest.approx(r["amount"].sum() / o["total"].sum(), rel=1e-6)

    # net RFM monetary: customer's invoices less their credit notes (no invoice named), floored at 0
    known = o[o["customer"].notna()]
    net = known.groupby("customer")["total"].sum().sub(
        r[r["customer"].notna()].groupby("customer")["amount"].sum(), fill_value=0.0)
    net = net[net.index.isin(known["customer"])].clip(lower=0.0)
    got = rfm(retail, as_of=AS_OF)
    assert len(got) == known["customer"].nunique()
    np.testing.assert_allclose(np.sort(got["monetary"].to_numpy()), np.sort(net.to_numpy()), atol=0.01 * 20)
