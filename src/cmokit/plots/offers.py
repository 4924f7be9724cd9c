"""Best-offer figure: out-of-fold policy values with intervals.

Each takes a cmokit result and returns a plotly Figure with the shared template.
"""

from __future__ import annotations

from cmokit.plots.campaigns import _pandas
from cmokit.plots.theme import PALETTE, apply


def policy_values(values, *, title: str = "Incremental profit per customer by policy (out of fold)"):
    """Policy values with intervals (from :func:`cmokit.campaigns.policy_value`)."""
    import plotly.graph_objects as go

    frame = _pandas(values)
    col = "incremental_profit_per_customer"
    fig = go.Figure()
    fig.add_scatter(x=frame[col], y=frame["policy"], mode="markers", marker=dict(size=11, color=PALETTE[0]),
                    error_x=dict(type="data", symmetric=False, array=frame[f"{col}_upper"] - frame[col],
                                 arrayminus=frame[col] - frame[f"{col}_lower"]), name="Policy value")
    fig.add_vline(x=0, line_dash="dash", line_color=PALETTE[5])
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Incremental profit per customer (EUR)")
