"""Churn by inactivity, and a churn-propensity model on engine-built features.

Definition (see DECISIONS.md, "Retention and churn"): a customer with at least
one order by a snapshot day ``t`` (inclusive, UTC) *churns after t* when they place no order in
the ``window_days`` days after ``t`` (the UTC days ``t+1 .. t+window_days``).

Features are computed per customer as of ``t`` by one Ibis query
(:func:`churn_features`, the shared builder :mod:`cmokit.features`): recency,
frequency (number of orders), monetary value, tenure, mean gap between orders,
average order value, orders and revenue in the last 90 / 365 days.
:class:`ChurnModel` is an estimator like any other: ``fit(X, y)`` on features
and labels, which :func:`churn_training_set` builds from a warehouse (features
at ``as_of − window``, labels over the window ending on ``as_of``).
:meth:`ChurnModel.fit_holdout` fits on the features at
``t_train = as_of − 2·window`` labelled by ``(t_train, t_train + window]`` and
evaluates on a **time-based holdout**: features at ``t_test = as_of − window``
labelled by ``(t_test, as_of]`` — the same customers (plus those acquired
since ``t_train``) at a later date, with labels the model never saw at fit
time: out-of-time, not out-of-customer, validation. It reports ROC AUC, the
AUC of the trivial rule "longer since the last order = more likely to churn",
a calibration table (predicted vs observed churn by decile) and the Brier
score. ``predict`` scores every customer as of ``as_of``. Every ``as_of`` here
is a UTC day, inclusive; ``None`` = the latest order day in the data.

References: Fader, Hardie & Lee (2005), "Counting your customers the easy
way", Marketing Science 24(2) (recency and frequency as the sufficient
statistics of buying behaviour); Neslin et al. (2006), "Defection detection",
J. Marketing Research 43(2) (time-based validation of churn models).

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-15"]),
...     "revenue": [10.0, 20.0, 5.0], "campaign_id": [None, None, None]})
>>> churn_labels(orders, as_of="2025-01-31", window_days=60)
  customer_id  churned
0           a    False
1           b     True
"""

from __future__ import annotations

import datetime as _dt

from cmokit._params import ParamsMixin
from cmokit.engine import renamed_args
from cmokit.errors import ConfigError, NotFittedError
from cmokit.features import ORDER_FEATURES

#: The model's features: :data:`cmokit.features.ORDER_FEATURES` (one definition, shared with clusters).
FEATURES = ORDER_FEATURES

ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue")


def _day(value):
    from cmokit.engine import as_of_date

    return as_of_date(value)


def _timestamp(day: _dt.date):
    import ibis

    return ibis.literal(_dt.datetime.combine(day, _dt.time()), type="timestamp")


def churn_features_expr(orders, as_of=None, *, refunds=None):
    """Per-customer features as of ``as_of`` (inclusive; ``None`` = latest order day) as an Ibis expression.

    ``refunds`` nets revenue (``None`` = gross); guest orders are left out."""
    from cmokit.engine import snapshot_day
    from cmokit.features import customer_features_expr

    return customer_features_expr(orders, snapshot_day(orders, as_of), refunds=refunds).select("customer_id", *FEATURES)


def churn_labels_expr(orders, as_of, window_days: int):
    """``churned`` per customer with an order by ``as_of``: no order in the next ``window_days``.

    ``as_of`` is a resolved snapshot day, inclusive (UTC): orders up to the end of that day count.
    """
    from cmokit.engine import orders_until
    from cmokit.revenue import identified

    orders = identified(orders)  # guest orders belong to no customer
    day = _day(as_of)
    start = _timestamp(day + _dt.timedelta(days=1))
    stop = _timestamp(day + _dt.timedelta(days=window_days + 1))
    before = orders_until(orders, day).select("customer_id").distinct()
    after = orders.filter((orders.ordered_at >= start) & (orders.ordered_at < stop)).select("customer_id").distinct()
    after = after.mutate(returned=1)
    joined = before.left_join(after, "customer_id")
    return joined.select(customer_id=before.customer_id, churned=joined.returned.isnull()).order_by("customer_id")


@renamed_args(cutoff="as_of")
def churn_features(source, as_of=None, *, revenue: str = "net"):
    """Churn-model features per customer as of ``as_of`` (one engine query).

    ``as_of`` is the snapshot day, inclusive (UTC: orders up to the end of that day
    count); ``None`` = the latest order day in the data (old name: ``cutoff``).
    Returns ``customer_id`` plus the columns in :data:`FEATURES`
    (:func:`cmokit.features.customer_features`, with its ``revenue``: net by default); pandas
    for a warehouse, the input's kind for a frame. Orders are validated on entry (ContractError).
    """
    from cmokit.features import customer_features

    return customer_features(source, as_of, revenue=revenue)


@renamed_args(cutoff="as_of")
def churn_labels(source, as_of=None, window_days: int = 180):
    """Observed churn after ``as_of``: ``customer_id, churned`` (bool), one engine query.

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day in
    the data (old name: ``cutoff``). Customers with an order by ``as_of`` churn when
    they place no order in the ``window_days`` UTC days after it.
    """
    from cmokit.warehouse import resolve

    r = resolve(source, "orders")
    orders = r.table("orders", columns=ORDER_COLUMNS)
    return r.execute(churn_labels_expr(orders, r.as_of(as_of), window_days))


def _training_set(r, features_day, window_days: int, revenue: str = "net"):
    """(features, labels) of the customers with an order by ``features_day``, labelled over the next window."""
    from cmokit.revenue import refunds_of

    orders = r.table("orders", columns=ORDER_COLUMNS)
    expr = churn_features_expr(orders, features_day, refunds=refunds_of(r, revenue))
    labels = churn_labels_expr(orders, features_day, int(window_days))
    joined = expr.join(labels, "customer_id").order_by("customer_id")
    data = r.warehouse.execute(joined, output="pandas")
    y = data.pop("churned").astype("int64").rename("churned")
    return data, y


def churn_training_set(source, as_of=None, *, window_days: int = 180, revenue: str = "net"):
    """Features and churn labels to train (or evaluate) a :class:`ChurnModel`.

    The features are taken as of ``as_of − window_days`` and labelled by the
    window that ends on ``as_of`` (``churned`` = no order in those ``window_days``
    days), so every label is observed by ``as_of``. ``as_of`` is the snapshot
    day, inclusive (UTC); ``None`` = the latest order day in the data. Features use
    ``revenue`` (``"net"`` of refunds booked by the feature day, or ``"gross"``); guest
    orders are left out.

    Returns ``(X, y)``: ``X`` is a frame ``customer_id`` + :data:`FEATURES`
    sorted by ``customer_id``; ``y`` the aligned 0/1 Series ``churned`` (pandas for
    a warehouse, the input's kind for a frame). Orders are validated on entry.

    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-15"]), "revenue": [10.0, 20.0, 5.0]})
    >>> X, y = churn_training_set(orders, as_of="2025-03-31", window_days=59)
    >>> X["customer_id"].tolist(), y.tolist()
    (['a', 'b'], [0, 1])
    """
    from cmokit.warehouse import resolve

    if int(window_days) < 1:
        raise ConfigError(f"window_days must be a positive number of days, not {window_days!r}")
    r = resolve(source, "orders")
    r.table("orders", columns=ORDER_COLUMNS)
    end = r.as_of(as_of)
    X, y = _training_set(r, end - _dt.timedelta(days=int(window_days)), window_days, revenue)
    if r.kind == "pandas":
        return X, y
    data = r.finish(X.assign(churned=y))
    return (data.drop("churned"), data["churned"]) if r.kind == "polars" else (r.finish(X), y)


def _design(frame):
    import numpy as np

    from cmokit._frames import require_columns

    frame = require_columns(frame, FEATURES, "churn features", numeric=FEATURES, not_null=FEATURES)
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


def _is_feature_frame(X) -> bool:
    from cmokit._frames import kind_of

    return kind_of(X) is not None and all(c in X.columns for c in FEATURES)


class ChurnModel(ParamsMixin):
    """Churn propensity: a scikit-learn classifier on engine-built features.

    Like every cmokit estimator, :meth:`fit` takes features and labels
    (``X, y``); :func:`churn_training_set` builds them from a warehouse, and
    :meth:`fit_holdout` does the whole time-based fit-and-evaluate in one call.

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
    estimator_
        The fitted scikit-learn classifier (on ``log1p`` of :data:`FEATURES`).
    as_of_, train_cutoff_, test_cutoff_ : date
        (:meth:`fit_holdout`) Snapshot day and feature days of the training and holdout sets.
    auc_, recency_rule_auc_, brier_ : float
        (:meth:`evaluate`) Holdout ROC AUC of the model and of the trivial recency rule; Brier score.
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

    def _check_window(self) -> int:
        if int(self.window_days) < 1:
            raise ConfigError(f"window_days must be a positive number of days, not {self.window_days!r}")
        return int(self.window_days)

    def fit(self, X, y=None, **legacy):
        """Fit the classifier on features ``X`` (``customer_id`` + :data:`FEATURES`) and 0/1 labels ``y``.

        Build ``X, y`` with :func:`churn_training_set`. The old call
        ``fit(source, as_of)`` still works for now with a ``FutureWarning``: it is
        :meth:`fit_holdout`.
        """
        import numpy as np

        if not _is_feature_frame(X):
            import warnings

            as_of = legacy.pop("as_of", y)
            if legacy:
                raise TypeError(f"ChurnModel.fit got unexpected arguments {sorted(legacy)}")
            warnings.warn("ChurnModel.fit(source, as_of) is deprecated: fit takes features and labels. Use "
                          "X, y = cmokit.retention.churn_training_set(source, as_of=..., window_days=...); "
                          "model.fit(X, y), or model.fit_holdout(source, as_of) to fit and evaluate in one call",
                          FutureWarning, stacklevel=2)
            return self.fit_holdout(X, as_of)
        if legacy:
            raise TypeError(f"ChurnModel.fit(X, y) got unexpected arguments {sorted(legacy)}")
        if y is None:
            raise ConfigError("ChurnModel.fit needs labels y (0/1 churned); build X, y with churn_training_set")
        self._check_window()
        design = _design(X)
        labels = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).astype("int64").ravel()
        if len(labels) != len(design):
            raise ConfigError(f"X has {len(design)} rows but y has {len(labels)}")
        if len(set(labels.tolist())) < 2:
            raise ConfigError("churn needs both churned and returning customers to fit; "
                              "use a shorter window_days or a later as_of")
        self.estimator_ = self._classifier().fit(design, labels)
        self.n_features_in_ = len(FEATURES)
        self.train_customers_ = int(len(labels))
        self.train_churn_rate_ = float(labels.mean())
        return self

    def _check_fitted(self):
        if not hasattr(self, "estimator_"):
            raise NotFittedError("ChurnModel is not fitted; call fit(X, y) (see churn_training_set) "
                                 "or fit_holdout(source, as_of) first")

    def evaluate(self, X, y):
        """Score a holdout ``X, y``: sets ``auc_``, ``recency_rule_auc_``, ``brier_``,
        ``calibration_`` and ``summary_``; returns ``summary_``."""
        import numpy as np
        import pandas as pd
        from sklearn.metrics import brier_score_loss, roc_auc_score

        from cmokit._frames import to_pandas

        self._check_fitted()
        frame = to_pandas(X)
        y_test = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).astype("int64").ravel()
        if len(set(y_test.tolist())) < 2:
            raise ConfigError("churn needs both churned and returning customers in the holdout; "
                              "use a shorter window_days or a later as_of")
        score = self.estimator_.predict_proba(_design(frame))[:, 1]
        self.auc_ = float(roc_auc_score(y_test, score))
        self.recency_rule_auc_ = float(roc_auc_score(y_test, frame["recency_days"].to_numpy()))
        self.brier_ = float(brier_score_loss(y_test, score))
        self.calibration_ = calibration_table(y_test, score)
        self.summary_ = pd.DataFrame({
            "metric": ["roc_auc", "recency_rule_roc_auc", "brier_score", "train_customers", "test_customers",
                       "train_churn_rate", "test_churn_rate"],
            "value": [self.auc_, self.recency_rule_auc_, self.brier_, float(self.train_customers_),
                      float(len(frame)), self.train_churn_rate_, float(y_test.mean())],
        })
        return self.summary_

    def fit_holdout(self, source, as_of=None, *, revenue: str = "net"):
        """Fit on features at ``as_of − 2·window`` and evaluate on ``as_of − window`` (time-based holdout).

        ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order
        day in the data. Both sets come from :func:`churn_training_set` with ``revenue``
        (``"net"`` of refunds by default, or ``"gross"``), kept as ``revenue_`` for
        :meth:`predict`. Returns ``self``.
        """
        from cmokit.warehouse import resolve

        window = self._check_window()
        r = resolve(source, "orders")
        r.table("orders", columns=ORDER_COLUMNS)
        end = r.as_of(as_of)
        self.as_of_ = end
        self.test_cutoff_ = end - _dt.timedelta(days=window)
        self.train_cutoff_ = self.test_cutoff_ - _dt.timedelta(days=window)
        train, y_train = _training_set(r, self.train_cutoff_, window, revenue)
        test, y_test = _training_set(r, self.test_cutoff_, window, revenue)
        if len(set(y_train)) < 2 or len(set(y_test)) < 2:
            raise ConfigError("churn needs both churned and returning customers in each period; "
                              "use a shorter window_days or a later as_of")
        self.fit(train, y_train)
        self.evaluate(test, y_test)
        self.revenue_ = revenue
        return self

    def predict_proba(self, X):
        """Churn probability per row of the feature frame ``X`` (a numpy array)."""
        import numpy as np

        self._check_fitted()
        design = _design(X)
        if len(design) == 0:
            return np.empty(0, dtype="float64")
        return self.estimator_.predict_proba(design)[:, 1]

    def predict(self, X, as_of=None, *, revenue: str | None = None):
        """Churn probability per customer, highest risk first: ``customer_id, churn_probability``.

        ``X`` is a feature frame (``customer_id`` + :data:`FEATURES`), or a source
        (warehouse, path, orders frame) whose features are built as of ``as_of``
        (snapshot day, inclusive, UTC; ``None`` = the latest order day in the data) with
        ``revenue`` (``None``: the one :meth:`fit_holdout` used, else ``"net"``).
        Returns the input's frame kind (pandas for a warehouse).
        """
        self._check_fitted()
        from cmokit._frames import like, to_pandas

        if _is_feature_frame(X):
            feats, finish = to_pandas(X), (lambda out: like(out, X))
        else:
            from cmokit.warehouse import resolve

            r = resolve(X, "orders")
            orders = r.table("orders", columns=ORDER_COLUMNS)
            from cmokit.revenue import refunds_of

            feats = r.warehouse.execute(churn_features_expr(orders, r.as_of(as_of), refunds=refunds_of(r, revenue or getattr(self, "revenue_", "net"))),
                                        output="pandas")
            finish = r.finish
        out = feats[["customer_id"]].assign(churn_probability=self.predict_proba(feats))
        out = out.sort_values(["churn_probability", "customer_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
        return finish(out)


__all__ = ["FEATURES", "ChurnModel", "calibration_table", "churn_features", "churn_features_expr",
           "churn_labels", "churn_labels_expr", "churn_training_set"]
