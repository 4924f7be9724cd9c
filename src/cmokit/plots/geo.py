"""Geo test figures: treated regions vs their synthetic control, minimum detectable lift by design.

Each takes a cmokit result and returns a plotly Figure with the shared template.
"""

from __future__ import annotations

from cmokit.plots.campaigns import _pandas
from cmokit.plots.theme import PALETTE, apply


def treated_vs_counterfactual(test, *, title: str | None = None):
    """Observed KPI of the treated regions and their synthetic-control counterfactual, test period shaded.

    ``test`` is a fitted :class:`cmokit.geo.GeoTest` (or its ``series_`` frame).
    """
    import plotly.graph_objects as go

    series = _pandas(getattr(test, "series_", test))
    fig = go.Figure()
    fig.add_scatter(x=series["day"], y=series["observed"], mode="lines", name="Treated regions (observed)",
                    line=dict(color=PALETTE[0]))
    fig.add_scatter(x=series["day"], y=series["counterfactual"], mode="lines", name="Synthetic control (counterfactual)",
                    line=dict(color=PALETTE[1], dash="dash"))
    in_test = series[series["period"] == "test"]
    if len(in_test):
        fig.add_vrect(x0=in_test["day"].min(), x1=in_test["day"].max(), fillcolor=PALETTE[5], opacity=0.15,
                      line_width=0, annotation_text="test", annotation_position="top left")
    if title is None:
        summary = getattr(test, "summary_", None)
        title = "Treated regions vs synthetic control"
        if summary is not None and not len(series):
            title = "No geo test read out"
        elif summary is not None:
            s = summary.iloc[0]
            title += f": lift {s.lift:+.1%} ({s.lift_lower:+.1%} to {s.lift_upper:+.1%}), p = {s.p_value:.3f}"
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Day").update_yaxes(title_text="Revenue (EUR)")


def design_mde(design, *, title: str = "Minimum detectable lift by design (80 % power)"):
    """MDE of each candidate design by test length (from :func:`cmokit.geo.geo_design`)."""
    import plotly.graph_objects as go

    frame = _pandas(design)
    fig = go.Figure()
    for i, (days, rows) in enumerate(frame.groupby("test_days", sort=True)):
        fig.add_bar(x=rows["treated_regions"], y=rows["mde"], name=f"{days} days", marker_color=PALETTE[i % len(PALETTE)],
                    customdata=rows[["test_cost"]].to_numpy(), hovertemplate="MDE %{y:.1%}<br>cost %{customdata[0]:,.0f} EUR")
    fig = apply(fig, title)
    fig.update_layout(barmode="group")
    return fig.update_xaxes(title_text="Treated regions").update_yaxes(title_text="Minimum detectable lift",
                                                                      tickformat=".0%")
