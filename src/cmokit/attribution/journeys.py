"""Customer journeys: the touch paths that led (or did not lead) to an order.

A **converting journey** is the ordered list of one customer's touches in the
``lookback_days`` before an order (inclusive of touches at the order's
instant) and after that customer's previous order, so each touch belongs to at
most one conversion. A **non-converting journey** is a customer's touches after
their last order (or all of them, if they never ordered), restricted to the
``lookback_days`` before their final touch. Within a journey, consecutive
touches on the same channel less than ``session_gap_minutes`` apart collapse
into one (a session). Journeys are aggregated to distinct paths::

    path                     conversions  conversion_value  nulls
    "display > paid_search"  12           1034.50           240

the same shape as the external format used by ChannelAttribution and most
attribution tools (``path``, ``total_conversions``, ``total_conversion_value``,
``total_null``), which :func:`from_paths` reads. The heavy work (joins, windows,
dedup, aggregation) runs in the engine as Ibis expressions; only distinct
paths come back. Parameters and their defaults are recorded in DECISIONS.md.

The snapshot is ``as_of`` (a UTC day, inclusive: orders and touches on it count;
``None`` = the latest order day in the data). Its old name ``end=`` still works
with a ``FutureWarning``.

:func:`encode` turns distinct paths into flat integer arrays (channel code per
touch, path index, position, path length) that every model consumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cmokit._frames import like, to_pandas
from cmokit.engine import renamed_args
from cmokit.errors import ConfigError

#: Separator of channels in a path string.
SEP = " > "
#: Columns of a paths table, in order.
PATH_COLUMNS = ("path", "conversions", "conversion_value", "nulls")


#: Contract tables and columns journeys read.
NEEDS = {"touchpoints": ("touchpoint_id", "customer_id", "touched_at", "channel"),
         "orders": ("order_id", "customer_id", "ordered_at", "revenue")}


@renamed_args(end="as_of", warehouse="source")
def journey_touches(source, *, start: str | None = None, as_of=None,
                    lookback_days: int = 30, session_gap_minutes: float = 30.0,
                    first_orders_only: bool = False):
    """The touch-level journeys as Ibis expressions (see :func:`build_journeys` for the rules).

    ``source`` is a warehouse (or anything :func:`~cmokit.warehouse.connect.resolve` takes);
    ``as_of`` the snapshot day (UTC, inclusive; ``None`` = the latest order day).

    Returns ``(touches, conversions, converting)``: one row per kept touch
    (``touchpoint_id``, ``touched_at``, ``channel``, ``journey_id``,
    ``converted`` 0/1, ``revenue``, ``ends_at`` = the order time, or the last
    touch for a non-converting journey), the orders counted as conversions,
    and the converting touches before sessionising.
    """
    import ibis

    from cmokit._inputs import snapshot
    from cmokit.engine import as_of_date, as_timestamp, day_end
    from cmokit.revenue import identified
    from cmokit.warehouse.connect import resolve

    if lookback_days <= 0 or session_gap_minutes < 0:
        raise ConfigError("lookback_days must be > 0 and session_gap_minutes >= 0")
    res = resolve(source, "touchpoints")
    tp, od = (res.table(name, NEEDS[name], nonempty=True) for name in ("touchpoints", "orders"))
    end_ts = as_timestamp(day_end(snapshot(res, as_of)))
    if start is not None:
        start = as_of_date(start)
    lookback = ibis.interval(days=int(lookback_days))

    od = identified(od.filter(od.ordered_at < end_ts))  # a guest order has no customer, so no journey
    by_customer = ibis.window(group_by=od.customer_id, order_by=[od.ordered_at, od.order_id])
    od = od.mutate(prev_ordered_at=od.ordered_at.lag().over(by_customer))
    conv = od if start is None else od.filter(od.ordered_at >= as_timestamp(start))
    if first_orders_only:
        conv = conv.filter(conv.prev_ordered_at.isnull())
    tp = tp.filter(tp.touched_at < end_ts).select("touchpoint_id", "customer_id", "touched_at", "channel")

    o = conv.select(o_customer="customer_id", journey_id="order_id", ordered_at="ordered_at",
                    prev_ordered_at="prev_ordered_at", revenue=conv.revenue.cast("float64"))
    converting = tp.join(
        o,
        [tp.customer_id == o.o_customer, tp.touched_at <= o.ordered_at,
         tp.touched_at >= o.ordered_at - lookback,
         o.prev_ordered_at.isnull() | (tp.touched_at > o.prev_ordered_at)],
    ).select("touchpoint_id", "touched_at", "channel", "journey_id",
             converted=ibis.literal(1), revenue="revenue", ends_at="ordered_at")

    last_order = od.group_by(l_customer=od.customer_id).aggregate(last_ordered_at=od.ordered_at.max())
    tail = tp.left_join(last_order, tp.customer_id == last_order.l_customer)
    open_after_order = tail.last_ordered_at.isnull()
    if not first_orders_only:
        open_after_order = open_after_order | (tail.touched_at > tail.last_ordered_at)
    tail = tail.filter(open_after_order)
    tail = tail.mutate(anchor=tail.touched_at.max().over(group_by=tail.customer_id))
    tail = tail.filter(tail.touched_at >= tail.anchor - lookback)
    if start is not None:
        tail = tail.filter(tail.anchor >= as_timestamp(start))
    nulls = tail.select("touchpoint_id", "touched_at", "channel",
                        journey_id=ibis.literal("n:") + tail.customer_id,
                        converted=ibis.literal(0), revenue=ibis.literal(0.0), ends_at="anchor")
    touches = converting.union(nulls)

    # sessionise: drop a touch that repeats the previous touch's channel within the gap
    w = ibis.window(group_by=touches.journey_id, order_by=[touches.touched_at, touches.touchpoint_id])
    touches = touches.mutate(prev_channel=touches.channel.lag().over(w),
                             prev_at=touches.touched_at.lag().over(w))
    gap_s = float(session_gap_minutes) * 60.0
    keep = (touches.prev_channel.isnull() | (touches.channel != touches.prev_channel)
            | ((touches.touched_at.epoch_seconds() - touches.prev_at.epoch_seconds()) >= gap_s))
    touches = touches.filter(keep)

    return touches, conv, converting


@renamed_args(end="as_of")
def build_journeys(source, *, start: str | None = None, as_of=None,
                   lookback_days: int = 30, session_gap_minutes: float = 30.0,
                   first_orders_only: bool = False):
    """Build journeys from ``touchpoints`` and ``orders``, aggregated to paths.

    Parameters
    ----------
    source
        A :class:`cmokit.warehouse.Warehouse`, a path to one, or a dict with
        ``touchpoints`` and ``orders`` frames.
    start, as_of
        Conversions (orders) and non-converting journeys ending on these UTC
        days, inclusive (ISO ``YYYY-MM-DD``). ``start=None`` means from the
        first order; ``as_of=None`` is the latest order day in the data (touches
        after it are not seen). ``end=`` is the old name of ``as_of``.
    lookback_days
        Touches at most this many days before an order count toward it.
    session_gap_minutes
        Consecutive touches on the same channel closer than this collapse
        into one. ``0`` keeps every touch.
    first_orders_only
        Count only each customer's first order as a conversion (acquisition
        attribution); non-converting journeys then come from customers who
        have not ordered by ``as_of``.

    Returns
    -------
    pandas.DataFrame (or the kind of the input frames; a warehouse's ``output``)
        One row per distinct path: ``path``, ``conversions``,
        ``conversion_value`` (EUR), ``nulls``, sorted by path. ``attrs``
        records the parameters and ``orders_without_touches`` (conversions
        with an empty path, which no model can credit).

    Examples
    --------
    >>> import pandas as pd, cmokit
    >>> tp = pd.DataFrame({"touchpoint_id": ["t1", "t2", "t3"],
    ...     "customer_id": ["c1", "c1", "c2"],
    ...     "touched_at": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-05"]),
    ...     "channel": ["display", "email", "display"], "campaign_id": [None] * 3,
    ...     "touch_type": ["impression", "click", "impression"]})
    >>> od = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
    ...     "ordered_at": pd.to_datetime(["2025-01-04"]), "revenue": [50.0],
    ...     "campaign_id": [None]})
    >>> build_journeys({"touchpoints": tp, "orders": od}, as_of="2025-01-31")
                  path  conversions  conversion_value  nulls
    0          display            0               0.0      1
    1  display > email            1              50.0      0
    """
    import ibis

    from cmokit._inputs import snapshot
    from cmokit.warehouse.connect import resolve

    res = resolve(source, "touchpoints")
    as_of = snapshot(res, as_of)
    touches, conv, converting = journey_touches(
        res.warehouse, start=start, as_of=as_of, lookback_days=lookback_days,
        session_gap_minutes=session_gap_minutes, first_orders_only=first_orders_only)
    # the path string: collect (time, id, channel) structs, sort them, keep the channel, join.
    # Portable where group_concat(order_by=...) is not (PySpark); structs sort field by field.
    step = ibis.struct({"at": touches.touched_at, "id": touches.touchpoint_id, "channel": touches.channel})
    per_journey = touches.group_by("journey_id").aggregate(
        steps=step.collect(),
        converted=touches.converted.max(),
        revenue=touches.revenue.max(),
    )
    per_journey = per_journey.mutate(path=per_journey.steps.sort().map(lambda s: s.channel).join(SEP))
    paths = per_journey.group_by("path").aggregate(
        conversions=per_journey.converted.sum().cast("int64"),
        conversion_value=per_journey.revenue.sum().cast("float64"),
        nulls=(1 - per_journey.converted).sum().cast("int64"),
    ).order_by("path")
    out = res.warehouse.execute(paths, output="pandas")
    out = out[list(PATH_COLUMNS)].reset_index(drop=True)
    out["conversion_value"] = out["conversion_value"].round(2)

    journeys_ids = converting.select("journey_id").distinct()
    untouched = conv.anti_join(journeys_ids, conv.order_id == journeys_ids.journey_id).count()
    out.attrs = {
        "start": start, "as_of": str(as_of), "end": str(as_of), "lookback_days": int(lookback_days),
        "session_gap_minutes": float(session_gap_minutes), "first_orders_only": bool(first_orders_only),
        "orders_without_touches": int(res.warehouse.execute(untouched)),
    }
    return res.finish(out)


def parse_window(window: str) -> tuple[str | None, str]:
    """``"START/END"`` (UTC days, inclusive; ``START`` may be empty) -> ``(start, end)``.

    >>> parse_window("2025-01-01/2025-12-31")
    ('2025-01-01', '2025-12-31')
    >>> parse_window("/2025-06-30")
    (None, '2025-06-30')
    """
    parts = [p.strip() for p in str(window).split("/")]
    if len(parts) != 2 or not parts[1]:
        raise ConfigError(f"window must look like 'YYYY-MM-DD/YYYY-MM-DD' (start may be empty), not {window!r}")
    from cmokit.engine import as_of_date

    for part in parts:
        if part:
            try:
                as_of_date(part)
            except ConfigError as exc:
                raise ConfigError(f"window {window!r}: {part!r} is not an ISO date (YYYY-MM-DD)") from exc
    return parts[0] or None, parts[1]


def from_paths(frame, *, path: str = "path", conversions: str = "total_conversions",
               conversion_value: str | None = "total_conversion_value",
               nulls: str | None = "total_null", sep: str = SEP) -> pd.DataFrame:
    """Read the external paths format (one row per path string) into a paths table.

    Parameters
    ----------
    frame
        pandas or polars frame with a path column (``"A > B > C"``) and counts.
    path, conversions, conversion_value, nulls
        Column names in ``frame``; ``conversion_value`` / ``nulls`` may be
        ``None`` when absent (then 0).
    sep
        Channel separator inside the path string; spaces around channels are stripped.

    Examples
    --------
    >>> df = pd.DataFrame({"path": ["A > B", "A > B", "C"], "total_conversions": [1, 2, 0],
    ...                    "total_null": [0, 1, 3]})
    >>> from_paths(df, conversion_value=None)
        path  conversions  conversion_value  nulls
    0  A > B            3               0.0      1
    1      C            0               0.0      3
    """
    frame = to_pandas(frame)
    missing = [c for c in (path, conversions, conversion_value, nulls) if c and c not in frame.columns]
    if missing:
        raise ConfigError(f"paths frame lacks columns {missing}; it has {list(frame.columns)}")
    raw = frame[path].astype(str)
    if sep.strip() != sep or sep != SEP:
        raw = raw.str.split(sep.strip()).map(lambda parts: SEP.join(p.strip() for p in parts))
    out = pd.DataFrame({
        "path": raw.to_numpy(dtype=object),
        "conversions": frame[conversions].to_numpy(dtype="float64"),
        "conversion_value": frame[conversion_value].to_numpy(dtype="float64") if conversion_value else 0.0,
        "nulls": frame[nulls].to_numpy(dtype="float64") if nulls else 0.0,
    })
    out = out.groupby("path", sort=True, as_index=False).sum()
    for col in ("conversions", "nulls"):
        if (out[col] == out[col].round()).all():
            out[col] = out[col].astype("int64")
    return out


def paths_table(journeys) -> pd.DataFrame:
    """A paths table as pandas with the standard columns (accepts polars and Arrow too)."""
    journeys = to_pandas(journeys)
    missing = [c for c in PATH_COLUMNS if c not in journeys.columns]
    if missing:
        raise ConfigError(
            f"journeys lack columns {missing}; build them with build_journeys() or read "
            "the external format with from_paths()"
        )
    return journeys


def same_kind(journeys, result: pd.DataFrame):
    """``result`` in the frame kind of ``journeys`` (pandas, polars or Arrow)."""
    return like(result, journeys)


@dataclass
class Encoded:
    """Distinct paths as flat arrays (one entry per touch, paths in order)."""

    channels: list[str]
    codes: np.ndarray  # channel code of each touch
    path_index: np.ndarray  # which path each touch belongs to
    position: np.ndarray  # 0-based position of the touch in its path
    length: np.ndarray  # per path: number of touches
    conversions: np.ndarray  # per path
    value: np.ndarray  # per path
    nulls: np.ndarray  # per path
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def path_length(self) -> np.ndarray:
        """Length of the path of each touch."""
        return self.length[self.path_index]

    @property
    def is_last(self) -> np.ndarray:
        return self.position == self.path_length - 1


def encode(journeys) -> Encoded:
    """Encode a paths table into flat integer arrays; channels sorted by name.

    Repeated path strings are summed and empty paths dropped; paths come out
    sorted. Works in a handful of vectorised passes, so
    millions of distinct paths encode in seconds.
    """
    df = paths_table(journeys)
    attrs = dict(df.attrs)
    # collapse repeated path strings first: only distinct paths are tokenised
    column = df["path"] if pd.api.types.is_string_dtype(df["path"]) else df["path"].astype(str)
    index, paths = pd.factorize(column, sort=True)  # on the Series: Arrow-backed strings hash fast
    paths = np.asarray(paths, dtype=object)
    sums = {col: np.bincount(index, df[col].to_numpy(dtype="float64"), minlength=len(paths))
            for col in ("conversions", "conversion_value", "nulls")}
    nonempty = np.asarray([len(p) > 0 for p in paths], dtype=bool)
    paths = np.asarray(paths, dtype=object)[nonempty]
    sums = {col: v[nonempty] for col, v in sums.items()}
    tokens = np.array(SEP.join(paths).split(SEP), dtype=object) if len(paths) else np.array([], dtype=object)
    length = np.zeros(0, dtype=np.int64)
    if len(paths):
        import pyarrow as pa
        import pyarrow.compute as pc

        strings = pa.array(paths, type=pa.large_string())
        length = pc.count_substring(strings, SEP).to_numpy(zero_copy_only=False) + 1
    codes, uniques = pd.factorize(tokens, sort=True)
    path_index = np.repeat(np.arange(len(paths)), length)
    starts = np.cumsum(length) - length
    position = np.arange(len(tokens)) - np.repeat(starts, length)
    return Encoded(
        channels=[str(u) for u in uniques], codes=codes.astype(np.int64), path_index=path_index,
        position=position, length=length.astype(np.int64),
        conversions=sums["conversions"], value=sums["conversion_value"], nulls=sums["nulls"],
        attrs=attrs,
    )


__all__ = ["SEP", "PATH_COLUMNS", "journey_touches", "build_journeys", "parse_window", "from_paths", "paths_table", "same_kind", "Encoded", "encode"]
