"""Uplift estimators and curves: hand-computed curves, planted heterogeneity, the sample's truth."""

import numpy as np
import pandas as pd
import pytest

from cmokit.campaigns.uplift import (
    FEATURES, ClassTransformation, TLearner, XLearner, auuc, cross_fit_predict, qini_coefficient, qini_curve,
    targeting_list, targeting_value, uplift_by_decile, uplift_by_share, uplift_features, uplift_scores,
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
    # Without the experiment only the model-based sum of predictions is filled.
    value = targeting_value(scores, 2, cost_per_contact=1.0).set_index("strategy")
    assert value.loc["top_k", "predicted_incremental_revenue"] == 8.0
    assert value.loc["everyone_consenting", "predicted_incremental_revenue"] == 9.0
    assert value.loc["everyone_consenting", "contact_cost"] == 4.0
    assert value.loc["no_one", "predicted_incremental_revenue"] == 0.0
    assert value.loc["no_one", "net_incremental_revenue"] == 0.0
    assert value.loc[["top_k", "everyone_consenting"], "incremental_revenue"].isna().all()


def test_uplift_by_share_reads_the_uplift_curve_with_welch_intervals():
    rng = np.random.default_rng(3)
    y = rng.gamma(1.0, 20.0, 400) * (rng.random(400) < 0.3); t = rng.integers(0, 2, 400); u = rng.normal(size=400)
    by_share = uplift_by_share(y, t, u, shares=(0.25, 1.0))
    curve = qini_curve(y, t, u, points=None).set_index("targeted")
    assert by_share["incremental"].tolist() == pytest.approx(curve.loc[[100, 400], "uplift"].tolist())
    top = np.argsort(-u, kind="stable")[:100]
    yt, yc = y[top][t[top] == 1], y[top][t[top] == 0]
    se = np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc))
    row = by_share.iloc[0]
    assert row["observed_uplift"] == pytest.approx(yt.mean() - yc.mean())
    assert row["observed_uplift_upper"] - row["observed_uplift"] == pytest.approx(1.97 * se, rel=0.01)  # Welch t, ~190 df


def _planted_revenue(n, seed):
    """A pilot (2/3 treated) whose e-mail raises the order probability by 0.15 exp(-recency / 90);
    order values log-normal (heavy-tailed), many features carry no effect. Returns X, t, revenue and
    the planted expected incremental revenue per customer."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 365, n), "frequency": rng.poisson(2, n).astype(float),
                      "revenue_365d": rng.gamma(2, 50, n), "days_since_signup": rng.uniform(30, 1500, n),
                      "average_order_value": rng.gamma(3, 20, n), "orders_365d": rng.poisson(4, n).astype(float),
                      "orders_per_week": rng.gamma(1, 0.1, n)})
    for col in FEATURES[8:]:  # acquisition channel indicators: noise
        X[col] = (rng.random(n) < 0.2).astype(float)
    t = (rng.random(n) < 2 / 3).astype(int)
    extra = 0.15 * np.exp(-X["recency_days"].to_numpy() / 90)
    mean_order_value = 40 * np.exp(0.9 ** 2 / 2)
    bought = rng.random(n) < 0.10 + 0.02 * X["frequency"].to_numpy() + t * extra
    y = bought * rng.lognormal(np.log(40), 0.9, n)
    return X, t, y, extra * mean_order_value


def test_targeting_value_is_honest_on_a_planted_revenue_experiment():
    X, t, y, tau = _planted_revenue(3000, 4)
    oof = cross_fit_predict(TLearner(), X, t, y, random_state=0)
    scores = X.assign(customer_id=[f"c{i:05d}" for i in range(len(X))], consent=1.0, predicted_uplift=oof)
    value = targeting_value(scores, 300, y=y, treatment=t, oof_uplift=oof).set_index("strategy")
    top = value.loc["top_k"]
    top_ids = targeting_list(scores, 300, min_uplift=None)["customer_id"]
    planted = tau[scores["customer_id"].isin(top_ids).to_numpy()].sum()
    assert top["incremental_revenue_lower"] < planted < top["incremental_revenue_upper"], (top, planted)
    # The in-sample model's summed predictions for its own top 300 overstate both the honest
    # estimate and the planted effect of the customers it picks (winner's curse).
    naive = scores.assign(predicted_uplift=TLearner().fit(X, t, y).predict(X))
    naive_value = targeting_value(naive, 300).set_index("strategy").loc["top_k", "predicted_incremental_revenue"]
    naive_ids = targeting_list(naive, 300, min_uplift=None)["customer_id"]
    assert naive_value > top["incremental_revenue"]
    assert naive_value > 2 * tau[scores["customer_id"].isin(naive_ids).to_numpy()].sum()
    everyone = value.loc["everyone_consenting"]
    assert everyone["incremental_revenue"] == pytest.approx((y[t == 1].mean() - y[t == 0].mean()) * len(y))
    assert everyone["incremental_revenue_lower"] < tau.sum() < everyone["incremental_revenue_upper"]
    assert value.loc["no_one", ["incremental_revenue", "customers_contacted"]].tolist() == [0.0, 0]
    # The revenue model ranks better than random out of fold.
    assert uplift_scores(y, t, {"t_learner": oof})["qini"].iloc[0] > 0


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


@pytest.mark.parametrize("cls", [TLearner, XLearner, ClassTransformation])
def test_clone_gives_an_unfitted_copy_with_the_same_settings(cls):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    settings = dict(estimator=LogisticRegression(C=0.5), random_state=4)
    if cls is XLearner:
        settings["effect_estimator"] = None
    model = cls(**settings)
    model.treated_share_ = 0.5  # as fit() leaves it
    copy = clone(model)
    assert model.get_params(deep=False) == settings
    assert copy.get_params()["estimator__C"] == 0.5 and copy.estimator is not settings["estimator"]
    assert not hasattr(copy, "treated_share_")
