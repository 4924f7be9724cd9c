"""Per-customer features, built once: the inputs of churn, clusters and uplift, and the consent rule.

One Ibis query (:func:`customer_features_expr`) computes, for every customer with an
order on or before the snapshot day ``as_of`` (inclusive, UTC; ``as_of=None`` = the
latest order day in the data, :func:`cmokit.engine.snapshot_day`):

* ``recency_days``  = ``as_of`` − day of the last order (0 = ordered on ``as_of``);
* ``frequency``     = number of orders (the RFM frequency: every order counts, the
  first one too; ``frequency − 1`` is the number of *repeat* orders);
* ``monetary``      = total revenue (EUR, exact decimal sum);
* ``average_order_value`` = ``monetary / frequency``;
* ``tenure_days``   = ``as_of`` − day of the first order;
* ``mean_gap_days`` = days between the first and the last order / (``frequency`` − 1),
  ``tenure_days`` for one-order customers;
* ``orders_<w>d``, ``revenue_<w>d`` = orders and revenue in the ``w`` days ending on
  ``as_of`` (``as_of − w + 1 .. as_of``), for each ``w`` in ``windows`` (90 and 365);
* ``overdue_ratio`` = ``recency_days / max(mean_gap_days, 1)`` (> 1: later than usual).

With ``customers=True`` the rows are every customer of the ``customers`` table first
seen on or before ``as_of`` (those without an order get zero counts and money,
``recency_days = tenure_days = no_order_days``) and add

* ``days_since_signup`` = ``as_of`` − day the customer was first seen,
* ``orders_per_week``   = ``frequency · 7 / (days_since_signup + 7)``,
* ``marketing_consent`` = 1.0 when the customer may be contacted (:func:`contactable`), else 0.0,
* ``acq_<channel>``     = 1.0 for the customer's acquisition channel.

**The consent rule** (:func:`contactable`): a customer may be contacted only when
``marketing_consent`` is true. Unknown consent — a null or NaN flag, or a customer
missing from the ``customers`` table — means *not* contactable. Every target list
(segments, churn risk, uplift) applies this one rule.

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-01-11"]), "revenue": [10.0, 30.0, 5.0]})
>>> customer_features(orders)[["customer_id", "recency_days", "frequency", "average_order_value", "mean_gap_days"]]
  customer_id  recency_days  frequency  average_order_value  mean_gap_days
0           a             0          2                 20.0           10.0
1           b             0          1                  5.0            0.0
"""

from __future__ import annotations

import datetime as _dt

from cmokit.revenue import GuestShare, guest_share, identified  # noqa: F401  (the guest rule, re-exported)

#: Order-based features, in this order (see the module docstring for each definition).
ORDER_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "mean_gap_days", "average_order_value",
                  "orders_90d", "orders_365d", "revenue_365d", "overdue_ratio")

#: Features added with ``customers=True`` (before the ``acq_<channel>`` indicators).
CUSTOMER_FEATURES = ("days_since_signup", "orders_per_week", "marketing_consent")

#: Default look-back windows (days) of ``orders_<w>d`` / ``revenue_<w>d``.
WINDOWS = (90, 365)

#: ``recency_days`` / ``tenure_days`` given to a customer with no order yet (``customers=True``).
NO_ORDER_DAYS = 730


def contactable(customers):
    """The one consent rule: may this customer be contacted for marketing?

    ``customers`` is an Ibis table with ``marketing_consent`` (returns a boolean
    column expression) or a pandas / polars frame with ``marketing_consent`` (or
    the legacy name ``consent``; returns a numpy boolean array). True only where
    the flag is true (``True``/``1``); null, NaN or any other value is *not*
    contactable. A customer absent from the ``customers`` table is not
    contactable either (callers left-join and fill with ``False``).

    >>> import pandas as pd
    >>> contactable(pd.DataFrame({"marketing_consent": [True, False, None]})).tolist()
    [True, False, False]
    >>> contactable(pd.DataFrame({"consent": [1.0, 0.0, float("nan")]})).tolist()
    [True, False, False]
    """
    from cmokit._frames import kind_of, to_pandas

    if kind_of(customers) is None and hasattr(customers, "marketing_consent"):  # an Ibis table
        return customers.marketing_consent.cast("boolean").fill_null(False)
    import numpy as np
    import pandas as pd

    from cmokit.errors import ContractError

    frame = to_pandas(customers)
    name = "marketing_consent" if "marketing_consent" in frame.columns else "consent"
    if name not in frame.columns:
        raise ContractError("consent is unknown: the frame needs a marketing_consent column "
                            f"(it has: {', '.join(map(str, frame.columns))}); customers without consent "
                            "never go on a target list", table="customers")
    flag = frame[name]
    values = pd.to_numeric(flag.astype("object").where(flag.notna(), None).map(
        lambda v: 1.0 if v is True else 0.0 if v is False else v), errors="coerce")
    return np.asarray((values == 1.0).fillna(False), dtype=bool)


def _timestamp(day: _dt.date):
    import ibis

    return ibis.literal(_dt.datetime.combine(day, _dt.time()), type="timestamp")


def order_features_expr(orders, as_of, *, windows=WINDOWS, refunds=None):
    """Order-based features per customer with an order by the UTC day ``as_of`` (a date, resolved).

    Guest orders (no ``customer_id``) are left out. ``refunds`` (an Ibis ``refunds`` table, or
    ``None`` = gross) nets ``monetary`` and ``revenue_<w>d`` (:mod:`cmokit.revenue`: linked
    refunds reduce their order, orders refunded in full still count as orders, other refunds
    of the customer booked in the window reduce the window's total).
    """
    import ibis

    from cmokit.engine import as_of_date, days_between, money, orders_until
    from cmokit.revenue import identified, less_refunds, net_orders

    day = as_of_date(as_of)
    end = ibis.literal(day, type="date")
    o = net_orders(identified(orders_until(orders, day)), refunds, day)
    windowed = {}
    for w in sorted({int(w) for w in windows}):
        since = _timestamp(day - _dt.timedelta(days=w - 1))
        windowed[f"orders_{w}d"] = (o.ordered_at >= since).cast("int64").sum()
        windowed[f"revenue_{w}d"] = (o.ordered_at >= since).ifelse(o.revenue.cast("decimal(18, 2)"), 0) \
            .sum().cast("float64")
    per = o.group_by("customer_id").aggregate(
        first_order_at=o.ordered_at.min(),
        last_order_at=o.ordered_at.max(),
        frequency=o.count().cast("int64"),
        monetary=money(o.revenue),
        **windowed,
    )
    per = less_refunds(per, refunds, day, ("monetary",))
    for w in sorted({int(w) for w in windows}):
        per = less_refunds(per, refunds, day, (f"revenue_{w}d",), since=_timestamp(day - _dt.timedelta(days=w - 1)))
    per = per.mutate(
        recency_days=days_between(end, per.last_order_at).cast("int64"),
        tenure_days=days_between(end, per.first_order_at).cast("int64"),
        average_order_value=per.monetary / per.frequency,
    )
    gap = days_between(per.last_order_at, per.first_order_at).cast("float64")
    per = per.mutate(mean_gap_days=(per.frequency > 1).ifelse(gap / (per.frequency - 1).cast("float64"),
                                                              per.tenure_days.cast("float64")))
    per = per.mutate(overdue_ratio=per.recency_days.cast("float64") / ibis.greatest(per.mean_gap_days, 1.0))
    names = [c for c in ORDER_FEATURES if c in per.columns] + [c for c in windowed if c not in ORDER_FEATURES]
    return per.select("customer_id", *names)


def customer_features_expr(orders, as_of, *, customers=None, windows=WINDOWS, no_order_days: int = NO_ORDER_DAYS,
                           refunds=None):
    """The feature table as one Ibis expression (see the module docstring).

    ``orders`` (and ``customers``, an Ibis ``customers`` table, or ``None`` for
    order features only) are Ibis tables; ``as_of`` is a resolved snapshot day;
    ``refunds`` nets revenue (``None`` = gross, see :func:`order_features_expr`).
    Sorted by ``customer_id``.
    """
    import ibis

    from cmokit.engine import as_of_date, day_end, days_between
    from cmokit.warehouse.contract import CHANNELS

    per = order_features_expr(orders, as_of, windows=windows, refunds=refunds)
    if customers is None:
        return per.order_by("customer_id")
    day = as_of_date(as_of)
    end = ibis.literal(day, type="date")
    c = customers.filter(customers.first_seen_at < ibis.literal(day_end(day), type="timestamp"))
    c = c.select("customer_id", "first_seen_at", "acquisition_channel",
                 marketing_consent=contactable(c).cast("float64"))
    j = c.left_join(per, "customer_id")
    signup = days_between(end, j.first_seen_at).cast("float64")
    filled = {}
    for col in per.columns:
        if col == "customer_id":
            continue
        if col in ("recency_days", "tenure_days"):
            filled[col] = ibis.coalesce(j[col], int(no_order_days))
        elif col in ("mean_gap_days", "overdue_ratio"):
            filled[col] = ibis.coalesce(j[col], float(no_order_days) if col == "mean_gap_days" else 1.0)
        else:
            filled[col] = ibis.coalesce(j[col], 0)
    cols = dict(filled)
    cols["days_since_signup"] = signup
    cols["orders_per_week"] = ibis.coalesce(j.frequency, 0).cast("float64") * 7.0 / (signup + 7.0)
    cols["marketing_consent"] = j.marketing_consent
    for ch in CHANNELS:
        cols[f"acq_{ch}"] = (j.acquisition_channel == ch).fill_null(False).cast("float64")
    return j.select(customer_id=c.customer_id, **cols).order_by("customer_id")


ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue")


def customer_features(source, as_of=None, *, customers: bool = False, windows=WINDOWS,
                      no_order_days: int = NO_ORDER_DAYS, revenue: str = "net"):
    """Per-customer features as of ``as_of`` (one engine query).

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), a dict of frames, or one pandas /
        polars frame shaped like the contract ``orders`` table (with
        ``customers=True``: a warehouse or a dict holding ``orders`` and ``customers``).
    as_of
        Snapshot day: orders up to the end of this UTC day count (inclusive);
        ``None`` = the latest order day in the data.
    customers
        ``False``: one row per customer with an order by ``as_of``, the columns of
        :data:`ORDER_FEATURES`. ``True``: every customer first seen by ``as_of``,
        plus :data:`CUSTOMER_FEATURES` and ``acq_<channel>`` indicators.
    windows
        Look-back windows (days) of the ``orders_<w>d`` / ``revenue_<w>d`` columns.
    revenue
        ``"net"`` (default): ``monetary`` and ``revenue_<w>d`` less the refunds booked by
        ``as_of`` (:mod:`cmokit.revenue`); ``"gross"``: refunds ignored. A source without a
        ``refunds`` table gives gross revenue.

    Guest orders (no ``customer_id``) are left out (:func:`guest_share` says how many).

    Returns
    -------
    DataFrame keyed by ``customer_id`` (sorted); pandas for a warehouse, the input's kind for a frame.
    Orders are validated on entry (missing columns, text revenue, NaN revenue, duplicate
    order ids raise :class:`~cmokit.errors.ContractError`); an empty orders table with
    ``as_of=None`` raises ``ContractError`` (no latest day), with a given ``as_of`` it gives
    an empty table.
    """
    from cmokit.revenue import refunds_of
    from cmokit.warehouse.connect import resolve

    r = resolve(source, "orders")
    orders = r.table("orders", columns=ORDER_COLUMNS)
    day = r.as_of(as_of)
    cust = r.table("customers", columns=("customer_id", "first_seen_at", "acquisition_channel",
                                         "marketing_consent")) if customers else None
    return r.execute(customer_features_expr(orders, day, customers=cust, windows=windows,
                                            no_order_days=no_order_days, refunds=refunds_of(r, revenue)))


__all__ = ["CUSTOMER_FEATURES", "GuestShare", "guest_share", "identified", "NO_ORDER_DAYS", "ORDER_COLUMNS", "ORDER_FEATURES", "WINDOWS", "contactable",
           "customer_features", "customer_features_expr", "order_features_expr"]
