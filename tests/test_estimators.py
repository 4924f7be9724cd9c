"""One compliance suite over every cmokit estimator (scikit-learn conventions, DECISIONS.md "Estimators").

For each row of :data:`ESTIMATORS` — a factory (settings included, seeded), a builder of the
fit arguments, and how to use the fitted model — the suite checks:

* ``fit`` returns ``self``;
* ``sklearn.base.clone`` gives an unfitted copy with equal settings, fitted or not;
* using an unfitted estimator raises :class:`cmokit.errors.NotFittedError`;
* fitting and using the model does not change its inputs (compared with a deep copy);
* the same data and seed give the same result.

A new estimator joins by adding a row. Estimators not in the table yet are listed in
:data:`TODO_ESTIMATORS` with the reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from cmokit.errors import NotFittedError


@dataclass(frozen=True)
class EstimatorCase:
    """``make()`` a fresh estimator; ``data()`` the positional fit arguments; ``use(model, data)``
    the fitted model's output (predict / transform / summary) compared across seeds."""

    name: str
    make: Callable[[], Any]
    data: Callable[[], tuple]
    use: Callable[[Any, tuple], Any]


# --- fit data ----------------------------------------------------------------------------------

def _cluster_features():
    rng = np.random.default_rng(0)
    return (pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(120)],
                          "mean_gap_days": np.r_[rng.gamma(2, 10, 60), rng.gamma(2, 90, 60)],
                          "average_order_value": rng.gamma(4, 10, 120),
                          "monetary": rng.gamma(2, 100, 120)}),)


def _churn_data():
    from cmokit.retention.churn import FEATURES

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.gamma(2.0, 20.0, size=(200, len(FEATURES))), columns=list(FEATURES))
    X.insert(0, "customer_id", [f"c{i:03d}" for i in range(200)])
    y = pd.Series((rng.random(200) < 1 / (1 + np.exp(-(X["recency_days"] - 40) / 20))).astype(int), name="churned")
    return X, y


def _summary():
    from cmokit.clv.bgnbd import simulate
    from cmokit.clv.gamma_gamma import simulate_spend

    s = simulate(400, r=0.5, alpha=6.0, a=0.7, b=2.5, T_max=52.0, seed=2)
    s["monetary_value"] = simulate_spend(s["frequency"], p=6.0, q=4.0, gamma=15.0, seed=3)
    return (s,)


def _uplift_data():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 365, 400), "frequency": rng.poisson(2, 400).astype(float)})
    t = rng.integers(0, 2, 400)
    y = (rng.random(400) < 0.1 + t * 0.2 * np.exp(-X["recency_days"].to_numpy() / 120)).astype(float)
    return X, t, y


def _panel():
    from tests.mmm.conftest import PLANTED, simulate_media

    panel, _ = simulate_media(n_weeks=60, seed=1)
    return (panel[["period", *PLANTED, "revenue"]],)


# --- the registry --------------------------------------------------------------------------------

def _registry():
    from cmokit.campaigns.uplift import ClassTransformation, TLearner, XLearner
    from cmokit.clv import BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeometric
    from cmokit.mmm.model import MediaMixModel
    from cmokit.retention import ChurnModel
    from cmokit.segments import BehaviourClusters
    from tests.mmm.conftest import PLANTED

    return [
        EstimatorCase("segments.BehaviourClusters", lambda: BehaviourClusters(n_clusters="auto", k_range=(2, 3),
                                                                              random_state=1),
                      _cluster_features, lambda m, d: m.predict(d[0])),
        EstimatorCase("segments.BehaviourClusters(gmm)", lambda: BehaviourClusters(n_clusters=2, method="gmm",
                                                                                   random_state=1),
                      _cluster_features, lambda m, d: m.predict(d[0])),
        EstimatorCase("retention.ChurnModel", lambda: ChurnModel(random_state=2), _churn_data,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("retention.ChurnModel(gradient_boosting)",
                      lambda: ChurnModel(model="gradient_boosting", random_state=2), _churn_data,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("clv.BetaGeo", lambda: BetaGeo(penalizer=0.01), _summary,
                      lambda m, d: m.predict(d[0], horizon_days=90)),
        EstimatorCase("clv.ParetoNBD", lambda: ParetoNBD(penalizer=0.01), _summary,
                      lambda m, d: m.predict(d[0], horizon_days=90, intervals=False)),
        EstimatorCase("clv.GammaGamma", lambda: GammaGamma(penalizer=0.01), _summary,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("clv.ShiftedBetaGeometric", lambda: ShiftedBetaGeometric(),
                      lambda: ([1000, 631, 468, 382, 326, 289, 262, 241],), lambda m, d: m.predict(10)),
        EstimatorCase("campaigns.TLearner", lambda: TLearner(random_state=3), _uplift_data,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("campaigns.XLearner", lambda: XLearner(random_state=3), _uplift_data,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("campaigns.ClassTransformation", lambda: ClassTransformation(random_state=3), _uplift_data,
                      lambda m, d: m.predict(d[0])),
        EstimatorCase("mmm.MediaMixModel", lambda: MediaMixModel(channels=list(PLANTED), n_bootstrap=5, maxiter=5,
                                                                 popsize=5, cv_folds=2, random_state=4),
                      _panel, lambda m, d: m.predict(d[0])),
    ]


ESTIMATORS = _registry()
IDS = [c.name for c in ESTIMATORS]

#: Estimators not yet in the registry, with why (the lead fills these in).
TODO_ESTIMATORS: dict[str, str] = {}


def _learned(model) -> list[str]:
    return [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]


def _equal(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif hasattr(a, "to_pandas") and hasattr(a, "columns"):
        pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, (tuple, list)):
        for x, y in zip(a, b, strict=True):
            _equal(x, y)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.fixture(scope="module")
def fitted():
    """Each estimator fitted once on its data: (model, data, value returned by fit, copy of the data)."""
    out = {}
    for case in ESTIMATORS:
        data = case.data()
        before = copy.deepcopy(data)
        model = case.make()
        returned = model.fit(*data)
        out[case.name] = (model, data, returned, before)
    return out


@pytest.mark.parametrize("case", ESTIMATORS, ids=IDS)
def test_fit_returns_self(case, fitted):
    model, _, returned, _ = fitted[case.name]
    assert returned is model
    assert _learned(model), "fit should leave learned attributes ending in '_'"


@pytest.mark.parametrize("case", ESTIMATORS, ids=IDS)
def test_clone_gives_an_unfitted_copy_with_the_same_settings(case, fitted):
    from sklearn.base import clone

    model = fitted[case.name][0]
    for original in (case.make(), model):
        twin = clone(original)
        assert type(twin) is type(original) and twin is not original
        assert set(twin.get_params(deep=False)) == set(original.get_params(deep=False))
        for key, value in original.get_params(deep=False).items():
            other = twin.get_params(deep=False)[key]
            if hasattr(value, "get_params"):
                assert other.get_params() == value.get_params()
            else:
                assert other == value, (key, other, value)
        assert not _learned(twin), _learned(twin)


@pytest.mark.parametrize("case", ESTIMATORS, ids=IDS)
def test_unfitted_use_raises_not_fitted(case):
    with pytest.raises(NotFittedError):
        case.use(case.make(), case.data())


@pytest.mark.parametrize("case", ESTIMATORS, ids=IDS)
def test_inputs_are_not_mutated(case, fitted):
    model, data, _, before = fitted[case.name]
    case.use(model, data)
    _equal(list(data), list(before))


@pytest.mark.parametrize("case", ESTIMATORS, ids=IDS)
def test_same_seed_same_result(case, fitted):
    model, data, _, _ = fitted[case.name]
    again = case.make().fit(*case.data())
    _equal(case.use(again, case.data()), case.use(model, data))
