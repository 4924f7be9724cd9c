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


def migration_expr(orders, from_date, to_date, *, scoring: str = "auto"):
    """Counts of customers per (segment at ``from_date``, segment at ``to_date``)."""
    import ibis

    from cmokit.segments.rfm import rfm_expr

    before = rfm_expr(orders, from_date, scoring=scoring).select("customer_id", from_segment="segment")
    after = rfm_expr(orders, to_date, scoring=scoring).select(customer_id_to="customer_id", to_segment="segment")
    joined = after.left_join(before, after.customer_id_to == before.customer_id)
    joined = joined.mutate(from_segment=joined.from_segment.fill_null(ibis.literal(NEW)))
    return joined.group_by(["from_segment", "to_segment"]).aggregate(customers=joined.count().cast("int64"))


def migration(source, from_date, to_date, *, scoring: str = "auto"):
    """Transition counts and shares between RFM segments at two dates.

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), or a pandas / polars ``orders`` frame.
    from_date, to_date
        Snapshot dates (inclusive); ``from_date`` must be before ``to_date``.
    scoring
        How RFM scores are cut at both dates (see :func:`cmokit.segments.rfm.rfm`).

    Returns
    -------
    DataFrame
        ``from_segment, to_segment, customers, share_of_from, share_of_to``,
        one row per observed transition, in segment order.
    """
    import pandas as pd

    from cmokit.errors import ConfigError
    from cmokit.segments.rfm import SEGMENTS, as_of_date
    from cmokit.warehouse import resolve

    if as_of_date(from_date) >= as_of_date(to_date):
        raise ConfigError(f"from_date ({from_date}) must be before to_date ({to_date})")
    r = resolve(source, "orders")
    out = r.warehouse.execute(migration_expr(r.table("orders"), from_date, to_date, scoring=scoring), output="pandas")
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
    from cmokit.segments.rfm import SEGMENTS

    if type(table).__module__.startswith("polars"):
        table = table.to_pandas()
    wide = table.pivot_table(index="from_segment", columns="to_segment", values=value, aggfunc="sum", fill_value=0)
    rows = [s for s in (*SEGMENTS, NEW) if s in set(table["from_segment"])]
    return wide.reindex(index=rows, columns=list(SEGMENTS), fill_value=0)


__all__ = ["NEW", "migration", "migration_expr", "migration_matrix"]
