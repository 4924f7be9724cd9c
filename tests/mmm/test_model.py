"""MediaMixModel against planted truth (own simulator) and pymc-marketing's simulated data."""

import numpy as np
import pandas as pd
import pytest

from cmokit.errors import ConfigError, NotFittedError
from cmokit.mmm.model import LiftTest, MediaMixModel


def _roi(model):
    return model.summary_.set_index("channel")


def test_simulated_roi_ranking_and_strongest_channel_interval(simulated, simulated_model, planted_channels):
    _, truth = simulated
    s = _roi(simulated_model)
    assert list(s["roi"].sort_values(ascending=False).index) == sorted(truth, key=truth.get, reverse=True)
    assert s.loc["paid_search", "roi_lower"] <= truth["paid_search"] <= s.loc["paid_search", "roi_upper"]
    total_true = sum(truth[c] * s.loc[c, "spend"] for c in planted_channels)
    assert s["contribution"].sum() == pytest.approx(total_true, rel=0.15)
    assert simulated_model.diagnostics_["r2"] > 0.9
    assert simulated_model.diagnostics_["cv_mape"] < 0.05


def test_planted_adstock_and_saturation_inside_the_sampled_region(simulated_model, planted_transforms):
    # conftest's PLANTED decay, half saturation and Hill shape of the two strong channels lie
    # inside the 5-95% range of the hyperparameter draws behind the intervals. Display (max
    # effect 6,000 smoothed by decay 0.7, below the noise of 2,000 a week once adstocked) is
    # weakly identified and is not checked here.
    k = len(simulated_model.param_names)
    draws = simulated_model.hyperparameter_draws_.reshape(-1, len(simulated_model.channels_), k)
    lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
    for ch in ("paid_search", "paid_social"):
        j = simulated_model.channels_.index(ch)
        planted = planted_transforms[ch]
        for i, name in enumerate(simulated_model.param_names):
            assert lo[j, i] <= planted[name] <= hi[j, i], (ch, name, lo[j, i], planted[name], hi[j, i])
    best = simulated_model.hyperparameters_.set_index("channel")
    assert best.loc["paid_search", "decay"] == pytest.approx(planted_transforms["paid_search"]["decay"], abs=0.05)


@pytest.mark.xfail(strict=True, reason="intervals under-cover on this simulation: paid_social's planted "
                   "ROI 1.73 lies below [2.10, 5.03] and display's 1.41 above [0.22, 0.66] (hyperparameter "
                   "priors on); even at the planted hyperparameters the coefficients give 1.93 and 1.08, and "
                   "the re-centred residual bootstrap keeps the point's bias")
def test_every_planted_roi_inside_its_interval(simulated, simulated_model):
    _, truth = simulated
    s = _roi(simulated_model)
    for ch, roi in truth.items():
        assert s.loc[ch, "roi_lower"] <= roi <= s.loc[ch, "roi_upper"], ch


def test_same_data_and_seed_give_the_same_model(simulate, planted_channels):
    panel, _ = simulate(n_weeks=80, seed=1)
    a = MediaMixModel(channels=planted_channels, n_bootstrap=10, maxiter=10, random_state=5).fit(panel)
    b = MediaMixModel(channels=planted_channels, n_bootstrap=10, maxiter=10, random_state=5).fit(panel)
    pd.testing.assert_frame_equal(a.summary_, b.summary_)


def test_outputs_are_tidy_and_consistent(simulated_model, planted_channels):
    contrib = simulated_model.contributions()
    assert set(contrib.columns) == {"period", "component", "contribution", "contribution_lower", "contribution_upper"}
    per_period = contrib.groupby("period")["contribution"].sum().to_numpy()
    np.testing.assert_allclose(per_period, simulated_model.fitted_, rtol=1e-9)
    by_channel = contrib[contrib["component"].isin(planted_channels)].groupby("component")["contribution"].sum()
    s = _roi(simulated_model)
    np.testing.assert_allclose(by_channel[s.index], s["contribution"], rtol=1e-9)
    assert (s["roi_lower"] <= s["roi"]).all() and (s["roi"] <= s["roi_upper"]).all()
    curves = simulated_model.response_curves()
    assert curves.groupby("channel")["revenue"].apply(lambda r: (np.diff(r.to_numpy()) >= -1e-9).all()).all()
    assert curves["is_current"].sum() == len(planted_channels)
    ad = simulated_model.adstock_curves()
    assert np.allclose(ad.groupby("channel")["share"].sum(), 1.0)


def test_not_fitted_and_bad_settings_raise(simulate, planted_channels):
    with pytest.raises(NotFittedError):
        MediaMixModel().roi()
    panel, _ = simulate(n_weeks=60)
    with pytest.raises(ConfigError):
        MediaMixModel(channels=["tv"]).fit(panel)
    with pytest.raises(ConfigError):
        MediaMixModel(channels=planted_channels, adstock="exotic").fit(panel)
    with pytest.raises(ConfigError):
        MediaMixModel(channels=planted_channels, calibration=[LiftTest("tv", 1.0)]).fit(panel)


# -- pymc-marketing's ROAS example: true contributions known (tests/fixtures/mmm_pymc_roas.md) --

def _true_roas(d):
    return {c: d[f"{c}_contribution"].sum() / d[c].sum() for c in ("x1", "x2")}


def _fit_pymc(d, **kw):
    return MediaMixModel(channels=["x1", "x2"], saturation="logistic", trend_changepoints=3,
                         n_bootstrap=100, random_state=1, **kw).fit(d)


def test_pymc_roas_data_with_confounder_as_control(pymc_roas):
    truth = _true_roas(pymc_roas)  # x1 93.4, x2 171.4
    s = _roi(_fit_pymc(pymc_roas, controls=["z"]))
    assert s.loc["x1", "roi_lower"] <= truth["x1"] <= s.loc["x1", "roi_upper"]
    # x2 comes out ~10% high (189 vs 171; OLS on the true transformed media gives 176)
    assert s.loc["x2", "roi"] == pytest.approx(truth["x2"], rel=0.15)
    assert s.loc["x2", "roi"] > s.loc["x1", "roi"]


def test_pymc_roas_unobserved_confounder_biases_x1_and_a_lift_test_repairs_it(pymc_roas):
    truth = _true_roas(pymc_roas)
    naive = _roi(_fit_pymc(pymc_roas))
    assert naive.loc["x1", "roi_lower"] > truth["x1"]  # the published point of the example
    calibrated = _roi(_fit_pymc(pymc_roas, calibration=[LiftTest("x1", truth["x1"], 5.0)]))
    for ch in ("x1", "x2"):
        assert calibrated.loc[ch, "roi_lower"] <= truth[ch] <= calibrated.loc[ch, "roi_upper"]


def test_in_sample_prediction_equals_fitted(simulated, simulated_model):
    panel, _ = simulated
    pred = simulated_model.predict(panel, history=False)
    np.testing.assert_allclose(pred["revenue"], simulated_model.fitted_, rtol=1e-9)
    assert (pred["revenue_lower"] <= pred["revenue"]).all()


def test_weibull_adstock_fits_and_polars_panels_work(simulate, planted_channels):
    import polars as pl

    from cmokit._frames import to_pandas

    panel, _ = simulate(n_weeks=104, seed=2, noise_sd=500.0)
    m = MediaMixModel(channels=planted_channels, adstock="weibull", n_bootstrap=10, maxiter=20,
                      random_state=0).fit(pl.from_pandas(panel))
    assert list(m.hyperparameters_.columns) == ["channel", "weibull_shape", "weibull_scale", "half_saturation", "shape"]
    assert m.diagnostics_["r2"] > 0.9
    assert (to_pandas(m.adstock_curves()).groupby("channel")["weight"].first() == 1.0).all()


def test_clone_gives_an_unfitted_copy_with_the_same_settings():
    from sklearn.base import clone

    settings = dict(channels=["paid_search", "display"], controls=("price",), target="revenue", adstock="weibull",
                    saturation="logistic", max_lag=4, bounds={"decay": (0.1, 0.5)}, yearly_seasonality=1,
                    trend=False, trend_changepoints=2, alpha=0.01,
                    calibration=[LiftTest("display", 1.5, 0.2)], n_bootstrap=10, interval=0.8, cv_folds=2,
                    maxiter=5, popsize=4, random_state=9)
    model = MediaMixModel(**settings)
    model.coef_ = {"display": 1.0}  # as fit() leaves it
    copy = clone(model)
    assert model.get_params() == settings and copy.get_params() == settings
    assert model.get_params()["bounds"] is settings["bounds"]  # stored unchanged
    assert not hasattr(copy, "coef_")
