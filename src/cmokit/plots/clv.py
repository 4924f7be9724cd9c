"""Figures for customer lifetime value: fit validation, P(alive) matrices, CLV distribution.

Each function takes a result table from :mod:`cmokit.clv` and returns a
plotly Figure; no model is evaluated here.
"""

from __future__ import annotations

from cmokit.plots.theme import apply


def holdout_by_frequency(table):
    """Mean actual vs predicted holdout purchases by calibration frequency.

    ``table`` is :func:`cmokit.clv.holdout_by_frequency` output.
    """
    import plotly.graph_objects as go

    buckets = [str(f) if i < len(table) - 1 else f"{f}+" for i, f in enumerate(table["frequency"])]
    fig = go.Figure([
        go.Bar(x=buckets, y=table["actual"], name="Actual"),
        go.Bar(x=buckets, y=table["predicted"], name="Model"),
    ])
    fig.update_layout(barmode="group")
    return apply(fig, "Holdout purchases per customer by calibration frequency",
                 x="frequency", y="mean_holdout_purchases")


def cumulative_transactions(curve):
    """Cumulative repeat purchases, actual vs expected; ``curve`` from :func:`cmokit.clv.cumulative_transactions`."""
    import plotly.graph_objects as go

    fig = go.Figure([
        go.Scatter(x=curve["date"], y=curve["actual"], mode="lines", name="Actual"),
        go.Scatter(x=curve["date"], y=curve["expected"], mode="lines", name="Model", line=dict(dash="dash")),
    ])
    holdout = curve[curve["period"] == "holdout"]
    if len(holdout):
        fig.add_vline(x=holdout["date"].iloc[0], line=dict(color="#8c8c8c", dash="dot"))
    return apply(fig, "Cumulative repeat purchases: actual vs model", x="date", y="cumulative_repeat_purchases")


def alive_matrix(grid, value: str = "p_alive"):
    """Heatmap over frequency x recency of ``value`` (``p_alive`` or ``expected_purchases``).

    ``grid`` is :func:`cmokit.clv.alive_matrix` output.
    """
    import plotly.graph_objects as go

    matrix = grid.pivot(index="recency", columns="frequency", values=value).sort_index()
    percent = value == "p_alive"
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=list(matrix.columns), y=matrix.index.round(1).tolist(),
                               colorscale="Blues", zmin=0, zmax=1 if percent else None,
                               colorbar=dict(tickformat=".0%" if percent else ",.1f")))
    title = "Probability a customer is still active" if percent else "Expected purchases in the next period"
    return apply(fig, title, x="frequency", y="recency")


def clv_distribution(values, column: str = "clv"):
    """Histogram of customer lifetime value (``customer_lifetime_value`` output)."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Histogram(x=values[column], nbinsx=60, name=column))
    return apply(fig, "Distribution of customer lifetime value", x=column, y="customers")


def clv_by_group(table, group: str):
    """Bar chart of mean CLV by ``group``; ``table`` is :func:`cmokit.clv.clv_by` output."""
    import plotly.graph_objects as go

    ordered = table.sort_values("clv_mean", ascending=False)
    fig = go.Figure(go.Bar(x=ordered[group], y=ordered["clv_mean"],
                           customdata=ordered[["clv_total", "customers"]].to_numpy(),
                           hovertemplate="%{x}<br>mean %{y:,.2f}<br>total %{customdata[0]:,.0f}"
                                         "<br>customers %{customdata[1]}<extra></extra>"))
    return apply(fig, f"Mean customer lifetime value by {group.replace('_', ' ')}", x=group, y="clv_mean")
