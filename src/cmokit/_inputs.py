"""Entry checks shared by the source-taking routines of campaigns and attribution.

A routine names the contract tables and columns it reads; :func:`read_tables`
checks them once at entry (through :meth:`cmokit.warehouse.connect.Resolved.table`,
which validates a frame against the contract on first use) and refuses an empty
table that the result would be meaningless without. :func:`snapshot` applies the
one date rule (:func:`cmokit.engine.snapshot_day`) to a source.

>>> import pandas as pd
>>> from cmokit.warehouse.connect import resolve
>>> res = resolve(pd.DataFrame({"order_id": [], "customer_id": [], "ordered_at": [], "revenue": []}), "orders")
>>> read_tables(res, {"orders": ("customer_id", "revenue")}, nonempty=("orders",))
Traceback (most recent call last):
...
cmokit.errors.ContractError: orders is empty: this routine needs at least one row of orders
"""

from __future__ import annotations


def read_tables(res, needs: dict, *, nonempty=()) -> dict:
    """Each table of ``needs`` (name -> columns it must have) as an Ibis table, checked.

    A missing table or column, or a frame that breaks the contract, raises
    :class:`~cmokit.errors.ContractError` naming the table and column; so does an
    empty table listed in ``nonempty``.
    """
    from cmokit.errors import ContractError

    tables = {name: res.table(name, tuple(columns)) for name, columns in needs.items()}
    for name in nonempty:
        if int(res.warehouse.execute(tables[name].limit(1).count())) == 0:
            raise ContractError(f"{name} is empty: this routine needs at least one row of {name}", table=name)
    return tables


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


__all__ = ["read_tables", "snapshot"]
