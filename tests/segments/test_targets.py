"""Target lists never carry a customer without marketing consent."""

import pandas as pd
import pytest

from cmokit.segments import export_targets, rfm


@pytest.fixture(scope="module")
def consent(warehouse):
    return warehouse.execute(warehouse.customers.select("customer_id", "marketing_consent"))


def test_no_opted_out_customer_leaks_into_a_segment_list(warehouse, consent, tmp_path):
    result = export_targets(warehouse, tmp_path / "all.parquet", segment=None)
    exported = pd.read_parquet(result.path)
    opted_out = set(consent.loc[~consent["marketing_consent"], "customer_id"])
    assert opted_out, "the sample must contain opted-out customers for this test to mean anything"
    assert not set(exported["customer_id"]) & opted_out
    buyers = set(rfm(warehouse)["customer_id"])
    assert result.excluded_no_consent == len(buyers & opted_out) > 0
    assert result.exported == len(buyers - opted_out) == len(exported)
    assert list(exported.columns) == ["customer_id", "segment", "rfm_score"]


def test_no_opted_out_customer_leaks_into_a_top_n_risk_list(warehouse, consent, tmp_path):
    ids = consent["customer_id"]
    scores = pd.DataFrame({"customer_id": ids, "churn_probability": 1.0 - ids.rank(method="first") / len(ids)})
    result = export_targets(warehouse, tmp_path / "risk.csv", scores=scores, top_n=200)
    exported = pd.read_csv(result.path)
    opted_out = set(consent.loc[~consent["marketing_consent"], "customer_id"])
    assert len(exported) == 200 and not set(exported["customer_id"]) & opted_out
    top = scores.sort_values("churn_probability", ascending=False).head(200 + result.excluded_no_consent)
    assert set(top["customer_id"]) - opted_out == set(exported["customer_id"])


def test_customer_missing_from_the_customers_table_counts_as_no_consent(tmp_path):
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "b", "ghost"],
                           "ordered_at": pd.to_datetime(["2025-12-01"] * 3), "revenue": [1.0, 2.0, 3.0],
                           "campaign_id": [None] * 3})
    customers = pd.DataFrame({"customer_id": ["a", "b"], "marketing_consent": [True, False]})
    result = export_targets({"orders": orders, "customers": customers}, tmp_path / "t.csv")
    assert pd.read_csv(result.path)["customer_id"].tolist() == ["a"]
    assert result.excluded_no_consent == 2


def test_frames_give_the_same_list_as_the_warehouse(warehouse, sample_orders, consent, tmp_path):
    import polars as pl

    picked = ["At Risk", "Can't Lose Them"]
    from_wh = export_targets(warehouse, tmp_path / "wh.csv", segment=picked, revenue="gross")
    frames = {"orders": sample_orders, "customers": consent}
    from_pd = export_targets(frames, tmp_path / "pd.csv", segment=picked)
    from_pl = export_targets({k: pl.from_pandas(v) for k, v in frames.items()}, tmp_path / "pl.parquet",
                             segment=picked)
    expected = pd.read_csv(from_wh.path, dtype=str)
    assert from_wh.exported > 0 and from_wh.excluded_no_consent > 0
    assert set(expected["segment"]) == set(picked)
    pd.testing.assert_frame_equal(pd.read_csv(from_pd.path, dtype=str), expected)
    pd.testing.assert_frame_equal(pd.read_parquet(from_pl.path).astype(str), expected)
    assert (from_pd.exported, from_pd.excluded_no_consent) == (from_wh.exported, from_wh.excluded_no_consent)
    assert (from_pl.exported, from_pl.excluded_no_consent) == (from_wh.exported, from_wh.excluded_no_consent)
