"""Customer survival: Kaplan–Meier curves of time to churn, by cohort or segment.

Per customer (one engine query, :func:`lifetimes`): the customer's lifetime
starts at the first order. A customer with no order in the last
``window_days`` before ``as_of`` has churned (the event), at the time of the
last order (``duration_days`` = last − first order). Everyone else is still
alive and censored at ``as_of`` (``duration_days`` = ``as_of`` − first order).

:func:`kaplan_meier` fits the product-limit estimator per group with
lifelines (Kaplan & Meier 1958, JASA 53(282); Greenwood's variance and
log(−log) 95% intervals, as lifelines' ``KaplanMeierFitter``).

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-12-01"]),
...     "revenue": [1.0, 1.0, 1.0], "campaign_id": [None, None, None]})
>>> lifetimes(orders, as_of="2025-12-31", window_days=90)[["customer_id", "duration_days", "churned"]]
  customer_id  duration_days  churned
0           a             10     True
1           b             30    False
"""

from __future__ import annotations

from cmokit.errors import ConfigError

GROUPS = ("cohort_year", "cohort_quarter", "segment", "all")


def lifetimes_expr(orders, as_of=None, window_days: int = 180, *, refunds=None):
    """Per customer: cohort, segment, ``duration_days`` and ``churned`` as of ``as_of``.

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in ``orders``.
    Guest orders are left out; ``refunds`` (``None`` = gross) nets the RFM segment as in
    :func:`cmokit.segments.rfm.rfm_expr`.
    """
    import ibis

    from cmokit.engine import days_between, orders_until, snapshot_day
    from cmokit.segments.rfm import rfm_expr

    as_of = snapshot_day(orders, as_of)
    day = ibis.literal(as_of, type="date")
    from cmokit.revenue import identified

    scored = rfm_expr(orders, as_of, refunds=refunds)
    orders = identified(orders_until(orders, as_of))
    firsts = orders.group_by("customer_id").aggregate(first_order_at=orders.ordered_at.min())
    t = scored.join(firsts, "customer_id")
    churned = t.recency_days > int(window_days)
    duration = churned.ifelse(days_between(t.last_order_at, t.first_order_at), days_between(day, t.first_order_at))
    year = t.first_order_at.year().cast("string")
    quarter = ((t.first_order_at.month() - 1) // 3 + 1).cast("int64").cast("string")
    return t.select(
        "customer_id",
        cohort_year=year,
        cohort_quarter=year + ibis.literal("-Q") + quarter,
        segment=t.segment,
        duration_days=duration.cast("int64"),
        churned=churned,
    ).order_by("customer_id")


def lifetimes(source, as_of=None, window_days: int = 180, *, revenue: str = "net"):
    """Lifetime per customer (``customer_id, cohort_year, cohort_quarter, segment,
    duration_days, churned``) as of ``as_of``; one engine query.

    ``as_of`` is the snapshot day, inclusive (UTC: orders up to the end of that day
    count); ``None`` = the latest order day in the data. Orders are validated on
    entry (:class:`~cmokit.errors.ContractError`); the input's frame kind comes back.
    Guest orders are left out; ``revenue`` (``"net"`` by default, or ``"gross"``) sets the
    RFM segment's monetary value as in :func:`cmokit.segments.rfm.rfm`.
    """
    from cmokit.revenue import refunds_of
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    orders = r.table("orders", columns=("customer_id", "ordered_at", "revenue"))
    return r.execute(lifetimes_expr(orders, r.as_of(as_of), window_days, refunds=refunds_of(r, revenue)))


def kaplan_meier(table, by: str = "cohort_year"):
    """Kaplan–Meier survival curves per group of a :func:`lifetimes` table.

    Returns a tidy pandas frame ``group, duration_days, survival,
    survival_lower, survival_upper, at_risk`` (one row per group and event
    time, starting at day 0 with survival 1).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"duration_days": [10, 20, 30], "churned": [True, False, True], "cohort_year": "2025"})
    >>> kaplan_meier(t)["survival"].round(3).tolist()
    [1.0, 0.667, 0.667, 0.0]
    """
    import pandas as pd
    from lifelines import KaplanMeierFitter

    if by not in GROUPS:
        raise ConfigError(f"by must be one of {GROUPS}, not {by!r}")
    from cmokit._frames import to_pandas

    table = to_pandas(table)
    keys = pd.Series("all customers", index=table.index) if by == "all" else table[by]
    frames = []
    for group in sorted(keys.dropna().unique()):
        part = table[keys == group]
        km = KaplanMeierFitter().fit(part["duration_days"], part["churned"].astype(bool), label="survival")
        ci = km.confidence_interval_survival_function_
        curve = pd.DataFrame({
            "group": group,
            "duration_days": km.survival_function_.index.to_numpy(),
            "survival": km.survival_function_["survival"].to_numpy(),
            "survival_lower": ci.iloc[:, 0].to_numpy(),
            "survival_upper": ci.iloc[:, 1].to_numpy(),
            "at_risk": km.event_table["at_risk"].reindex(km.survival_function_.index).to_numpy(),
        })
        frames.append(curve)
    return pd.concat(frames, ignore_index=True)


def median_lifetime(curves):
    """Median survival time (days) per group from :func:`kaplan_meier` output (NaN if not reached)."""
    import numpy as np

    def first_below(g):
        below = g.loc[g["survival"] <= 0.5, "duration_days"]
        return float(below.iloc[0]) if len(below) else np.nan

    return curves.groupby("group").apply(first_below, include_groups=False).rename("median_lifetime_days").reset_index()


__all__ = ["GROUPS", "kaplan_meier", "lifetimes", "lifetimes_expr", "median_lifetime"]
