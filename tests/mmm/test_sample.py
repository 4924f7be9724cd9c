"""The sample's planted media truth (truth.json ``media``): panel totals and ROI recovery.

The 5,000-customer sample gives ~27 first orders a week: too noisy to recover five ROIs.
ROI recovery runs on a 50,000-customer sample generated once here (same generator and seed).
In the generator paid search is "always on" and follows demand (its spend tracks the yearly
season, r = 0.72 with the baseline's cosine), so without an experiment the model cannot
separate it from seasonality; as in practice, a lift test on search (here: its planted ROI
measured with a 15% standard error, as a geo experiment would) calibrates it, and the
other four channels are then checked against their planted ROIs.
"""

import datetime as dt
import json

import numpy as np
import pytest

import cmokit
from cmokit.mmm import LiftTest, MediaMixModel, media_panel

WEEKS = ("2023-01-02", "2025-12-28")


def test_steady_display_spend_is_flagged_not_identified(warehouse, truth):
    # the generator spends on display at a near-constant level ("steady" pattern)
    panel = media_panel(warehouse, truth["start"], truth["end"], kpi="first_order_revenue")
    s = MediaMixModel(n_bootstrap=5, maxiter=5, random_state=0).fit(panel).roi().set_index("channel")
    assert not s.loc["display", "identified"]
    assert s.drop(index="display")["identified"].all()


def test_panel_spend_equals_planted_spend(warehouse, truth):
    panel = media_panel(warehouse, truth["start"], truth["end"], kpi="first_order_revenue")
    assert len(panel) == 156
    geo = truth["geo_test"]  # the geo test's regional heavy-up is spend on top of the planted national spend
    for ch, t in truth["media"].items():
        extra = geo["spend"] if ch == geo["channel"] else 0.0
        assert panel[ch].sum() == pytest.approx(t["spend"] + extra, abs=0.05)


@pytest.fixture(scope="module")
def large_sample(tmp_path_factory):
    from cmokit.sample import generate
    from cmokit.warehouse.build import build

    root = tmp_path_factory.mktemp("mmm_sample")
    generate(root / "raw", customers=50_000, seed=42, progress=False)
    build(root / "raw", root / "wh.duckdb", dev_key=True, now=dt.datetime(2026, 1, 1))
    media = json.loads((root / "raw" / "truth.json").read_text())["media"]
    wh = cmokit.connect(root / "wh.duckdb")
    panel = media_panel(wh, *WEEKS, kpi="first_order_revenue")
    wh.close()
    return panel, {ch: t["incremental_roi"] for ch, t in media.items()}


@pytest.fixture(scope="module")
def calibrated(large_sample):
    panel, roi = large_sample
    lift = LiftTest("paid_search", roi["paid_search"], 0.15 * roi["paid_search"])
    return MediaMixModel(calibration=[lift], n_bootstrap=100, random_state=0).fit(panel)


@pytest.mark.parametrize("channel", ["paid_search", "paid_social", "video", "display"])
def test_planted_roi_inside_reported_interval(large_sample, calibrated, channel):
    _, roi = large_sample
    s = calibrated.summary_.set_index("channel")
    assert s.loc[channel, "roi_lower"] <= roi[channel] <= s.loc[channel, "roi_upper"]


def test_ranking_top_two_and_inert_channel_last(large_sample, calibrated):
    _, roi = large_sample
    est = calibrated.summary_.set_index("channel")["roi"].sort_values(ascending=False)
    planted = sorted(roi, key=roi.get, reverse=True)
    assert list(est.index[:2]) == planted[:2]
    assert est.index[-1] == "display" and roi["display"] == 0.0


def test_affiliate_and_full_ranking(large_sample, calibrated):
    _, roi = large_sample
    s = calibrated.summary_.set_index("channel")
    assert s.loc["affiliate", "roi_lower"] <= roi["affiliate"] <= s.loc["affiliate", "roi_upper"]
    est = s["roi"].sort_values(ascending=False)
    assert list(est.index) == sorted(roi, key=roi.get, reverse=True)


def test_without_lift_test_search_is_confounded_with_season(large_sample, calibrated):
    # search spend follows the season, so without the lift test its ROI is far less certain
    panel, roi = large_sample
    naive = MediaMixModel(calibration=[], n_bootstrap=20, random_state=0).fit(panel).summary_.set_index("channel")
    season = np.cos(2 * np.pi * panel["period"].dt.day_of_year / 365.25)
    assert np.corrcoef(panel["paid_search"], season)[0, 1] > 0.5
    width = lambda s: s.loc["paid_search", "roi_upper"] - s.loc["paid_search", "roi_lower"]  # noqa: E731
    assert width(naive) > 1.5 * width(calibrated.summary_.set_index("channel"))
