"""Churn by inactivity, and a churn-propensity model on engine-built features.

Definition (see DECISIONS.md, "Retention and churn"): a customer with at least
one order by a cutoff date ``t`` *churns after t* when they place no order in
the ``window_days`` days after ``t`` (the UTC days ``t+1 .. t+window_days``).

Features are computed per customer as of ``t`` by one Ibis query
(:func:`churn_features`): recency, frequency, monetary value, tenure, mean gap
between orders, average order value, orders and revenue in the last 90 / 365
days. :class:`ChurnModel` fits a scikit-learn classifier on the features at
``t_train = as_of − 2·window`` labelled by ``(t_train, t_train + window]`` and
evaluates it on a **time-based holdout**: features at ``t_test = as_of − window``
labelled by ``(t_test, as_of]`` — the same customers (plus those acquired
since ``t_train``) at a later date, with labels the model never saw at fit
time: out-of-time, not out-of-customer, validation. It reports ROC AUC, the
AUC of the trivial rule "longer since the last order = more likely to churn",
a calibration table (predicted vs observed churn by decile) and the Brier
score. ``predict`` scores every customer as of ``as_of``.

References: Fader, Hardie & Lee (2005), "Counting your customers the easy
way", Marketing Science 24(2) (recency and frequency as the sufficient
statistics of buying behaviour); Neslin et al. (2006), "Defection detection",
J. Marketing Research 43(2) (time-based validation of churn models).

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-15"]),
...     "revenue": [10.0, 20.0, 5.0], "campaign_id": [None, None, None]})
>>> churn_labels(orders, cutoff="2025-01-31", window_days=60)
  customer_id  churned
0           a    False
1           b     True
"""

from __future__ import annotations

import datetime as _dt

from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, NotFittedError

FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "mean_gap_days", "average_order_value",
            "orders_90d", "orders_365d", "revenue_365d", "overdue_ratio")


def _day(value):
    from cmokit.segments.rfm import as_of_date

    return as_of_date(value)


def _timestamp(day: _dt.date):
    import ibis

    return ibis.literal(_dt.datetime.combine(day, _dt.time()), type="timestamp")


def churn_features_expr(orders, cutoff):
    """Per-customer features as of ``cutoff`` (inclusive) as an Ibis expression."""
    import ibis

    from cmokit.engine import days_between
    from cmokit.segments.rfm import money, orders_until

    day = _day(cutoff)
    end = ibis.literal(day, type="date")
    since_90 = _timestamp(day - _dt.timedelta(days=89))
    since_365 = _timestamp(day - _dt.timedelta(days=364))
    o = orders_until(orders, day)
    per = o.group_by("customer_id").aggregate(
        first_order_at=o.ordered_at.min(),
        last_order_at=o.ordered_at.max(),
        frequency=o.count().cast("int64"),
        monetary=money(o.revenue),
        orders_90d=(o.ordered_at >= since_90).cast("int64").sum(),
        orders_365d=(o.ordered_at >= since_365).cast("int64").sum(),
        revenue_365d=(o.ordered_at >= since_365).ifelse(o.revenue.cast("decimal(18, 2)"), 0).sum().cast("float64"),
    )
    per = per.mutate(
        recency_days=days_between(end, per.last_order_at).cast("int64"),
        tenure_days=days_between(end, per.first_order_at).cast("int64"),
        average_order_value=per.monetary / per.frequency,
    )
    gap = days_between(per.last_order_at, per.first_order_at).cast("float64")
    per = per.mutate(
        mean_gap_days=(per.frequency > 1).ifelse(gap / (per.frequency - 1).cast("float64"),
                                                 per.tenure_days.cast("float64")),
    )
    # days since the last order in units of the customer's own mean gap: > 1 = "overdue"
    per = per.mutate(overdue_ratio=per.recency_days.cast("float64") / ibis.greatest(per.mean_gap_days, 1.0))
    return per.select("customer_id", *FEATURES).order_by("customer_id")


def churn_labels_expr(orders, cutoff, window_days: int):
    """``churned`` per customer with an order by ``cutoff``: no order in the next ``window_days``."""
    from cmokit.segments.rfm import orders_until

    day = _day(cutoff)
    start = _timestamp(day + _dt.timedelta(days=1))
    stop = _timestamp(day + _dt.timedelta(days=window_days + 1))
    before = orders_until(orders, day).select("customer_id").distinct()
    after = orders.filter((orders.ordered_at >= start) & (orders.ordered_at < stop)).select("customer_id").distinct()
    after = after.mutate(returned=1)
    joined = before.left_join(after, "customer_id")
    return joined.select(customer_id=before.customer_id, churned=joined.returned.isnull()).order_by("customer_id")


def churn_features(source, cutoff="2025-12-31"):
    """Churn-model features per customer as of ``cutoff`` (one engine query).

    Returns ``customer_id`` plus the columns in :data:`FEATURES`; pandas for a
    warehouse, the input's kind for a frame.
    """
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    return r.execute(churn_features_expr(r.table("orders"), cutoff))


def churn_labels(source, cutoff, window_days: int = 180):
    """Observed churn after ``cutoff``: ``customer_id, churned`` (bool), one engine query."""
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    return r.execute(churn_labels_expr(r.table("orders"), cutoff, window_days))


def _design(frame):
    import numpy as np

    x = frame[list(FEATURES)].astype("float64").to_numpy()
    return np.log1p(np.clip(x, 0, None))


def calibration_table(y_true, y_score, bins: int = 10):
    """Predicted vs observed rate by score quantile (``bin, customers, mean_predicted, observed_rate``)."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"y": np.asarray(y_true, dtype="float64"), "p": np.asarray(y_score, dtype="float64")})
    order = frame["p"].rank(method="first")
    frame["bin"] = np.ceil(order * bins / len(frame)).astype("int64")
    out = frame.groupby("bin").agg(customers=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
    return out.reset_index()


class ChurnModel(ParamsMixin):
    """Churn propensity: a scikit-learn classifier on engine-built features.

    Parameters
    ----------
    window_days
        Inactivity window: churn after ``t`` = no order in the next ``window_days``.
    model
        ``"logistic"`` (default: standardised log features, logistic regression) or
        ``"gradient_boosting"`` (histogram gradient boosting).
    random_state
        Seed of the classifier.

    Attributes
    ----------
    train_cutoff_, test_cutoff_ : date
        Feature dates of the training and holdout sets.
    auc_, recency_rule_auc_, brier_ : float
        Holdout ROC AUC of the model and of the trivial recency rule; Brier score.
    calibration_ : DataFrame
        Predicted vs observed churn by decile of the holdout scores.
    summary_ : DataFrame
        Tidy table of the evaluation (metric, value).

    Examples
    --------
    >>> from cmokit.retention import ChurnModel
    >>> model = ChurnModel(window_days=180)
    >>> model.window_days
    180
    """

    def __init__(self, window_days: int = 180, model: str = "logistic", random_state: int = 0):
        self.window_days = window_days
        self.model = model
        self.random_state = random_state

    def _classifier(self):
        if self.model == "gradient_boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15,
                                                  early_stopping=False, random_state=self.random_state)
        if self.model == "logistic":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        raise ConfigError(f"model must be 'gradient_boosting' or 'logistic', not {self.model!r}")

    def _labelled(self, r, cutoff):
        orders = r.table("orders")
        feats = r.warehouse.execute(churn_features_expr(orders, cutoff), output="pandas")
        labels = r.warehouse.execute(churn_labels_expr(orders, cutoff, self.window_days), output="pandas")
        data = feats.merge(labels, on="customer_id", how="inner", validate="one_to_one")
        return data, data["churned"].astype("int64").to_numpy()

    def fit(self, source, as_of="2025-12-31"):
        """Fit on features at ``as_of − 2·window`` and evaluate on ``as_of − window``."""
        import pandas as pd
        from sklearn.metrics import brier_score_loss, roc_auc_score

        from cmokit.warehouse import resolve

        if int(self.window_days) < 1:
            raise ConfigError(f"window_days must be a positive number of days, not {self.window_days!r}")
        r = resolve(source, "orders")
        end = _day(as_of)
        self.as_of_ = end
        self.test_cutoff_ = end - _dt.timedelta(days=int(self.window_days))
        self.train_cutoff_ = self.test_cutoff_ - _dt.timedelta(days=int(self.window_days))
        train, y_train = self._labelled(r, self.train_cutoff_)
        test, y_test = self._labelled(r, self.test_cutoff_)
        if len(set(y_train)) < 2 or len(set(y_test)) < 2:
            raise ConfigError("churn needs both churned and returning customers in each period; "
                              "use a shorter window_days or a later as_of")
        self.estimator_ = self._classifier().fit(_design(train), y_train)
        score = self.estimator_.predict_proba(_design(test))[:, 1]
        self.auc_ = float(roc_auc_score(y_test, score))
        self.recency_rule_auc_ = float(roc_auc_score(y_test, test["recency_days"].to_numpy()))
        self.brier_ = float(brier_score_loss(y_test, score))
        self.calibration_ = calibration_table(y_test, score)
        self.summary_ = pd.DataFrame({
            "metric": ["roc_auc", "recency_rule_roc_auc", "brier_score", "train_customers", "test_customers",
                       "train_churn_rate", "test_churn_rate"],
            "value": [self.auc_, self.recency_rule_auc_, self.brier_, float(len(train)), float(len(test)),
                      float(y_train.mean()), float(y_test.mean())],
        })
        return self

    def predict(self, source, as_of=None):
        """Churn probability per customer as of ``as_of`` (default: the fit's ``as_of``).

        Returns ``customer_id, churn_probability`` sorted by risk, highest first.
        """
        if not hasattr(self, "estimator_"):
            raise NotFittedError("ChurnModel is not fitted; call fit(source, as_of) first")
        from cmokit.warehouse import resolve

        r = resolve(source, "orders")
        feats = r.warehouse.execute(churn_features_expr(r.table("orders"), as_of or self.as_of_), output="pandas")
        feats["churn_probability"] = self.estimator_.predict_proba(_design(feats))[:, 1]
        out = feats[["customer_id", "churn_probability"]].sort_values(
            ["churn_probability", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
        return r.finish(out)


__all__ = ["FEATURES", "ChurnModel", "calibration_table", "churn_features", "churn_features_expr",
           "churn_labels", "churn_labels_expr"]
