"""Every estimator of campaigns and attribution follows the same conventions: ``fit`` returns
``self``, ``sklearn.base.clone`` gives an unfitted copy with the same settings, use before
``fit`` raises NotFittedError, inputs are not mutated, the same seed gives the same result;
and importing the packages does not import scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cmokit._frames import kind_of, to_kind, to_pandas
from cmokit.attribution import MarkovAttribution, ShapleyAttribution
from cmokit.campaigns import ClassTransformation, TLearner, XLearner
from cmokit.errors import NotFittedError


def _experiment(n=2000, seed=3):
    """Two features, a randomised treatment and a binary outcome whose uplift grows with x1."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"customer_id": [f"c{i:05d}" for i in range(n)], "x0": rng.normal(size=n),
                      "x1": rng.normal(size=n)})
    t = rng.integers(0, 2, n)
    p = 1 / (1 + np.exp(-(-1 + 0.5 * X.x0 + t * (0.2 + 0.8 * (X.x1 > 0)))))
    return X, t, (rng.random(n) < p).astype(int)


def _paths():
    """Six channels in long paths so that Shapley samples some channel sets (exact_max_channels=2)."""
    return pd.DataFrame({"path": ["A > B > C", "A > D > E > F", "B", "C > A", "F > E > D > C > B", "E"],
                         "conversions": [3, 2, 1, 2, 1, 0], "conversion_value": [30.0, 25.0, 5.0, 12.0, 9.0, 0.0],
                         "nulls": [4, 3, 6, 2, 5, 9]})


UPLIFT = [TLearner, XLearner, ClassTransformation]
ATTRIBUTION = {MarkovAttribution: dict(order=2), ShapleyAttribution: dict(exact_max_channels=2, random_state=7)}


def _fit(model):
    if isinstance(model, (MarkovAttribution, ShapleyAttribution)):
        return model.fit(_paths())
    X, t, y = _experiment()
    return model.fit(X[["x0", "x1"]], t, y)


def _result(model):
    if isinstance(model, (MarkovAttribution, ShapleyAttribution)):
        return model.summary_
    X, _, _ = _experiment()
    return model.predict(X[["x0", "x1"]])


ALL = [cls() for cls in UPLIFT] + [cls(**kw) for cls, kw in ATTRIBUTION.items()]
IDS = [type(m).__name__ for m in ALL]


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_fit_returns_self(model):
    assert _fit(model) is model


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_clone_is_unfitted_with_the_same_settings(model):
    from sklearn.base import clone

    fitted = _fit(model)
    copy = clone(fitted)
    assert type(copy) is type(model) and copy.get_params() == model.get_params()
    assert not [k for k in vars(copy) if k.endswith("_") and not k.startswith("_")]
    again = copy.set_params(**model.get_params(deep=False))
    assert again is copy


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_use_before_fit_raises_not_fitted(model):
    from sklearn.base import clone

    fresh = clone(model)
    with pytest.raises(NotFittedError):
        _result(fresh)
    if isinstance(fresh, MarkovAttribution):
        with pytest.raises(NotFittedError):
            fresh.transition_matrix()


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_inputs_are_not_mutated(model):
    from sklearn.base import clone

    fresh = clone(model)
    if isinstance(fresh, (MarkovAttribution, ShapleyAttribution)):
        paths = _paths()
        fresh.fit(paths)
        pd.testing.assert_frame_equal(paths, _paths())
        return
    X, t, y = _experiment()
    X0, t0, y0 = X.copy(), t.copy(), y.copy()
    fresh.fit(X, t, y)
    fresh.predict(X)
    pd.testing.assert_frame_equal(X, X0)
    assert (t == t0).all() and (y == y0).all()


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_same_seed_same_result(model):
    from sklearn.base import clone

    a, b = _result(_fit(clone(model))), _result(_fit(clone(model)))
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        np.testing.assert_array_equal(a, b)
    if isinstance(model, ShapleyAttribution):
        assert _fit(clone(model)).n_sampled_sets_ > 0  # the seed is exercised


@pytest.mark.parametrize("cls", UPLIFT)
@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_uplift_predict_is_keyed_by_customer_id(cls, kind):
    X, t, y = _experiment()
    model = cls().fit(X, t, y)  # customer_id is not a feature
    plain = model.predict(X[["x0", "x1"]].to_numpy())
    keyed = model.predict(to_kind(X, kind))
    keyed_pd = to_pandas(keyed)
    assert kind_of(keyed) == kind
    assert list(keyed_pd.columns) == ["customer_id", "predicted_uplift"]
    assert keyed_pd["customer_id"].tolist() == X["customer_id"].tolist()
    np.testing.assert_allclose(keyed_pd["predicted_uplift"].to_numpy(), plain)
    assert isinstance(model.predict(X[["x0", "x1"]]), np.ndarray)  # no customer_id: an array, as before


def test_importing_campaigns_and_attribution_does_not_import_sklearn():
    code = ("import sys, cmokit.campaigns, cmokit.attribution\n"
            "from cmokit.campaigns import TLearner, XLearner, ClassTransformation, uplift_scores\n"
            "TLearner(); XLearner(); ClassTransformation()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
