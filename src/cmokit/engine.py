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


#: How quantile scores are assigned (see :func:`quantile_scores`).
SCORING_METHODS = ("auto", "rank", "quantile", "approx_quantile")


def engine_of(table) -> str:
    """Name of the Ibis backend an expression runs on (``duckdb``, ``pyspark``, ...)."""
    try:
        return table.get_backend().name
    except Exception:  # an unbound expression: the embedded default
        return "duckdb"


def quantile_scores(table, columns: dict, buckets: int, tiebreak: str, *, method: str = "auto"):
    """Add 1-based quantile scores to ``table``, one per entry of ``columns``.

    ``columns`` maps a score name to ``(column_name, descending)``. Methods:

    * ``"rank"`` — :func:`ntile_score` over the whole table: equal-sized buckets,
      ties split by ``tiebreak``. Exact, but a global sort: Spark runs it in a
      single partition.
    * ``"quantile"`` — cut points at the ``k / buckets`` quantiles (linear
      interpolation, computed as one aggregate that every engine runs in
      parallel), score = 1 + number of cut points below the value (above it
      for ``descending``). Equal values share a bucket, so buckets are only
      roughly equal when many customers tie (e.g. one order each).
    * ``"approx_quantile"`` — the same with the engine's approximate quantile
      sketch (DuckDB t-digest, Spark Greenwald-Khanna): cheapest on very large
      data; cut points, and so scores at bucket edges, may differ by engine.
    * ``"auto"`` — ``"quantile"`` on Spark (no single-partition step),
      ``"rank"`` elsewhere.

    >>> import ibis, pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"id": list("abcd"), "x": [1.0, 1.0, 1.0, 9.0]}))
    >>> quantile_scores(t, {"s": ("x", False)}, 2, "id", method="rank").order_by("id").s.to_list()
    [1, 1, 2, 2]
    >>> quantile_scores(t, {"s": ("x", False)}, 2, "id", method="quantile").order_by("id").s.to_list()
    [1, 1, 1, 2]
    """
    import ibis

    if method not in SCORING_METHODS:
        from cmokit.errors import ConfigError

        raise ConfigError(f"scoring method {method!r}: expected one of {', '.join(SCORING_METHODS)}")
    if method == "auto":
        method = "quantile" if engine_of(table) == "pyspark" else "rank"
    if method == "rank":
        return table.mutate(**{name: ntile_score(table[col], buckets, table[tiebreak], descending=desc)
                               for name, (col, desc) in columns.items()})
    cuts = {}
    for name, (col, _) in columns.items():
        value = table[col].cast("float64")
        for k in range(1, buckets):
            q = k / buckets
            cuts[f"__cut_{name}_{k}"] = value.quantile(q) if method == "quantile" else value.approx_quantile(q)
    joined = table.cross_join(table.aggregate(**cuts))  # one row of cut points, broadcast to every row
    scores = {}
    for name, (col, desc) in columns.items():
        value = joined[col].cast("float64")
        below = [(value < joined[f"__cut_{name}_{k}"]) if desc else (value > joined[f"__cut_{name}_{k}"])
                 for k in range(1, buckets)]
        scores[name] = (ibis.literal(1) + sum(b.cast("int64") for b in below)).cast("int64")
    return joined.mutate(**scores).select(*table.columns, *columns)


def days_between(later, earlier):
    """Whole-day difference ``later - earlier`` of two date/timestamp columns."""
    return later.cast("date").delta(earlier.cast("date"), unit="day")


def as_timestamp(value):
    """An Ibis timestamp literal from a date string / datetime (end handled by caller)."""
    import ibis
    import pandas as pd

    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")


# --- the one date rule ---------------------------------------------------------------------
#
# Every routine that takes a snapshot date calls it ``as_of`` and resolves it with
# :func:`snapshot_day`: ``as_of=None`` means the latest UTC day that has an order in the
# data; a given ``as_of`` is a UTC calendar day and counts *inclusively* (everything up to
# the end of that day). Dates are ISO 8601 only, so ``"12/01/2025"`` is an error rather than
# a silent 1 December or 12 January.

_ISO_DAY = r"\d{4}-\d{2}-\d{2}"


def as_of_date(as_of):
    """``as_of`` as a UTC calendar date (``datetime.date``).

    Accepts a ``date``, a ``datetime`` / ``pandas.Timestamp`` (a time-zone-aware
    value is converted to UTC first) or an ISO 8601 string (``"2025-12-31"``,
    ``"2025-12-31T23:00"``, ``"2025-12-31T23:00+01:00"``). Anything else raises
    :class:`~cmokit.errors.ConfigError` saying what is expected.

    >>> as_of_date("2025-12-31")
    datetime.date(2025, 12, 31)
    >>> as_of_date("2026-01-01T00:30+01:00")  # 23:30 UTC the day before
    datetime.date(2025, 12, 31)
    >>> as_of_date("12/01/2025")
    Traceback (most recent call last):
    ...
    cmokit.errors.ConfigError: as_of '12/01/2025' is not an ISO date: write it as YYYY-MM-DD (e.g. '2025-12-31')
    """
    import datetime as dt
    import re

    import pandas as pd

    from cmokit.errors import ConfigError

    if as_of is None:
        raise ConfigError("as_of is None here: resolve it with cmokit.engine.snapshot_day(orders, as_of)")
    if isinstance(as_of, str):
        text = as_of.strip()
        if not re.fullmatch(_ISO_DAY + r"([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?", text):
            raise ConfigError(f"as_of {as_of!r} is not an ISO date: write it as YYYY-MM-DD (e.g. '2025-12-31')")
        try:
            as_of = pd.Timestamp(text)
        except ValueError as exc:
            raise ConfigError(f"as_of {as_of!r} is not a valid date: {exc}") from None
    elif isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return as_of
    elif isinstance(as_of, (dt.datetime, pd.Timestamp)):
        as_of = pd.Timestamp(as_of)
    else:
        try:  # numpy datetime64 and friends
            import numpy as np

            if isinstance(as_of, np.datetime64):
                as_of = pd.Timestamp(as_of)
            else:
                raise TypeError
        except TypeError:
            raise ConfigError(f"as_of must be an ISO date string, a date or a timestamp, "
                              f"not {type(as_of).__name__} ({as_of!r})") from None
    if pd.isna(as_of):
        raise ConfigError("as_of is NaT: give a date such as '2025-12-31', or None for the latest order day")
    if as_of.tzinfo is not None:
        as_of = as_of.tz_convert("UTC").tz_localize(None)
    return as_of.date()


def day_end(day):
    """The first instant after the UTC day ``day`` (naive UTC ``datetime``): the exclusive bound."""
    import datetime as dt

    return dt.datetime.combine(as_of_date(day) + dt.timedelta(days=1), dt.time())


def latest_day(table, column: str = "ordered_at"):
    """The latest UTC calendar day in ``table[column]`` (``None`` when the table is empty)."""
    import pandas as pd

    value = table[column].max().execute()
    if value is None or pd.isna(value):
        return None
    return as_of_date(pd.Timestamp(value))


def snapshot_day(table, as_of=None, column: str = "ordered_at", *, what: str = "orders"):
    """The snapshot day every routine uses: ``as_of`` as a UTC date, or, when ``as_of``
    is ``None``, the latest day with a row in ``table[column]`` (by default the latest
    order day). An empty table with ``as_of=None`` raises
    :class:`~cmokit.errors.ContractError` (there is no "latest" to take).

    >>> import ibis, pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"ordered_at": pd.to_datetime(["2025-03-01 10:00", "2025-03-04 23:59"])}))
    >>> snapshot_day(t), snapshot_day(t, "2025-03-02")
    (datetime.date(2025, 3, 4), datetime.date(2025, 3, 2))
    """
    if as_of is not None:
        return as_of_date(as_of)
    day = latest_day(table, column)
    if day is None:
        from cmokit.errors import ContractError

        raise ContractError(f"{what} is empty: there is no latest {column} to use as the snapshot date; "
                            f"load data or pass as_of='YYYY-MM-DD'", table=what)
    return day


def until(table, as_of, column: str = "ordered_at"):
    """Rows of ``table`` with ``column`` on or before the UTC day ``as_of`` (inclusive;
    the bound is a literal the engine binds, never formatted into SQL)."""
    import ibis

    return table.filter(table[column] < ibis.literal(day_end(as_of), type="timestamp"))


def orders_until(orders, as_of):
    """Orders placed on or before the UTC day ``as_of`` (see :func:`until`)."""
    return until(orders, as_of, "ordered_at")


def money(column):
    """Exact decimal sum of a revenue column, returned as float (same on every input kind)."""
    return column.cast("decimal(18, 2)").sum().cast("float64")


def renamed_args(**renames):
    """Decorator: accept old keyword names (``cutoff=...``) for a renamed parameter
    (``as_of``) with a ``FutureWarning`` that says the new name.

    >>> import warnings
    >>> @renamed_args(cutoff="as_of")
    ... def f(source=None, as_of=None):
    ...     return as_of
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     f(cutoff="2025-01-01")
    '2025-01-01'
    """
    import functools
    import warnings

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        from cmokit.errors import ConfigError

                        raise ConfigError(f"{func.__name__}: give {new}= only ({old}= is its old name)")
                    warnings.warn(f"{func.__name__}({old}=...) is renamed {new}=...; the old name will be removed",
                                  FutureWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap
