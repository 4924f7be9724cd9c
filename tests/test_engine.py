"""Quantile scores: the cut-point method agrees with numpy's quantiles; rank is the default off Spark."""

from __future__ import annotations

import numpy as np
import pytest

import cmokit
from cmokit.engine import quantile_scores
from cmokit.errors import ConfigError

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def scored(warehouse):
    return {m: cmokit.segments.rfm(warehouse, AS_OF, scoring=m) for m in ("auto", "rank", "quantile", "approx_quantile")}


def _numpy_scores(values, buckets=5, descending=False):
    cuts = np.quantile(values.astype(float), [k / buckets for k in range(1, buckets)])  # linear interpolation
    below = (values.to_numpy(float)[:, None] < cuts) if descending else (values.to_numpy(float)[:, None] > cuts)
    return 1 + below.sum(axis=1)


def test_quantile_scores_match_numpy_cut_points(scored):
    q = scored["quantile"]
    assert (q["r_score"].to_numpy() == _numpy_scores(q["recency_days"], descending=True)).all()
    assert (q["f_score"].to_numpy() == _numpy_scores(q["frequency"])).all()
    assert (q["m_score"].to_numpy() == _numpy_scores(q["monetary"])).all()
    # Ties share a bucket: every customer with the same frequency has the same f_score.
    assert q.groupby("frequency")["f_score"].nunique().max() == 1


def test_rank_scores_split_ties_into_equal_buckets(scored):
    r = scored["rank"]
    sizes = r["f_score"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    assert r.equals(scored["auto"])  # DuckDB default: exact, equal-sized buckets


def test_approximate_cut_points_stay_close_to_exact_ones(scored):
    exact, approx = scored["quantile"], scored["approx_quantile"]
    for col in ("r_score", "f_score", "m_score"):
        diff = (exact[col] - approx[col]).abs()
        assert diff.max() <= 1 and diff.mean() < 0.05, col


def test_unknown_scoring_method_is_refused(warehouse):
    with pytest.raises(ConfigError, match="scoring method"):
        quantile_scores(warehouse.orders, {"s": ("revenue", False)}, 5, "order_id", method="ntile")
