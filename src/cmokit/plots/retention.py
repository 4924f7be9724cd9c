"""Figures for retention: cohort heatmaps, survival curves, churn-model calibration."""

from __future__ import annotations

from cmokit.plots.theme import apply


def cohort_heatmap(table, value: str = "customer_retention"):
    """Heatmap of a cohort table: acquisition month × months since first order.

    ``table`` is :func:`cmokit.retention.cohorts` output; ``value`` one of
    ``customer_retention``, ``revenue_retention``, ``cumulative_revenue_per_customer``.
    """
    import plotly.graph_objects as go

    from cmokit.retention.cohorts import cohort_matrix

    m = cohort_matrix(table, value)
    percent = value.endswith("retention")
    fig = go.Figure(go.Heatmap(
        z=m.to_numpy(), x=[int(c) for c in m.columns], y=[str(i) for i in m.index],
        colorscale="Blues", zmin=0, zmax=1 if percent else None,
        colorbar=dict(tickformat=".0%" if percent else ",.0f"),
    ))
    fig.update_yaxes(autorange="reversed")
    title = {"customer_retention": "Customer retention by acquisition cohort",
             "revenue_retention": "Revenue retention by acquisition cohort",
             "cumulative_revenue_per_customer": "Cumulative revenue per customer (EUR) by cohort"}.get(value, value)
    return apply(fig, title, x="months_since_first", y="cohort_month")


def survival_curves(curves):
    """Kaplan–Meier step curves with 95% bands; ``curves`` from :func:`cmokit.retention.kaplan_meier`."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for group, g in curves.groupby("group", sort=True):
        fig.add_trace(go.Scatter(x=g["duration_days"], y=g["survival"], mode="lines", line_shape="hv",
                                 name=str(group), legendgroup=str(group)))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return apply(fig, "Share of customers still active (Kaplan–Meier)", x="duration_days", y="survival")


def calibration(table):
    """Predicted vs observed churn rate by score decile; ``table`` is ``ChurnModel.calibration_``."""
    import plotly.graph_objects as go

    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Perfect calibration", line=dict(dash="dot", color="#8c8c8c")),
        go.Scatter(x=table["mean_predicted"], y=table["observed_rate"], mode="lines+markers", name="Churn model"),
    ])
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return apply(fig, "Churn model calibration (time-based holdout)", x="mean_predicted", y="observed_rate")


__all__ = ["calibration", "cohort_heatmap", "survival_curves"]
