"""CSV target lists cannot smuggle spreadsheet formulas (issue 13, item 7)."""

from __future__ import annotations

import csv

import pandas as pd

from cmokit.segments.targets import export_targets

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tpad", "c_plain"]


def test_cells_that_a_spreadsheet_would_run_are_prefixed(tmp_path):
    customers = pd.DataFrame({"customer_id": HOSTILE, "marketing_consent": [True] * len(HOSTILE)})
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(HOSTILE))], "customer_id": HOSTILE,
                           "ordered_at": pd.to_datetime(["2025-12-30"] * len(HOSTILE)),
                           "revenue": [10.0] * len(HOSTILE), "campaign_id": [None] * len(HOSTILE)})
    scores = pd.DataFrame({"customer_id": HOSTILE, "churn_probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]})
    out = tmp_path / "targets.csv"
    res = export_targets({"orders": orders, "customers": customers}, out, scores=scores, top_n=10)
    assert res.exported == len(HOSTILE)
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    ids = [r[0] for r in rows]
    assert not [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t")], rows
    assert sorted(ids) == sorted("'" + h if h[0] in "=+-@\t" else h for h in HOSTILE)
    # numbers stay numbers; Parquet keeps the values as they are
    assert [float(r[1]) for r in rows] == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    export_targets({"orders": orders, "customers": customers}, tmp_path / "t.parquet", scores=scores, top_n=10)
    assert sorted(pd.read_parquet(tmp_path / "t.parquet").customer_id) == sorted(HOSTILE)
