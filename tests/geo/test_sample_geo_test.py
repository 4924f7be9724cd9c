"""The sample's planted geo test (truth.json ``geo_test``), read from the sample warehouse's regions.

The generator raises paid_social spend in the treated regions for four weeks (regional spend rows)
and adds incremental guest orders shipped there; the read-out must find the planted incremental
revenue inside its interval, and the cost must come from the regional spend rows.
"""

import pandas as pd
import pytest

from cmokit import geo


@pytest.fixture(scope="module")
def planted(truth):
    return truth["geo_test"]


@pytest.fixture(scope="module")
def panel(warehouse):
    return geo.region_panel(warehouse)


@pytest.fixture(scope="module")
def readout(panel, warehouse, planted):
    spend = geo.treated_spend(warehouse, planted["treated_regions"], planted["starts_on"], planted["ends_on"],
                              channel=planted["channel"])
    return geo.geo_readout(panel, planted["treated_regions"], planted["starts_on"], planted["ends_on"], spend=spend)


def test_every_region_has_every_day_and_the_guest_orders(panel, warehouse, truth):
    assert sorted(panel["region"].unique()) == sorted(truth["regions"]["names"])
    assert panel.groupby("region").size().nunique() == 1  # quiet days filled with 0
    orders = warehouse.orders
    total = warehouse.execute(orders.count())
    guests = warehouse.execute(orders.filter(orders.customer_id.isnull()).count())
    assert guests == truth["geo_test"]["incremental_orders"]
    assert panel["orders"].sum() == total  # every order has a region: its own or its customer's


def test_test_cost_is_the_regional_spend_rows(warehouse, planted):
    spend = geo.region_spend(warehouse, channel=planted["channel"])
    assert sorted(spend["region"]) == sorted(planted["treated_regions"])
    assert spend["spend"].sum() == pytest.approx(planted["spend"], abs=0.01)
    assert (pd.to_datetime(spend["first_day"]) == pd.Timestamp(planted["starts_on"])).all()
    assert geo.treated_spend(warehouse, planted["treated_regions"][:1], planted["starts_on"], planted["ends_on"]) < \
        planted["spend"]


def test_read_out_recovers_the_planted_incremental_revenue(readout, planted):
    s = readout.summary_.iloc[0]
    assert s.incremental_lower <= planted["incremental_revenue"] <= s.incremental_upper
    assert s.incremental_lower <= s.incremental <= s.incremental_upper  # centred on its own estimate
    assert s.lift_lower <= planted["realised_lift"] <= s.lift_upper
    assert s.p_value <= 0.1  # the planted lift is above the design's MDE: the test detects it
    assert s.spend == pytest.approx(planted["spend"], abs=0.01)
    assert s.test_days == 28 and str(s.test_end) == planted["ends_on"]


def test_planted_lift_is_above_the_designs_detectable_lift(panel, planted):
    d = geo.geo_design(panel, before=planted["starts_on"], test_days=(28,),
                       treated_candidates=[planted["treated_regions"]])
    assert d["mde"].iloc[0] < planted["planted_lift"]


def test_lift_tests_row_of_the_read_out(readout, planted):
    row = readout.to_lift_test(planted["channel"]).iloc[0]
    assert row.channel == planted["channel"] and row.spend_change == pytest.approx(planted["spend"])
    assert str(row.starts_on) == planted["starts_on"] and str(row.ends_on) == planted["ends_on"]
    assert row.incremental_revenue_lower <= planted["incremental_revenue"] <= row.incremental_revenue_upper


def test_empty_report_parameters_find_the_planted_test(warehouse, planted):
    """55_geo_tests' defaults are empty: the test is read from the regional spend rows of the channel."""
    t = geo.find_geo_test(warehouse, channel=planted["channel"])
    assert t.found and t.treated == sorted(planted["treated_regions"]) and t.bursts == 1
    assert (str(t.test_start), str(t.test_end)) == (planted["starts_on"], planted["ends_on"])
