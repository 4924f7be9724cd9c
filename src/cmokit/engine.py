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
