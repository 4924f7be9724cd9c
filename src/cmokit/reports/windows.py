"""Report windows relative to the snapshot day: the defaults of the reports' date parameters.

A report's dates default to windows that end on its snapshot day (``as_of``, by default the
latest order day), never to dates of the bundled sample, so the same notebook runs on any
company's data. Each notebook passes its parameter through one of these functions: an empty
value is the default window, anything else is kept (checked as an ISO date).

- :func:`migration_from` — segment migration starts from the end of the month six months
  before the snapshot's month (``10_customer_segments``);
- :func:`trailing_months` — the last twelve calendar months up to the snapshot, the current
  month included (``40_campaign_roi``'s start, ``60_attribution``'s window);
- :func:`whole_weeks` — the last 156 whole weeks (Monday to Sunday) up to the snapshot, not
  before the first week of spend data (``70_media_mix`` and the executive review's budget
  advice, so the two fit the same model).

>>> import datetime as dt
>>> migration_from(dt.date(2025, 12, 28))
datetime.date(2025, 6, 30)
>>> trailing_months(dt.date(2025, 12, 28))
(datetime.date(2025, 1, 1), datetime.date(2025, 12, 28))
>>> whole_weeks(dt.date(2025, 12, 31))
(datetime.date(2023, 1, 2), datetime.date(2025, 12, 28))
>>> migration_from(dt.date(2025, 12, 28), "2025-03-31")  # a value given is kept
datetime.date(2025, 3, 31)
"""

from __future__ import annotations

import calendar
import datetime as dt

from cmokit.engine import as_of_date
from cmokit.errors import ConfigError

#: Months between the two snapshots of the segment migration.
MIGRATION_MONTHS = 6
#: Calendar months of the campaign and attribution windows (the current one included).
TRAILING_MONTHS = 12
#: Whole weeks of the media-mix model: three years, each season three times.
MMM_WEEKS = 156


def _given(value):
    """``None`` for an empty parameter ("" or None), else the value as a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return as_of_date(value.strip() if isinstance(value, str) else value)


def _month_shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def migration_from(as_of, value=None, *, months: int = MIGRATION_MONTHS) -> dt.date:
    """The earlier snapshot of the segment migration: ``value`` when given, else the last day of the month
    ``months`` before ``as_of``'s month (2025-12-28 -> 2025-06-30; 2025-08-31 -> 2025-02-28).

    A month end, not "as_of minus six months", so the comparison is with a closed month as in a board
    pack, and the earlier snapshot does not move day by day with a daily schedule.
    """
    day = _given(value)
    if day is not None:
        return day
    as_of = as_of_date(as_of)
    y, m = _month_shift(as_of.year, as_of.month, -int(months))
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def trailing_months(as_of, start=None, *, months: int = TRAILING_MONTHS) -> tuple[dt.date, dt.date]:
    """``(start, as_of)``: ``start`` when given, else the first day of the month ``months - 1`` before
    ``as_of``'s month (the last ``months`` calendar months, the current one to date).

    >>> trailing_months("2011-12-09")
    (datetime.date(2011, 1, 1), datetime.date(2011, 12, 9))
    >>> trailing_months("2025-12-28", "2025-10-01")
    (datetime.date(2025, 10, 1), datetime.date(2025, 12, 28))
    """
    as_of = as_of_date(as_of)
    day = _given(start)
    if day is None:
        y, m = _month_shift(as_of.year, as_of.month, -(int(months) - 1))
        day = dt.date(y, m, 1)
    if day > as_of:
        raise ConfigError(f"the window starts on {day} after its end {as_of}: choose a start on or before as_of")
    return day, as_of


def attribution_window(as_of, window: str = "", *, months: int = TRAILING_MONTHS) -> tuple[dt.date | None, dt.date]:
    """``(start, end)`` of the attribution report: ``window`` ``"START/END"`` when given (``START`` may be empty:
    all history), else :func:`trailing_months` up to ``as_of``.

    >>> attribution_window("2025-12-28")
    (datetime.date(2025, 1, 1), datetime.date(2025, 12, 28))
    >>> attribution_window("2025-12-28", "/2025-06-30")
    (None, datetime.date(2025, 6, 30))
    """
    if window is None or not str(window).strip():
        return trailing_months(as_of, months=months)
    from cmokit.attribution import parse_window

    start, end = parse_window(window)
    return _given(start), as_of_date(end)


def whole_weeks(as_of, start=None, end=None, *, weeks: int = MMM_WEEKS, first_day=None) -> tuple[dt.date, dt.date]:
    """``(start, end)`` in whole weeks: ``end`` when given, else the last Sunday on or before ``as_of``;
    ``start`` when given, else the Monday ``weeks`` weeks before ``end``, but not before the first whole
    week from ``first_day`` (the first day of data: weeks before it would enter a model as zeros).

    >>> whole_weeks("2025-12-28", first_day=dt.date(2024, 3, 6))  # 2024-03-06 is a Wednesday
    (datetime.date(2024, 3, 11), datetime.date(2025, 12, 28))
    >>> whole_weeks("2025-12-28", start="2024-01-01", end="2024-12-29")
    (datetime.date(2024, 1, 1), datetime.date(2024, 12, 29))
    """
    as_of = as_of_date(as_of)
    last = _given(end)
    if last is None:
        last = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    first = _given(start)
    if first is None:
        first = last - dt.timedelta(weeks=int(weeks)) + dt.timedelta(days=1)
        if first_day is not None:
            first_day = as_of_date(first_day)
            first = max(first, first_day + dt.timedelta(days=(7 - first_day.weekday()) % 7))
    if first > last:
        raise ConfigError(f"the window starts on {first} after its end {last}: fewer than one whole week of data "
                          "before as_of, or start/end swapped")
    return first, last


def media_mix_window(source, as_of=None, start=None, end=None, *, weeks: int = MMM_WEEKS) -> tuple[dt.date, dt.date]:
    """The media-mix model's window on a warehouse: :func:`whole_weeks` up to the snapshot day (``as_of``,
    default the latest order day), not before the first week of ``marketing_spend``."""
    from cmokit.engine import snapshot_day
    from cmokit.warehouse.connect import resolve

    r = resolve(source, "orders")
    day = snapshot_day(r.table("orders", columns=("ordered_at",)), as_of)
    first_day = None
    if _given(start) is None and r.warehouse.has_table("marketing_spend"):
        first_day = _first_day(r.table("marketing_spend", columns=("spend_date",)), "spend_date")
    return whole_weeks(day, start, end, weeks=weeks, first_day=first_day)


def _first_day(table, column: str):
    value = table[column].min().execute()
    if value is None or value != value:  # empty table (None or NaT)
        return None
    return as_of_date(value)


__all__ = ["MIGRATION_MONTHS", "MMM_WEEKS", "TRAILING_MONTHS", "attribution_window", "media_mix_window",
           "migration_from", "trailing_months", "whole_weeks"]
