"""Purchase summary: frequency, recency, T and mean repeat value per customer.

The input of every buy-till-you-die model, computed as ONE Ibis query on the
``orders`` table so it runs in the engine (DuckDB, Spark, ...):

- ``frequency``: number of repeat purchase occasions (all occasions minus the first);
- ``recency``: time from the first to the last occasion;
- ``T``: time from the first occasion to the end of observation;
- ``monetary_value``: mean revenue of the *repeat* occasions (0 without repeats),
  the ``zbar`` of the Gamma-Gamma model.

Times are in ``time_unit`` (``"weeks"`` or ``"days"``). Two ways to count occasions:

``merge_same_day=True`` (default, as in Fader, Hardie & Lee 2005 on CDNOW)
    an occasion is a UTC calendar day with at least one order; revenue is summed
    per day; times are whole days between days; observation ends at the start
    of ``as_of`` (T = days from the first purchase day to ``as_of``).
``merge_same_day=False``
    every order is an occasion at its timestamp (continuous time); observation
    ends at the end of ``as_of`` (midnight after it).

Day-level data discretises a continuous-time process: on the sample data the
BG/NBD alpha drifts by +4.8 % and r by +1.4 % (a and b within 0.5 %), measured
in DECISIONS.md and bounded at 8 % per parameter in
``tests/clv/test_bgnbd.py::test_sample_day_level_drift_is_bounded``.
"""

from __future__ import annotations

import pandas as pd

from cmokit.clv._fit import unit_days
from cmokit.warehouse.connect import resolve

SECONDS_PER_DAY = 86400.0


def _occasions(orders, end, merge_same_day: bool, refunds=None):
    """Purchase occasions before ``end`` (exclusive): customer_id, at, revenue, tiebreak.

    Guest orders are left out. With ``refunds`` (an Ibis table; ``None`` = gross) each order's
    revenue is net of the refunds linked to it and booked before ``end``, and an order refunded
    in full is no occasion (:func:`cmokit.revenue.net_orders`).
    """
    import ibis

    from cmokit.revenue import identified, net_orders

    orders = identified(orders.filter(orders.ordered_at < end))
    if refunds is not None:
        orders = net_orders(orders, refunds.filter(refunds.refunded_at < end), None, keep_cancelled=False)
    revenue = orders.revenue.cast("float64")
    if merge_same_day:
        day = orders.ordered_at.truncate("D")
        events = orders.group_by(customer_id=orders.customer_id, at=day).agg(revenue=revenue.sum())
        return events.mutate(tiebreak=events.at.cast("string"))
    del ibis
    return orders.select(customer_id=orders.customer_id, at=orders.ordered_at, revenue=revenue,
                         tiebreak=orders.order_id)


#: The ``orders`` columns the purchase summary reads (checked on entry).
ORDER_COLUMNS = ("customer_id", "order_id", "ordered_at", "revenue")


def _bounds(as_of, merge_same_day: bool):
    """(exclusive end of the orders read, end of observation) as timestamps."""
    from cmokit.engine import as_of_date

    day = pd.Timestamp(as_of_date(as_of))
    end_orders = day + pd.Timedelta(days=1)
    return end_orders, (day if merge_same_day else end_orders)


def summary_expr(orders, as_of=None, *, time_unit: str = "weeks", merge_same_day: bool = True, refunds=None):
    """The purchase summary of ``orders`` (an Ibis table) as an Ibis expression (not executed).

    ``as_of``: snapshot day, inclusive (UTC); ``None`` = the latest order day in ``orders``.
    Guest orders are left out. ``refunds`` (an Ibis ``refunds`` table; ``None`` = gross): see
    :func:`purchase_summary` for how refunds booked by ``as_of`` net ``monetary_value``.
    """
    import ibis

    from cmokit.engine import snapshot_day

    as_of = snapshot_day(orders, as_of)
    seconds_per_unit = SECONDS_PER_DAY * unit_days(time_unit)
    end_orders, end_obs = _bounds(as_of, merge_same_day)
    events = _occasions(orders, ibis.literal(end_orders.to_pydatetime(), type="timestamp"), merge_same_day, refunds)
    if merge_same_day:
        # One occasion per customer-day, so the first occasion is unique: its revenue is an arg-min
        # in the same group-by (no window over the occasions).
        events = events.mutate(seconds=events.at.epoch_seconds())
        per_customer = events.group_by("customer_id").agg(
            first_s=events.seconds.min(),
            last_s=events.seconds.max(),
            occasions=events.count(),
            revenue=events.revenue.sum(),
            first_revenue=events.revenue.argmin(events.at),
        )
        per_customer = per_customer.mutate(repeat_revenue=per_customer.revenue - per_customer.first_revenue)
    else:
        # Timestamps can tie: the first order is the first by (time, order_id).
        order = ibis.window(group_by=events.customer_id, order_by=[events.at, events.tiebreak])
        events = events.mutate(occasion=ibis.row_number().over(order), seconds=events.at.epoch_seconds())
        per_customer = events.group_by("customer_id").agg(
            first_s=events.seconds.min(),
            last_s=events.seconds.max(),
            occasions=events.count(),
            revenue=events.revenue.sum(),
            repeat_revenue=events.revenue.sum(where=events.occasion > 0),
        )
    if refunds is not None:
        # Refunds without an order id: spread over the customer's orders in proportion to their value,
        # so the repeat orders lose the share (1 - unlinked / total) of their value (never below 0).
        from cmokit.revenue import customer_refunds

        cr = customer_refunds(refunds, as_of)
        cr = cr.select(_refund_customer=cr.customer_id, _unlinked=cr.unlinked_refunds)
        j = per_customer.left_join(cr, per_customer.customer_id == cr._refund_customer)
        keep = ibis.ifelse(j.revenue > 0, ibis.greatest(1.0 - ibis.coalesce(j._unlinked, 0.0) / j.revenue, 0.0), 0.0)
        per_customer = j.select("customer_id", "first_s", "last_s", "occasions",
                                repeat_revenue=j.repeat_revenue * keep)
    frequency = (per_customer.occasions - 1).cast("int64")
    end_s = ibis.literal(float(end_obs.timestamp()))
    return per_customer.select(
        customer_id=per_customer.customer_id,
        frequency=frequency,
        recency=(per_customer.last_s - per_customer.first_s).cast("float64") / seconds_per_unit,
        T=(end_s - per_customer.first_s.cast("float64")) / seconds_per_unit,
        monetary_value=ibis.ifelse(frequency > 0,
                                   per_customer.repeat_revenue.fill_null(0.0) / frequency.cast("float64"),
                                   0.0),
    )


def purchase_summary(source, as_of=None, *, time_unit: str = "weeks", merge_same_day: bool = True,
                     revenue: str = "net"):
    """Frequency, recency, T and mean repeat value of every customer who ordered by ``as_of``.

    Parameters
    ----------
    source
        A warehouse (or path) with an ``orders`` table, or one pandas / polars
        frame shaped like ``orders`` (customer_id, order_id, ordered_at, revenue).
    as_of : str or date, optional
        Snapshot day, inclusive (orders up to the end of that UTC day count);
        ``None`` (default) = the latest order day in the data.
    time_unit : {"weeks", "days"}
        Unit of ``recency`` and ``T``.
    merge_same_day : bool
        Count UTC calendar days (True) or individual timestamped orders (False)
        as purchase occasions; see the module docstring.
    revenue : {"net", "gross"}
        ``"net"`` (default): refunds booked by ``as_of`` reduce the spend the Gamma-Gamma
        model sees. A refund linked to an order reduces that order's value (an order
        refunded in full is a cancelled purchase: no occasion, so ``frequency`` drops too);
        a refund with only a customer id reduces the customer's repeat value by the share
        ``refund / total spend`` (spread over all their orders in proportion to value).
        ``"gross"``: refunds ignored. A source without a ``refunds`` table gives gross.

    Guest orders (no ``customer_id``) are left out (:func:`cmokit.revenue.guest_share`).

    Returns
    -------
    DataFrame keyed by ``customer_id`` (pandas, or polars for polars input),
    sorted by ``customer_id``; pandas results record ``attrs["time_unit"]``.
    Orders are validated on entry: a missing column, non-numeric or NaN
    revenue, or a duplicate ``order_id`` raises :class:`~cmokit.errors.ContractError`
    (NaN revenue is never dropped silently), and so does an empty table with
    ``as_of=None``; with an explicit ``as_of`` and no order by then the summary is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from cmokit.clv import purchase_summary
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15 10:00", "2024-01-08 12:00"]),
    ...     "revenue": [10.0, 5.0, 20.0, 7.0]})
    >>> purchase_summary(orders, "2024-01-29", time_unit="weeks")
      customer_id  frequency  recency    T  monetary_value
    0           a          1      2.0  4.0            20.0
    1           b          0      0.0  3.0             0.0
    """
    from cmokit.revenue import refunds_of

    resolved = resolve(source, "orders")
    orders = resolved.table("orders", columns=ORDER_COLUMNS)
    expr = summary_expr(orders, resolved.as_of(as_of), time_unit=time_unit, merge_same_day=merge_same_day,
                        refunds=refunds_of(resolved, revenue))
    return _finish(resolved, expr.order_by("customer_id"), time_unit)


def calibration_holdout(source, calibration_end, holdout_end=None, *, time_unit: str = "weeks",
                        merge_same_day: bool = True, revenue: str = "net"):
    """Calibration summary to ``calibration_end`` plus what each customer did up to ``holdout_end``.

    Both are UTC days, inclusive; ``holdout_end=None`` = the latest order day in
    the data (the snapshot rule of every routine). Orders are validated on entry
    as in :func:`purchase_summary`; ``revenue`` too (the calibration part nets the refunds booked
    by ``calibration_end``, the holdout part those linked to holdout orders booked by ``holdout_end``).

    Customers are those with a first purchase by ``calibration_end``. Added
    columns: ``frequency_holdout`` (purchase occasions in the holdout),
    ``monetary_value_holdout`` (their mean revenue, 0 without any) and
    ``duration_holdout`` (holdout length in ``time_unit``). One query.

    Examples
    --------
    >>> import pandas as pd
    >>> from cmokit.clv import calibration_holdout
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "a"],
    ...     "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-05"]),
    ...     "revenue": [10.0, 20.0, 30.0]})
    >>> calibration_holdout(orders, "2024-01-29", "2024-02-26")[["frequency", "frequency_holdout", "duration_holdout"]]
       frequency  frequency_holdout  duration_holdout
    0          1                  1               4.0
    """
    import ibis

    from cmokit.revenue import refunds_of

    resolved = resolve(source, "orders")
    orders = resolved.table("orders", columns=ORDER_COLUMNS)
    refunds = refunds_of(resolved, revenue)
    holdout_end = resolved.as_of(holdout_end)
    calibration = summary_expr(orders, calibration_end, time_unit=time_unit, merge_same_day=merge_same_day,
                               refunds=refunds)
    cal_end_orders, cal_end_obs = _bounds(calibration_end, merge_same_day)
    hold_end_orders, hold_end_obs = _bounds(holdout_end, merge_same_day)
    events = _occasions(orders, ibis.literal(hold_end_orders.to_pydatetime(), type="timestamp"), merge_same_day,
                        refunds)
    events = events.filter(events.at >= ibis.literal(cal_end_orders.to_pydatetime(), type="timestamp"))
    holdout = events.group_by("customer_id").agg(frequency_holdout=events.count(),
                                                 revenue_holdout=events.revenue.sum())
    joined = calibration.left_join(holdout, calibration.customer_id == holdout.customer_id)
    duration = (hold_end_obs - cal_end_obs).total_seconds() / (SECONDS_PER_DAY * unit_days(time_unit))
    count = joined.frequency_holdout.fill_null(0).cast("int64")
    expr = joined.select(
        "customer_id", "frequency", "recency", "T", "monetary_value",
        frequency_holdout=count,
        monetary_value_holdout=ibis.ifelse(count > 0, joined.revenue_holdout / count.cast("float64"), 0.0),
        duration_holdout=ibis.literal(float(duration)),
    ).order_by("customer_id")
    return _finish(resolved, expr, time_unit)


def spend_model_input(summary):
    """The rows of a purchase summary the Gamma-Gamma spend model can learn from.

    With net revenue (the default), a repeat buyer whose refunds cancel their spend has
    ``monetary_value`` 0: they say nothing about spend per order, and Gamma-Gamma needs
    positive values. They are left out of the *fit* (one-time buyers stay: the model
    ignores them); :func:`customer_lifetime_value` still scores them, with the spend
    the model expects for a customer of their frequency. :func:`spend_left_out` counts them,
    so a report can say how many. Returns the input's frame kind.

    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [2, 3, 0],
    ...                   "monetary_value": [10.0, 0.0, 0.0]})
    >>> spend_model_input(s).customer_id.tolist(), spend_left_out(s)
    (['a', 'c'], 1)
    """
    from cmokit._frames import like, to_pandas

    frame = to_pandas(summary)
    keep = (frame["frequency"] <= 0) | (frame["monetary_value"] > 0)
    return like(frame[keep.to_numpy()].reset_index(drop=True), summary)


def spend_left_out(summary) -> int:
    """How many repeat buyers :func:`spend_model_input` leaves out (net spend of zero or less)."""
    from cmokit._frames import to_pandas

    frame = to_pandas(summary)
    return int(((frame["frequency"] > 0) & ~(frame["monetary_value"] > 0)).sum())


def calibration_end(as_of, holdout_days: int) -> str:
    """The calibration end date ``holdout_days`` before ``as_of`` (ISO string).

    >>> calibration_end("2025-12-31", 182)
    '2025-07-02'
    """
    from cmokit.engine import as_of_date

    return (as_of_date(as_of) - pd.Timedelta(days=int(holdout_days))).isoformat()


def _finish(resolved, expr, time_unit: str):
    frame = resolved.execute(expr)
    if hasattr(frame, "attrs"):
        frame.attrs["time_unit"] = time_unit
    return frame
