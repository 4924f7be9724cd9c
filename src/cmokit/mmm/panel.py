"""The media panel: revenue and spend per channel per week (or day), built in the engine.

One row per period: ``period`` (the Monday of the ISO week, or the day), ``revenue``
(sum of ``orders.revenue`` ordered in the period, EUR), then one spend column per
channel named after the channel (sum of ``marketing_spend.spend``, EUR), then any
controls (``holiday``: number of listed holiday days in the period, and columns
joined from a ``controls`` frame keyed by ``period``). Periods with no orders or
no spend are present with zeros.

When the source has a ``lift_tests`` table, the tests measured on ``kpi`` inside the window
are attached as ``panel.attrs["lift_tests"]`` (a list of
:class:`~cmokit.mmm.calibration.LiftTest`); :class:`~cmokit.mmm.MediaMixModel` calibrates
with them unless told otherwise (``calibration=[]``). Polars and Arrow frames carry no
attributes: pass ``calibration=cmokit.mmm.lift_tests(source)`` there.

``kpi="first_order_revenue"`` counts only each customer's first order (new-customer
revenue: the acquisition view of media); guest orders (no ``customer_id``) are left out.

>>> import pandas as pd, cmokit
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c1"],
...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-01-10"]),
...     "revenue": [10.0, 5.0], "campaign_id": [None, None]})
>>> spend = pd.DataFrame({"spend_date": pd.to_datetime(["2024-01-03"]).date,
...     "campaign_id": ["k1"], "channel": ["display"], "spend": [4.0],
...     "impressions": [100], "clicks": [1]})
>>> wh = cmokit.connect({"orders": orders, "marketing_spend": spend})
>>> media_panel(wh, start="2024-01-01", end="2024-01-14")[["period", "revenue", "display"]]
      period  revenue  display
0 2024-01-01     10.0      4.0
1 2024-01-08      5.0      0.0
"""

from __future__ import annotations

from cmokit.errors import ConfigError

GRANULARITIES = {"week": ("W", "W-MON"), "day": ("D", "D")}


def _window(start, end):
    import pandas as pd

    start = pd.Timestamp(start).normalize()
    end = pd.Timestamp(end).normalize()
    if end < start:
        raise ConfigError(f"end ({end.date()}) is before start ({start.date()})")
    return start, end


def media_panel(source, start, end, *, granularity: str = "week", channels=None,
                kpi: str = "revenue", holidays=None, controls=None):
    """Revenue and spend per channel per period, aggregated in the engine.

    Parameters
    ----------
    source
        A :class:`cmokit.warehouse.Warehouse`, a path, or a dict of frames with
        ``orders`` and ``marketing_spend``.
    start, end : str or date
        First and last day included (UTC). Weeks start on Monday; choose
        ``start`` on a Monday and ``end`` on a Sunday for whole weeks.
    granularity : {"week", "day"}
    channels : list of str, optional
        Spend columns to keep (default: every channel with spend in the window).
    kpi : {"revenue", "first_order_revenue"}
        All order revenue, or only customers' first orders.
    holidays : list of dates, optional
        Adds a ``holiday`` column: number of these days in each period.
    controls : DataFrame, optional
        Extra regressors keyed by ``period`` (same granularity), left-joined.

    Returns
    -------
    DataFrame (pandas for a warehouse, the caller's kind for frames), one row per period.
    """
    import ibis
    import pandas as pd

    from cmokit.warehouse.connect import resolve

    if granularity not in GRANULARITIES:
        raise ConfigError(f"granularity must be one of {sorted(GRANULARITIES)}, not {granularity!r}")
    if kpi not in ("revenue", "first_order_revenue"):
        raise ConfigError(f"kpi must be 'revenue' or 'first_order_revenue', not {kpi!r}")
    start, end = _window(start, end)
    res = resolve(source, "orders")
    unit, freq = GRANULARITIES[granularity]
    lo = ibis.literal(start.to_pydatetime(), type="timestamp")
    hi = ibis.literal((end + pd.Timedelta(days=1)).to_pydatetime(), type="timestamp")

    orders = res.table("orders")
    if kpi == "first_order_revenue":  # a guest order has no customer, so no first order to be
        orders = orders.filter(orders.customer_id.notnull())  # (ranked over NULL they were one "customer")
        rank = ibis.row_number().over(ibis.window(group_by=orders.customer_id,
                                                  order_by=[orders.ordered_at, orders.order_id]))
        orders = orders.mutate(_rank=rank).filter(lambda t: t._rank == 0)
    orders = orders.filter((orders.ordered_at >= lo) & (orders.ordered_at < hi))
    rev = (orders.mutate(period=orders.ordered_at.truncate(unit).cast("date"))
           .group_by("period").aggregate(revenue=orders.revenue.sum().cast("float64")))

    spend = res.table("marketing_spend")
    day = spend.spend_date.cast("date")
    spend = spend.filter((day >= ibis.literal(start.date())) & (day <= ibis.literal(end.date())))
    if channels is not None:
        spend = spend.filter(spend.channel.isin(list(channels)))
    sp = (spend.mutate(period=spend.spend_date.cast("timestamp").truncate(unit).cast("date"))
          .group_by(["period", "channel"]).aggregate(spend=spend.spend.sum().cast("float64")))

    rev_df = res.warehouse.execute(rev, output="pandas")
    sp_df = res.warehouse.execute(sp, output="pandas")
    periods = pd.date_range(start, end, freq=freq if granularity == "day" else "W-MON")
    if granularity == "week" and (len(periods) == 0 or periods[0] > start):
        periods = pd.date_range(start - pd.Timedelta(days=start.weekday()), end, freq="W-MON")
    panel = pd.DataFrame({"period": periods})
    rev_df["period"] = pd.to_datetime(rev_df["period"])
    panel = panel.merge(rev_df, on="period", how="left")
    wide = pd.DataFrame(index=pd.Index(periods, name="period"))
    if len(sp_df):
        sp_df["period"] = pd.to_datetime(sp_df["period"])
        wide = sp_df.pivot_table(index="period", columns="channel", values="spend", aggfunc="sum")
        wide = wide.reindex(periods)
    names = list(channels) if channels is not None else sorted(wide.columns)
    for name in names:
        panel[name] = wide[name].to_numpy() if name in wide.columns else 0.0
    panel = panel.fillna(0.0)
    if holidays is not None:
        days = pd.to_datetime(pd.Series(list(holidays)))
        keys = days.dt.to_period("W-SUN").dt.start_time if granularity == "week" else days.dt.normalize()
        counts = keys.value_counts()
        panel["holiday"] = panel["period"].map(counts).fillna(0).astype(float)
    if controls is not None:
        ctrl = controls.to_pandas() if type(controls).__module__.startswith("polars") else controls.copy()
        ctrl["period"] = pd.to_datetime(ctrl["period"])
        panel = panel.merge(ctrl, on="period", how="left")
    panel.attrs["granularity"] = granularity
    panel.attrs["kpi"] = kpi
    if res.warehouse.has_table("lift_tests"):  # lift tests are data: the model calibrates with them
        from cmokit.mmm.calibration import from_table

        tests = res.warehouse.execute(res.table("lift_tests"), output="pandas")
        panel.attrs["lift_tests"] = from_table(tests, kpi, start, end)
    return res.finish(panel)


__all__ = ["media_panel"]
