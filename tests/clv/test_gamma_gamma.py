"""Gamma-Gamma against Fader, Hardie & Lee (2005, "RFM and CLV") on CDNOW."""

from __future__ import annotations

import pandas as pd
import pytest

from cmokit.clv import GammaGamma
from cmokit.errors import ConfigError

# Fader, Hardie & Lee (2005), JMR 42(4); Fader & Hardie (2013) note "The Gamma-Gamma model of monetary value"
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_cdnow_parameters_match_fader_hardie_lee_2005(cdnow_summary):
    # our summary keeps the unrounded mean repeat spend; the published digits come out exactly
    model = GammaGamma().fit(cdnow_summary)
    assert model.n_customers_ == 946  # repeat buyers
    for name, value in PUBLISHED.items():
        assert round(model.params_[name], 2) == value, name


def test_rounded_published_summary_moves_gamma_by_less_than_a_cent(cdnow_published_summary):
    model = GammaGamma().fit(cdnow_published_summary)  # zbar rounded to cents in the file
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, abs=0.01), name


def test_expected_spend_shrinks_towards_population_mean(cdnow_summary):
    model = GammaGamma().fit(cdnow_summary)
    pred = model.predict(cdnow_summary).merge(cdnow_summary, on="customer_id")
    new = pred[pred["frequency"] == 0]
    assert new["expected_spend"].eq(model.mean_spend_).all()
    repeat = pred[pred["frequency"] > 0]
    between = ((repeat["expected_spend"] - repeat["monetary_value"]) * (repeat["expected_spend"] - model.mean_spend_)) <= 1e-9
    assert between.all()


def test_non_positive_repeat_spend_is_refused(cdnow_summary):
    bad = cdnow_summary.copy()
    bad.loc[bad["frequency"] > 0, "monetary_value"] = 0.0
    with pytest.raises(ConfigError, match="monetary_value"):
        GammaGamma().fit(bad)


def test_sample_planted_spend_parameters_within_ci(sample_bgnbd_orders, sample_truth):
    from cmokit.clv import purchase_summary

    summary = purchase_summary(sample_bgnbd_orders, "2025-12-28", merge_same_day=False)
    table = GammaGamma().fit(summary).summary_.set_index("parameter")
    for name in ("p", "q", "gamma"):
        value = sample_truth["gamma_gamma"][name]
        assert table.loc[name, "lower"] <= value <= table.loc[name, "upper"], (name, table.loc[name].to_dict())


def test_polars_summaries_give_polars_predictions(cdnow_summary):
    import polars as pl

    from cmokit.clv import BetaGeo

    frame = pl.from_pandas(cdnow_summary)
    pred = BetaGeo().fit(frame).predict(frame, horizon_days=91)
    spend = GammaGamma().fit(frame).predict(frame)
    assert isinstance(pred, pl.DataFrame) and isinstance(spend, pl.DataFrame)
    assert pred["customer_id"].to_list() == cdnow_summary["customer_id"].tolist()


def test_spend_interval_contains_the_estimate_and_new_customers_share_the_population_interval(cdnow_summary):
    pred = GammaGamma().fit(cdnow_summary).predict(cdnow_summary)
    assert pred.columns.tolist() == ["customer_id", "expected_spend", "expected_spend_lower", "expected_spend_upper"]
    assert (pred["expected_spend_lower"] < pred["expected_spend"]).all()
    assert (pred["expected_spend"] < pred["expected_spend_upper"]).all()
    new = pred[cdnow_summary["frequency"].to_numpy() == 0]
    assert new["expected_spend_lower"].nunique() == 1 and new["expected_spend_upper"].nunique() == 1


def test_analytic_log_spend_gradient_equals_central_differences(cdnow_summary):
    import numpy as np

    from cmokit.clv import _fit

    model = GammaGamma().fit(cdnow_summary)
    x = cdnow_summary["frequency"].to_numpy(float)
    m = cdnow_summary["monetary_value"].fillna(0).to_numpy(float)

    def log_spend(params):
        p, q, gamma = params
        return np.log((gamma + x * np.where(x > 0, m, 0.0)) * p / (p * x + q - 1))

    _, numeric = _fit.delta_se(log_spend, model._param_array(), model.covariance_)
    np.testing.assert_allclose(model.log_spend_se(x, m), numeric, rtol=1e-6)


def test_spend_interval_matches_seeded_parameter_draws(cdnow_summary):
    # external check of the log-scale linearisation: 95 % range of E[M | x, zbar] over 4000 draws of
    # log(p, q, gamma) ~ N(estimate, covariance_); measured agreement on CDNOW within 0.7 %
    import numpy as np

    model = GammaGamma().fit(cdnow_summary)
    rows = cdnow_summary.sort_values(["frequency", "customer_id"]).iloc[[0, -1]]
    rows = pd.concat([rows, cdnow_summary[cdnow_summary["frequency"].between(1, 2)].head(3)])
    pred = model.predict(rows)
    draws = np.exp(np.random.default_rng(0).multivariate_normal(np.log(model._param_array()), model.covariance_, 4000))
    p, q, gamma = (draws[:, [j]] for j in range(3))
    x = rows["frequency"].to_numpy(float)
    m = np.where(x > 0, rows["monetary_value"].to_numpy(float), 0.0)
    lower, upper = np.quantile((gamma + x * m) * p / (p * x + q - 1), [0.025, 0.975], axis=0)
    np.testing.assert_allclose(pred["expected_spend_lower"], lower, rtol=0.02)
    np.testing.assert_allclose(pred["expected_spend_upper"], upper, rtol=0.02)


def test_spend_interval_narrows_like_one_over_root_n(clv_simulator):
    # 20x the customers (1,423 vs 29,203 repeat buyers): width ratio sqrt(20.5) = 4.5 in theory; measured 3.7-4.7
    evaluate = pd.DataFrame({"frequency": [0, 1, 3, 8], "monetary_value": [0.0, 25.0, 40.0, 12.0]})
    widths = {}
    for n in (2_000, 40_000):
        pred = GammaGamma().fit(clv_simulator(n, seed=5)).predict(evaluate)
        widths[n] = ((pred["expected_spend_upper"] - pred["expected_spend_lower"]) / pred["expected_spend"]).to_numpy()
    ratio = widths[2_000] / widths[40_000]
    assert ((ratio > 3.0) & (ratio < 6.5)).all(), ratio
