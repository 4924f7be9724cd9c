"""Attribution figures carry the result's numbers and the glossary labels."""

import pytest

from cmokit.attribution import MarkovAttribution, compare
from cmokit.attribution.markov import CONVERSION, START
from cmokit.plots.attribution import path_sankey, share_bars, transition_heatmap


def test_share_bars_show_every_model_share(three_channel_paths):
    table = compare(three_channel_paths, models=["linear", "markov_1"])
    fig = share_bars(table)
    assert [t.name for t in fig.data] == ["Linear", "Markov (order 1)"]
    markov = dict(zip(fig.data[1].x, fig.data[1].y))
    assert markov["B"] == pytest.approx(6 / 11)  # 24/11 of 4 conversions
    assert fig.layout.xaxis.title.text == "Channel"


def test_sankey_flows_add_up_to_journeys(three_channel_paths):
    fig = path_sankey(three_channel_paths)
    link = fig.data[0].link
    labels = fig.data[0].node.label
    into_end = sum(v for t, v in zip(link.target, link.value) if labels[t] in ("Conversion", "No conversion"))
    total = (three_channel_paths["conversions"] + three_channel_paths["nulls"]).sum()
    assert into_end == total


def test_heatmap_is_the_transition_matrix(three_channel_paths):
    m = MarkovAttribution().fit(three_channel_paths)
    fig = transition_heatmap(m)
    z = fig.data[0].z
    assert list(fig.data[0].y)[0] == START
    assert z[list(fig.data[0].y).index("B")][list(fig.data[0].x).index(CONVERSION)] == pytest.approx(0.6667)
