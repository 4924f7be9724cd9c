"""Acquisition cohorts: retention and revenue by months since the first order.

A customer's *cohort* is the calendar month (UTC) of their first order; period
``k`` (``months_since_first``) is the k-th calendar month after it (period 0 is
the acquisition month itself). One Ibis query aggregates the order log to one
row per (cohort, period); the small result is completed to the full triangle
(periods with no orders are zero) up to the month of ``as_of``:

* ``customer_retention``  = active customers in period k / cohort size
  (active = at least one order in that month; period 0 is 1 by definition),
* ``revenue_retention``   = revenue in period k / revenue in period 0,
* ``cumulative_revenue_per_customer`` = revenue in periods 0..k / cohort size.

The month of ``as_of`` is usually partial; its cells count orders up to
``as_of`` only. This is the classic cohort ("layer-cake") table of e.g.
D. Fader, *Customer Centricity* (2012), and Gupta et al. (2006), "Modeling
customer lifetime value", J. Service Research 9(2).

>>> import pandas as pd
>>> from cmokit.retention import cohorts
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-01-20"]),
...     "revenue": [10.0, 30.0, 10.0], "campaign_id": [None, None, None]})
>>> cohorts(orders, as_of="2025-02-28")[["months_since_first", "customer_retention", "revenue_retention"]]
   months_since_first  customer_retention  revenue_retention
0                   0                 1.0                1.0
1                   1                 0.5                1.5
"""

from __future__ import annotations

COHORT_COLUMNS = ("cohort_month", "months_since_first", "cohort_size", "active_customers", "orders",
                  "revenue", "customer_retention", "revenue_retention", "cumulative_revenue_per_customer")


def _month_index(ts):
    return ts.year().cast("int64") * 12 + ts.month().cast("int64")


def cohort_expr(orders, as_of=None, *, refunds=None):
    """One row per (cohort month, months since first order): active customers, orders, revenue.

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in ``orders``.
    Guest orders are left out. ``refunds`` (an Ibis ``refunds`` table; ``None`` = gross) nets
    revenue: a refund linked to an order reduces that order's month (an order refunded in full
    still makes the customer active), a refund with only a customer id reduces the customer's revenue in the
    month it was booked (it never makes the customer active).

    Orders are first reduced to one row per (customer, calendar month), so the first month is a
    plain group-by (no window over the order log) and active customers are a row count (no
    distinct count).
    """
    import ibis

    from cmokit.engine import orders_until, snapshot_day
    from cmokit.revenue import identified, net_orders

    day = snapshot_day(orders, as_of)
    o = net_orders(identified(orders_until(orders, day)), refunds, day)
    o = o.mutate(month_index=_month_index(o.ordered_at))
    per = o.group_by(["customer_id", "month_index"]).aggregate(
        orders=o.count().cast("int64"),
        revenue=o.revenue.cast("decimal(18, 2)").sum(),  # exact, as money() sums
    )
    first = per.group_by("customer_id").aggregate(first_index=per.month_index.min())
    if refunds is not None:
        from cmokit.engine import until

        rf = until(refunds, day, "refunded_at")
        rf = rf.filter(rf.order_id.isnull() & rf.customer_id.notnull())
        rf = rf.mutate(month_index=_month_index(rf.refunded_at))
        rf = rf.group_by(["customer_id", "month_index"]).aggregate(
            orders=ibis.literal(0, type="int64"), revenue=(-rf.amount.cast("decimal(18, 2)")).sum())
        both = per.union(rf.select(*per.columns).cast(per.schema()))
        per = both.group_by(["customer_id", "month_index"]).aggregate(orders=both.orders.sum().cast("int64"),
                                                                     revenue=both.revenue.sum())
    j = per.join(first, "customer_id")
    j = j.mutate(months_since_first=j.month_index - j.first_index)
    j = j.filter(j.months_since_first >= 0)
    agg = j.group_by(["first_index", "months_since_first"]).aggregate(
        active_customers=(j.orders > 0).cast("int64").sum(),
        orders=j.orders.sum().cast("int64"),
        revenue=j.revenue.sum().cast("float64"),
    )
    year = ((agg.first_index - 1) // 12).cast("int32")
    month = ((agg.first_index - 1) % 12 + 1).cast("int32")
    return agg.select(cohort_month=ibis.date(year, month, 1), months_since_first=agg.months_since_first,
                      active_customers=agg.active_customers, orders=agg.orders, revenue=agg.revenue)


def cohorts(source, as_of=None, *, revenue: str = "net"):
    """Acquisition-month cohort table: customer and revenue retention, cumulative revenue.

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), or a pandas / polars frame shaped
        like the contract ``orders`` table.
    as_of
        Snapshot day, inclusive (orders up to the end of this UTC day);
        ``None`` (default) = the latest order day in the data.
    revenue
        ``"net"`` (default): revenue less the refunds booked by ``as_of`` (see
        :func:`cohort_expr`); ``"gross"``: refunds ignored. A source without a ``refunds``
        table gives gross. Guest orders (no ``customer_id``) are left out
        (:func:`cmokit.revenue.guest_share` says how many).

    Returns
    -------
    DataFrame
        One row per (``cohort_month``, ``months_since_first``) for every period
        from 0 to the month of ``as_of``, sorted by both: ``cohort_size,
        active_customers, orders, revenue, customer_retention,
        revenue_retention, cumulative_revenue_per_customer``; pandas for a
        warehouse, the input's kind for a frame. Orders are validated on entry
        (a missing column, non-numeric or NaN revenue, duplicate order ids:
        :class:`~cmokit.errors.ContractError`; no orders with ``as_of=None``
        too); with an explicit ``as_of`` and no order by then the table is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "a"],
    ...     "ordered_at": pd.to_datetime(["2025-01-05", "2025-03-01"]),
    ...     "revenue": [10.0, 30.0], "campaign_id": [None, None]})
    >>> cohorts(orders, as_of="2025-03-31")["active_customers"].tolist()
    [1, 0, 1]
    """
    import pandas as pd

    from cmokit.warehouse import resolve

    from cmokit.revenue import refunds_of

    r = resolve(source, "orders")
    orders = r.table("orders", columns=("customer_id", "ordered_at", "revenue"))
    day = r.as_of(as_of)
    raw = r.warehouse.execute(cohort_expr(orders, day, refunds=refunds_of(r, revenue)), output="pandas")
    if raw.empty:
        return r.finish(pd.DataFrame({c: [] for c in COHORT_COLUMNS}))
    raw["cohort_month"] = pd.to_datetime(raw["cohort_month"])
    end = pd.Timestamp(day)
    end_index = end.year * 12 + end.month
    rows = []
    for month in sorted(raw["cohort_month"].unique()):
        month = pd.Timestamp(month)
        span = end_index - (month.year * 12 + month.month)
        rows.extend((month, k) for k in range(span + 1))
    grid = pd.DataFrame(rows, columns=["cohort_month", "months_since_first"])
    raw["months_since_first"] = raw["months_since_first"].astype("int64")
    out = grid.merge(raw, on=["cohort_month", "months_since_first"], how="left")
    out[["active_customers", "orders"]] = out[["active_customers", "orders"]].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0).astype("float64")
    by = out.groupby("cohort_month", sort=False)
    first_period = out["months_since_first"] == 0
    out["cohort_size"] = by["active_customers"].transform(lambda s: s[first_period.loc[s.index]].sum()).astype("int64")
    revenue0 = by["revenue"].transform(lambda s: s[first_period.loc[s.index]].sum())
    out["customer_retention"] = out["active_customers"] / out["cohort_size"]
    out["revenue_retention"] = (out["revenue"] / revenue0.where(revenue0 > 0)).astype("float64")
    out["cumulative_revenue_per_customer"] = by["revenue"].cumsum() / out["cohort_size"]
    return r.finish(out[list(COHORT_COLUMNS)].reset_index(drop=True))


def cohort_matrix(table, value: str = "customer_retention"):
    """Pivot a cohort table to cohort × months-since-first (a pandas frame, for heatmaps).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"cohort_month": ["2025-01-01"] * 2, "months_since_first": [0, 1],
    ...     "customer_retention": [1.0, 0.5]})
    >>> cohort_matrix(t).values.tolist()
    [[1.0, 0.5]]
    """
    from cmokit._frames import to_pandas

    return to_pandas(table).pivot(index="cohort_month", columns="months_since_first", values=value).sort_index()


__all__ = ["COHORT_COLUMNS", "cohort_expr", "cohort_matrix", "cohorts"]
