"""Frame kinds in one place: pandas, polars and Arrow in, the same kind out.

Every routine that takes or returns a frame goes through these helpers, so the
rule "a frame input returns the same kind; a warehouse returns pandas (or
polars when asked)" is written once.

>>> import pandas as pd, polars as pl
>>> kind_of(pd.DataFrame()), kind_of(pl.DataFrame()), kind_of([1])
('pandas', 'polars', None)
>>> type(to_kind(pd.DataFrame({"a": [1]}), "polars")).__name__
'DataFrame'
>>> to_kind(pl.DataFrame({"a": [1]}), "pandas")["a"].tolist()
[1]
"""

from __future__ import annotations

from typing import Any

#: The frame kinds cmokit accepts and returns.
KINDS = ("pandas", "polars", "arrow")


def kind_of(obj: Any) -> str | None:
    """``"pandas"``, ``"polars"`` or ``"arrow"`` for a frame of that library, else ``None``.

    Series count as frames of their library; lazy polars frames count as polars.
    """
    module = type(obj).__module__.split(".")[0]
    if module == "pandas" and hasattr(obj, "columns"):
        return "pandas"
    if module == "polars" and hasattr(obj, "columns"):
        return "polars"
    if module == "pyarrow" and hasattr(obj, "column_names"):
        return "arrow"
    return None


def is_frame(obj: Any) -> bool:
    """Whether ``obj`` is a pandas, polars or Arrow table."""
    return kind_of(obj) is not None


def to_pandas(obj: Any):
    """``obj`` as a pandas DataFrame (pandas passes through unchanged, not copied).

    Accepts pandas, polars (eager or lazy) and Arrow tables, and anything
    ``pandas.DataFrame`` accepts (a dict of columns, a list of records).
    """
    kind = kind_of(obj)
    if kind == "pandas":
        return obj
    if kind == "polars":
        if hasattr(obj, "collect"):
            obj = obj.collect()
        return obj.to_pandas()
    if kind == "arrow":
        return obj.to_pandas()
    import pandas as pd

    return pd.DataFrame(obj)


def to_kind(frame: Any, kind: str | None):
    """``frame`` converted to ``kind`` (``None`` or ``"pandas"`` -> pandas).

    The index of a pandas frame is dropped when converting to polars or Arrow
    (cmokit results are keyed by columns, never by the index).
    """
    if kind in (None, "pandas"):
        return to_pandas(frame)
    if kind == "polars":
        import polars as pl

        if kind_of(frame) == "polars":
            return frame.collect() if hasattr(frame, "collect") else frame
        if kind_of(frame) == "arrow":
            return pl.from_arrow(frame)
        return pl.from_pandas(to_pandas(frame).reset_index(drop=True))
    if kind == "arrow":
        import pyarrow as pa

        if kind_of(frame) == "arrow":
            return frame
        if kind_of(frame) == "polars":
            return to_kind(frame, "polars").to_arrow()
        return pa.Table.from_pandas(to_pandas(frame), preserve_index=False)
    from cmokit.errors import ConfigError

    raise ConfigError(f"frame kind {kind!r}: expected one of {', '.join(KINDS)}")


def like(result: Any, source: Any):
    """``result`` in the kind of ``source`` (pandas when ``source`` is not a frame).

    >>> import polars as pl, pandas as pd
    >>> type(like(pd.DataFrame({"a": [1]}), pl.DataFrame())).__module__.split(".")[0]
    'polars'
    """
    return to_kind(result, kind_of(source))


def require_columns(frame: Any, columns, what: str, *, numeric=(), not_null=()):
    """Check a non-contract input frame (a purchase summary, a panel, read-out statistics).

    Raises :class:`~cmokit.errors.ContractError` naming ``what``, the missing
    column and the columns the frame has; a column in ``numeric`` that is not
    numeric, or a column in ``not_null`` with a missing value, is named with
    the first offending row. Returns the frame as pandas (not copied when it
    already is).

    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"frequency": [1]}), ["frequency", "recency"], "purchase summary")
    Traceback (most recent call last):
    ...
    cmokit.errors.ContractError: purchase summary is missing column 'recency' (it has: frequency)
    """
    from cmokit.errors import ContractError

    df = to_pandas(frame)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise ContractError(f"{what} is missing column{'s' if len(missing) > 1 else ''} {names} "
                            f"(it has: {', '.join(map(str, df.columns)) or 'no columns'})", table=what)
    import pandas as pd

    for col in numeric:
        if not (pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col])):
            bad = df[col][pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()]
            example = f"; e.g. row {bad.index[0]}: {bad.iloc[0]!r}" if len(bad) else ""
            raise ContractError(f"{what}: column {col!r} must be numeric, found {df[col].dtype}{example}", table=what)
    for col in not_null:
        missing_rows = df.index[df[col].isna()]
        if len(missing_rows):
            row = df.loc[missing_rows[0]]
            raise ContractError(f"{what}: column {col!r} has {len(missing_rows)} missing value(s); "
                                f"e.g. row {missing_rows[0]}: {row.to_dict()}", table=what)
    return df


__all__ = ["KINDS", "is_frame", "kind_of", "like", "require_columns", "to_kind", "to_pandas"]
