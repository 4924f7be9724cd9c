"""The shared cmokit plotly template and labelling helpers."""

from __future__ import annotations

from cmokit.warehouse.contract import in_reporting_currency, label

PALETTE = ["#1f4e79", "#e07a1f", "#2e8b57", "#b8336a", "#6a4c93", "#8c8c8c", "#d4a017", "#3aa6b9", "#c0392b"]


def template():
    import plotly.graph_objects as go

    return go.layout.Template(
        layout=dict(
            font=dict(family="Inter, Helvetica, Arial, sans-serif", size=13, color="#222"),
            colorway=PALETTE,
            paper_bgcolor="white",
            plot_bgcolor="white",
            # automargin: long category labels (metric names, segments) widen the margin, never clip
            xaxis=dict(showgrid=True, gridcolor="#eee", zeroline=False, automargin=True),
            yaxis=dict(showgrid=True, gridcolor="#eee", zeroline=False, automargin=True),
            margin=dict(l=60, r=30, t=60, b=50),
            legend=dict(orientation="h", y=-0.2),
        )
    )


def apply(fig, title: str | None = None, x: str | None = None, y: str | None = None):
    """Give ``fig`` the cmokit template, a title and axis labels from the glossary.

    Money in the title and labels is named in the reporting currency (``$CMOKIT_CURRENCY``,
    which the report runner sets from the warehouse's build).
    """
    fig.update_layout(template=template())
    if title:
        fig.update_layout(title=dict(text=in_reporting_currency(title), x=0.01))
    if x:
        fig.update_xaxes(title_text=label(x))
    if y:
        fig.update_yaxes(title_text=label(y))
    return fig


__all__ = ["PALETTE", "apply", "label", "template"]
