"""Figures of warehouse health: contract checks, loads, freshness, daily volumes.

Each takes a result of :mod:`cmokit.warehouse.health` (or of
:func:`cmokit.warehouse.check`) and returns a plotly Figure with the cmokit
template; no analysis happens here.

>>> import pandas as pd
>>> from cmokit.plots.health import freshness
>>> fig = freshness(pd.DataFrame({"table": ["orders"], "rows": [10], "days_behind": [2],
...     "latest_at": pd.to_datetime(["2025-12-29"])}))
>>> list(fig.data[0].x), list(fig.data[0].y)
(['orders'], [2])
"""

from __future__ import annotations

from cmokit.plots.theme import PALETTE, apply


def freshness(fresh):
    """Days each table is behind the snapshot date (bars; hover shows rows and latest timestamp)."""
    import plotly.graph_objects as go

    data = fresh.dropna(subset=["days_behind"])
    fig = go.Figure(go.Bar(
        x=list(data["table"]), y=[int(v) for v in data["days_behind"]], marker_color=PALETTE[0],
        customdata=list(zip(data["rows"], data["latest_at"].astype(str))),
        hovertemplate="%{x}<br>%{y} days behind<br>%{customdata[0]:,} rows<br>latest %{customdata[1]}<extra></extra>",
    ))
    return apply(fig, "Freshness: days behind the snapshot date", x="table", y="days_behind")


def daily_volumes(volumes):
    """Rows per day, one line per table (each table on its own row so small tables stay readable)."""
    from plotly.subplots import make_subplots

    tables = list(dict.fromkeys(volumes["table"]))
    fig = make_subplots(rows=max(1, len(tables)), cols=1, shared_xaxes=True, subplot_titles=tables,
                        vertical_spacing=0.04)
    for i, name in enumerate(tables, start=1):
        part = volumes[volumes["table"] == name]
        fig.add_scatter(x=part["day"], y=part["rows"], mode="lines", name=name, row=i, col=1,
                        line=dict(color=PALETTE[(i - 1) % len(PALETTE)], width=1.6))
    apply(fig, "Daily volumes (rows per UTC day)")
    fig.update_layout(height=max(320, 170 * len(tables)), showlegend=False)
    return fig


def loads(loaded):
    """Rows loaded and quarantined per table (from :func:`cmokit.warehouse.health.loads`), stacked."""
    import plotly.graph_objects as go

    per_table = loaded.groupby("table_name", sort=True)[["rows_loaded", "rows_quarantined"]].sum()
    fig = go.Figure()
    for column, colour in (("rows_loaded", PALETTE[0]), ("rows_quarantined", "#b42318")):
        fig.add_bar(x=list(per_table.index), y=[int(v) for v in per_table[column]],
                    name=column.replace("rows_", "").capitalize(), marker_color=colour)
    fig.update_layout(barmode="stack")
    apply(fig, "Rows loaded and quarantined by the build", x="table", y="rows")
    fig.update_yaxes(type="log")
    return fig


def checks(results):
    """Contract checks per table (from :func:`cmokit.warehouse.check`): passing vs failing, by severity."""
    import plotly.graph_objects as go

    tables = list(dict.fromkeys(results["table"]))
    failing = results["failing_rows"] > 0
    groups = [("passing", ~failing, "#1e7b4a")] + [
        (f"failing ({sev})", failing & (results["severity"] == sev), colour)
        for sev, colour in (("error", "#b42318"), ("warning", "#e07a1f"))
    ]
    fig = go.Figure()
    for name, mask, colour in groups:
        counts = results[mask].groupby("table").size().reindex(tables, fill_value=0)
        fig.add_bar(x=tables, y=[int(v) for v in counts.values], name=name, marker_color=colour)
    fig.update_layout(barmode="stack")
    return apply(fig, "Contract checks per table", x="table", y="checks")


__all__ = ["checks", "daily_volumes", "freshness", "loads"]
