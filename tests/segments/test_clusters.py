"""Behavioural clusters recover the generator's planted segments (adjusted Rand index)."""

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cmokit.errors import NotFittedError
from cmokit.segments import BehaviourClusters, cluster_features

#: Planted segments are median splits of latent purchase rate and basket size, which one
#: customer's few orders reveal only noisily; on the 5,000-customer sample k-means on
#: (mean gap between orders, average order value) with the planted k = 4 scored ARI 0.24.
#: A random labelling scores 0; the floor leaves room for sampling noise.
ARI_FLOOR = 0.15


@pytest.fixture(scope="module")
def features(warehouse):
    return cluster_features(warehouse, "2025-12-31", revenue="gross")


@pytest.fixture(scope="module")
def fitted(features):
    return BehaviourClusters(n_clusters=4, random_state=0).fit(features)


def test_clusters_recover_the_planted_segments_above_the_ari_floor(fitted, truth_customers):
    joined = fitted.labels_.merge(truth_customers[["customer_id", "segment"]], on="customer_id", how="inner")
    assert len(joined) == len(fitted.labels_)
    ari = adjusted_rand_score(joined["segment"], joined["cluster"])
    print(f"ARI vs planted segments (k=4, k-means): {ari:.3f}")
    assert ari > ARI_FLOOR


def test_refit_with_the_same_seed_gives_the_same_labels(fitted, features):
    again = BehaviourClusters(n_clusters=4, random_state=0).fit(features)
    assert (again.labels_["cluster"].to_numpy() == fitted.labels_["cluster"].to_numpy()).all()


def test_profile_describes_every_cluster_and_numbers_them_by_value(fitted):
    profile = fitted.profile_
    assert profile["customers"].sum() == len(fitted.labels_)
    assert profile["customer_share"].sum() == pytest.approx(1.0)
    assert profile["description"].str.len().gt(0).all()
    mean_value = profile["revenue"] / profile["customers"]
    assert profile["cluster"].tolist() == list(range(len(profile)))
    assert mean_value.is_monotonic_decreasing


def test_another_seed_gives_the_same_clusters_with_the_same_numbers(fitted, features):
    """Stable across runs: the partition does not hinge on the seed, and numbering by value
    keeps cluster 0 the most valuable whatever order k-means found them in."""
    other = BehaviourClusters(n_clusters=4, random_state=1).fit(features)
    a, b = fitted.labels_["cluster"].to_numpy(), other.labels_["cluster"].to_numpy()
    assert adjusted_rand_score(a, b) > 0.9
    assert (a == b).mean() > 0.95


def test_auto_clusters_also_recover_the_planted_segments(features, truth_customers):
    """The notebook's default (k chosen by silhouette) clears the same floor (measured 0.32, k = 3)."""
    model = BehaviourClusters(n_clusters="auto", random_state=0).fit(features)
    joined = model.labels_.merge(truth_customers[["customer_id", "segment"]], on="customer_id", how="inner")
    ari = adjusted_rand_score(joined["segment"], joined["cluster"])
    print(f"ARI vs planted segments (auto, silhouette picked k={model.n_clusters_}): {ari:.3f}")
    assert ari > ARI_FLOOR


def test_gaussian_mixture_auto_picks_the_lowest_bic_and_finds_planted_blobs():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    centres = [(5.0, 20.0), (60.0, 20.0), (20.0, 150.0)]
    blobs = [np.exp(rng.normal(np.log(c), 0.15, size=(300, 2))) for c in centres]
    truth = np.repeat([0, 1, 2], 300)
    X = pd.DataFrame(np.vstack(blobs), columns=["mean_gap_days", "average_order_value"])
    X.insert(0, "customer_id", [f"c{i:04d}" for i in range(len(X))])
    model = BehaviourClusters(n_clusters="auto", method="gmm", k_range=(2, 6), random_state=0).fit(X)
    assert list(model.selection_["criterion"].unique()) == ["bic"]
    assert model.n_clusters_ == model.selection_.loc[model.selection_["score"].idxmin(), "n_clusters"] == 3
    assert adjusted_rand_score(truth, model.labels_["cluster"]) > 0.95


def test_auto_picks_the_best_silhouette_in_range(features):
    model = BehaviourClusters(n_clusters="auto", k_range=(2, 4), selection_sample=1500).fit(features)
    best = model.selection_.loc[model.selection_["score"].idxmax(), "n_clusters"]
    assert model.n_clusters_ == best
    assert list(model.selection_["criterion"].unique()) == ["silhouette"]


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        BehaviourClusters().predict(None)


def test_predict_returns_the_input_kind_and_the_fitted_labels(fitted, features):
    import polars as pl

    as_pandas = fitted.predict(features)
    as_polars = fitted.predict(pl.from_pandas(features))
    assert isinstance(as_polars, pl.DataFrame)
    assert (as_pandas["cluster"].to_numpy() == fitted.labels_["cluster"].to_numpy()).all()
    assert as_polars["cluster"].to_list() == as_pandas["cluster"].tolist()


def test_clone_gives_an_unfitted_copy_with_the_same_settings():
    from sklearn.base import clone

    settings = dict(n_clusters=2, method="gmm", features=("frequency", "average_order_value"), k_range=(2, 3),
                    selection_sample=50, random_state=7)
    X = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)], "frequency": [1, 20] * 20,
                      "average_order_value": [10.0, 80.0] * 20})
    model = BehaviourClusters(**settings).fit(X)
    copy = clone(model)
    assert model.get_params() == settings and copy.get_params() == settings
    assert model.features is settings["features"]  # stored unchanged
    assert not hasattr(copy, "model_") and not hasattr(copy, "labels_")
    assert copy.set_params(n_clusters=3).n_clusters == 3 and model.n_clusters == 2


def test_missing_feature_values_are_a_contract_error():
    import numpy as np

    from cmokit.errors import ContractError

    X = pd.DataFrame({"customer_id": list("abcd"), "mean_gap_days": [1.0, np.nan, 3.0, 4.0],
                      "average_order_value": [5.0, 6.0, 7.0, 8.0]})
    with pytest.raises(ContractError, match="mean_gap_days"):
        BehaviourClusters(n_clusters=2).fit(X)
