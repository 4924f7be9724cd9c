"""Executive review figures: the revenue bridge as a waterfall.

Takes :func:`cmokit.reports.review.revenue_bridge` and returns a plotly Figure.
"""

from __future__ import annotations

from cmokit.plots.format import money
from cmokit.plots.theme import PALETTE, apply

FACTOR_LABELS = {"customers": "Active customers", "orders_per_customer": "Orders per customer",
                 "avg_order_value": "Order value"}


def revenue_bridge(bridge, *, title: str = "What moved revenue: customers × orders per customer × order value"):
    """Waterfall from the earlier revenue to the current one through each factor's contribution.

    >>> import pandas as pd
    >>> b = pd.DataFrame({"factor": ["customers", "orders_per_customer", "avg_order_value", "revenue"],
    ...                   "before": [10, 1.0, 10.0, 100.0], "now": [12, 1.0, 10.0, 120.0],
    ...                   "change": [0.2, 0.0, 0.0, 0.2], "contribution": [20.0, 0.0, 0.0, 20.0]})
    >>> list(revenue_bridge(b).data[0].measure)
    ['absolute', 'relative', 'relative', 'relative', 'total']
    """
    import plotly.graph_objects as go

    from cmokit._frames import to_pandas

    frame = to_pandas(bridge).set_index("factor")
    before, now = float(frame.loc["revenue", "before"]), float(frame.loc["revenue", "now"])
    steps = [f for f in FACTOR_LABELS if f in frame.index]
    values = [before] + [float(frame.loc[f, "contribution"]) for f in steps] + [now]
    text = [money(before)] + [("+" if v >= 0 else "") + money(v) for v in values[1:-1]] + [money(now)]
    fig = go.Figure(go.Waterfall(
        x=["Before"] + [FACTOR_LABELS[f] for f in steps] + ["Now"], y=values, text=text, textposition="outside",
        measure=["absolute"] + ["relative"] * len(steps) + ["total"], cliponaxis=False,
        increasing=dict(marker=dict(color=PALETTE[2])), decreasing=dict(marker=dict(color=PALETTE[8])),
        totals=dict(marker=dict(color=PALETTE[0])), connector=dict(line=dict(color="#999"))))
    low = min(before, now, *[before + sum(values[1:i + 1]) for i in range(1, len(steps) + 1)])
    fig.update_yaxes(range=[low * 0.9, max(before, now) * 1.05 + max(0.0, *values[1:-1])])
    return apply(fig, title).update_yaxes(title_text="Revenue (EUR)").update_layout(showlegend=False)


__all__ = ["revenue_bridge"]
