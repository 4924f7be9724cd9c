"""The executive review on a shop's own sales export (Online Retail II subset: no campaigns, no spend):
the sales side runs, the marketing side says what it needs instead of failing or showing zeros."""

from __future__ import annotations

from pathlib import Path

import duckdb

import cmokit
from cmokit.reports import review, takeaways

ROOT = Path(__file__).resolve().parents[2]
SALES_KPIS = {"revenue", "orders", "active_customers", "new_customers", "retention"}


def test_headline_leaves_out_spend_kpis_and_says_why(retail):
    with cmokit.connect(str(retail)) as wh:
        kpis = review.headline_kpis(wh)
        advice = review.budget_advice(wh)
        concluded = review.experiments_concluded(wh, gross_margin=0.3, offer_discounts={"email_10": 0.1})
        bridge = review.revenue_bridge(wh)
        it = review.it_panel(wh)
    assert set(kpis["kpi"]) == SALES_KPIS and kpis.attrs["without"] == review.NO_MARKETING
    assert review.missing_marketing(str(retail)) == ["campaigns", "marketing_spend"]
    # revenue of the current window, net of its refunds, straight from the warehouse
    start, end = kpis.attrs["windows"]["current"]
    con = duckdb.connect(str(retail), read_only=True)
    try:
        gross, refunded = con.execute(
            "SELECT (SELECT sum(revenue) FROM orders WHERE ordered_at::DATE BETWEEN $s AND $e), "
            "(SELECT coalesce(sum(amount), 0) FROM refunds WHERE refunded_at::DATE BETWEEN $s AND $e)",
            {"s": start, "e": end}).fetchone()
    finally:
        con.close()
    revenue = kpis.set_index("kpi").loc["revenue", "value"]
    assert abs(revenue - float(gross - refunded)) < 0.01, (revenue, gross, refunded)
    assert advice.empty and advice.attrs["without"] == review.NO_MARKETING
    # the export begins 2009-12-01: last December's customers were all "new" to it, so that comparison is
    # no data (not a 90 % drop flagged for attention); this December has a year of history before it
    new = kpis.set_index("kpi").loc["new_customers"]
    assert kpis.attrs["new_customers_unknown"] == ["previous", "last_year"]
    assert new["value"] == new["value"] and new["last_year"] != new["last_year"] and new["status"] == "no_data"
    assert concluded.empty
    sentences = takeaways.executive_review(kpis, bridge, concluded, advice, it)
    assert any(s.startswith("Not in this review: no marketing spend in the warehouse") for s in sentences), sentences
    assert not any("ROAS" in s and "Needs attention" in s for s in sentences)


def test_the_review_report_runs_on_a_sales_only_warehouse(retail, tmp_path):
    result = cmokit.reports.run("05_executive_review", warehouse=str(retail), notebooks=ROOT / "notebooks",
                                out_dir=tmp_path, needs={"orders": 1, "customers": 1})
    assert result.ok, result.error
    page = Path(result.html).read_text()
    assert "No budget advice: no marketing spend in the warehouse" in page
    assert "No experiment has ended by the snapshot day." in page
    assert "Not in this review: no marketing spend" in page
    # the build's reporting currency is GBP: every amount in the page says pounds, none euros
    assert "Revenue £" in page and "€" not in page


def test_money_follows_the_reporting_currency_at_call_time(monkeypatch):
    """Tables and takeaways format money in $CMOKIT_CURRENCY (the runner sets it from the build), read
    when called: a GBP warehouse's review said EUR before (the default was fixed at import)."""
    import pandas as pd

    from cmokit.plots.format import money
    from cmokit.reports import present

    monkeypatch.setenv("CMOKIT_CURRENCY", "GBP")
    assert money(1234.5) == "£1,234" and money(-3, "EUR") == "−€3"
    html = present.table(pd.DataFrame({"channel": ["email"], "revenue": [1234.0]}),
                         labels={"revenue": "Recommended budget (EUR)"}).to_html()
    assert "£1,234" in html and "Recommended budget (GBP)" in html and "EUR" not in html
    kpis = present.kpi_table(pd.DataFrame({"kpi": ["revenue"], "value": [10.0]})).to_html()
    assert "£10" in kpis
    monkeypatch.delenv("CMOKIT_CURRENCY")
    assert money(1234.5) == "€1,234"
