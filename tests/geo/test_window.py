"""Which geo test a report reads out when its parameters are empty: the regional spend rows' latest burst."""

import datetime as dt

import pandas as pd
import pytest

from cmokit import geo
from cmokit.geo.panel import simulate_geo_panel
from cmokit.reports import takeaways

D = dt.date


def _spend(bursts):
    """Daily regional spend rows: one campaign per region and burst; plus a national row (no region)."""
    rows = [dict(spend_date=d.date(), campaign_id=f"geo-{r}-{first}", channel=channel, spend=10.0, region=r)
            for first, last, regions, channel in bursts for r in regions for d in pd.date_range(first, last)]
    rows.append(dict(spend_date=D(2025, 7, 1), campaign_id="national", channel="paid_social", spend=99.0, region=None))
    return {"marketing_spend": pd.DataFrame(rows)}


def test_the_latest_burst_of_the_channel_is_the_test_and_the_message_names_the_others():
    src = _spend([("2025-03-03", "2025-03-30", ["north", "south"], "paid_social"),
                  ("2025-06-02", "2025-06-15", ["east"], "paid_social"),
                  ("2025-09-01", "2025-09-14", ["west"], "paid_search")])
    t = geo.find_geo_test(src, channel="paid_social")
    assert t.found and t.treated == ["east"] and (t.test_start, t.test_end) == (D(2025, 6, 2), D(2025, 6, 15))
    assert t.bursts == 2 and "latest of 2 bursts" in t.message and "2025-03-03..2025-03-30" in t.message
    # the national row (no region) and the other channel's burst are not a test of this channel
    assert geo.find_geo_test(src, channel="paid_search").treated == ["west"]
    # what is given is kept; what is empty is read from the rows that fit it
    assert geo.find_geo_test(src, channel="paid_social", treated=["north"]).test_start == D(2025, 3, 3)
    first = geo.find_geo_test(src, channel="paid_social", test_start="2025-03-01")
    assert first.treated == ["north", "south"] and first.test_end == D(2025, 3, 30) and "first of 2" in first.message
    given = geo.find_geo_test(src, treated=["a"], test_start="2025-01-01", test_end="2025-01-28")
    assert (given.origin, given.treated, given.test_end) == ("parameters", ["a"], D(2025, 1, 28))


def test_a_gap_longer_than_a_week_splits_bursts_shorter_ones_do_not():
    src = _spend([("2025-03-03", "2025-03-07", ["north"], "paid_social"),
                  ("2025-03-10", "2025-03-14", ["north"], "paid_social")])  # a weekend without spend
    t = geo.find_geo_test(src, channel="paid_social")
    assert (t.test_start, t.test_end, t.bursts) == (D(2025, 3, 3), D(2025, 3, 14), 1)
    assert geo.find_geo_test(src, channel="paid_social", max_gap=1).test_start == D(2025, 3, 10)


def test_without_regional_spend_there_is_no_test_and_the_report_shows_the_design_only():
    src = _spend([("2025-03-03", "2025-03-30", ["north"], "paid_social")])
    t = geo.find_geo_test(src, channel="email")
    assert not t.found and t.treated == [] and t.test_start is None
    assert "no regional email spend rows" in t.message and "Set treated, test_start and test_end" in t.message
    panel, _ = simulate_geo_panel(regions=8, days=120, treated=("R01",), lift=0.0)
    test = geo.read_out(panel, t, source=src, channel="email")
    assert test.summary_.empty and test.weights_.empty and test.to_lift_test("email").empty
    assert list(test.to_lift_test("email").columns)[:3] == ["test_id", "channel", "starts_on"]
    design = geo.geo_design(panel, n_treated=(2,), test_days=(14,), candidates_per_size=1)
    said = takeaways.geo_tests(test.summary_, design, note=t.message)
    assert said[0] == t.message and said[1].startswith("The most sensitive design")


def test_read_out_prices_the_test_with_the_treated_regions_spend_rows():
    panel, truth = simulate_geo_panel(regions=8, days=120, treated=("R01", "R02"), test_days=14, lift=0.2)
    src = _spend([(truth["test_start"], truth["test_end"], ["R01", "R02"], "paid_social")])
    t = geo.find_geo_test(src, channel="paid_social")
    assert (str(t.test_start), str(t.test_end)) == (truth["test_start"], truth["test_end"])
    test = geo.read_out(panel, t, source=src, channel="paid_social")
    s = test.summary_.iloc[0]
    assert s.spend == pytest.approx(2 * 14 * 10.0) and s.test_days == 14
    assert "with a treated region" in test.spend_origin_
    assert geo.read_out(panel, t, source=src, spend=500.0).summary_.spend.iloc[0] == 500.0
