"""Takeaways are computed from a report's results: change the numbers and the sentences follow."""

from __future__ import annotations

import pandas as pd

from cmokit.reports import takeaways


def _channels(**roas):
    spend = {c: 1000.0 for c in roas}
    return pd.DataFrame({"channel": list(roas), "spend": list(spend.values()),
                         "attributed_revenue": [r * 1000.0 for r in roas.values()],
                         "roas": list(roas.values()), "cac": [50.0 + i for i in range(len(roas))]})


def test_campaign_takeaways_name_the_best_and_worst_paid_channel_from_the_numbers():
    one = takeaways.campaigns(_channels(paid_search=2.5, display=0.5, email=400.0))
    assert one[0] == "Paid media cost €2,000 and brought €3,000 of attributed revenue (ROAS 1.50)."
    assert one[1] == "Paid search returns the most per euro (ROAS 2.50), display the least (ROAS 0.50)."
    assert "Owned channels (email)" in one[3]
    flipped = takeaways.campaigns(_channels(paid_search=0.5, display=2.5))
    assert flipped[1].startswith("Display returns the most per euro (ROAS 2.50)")



def test_best_and_worst_come_from_one_rule_missing_values_left_out_ties_to_the_first_row():
    """ROAS, CAC and CLV sentences pick their ends the same way (they used three sortings)."""
    frame = _channels(paid_search=2.5, paid_social=0.5, display=0.5, video=2.5)
    frame["cac"] = [None, 40.0, 60.0, 60.0]
    out = takeaways.campaigns(frame)
    assert out[1] == "Paid search returns the most per euro (ROAS 2.50), paid social the least (ROAS 0.50)."
    assert out[2] == "New customers are cheapest through paid social (CAC €40) and dearest through display (€60)."
    by = pd.DataFrame({"acquisition_channel": ["email", "direct", "video"], "clv_mean": [10.0, None, 30.0]})
    values = pd.DataFrame({"clv": [1.0, 2.0], "p_alive": [0.9, 0.1]})
    assert takeaways.customer_value(values, by)[-1] == ("Video brings the most valuable customers (€30 each), "
                                                        "email the least (€10).")

def test_campaign_takeaways_count_missed_targets():
    from cmokit.campaigns import kpi_status

    channels = _channels(paid_search=2.5, display=0.5)
    status = kpi_status(channels, {"roas": {"default": 1.5}})
    assert takeaways.campaigns(channels, status)[-1] == "1 of 2 channel targets are missed: display ROAS."


def test_segment_takeaways_follow_the_summary():
    summary = pd.DataFrame({"segment": ["Champions", "At Risk", "Lost"], "customers": [10, 30, 60],
                            "customer_share": [0.1, 0.3, 0.6], "revenue": [800.0, 150.0, 50.0],
                            "revenue_share": [0.8, 0.15, 0.05]})
    moves = pd.DataFrame({"from_segment": ["Champions", "Champions", "Not yet a customer"],
                          "to_segment": ["Champions", "Loyal", "New"], "customers": [4, 6, 7],
                          "share_of_from": [0.4, 0.6, 1.0]})
    out = takeaways.segments(summary, moves)
    assert out == ["Champions are 10.0 % of customers and bring 80.0 % of revenue (€800).",
                   "30 customers are At Risk or Can't Lose Them; they spent €150 so far (15.0 % of revenue): "
                   "the first win-back audience.",
                   "40.0 % of the earlier Champions are still Champions; 60.0 % slipped to Loyal.",
                   "7 customers placed their first order since the earlier date."]


def test_health_takeaways_report_failures_and_quarantine():
    checks = pd.DataFrame({"table": ["orders", "orders"], "check": ["key_unique", "minimum"],
                           "column": ["order_id", "revenue"], "severity": ["error", "warning"],
                           "failing_rows": [3, 0]})
    loads = pd.DataFrame({"rows_read": [100, 100], "rows_quarantined": [2, 0]})
    out = takeaways.data_health(checks, loads)
    assert out[0].startswith("1 of 2 contract checks fail (1 errors), on orders.order_id")
    assert out[1] == "The build read 200 rows and quarantined 2 (1.00 %)."


def test_takeaways_on_the_sample_are_three_to_five_sentences(warehouse):
    import cmokit
    from cmokit import segments
    from cmokit.campaigns import campaign_kpis
    from cmokit.warehouse import health

    out = takeaways.segments(segments.segment_summary(warehouse, "2025-12-28"),
                             segments.migration(warehouse, "2025-06-30", "2025-12-28"))
    assert 3 <= len(out) <= 5 and all(s.endswith(".") and "{" not in s for s in out)
    out = takeaways.campaigns(campaign_kpis(warehouse, by="channel", start="2025-01-01", as_of="2025-12-28"))
    assert 3 <= len(out) <= 5 and out[1].startswith("Paid search returns the most per euro")
    out = takeaways.data_health(cmokit.warehouse.check(warehouse), health.loads(warehouse), health.freshness(warehouse))
    assert 3 <= len(out) <= 5



def test_executive_review_takeaways_read_the_review_frames():
    import datetime as dt

    kpis = pd.DataFrame({"kpi": ["revenue", "cac"], "metric": ["Revenue", "CAC (spend / new customers)"],
                         "value": [1100.0, 80.0], "previous": [1000.0, 50.0], "last_year": [1250.0, 40.0],
                         "change_vs_previous": [0.1, 0.6], "change_vs_last_year": [-0.12, 1.0],
                         "target": [None, 60.0], "status": ["worse", "off_target"],
                         "status_basis": ["last year", "target"]})
    kpis.attrs["windows"] = {"current": (dt.date(2025, 12, 1), dt.date(2025, 12, 28))}
    bridge = pd.DataFrame({"factor": ["customers", "orders_per_customer", "avg_order_value", "revenue"],
                           "change": [0.2, -0.05, -0.03, 0.1], "contribution": [180.0, -50.0, -30.0, 100.0]})
    advice = pd.DataFrame({"channel": ["video", "display", "paid_search"], "change": [500.0, -500.0, 0.0],
                           "evidence": ["identified", "not identified: test before moving money", "calibrated"]})
    out = takeaways.executive_review(kpis, bridge, advice=advice)
    assert out[0] == ("Revenue €1,100 (01 Dec–28 Dec 2025): +10.0 % on the previous period, −12.0 % on the same "
                      "period last year.")
    assert out[1].startswith("Customers +20.0 % added €180; orders per customer −5.0 % took €50")
    assert out[2] == "Needs attention: Revenue €1,100 (last year €1,250), CAC €80 (target €60)."
    assert out[3] == ("The media-mix model would move money to video, away from display; display needs a test "
                      "before money moves.")


def test_a_status_column_keeps_the_other_columns_formatted():
    from cmokit.reports import present

    html = present.table(pd.DataFrame({"channel": ["video"], "cac": [64.700574], "roas": [0.920205],
                                       "status": ["off_target"]})).to_html()
    assert "€65" in html and "0.92" in html and "64.70" not in html and "off target" in html


def test_media_mix_takeaways_flag_intervals_across_break_even_and_held_channels():
    roi = pd.DataFrame({"channel": ["paid_search", "display", "video"], "roi": [2.6, 0.4, 1.2],
                        "roi_lower": [1.8, 0.0, 0.7], "roi_upper": [3.4, 1.5, 1.9],
                        "identified": [True, False, True]})
    plan = pd.DataFrame({"channel": ["paid_search", "display", "video"], "change": [300.0, 0.0, -300.0],
                         "evidence": ["calibrated", "held: test before moving money", "identified"]})
    out = takeaways.media_mix(roi, plan)
    assert out[0] == "Paid search returns the most per euro of spend (ROI 2.60, 90 % interval 1.80 to 3.40)."
    assert out[1] == ("The interval of video and display includes break-even (ROI 1): the data cannot say "
                      "they pay back.")
    assert out[2].startswith("Display spent nearly the same every week")
    assert out[3] == "The recommended budget moves money to paid search, away from video."
    assert out[4] == "Display is held at current spend until a test measures it."


def test_experiment_takeaways_read_srm_readout_and_incremental_roi():
    srm = pd.DataFrame({"p_value": [0.82], "srm": [False]})
    readout = pd.DataFrame({"variant": ["a", "b"], "metric": ["conversion", "conversion"],
                            "abs_lift": [0.02, 0.12], "abs_lift_lower": [-0.01, 0.08],
                            "abs_lift_upper": [0.05, 0.16], "significant": [False, True]})
    inc = pd.DataFrame({"variant": ["b"], "incremental_revenue": [14685.3], "spend": [383.2],
                        "incremental_roi": [37.32], "incremental_roi_lower": [25.28], "incremental_roi_upper": [49.37]})
    out = takeaways.experiments(readout, srm, inc)
    assert out == ["The arms have the planned sizes (sample-ratio p = 0.820).",
                   "b moves conversion by +12.0 points (+8.0 points to +16.0 points), significant after Holm.",
                   "b earned €14,685 of incremental revenue on €383 of spend (incremental ROI 37.32, 25.28 to 49.37)."]


def test_review_budget_sentence_when_everything_is_held():
    kpis = pd.DataFrame({"kpi": ["revenue"], "metric": ["Revenue"], "value": [1.0], "previous": [1.0],
                         "last_year": [1.0], "change_vs_previous": [0.0], "change_vs_last_year": [0.0],
                         "target": [None], "status": ["better"], "status_basis": ["last year"]})
    advice = pd.DataFrame({"channel": ["paid_search", "video"], "change": [0.0, 0.0],
                           "evidence": ["held", "identified"]})
    assert takeaways.executive_review(kpis, advice=advice)[-1] == (
        "The media-mix model keeps every channel at its current budget; paid search needs a test before money moves.")


def test_geo_takeaways_follow_the_readout_and_the_best_design():
    summary = pd.DataFrame([dict(treated_regions="R01, R02", test_days=28, incremental=12345.6, lift=0.084,
                                 lift_lower=0.031, lift_upper=0.142, p_value=0.0345, pre_fit_error=0.021,
                                 spend=60000.0, incremental_roi=-0.92, incremental_roi_lower=-0.97,
                                 incremental_roi_upper=-0.86)])
    design = pd.DataFrame({"treated_regions": ["R03", "R01, R02"], "test_days": [28, 14], "mde": [0.045, 0.09],
                           "test_cost": [5000.0, 9000.0]})
    out = takeaways.geo_tests(summary, design, alpha=0.1)
    assert out[0] == ("The treated regions (R01, R02) added €12,346 of revenue over 28 test days (+8.4 %, 90 % "
                      "interval +3.1 % to +14.2 %; placebo p = 0.035): an effect, not noise.")
    assert out[1] == ("Before the test the synthetic control tracked the treated regions within 2.1 %: a sound "
                      "counterfactual.")
    assert out[2] == ("On €60,000 of extra spend the incremental ROI is −0.92 (−0.97 to −0.86); the spend did "
                      "not pay back.")
    assert out[3] == "The most sensitive design treats R03 for 28 days and detects a lift of 4.5 %, about €5,000 of extra spend at the expected return."
    weak = summary.assign(p_value=0.4, pre_fit_error=0.08, incremental_roi_lower=0.1)
    out = takeaways.geo_tests(weak, alpha=0.1)
    assert out[0].endswith("the data cannot tell it from no effect.")
    assert out[1].endswith("a loose fit, read the lift with care.")
    assert out[2].endswith("the spend paid back.") and len(out) == 3
    assert takeaways.geo_tests(weak.assign(incremental_roi_lower=-0.5, incremental_roi_upper=0.4))[2].endswith("includes losing money.")


def test_media_mix_takeaways_say_when_no_money_moves():
    roi = pd.DataFrame({"channel": ["paid_search", "display"], "roi": [2.6, 0.4], "roi_lower": [1.8, 0.0],
                        "roi_upper": [3.4, 1.5]})
    plan = pd.DataFrame({"channel": ["paid_search", "display"], "change": [0.0, 0.2],
                         "evidence": ["calibrated", "held"]})
    out = takeaways.media_mix(roi, plan)
    assert out[2] == "The recommended budget keeps every channel at its current budget: no move is backed by the evidence."
    assert out[3] == "Display is held at current spend until a test measures it."


def test_experiment_takeaways_say_whether_the_roi_is_revenue_based():
    readout = pd.DataFrame({"variant": ["b"], "metric": ["conversion"], "abs_lift": [0.1], "abs_lift_lower": [0.05],
                            "abs_lift_upper": [0.15], "significant": [True]})
    inc = pd.DataFrame({"variant": ["b"], "incremental_revenue": [1000.0], "spend": [100.0],
                        "incremental_roi": [9.0], "incremental_roi_lower": [4.0], "incremental_roi_upper": [14.0]})
    assert "(revenue-based incremental ROI 9.00" in takeaways.experiments(readout, incremental=inc, margin=1.0)[-1]
    assert "(at a 30.0 % margin, incremental ROI" in takeaways.experiments(readout, incremental=inc, margin=0.3)[-1]


def test_best_offer_takeaways_follow_the_policy_values():
    """The sample's numbers (50_experiments at a 30 % gross margin): every offer and the policy named with
    its interval; an interval below 0 says the offer loses money, one above the best single offer says
    personalising pays."""
    def frame(model, vs, e10, e20):
        rows = [("model", None, *model, *vs, 0.626), ("best_single_offer", "email_10", *e10, 0, 0, 0, 1.0),
                ("nobody", None, 0, 0, 0, 0, 0, 0, 0.0), ("everyone: email_10", "email_10", *e10, 0, 0, 0, 1.0),
                ("everyone: email_20", "email_20", *e20, -1, -2, 0, 1.0)]
        cols = ["policy", "offer", "incremental_profit_per_customer", "incremental_profit_per_customer_lower",
                "incremental_profit_per_customer_upper", "vs_best_single", "vs_best_single_lower",
                "vs_best_single_upper", "share_offered"]
        return pd.DataFrame(rows, columns=cols)

    econ = {"margin": {"control": 0.3, "email_10": 0.2222, "email_20": 0.125}, "costs": {}}
    out = takeaways.best_offer(frame((-0.62, -1.41, 0.17), (-0.64, -1.53, 0.24), (0.02, -1.14, 1.18),
                                     (-0.97, -1.96, 0.01)), econ)
    assert out == [
        "Without an offer 30.0 % of each euro of revenue is profit; after its discount email_10 keeps 22.2 % and "
        "email_20 keeps 12.5 %.",
        "Sending everyone email_10 earns €0.02 (−€1.14 to €1.18) of profit per customer over sending nothing: "
        "not shown to pay.",
        "Sending everyone email_20 earns −€0.97 (−€1.96 to €0.01) of profit per customer over sending nothing: "
        "not shown to pay.",
        "The best offer per customer (an offer to 62.6 % of them) earns −€0.62 (−€1.41 to €0.17) per customer, "
        "−€0.64 (−€1.53 to €0.24) against the best single offer: personalising is not shown to pay more."]
    out = takeaways.best_offer(frame((1.5, 1.0, 2.0), (0.5, 0.1, 0.9), (1.0, 0.5, 1.5), (-3.0, -4.0, -2.0)))
    assert out[0].endswith("over sending nothing: it pays.") and out[1].endswith("it loses money.")
    assert out[2].endswith("personalising pays.")


def test_the_experiment_takeaways_say_whether_each_offer_paid():
    import pandas as pd

    from cmokit.reports import takeaways

    readout = pd.DataFrame({"variant": ["a"], "metric": ["conversion"], "abs_lift": [0.1], "abs_lift_lower": [0.05],
                            "abs_lift_upper": [0.15], "significant": [True]})
    profit = pd.DataFrame({"variant": ["a", "b", "c"], "incremental_profit_per_customer": [1.0, -1.0, 0.1],
                           "incremental_profit_per_customer_lower": [0.5, -2.0, -0.4],
                           "incremental_profit_per_customer_upper": [1.5, -0.2, 0.6]})
    last = takeaways.experiments(readout, profit=profit)[-1]
    assert "a €1.00 (€0.50 to €1.50: it pays)" in last
    assert "b −€1.00 (−€2.00 to −€0.20: it loses money)" in last
    assert "c €0.10 (−€0.40 to €0.60: not shown to pay)" in last


def test_customer_value_does_not_compare_channels_it_does_not_have():
    """Customers derived from orders (Online Retail) have no acquisition channel: no "unknown brings the most
    valuable customers, unknown the least"; with channels, unknown is left out of the comparison."""
    values = pd.DataFrame({"clv": [1.0, 2.0, 3.0], "p_alive": [0.9, 0.8, 0.2]})
    one = pd.DataFrame({"acquisition_channel": ["unknown"], "customers": [3], "clv_mean": [2.0]})
    assert takeaways.customer_value(values, one)[-1].startswith("Value by acquisition channel is not available")
    some = pd.DataFrame({"acquisition_channel": ["email", "paid_search", "unknown"], "customers": [1, 1, 1],
                         "clv_mean": [2.0, 3.0, 9.0]})
    assert takeaways.customer_value(values, some)[-1].startswith("Paid search brings the most valuable customers")


def test_tables_show_days_and_per_customer_amounts_as_a_cmo_reads_them():
    """A cohort month is 2009-12-01, not 2009-12-01 00:00:00; revenue per customer is money, orders per
    customer a ratio."""
    from cmokit.plots.format import column_kind, formatter

    assert formatter("text")(pd.Timestamp("2009-12-01")) == "2009-12-01"
    assert formatter("text")(pd.Timestamp("2009-12-01 10:30")) == "2009-12-01 10:30:00"
    assert column_kind("cumulative_revenue_per_customer") == "money"
    assert column_kind("orders_per_customer") == "ratio"
