"""Campaign KPIs, defined once: spend, revenue, orders, new customers, ROI, ROAS, CPA, CAC,
LTV:CAC and payback, by campaign / channel / total and by day / week / month.

Every formula lives in :data:`KPI_DEFINITIONS` (mirrored in DECISIONS.md) and is computed
in the engine as an Ibis expression, so DuckDB and Spark give the same numbers and only one
row per group comes back.

Definitions (``margin`` is the gross margin applied to revenue, 1.0 = revenue-based)::

    spend              = sum(marketing_spend.spend)
    attributed_revenue = sum(orders.revenue) of orders whose campaign_id is the campaign
                         (the shop's own last-click attribution)
    orders             = count of those orders
    new_customers      = customers whose first-ever order is one of those orders
    ROAS               = attributed_revenue / spend
    ROI                = (margin * attributed_revenue - spend) / spend
    CPA                = spend / orders
    CAC                = spend / new_customers
    LTV:CAC            = mean(clv of the new customers) / CAC          (when CLV scores given)
    payback_days       = CAC / (margin * daily revenue of the new customers), where daily
                         revenue = sum of their revenue up to as_of / sum of their days observed

A ratio with a zero denominator is null (never infinite).

>>> import pandas as pd, cmokit
>>> from cmokit.campaigns import campaign_kpis
>>> wh = cmokit.connect({
...   "campaigns": pd.DataFrame({"campaign_id": ["c1"], "campaign_name": ["Spring"],
...       "channel": ["email"], "starts_on": pd.to_datetime(["2024-01-01"]).date,
...       "ends_on": pd.to_datetime(["2024-01-31"]).date, "budget": [100.0]}),
...   "marketing_spend": pd.DataFrame({"spend_date": pd.to_datetime(["2024-01-02"]).date,
...       "campaign_id": ["c1"], "channel": ["email"], "spend": [50.0],
...       "impressions": [1000], "clicks": [10]}),
...   "orders": pd.DataFrame({"order_id": ["o1"], "customer_id": ["k1"],
...       "ordered_at": pd.to_datetime(["2024-01-03"]), "revenue": [200.0],
...       "campaign_id": ["c1"]})})
>>> kpi = campaign_kpis(wh, as_of="2024-01-31")
>>> float(kpi.loc[0, "roas"]), float(kpi.loc[0, "roi"]), int(kpi.loc[0, "new_customers"])
(4.0, 3.0, 1)
"""

from __future__ import annotations

from cmokit._frames import require_columns
from cmokit._inputs import snapshot
from cmokit.errors import ConfigError
from cmokit.warehouse.connect import resolve

#: KPI name -> (definition, direction: "higher" or "lower" is better).
KPI_DEFINITIONS: dict[str, tuple[str, str]] = {
    "spend": ("sum of marketing_spend.spend (EUR)", "lower"),
    "attributed_revenue": ("sum of revenue of orders attributed to the campaign (EUR)", "higher"),
    "orders": ("number of orders attributed to the campaign", "higher"),
    "new_customers": ("customers whose first-ever order is attributed to the campaign", "higher"),
    "roas": ("attributed_revenue / spend", "higher"),
    "roi": ("(margin * attributed_revenue - spend) / spend", "higher"),
    "cpa": ("spend / orders (EUR)", "lower"),
    "cac": ("spend / new_customers (EUR)", "lower"),
    "ltv_cac": ("mean CLV of new customers / CAC", "higher"),
    "payback_days": ("CAC / (margin * daily revenue of the new customers)", "lower"),
    "net_revenue": ("sum of orders.revenue - sum of refunds.amount booked in the window (EUR)", "higher"),
    "refund_rate": ("refunded amount / gross revenue", "lower"),
    "refund_count_rate": ("number of refunds / number of orders", "lower"),
}

GROUPINGS = {"campaign": ["campaign_id", "channel"], "channel": ["channel"], "total": []}
PERIODS = {"day": "D", "week": "W", "month": "M"}


def _ratio(num, den):
    """``num / den`` as float, null when ``den`` is zero or null."""
    import ibis

    den = den.cast("float64")
    return ibis.ifelse(den == 0, ibis.null("float64"), num.cast("float64") / den)


def _period(col, period):
    if period is None:
        return None
    if period not in PERIODS:
        raise ConfigError(f"period must be one of {', '.join(PERIODS)} or None, not {period!r}")
    return col.truncate(PERIODS[period]).cast("date")


def _date_window(col, start, end):
    """Predicates ``start <= col::date <= end`` (ISO days, inclusive) with bound literals."""
    import ibis

    from cmokit.engine import as_of_date

    preds = []
    if start is not None:
        preds.append(col.cast("date") >= ibis.literal(as_of_date(start)))
    if end is not None:
        preds.append(col.cast("date") <= ibis.literal(as_of_date(end)))
    return preds


def _first_orders(orders):
    """One row per customer: the id and time of their first-ever order (ties by order_id)."""
    import ibis

    w = ibis.window(group_by="customer_id", order_by=[ibis.asc("ordered_at"), ibis.asc("order_id")])
    ranked = orders.mutate(_rn=ibis.row_number().over(w))
    return ranked.filter(ranked._rn == 0).select(
        "customer_id", first_order_id=ranked.order_id, first_at=ranked.ordered_at
    )


def kpi_expr(wh, *, by: str = "campaign", period: str | None = None, start=None, end=None,
             as_of=None, margin: float = 1.0, clv=None, clv_column: str = "clv", revenue: str = "net"):
    """The Ibis expression behind :func:`campaign_kpis` (one row per group and period).

    ``as_of=None`` is the latest order day in ``wh`` (see :func:`campaign_kpis`).
    """
    import ibis

    from cmokit.engine import day_end, snapshot_day
    from cmokit.revenue import identified, less_refunds, net_orders, refunds_of

    if by not in GROUPINGS:
        raise ConfigError(f"by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    keys = list(GROUPINGS[by]) + (["period"] if period else [])
    day = snapshot_day(wh.table("orders"), as_of)
    end = end if end is not None else day
    # Start of the day after the snapshot day (a bound literal): orders before it count.
    as_of_ts = ibis.literal(day_end(day), type="timestamp")

    spend = wh.table("marketing_spend")
    spend = spend.filter(*_date_window(spend.spend_date, start, end)) if (start or end) else spend
    if period:
        spend = spend.mutate(period=_period(spend.spend_date, period))
    spend_agg = spend.group_by(keys).aggregate(
        spend=spend.spend.cast("float64").sum(), impressions=spend.impressions.sum(), clicks=spend.clicks.sum()
    ) if keys else spend.aggregate(
        spend=spend.spend.cast("float64").sum(), impressions=spend.impressions.sum(), clicks=spend.clicks.sum()
    )

    refunds = refunds_of(wh, revenue)
    orders_gross = wh.table("orders").filter(lambda t: t.ordered_at < as_of_ts)
    # Net of the refunds linked to each order (booked by as_of); every order still counts as an order.
    orders_all = net_orders(orders_gross, refunds, day)
    camp = wh.table("campaigns").select("campaign_id", "channel")
    first = _first_orders(identified(orders_gross))
    o = orders_all.filter(orders_all.campaign_id.notnull())
    if start or end:
        o = o.filter(*_date_window(o.ordered_at, start, end))
    o = o.join(camp, "campaign_id").left_join(first, "customer_id").select(
        "order_id", "customer_id", "campaign_id", "channel", "ordered_at", "revenue", "first_order_id", "first_at"
    )
    o = o.mutate(is_new=(o.order_id == o.first_order_id))
    if period:
        o = o.mutate(period=_period(o.ordered_at, period))

    # Revenue to date and days observed of every customer, for payback (new customers only).
    known = identified(orders_all)
    life = known.group_by("customer_id").aggregate(life_revenue=known.revenue.cast("float64").sum())
    life = less_refunds(life, refunds, day, ("life_revenue",))
    o = o.left_join(life, "customer_id").drop("customer_id_right")
    o = o.mutate(days_observed=as_of_ts.cast("date").delta(o.first_at.cast("date"), unit="day").cast("float64"))
    aggs = dict(
        attributed_revenue=o.revenue.cast("float64").sum(),
        orders=o.order_id.count(),
        new_customers=o.customer_id.nunique(where=o.is_new),
        new_life_revenue=o.life_revenue.sum(where=o.is_new),
        new_days_observed=o.days_observed.sum(where=o.is_new),
    )
    if clv is not None:
        scores = clv if isinstance(clv, ibis.expr.types.Table) else ibis.memtable(
            require_columns(clv, ("customer_id", clv_column), "clv scores", numeric=(clv_column,))[["customer_id", clv_column]])
        scores = scores.select(_clv_customer=scores.customer_id, _clv=scores[clv_column].cast("float64"))
        o = o.left_join(scores, o.customer_id == scores._clv_customer)
        aggs["mean_clv_new"] = o._clv.mean(where=o.is_new)
    if keys:
        ord_agg = o.group_by(keys).aggregate(**aggs)
        out = spend_agg.outer_join(ord_agg, keys)
        out = out.select(*[ibis.coalesce(out[k], out[k + "_right"]).name(k) for k in keys],
                         *[c for c in out.columns if c not in keys and not c.endswith("_right")])
    else:
        out = spend_agg.cross_join(o.aggregate(**aggs))

    zero = {c: ibis.coalesce(out[c], 0) for c in ("spend", "impressions", "clicks", "attributed_revenue",
                                                   "orders", "new_customers", "new_life_revenue", "new_days_observed")}
    out = out.mutate(**zero)
    m = ibis.literal(float(margin))
    out = out.mutate(
        roas=_ratio(out.attributed_revenue, out.spend),
        roi=_ratio(out.attributed_revenue * m - out.spend, out.spend),
        cpa=_ratio(out.spend, out.orders),
        cac=_ratio(out.spend, out.new_customers),
        ctr=_ratio(out.clicks, out.impressions),
    )
    daily = _ratio(out.new_life_revenue * m, out.new_days_observed)
    out = out.mutate(payback_days=_ratio(out.cac, daily))
    if clv is not None:
        out = out.mutate(ltv_cac=_ratio(out.mean_clv_new, out.cac)).drop("mean_clv_new")
    out = out.drop("new_life_revenue", "new_days_observed")
    return out.order_by(keys) if keys else out


def campaign_kpis(source, *, by: str = "campaign", period: str | None = None, start=None, end=None,
                  as_of=None, margin: float = 1.0, clv=None, clv_column: str = "clv", revenue: str = "net"):
    """Campaign KPIs by ``by`` (campaign | channel | total) and ``period`` (day | week | month).

    Parameters
    ----------
    source
        A :class:`~cmokit.warehouse.Warehouse`, a warehouse path, or a dict of frames shaped like
        ``campaigns``, ``marketing_spend`` and ``orders``.
    by : {"campaign", "channel", "total"}
        Grouping; ``campaign`` rows also carry the channel.
    period : {"day", "week", "month"} or None
        Calendar bucket of spend_date / ordered_at (weeks start on Monday); None = whole window.
    start, end : date-like, optional
        Inclusive window (UTC days, ISO ``YYYY-MM-DD``) on spend_date and ordered_at; ``end``
        defaults to ``as_of``.
    as_of : date-like, optional
        Snapshot day, a UTC day, inclusive: orders after it are ignored; payback observes
        customers up to it. ``None`` (default) is the latest order day in the data. To report a
        past window as it stood at its end, pass ``as_of=end``.
    margin : float
        Gross margin applied to revenue in ROI and payback (1.0 = revenue-based ROI).
    clv : DataFrame, optional
        Per-customer CLV scores (``customer_id`` and ``clv_column``) from :mod:`cmokit.clv`;
        adds ``ltv_cac``.
    revenue : {"net", "gross"}
        ``"net"`` (default): ``attributed_revenue`` (so ROAS, ROI) is net of the refunds linked
        to the attributed orders and booked by ``as_of``; payback also deducts the new
        customers' refunds without an order id. Every order still counts in ``orders``.
        ``"gross"``: refunds ignored. A source without a ``refunds`` table gives gross.
        Guest orders (no ``customer_id``) count in revenue and orders, never as new customers.

    Returns
    -------
    DataFrame
        One row per group (and period): spend, impressions, clicks, attributed_revenue, orders,
        new_customers, roas, roi, cpa, cac, ctr, payback_days[, ltv_cac]. See :data:`KPI_DEFINITIONS`.
    """
    res = resolve(source, "orders")
    res.table("orders", ("order_id", "customer_id", "ordered_at", "revenue", "campaign_id"), nonempty=True)
    res.table("campaigns", ("campaign_id", "channel"), nonempty=True)
    res.table("marketing_spend", ("spend_date", "campaign_id", "channel", "spend", "impressions", "clicks"),
              nonempty=True)
    expr = kpi_expr(res.warehouse, by=by, period=period, start=start, end=end, as_of=snapshot(res, as_of),
                    margin=margin, clv=clv, clv_column=clv_column, revenue=revenue)
    return res.execute(expr)


REVENUE_COLUMNS = ("orders", "guest_orders", "gross_revenue", "guest_revenue", "refunds", "refunded_amount",
                   "net_revenue", "refund_rate", "refund_count_rate")


def revenue_kpi_expr(wh, *, period: str | None = None, start=None, end=None, as_of=None):
    """The Ibis expression behind :func:`revenue_kpis` (``as_of`` a resolved day or ``None``)."""
    import ibis

    from cmokit.engine import money, snapshot_day, until

    day = snapshot_day(wh.table("orders"), as_of)
    end = end if end is not None else day
    o = until(wh.table("orders"), day, "ordered_at")
    o = o.filter(*_date_window(o.ordered_at, start, end)) if (start or end) else o
    keys = ["period"] if period else []
    if period:
        o = o.mutate(period=_period(o.ordered_at, period))
    guest = o.customer_id.isnull()
    order_aggs = dict(orders=o.count().cast("int64"), guest_orders=guest.cast("int64").sum(),
                      gross_revenue=money(o.revenue),
                      guest_revenue=guest.ifelse(o.revenue.cast("decimal(18, 2)"), 0).sum().cast("float64"))
    out = o.group_by(keys).aggregate(**order_aggs) if keys else o.aggregate(**order_aggs)
    if wh.has_table("refunds"):
        f = until(wh.table("refunds"), day, "refunded_at")
        f = f.filter(*_date_window(f.refunded_at, start, end)) if (start or end) else f
        if period:
            f = f.mutate(period=_period(f.refunded_at, period))
        refund_aggs = dict(refunds=f.count().cast("int64"), refunded_amount=money(f.amount))
        if keys:
            out = out.outer_join(f.group_by(keys).aggregate(**refund_aggs), keys)
            out = out.select(period=ibis.coalesce(out.period, out.period_right),
                             **{c: out[c] for c in out.columns if c not in ("period", "period_right")})
        else:
            out = out.cross_join(f.aggregate(**refund_aggs))
    else:
        out = out.mutate(refunds=ibis.literal(0, type="int64"), refunded_amount=ibis.literal(0.0))
    out = out.mutate(**{c: ibis.coalesce(out[c], 0) for c in ("orders", "guest_orders", "refunds")},
                     **{c: ibis.coalesce(out[c], 0.0) for c in ("gross_revenue", "guest_revenue", "refunded_amount")})
    out = out.mutate(net_revenue=out.gross_revenue - out.refunded_amount,
                     refund_rate=_ratio(out.refunded_amount, out.gross_revenue),
                     refund_count_rate=_ratio(out.refunds, out.orders))
    out = out.select(*keys, *REVENUE_COLUMNS)
    return out.order_by(keys) if keys else out


def revenue_kpis(source, *, period: str | None = None, start=None, end=None, as_of=None):
    """Revenue, refunds and the refund rate, guest orders included (by period or whole window).

    ``orders`` / ``gross_revenue`` count every order placed in the window (guest checkouts
    too: ``guest_orders``, ``guest_revenue``); ``refunds`` / ``refunded_amount`` every refund
    *booked* in the window (whatever the date of the refunded order, as in a ledger);
    ``net_revenue = gross_revenue − refunded_amount``; ``refund_rate = refunded_amount /
    gross_revenue``; ``refund_count_rate = refunds / orders`` (null for a zero denominator).
    ``start``/``end``/``period``/``as_of`` are as in :func:`campaign_kpis` (``end`` defaults to
    ``as_of``, ``None`` = the latest order day). A source without a ``refunds`` table gives
    zero refunds (gross = net), no error.

    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", None],
    ...     "ordered_at": pd.to_datetime(["2024-01-03", "2024-01-04"]), "revenue": [200.0, 50.0]})
    >>> refunds = pd.DataFrame({"refund_id": ["r1"], "order_id": ["o1"], "customer_id": ["a"],
    ...     "refunded_at": pd.to_datetime(["2024-01-05"]), "amount": [25.0]})
    >>> k = revenue_kpis({"orders": orders, "refunds": refunds}, as_of="2024-01-31")
    >>> k[["orders", "guest_orders", "refunds"]].iloc[0].tolist(), k[["net_revenue", "refund_rate"]].iloc[0].tolist()
    ([2, 1, 1], [225.0, 0.1])
    """
    res = resolve(source, "orders")
    res.table("orders", ("order_id", "customer_id", "ordered_at", "revenue"), nonempty=True)
    if res.warehouse.has_table("refunds"):
        res.table("refunds", ("refund_id", "order_id", "customer_id", "refunded_at", "amount"))
    return res.execute(revenue_kpi_expr(res.warehouse, period=period, start=start, end=end,
                                        as_of=snapshot(res, as_of)))


def budget_pacing(source, as_of=None, *, tolerance: float = 0.1):
    """Budget pacing per campaign: spend to date vs budget vs share of flight elapsed.

    ``as_of`` is the snapshot day (UTC, inclusive: that day's spend counts); ``None`` (default)
    is the latest order day in the data (the latest spend day for a source without orders).

    ``elapsed_share`` = days of the flight up to ``as_of`` / flight days (clipped to 0..1);
    ``spent_share`` = spend_to_date / budget; ``pacing_index`` = spent_share / elapsed_share;
    ``projected_spend`` = spend_to_date / elapsed_share. Status: ``not_started``, ``overpacing``
    (index above 1 + tolerance), ``underpacing`` (below 1 - tolerance), ``on_pace``; ``no_budget``
    when the campaign has none. Computed in the engine.
    """
    import ibis

    res = resolve(source, "campaigns")
    c = res.table("campaigns", ("campaign_id", "starts_on", "ends_on", "budget"), nonempty=True)
    s = res.table("marketing_spend", ("spend_date", "campaign_id", "spend"))
    day = ibis.literal(snapshot(res, as_of))
    s = s.filter(s.spend_date <= day).group_by("campaign_id").aggregate(spend_to_date=s.spend.cast("float64").sum())
    t = c.left_join(s, "campaign_id").drop("campaign_id_right")
    flight = t.ends_on.delta(t.starts_on, unit="day") + 1
    done = day.delta(t.starts_on, unit="day") + 1
    elapsed = ibis.greatest(ibis.least(done.cast("float64") / flight.cast("float64"), 1.0), 0.0)
    t = t.mutate(spend_to_date=ibis.coalesce(t.spend_to_date, 0.0), budget=t.budget.cast("float64"),
                 flight_days=flight, elapsed_share=elapsed)
    t = t.mutate(spent_share=_ratio(t.spend_to_date, t.budget),
                 projected_spend=_ratio(t.spend_to_date, t.elapsed_share))
    t = t.mutate(pacing_index=_ratio(t.spent_share, t.elapsed_share))
    tol = float(tolerance)
    t = t.mutate(status=ibis.cases(
        (t.budget.isnull(), "no_budget"),
        (t.elapsed_share <= 0, "not_started"),
        (t.pacing_index > 1 + tol, "overpacing"),
        (t.pacing_index < 1 - tol, "underpacing"),
        else_="on_pace",
    ))
    return res.execute(t.order_by("campaign_id"))
