"""The executive review agrees with the KPI layer, its revenue bridge adds up, and it remembers the last run."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cmokit.reports import history, review

DAY = dt.date(2025, 12, 28)  # the sample's latest order day


@pytest.fixture(scope="module")
def kpis(warehouse):
    return review.headline_kpis(warehouse, None, targets={"roas": 1.5, "cac": 60.0})


def test_review_kpis_equal_the_kpi_layer_for_the_same_window(warehouse, kpis):
    from cmokit.campaigns import campaign_kpis

    assert kpis.attrs["as_of"] == DAY  # None = the latest order day
    value = kpis.set_index("kpi")
    for window, column in (("current", "value"), ("previous", "previous"), ("last_year", "last_year")):
        start, end = kpis.attrs["windows"][window]
        layer = campaign_kpis(warehouse, by="total", start=start, end=end, as_of=end).iloc[0]
        for kpi in ("spend", "roas", "cac"):
            assert value.loc[kpi, column] == pytest.approx(float(layer[kpi]), rel=1e-12), (window, kpi)


def test_review_order_counts_match_a_direct_count_of_the_orders(warehouse, kpis):
    orders = warehouse.execute(warehouse.orders)
    day = orders["ordered_at"].dt.date
    now = orders[(day >= dt.date(2025, 12, 1)) & (day <= DAY)]
    first = orders.groupby("customer_id")["ordered_at"].min().dt.date
    value = kpis.set_index("kpi")["value"]
    refunds = warehouse.execute(warehouse.refunds)
    booked = refunds[(refunds["refunded_at"].dt.date >= dt.date(2025, 12, 1)) & (refunds["refunded_at"].dt.date <= DAY)]
    # revenue net of the refunds booked in the window (the ledger view of campaigns.revenue_kpis)
    assert value["revenue"] == pytest.approx(float(now["revenue"].astype(float).sum())
                                             - float(booked["amount"].astype(float).sum()), rel=1e-12)
    assert len(booked) > 0  # the sample books refunds in December: the test sees the netting
    assert value["orders"] == len(now)
    assert value["active_customers"] == now["customer_id"].nunique()
    assert value["new_customers"] == int(((first >= dt.date(2025, 12, 1)) & (first <= DAY)).sum())
    before = orders[(day >= dt.date(2025, 11, 3)) & (day <= dt.date(2025, 11, 30))]["customer_id"].unique()
    assert value["retention"] == pytest.approx(len(set(before) & set(now["customer_id"])) / len(before))


def test_status_is_against_the_target_or_last_year(kpis):
    row = kpis.set_index("kpi")
    assert row.loc["roas", "status_basis"] == "target" and row.loc["roas", "status"] == (
        "on_target" if row.loc["roas", "value"] >= 1.5 else row.loc["roas", "status"])
    assert row.loc["revenue", "status_basis"] == "last year"
    assert row.loc["revenue", "status"] == ("better" if row.loc["revenue", "change_vs_last_year"] >= 0 else "worse")
    assert row.loc["spend", "status"] == ""  # spend is not judged


def test_revenue_bridge_parts_add_up_to_the_change(warehouse):
    for versus in ("previous", "last_year"):
        bridge = review.revenue_bridge(warehouse, DAY, versus=versus).set_index("factor")
        total = bridge.loc["revenue", "now"] - bridge.loc["revenue", "before"]
        parts = bridge.drop(index="revenue")["contribution"].sum()
        assert parts == pytest.approx(total, rel=1e-9)
        product = bridge.loc["customers", "now"] * bridge.loc["orders_per_customer", "now"] * bridge.loc["avg_order_value", "now"]
        assert product == pytest.approx(bridge.loc["revenue", "now"], rel=1e-12)


def test_windows_cover_the_same_days():
    w = review.review_windows(dt.date(2024, 3, 31), "quarter").set_index("window")
    assert (w.loc["current", "start"], w.loc["previous", "start"], w.loc["last_year", "start"]) == (
        dt.date(2024, 1, 1), dt.date(2023, 10, 1), dt.date(2023, 1, 1))
    lengths = {(r.end - r.start).days for r in w.itertuples()}
    assert lengths == {90}


def test_changes_since_the_last_run_come_from_the_run_history(kpis, tmp_path):
    assert review.changes_since_last_run(kpis, []).attrs["last_run"] is None
    old = review.headline_results(kpis)
    old["headline"]["revenue"] -= 100.0
    history.append(tmp_path, {"report": "05_executive_review", "status": "ok", "run_dir": "a",
                              "started_at": "2026-01-01T06:30:00+00:00", "results": old})
    history.append(tmp_path, {"report": "05_executive_review", "status": "failed", "run_dir": "b",
                              "started_at": "2026-01-02T06:30:00+00:00", "results": None})
    changes = review.changes_since_last_run(kpis, tmp_path)
    assert changes["kpi"].tolist() == ["revenue"]
    assert changes.attrs["last_run"] == "2026-01-01T06:30:00+00:00"
    assert changes["value"].iloc[0] - changes["last_run"].iloc[0] == pytest.approx(100.0)


def test_the_runner_keeps_history_and_passes_the_run_folder(report_warehouse, tmp_path):
    from cmokit.reports.execute import run
    from tests.reports.conftest import make_notebook

    folder = tmp_path / "nb"
    folder.mkdir()
    make_notebook(folder / "10_records.ipynb", [
        "from cmokit.reports import history\nrecorded = history.record({'headline': {'revenue': float(days)}})"])
    out = tmp_path / "reports"
    first = run("10_records", {"days": 3}, warehouse=report_warehouse, out_dir=out, notebooks=folder)
    second = run("10_records", {"days": 4}, warehouse=report_warehouse, out_dir=out, notebooks=folder)
    assert first.ok and second.ok
    runs = history.read(out)
    assert [r["results"]["headline"]["revenue"] for r in runs] == [3.0, 4.0]
    assert history.last_results("10_records", out, before_run_dir=second.run_dir)["run_dir"] == first.run_dir


def test_experiment_decisions_follow_the_interval():
    assert review._decision(0.01, 0.2).startswith("roll out")
    assert review._decision(-0.2, -0.01).startswith("stop")
    assert review._decision(-0.1, 0.1).startswith("inconclusive")
    assert math.isnan(review._change(1.0, 0.0))
    assert isinstance(review.review_windows(DAY), pd.DataFrame)


def test_bad_review_settings_are_refused_with_what_is_accepted(warehouse):
    from cmokit.errors import ConfigError

    with pytest.raises(ConfigError, match="period must be one of month, quarter, week"):
        review.headline_kpis(warehouse, DAY, period="year")
    with pytest.raises(ConfigError, match="unknown headline KPI in targets: ctr"):
        review.headline_kpis(warehouse, DAY, targets={"ctr": 0.1})
    with pytest.raises(ConfigError, match="versus must be"):
        review.revenue_bridge(warehouse, DAY, versus="budget")


def test_ltv_cac_equals_the_kpi_layers_with_the_same_clv_scores(warehouse):
    from cmokit import clv
    from cmokit.campaigns import campaign_kpis

    values = clv.lifetime_values(warehouse, DAY)
    kpis = review.headline_kpis(warehouse, DAY, clv=values).set_index("kpi")
    layer = campaign_kpis(warehouse, by="total", start=dt.date(2025, 12, 1), end=DAY, as_of=DAY, clv=values).iloc[0]
    assert kpis.loc["ltv_cac", "value"] == pytest.approx(float(layer["ltv_cac"]), rel=1e-12)
    assert kpis.loc["ltv_cac", "value"] > 0


def test_an_offer_is_rolled_out_only_when_it_pays_for_its_discount():
    assert review._decision(0.01, 0.2, 0.1, 2.0).startswith("roll out")
    assert review._decision(0.01, 0.2, -0.5, 0.8).startswith("hold")
    assert review._decision(0.01, 0.2, -2.0, -0.1).startswith("stop")
    assert "profit not assessed" in review._decision(0.01, 0.2)


def test_concluded_experiments_carry_the_offers_profit_and_decide_on_it(warehouse):
    """Profit per customer = kept margin x revenue - contact cost, difference of means against control
    (checked against SciPy's Welch test); on the sample the 20 % offer lifts conversion but loses money."""
    from scipy import stats

    from cmokit import campaigns

    discounts = {"email_10": 0.10, "email_20": 0.20}
    got = review.experiments_concluded(warehouse, None, gross_margin=0.30, offer_discounts=discounts,
                                       cost_per_contact=0.40).set_index("variant")
    outcomes = campaigns.customer_outcomes(warehouse, "EXP-REACT-2025", as_of=DAY)
    kept = {"control": 0.30, "email_10": 0.20 / 0.90, "email_20": 0.10 / 0.80}
    profit = outcomes["revenue"].astype(float) * outcomes["variant"].map(kept) - 0.40 * (outcomes["variant"] != "control")
    control = profit[outcomes["variant"] == "control"]
    for arm in discounts:
        test = stats.ttest_ind(profit[outcomes["variant"] == arm], control, equal_var=False)
        ci = test.confidence_interval(0.95)
        row = got.loc[arm]
        assert row["profit_per_customer"] == pytest.approx(profit[outcomes["variant"] == arm].mean() - control.mean())
        assert (row["profit_per_customer_lower"], row["profit_per_customer_upper"]) == pytest.approx((ci.low, ci.high))
    assert got.loc["email_20", "lift_lower"] > 0 and got.loc["email_20", "profit_per_customer_upper"] < 0
    assert got.loc["email_20", "decision"].startswith("stop")
    plain = review.experiments_concluded(warehouse, None).set_index("variant")  # no economics: the lift alone
    assert plain.loc["email_20", "decision"].startswith("roll out") and plain["profit_per_customer"].isna().all()


def test_bad_offer_economics_are_an_error_not_a_silent_lift_only_decision(warehouse):
    from cmokit.errors import ConfigError

    with pytest.raises(ConfigError, match="gross_margin"):
        review.experiments_concluded(warehouse, None, gross_margin=1.5, offer_discounts={"email_10": 0.1})
    other = review.experiments_concluded(warehouse, None, gross_margin=0.3, offer_discounts={"email_99": 0.1})
    assert other["decision"].str.contains("profit not assessed").all()  # another experiment's offers
