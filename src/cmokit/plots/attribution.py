"""Attribution figures: channel share per model, journey Sankey, Markov transitions.

Each takes a result from :mod:`cmokit.attribution` and returns a plotly Figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cmokit.plots.theme import PALETTE, apply

_MODEL_LABELS = {
    "first_touch": "First touch", "last_touch": "Last touch", "last_non_direct": "Last non-direct",
    "linear": "Linear", "time_decay": "Time decay", "position_based": "Position based",
    "markov_1": "Markov (order 1)", "markov_2": "Markov (order 2)", "markov_3": "Markov (order 3)",
    "shapley": "Shapley", "spend": "Spend share",
}


def share_bars(comparison: pd.DataFrame, *, title: str = "Channel share of conversions by attribution model"):
    """Grouped bars: each channel's share under every model, with its spend share.

    ``comparison`` is the long table from :func:`cmokit.attribution.compare`.
    """
    import plotly.graph_objects as go

    if not isinstance(comparison, pd.DataFrame):
        comparison = comparison.to_pandas()
    fig = go.Figure()
    channels = sorted(comparison["channel"].unique())
    models = list(dict.fromkeys(comparison["model"]))
    for i, model in enumerate(models):
        rows = comparison[comparison["model"] == model].set_index("channel").reindex(channels)
        fig.add_bar(name=_MODEL_LABELS.get(model, model), x=channels, y=rows["share"],
                    marker_color=PALETTE[i % len(PALETTE)])
    if "spend_share" in comparison and comparison["spend_share"].notna().any():
        spend = comparison.drop_duplicates("channel").set_index("channel").reindex(channels)["spend_share"]
        fig.add_scatter(name=_MODEL_LABELS["spend"], x=channels, y=spend, mode="markers",
                        marker=dict(symbol="diamond", size=11, color="#222"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return apply(fig, title, x="channel", y="share")


def path_sankey(journeys: pd.DataFrame, *, max_steps: int = 4, top_paths: int = 40,
                title: str = "Customer journeys (most frequent paths)"):
    """Sankey of the ``top_paths`` most frequent paths, step by step, ending in conversion or not.

    Paths longer than ``max_steps`` are cut to their last ``max_steps`` touches.
    """
    import plotly.graph_objects as go

    from cmokit.attribution.journeys import SEP

    df = journeys if isinstance(journeys, pd.DataFrame) else journeys.to_pandas()
    df = df.assign(flow=df["conversions"] + df["nulls"]).sort_values(["flow", "path"], ascending=[False, True])
    df = df.head(top_paths)
    nodes: dict[tuple, int] = {}
    links: dict[tuple[int, int], float] = {}

    def node(key):
        return nodes.setdefault(key, len(nodes))

    for path, conv, nulls in zip(df["path"], df["conversions"], df["nulls"]):
        steps = str(path).split(SEP)[-max_steps:]
        keys = [(i + 1, ch) for i, ch in enumerate(steps)]
        flow = conv + nulls
        for a, b in zip(keys, keys[1:]):
            links[(node(a), node(b))] = links.get((node(a), node(b)), 0.0) + flow
        for end, amount in (("Conversion", conv), ("No conversion", nulls)):
            if amount > 0:
                pair = (node(keys[-1]), node((max_steps + 1, end)))
                links[pair] = links.get(pair, 0.0) + amount
    labels = [f"{ch} ({step})" if step <= max_steps else ch for step, ch in nodes]
    src, dst = zip(*links) if links else ((), ())
    fig = go.Figure(go.Sankey(
        node=dict(label=labels, pad=12, thickness=14),
        link=dict(source=list(src), target=list(dst), value=list(links.values())),
    ))
    return apply(fig, title)


def transition_heatmap(model, *, title: str | None = None):
    """Heatmap of a fitted :class:`~cmokit.attribution.MarkovAttribution`'s transition matrix."""
    import plotly.graph_objects as go

    matrix = model.transition_matrix()
    fig = go.Figure(go.Heatmap(
        z=np.round(matrix.to_numpy(), 4), x=list(matrix.columns), y=list(matrix.index),
        colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title="Probability"),
        hovertemplate="from %{y}<br>to %{x}<br>p = %{z:.3f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title_text="From state")
    fig.update_xaxes(title_text="To state")
    return apply(fig, title or f"Markov transition probabilities (order {model.order})")


__all__ = ["share_bars", "path_sankey", "transition_heatmap"]
