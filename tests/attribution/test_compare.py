"""The comparison table: every model side by side with spend share, by hand on the 3-channel paths."""

import numpy as np
import pandas as pd
import pytest

from cmokit.attribution import compare, wide
from cmokit.plots.attribution import share_bars


@pytest.fixture
def spend():
    """Media spend: A and B 30 / 10 EUR; D spent 60 EUR but never shows up in a journey."""
    return pd.DataFrame({
        "spend_date": pd.to_datetime(["2025-03-01", "2025-03-01", "2025-03-02"]).date,
        "campaign_id": ["ca", "cb", "cd"], "channel": ["A", "B", "D"],
        "spend": [30.0, 10.0, 60.0], "impressions": [100, 100, 100], "clicks": [10, 10, 10],
    })


def test_spend_share_and_roas_sit_beside_every_model(three_channel_paths, spend):
    table = compare(three_channel_paths, spend, models=["last_touch", "markov_1"])
    last = table[table["model"] == "last_touch"].set_index("channel")
    # last touch: B ends the three converting paths (4 conversions, 60 EUR); spend shares 3/10, 1/10, 6/10
    assert last.loc["B", "conversions"] == 4 and last.loc["B", "roas"] == pytest.approx(6.0)
    assert last["spend_share"].to_dict() == pytest.approx({"A": 0.3, "B": 0.1, "C": 0.0, "D": 0.6})
    assert np.isnan(last.loc["C", "roas"])  # no spend, no return on it


def test_a_channel_that_spent_without_journeys_shows_zero_credit(three_channel_paths, spend):
    table = compare(three_channel_paths, spend, models=["linear", "markov_1"])
    d = table[table["channel"] == "D"]
    assert d["model"].tolist() == ["linear", "markov_1"]
    assert (d["conversions"] == 0).all() and (d["roas"] == 0).all() and (d["journeys_reached"] == 0).all()
    assert d["spend_share"].tolist() == pytest.approx([0.6, 0.6])
    assert table.groupby("model")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    w = wide(table)
    assert w["channel"].tolist() == ["A", "B", "C", "D"] and w["spend_share"].sum() == pytest.approx(1.0)


def test_share_bars_mark_spend_share(three_channel_paths, spend):
    fig = share_bars(compare(three_channel_paths, spend, models=["linear"]))
    marker = [t for t in fig.data if t.name == "Spend share"][0]
    assert dict(zip(marker.x, marker.y)) == pytest.approx({"A": 0.3, "B": 0.1, "C": 0.0, "D": 0.6})
