"""Present results to a reader: formatted tables, takeaways and prose, never a raw repr.

Every value a report notebook displays goes through this module or a plot from
:mod:`cmokit.plots` (the notebook lint in :mod:`cmokit.reports.notebooks` checks it):

- :func:`table` — a frame as a table without the index, human column labels
  (the contract's glossary, :func:`cmokit.warehouse.contract.label`, then the
  metric labels below), money in the contract's currency with thousands
  separators, shares as percentages, ratios with two decimals;
- :func:`facts` — a mapping (model diagnostics, build information) as a two-column table;
- :func:`takeaways` — numbered sentences computed by :mod:`cmokit.reports.takeaways`;
- :func:`markdown` — prose with numbers filled in;
- :func:`money`, :func:`percent`, :func:`number`, :func:`ratio` — one value as text.

A column's format comes from its name (:func:`cmokit.plots.format.column_kind`, shared with
the figures' bar labels).

>>> money(1234567.891), percent(0.1234)
('€1,234,568', '12.3 %')
"""

from __future__ import annotations

from typing import Any

from cmokit.plots.format import (LABELS, SYMBOLS, _currency, _missing, column_kind, column_label, formatter, money,
                                 number, percent, ratio)
from cmokit.warehouse.contract import in_reporting_currency


def frame_for_display(frame):
    """A pandas copy with a meaningful index turned into columns (a plain 0..n-1 index dropped)."""
    import pandas as pd

    from cmokit._frames import to_pandas

    frame = to_pandas(frame)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(str(p) for p in c if str(p)) for c in frame.columns]
    trivial = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if not trivial:
        frame = frame.reset_index()
        frame.columns = [str(c) if c != "index" else "" for c in frame.columns]
    frame.columns = [str(c) for c in frame.columns]
    return frame


def table(frame, *, columns=None, values: str | None = None, kinds: dict[str, str] | None = None,
          labels: dict[str, str] | None = None,
          currency: str | None = None, decimals: dict[str, int] | None = None, max_rows: int | None = None,
          caption: str | None = None, empty: str | None = None):
    """``frame`` as a formatted table (a pandas ``Styler``): no index column, human labels, formatted values.

    Parameters
    ----------
    frame
        pandas or polars frame (a pandas Series or a frame with a meaningful index is shown with
        the index as its first column).
    columns
        Columns to show, in order (default all).
    values
        One format for every numeric column (a matrix of shares: ``"percent"``; of counts: ``"count"``).
    kinds
        Override a column's format: ``money``, ``percent``, ``ratio``, ``count``, ``number``, ``text``.
    labels
        Override a column's label.
    currency
        ISO code of money columns (default the contract's reporting currency).
    decimals
        Decimals per column.
    max_rows
        Show the first rows only (say so in the caption).
    empty
        Sentence shown instead of a table without rows ("No contract check fails.").

    >>> import pandas as pd
    >>> styled = table(pd.DataFrame({"channel": ["email"], "spend": [1234.5], "roas": [4.0]}))
    >>> html = styled.to_html()
    >>> "€1,234" in html and "ROAS" in html and "Spend (EUR)" in html
    True
    """
    currency = _currency(currency)
    import pandas as pd

    shown = frame_for_display(frame)
    if shown.empty and empty:
        return markdown(f"*{empty}*")
    if columns is not None:
        shown = shown[list(columns)]
    total = len(shown)
    if max_rows is not None and total > max_rows:
        shown = shown.head(max_rows)
        caption = (caption + " " if caption else "") + f"(first {max_rows} of {total:,} rows)"
    kinds = dict(kinds or {})
    decimals = dict(decimals or {})
    labels = dict(labels or {})
    fmt = {}
    for col in shown.columns:
        kind = column_kind(col, shown[col].dtype)
        if kind == "number" and pd.api.types.is_integer_dtype(shown[col].dtype):
            kind = "count"  # whole numbers never print as 5.00
        kind = kinds.get(col) or (values if values and kind != "text" else kind)
        kinds[col] = kind
        fmt[col] = formatter(kind, currency, decimals.get(col))
    styled = shown.style.format(fmt).hide(axis="index")
    styled = styled.relabel_index([in_reporting_currency(labels[c], currency) if c in labels else (column_label(c, currency) if c else "")
                                   for c in shown.columns], axis="columns")
    styled = styled.set_table_attributes('class="cmokit-table"')
    styled = styled.set_properties(**{"text-align": "right"}, subset=[c for c in shown.columns if kinds[c] != "text"])
    for col in [c for c in shown.columns if c == "status" or c.endswith("_status")]:
        # subset: a dict formatter without it resets every other column to the default format
        styled = styled.format(lambda v: str(v).replace("_", " "), subset=[col]).map(_status_colour, subset=[col])
    if caption:
        styled = styled.set_caption(caption)
    return styled


def kpi_table(frame, *, kpi_column: str = "kpi", columns=None, fixed: dict[str, str] | None = None,
              kinds: dict[str, str] | None = None, labels: dict[str, str] | None = None,
              currency: str | None = None, caption: str | None = None, empty: str | None = None):
    """A table with one KPI per row (the review's headline): each row's numbers formatted as its KPI.

    Numeric cells take the format of the row's KPI (``revenue`` money, ``roas`` ratio,
    ``retention`` percent...; ``kinds`` overrides by KPI name); columns whose name starts with
    ``change`` are signed percentages; ``fixed`` gives a column one format for every row.
    The ``kpi_column`` itself is hidden when a ``metric`` column labels the rows, else shown
    with human labels. An empty frame shows the sentence ``empty`` instead, when given.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"kpi": ["revenue", "roas"], "value": [1234.0, 2.5], "change": [0.1, -0.05]})
    >>> html = kpi_table(frame).to_html()
    >>> "€1,234" in html and "2.50" in html and "+10.0 %" in html and "−5.0 %" in html
    True
    """
    currency = _currency(currency)
    import pandas as pd

    from cmokit._frames import to_pandas

    source = to_pandas(frame).reset_index(drop=True)
    if source.empty and empty:
        return markdown(f"*{empty}*")
    kinds, fixed = dict(kinds or {}), dict(fixed or {})
    shown = pd.DataFrame(index=source.index)
    keep = list(columns) if columns is not None else [
        c for c in source.columns if not (c == kpi_column and "metric" in source.columns)]
    for col in keep:
        values = source[col]
        if col in fixed:
            shown[col] = [formatter(fixed[col], currency)(v) for v in values]
        elif str(col).startswith("change"):
            shown[col] = [percent(v, signed=True) for v in values]
        else:  # numbers take the format of their row's KPI; text (metric names, status) stays as it is
            row_kinds = [kinds.get(k) or column_kind(k) for k in source[kpi_column]]
            shown[col] = [formatter(kind, currency)(v) if _is_number(v) else ("–" if v is None else str(v))
                          for kind, v in zip(row_kinds, values)]
    if kpi_column in shown.columns:
        shown[kpi_column] = [column_label(k, currency).removesuffix(f" ({currency})") for k in source[kpi_column]]
    text = {c: "text" for c in shown.columns}
    styled = table(shown, kinds=text, labels=labels, currency=currency, caption=caption)
    numeric = [c for c in shown.columns if c not in ("metric", kpi_column, "status", "status_basis", "decision")]
    return styled.set_properties(**{"text-align": "right"}, subset=numeric)


def _is_number(value) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


#: Background colours of status cells (``kpi_status``, the review's IT panel and headline).
STATUS_COLOURS = {"on_target": "#d9f2e3", "ok": "#d9f2e3", "better": "#d9f2e3", "watch": "#fff1cc",
                  "off_target": "#f9d6d5", "fail": "#f9d6d5", "worse": "#f9d6d5"}


def _status_colour(value) -> str:
    colour = STATUS_COLOURS.get(str(value))
    return f"background-color: {colour}; font-weight: 600" if colour else ""


def facts(mapping: dict[str, Any], *, kinds: dict[str, str] | None = None, labels: dict[str, str] | None = None,
          currency: str | None = None, caption: str | None = None, decimals: dict[str, int] | None = None,
          empty: str | None = None):
    """A mapping (model diagnostics, settings) as a two-column table: what, value (formatted by name;
    ``kinds`` and ``decimals`` override a key's format as in :func:`table`). A frame's first row is
    shown the same way; a frame without rows shows ``empty`` (as :func:`table`).

    >>> "0.40" in facts({"r2": 0.40148}).to_html()
    True
    >>> "0.0345" in facts({"p_value": 0.03449}, decimals={"p_value": 4}).to_html()
    True
    >>> import pandas as pd
    >>> facts(pd.DataFrame({"lift": []}), empty="No test to read out.").data
    '*No test to read out.*'
    """
    currency = _currency(currency)
    import pandas as pd

    if not isinstance(mapping, dict):
        frame = frame_for_display(mapping)
        if frame.empty:
            return markdown(f"*{empty or 'Nothing to show.'}*")
        mapping = frame.iloc[0].to_dict()

    kinds = dict(kinds or {})
    labels = dict(labels or {})
    rows = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            text = "; ".join(f"{column_label(k)} {_format_one(k, v, kinds, currency, decimals)}"
                             for k, v in value.items())
        elif isinstance(value, (list, tuple, set)):
            text = ", ".join(str(v) for v in value)
        else:
            text = _format_one(key, value, kinds, currency, decimals)
        rows.append({"what": labels.get(key) or column_label(key, currency).removesuffix(f" ({currency})"),
                     "value": text})
    frame = pd.DataFrame(rows, columns=["what", "value"])
    return table(frame, kinds={"what": "text", "value": "text"}, labels={"what": "", "value": ""}, caption=caption)


def _format_one(key, value, kinds, currency, decimals=None) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if _missing(value) else str(value)
    kind = kinds.get(key) or column_kind(key)
    if kind == "number" and isinstance(value, int):
        kind = "count"
    return formatter(kind, currency, (decimals or {}).get(key))(value)


def markdown(text: str):
    """Prose as a Markdown display object."""
    from IPython.display import Markdown

    return Markdown(text)


def takeaways(sentences, title: str = "Takeaways"):
    """Three to five computed sentences as a numbered Markdown list under ``title``.

    >>> takeaways(["Revenue rose 5 %.", "CAC fell."]).data.splitlines()[0]
    '**Takeaways**'
    """
    sentences = [s for s in sentences if s]
    lines = [f"**{title}**", ""] + [f"{i}. {s}" for i, s in enumerate(sentences, 1)]
    return markdown("\n".join(lines))


__all__ = ["kpi_table", "LABELS", "SYMBOLS", "column_kind", "column_label", "facts", "formatter", "frame_for_display",
           "markdown", "money", "number", "percent", "ratio", "table", "takeaways"]
