"""Uplift estimators and curves: hand-computed curves, planted heterogeneity, the sample's truth."""

import numpy as np
import pandas as pd
import pytest

from cmokit.campaigns.uplift import (
    ClassTransformation, TLearner, XLearner, auuc, cross_fit_predict, qini_coefficient, qini_curve, targeting_list,
    targeting_value, uplift_by_decile, uplift_features,
)
from cmokit.errors import NotFittedError


def test_qini_and_uplift_curves_match_hand_computation():
    # Ranked: (y1,t1) (y0,t0) (y0,t0) (y0,t1) (y0,t1) (y1,t0).
    y = np.array([1, 0, 0, 0, 1, 0]); t = np.array([1, 1, 0, 0, 0, 1])
    u = np.array([.9, .1, .2, .3, .0, .05])
    curve = qini_curve(y, t, u, points=None)
    assert curve["qini"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert curve["uplift"].tolist() == pytest.approx([0, 1, 2, 3, 2, 5 / 3, 0])
    assert qini_coefficient(y, t, u) == pytest.approx(5 / 6)
    assert qini_coefficient(y, t, u, normalize=True) == pytest.approx(1.0)
    assert qini_coefficient(y, t, -u) < 0
    # AUUC: the uplift curve ends at 0 here, so its area over random is the curve's mean.
    # The Qini-perfect ranking's uplift curve is 1, 1, 1.5, 2, 5/3, 0: lower, so the ratio exceeds 1.
    model_area, perfect_area = (1 + 2 + 3 + 2 + 5 / 3) / 6, (1 + 1 + 1.5 + 2 + 5 / 3) / 6
    assert auuc(y, t, u) == pytest.approx(model_area)
    assert auuc(y, t, u, normalize=True) == pytest.approx(model_area / perfect_area)


def _planted(n, seed):
    """Customers whose e-mail effect on conversion decays with recency: 0.2 exp(-recency / 120)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 365, n), "frequency": rng.poisson(2, n).astype(float),
                      "monetary": rng.gamma(2, 50, n)})
    t = rng.integers(0, 2, n)
    tau = 0.2 * np.exp(-X.recency_days.to_numpy() / 120)
    y = (rng.random(n) < 0.05 + 0.01 * X.frequency + t * tau).astype(float)
    return X, t, y, tau


@pytest.mark.parametrize("model", [TLearner(), XLearner(), ClassTransformation()], ids=["t_learner", "x_learner", "class_transformation"])
def test_estimators_recover_planted_heterogeneity(model):
    X, t, y, tau = _planted(12000, 5)
    u = model.fit(X[:6000], t[:6000], y[:6000]).predict(X[6000:])
    assert u.mean() == pytest.approx(tau[6000:].mean(), abs=0.02)
    assert np.corrcoef(u, tau[6000:])[0, 1] > 0.7
    oracle = qini_coefficient(y[6000:], t[6000:], tau[6000:], normalize=True)  # ranking by the true effect
    assert qini_coefficient(y[6000:], t[6000:], u, normalize=True) > 0.75 * oracle
    deciles = uplift_by_decile(y[6000:], t[6000:], u)
    assert deciles.loc[0, "observed_uplift"] > deciles.loc[9, "observed_uplift"] + 0.05


def test_not_fitted_raises():
    with pytest.raises(NotFittedError):
        TLearner().predict(np.zeros((1, 2)))


def test_targeting_list_respects_consent_and_values_strategies():
    scores = pd.DataFrame({"customer_id": list("abcde"), "marketing_consent": [True, False, True, True, True],
                           "predicted_uplift": [5.0, 50.0, -1.0, 2.0, 3.0]})
    top = targeting_list(scores, 2)
    assert top["customer_id"].tolist() == ["a", "e"] and "b" not in set(targeting_list(scores)["customer_id"])
    value = targeting_value(scores, 2, cost_per_contact=1.0).set_index("strategy")
    assert value.loc["top_k", "expected_incremental_revenue"] == 8.0
    assert value.loc["everyone_consenting", "expected_incremental_revenue"] == 9.0
    assert value.loc["everyone_consenting", "net_incremental_revenue"] == 5.0
    assert value.loc["no_one", "expected_incremental_revenue"] == 0.0


@pytest.fixture(scope="module")
def sample_uplift(warehouse, truth, truth_customers):
    frame = uplift_features(warehouse, truth["experiment"]["experiment_id"])
    return frame.merge(truth_customers[["customer_id", "segment"]], on="customer_id", how="left")


@pytest.mark.parametrize("model", [TLearner(), XLearner(), ClassTransformation()], ids=["t_learner", "x_learner", "class_transformation"])
def test_sample_uplift_recovers_most_responsive_segment(sample_uplift, truth, model):
    f = sample_uplift
    assert f["segment"].notna().all()
    u = cross_fit_predict(model, f, f.treatment, f.converted, random_state=0)
    by_segment = pd.Series(u).groupby(f["segment"].to_numpy()).mean()
    assert by_segment.idxmax() == truth["experiment"]["most_responsive_segment"]
    assert qini_coefficient(f.converted, f.treatment, u, normalize=True) > 0


def test_sample_t_learner_qini_beats_random_targeting(sample_uplift):
    f = sample_uplift
    u = cross_fit_predict(TLearner(), f, f.treatment, f.converted, random_state=0)
    q = qini_coefficient(f.converted, f.treatment, u, normalize=True)
    rng = np.random.default_rng(0)
    random_q = [qini_coefficient(f.converted, f.treatment, rng.random(len(f)), normalize=True) for _ in range(200)]
    assert q > np.quantile(random_q, 0.95), (q, np.quantile(random_q, 0.95))
