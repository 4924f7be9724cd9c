"""Campaign KPI figures: KPI by channel against target, KPI trend, spend vs revenue, pacing.

Each takes a result from :mod:`cmokit.campaigns` (pandas or polars) and returns a plotly Figure.
"""

from __future__ import annotations

import pandas as pd

from cmokit.plots.theme import PALETTE, apply

KPI_LABELS = {
    "spend": "Spend (EUR)", "attributed_revenue": "Attributed revenue (EUR)", "orders": "Orders",
    "new_customers": "New customers", "roas": "ROAS (revenue / spend)", "roi": "ROI",
    "cpa": "CPA (EUR per order)", "cac": "CAC (EUR per new customer)", "ltv_cac": "LTV : CAC",
    "payback_days": "Payback (days)", "ctr": "Click-through rate",
}


def _pandas(frame) -> pd.DataFrame:
    return frame.to_pandas() if type(frame).__module__.startswith("polars") else frame


#: Largest / smallest positive bar above which :func:`kpi_bars` switches to a log axis.
DOMINANCE = 20.0


def _text(kpi: str, value) -> str:
    from cmokit.plots.format import column_kind, formatter

    return formatter(column_kind(kpi))(value)


def needs_log_axis(values, dominance: float = DOMINANCE) -> bool:
    """True when the largest positive value is more than ``dominance`` times the smallest one:
    on a linear axis the small bars would be slivers (e-mail's ROAS of 417 beside paid ROAS near 2).

    >>> needs_log_axis([417.0, 2.1, 1.4]), needs_log_axis([3.0, 2.1, 1.4])
    (True, False)
    """
    positive = [float(v) for v in values if v is not None and v == v and float(v) > 0]
    return len(positive) > 1 and max(positive) / min(positive) > dominance


def kpi_bars(kpis, kpi: str = "roas", *, by: str = "channel", status=None, title: str | None = None,
             log: bool | None = None):
    """Bars of one KPI per group, each labelled with its value; with a
    :func:`~cmokit.campaigns.kpi_status` table, target markers and bars coloured by status.

    ``log=None`` uses a log axis when one group dominates (:func:`needs_log_axis`), so every bar
    stays readable; the labels carry the exact values either way.
    """
    import plotly.graph_objects as go

    frame = _pandas(kpis).sort_values(kpi, ascending=False, na_position="last")
    log = needs_log_axis(frame[kpi]) if log is None else log
    colours = [PALETTE[0]] * len(frame)
    fig = go.Figure()
    if status is not None:
        st = _pandas(status)
        st = st[st["kpi"] == kpi].set_index(by)
        tone = {"on_target": PALETTE[2], "watch": PALETTE[6], "off_target": PALETTE[8], "no_data": PALETTE[5]}
        colours = [tone.get(st["status"].get(g), PALETTE[0]) for g in frame[by]]
        fig.add_scatter(x=frame[by], y=[st["target"].get(g) for g in frame[by]], mode="markers", name="Target",
                        marker=dict(symbol="line-ew-open", size=28, line=dict(width=3, color="#222")))
    fig.add_bar(x=frame[by], y=frame[kpi], marker_color=colours, name=KPI_LABELS.get(kpi, kpi),
                text=[_text(kpi, v) for v in frame[kpi]], textposition="outside", cliponaxis=False)
    fig = apply(fig, (title or f"{KPI_LABELS.get(kpi, kpi)} by {by.replace('_', ' ')}") + (" (log scale)" if log else ""),
                x=by, y=None)
    return fig.update_yaxes(title_text=KPI_LABELS.get(kpi, kpi), type="log" if log else "linear")


def kpi_trend(kpis, kpi: str = "roas", *, group: str = "channel", title: str | None = None,
              log: bool | None = None):
    """Lines of one KPI per period for each group (from ``campaign_kpis(..., period=...)``); a log
    axis when one group dominates (``log=None``, see :func:`needs_log_axis`)."""
    import plotly.graph_objects as go

    frame = _pandas(kpis).sort_values("period")
    fig = go.Figure()
    for i, (name, rows) in enumerate(frame.groupby(group, sort=True)):
        fig.add_scatter(x=rows["period"], y=rows[kpi], mode="lines+markers", name=str(name),
                        line=dict(color=PALETTE[i % len(PALETTE)]))
    log = needs_log_axis(frame[kpi]) if log is None else log
    fig = apply(fig, (title or f"{KPI_LABELS.get(kpi, kpi)} over time") + (" (log scale)" if log else ""), x="period")
    return fig.update_yaxes(title_text=KPI_LABELS.get(kpi, kpi), type="log" if log else "linear").update_xaxes(title_text="Period")


def spend_vs_revenue(kpis, *, by: str = "channel", title: str = "Spend vs attributed revenue"):
    """Scatter of spend against attributed revenue per group, with the break-even line (ROAS 1)."""
    import plotly.graph_objects as go

    frame = _pandas(kpis)
    top = float(max(frame["spend"].max(), 1.0))
    fig = go.Figure()
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="Break-even (ROAS 1)",
                    line=dict(dash="dash", color=PALETTE[5]))
    fig.add_scatter(x=frame["spend"], y=frame["attributed_revenue"], mode="markers+text", text=frame[by],
                    textposition="top center", name=by.replace("_", " ").capitalize(),
                    marker=dict(size=12, color=PALETTE[0]))
    return apply(fig, title, x="spend", y="attributed_revenue").update_xaxes(title_text="Spend (EUR)").update_yaxes(
        title_text="Attributed revenue (EUR)")


def pacing_bars(pacing, *, title: str = "Budget pacing: share spent vs share of flight elapsed"):
    """Horizontal bars of budget spent per campaign with a marker at the share of flight elapsed."""
    import plotly.graph_objects as go

    frame = _pandas(pacing)
    frame = frame[frame["budget"].notna()].sort_values("campaign_id")
    tone = {"on_pace": PALETTE[2], "underpacing": PALETTE[6], "overpacing": PALETTE[8], "not_started": PALETTE[5]}
    fig = go.Figure()
    fig.add_bar(y=frame["campaign_id"], x=frame["spent_share"], orientation="h", name="Budget spent",
                marker_color=[tone.get(s, PALETTE[0]) for s in frame["status"]], customdata=frame["status"],
                hovertemplate="%{y}: %{x:.0%} spent (%{customdata})<extra></extra>")
    fig.add_scatter(y=frame["campaign_id"], x=frame["elapsed_share"], mode="markers", name="Flight elapsed",
                    marker=dict(symbol="line-ns-open", size=16, line=dict(width=3, color="#222")))
    fig = apply(fig, title, y="campaign_id")
    return fig.update_xaxes(title_text="Share of budget / flight", tickformat=".0%")
