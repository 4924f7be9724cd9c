"""Experiment figures: lift with intervals, Qini curve, uplift by decile and by share targeted, pilot sizes.

Each takes a result from :mod:`cmokit.campaigns` and returns a plotly Figure.
"""

from __future__ import annotations

from cmokit.plots.campaigns import _pandas
from cmokit.plots.theme import PALETTE, apply

METRIC_LABELS = {"conversion": "Conversion rate", "revenue_per_customer": "Revenue per customer (EUR)",
                 "orders_per_customer": "Orders per customer"}


def lift_intervals(readout, *, relative: bool = True, title: str = "Lift vs control with 95 % intervals"):
    """Point and interval of each variant's lift on each metric (relative by default)."""
    import plotly.graph_objects as go

    frame = _pandas(readout)
    col = "rel_lift" if relative else "abs_lift"
    fig = go.Figure()
    for i, (variant, rows) in enumerate(frame.groupby("variant", sort=True)):
        labels = [METRIC_LABELS.get(m, m) for m in rows["metric"]]
        fig.add_scatter(
            x=rows[col], y=labels, mode="markers", name=str(variant),
            marker=dict(size=11, color=PALETTE[i % len(PALETTE)]),
            error_x=dict(type="data", symmetric=False, array=rows[f"{col}_upper"] - rows[col],
                         arrayminus=rows[col] - rows[f"{col}_lower"]),
        )
    fig.add_vline(x=0, line_dash="dash", line_color=PALETTE[5])
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Relative lift" if relative else "Absolute lift",
                            tickformat=".0%" if relative else None)


def qini_plot(curve, *, title: str = "Qini curve: incremental conversions by share targeted"):
    """The Qini curve of a model against random targeting (from :func:`~cmokit.campaigns.qini_curve`)."""
    import plotly.graph_objects as go

    frame = _pandas(curve)
    fig = go.Figure()
    fig.add_scatter(x=frame["share"], y=frame["qini"], mode="lines", name="Model", line=dict(color=PALETTE[0]))
    fig.add_scatter(x=frame["share"], y=frame["qini_random"], mode="lines", name="Random targeting",
                    line=dict(dash="dash", color=PALETTE[5]))
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Share of customers targeted", tickformat=".0%").update_yaxes(
        title_text="Incremental outcome (Qini)")


def decile_bars(deciles, *, title: str = "Observed vs predicted uplift by decile of predicted uplift"):
    """Observed uplift per bin with its interval, and the mean predicted uplift."""
    import plotly.graph_objects as go

    frame = _pandas(deciles)
    fig = go.Figure()
    fig.add_bar(x=frame["bin"], y=frame["observed_uplift"], name="Observed", marker_color=PALETTE[0],
                error_y=dict(type="data", symmetric=False,
                             array=frame["observed_uplift_upper"] - frame["observed_uplift"],
                             arrayminus=frame["observed_uplift"] - frame["observed_uplift_lower"]))
    fig.add_scatter(x=frame["bin"], y=frame["predicted_uplift"], mode="lines+markers", name="Predicted",
                    line=dict(color=PALETTE[1]))
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Bin of predicted uplift (1 = highest)", dtick=1).update_yaxes(
        title_text="Uplift")


def share_curve(by_share, *, title: str = "Incremental outcome of targeting the top share, observed in the experiment",
                y_title: str = "Incremental outcome"):
    """Observed incremental outcome of the top share with its interval, against the model's predicted sum.

    From :func:`~cmokit.campaigns.uplift_by_share` on out-of-fold predictions; the predicted line
    is the mean predicted uplift times the customers targeted (model-based).
    """
    import plotly.graph_objects as go

    frame = _pandas(by_share)
    fig = go.Figure()
    fig.add_scatter(x=frame["share"], y=frame["incremental"], mode="lines+markers", name="Observed (experiment)",
                    line=dict(color=PALETTE[0]),
                    error_y=dict(type="data", symmetric=False, array=frame["incremental_upper"] - frame["incremental"],
                                 arrayminus=frame["incremental"] - frame["incremental_lower"]))
    fig.add_scatter(x=frame["share"], y=frame["predicted_uplift"] * frame["targeted"], mode="lines",
                    name="Predicted (model)", line=dict(dash="dash", color=PALETTE[1]))
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Share of customers targeted", tickformat=".0%").update_yaxes(title_text=y_title)


def pilot_sizes(plan, *, title: str = "Customers per arm needed for the next pilot"):
    """Bars of control-arm size per metric and relative MDE (from :func:`~cmokit.campaigns.plan_pilot`)."""
    import plotly.graph_objects as go

    frame = _pandas(plan)
    fig = go.Figure()
    for i, (metric, rows) in enumerate(frame.groupby("metric", sort=True)):
        fig.add_bar(x=[f"{r:.0%}" for r in rows["relative_mde"]], y=rows["n_control"],
                    name=METRIC_LABELS.get(metric, metric), marker_color=PALETTE[i % len(PALETTE)])
    fig.update_layout(barmode="group")
    fig = apply(fig, title)
    return fig.update_xaxes(title_text="Minimum detectable relative lift").update_yaxes(
        title_text="Customers per arm", type="log")
