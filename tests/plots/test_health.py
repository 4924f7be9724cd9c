"""Health figures draw exactly the numbers of the results they are given."""

from __future__ import annotations

import pandas as pd

from cmokit.plots import health as plots


def test_freshness_bars_are_days_behind():
    fresh = pd.DataFrame({"table": ["orders", "customers", "campaigns"], "rows": [10, 5, 2],
                          "days_behind": pd.array([3, 0, pd.NA], dtype="Int64"),
                          "latest_at": pd.to_datetime(["2025-12-28", "2025-12-31", None])})
    fig = plots.freshness(fresh)
    assert list(fig.data[0].x) == ["orders", "customers"] and list(fig.data[0].y) == [3, 0]
    assert fig.layout.yaxis.title.text == "Days behind"


def test_daily_volumes_one_panel_per_table():
    vols = pd.DataFrame({"table": ["orders"] * 2 + ["touchpoints"] * 2,
                         "day": pd.to_datetime(["2025-12-30", "2025-12-31"] * 2), "rows": [4, 5, 40, 50]})
    fig = plots.daily_volumes(vols)
    assert [t.name for t in fig.data] == ["orders", "touchpoints"]
    assert list(fig.data[1].y) == [40, 50] and fig.data[1].yaxis == "y2"


def test_loads_stack_loaded_and_quarantined_rows():
    loads = pd.DataFrame({"table_name": ["orders", "orders", "customers"], "rows_loaded": [10, 5, 7],
                          "rows_quarantined": [1, 0, 2]})
    fig = plots.loads(loads)
    assert list(fig.data[0].x) == ["customers", "orders"] and list(fig.data[0].y) == [7, 15]
    assert list(fig.data[1].y) == [2, 1]


def test_checks_count_passing_and_failing_per_table():
    checks = pd.DataFrame({"table": ["orders", "orders", "orders", "customers"],
                           "check": ["unique", "not_null", "accepted", "unique"],
                           "severity": ["error", "error", "warning", "error"], "failing_rows": [0, 3, 2, 0]})
    fig = plots.checks(checks)
    assert [t.name for t in fig.data] == ["passing", "failing (error)", "failing (warning)"]
    assert [list(t.y) for t in fig.data] == [[1, 1], [1, 0], [1, 0]]
