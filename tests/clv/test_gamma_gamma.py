"""Gamma-Gamma against Fader, Hardie & Lee (2005, "RFM and CLV") on CDNOW."""

from __future__ import annotations

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
