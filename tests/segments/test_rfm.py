"""RFM against a hand-computed table, and the same answer from a warehouse, pandas and polars."""

import pandas as pd
import polars as pl
import pytest

from cmokit.segments import SEGMENT_RULES, rfm, segment_summary
from cmokit.segments.rfm import segment_of

AS_OF = "2025-12-31"


@pytest.fixture
def tiny_orders():
    rows = [
        ("o01", "c1", "2025-12-31 10:00:00", 50.00), ("o02", "c1", "2025-12-01 09:00:00", 30.00),
        ("o03", "c1", "2025-06-01 12:00:00", 20.00),
        ("o04", "c2", "2025-12-20 08:00:00", 10.00),
        ("o05", "c3", "2025-11-01 08:00:00", 40.00), ("o06", "c3", "2025-10-01 08:00:00", 40.00),
        ("o07", "c4", "2025-01-01 00:00:00", 5.00),
        ("o08", "c5", "2024-12-31 23:59:59", 300.00), ("o09", "c5", "2024-06-01 10:00:00", 100.00),
        ("o10", "c5", "2024-01-01 10:00:00", 100.00), ("o11", "c5", "2023-06-01 10:00:00", 100.00),
        ("o12", "c6", "2025-12-31 23:59:59", 15.00),
        ("o13", "c6", "2026-01-01 00:00:00", 999.00),  # after as_of: must not count
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue"])
    return frame.assign(ordered_at=pd.to_datetime(frame["ordered_at"]), campaign_id=None)


# Worked by hand (see DECISIONS.md): 6 customers in 5 ntile buckets -> bucket sizes 2,1,1,1,1;
# R ranks oldest first, F and M lowest first, ties by customer_id; FM = ceil((F + M) / 2).
HAND = pd.DataFrame(
    [
        ("c1", 0, 3, 100.00, 4, 4, 4, 4, "444", "Loyal"),
        ("c2", 11, 1, 10.00, 3, 1, 1, 1, "311", "About to Sleep"),
        ("c3", 60, 2, 80.00, 2, 3, 3, 3, "233", "At Risk"),
        ("c4", 364, 1, 5.00, 1, 1, 1, 1, "111", "Lost"),
        ("c5", 365, 4, 600.00, 1, 5, 5, 5, "155", "Can't Lose Them"),
        ("c6", 0, 1, 15.00, 5, 2, 2, 2, "522", "Potential Loyalist"),
    ],
    columns=["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
             "fm_score", "rfm_score", "segment"],
)


def test_rfm_equals_the_hand_computed_table(tiny_orders):
    got = rfm(tiny_orders, as_of=AS_OF).drop(columns="last_order_at")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), HAND, check_dtype=False)


def test_polars_input_gives_polars_with_the_same_values(tiny_orders):
    got = rfm(pl.from_pandas(tiny_orders), as_of=AS_OF)
    assert isinstance(got, pl.DataFrame)
    pd.testing.assert_frame_equal(got.to_pandas().drop(columns="last_order_at"), HAND, check_dtype=False)


def test_segment_rules_tile_the_score_grid_exactly_once():
    for r in range(1, 6):
        for fm in range(1, 6):
            hits = [n for n, r0, r1, f0, f1 in SEGMENT_RULES if r0 <= r <= r1 and f0 <= fm <= f1]
            assert len(hits) == 1, (r, fm, hits)
    assert len({rule[0] for rule in SEGMENT_RULES}) == 11
    assert segment_of(5, 5) == "Champions" and segment_of(1, 1) == "Lost"


def test_segment_summary_of_the_hand_table(tiny_orders):
    summary = segment_summary(tiny_orders, as_of=AS_OF).set_index("segment")
    assert summary["customers"].sum() == 6
    assert summary.loc["Can't Lose Them", "revenue_share"] == pytest.approx(600 / 810)
    assert summary.loc["Champions", "customers"] == 0
    assert summary["revenue_share"].sum() == pytest.approx(1.0)


def test_warehouse_pandas_and_polars_give_identical_rfm_on_the_sample(warehouse, sample_orders):
    from_wh = rfm(warehouse, as_of=AS_OF, revenue="gross")
    from_pd = rfm(sample_orders, as_of=AS_OF)
    from_pl = rfm(pl.from_pandas(sample_orders), as_of=AS_OF).to_pandas()
    pd.testing.assert_frame_equal(from_wh, from_pd, check_dtype=False)
    pd.testing.assert_frame_equal(from_wh, from_pl, check_dtype=False)


def test_segment_revenue_reconciles_with_the_orders_table(warehouse):
    summary = segment_summary(warehouse, as_of=AS_OF, revenue="gross")
    orders = warehouse.orders.filter(warehouse.orders.customer_id.notnull())  # guest orders are in no segment
    total = float(warehouse.execute(orders.revenue.sum()))
    customers = int(warehouse.execute(orders.customer_id.nunique()))
    assert summary["revenue"].sum() == pytest.approx(total, abs=0.01)
    assert summary["customers"].sum() == customers
    assert summary["customer_share"].sum() == pytest.approx(1.0)


def test_segment_summary_same_from_warehouse_and_frame(warehouse, sample_orders):
    from_wh = segment_summary(warehouse, as_of=AS_OF, revenue="gross")
    from_pl = segment_summary(pl.from_pandas(sample_orders), as_of=AS_OF)
    assert isinstance(from_pl, pl.DataFrame)
    pd.testing.assert_frame_equal(from_wh, segment_summary(sample_orders, as_of=AS_OF), check_dtype=False)
    pd.testing.assert_frame_equal(from_wh, from_pl.to_pandas(), check_dtype=False)


def _bounds(cell: str) -> tuple[int, int]:
    lo, _, hi = cell.strip().partition("–")
    return int(lo), int(hi or lo)


def test_decisions_md_segment_table_is_the_code_table():
    """The rules written in DECISIONS.md are the ones the code applies (one table, two places)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "DECISIONS.md").read_text(encoding="utf-8")
    section = text.split("**Named segments**", 1)[1].split("- **Clusters**", 1)[0]
    written = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1][:1].isdigit():
            continue
        for name, r, fm in (cells[0:3], cells[4:7]):
            if name:
                written[name] = (*_bounds(r), *_bounds(fm))
    assert written == {name: (r0, r1, f0, f1) for name, r0, r1, f0, f1 in SEGMENT_RULES}
