"""Report windows relative to the snapshot day (issue 13): the notebooks' date defaults on any company's data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cmokit.errors import ConfigError
from cmokit.reports import windows
from cmokit.reports.notebooks import parse_parameters

D = dt.date
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: Date defaults still waiting for their notebook's owner (none: 55_geo_tests reads its test from the regional
#: spend rows when its dates are empty).
KNOWN_DATE_DEFAULTS: set = set()


@pytest.mark.parametrize("as_of, expected", [
    (D(2025, 12, 28), D(2025, 6, 30)),   # the bundled sample: its old default, now derived
    (D(2010, 12, 9), D(2010, 6, 30)),    # Online Retail II's subset: the date its manifest used to override
    (D(2025, 8, 31), D(2025, 2, 28)),    # a short month
    (D(2024, 8, 1), D(2024, 2, 29)),     # a leap year
    (D(2026, 3, 15), D(2025, 9, 30)),    # across a year
])
def test_migration_starts_at_the_end_of_the_month_six_months_before(as_of, expected):
    assert windows.migration_from(as_of) == expected
    assert windows.migration_from(as_of, "") == expected
    assert windows.migration_from(as_of, "2025-03-31") == D(2025, 3, 31)  # a date given is kept
    with pytest.raises(ConfigError, match="not an ISO date"):
        windows.migration_from(as_of, "31/03/2025")


def test_trailing_months_is_twelve_calendar_months_to_date():
    assert windows.trailing_months(D(2025, 12, 28)) == (D(2025, 1, 1), D(2025, 12, 28))
    assert windows.trailing_months("2026-01-05") == (D(2025, 2, 1), D(2026, 1, 5))  # never a 5-day year-to-date
    assert windows.trailing_months(D(2025, 12, 28), months=3) == (D(2025, 10, 1), D(2025, 12, 28))
    with pytest.raises(ConfigError, match="starts on 2026-01-01 after its end 2025-12-28"):
        windows.trailing_months(D(2025, 12, 28), "2026-01-01")


def test_attribution_window_default_and_explicit():
    assert windows.attribution_window(D(2025, 12, 28), "") == (D(2025, 1, 1), D(2025, 12, 28))
    assert windows.attribution_window(D(2025, 12, 28), "2023-01-01/2025-12-31") == (D(2023, 1, 1), D(2025, 12, 31))
    assert windows.attribution_window(D(2025, 12, 28), "/2025-06-30") == (None, D(2025, 6, 30))


def test_whole_weeks_end_on_sunday_and_start_after_the_first_spend():
    start, end = windows.whole_weeks(D(2025, 12, 31))
    assert (start, end) == (D(2023, 1, 2), D(2025, 12, 28))
    assert start.weekday() == 0 and end.weekday() == 6 and (end - start).days + 1 == 7 * 156
    assert windows.whole_weeks(D(2025, 12, 28)) == (D(2023, 1, 2), D(2025, 12, 28))  # a Sunday ends its own week
    # two years of spend starting on a Thursday: the model starts on the next Monday, not on 156 weeks of zeros
    assert windows.whole_weeks(D(2025, 12, 28), first_day=D(2024, 1, 4)) == (D(2024, 1, 8), D(2025, 12, 28))
    assert windows.whole_weeks(D(2025, 12, 28), weeks=104) == (D(2024, 1, 1), D(2025, 12, 28))
    with pytest.raises(ConfigError, match="fewer than one whole week"):
        windows.whole_weeks(D(2025, 12, 28), first_day=D(2025, 12, 25))


def test_media_mix_window_on_warehouses(warehouse):
    """The sample: the window its notebook used to hard-code (so its figures are unchanged). A shorter spend
    history: clipped to its first whole week, with the snapshot read from the orders."""
    assert windows.media_mix_window(warehouse) == (D(2023, 1, 2), D(2025, 12, 28))
    # 156 weeks before 2025-06-29 is 2022-07-04, before the sample's first spend week
    assert windows.media_mix_window(warehouse, "2025-06-30") == (D(2023, 1, 2), D(2025, 6, 29))
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"], "revenue": [10.0, 20.0],
                           "ordered_at": pd.to_datetime(["2025-01-15 10:00", "2025-11-19 12:00"], utc=True)})
    spend = pd.DataFrame({"spend_date": pd.to_datetime(["2025-02-05", "2025-11-10"]).date, "campaign_id": ["c", "c"],
                          "channel": ["paid_search"] * 2, "spend": [5.0, 6.0]})
    got = windows.media_mix_window({"orders": orders, "marketing_spend": spend})
    assert got == (D(2025, 2, 10), D(2025, 11, 16))


def test_no_notebook_defaults_to_a_date_of_the_sample():
    """Every date parameter of a report defaults to a window relative to as_of (empty), never to a sample date."""
    found = set()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for p in parse_parameters(nbformat.read(path, as_version=4), path.name):
            if re.search(r"\d{4}-\d{2}-\d{2}", repr(p.default)):
                found.add((path.stem, p.name))
    assert found == KNOWN_DATE_DEFAULTS
