"""Running-test figure: daily lift with always-valid and fixed-horizon intervals.

Each takes a cmokit result and returns a plotly Figure with the shared template.
"""

from __future__ import annotations

from cmokit.plots.campaigns import _pandas
from cmokit.plots.theme import PALETTE, apply


def running_test(readout, variant: str | None = None, metric: str = "conversion", *,
                 title: str | None = None):
    """Daily lift of a running test with fixed-horizon and always-valid intervals
    (from :func:`cmokit.campaigns.sequential_readout`)."""
    import plotly.graph_objects as go

    frame = _pandas(readout)
    frame = frame[frame["metric"] == metric]
    if variant is None:
        variant = sorted(frame["variant"].unique())[0]
    frame = frame[frame["variant"] == variant]
    fig = go.Figure()
    for name, lo, hi, color in (("Always-valid interval", "always_valid_lower", "always_valid_upper", PALETTE[0]),
                                ("Fixed-horizon interval (one look only)", "fixed_lower", "fixed_upper", PALETTE[1])):
        fig.add_scatter(x=frame["day"], y=frame[hi], mode="lines", line=dict(width=0, color=color), showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=frame["day"], y=frame[lo], mode="lines", line=dict(width=0, color=color), fill="tonexty",
                        name=name, opacity=0.3)
    fig.add_scatter(x=frame["day"], y=frame["abs_lift"], mode="lines+markers", name="Lift vs control",
                    line=dict(color=PALETTE[3]))
    fig.add_hline(y=0, line_dash="dash", line_color=PALETTE[5])
    fig = apply(fig, title or f"{variant}: {metric.replace('_', ' ')} lift by day of the test")
    return fig.update_xaxes(title_text="Day").update_yaxes(title_text="Absolute lift")
