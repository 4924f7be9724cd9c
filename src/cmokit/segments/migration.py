"""Segment migration: how customers move between RFM segments from one date to another.

Both RFM tables (:func:`cmokit.segments.rfm.rfm_expr`, scores recomputed at
each date) and their full outer join on ``customer_id`` run as one engine
query; only the (from, to) counts come back. Customers with no order by the
first date start in ``"Not yet a customer"`` (acquired in between); every
customer with an order by the first date has one by the second too.

``share_of_from`` is the row share (a transition probability estimate: of
the customers in segment *i* at ``from_date``, the share in *j* at
``to_date``), the matrix of a first-order Markov chain over segments
(Pfeifer & Carraway 2000, "Modeling customer relationships as Markov
chains", J. Interactive Marketing 14(2)).

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-06-01"]),
...     "revenue": [10.0, 5.0], "campaign_id": [None, None]})
>>> migration(orders, "2025-03-31", "2025-06-30")[["from_segment", "to_segment", "customers"]]
         from_segment   to_segment  customers
0                Lost         Lost          1
1  Not yet a customer  Hibernating          1
"""

from __future__ import annotations

NEW = "Not yet a customer"


def migration_expr(orders, from_date, to_date, *, scoring: str = "auto", refunds=None):
    """Counts of customers per (segment at ``from_date``, segment at ``to_date``).

    Both are snapshot days, inclusive (UTC): orders up to the end of each day count (and the
    refunds booked by then, when ``refunds`` is given: see :func:`cmokit.segments.rfm.rfm_expr`).
    """
    import ibis

    from cmokit.segments.rfm import rfm_expr

    before = rfm_expr(orders, from_date, scoring=scoring, refunds=refunds).select("customer_id", from_segment="segment")
    after = rfm_expr(orders, to_date, scoring=scoring, refunds=refunds).select(customer_id_to="customer_id", to_segment="segment")
    joined = after.left_join(before, after.customer_id_to == before.customer_id)
    joined = joined.mutate(from_segment=joined.from_segment.fill_null(ibis.literal(NEW)))
    return joined.group_by(["from_segment", "to_segment"]).aggregate(customers=joined.count().cast("int64"))


def migration(source, from_date, to_date=None, *, scoring: str = "auto", revenue: str = "net"):
    """Transition counts and shares between RFM segments at two dates.

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), or a pandas / polars ``orders`` frame.
    from_date, to_date
        Snapshot days (inclusive, UTC: orders up to the end of the day count);
        ``from_date`` must be before ``to_date``. ``to_date=None`` = the latest
        order day in the data (the snapshot rule of every routine).
    scoring
        How RFM scores are cut at both dates (see :func:`cmokit.segments.rfm.rfm`).
    revenue
        ``"net"`` (default) or ``"gross"`` monetary value, as in :func:`cmokit.segments.rfm.rfm`.
        Guest orders (no ``customer_id``) are left out.

    Returns
    -------
    DataFrame
        ``from_segment, to_segment, customers, share_of_from, share_of_to``,
        one row per observed transition, in segment order; the input's kind for a frame.
        Orders are validated on entry as in :func:`cmokit.segments.rfm`.
    """
    import pandas as pd

    from cmokit.engine import as_of_date
    from cmokit.errors import ConfigError
    from cmokit.segments.rfm import ORDER_COLUMNS, SEGMENTS
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    orders = r.table("orders", columns=ORDER_COLUMNS)
    start, to_day = as_of_date(from_date), r.as_of(to_date)
    if start >= to_day:
        raise ConfigError(f"from_date ({from_date}) must be before to_date ({to_day})")
    from cmokit.revenue import refunds_of

    out = r.warehouse.execute(migration_expr(orders, start, to_day, scoring=scoring, refunds=refunds_of(r, revenue)),
                              output="pandas")
    order = {name: i for i, name in enumerate((*SEGMENTS, NEW))}
    out = out.sort_values(["from_segment", "to_segment"], key=lambda s: s.map(order)).reset_index(drop=True)
    out["share_of_from"] = out["customers"] / out.groupby("from_segment")["customers"].transform("sum")
    out["share_of_to"] = out["customers"] / out.groupby("to_segment")["customers"].transform("sum")
    return r.finish(pd.DataFrame(out))


def migration_matrix(table, value: str = "customers"):
    """Pivot a migration table to from-segment × to-segment (pandas; absent cells 0).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"from_segment": ["Lost"], "to_segment": ["Lost"], "customers": [3]})
    >>> migration_matrix(t).loc["Lost", "Champions"]
    np.int64(0)
    """
    from cmokit._frames import to_pandas
    from cmokit.segments.rfm import SEGMENTS

    table = to_pandas(table)
    wide = table.pivot_table(index="from_segment", columns="to_segment", values=value, aggfunc="sum", fill_value=0)
    rows = [s for s in (*SEGMENTS, NEW) if s in set(table["from_segment"])]
    return wide.reindex(index=rows, columns=list(SEGMENTS), fill_value=0)


__all__ = ["NEW", "migration", "migration_expr", "migration_matrix"]
