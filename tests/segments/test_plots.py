"""Segment figures carry the result's numbers and glossary labels."""

import pandas as pd

from cmokit.plots import segments as plots
from cmokit.segments import BehaviourClusters, cluster_features, migration, segment_summary


def test_segment_sizes_bars_show_both_shares(warehouse):
    summary = segment_summary(warehouse)
    fig = plots.segment_sizes(summary)
    assert [t.name for t in fig.data] == ["Share of customers", "Share of revenue"]
    assert list(fig.data[1].y) == summary["revenue_share"].tolist()
    assert fig.layout.xaxis.title.text == "Segment"


def test_sankey_links_sum_to_the_customers(warehouse):
    table = migration(warehouse, "2025-06-30", "2025-12-31")
    fig = plots.migration_sankey(table)
    assert sum(fig.data[0].link.value) == table["customers"].sum()
    assert "Not yet a customer (before)" in fig.data[0].node.label


def test_cluster_bubbles_one_per_cluster(warehouse):
    model = BehaviourClusters(n_clusters=3).fit(cluster_features(warehouse))
    fig = plots.cluster_profile(model.profile_)
    assert len(fig.data[0].x) == 3
    assert isinstance(model.profile_, pd.DataFrame)
