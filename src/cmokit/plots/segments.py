"""Figures for customer segments: sizes and revenue shares, clusters, migration Sankey."""

from __future__ import annotations

from cmokit.plots.theme import PALETTE, apply


def _pandas(frame):
    if type(frame).__module__.startswith("polars"):
        return frame.to_pandas()
    return frame


def segment_sizes(summary):
    """Grouped bars: share of customers and share of revenue per RFM segment.

    ``summary`` is :func:`cmokit.segments.segment_summary` output.
    """
    import plotly.graph_objects as go

    s = _pandas(summary)
    fig = go.Figure([
        go.Bar(name="Share of customers", x=s["segment"], y=s["customer_share"]),
        go.Bar(name="Share of revenue", x=s["segment"], y=s["revenue_share"]),
    ])
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return apply(fig, "Customers and revenue by RFM segment", x="segment", y="share")


def cluster_profile(profile):
    """Bubble chart of clusters on their first two profile medians, bubble size = customers.

    ``profile`` is ``BehaviourClusters.profile_`` (default features: mean gap between
    orders and average order value).
    """
    import plotly.graph_objects as go

    p = _pandas(profile)
    medians = [c for c in p.columns if c.startswith("median_")]
    x, y = medians[0], medians[1 if len(medians) > 1 else 0]
    size = p["customers"] / p["customers"].max() * 60 + 10
    fig = go.Figure(go.Scatter(
        x=p[x], y=p[y], mode="markers+text", text=[f"{c}: {d}" for c, d in zip(p["cluster"], p["description"])],
        textposition="top center", marker=dict(size=size, color=PALETTE[: len(p)], opacity=0.7),
        customdata=p["customers"], hovertemplate="%{text}<br>customers %{customdata}<extra></extra>",
    ))
    return apply(fig, "Behavioural clusters", x=x, y=y)


def migration_sankey(table):
    """Sankey of customers flowing from segments at the first date to the second.

    ``table`` is :func:`cmokit.segments.migration` output.
    """
    import plotly.graph_objects as go

    t = _pandas(table)
    left = list(dict.fromkeys(t["from_segment"]))
    right = list(dict.fromkeys(t["to_segment"]))
    labels = [f"{s} (before)" for s in left] + [f"{s} (after)" for s in right]
    source = [left.index(s) for s in t["from_segment"]]
    target = [len(left) + right.index(s) for s in t["to_segment"]]
    fig = go.Figure(go.Sankey(
        node=dict(label=labels, pad=12, thickness=14),
        link=dict(source=source, target=target, value=t["customers"].tolist()),
    ))
    return apply(fig, "Segment migration")


__all__ = ["cluster_profile", "migration_sankey", "segment_sizes"]
