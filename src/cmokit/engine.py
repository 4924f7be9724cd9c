"""Small Ibis helpers shared by every engine-side routine.

Ibis ``ntile`` counts from 0 and rank windows need a unique tie-breaker to give
the same answer on every engine; these helpers do both once.
"""

from __future__ import annotations


def ntile_score(column, buckets: int, tiebreak, *, descending: bool = False):
    """1-based quantile score of ``column`` in ``buckets`` groups.

    Ties are broken by ``tiebreak`` (a unique column such as ``customer_id``)
    so the result is deterministic and identical across engines.
    ``descending=True`` gives the highest values score 1.
    """
    import ibis

    order = [ibis.desc(column) if descending else ibis.asc(column), ibis.asc(tiebreak)]
    return (ibis.ntile(buckets).over(ibis.window(order_by=order)) + 1).cast("int64")


def days_between(later, earlier):
    """Whole-day difference ``later - earlier`` of two date/timestamp columns."""
    return later.cast("date").delta(earlier.cast("date"), unit="day")


def as_timestamp(value):
    """An Ibis timestamp literal from a date string / datetime (end handled by caller)."""
    import ibis
    import pandas as pd

    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")
