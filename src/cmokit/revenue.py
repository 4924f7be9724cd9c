"""Net revenue and guest orders: the two rules every revenue-reading routine applies.

**Guest orders** (``orders.customer_id`` NULL, e.g. guest checkouts) are real sales:
they count in the revenue KPIs (:func:`cmokit.campaigns.revenue_kpis`,
:func:`cmokit.campaigns.campaign_kpis`) but belong to no customer, so every
customer-level routine (RFM and segments, CLV purchase summaries, cohorts, churn,
survival, features, uplift) reads :func:`identified` orders only.
:func:`guest_share` says how many orders and how much revenue that leaves out, for
reports to print (``str(guest_share(wh))``).

**Net revenue** (``revenue="net"``, the default of every routine that sums revenue):
``net = gross − refunds`` booked on or before the snapshot day ``as_of``:

* a refund with an ``order_id`` reduces *that order's* revenue (:func:`net_orders`;
  floored at 0). An order refunded in full still counts as an order (RFM frequency,
  recency, cohort activity) with value 0, except in the CLV purchase summary, where a
  cancelled purchase is no purchase occasion;
* a refund with no ``order_id`` but a ``customer_id`` reduces that *customer's total*
  over the routine's window (:func:`customer_refunds`), never below 0;
* a refund with neither is counted by the refund-rate KPI only.

``revenue="gross"`` ignores refunds. A source without a ``refunds`` table (a warehouse
built before refunds existed, a frame of orders alone) gives gross revenue, no error
(:func:`refunds_of`). DECISIONS.md ("Refunds and guest orders") says why.

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", None, "a"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]), "revenue": [10.0, 30.0, 20.0]})
>>> print(guest_share(orders))
excludes 1 guest order of 3 (50.0 % of revenue)
"""

from __future__ import annotations

from dataclasses import dataclass

#: The accepted values of every ``revenue=`` parameter.
REVENUE_CHOICES = ("net", "gross")

#: The ``refunds`` columns net revenue reads.
REFUND_COLUMNS = ("refund_id", "order_id", "customer_id", "refunded_at", "amount")


def check_revenue(revenue: str) -> str:
    """``revenue`` if it is ``"net"`` or ``"gross"``, else a :class:`~cmokit.errors.ConfigError`.

    >>> check_revenue("gross")
    'gross'
    """
    if revenue not in REVENUE_CHOICES:
        from cmokit.errors import ConfigError

        raise ConfigError(f"revenue must be 'net' (refunds deducted) or 'gross', not {revenue!r}")
    return revenue


def identified(orders):
    """The orders that belong to a customer (``customer_id`` not NULL): the input of every
    customer-level routine. ``orders`` is an Ibis table; guest orders are left out."""
    return orders.filter(orders.customer_id.notnull())


def refunds_of(resolved, revenue: str = "net"):
    """The checked ``refunds`` Ibis table to net revenue with, or ``None`` for gross revenue.

    ``resolved`` is a :class:`~cmokit.warehouse.connect.Resolved` (or a Warehouse). ``None``
    when ``revenue="gross"`` or when the source has no ``refunds`` table (older warehouses,
    frames without it): those give gross revenue without an error.
    """
    from cmokit.warehouse.connect import Resolved

    wh = getattr(resolved, "warehouse", resolved)
    if check_revenue(revenue) == "gross" or not wh.has_table("refunds"):
        return None
    if not isinstance(resolved, Resolved):
        resolved = Resolved(wh, wh.output)
    return resolved.table("refunds", columns=REFUND_COLUMNS)


def _by(refunds, as_of, since=None):
    from cmokit.engine import as_of_date, until

    r = refunds if as_of is None else until(refunds, as_of_date(as_of), "refunded_at")
    if since is not None:
        import ibis

        r = r.filter(r.refunded_at >= ibis.literal(since, type="timestamp"))
    return r


def net_orders(orders, refunds, as_of, *, keep_cancelled: bool = True):
    """``orders`` with ``revenue`` net of the refunds linked to each order and booked by ``as_of``
    (a UTC day, inclusive; ``None``: every refund of ``refunds``, already filtered by the caller).

    Net revenue is floored at 0. Orders refunded in full (gross > 0, net 0) stay, with revenue
    0, unless ``keep_cancelled=False`` (the CLV purchase occasions) drops them.
    ``refunds=None`` returns ``orders`` unchanged (gross).
    """
    import ibis

    if refunds is None:
        return orders
    r = _by(refunds, as_of)
    r = r.filter(r.order_id.notnull())
    per = r.group_by(_refund_order=r.order_id).aggregate(_refunded=r.amount.cast("decimal(18, 2)").sum())
    j = orders.left_join(per, orders.order_id == per._refund_order)
    gross = j.revenue.cast("decimal(18, 2)")
    net = ibis.greatest(gross - ibis.coalesce(j._refunded, 0), 0)
    if not keep_cancelled:
        j = j.filter(~((gross > 0) & (net <= 0)))
        gross = j.revenue.cast("decimal(18, 2)")
        net = ibis.greatest(gross - ibis.coalesce(j._refunded, 0), 0)
    cols = {c: (net.cast(orders.revenue.type()) if c == "revenue" else j[c]) for c in orders.columns}
    return j.select(**cols)


def customer_refunds(refunds, as_of, *, since=None):
    """Refunds with no ``order_id`` but a ``customer_id``, booked by ``as_of`` (and at or after the
    timestamp ``since``), per customer: ``customer_id, unlinked_refunds`` (float)."""
    r = _by(refunds, as_of, since)
    r = r.filter(r.order_id.isnull() & r.customer_id.notnull())
    return r.group_by("customer_id").aggregate(
        unlinked_refunds=r.amount.cast("decimal(18, 2)").sum().cast("float64"))


def less_refunds(per, refunds, as_of, columns, *, since=None):
    """``per`` (one row per customer) with each of ``columns`` reduced by the customer's unlinked
    refunds (:func:`customer_refunds`), floored at 0. ``refunds=None``: ``per`` unchanged."""
    import ibis

    if refunds is None:
        return per
    cr = customer_refunds(refunds, as_of, since=since)
    cr = cr.select(_refund_customer=cr.customer_id, _unlinked=cr.unlinked_refunds)
    j = per.left_join(cr, per.customer_id == cr._refund_customer)
    less = {c: ibis.greatest(j[c].cast("float64") - ibis.coalesce(j._unlinked, 0.0), 0.0) for c in columns}
    return j.select(*[(less[c].name(c) if c in less else j[c]) for c in per.columns])


@dataclass(frozen=True)
class GuestShare:
    """What customer analytics leave out: guest orders (no ``customer_id``) up to ``as_of``."""

    as_of: object
    orders: int
    guest_orders: int
    revenue: float
    guest_revenue: float

    @property
    def order_share(self) -> float:
        return self.guest_orders / self.orders if self.orders else 0.0

    @property
    def revenue_share(self) -> float:
        return self.guest_revenue / self.revenue if self.revenue else 0.0

    def __str__(self) -> str:
        s = "" if self.guest_orders == 1 else "s"
        return (f"excludes {self.guest_orders:,} guest order{s} of {self.orders:,} "
                f"({100 * self.revenue_share:.1f} % of revenue)")


def guest_share(source, as_of=None) -> GuestShare:
    """How many orders (and how much gross revenue) up to ``as_of`` have no customer id.

    ``as_of`` is the snapshot day (inclusive, UTC; ``None`` = latest order day). Customer
    analytics leave these orders out; a report prints ``str(guest_share(source, as_of))``,
    e.g. "excludes 5,006 guest orders of 24,221 (13.2 % of revenue)".
    """
    from cmokit.engine import money, orders_until
    from cmokit.warehouse.connect import resolve

    r = resolve(source, "orders")
    orders = r.table("orders", columns=("customer_id", "ordered_at", "revenue"))
    day = r.as_of(as_of)
    o = orders_until(orders, day)
    guest = o.customer_id.isnull()
    row = r.warehouse.execute(o.aggregate(
        orders=o.count(), guest_orders=guest.cast("int64").sum(), revenue=money(o.revenue),
        guest_revenue=guest.ifelse(o.revenue.cast("decimal(18, 2)"), 0).sum().cast("float64")), output="pandas")
    v = row.iloc[0]
    return GuestShare(day, int(v["orders"]), int(v["guest_orders"] or 0), float(v["revenue"] or 0.0),
                      float(v["guest_revenue"] or 0.0))


__all__ = ["REFUND_COLUMNS", "REVENUE_CHOICES", "GuestShare", "check_revenue", "customer_refunds", "guest_share",
           "identified", "less_refunds", "net_orders", "refunds_of"]
