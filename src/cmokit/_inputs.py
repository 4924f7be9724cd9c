"""The snapshot-day rule shared by the source-taking routines.

Entry checks are one call: each routine names the contract tables and columns it reads with
:meth:`cmokit.warehouse.connect.Resolved.table` (``nonempty=True`` for a table the result means
nothing without). :func:`snapshot` applies the one date rule
(:func:`cmokit.engine.snapshot_day`) to a source.

>>> import pandas as pd
>>> from cmokit.warehouse.connect import resolve
>>> res = resolve(pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
...                             "ordered_at": [pd.Timestamp("2024-03-05 18:00")], "revenue": [10.0]}), "orders")
>>> snapshot(res), snapshot(res, "2024-01-31")
(datetime.date(2024, 3, 5), datetime.date(2024, 1, 31))
"""

from __future__ import annotations


def snapshot(res, as_of=None, *, fallback=("marketing_spend", "spend_date")):
    """The snapshot day of a routine: ``as_of`` as a UTC date, or the latest order day.

    A source without an ``orders`` table (a spend frame alone) takes the latest
    day of ``fallback`` (table, column) instead.
    """
    from cmokit.engine import as_of_date

    if as_of is not None:
        return as_of_date(as_of)
    wh = res.warehouse
    if wh.has_table("orders") or fallback is None or not wh.has_table(fallback[0]):
        return res.as_of(None)
    return res.as_of(None, table=fallback[0], column=fallback[1])


__all__ = ["snapshot"]
