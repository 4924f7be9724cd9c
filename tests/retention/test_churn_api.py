"""ChurnModel is fitted like every estimator (X, y); the old fit(source, as_of) still works, with a warning."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cmokit.retention import ChurnModel, churn_labels, churn_training_set


@pytest.fixture(scope="module")
def holdout(warehouse):
    return ChurnModel(window_days=180).fit_holdout(warehouse, as_of="2025-12-31")


def test_fit_on_the_training_set_is_the_holdout_fit(holdout, warehouse):
    X, y = churn_training_set(warehouse, as_of=holdout.test_cutoff_, window_days=180)
    model = ChurnModel(window_days=180).fit(X, y)
    assert len(X) == holdout.train_customers_ and y.mean() == pytest.approx(holdout.train_churn_rate_)
    np.testing.assert_allclose(model.predict_proba(X), holdout.predict_proba(X))
    # the labels are churn over the window that ends on as_of: the same as churn_labels at the feature day
    labels = churn_labels(warehouse, as_of=holdout.train_cutoff_, window_days=180)
    assert y.tolist() == labels["churned"].astype(int).tolist()


def test_old_fit_call_warns_and_gives_the_holdout_model(holdout, warehouse):
    with pytest.warns(FutureWarning, match="churn_training_set"):
        legacy = ChurnModel(window_days=180).fit(warehouse, "2025-12-31")
    pd.testing.assert_frame_equal(legacy.summary_, holdout.summary_)
    assert legacy.as_of_ == dt.date(2025, 12, 31)


def test_old_cutoff_name_warns_and_still_works():
    orders = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
                           "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-20"]), "revenue": [1.0, 2.0]})
    with pytest.warns(FutureWarning, match="as_of"):
        old = churn_labels(orders, cutoff="2025-01-10", window_days=30)
    pd.testing.assert_frame_equal(old, churn_labels(orders, as_of="2025-01-10", window_days=30))


def test_predict_takes_features_and_keeps_their_frame_kind(holdout, warehouse):
    import polars as pl

    X, _ = churn_training_set(warehouse, window_days=180)
    scores = holdout.predict(pl.from_pandas(X))
    assert isinstance(scores, pl.DataFrame) and scores.height == len(X)
    assert scores["churn_probability"].is_sorted(descending=True)


def test_fit_needs_labels_of_both_kinds():
    from cmokit.errors import ConfigError
    from cmokit.retention.churn import FEATURES

    X = pd.DataFrame(np.ones((4, len(FEATURES))), columns=list(FEATURES)).assign(customer_id=list("abcd"))
    with pytest.raises(ConfigError, match="both churned and returning"):
        ChurnModel().fit(X, [1, 1, 1, 1])
    with pytest.raises(ConfigError, match="labels y"):
        ChurnModel().fit(X)


def test_training_set_comes_back_in_the_kind_of_the_source():
    import polars as pl

    from tests.test_as_of_rule import orders_frame

    X, y = churn_training_set(pl.from_pandas(orders_frame()), as_of="2025-03-31", window_days=30)
    assert isinstance(X, pl.DataFrame) and isinstance(y, pl.Series)
    assert dict(zip(X["customer_id"].to_list(), y.to_list())) == {"a": 1, "b": 0, "c": 1, "d": 1}
    assert ChurnModel().fit(X, y).predict(X).height == 4
