"""Campaign and experiment figures carry the result's numbers and glossary labels."""

import numpy as np
import pandas as pd

from cmokit.campaigns import budget_pacing, campaign_kpis, experiment_readout, kpi_status, plan_pilot
from cmokit.campaigns.uplift import qini_curve, uplift_by_decile, uplift_by_share
from cmokit.plots import campaigns as pc
from cmokit.plots import experiments as pe


def test_kpi_figures_show_kpis_targets_and_pacing(warehouse):
    kpi = campaign_kpis(warehouse, by="channel", as_of="2025-12-31")
    status = kpi_status(kpi, {"roas": {"default": 1.0}})
    fig = pc.kpi_bars(kpi, "roas", status=status)
    bars = [t for t in fig.data if t.type == "bar"][0]
    assert list(bars.y) == sorted(kpi["roas"], reverse=True)
    assert fig.layout.yaxis.title.text == "ROAS (revenue / spend)"
    trend = pc.kpi_trend(campaign_kpis(warehouse, by="channel", period="month", as_of="2025-12-31"), "spend")
    assert {t.name for t in trend.data} == set(kpi["channel"])
    assert len(pc.spend_vs_revenue(kpi).data[1].x) == len(kpi)
    pace = budget_pacing(warehouse, "2025-06-15")
    assert len(pc.pacing_bars(pace).data[0].y) == pace["budget"].notna().sum()


def test_experiment_figures(warehouse):
    r = experiment_readout(warehouse)
    fig = pe.lift_intervals(r)
    assert {t.name for t in fig.data} == set(r["variant"])
    assert np.allclose(sorted(fig.data[0].x), sorted(r[r.variant == fig.data[0].name]["rel_lift"]))
    y = np.array([1, 0, 1, 0]); t = np.array([1, 1, 0, 0]); u = np.array([.4, .3, .2, .1])
    q = pe.qini_plot(qini_curve(y, t, u))
    assert q.data[0].y[-1] == 0 and q.layout.xaxis.title.text == "Share of customers targeted"
    d = pe.decile_bars(uplift_by_decile(np.tile(y, 5), np.tile(t, 5), np.arange(20.0), bins=2))
    assert list(d.data[0].x) == [1, 2]
    by_share = uplift_by_share(np.tile(y, 5), np.tile(t, 5), np.arange(20.0), shares=(0.5, 1.0))
    s = pe.share_curve(by_share)
    assert list(s.data[0].y) == by_share["incremental"].tolist() and s.data[1].name == "Predicted (model)"
    plan = plan_pilot(warehouse, relative_mdes=(0.1, 0.2))
    assert len(pe.pilot_sizes(plan).data) == 3
    assert isinstance(plan, pd.DataFrame)
