"""Figures for the marketing-mix model: a result in, a plotly Figure out.

Each function takes a tidy result of :mod:`cmokit.mmm` (no analysis here).
"""

from __future__ import annotations

from cmokit.plots.theme import PALETTE, apply


def _go():
    import plotly.graph_objects as go

    return go


def decomposition(contributions, title: str = "Revenue decomposition"):
    """Stacked areas of contribution per component over time
    (``MediaMixModel.contributions()``)."""
    go = _go()
    fig = go.Figure()
    for i, (name, part) in enumerate(contributions.groupby("component", sort=False)):
        fig.add_trace(go.Scatter(x=part["period"], y=part["contribution"], name=name,
                                 mode="lines", stackgroup="one",
                                 line=dict(width=0.5, color=PALETTE[i % len(PALETTE)])))
    return apply(fig, title, x="period", y="revenue")


def roi(summary, title: str = "Return on media spend"):
    """ROI and marginal ROI per channel with interval bars (``MediaMixModel.roi()``)."""
    go = _go()
    fig = go.Figure()
    for name, col in [("ROI", "roi"), ("Marginal ROI", "marginal_roi")]:
        fig.add_trace(go.Bar(
            x=summary["channel"], y=summary[col], name=name,
            error_y=dict(type="data", symmetric=False,
                         array=summary[f"{col}_upper"] - summary[col],
                         arrayminus=summary[col] - summary[f"{col}_lower"])))
    fig.add_hline(y=1.0, line_dash="dot", line_color="#888")
    fig.update_layout(barmode="group")
    return apply(fig, title, x="channel", y="roi")


def response_curves(curves, title: str = "Response curves (revenue per period at steady spend)"):
    """Revenue per period against spend per period, per channel, with interval bands and
    the current spend marked (``MediaMixModel.response_curves()``)."""
    go = _go()
    fig = go.Figure()
    for i, (ch, part) in enumerate(curves.groupby("channel", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=list(part["spend"]) + list(part["spend"])[::-1],
                                 y=list(part["revenue_upper"]) + list(part["revenue_lower"])[::-1],
                                 fill="toself", fillcolor=color, opacity=0.15, line=dict(width=0),
                                 showlegend=False, hoverinfo="skip", name=f"{ch} interval"))
        fig.add_trace(go.Scatter(x=part["spend"], y=part["revenue"], name=ch, mode="lines",
                                 line=dict(color=color)))
        now = part[part["is_current"]]
        fig.add_trace(go.Scatter(x=now["spend"], y=now["revenue"], mode="markers", showlegend=False,
                                 marker=dict(color=color, size=9, symbol="diamond"), name=f"{ch} current"))
    return apply(fig, title, x="spend", y="revenue")


def adstock_curves(curves, title: str = "Carry-over: share of an effect by lag"):
    """Adstock weight share per lag and channel (``MediaMixModel.adstock_curves()``)."""
    go = _go()
    fig = go.Figure()
    for ch, part in curves.groupby("channel", sort=False):
        fig.add_trace(go.Scatter(x=part["lag"], y=part["share"], name=ch, mode="lines+markers"))
    fig = apply(fig, title)
    fig.update_xaxes(title_text="Lag (periods)")
    fig.update_yaxes(title_text="Share of effect")
    return fig


def budget(plan, title: str = "Current and recommended budget"):
    """Current vs recommended budget per channel (``optimize_budget(...).allocation``
    or the :class:`~cmokit.mmm.budget.BudgetPlan`)."""
    go = _go()
    allocation = getattr(plan, "allocation", plan)
    fig = go.Figure([
        go.Bar(x=allocation["channel"], y=allocation["current_budget"], name="Current"),
        go.Bar(x=allocation["channel"], y=allocation["budget"], name="Recommended"),
    ])
    fig.update_layout(barmode="group")
    fig = apply(fig, title, x="channel")
    fig.update_yaxes(title_text="Budget (EUR)")
    return fig


def forecast(prediction, actual=None, title: str = "Predicted revenue"):
    """Predicted revenue with its interval (``forward_plan`` / ``MediaMixModel.predict``),
    optionally against actual revenue (a frame with period and revenue)."""
    go = _go()
    p = prediction
    fig = go.Figure([
        go.Scatter(x=list(p["period"]) + list(p["period"])[::-1],
                   y=list(p["revenue_upper"]) + list(p["revenue_lower"])[::-1],
                   fill="toself", opacity=0.2, line=dict(width=0), name="Interval", hoverinfo="skip"),
        go.Scatter(x=p["period"], y=p["revenue"], name="Predicted", mode="lines"),
    ])
    if actual is not None:
        fig.add_trace(go.Scatter(x=actual["period"], y=actual["revenue"], name="Actual", mode="markers",
                                 marker=dict(size=4)))
    return apply(fig, title, x="period", y="revenue")


__all__ = ["adstock_curves", "budget", "decomposition", "forecast", "response_curves", "roi"]
