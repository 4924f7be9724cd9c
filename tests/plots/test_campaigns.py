"""The campaign KPI bars stay readable when one channel dominates (issue 14.5)."""

from __future__ import annotations

import pandas as pd

from cmokit.plots.campaigns import kpi_bars


def _channels(roas):
    return pd.DataFrame({"channel": list(roas), "roas": list(roas.values())})


def test_a_dominating_channel_puts_roas_on_a_labelled_log_axis():
    # The sample's e-mail ROAS of 417 beside paid channels near 1-3 flattened every paid bar to a sliver.
    fig = kpi_bars(_channels({"email": 417.0, "paid_search": 2.6, "display": 1.1, "video": 0.8}), "roas")
    assert fig.layout.yaxis.type == "log"
    assert "log scale" in fig.layout.title.text and fig.layout.yaxis.type == "log"
    bars = fig.data[-1]
    assert list(bars.x) == ["email", "paid_search", "display", "video"]
    assert list(bars.text) == ["417.00", "2.60", "1.10", "0.80"]


def test_comparable_channels_keep_a_linear_axis_with_values_on_the_bars():
    fig = kpi_bars(_channels({"paid_search": 2.6, "display": 1.1, "video": 0.8}), "roas")
    assert fig.layout.yaxis.type == "linear"
    assert list(fig.data[-1].text) == ["2.60", "1.10", "0.80"]
    money = kpi_bars(pd.DataFrame({"channel": ["a", "b"], "cac": [1234.5, 56.0]}), "cac", log=False)
    assert list(money.data[-1].text) == ["€1,234", "€56"] and money.layout.yaxis.type == "linear"


def test_the_roas_trend_goes_log_when_one_channel_dominates():
    from cmokit.plots.campaigns import kpi_trend

    trend = pd.DataFrame({"channel": ["email", "email", "video", "video"], "period": ["2025-01", "2025-02"] * 2,
                          "roas": [400.0, 420.0, 0.9, 1.1]})
    assert kpi_trend(trend, "roas").layout.yaxis.type == "log"
    assert kpi_trend(trend[trend["channel"] == "video"], "roas").layout.yaxis.type == "linear"
