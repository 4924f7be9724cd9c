"""Journeys built in the engine, checked against paths traced by hand."""

import pandas as pd
import polars as pl
import pytest

from cmokit.attribution import build_journeys, from_paths
from cmokit.attribution.journeys import encode
from cmokit.errors import ConfigError


def _touch(rows):
    df = pd.DataFrame(rows, columns=["touchpoint_id", "customer_id", "touched_at", "channel"])
    df["touched_at"] = pd.to_datetime(df["touched_at"])
    df["campaign_id"] = None
    df["touch_type"] = "click"
    return df


def _orders(rows):
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue"])
    df["ordered_at"] = pd.to_datetime(df["ordered_at"])
    df["campaign_id"] = None
    return df


@pytest.fixture
def frames():
    touches = _touch([
        # c1: an old touch outside the 30-day lookback, two display touches 10 minutes apart
        # (one session), email, order o1; then paid_search, order o2; then a trailing referral
        ("t0", "c1", "2025-01-01 09:00", "video"),
        ("t1", "c1", "2025-03-01 09:00", "display"),
        ("t2", "c1", "2025-03-01 09:10", "display"),
        ("t3", "c1", "2025-03-02 09:00", "email"),
        ("t4", "c1", "2025-03-05 09:00", "paid_search"),
        ("t5", "c1", "2025-04-20 09:00", "referral"),
        # c2: never orders; display twice a day apart (two sessions) then email
        ("t6", "c2", "2025-03-01 10:00", "display"),
        ("t7", "c2", "2025-03-02 10:00", "display"),
        ("t8", "c2", "2025-03-03 10:00", "email"),
        # c3: touched after the analysis end: ignored
        ("t9", "c3", "2026-01-05 10:00", "display"),
    ])
    orders = _orders([
        ("o1", "c1", "2025-03-03 12:00", 40.0),
        ("o2", "c1", "2025-03-06 12:00", 60.0),
        ("o3", "c4", "2025-03-06 12:00", 15.0),  # no touches at all
    ])
    return {"touchpoints": touches, "orders": orders}


def test_paths_follow_lookback_previous_order_and_session_rules(frames):
    got = build_journeys(frames, as_of="2025-12-31", lookback_days=30, session_gap_minutes=30)
    expected = pd.DataFrame({
        "path": ["display > display > email", "display > email", "paid_search", "referral"],
        "conversions": [0, 1, 1, 0],
        "conversion_value": [0.0, 40.0, 60.0, 0.0],
        "nulls": [1, 0, 0, 1],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got.attrs["orders_without_touches"] == 1


def test_zero_session_gap_keeps_every_touch_and_longer_lookback_reaches_back(frames):
    got = build_journeys(frames, lookback_days=90, session_gap_minutes=0)
    assert "video > display > display > email" in set(got["path"])


def test_window_start_drops_earlier_conversions(frames):
    got = build_journeys(frames, start="2025-03-04", as_of="2025-12-31")
    assert got.loc[got["conversions"] > 0, "path"].tolist() == ["paid_search"]


def test_polars_frames_give_polars_paths(frames):
    got = build_journeys({k: pl.from_pandas(v) for k, v in frames.items()}, as_of="2025-12-31")
    assert isinstance(got, pl.DataFrame) and got.height == 4


def test_bad_window_parameters_raise(frames):
    with pytest.raises(ConfigError):
        build_journeys(frames, lookback_days=0)


def test_external_format_is_read_and_repeated_paths_are_summed():
    raw = pd.DataFrame({"channel_path": ["A>B", "A > B", "C"], "total_conversions": [1, 2, 0],
                        "total_conversion_value": [5.0, 6.0, 0.0], "total_null": [0, 1, 3]})
    got = from_paths(raw, path="channel_path", sep=">")
    assert got["path"].tolist() == ["A > B", "C"]
    assert got["conversions"].tolist() == [3, 0] and got["conversion_value"].tolist() == [11.0, 0.0]
    enc = encode(got)
    assert enc.channels == ["A", "B", "C"] and enc.codes.tolist() == [0, 1, 2]
    assert enc.position.tolist() == [0, 1, 0] and enc.length.tolist() == [2, 1]


def test_first_orders_only_keeps_acquisition_journeys(frames):
    got = build_journeys(frames, first_orders_only=True)
    assert got["path"].tolist() == ["display > display > email", "display > email"]
    assert got["conversions"].tolist() == [0, 1] and got["nulls"].tolist() == [1, 0]


def test_channel_names_may_contain_the_bare_separator_character():
    paths = pd.DataFrame({"path": ["a>b > C", "C"], "conversions": [1, 0], "conversion_value": [1.0, 0.0],
                          "nulls": [0, 1]})
    enc = encode(paths)
    assert enc.channels == ["C", "a>b"] and enc.length.tolist() == [1, 2] and enc.position.tolist() == [0, 0, 1]
