"""CLV arithmetic, chunked scoring and validation tables on CDNOW."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cmokit.clv import (BetaGeo, GammaGamma, alive_matrix, cumulative_transactions, customer_lifetime_value,
                        holdout_by_frequency, score_customers)
from cmokit.errors import ConfigError


@pytest.fixture(scope="module")
def models(cdnow_calibration_holdout):
    return BetaGeo().fit(cdnow_calibration_holdout), GammaGamma().fit(cdnow_calibration_holdout)


def test_undiscounted_single_step_clv_is_margin_times_spend_times_purchases(cdnow_calibration_holdout, models):
    bg, gg = models
    clv = customer_lifetime_value(cdnow_calibration_holdout, bg, gg, horizon_days=364, annual_discount_rate=0.0,
                                  margin=0.25, step_days=364)
    np.testing.assert_allclose(clv["clv"], 0.25 * clv["expected_spend"] * clv["expected_purchases"], rtol=1e-12)
    direct = bg.predict(cdnow_calibration_holdout, horizon_days=364)["expected_purchases"]
    np.testing.assert_allclose(clv["expected_purchases"], direct, rtol=1e-12)


def test_discounting_lowers_clv_by_at_most_the_full_horizon_factor(cdnow_calibration_holdout, models):
    bg, gg = models
    kwargs = dict(horizon_days=730, margin=1.0)
    flat = customer_lifetime_value(cdnow_calibration_holdout, bg, gg, annual_discount_rate=0.0, **kwargs)["clv"]
    disc = customer_lifetime_value(cdnow_calibration_holdout, bg, gg, annual_discount_rate=0.10, **kwargs)["clv"]
    assert (disc <= flat + 1e-12).all()
    assert (disc >= flat * 1.10 ** (-730 / 365.25) - 1e-12).all()


def test_chunked_scores_equal_in_memory_scores(tmp_path, cdnow_calibration_holdout, models):
    bg, gg = models
    kwargs = dict(horizon_days=365, annual_discount_rate=0.1, margin=0.3)
    whole = customer_lifetime_value(cdnow_calibration_holdout, bg, gg, **kwargs)
    n = score_customers(cdnow_calibration_holdout, bg, gg, tmp_path / "s.parquet", chunk_rows=500, **kwargs)
    assert n == len(whole)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), whole, check_dtype=False)
    score_customers(cdnow_calibration_holdout, bg, gg, tmp_path / "s.duckdb", chunk_rows=700, **kwargs)
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        back = con.execute("SELECT * FROM clv_scores ORDER BY customer_id").df()
    np.testing.assert_allclose(back["clv"], whole.sort_values("customer_id")["clv"], rtol=1e-12)
    with pytest.raises(ConfigError):
        score_customers(cdnow_calibration_holdout, bg, gg, tmp_path / "x.duckdb", table="x; DROP", **kwargs)


def test_scoring_never_computes_more_than_one_chunk_at_a_time(tmp_path, cdnow_calibration_holdout, models,
                                                               monkeypatch):
    from cmokit.clv import value

    sizes = []
    original = value.customer_lifetime_value

    def spy(summary, *args, **kwargs):
        sizes.append(len(summary))
        return original(summary, *args, **kwargs)

    monkeypatch.setattr(value, "customer_lifetime_value", spy)
    n = score_customers(cdnow_calibration_holdout, *models, tmp_path / "s.parquet", chunk_rows=400,
                        horizon_days=365, annual_discount_rate=0.1, margin=0.3)
    assert n == sum(sizes) == 2357
    assert max(sizes) == 400 and len(sizes) == 6


def test_holdout_by_frequency_matches_cdnow_holdout(cdnow_calibration_holdout, models):
    table = holdout_by_frequency(cdnow_calibration_holdout, models[0])
    assert table["customers"].sum() == 2357
    assert table["frequency"].tolist() == list(range(8))
    # BG/NBD tracks the conditional expectations of FHL (2005) fig. 4 within 0.4 purchases per bucket
    assert (np.abs(table["actual"] - table["predicted"]) < 0.4).all()


def test_cumulative_expected_tracks_actual_repeat_purchases(cdnow_orders, models):
    curve = cumulative_transactions(cdnow_orders, models[0], "1997-09-30", "1998-06-30")
    assert curve["date"].iloc[0] == pd.Timestamp("1997-01-01") and curve["date"].iloc[-1] == pd.Timestamp("1998-06-30")
    calibration_end = curve[curve["period"] == "calibration"].iloc[-1]
    assert calibration_end["actual"] == 2457  # sum of calibration frequencies in the published summary
    last = curve.iloc[-1]
    assert abs(last["expected"] - last["actual"]) / last["actual"] < 0.05


def test_alive_matrix_is_monotone_in_recency(models):
    grid = alive_matrix(models[0], T=38.86, max_frequency=10)
    for _, group in grid[grid["frequency"] > 0].groupby("frequency"):
        assert np.all(np.diff(group.sort_values("recency")["p_alive"].to_numpy()) >= -1e-12)
    assert grid["p_alive"].between(0, 1).all()


def test_invalid_clv_settings_are_refused(cdnow_calibration_holdout, models):
    with pytest.raises(ConfigError):
        customer_lifetime_value(cdnow_calibration_holdout, *models, horizon_days=365, annual_discount_rate=0.1, margin=30)
    with pytest.raises(ConfigError):
        customer_lifetime_value(cdnow_calibration_holdout, *models, horizon_days=0, annual_discount_rate=0.1)


def test_clv_by_channel_and_segment_adds_up_on_the_sample(clv_sample_warehouse):
    import cmokit
    from cmokit.clv import clv_by, purchase_summary

    with cmokit.connect(clv_sample_warehouse) as wh:
        summary = purchase_summary(wh, "2025-12-28", merge_same_day=False)
        values = customer_lifetime_value(summary, BetaGeo().fit(summary), GammaGamma().fit(summary),
                                         horizon_days=365, annual_discount_rate=0.1, margin=0.3)
        for by in ("acquisition_channel", "segment"):
            table = clv_by(values, wh, by, as_of="2025-12-28")
            assert table["customers"].sum() == len(values)
            assert table["clv_total"].sum() == pytest.approx(values["clv"].sum())
            assert table["clv_share"].sum() == pytest.approx(1.0)
        with pytest.raises(ConfigError):
            clv_by(values, wh, "email")
