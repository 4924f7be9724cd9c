"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW and against planted simulation truth."""

from __future__ import annotations

import numpy as np
import pytest

from cmokit.clv import BetaGeo
from cmokit.clv import _fit
from cmokit.errors import ConfigError, NotFittedError

# Fader, Hardie & Lee (2005), Marketing Science 24(2), p. 280: CDNOW 1/10 sample, weeks
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_published_summary):
    return BetaGeo().fit(cdnow_published_summary)


def test_cdnow_parameters_match_fader_hardie_lee_2005(cdnow_bgnbd):
    for name, value in PUBLISHED.items():
        assert round(cdnow_bgnbd.params_[name], 3) == value, name
    assert round(cdnow_bgnbd.log_likelihood_, 1) == PUBLISHED_LL


def test_cdnow_fit_from_raw_orders_matches_published(cdnow_summary):
    model = BetaGeo().fit(cdnow_summary)  # summary built by our Ibis query from the raw purchases
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, abs=0.0015), name
    assert model.log_likelihood_ == pytest.approx(PUBLISHED_LL, abs=0.5)


def test_cdnow_conditional_expectation_worked_example(cdnow_bgnbd, cdnow_published_summary):
    # customer 1 (x=2, t_x=30.43, T=38.86): 1.226 expected purchases in the next 39 weeks,
    # the worked example of Fader & Hardie's BG/NBD implementation note.
    one = cdnow_published_summary.iloc[[0]]
    assert one["frequency"].item() == 2 and one["recency"].item() == 30.43
    assert cdnow_bgnbd.predict(one, horizon_days=39 * 7)["expected_purchases"].item() == pytest.approx(1.226, abs=5e-4)


def test_cdnow_summary_table_has_hessian_intervals(cdnow_bgnbd):
    table = cdnow_bgnbd.summary_
    assert table.columns.tolist() == ["parameter", "estimate", "std_error", "lower", "upper"]
    assert (table["lower"] < table["estimate"]).all() and (table["estimate"] < table["upper"]).all()
    assert (table["std_error"] > 0).all()


def test_analytic_gradient_equals_central_differences(cdnow_published_summary):
    s = cdnow_published_summary
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = BetaGeo()
    params = np.array([0.3, 4.0, 0.8, 2.5])
    data = model._prepare(x, tx, T)
    ll, grad = model._row_value_and_gradient(params, data)
    np.testing.assert_allclose(ll, model.log_likelihood_rows(params, x, tx, T))
    analytic = grad.sum(axis=0)
    numeric = _fit.numeric_gradient(lambda lp: model.log_likelihood_rows(np.exp(lp), x, tx, T).sum(), np.log(params))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_planted_continuous_time_parameters_within_confidence_intervals(bgnbd_simulator):
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
    summary = bgnbd_simulator(40_000, **truth, T_max=104.0, seed=5)
    model = BetaGeo().fit(summary)  # no RuntimeWarning: pytest turns cmokit's into errors
    table = model.summary_.set_index("parameter")
    for name, value in truth.items():
        assert table.loc[name, "lower"] <= value <= table.loc[name, "upper"], (name, table.loc[name].to_dict())


def test_collapsed_rows_give_the_same_fit_as_one_row_per_customer(cdnow_published_summary):
    doubled = BetaGeo().fit(cdnow_published_summary.iloc[np.repeat(np.arange(len(cdnow_published_summary)), 2)])
    single = BetaGeo().fit(cdnow_published_summary)
    assert doubled.n_customers_ == 2 * single.n_customers_
    assert doubled.n_distinct_histories_ == single.n_distinct_histories_
    for name in PUBLISHED:
        assert doubled.params_[name] == pytest.approx(single.params_[name], rel=1e-5)
    assert doubled.log_likelihood_ == pytest.approx(2 * single.log_likelihood_, rel=1e-9)


def test_predictions_are_keyed_by_customer_id_and_bounded(cdnow_bgnbd, cdnow_published_summary):
    pred = cdnow_bgnbd.predict(cdnow_published_summary, horizon_days=365)
    assert pred["customer_id"].tolist() == cdnow_published_summary["customer_id"].tolist()
    assert pred["p_alive"].between(0, 1).all() and (pred["expected_purchases"] >= 0).all()
    for column in ("p_alive", "expected_purchases"):
        assert (pred[f"{column}_lower"] <= pred[column] + 1e-12).all()
        assert (pred[column] <= pred[f"{column}_upper"] + 1e-12).all()
    repeat = cdnow_published_summary["frequency"] > 0
    assert (pred.loc[repeat, "p_alive_upper"] - pred.loc[repeat, "p_alive_lower"] > 0).all()


def test_prediction_interval_matches_parameter_draws(cdnow_bgnbd, cdnow_published_summary):
    # delta-method interval vs the spread of predictions over draws from the parameters' sampling distribution
    one = cdnow_published_summary.iloc[[0]]
    pred = cdnow_bgnbd.predict(one, horizon_days=273).iloc[0]
    rng = np.random.default_rng(0)
    draws = np.exp(rng.multivariate_normal(np.log(list(cdnow_bgnbd.params_.values())), cdnow_bgnbd.covariance_, 4000))
    x, tx, T = (one[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    values = np.array([cdnow_bgnbd._conditional_expectation(p, 39.0, x, tx, T)[0] for p in draws])
    lower, upper = np.quantile(values, [0.025, 0.975])
    assert pred["expected_purchases_lower"] == pytest.approx(lower, rel=0.03)
    assert pred["expected_purchases_upper"] == pytest.approx(upper, rel=0.03)


def test_unidentified_data_raises_convergence_error_that_says_what_to_try():
    import pandas as pd

    from cmokit.errors import ConvergenceError

    one_repeat = pd.DataFrame({"frequency": [0] * 200 + [1], "recency": [0.0] * 200 + [3.0],
                               "T": list(np.linspace(5, 50, 200)) + [40.0]})
    with pytest.raises(ConvergenceError, match="penalizer"):
        BetaGeo().fit(one_repeat)
    with pytest.raises(ConfigError, match="no customer has a repeat purchase"):
        BetaGeo().fit(one_repeat.iloc[:200])


def test_unfitted_model_raises_not_fitted(cdnow_published_summary):
    with pytest.raises(NotFittedError):
        BetaGeo().predict(cdnow_published_summary, horizon_days=30)


def test_time_unit_mismatch_is_refused(cdnow_summary):
    with pytest.raises(ConfigError, match="time_unit='weeks'"):
        BetaGeo(time_unit="days").fit(cdnow_summary)



@pytest.fixture(scope="module")
def sample_fits(sample_bgnbd_orders):
    from cmokit.clv import purchase_summary

    fits = {}
    for merge in (False, True):
        summary = purchase_summary(sample_bgnbd_orders, "2025-12-28", time_unit="weeks", merge_same_day=merge)
        fits[merge] = BetaGeo().fit(summary)
    return fits


def test_sample_planted_parameters_within_ci_on_continuous_time_histories(sample_fits, sample_truth):
    table = sample_fits[False].summary_.set_index("parameter")
    for name in ("r", "alpha", "a", "b"):
        value = sample_truth["bgnbd"][name]
        assert table.loc[name, "lower"] <= value <= table.loc[name, "upper"], (name, table.loc[name].to_dict())


def test_sample_day_level_drift_is_bounded(sample_fits):
    # same-day orders merged, whole days: measured on the sample, alpha +4.8 %, r +1.4 %, a and b < 0.5 %
    # (DECISIONS.md, "Customer lifetime value"); bound every parameter's drift at 8 %
    continuous, daily = sample_fits[False].params_, sample_fits[True].params_
    drift = {name: daily[name] / continuous[name] - 1 for name in continuous}
    assert all(abs(d) < 0.08 for d in drift.values()), drift
    assert drift["alpha"] > 0.02  # the discretisation shows: day-level data looks slower


def test_block_by_block_likelihood_equals_row_by_row(cdnow_published_summary, monkeypatch):
    from cmokit.clv import bgnbd

    monkeypatch.setattr(bgnbd, "CHUNK_ROWS", 100)  # many blocks, one partial
    s = cdnow_published_summary
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = BetaGeo()
    data = model._prepare(x, tx, T)
    params = np.array([0.3, 4.0, 0.8, 2.5])
    weights = np.arange(1.0, len(x) + 1)
    total, grad = model._weighted_value_and_gradient(params, data, weights)
    ll, row_grad = model._row_value_and_gradient(params, data)
    assert total == pytest.approx(weights @ ll, rel=1e-12)
    np.testing.assert_allclose(grad, weights @ row_grad, rtol=1e-10)


def test_warm_started_newton_fit_equals_the_direct_fit(cdnow_published_summary, monkeypatch):
    from cmokit.clv import _transaction

    direct = BetaGeo().fit(cdnow_published_summary)
    monkeypatch.setattr(_transaction, "WARM_START_ROWS", 100)  # use the large-data path on CDNOW
    monkeypatch.setattr(_transaction, "WARM_START_CUSTOMERS", 1500)
    warm = BetaGeo().fit(cdnow_published_summary)
    for name in PUBLISHED:
        assert warm.params_[name] == pytest.approx(direct.params_[name], rel=1e-6)
    np.testing.assert_allclose(warm.summary_["std_error"], direct.summary_["std_error"], rtol=1e-3)
