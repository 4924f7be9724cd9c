"""RFM: recency, frequency and monetary value per customer, scored and named.

One Ibis query per call computes, for every customer with at least one order up
to ``as_of`` (inclusive, UTC days):

* ``recency_days``  = ``as_of`` − date of the last order (0 = bought on ``as_of``),
* ``frequency``     = number of orders,
* ``monetary``      = total revenue (EUR, exact decimal sum),

then quantile scores 1–5 (:func:`cmokit.engine.quantile_scores`: by default
equal-sized buckets with ties broken by ``customer_id`` so every engine gives
the same scores, and on Spark cut points at the quintiles so no step funnels
every customer through one partition; recent, frequent and high-spending
customers score 5), ``fm_score = ceil((f_score + m_score) / 2)``
and the named segment from :data:`SEGMENT_RULES`.

The named segments follow the common 11-segment RFM grid (Putler's "RFM
analysis for successful customer segmentation"; A. M. Hughes, *Strategic
Database Marketing*, 1994, for the quintile scores) on the R × FM plane.

>>> import pandas as pd
>>> from cmokit.segments import rfm
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-12-30", "2025-06-01"]),
...     "revenue": [10.0, 20.0, 5.0], "campaign_id": [None, None, None]})
>>> rfm(orders, as_of="2025-12-31")[["customer_id", "recency_days", "frequency", "monetary"]]
  customer_id  recency_days  frequency  monetary
0           a             1          2      30.0
1           b           213          1       5.0
"""

from __future__ import annotations

from cmokit.engine import as_of_date, money, orders_until  # noqa: F401  (re-exported for old imports)

#: The segment rules: one row per segment, a rectangle on the R × FM score grid
#: (inclusive bounds). The rectangles tile the 5 × 5 grid exactly once.
SEGMENT_RULES: tuple[tuple[str, int, int, int, int], ...] = (
    # segment,              r_min, r_max, fm_min, fm_max
    ("Champions",               5, 5, 4, 5),
    ("Loyal",                   3, 4, 4, 5),
    ("Potential Loyalist",      4, 5, 2, 3),
    ("New",                     5, 5, 1, 1),
    ("Promising",               4, 4, 1, 1),
    ("Need Attention",          3, 3, 3, 3),
    ("About to Sleep",          3, 3, 1, 2),
    ("At Risk",                 1, 2, 3, 4),
    ("Can't Lose Them",         1, 2, 5, 5),
    ("Hibernating",             2, 2, 1, 2),
    ("Lost",                    1, 1, 1, 2),
)

#: Segment names in display order (best to worst).
SEGMENTS: tuple[str, ...] = tuple(rule[0] for rule in SEGMENT_RULES)

RFM_COLUMNS = ("customer_id", "last_order_at", "recency_days", "frequency", "monetary",
               "r_score", "f_score", "m_score", "fm_score", "rfm_score", "segment")


def segment_rules():
    """The segment rules as a tidy pandas table (segment, r_min, r_max, fm_min, fm_max).

    >>> segment_rules().iloc[0].to_dict()
    {'segment': 'Champions', 'r_min': 5, 'r_max': 5, 'fm_min': 4, 'fm_max': 5}
    """
    import pandas as pd

    return pd.DataFrame(SEGMENT_RULES, columns=["segment", "r_min", "r_max", "fm_min", "fm_max"])


def segment_of(r_score: int, fm_score: int) -> str:
    """The named segment of one (R, FM) score pair (the pure scoring rule).

    >>> segment_of(5, 5), segment_of(1, 1), segment_of(3, 3)
    ('Champions', 'Lost', 'Need Attention')
    """
    for name, r_lo, r_hi, fm_lo, fm_hi in SEGMENT_RULES:
        if r_lo <= r_score <= r_hi and fm_lo <= fm_score <= fm_hi:
            return name
    raise ValueError(f"scores out of range: r={r_score}, fm={fm_score}")


#: The ``orders`` columns RFM reads (checked on entry).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue")


def rfm_expr(orders, as_of=None, *, buckets: int = 5, scoring: str = "auto", refunds=None):
    """The RFM table as an Ibis expression over an ``orders`` Ibis table.

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in ``orders``.
    Guest orders (no ``customer_id``) are left out (:func:`cmokit.revenue.identified`).
    ``refunds`` (an Ibis ``refunds`` table, or ``None`` for gross revenue) nets ``monetary``
    (:mod:`cmokit.revenue`: a refund linked to an order reduces that order, an order refunded
    in full still counts with value 0, other refunds of the customer reduce the total).
    """
    import ibis

    from cmokit.engine import days_between, quantile_scores, snapshot_day
    from cmokit.revenue import identified, less_refunds, net_orders

    as_of = snapshot_day(orders, as_of)
    day = ibis.literal(as_of, type="date")
    per = net_orders(identified(orders_until(orders, as_of)), refunds, as_of).group_by("customer_id").aggregate(
        last_order_at=lambda t: t.ordered_at.max(),
        frequency=lambda t: t.count().cast("int64"),
        monetary=lambda t: money(t.revenue),
    )
    per = less_refunds(per, refunds, as_of, ("monetary",))
    per = per.mutate(recency_days=days_between(day, per.last_order_at).cast("int64"))
    scored = quantile_scores(per, {"r_score": ("recency_days", True), "f_score": ("frequency", False),
                                   "m_score": ("monetary", False)}, buckets, "customer_id", method=scoring)
    fm = ((scored.f_score + scored.m_score + 1) / 2).floor().cast("int64")
    scored = scored.mutate(fm_score=fm)
    branches = [
        ((scored.r_score.between(r_lo, r_hi)) & (scored.fm_score.between(fm_lo, fm_hi)), name)
        for name, r_lo, r_hi, fm_lo, fm_hi in SEGMENT_RULES
    ]
    scored = scored.mutate(
        rfm_score=scored.r_score.cast("string") + scored.f_score.cast("string") + scored.m_score.cast("string"),
        segment=ibis.cases(*branches, else_=ibis.null("string")),
    )
    return scored.select(*RFM_COLUMNS).order_by("customer_id")


def rfm(source, as_of=None, *, buckets: int = 5, scoring: str = "auto", revenue: str = "net"):
    """Recency, frequency, monetary value, scores and named segment per customer.

    Parameters
    ----------
    source
        A :class:`cmokit.Warehouse` (or path), or a pandas / polars frame shaped
        like the contract ``orders`` table.
    as_of
        Snapshot day, inclusive: orders up to the end of this UTC day count;
        ``None`` (default) = the latest order day in the data.
    buckets
        Number of quantile scores (5 gives the classic 1–5 scores; the named
        segments need 5).
    scoring
        How scores are cut (:func:`cmokit.engine.quantile_scores`): ``"rank"``
        (equal-sized buckets, ties split by ``customer_id``), ``"quantile"``
        (cut points at the quintiles, computed in parallel; tied customers
        share a score), ``"approx_quantile"`` (sketch cut points, for very
        large data) or ``"auto"``: ``"quantile"`` on Spark, ``"rank"`` elsewhere.
    revenue
        ``"net"`` (default): ``monetary`` is revenue less the refunds booked by ``as_of``
        (:mod:`cmokit.revenue`; an order refunded in full still counts in ``frequency``);
        ``"gross"``: refunds ignored. A source without a ``refunds`` table gives gross.

    Guest orders (no ``customer_id``) are left out; :func:`cmokit.revenue.guest_share`
    says how many.

    Returns
    -------
    DataFrame
        One row per customer with an order by ``as_of``, sorted by
        ``customer_id``: ``customer_id, last_order_at, recency_days, frequency,
        monetary, r_score, f_score, m_score, fm_score, rfm_score, segment``.
        pandas for a warehouse; the input's kind for a frame.

    Raises
    ------
    ContractError
        When ``orders`` lacks ``customer_id``, ``ordered_at`` or ``revenue``, has
        revenue that is not a number (text, NaN), duplicate ``order_id`` values,
        or no rows at all with ``as_of=None``. With an explicit ``as_of`` and no
        order by then, the result is an empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
    ...     "ordered_at": pd.to_datetime(["2025-12-31", "2024-01-01"]),
    ...     "revenue": [10.0, 5.0], "campaign_id": [None, None]})
    >>> rfm(orders, as_of="2025-12-31", buckets=2)[["customer_id", "r_score", "m_score"]]
      customer_id  r_score  m_score
    0           a        2        2
    1           b        1        1
    """
    from cmokit.warehouse import resolve

    from cmokit.revenue import refunds_of

    r = resolve(source, "orders")
    orders = r.table("orders", columns=ORDER_COLUMNS)
    return r.execute(rfm_expr(orders, r.as_of(as_of), buckets=buckets, scoring=scoring,
                              refunds=refunds_of(r, revenue)))


def segment_summary_expr(scored):
    """Segment sizes and revenue shares over an RFM Ibis expression."""
    import ibis

    agg = scored.group_by("segment").aggregate(
        customers=scored.count().cast("int64"),
        revenue=scored.monetary.sum(),
        mean_recency_days=scored.recency_days.mean(),
        mean_frequency=scored.frequency.mean(),
        mean_monetary=scored.monetary.mean(),
    )
    whole = ibis.window()
    return agg.mutate(
        customer_share=agg.customers / agg.customers.sum().over(whole),
        revenue_share=agg.revenue / agg.revenue.sum().over(whole),
    )


def segment_summary(source, as_of=None, *, scoring: str = "auto", revenue: str = "net"):
    """Segment sizes and revenue shares as of a date (one engine query).

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in the data.
    Orders are validated as in :func:`rfm`.

    Returns one row per named segment in :data:`SEGMENTS` order (segments with
    no customers appear with zeros): ``segment, customers, customer_share,
    revenue, revenue_share, mean_recency_days, mean_frequency, mean_monetary``.
    ``scoring`` and ``revenue`` (net by default) are as in :func:`rfm`; guest orders are left out.

    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["a"],
    ...     "ordered_at": pd.to_datetime(["2025-12-31"]), "revenue": [10.0], "campaign_id": [None]})
    >>> summary = segment_summary(orders).set_index("segment")
    >>> int(summary.loc["Lost", "customers"]), float(summary.loc["Lost", "revenue_share"])
    (1, 1.0)
    """
    import pandas as pd

    from cmokit.warehouse import resolve

    from cmokit.revenue import refunds_of

    r = resolve(source, "orders")
    orders = r.table("orders", columns=ORDER_COLUMNS)
    scored = rfm_expr(orders, r.as_of(as_of), scoring=scoring, refunds=refunds_of(r, revenue))
    raw = r.warehouse.execute(segment_summary_expr(scored),
                              output="pandas")
    out = (raw.set_index("segment").reindex(list(SEGMENTS)).rename_axis("segment").reset_index())
    counts = ["customers"]
    zeros = ["revenue", "customer_share", "revenue_share"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out[zeros] = out[zeros].fillna(0.0).astype("float64")
    cols = ["segment", "customers", "customer_share", "revenue", "revenue_share",
            "mean_recency_days", "mean_frequency", "mean_monetary"]
    return r.finish(pd.DataFrame(out[cols]))


__all__ = ["ORDER_COLUMNS", "RFM_COLUMNS", "SEGMENTS", "SEGMENT_RULES", "as_of_date", "money", "orders_until", "rfm",
           "rfm_expr", "segment_of", "segment_rules", "segment_summary", "segment_summary_expr"]
