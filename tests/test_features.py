"""One per-customer feature builder (cmokit.features) for churn, clusters and uplift; one consent rule."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmokit import features
from tests.test_as_of_rule import PROBE_DAY, customers_frame, orders_frame

SRC = Path(__file__).resolve().parents[1] / "src" / "cmokit"


def test_features_by_hand_at_the_probe_day():
    got = features.customer_features(orders_frame(), PROBE_DAY).set_index("customer_id")
    # a: Jan 10 (10.0), Feb 20 (20.0); the Apr 1 order is after the day
    assert got.loc["a"].to_dict() == pytest.approx({
        "recency_days": 39, "frequency": 2, "monetary": 30.0, "tenure_days": 80, "mean_gap_days": 41.0,
        "average_order_value": 15.0, "orders_90d": 2, "orders_365d": 2, "revenue_365d": 30.0,
        "overdue_ratio": 39 / 41, "revenue_90d": 30.0})
    # 90-day window = Jan 1 .. Mar 31: b's Jan 15 order is in, so both count
    assert got.loc["b", ["frequency", "orders_90d", "recency_days"]].tolist() == [2, 2, 0]
    assert list(got.columns) == [*features.ORDER_FEATURES, "revenue_90d"]  # then other window columns


def test_frequency_and_monetary_are_the_rfm_ones(warehouse):
    from cmokit.segments import rfm

    feats = features.customer_features(warehouse, "2025-06-30")
    scores = rfm(warehouse, "2025-06-30")
    assert feats["customer_id"].tolist() == scores["customer_id"].tolist()
    assert feats["frequency"].tolist() == scores["frequency"].tolist()
    np.testing.assert_allclose(feats["monetary"], scores["monetary"])


def test_churn_and_clusters_read_the_same_features():
    from cmokit.retention import churn_features
    from cmokit.segments import cluster_features

    orders = orders_frame()
    expected = features.customer_features(orders)
    pd.testing.assert_frame_equal(churn_features(orders), expected)
    pd.testing.assert_frame_equal(cluster_features(orders), expected)


def test_with_customers_every_signed_up_customer_gets_a_row():
    customers = pd.concat([customers_frame(), pd.DataFrame({
        "customer_id": ["f", "g"], "first_seen_at": pd.to_datetime(["2025-03-01", "2025-04-01"]),
        "country": "DE", "acquisition_channel": ["paid_search", None], "marketing_consent": [True, False]})])
    got = features.customer_features({"orders": orders_frame(), "customers": customers}, PROBE_DAY,
                                     customers=True).set_index("customer_id")
    assert list(got.index) == list("abcdef")  # g signs up after the day
    f = got.loc["f"]
    assert (f["frequency"], f["monetary"], f["recency_days"]) == (0, 0.0, features.NO_ORDER_DAYS)
    assert (f["days_since_signup"], f["marketing_consent"], f["acq_paid_search"]) == (30.0, 1.0, 1.0)
    assert got["marketing_consent"].tolist() == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    assert got.loc["a", "orders_per_week"] == pytest.approx(2 * 7 / (89 + 7))


def test_uplift_features_are_named_by_the_builder():
    from cmokit.campaigns.uplift import FEATURES

    table = features.customer_features({"orders": orders_frame(), "customers": customers_frame()}, customers=True)
    assert set(FEATURES) <= set(table.columns)


def test_unknown_consent_is_not_contactable_in_the_uplift_target_list():
    from cmokit.campaigns.uplift import targeting_list

    scores = pd.DataFrame({"customer_id": list("abc"), "marketing_consent": [True, None, False],
                           "predicted_uplift": [1.0, 2.0, 3.0]})
    assert targeting_list(scores)["customer_id"].tolist() == ["a"]
    legacy = scores.drop(columns="marketing_consent").assign(consent=[1.0, np.nan, 0.0])
    assert targeting_list(legacy)["customer_id"].tolist() == ["a"]


def _imports(path: Path) -> dict[str, set[str]]:
    """Module -> names imported from it (``*`` for a plain ``import module``)."""
    names: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.setdefault(node.module, set()).update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                names.setdefault(a.name, set()).add("*")
    return names


def test_dependencies_point_one_way():
    for path in (SRC / "segments").glob("*.py"):  # no package cycle segments <-> retention
        assert not any(m.startswith("cmokit.retention") for m in _imports(path)), path
    # the engine helpers come from the engine, not from segments/rfm.py (which re-exports them)
    for path in [*(SRC / "retention").glob("*.py"), *(SRC / "clv").glob("*.py"), *(SRC / "segments").glob("*.py"),
                 SRC / "features.py", SRC / "campaigns" / "uplift.py"]:
        taken = _imports(path).get("cmokit.segments.rfm", set())
        assert not taken & {"as_of_date", "orders_until", "money"}, (path, taken)
    assert not {m for m in _imports(SRC / "features.py")
                if m.startswith(("cmokit.segments", "cmokit.retention", "cmokit.campaigns", "cmokit.clv"))}
