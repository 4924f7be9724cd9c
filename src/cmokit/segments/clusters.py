"""Behavioural clusters: log + standardise, then k-means or a Gaussian mixture.

Features per customer come from one engine query (:func:`cluster_features`,
the shared per-customer features of :mod:`cmokit.features` as of a date,
the same ones the churn model uses). Each feature is ``log1p``-transformed
(order counts and money are right-skewed) and standardised; then

* ``method="kmeans"``: k-means (Lloyd; k-means++ starts, ``n_init=10``), and with
  ``n_clusters="auto"`` k maximises the mean silhouette (Rousseeuw 1987,
  J. Comput. Appl. Math. 20) on a seeded sample of customers;
* ``method="gmm"``: a full-covariance Gaussian mixture, and with ``"auto"`` k
  minimises the BIC (Schwarz 1978, Ann. Statist. 6(2)).

Cluster numbers are made stable: clusters are numbered 0, 1, ... by
descending mean monetary value, so the same data and seed give the same labels.
The profile table describes each cluster in business terms (size, revenue
share, typical recency / frequency / basket) and a short description from how
far the cluster's mean sits from the average customer on each feature.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"customer_id": [f"c{i}" for i in range(200)],
...     "frequency": np.r_[rng.poisson(1, 100) + 1, rng.poisson(20, 100) + 1],
...     "average_order_value": rng.gamma(4, 10, 200)})
>>> model = BehaviourClusters(n_clusters="auto", features=["frequency", "average_order_value"]).fit(X)
>>> model.n_clusters_ >= 2
True
"""

from __future__ import annotations

from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, NotFittedError

#: Default clustering features (see DECISIONS.md, "Segments").
DEFAULT_FEATURES = ("mean_gap_days", "average_order_value")

#: Words for a cluster far above / below the average customer on a feature.
_WORDS = {
    "recency_days": ("lapsed", "recent"),
    "frequency": ("frequent", "one-off"),
    "monetary": ("high spend", "low spend"),
    "average_order_value": ("big baskets", "small baskets"),
    "tenure_days": ("long-standing", "newly acquired"),
    "mean_gap_days": ("slow repeat", "fast repeat"),
    "orders_90d": ("active lately", "quiet lately"),
    "orders_365d": ("active this year", "quiet this year"),
    "revenue_365d": ("high recent spend", "low recent spend"),
}


def cluster_features(source, as_of=None, *, revenue: str = "net"):
    """Per-customer behavioural features as of ``as_of`` (one engine query).

    ``as_of`` is the snapshot day, inclusive (UTC); ``None`` = the latest order day
    in the data. The columns of :data:`cmokit.features.ORDER_FEATURES` keyed by
    ``customer_id`` (:func:`cmokit.features.customer_features`); pandas for a
    warehouse, the input's kind for a frame. Orders are validated on entry. ``revenue``:
    ``"net"`` (default) or ``"gross"`` money features, as in :func:`cmokit.features.customer_features`.
    """
    from cmokit.features import customer_features

    return customer_features(source, as_of, revenue=revenue)


def _pandas(frame):
    from cmokit._frames import to_pandas

    return to_pandas(frame)


class BehaviourClusters(ParamsMixin):
    """Cluster customers on behaviour; choose k by silhouette (k-means) or BIC (mixture).

    Parameters
    ----------
    n_clusters
        A number of clusters, or ``"auto"`` to choose one in ``k_range``.
    method
        ``"kmeans"`` or ``"gmm"`` (Gaussian mixture).
    features
        Columns of the input frame to cluster on.
    k_range
        Inclusive (min, max) number of clusters tried with ``"auto"``.
    selection_sample
        Customers sampled (seeded) to compute the silhouette; BIC uses all.
    random_state
        Seed of the starts and the sample: same data + seed = same clusters.

    Attributes
    ----------
    n_clusters_ : int
    selection_ : DataFrame
        ``n_clusters, criterion, score`` for every k tried (one row if fixed).
    labels_ : DataFrame
        ``customer_id, cluster`` for the fitted customers.
    profile_ : DataFrame
        One row per cluster in business terms.
    summary_ : DataFrame
        Alias of ``profile_`` (the tidy table of the fit).

    Examples
    --------
    >>> BehaviourClusters(n_clusters=4).n_clusters
    4
    """

    def __init__(self, n_clusters="auto", method: str = "kmeans", features=DEFAULT_FEATURES,
                 k_range=(2, 8), selection_sample: int = 4000, random_state: int = 0):
        self.n_clusters = n_clusters
        self.method = method
        self.features = features
        self.k_range = k_range
        self.selection_sample = selection_sample
        self.random_state = random_state

    # -- pieces ---------------------------------------------------------------
    def _transform(self, frame):
        import numpy as np

        from cmokit._frames import require_columns

        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise ConfigError(f"cluster features missing from the input: {missing}; "
                              "build them with cmokit.segments.cluster_features(source, as_of)")
        features = list(self.features)
        require_columns(frame, features, "cluster features", numeric=features, not_null=features)
        x = frame[features].astype("float64").to_numpy()
        return np.log1p(np.clip(x, 0, None))

    def _model(self, k: int):
        if self.method == "kmeans":
            from sklearn.cluster import KMeans

            return KMeans(n_clusters=k, n_init=10, random_state=self.random_state)
        if self.method == "gmm":
            from sklearn.mixture import GaussianMixture

            return GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=self.random_state)
        raise ConfigError(f"method must be 'kmeans' or 'gmm', not {self.method!r}")

    def _select(self, z):
        import numpy as np
        import pandas as pd

        if self.n_clusters != "auto":
            k = int(self.n_clusters)
            if k < 1:
                raise ConfigError(f"n_clusters must be >= 1 or 'auto', not {self.n_clusters!r}")
            return k, pd.DataFrame({"n_clusters": [k], "criterion": ["fixed"], "score": [np.nan]})
        lo, hi = (int(v) for v in self.k_range)
        rng = np.random.default_rng(self.random_state)
        rows = []
        for k in range(max(2, lo), hi + 1):
            model = self._model(k).fit(z)
            if self.method == "gmm":
                rows.append((k, "bic", float(model.bic(z))))
                continue
            from sklearn.metrics import silhouette_score

            take = min(len(z), int(self.selection_sample))
            idx = np.sort(rng.choice(len(z), size=take, replace=False)) if take < len(z) else np.arange(len(z))
            rng = np.random.default_rng(self.random_state)  # same sample for every k
            rows.append((k, "silhouette", float(silhouette_score(z[idx], model.labels_[idx]))))
        table = pd.DataFrame(rows, columns=["n_clusters", "criterion", "score"])
        best = table["score"].idxmin() if self.method == "gmm" else table["score"].idxmax()
        return int(table.loc[best, "n_clusters"]), table

    # -- API --------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit on a frame of features keyed by ``customer_id`` (pandas or polars).

        Runs single-threaded: on small per-customer tables OpenMP threads competing
        for a busy machine made k-means 100× slower than one thread.
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._fit(X)

    def _fit(self, X):
        import numpy as np
        from sklearn.preprocessing import StandardScaler

        frame = _pandas(X).reset_index(drop=True)
        raw = self._transform(frame)
        self.scaler_ = StandardScaler().fit(raw)
        z = self.scaler_.transform(raw)
        self.n_clusters_, self.selection_ = self._select(z)
        self.model_ = self._model(self.n_clusters_).fit(z)
        raw_labels = self.model_.predict(z)
        value = frame["monetary"].to_numpy() if "monetary" in frame else np.expm1(raw).sum(axis=1)
        means = {c: float(value[raw_labels == c].mean()) for c in np.unique(raw_labels)}
        ordered = sorted(means, key=lambda c: (-means[c], c))
        self.relabel_ = {int(old): new for new, old in enumerate(ordered)}
        labels = np.array([self.relabel_[int(c)] for c in raw_labels], dtype="int64")
        self.labels_ = frame[["customer_id"]].assign(cluster=labels) if "customer_id" in frame else None
        self.profile_ = self._profile(frame, z, labels)
        self.summary_ = self.profile_
        return self

    def predict(self, X):
        """Cluster of each customer in ``X`` (``customer_id, cluster``; the input's kind)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("BehaviourClusters is not fitted; call fit(features) first")
        import numpy as np

        frame = _pandas(X).reset_index(drop=True)
        from threadpoolctl import threadpool_limits

        z = self.scaler_.transform(self._transform(frame))
        with threadpool_limits(1):
            predicted = self.model_.predict(z)
        labels = np.array([self.relabel_[int(c)] for c in predicted], dtype="int64")
        out = frame[["customer_id"]].assign(cluster=labels)
        from cmokit._frames import like

        return like(out, X)

    def _profile(self, frame, z, labels):
        import pandas as pd

        data = frame.assign(cluster=labels)
        agg = {"customers": ("customer_id", "size") if "customer_id" in data else (self.features[0], "size")}
        for c in self.features:
            agg[f"median_{c}"] = (c, "median")
        if "monetary" in data:
            agg["revenue"] = ("monetary", "sum")
        prof = data.groupby("cluster").agg(**agg).reset_index()
        prof["customer_share"] = prof["customers"] / prof["customers"].sum()
        if "revenue" in prof:
            prof["revenue_share"] = prof["revenue"] / prof["revenue"].sum()
        centre = pd.DataFrame(z, columns=list(self.features)).assign(cluster=labels).groupby("cluster").mean()
        descriptions = []
        for cluster in prof["cluster"]:
            words = []
            for c in self.features:
                high, low = _WORDS.get(c, (f"high {c}", f"low {c}"))
                level = centre.loc[cluster, c]
                if level > 0.5:
                    words.append(high)
                elif level < -0.5:
                    words.append(low)
            descriptions.append(", ".join(words) if words else "average on every feature")
        prof["description"] = descriptions
        return prof


__all__ = ["DEFAULT_FEATURES", "BehaviourClusters", "cluster_features"]
