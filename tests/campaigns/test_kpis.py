"""KPI layer, targets and pacing against values worked out by hand on a tiny fixture.

Fixture (as_of 2024-01-31):
  c1 email   budget 100, 2024-01-01..01-31, spend 30 (01-02) + 20 (01-09) = 50
  c2 display budget 300, 2024-01-10..02-08, spend 90 (01-10)
  orders: o1 k1 01-03 100 c1 (k1 first order -> new for c1)
          o2 k1 01-04  50 c1 (repeat)
          o3 k2 01-10  60 c2 (k2 first order -> new for c2)
          o4 k3 01-01  40 --  (k3 first order, unattributed)
          o5 k3 01-11  30 c1 (not new: k3 ordered before)
          o6 k2 02-05  99 c2 (after as_of: ignored)
c1: revenue 180, orders 3, new 1 (k1), ROAS 3.6, ROI 2.6, CPA 50/3, CAC 50.
    payback: k1 revenue to date 150 over 29 days (01-03..01-31) -> daily 150/29; 50 / (150/29) = 9.6667
c2: revenue 60, orders 1, new 1 (k2), ROAS 2/3, CAC 90; k2 to date 60 over 22 days -> 90/(60/22) = 33
"""

import math

import pandas as pd
import polars as pl
import pytest

import cmokit
from cmokit.campaigns import budget_pacing, campaign_kpis, kpi_status, load_targets
from cmokit.errors import ConfigError


def _d(*s):
    return pd.to_datetime(list(s)).date


@pytest.fixture
def frames():
    return {
        "campaigns": pd.DataFrame({"campaign_id": ["c1", "c2"], "campaign_name": ["Mail", "Banner"],
                                   "channel": ["email", "display"], "starts_on": _d("2024-01-01", "2024-01-10"),
                                   "ends_on": _d("2024-01-31", "2024-02-08"), "budget": [100.0, 300.0]}),
        "marketing_spend": pd.DataFrame({"spend_date": _d("2024-01-02", "2024-01-09", "2024-01-10"),
                                         "campaign_id": ["c1", "c1", "c2"], "channel": ["email", "email", "display"],
                                         "spend": [30.0, 20.0, 90.0], "impressions": [1000, 500, 9000],
                                         "clicks": [10, 5, 45]}),
        "orders": pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
                                "customer_id": ["k1", "k1", "k2", "k3", "k3", "k2"],
                                "ordered_at": pd.to_datetime(["2024-01-03 10:00", "2024-01-04 00:00", "2024-01-10 00:00",
                                                              "2024-01-01 00:00", "2024-01-11 00:00", "2024-02-05 00:00"]),
                                "revenue": [100.0, 50.0, 60.0, 40.0, 30.0, 99.0],
                                "campaign_id": ["c1", "c1", "c2", None, "c1", "c2"]}),
    }


def test_campaign_kpis_match_hand_computed_values(frames):
    kpi = campaign_kpis(cmokit.connect(frames), as_of="2024-01-31").set_index("campaign_id")
    c1, c2 = kpi.loc["c1"], kpi.loc["c2"]
    assert (c1.spend, c1.attributed_revenue, c1.orders, c1.new_customers) == (50.0, 180.0, 3, 1)
    assert c1.roas == pytest.approx(3.6) and c1.roi == pytest.approx(2.6)
    assert c1.cpa == pytest.approx(50 / 3) and c1.cac == pytest.approx(50.0)
    assert c1.payback_days == pytest.approx(50 / (150 / 29))
    assert c1.ctr == pytest.approx(15 / 1500)
    assert (c2.spend, c2.attributed_revenue, c2.orders, c2.new_customers) == (90.0, 60.0, 1, 1)
    assert c2.roas == pytest.approx(60 / 90) and c2.roi == pytest.approx(-1 / 3)
    assert c2.payback_days == pytest.approx(90 / (60 / 22))


def test_margin_ltv_cac_and_total(frames):
    clv = pd.DataFrame({"customer_id": ["k1", "k2", "k3"], "clv": [200.0, 45.0, 999.0]})
    kpi = campaign_kpis(cmokit.connect(frames), as_of="2024-01-31", margin=0.5, clv=clv).set_index("campaign_id")
    assert kpi.loc["c1", "roi"] == pytest.approx((0.5 * 180 - 50) / 50)
    assert kpi.loc["c1", "ltv_cac"] == pytest.approx(200 / 50)
    assert kpi.loc["c2", "ltv_cac"] == pytest.approx(45 / 90)
    total = campaign_kpis(cmokit.connect(frames), by="total", as_of="2024-01-31")
    assert total.loc[0, "spend"] == 140.0 and total.loc[0, "attributed_revenue"] == 240.0
    assert total.loc[0, "new_customers"] == 2 and total.loc[0, "cac"] == pytest.approx(70.0)


def test_weekly_periods_split_spend_and_revenue(frames):
    kpi = campaign_kpis(cmokit.connect(frames), by="channel", period="week", as_of="2024-01-31")
    email = kpi[kpi.channel == "email"].set_index("period")
    # ISO weeks start Monday: 2024-01-01 and 2024-01-08.
    assert email["spend"].tolist() == [30.0, 20.0]
    assert email["attributed_revenue"].tolist() == [150.0, 30.0]
    assert math.isclose(email["roas"].iloc[0], 5.0)
    display = kpi[kpi.channel == "display"]
    assert display["spend"].tolist() == [90.0] and display["attributed_revenue"].tolist() == [60.0]


def test_window_and_zero_spend_gives_null_ratios(frames):
    kpi = campaign_kpis(cmokit.connect(frames), start="2024-01-11", end="2024-01-31").set_index("campaign_id")
    assert kpi.loc["c1", "spend"] == 0.0 and kpi.loc["c1", "attributed_revenue"] == 30.0
    assert pd.isna(kpi.loc["c1", "roas"])


def test_without_as_of_the_snapshot_is_the_latest_order_day(frames):
    # Latest order o6 on 02-05 now counts. c1: k1's 150 over 01-03..02-05 (34 days) -> 50 / (150/34).
    # c2: revenue 60 + 99; k2's 159 over 01-10..02-05 (27 days) -> 90 / (159/27).
    kpi = campaign_kpis(cmokit.connect(frames)).set_index("campaign_id")
    assert kpi.loc["c2", "attributed_revenue"] == 159.0
    assert kpi.loc["c1", "payback_days"] == pytest.approx(50 / (150 / 34))
    assert kpi.loc["c2", "payback_days"] == pytest.approx(90 / (159 / 27))


def test_polars_frames_give_polars(frames):
    out = campaign_kpis({k: pl.from_pandas(v) for k, v in frames.items()}, as_of="2024-01-31")
    assert isinstance(out, pl.DataFrame) and out.height == 2


def test_pacing_status(frames):
    pace = budget_pacing(cmokit.connect(frames), "2024-01-10").set_index("campaign_id")
    assert pace.loc["c1", "elapsed_share"] == pytest.approx(10 / 31)
    assert pace.loc["c1", "pacing_index"] == pytest.approx(0.5 / (10 / 31))
    assert pace.loc["c1", "status"] == "overpacing"
    assert pace.loc["c2", "spent_share"] == pytest.approx(0.3)
    assert pace.loc["c2", "status"] == "overpacing"  # 30 % of budget on day 1 of 30
    early = budget_pacing(cmokit.connect(frames), "2024-01-05").set_index("campaign_id")
    assert early.loc["c2", "status"] == "not_started"
    mid = budget_pacing(cmokit.connect(frames), "2024-01-16").set_index("campaign_id")
    assert mid.loc["c1", "pacing_index"] == pytest.approx(0.5 / (16 / 31))  # 0.97: within 10 %
    assert mid.loc["c1", "status"] == "on_pace"
    assert mid.loc["c1", "projected_spend"] == pytest.approx(50 / (16 / 31))
    late = budget_pacing(cmokit.connect(frames), "2024-01-31").set_index("campaign_id")
    assert late.loc["c1", "elapsed_share"] == 1.0 and late.loc["c1", "status"] == "underpacing"


def test_targets_status_most_specific_scope_wins(frames, tmp_path):
    kpi = campaign_kpis(cmokit.connect(frames), as_of="2024-01-31")
    path = tmp_path / "targets.yaml"
    path.write_text("roas: {default: 3.0, c2: 0.7}\ncac: {email: 40, default: 100}\n")
    status = kpi_status(kpi, path).set_index(["campaign_id", "kpi"])
    assert status.loc[("c1", "roas"), "status"] == "on_target"
    assert status.loc[("c2", "roas"), "target"] == 0.7
    assert status.loc[("c2", "roas"), "status"] == "watch"  # 0.667 is within 10 % below 0.7
    assert status.loc[("c1", "cac"), "status"] == "off_target"  # 50 vs 40, lower is better
    assert status.loc[("c2", "cac"), "gap"] == pytest.approx(10.0)
    with pytest.raises(ConfigError):
        load_targets({"clicks_per_day": 3})
