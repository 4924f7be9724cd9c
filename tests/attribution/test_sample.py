"""On the sample, planted effective channels out-earn the planted inert one; runs repeat exactly."""

import pandas as pd
import pytest

from cmokit.attribution import build_journeys, compare

DATA_DRIVEN = ["markov_1", "markov_2", "markov_3", "shapley"]


@pytest.fixture(scope="module")
def first_order_journeys(warehouse, truth):
    # the generator plants channel effects on first orders, within journey_days before them
    return build_journeys(warehouse, lookback_days=truth["journeys"]["journey_days"], first_orders_only=True)


@pytest.fixture(scope="module")
def comparison(first_order_journeys, warehouse):
    return compare(first_order_journeys, warehouse, models=DATA_DRIVEN)


@pytest.mark.parametrize("model", DATA_DRIVEN)
def test_effective_channels_get_more_credit_per_reached_journey_than_inert(comparison, truth, model):
    per = comparison[comparison["model"] == model].set_index("channel")["conversions_per_journey"]
    effective, inert = truth["journeys"]["effective"], truth["journeys"]["inert"]
    assert per[effective].min() > per[inert].max(), per.sort_values().to_dict()


def test_shapley_shares_track_the_planted_channel_effects(comparison, truth):
    share = comparison[comparison["model"] == "shapley"].set_index("channel")["share"]
    planted = pd.Series(truth["journeys"]["channel_effect"])
    assert (share - planted.reindex(share.index)).abs().max() < 0.05
    assert share.corr(planted.reindex(share.index), method="spearman") > 0.8


def test_spend_share_comes_from_marketing_spend(comparison, warehouse):
    spend = warehouse.execute(warehouse.marketing_spend.spend.sum())
    per_channel = comparison.drop_duplicates("channel").set_index("channel")
    assert per_channel["spend"].sum() == pytest.approx(float(spend))
    assert per_channel["spend_share"].sum() == pytest.approx(1.0)


def test_results_are_identical_run_to_run(first_order_journeys, comparison, warehouse, truth):
    again = build_journeys(warehouse, lookback_days=truth["journeys"]["journey_days"], first_orders_only=True)
    pd.testing.assert_frame_equal(first_order_journeys, again, check_exact=True)
    pd.testing.assert_frame_equal(comparison, compare(again, warehouse, models=DATA_DRIVEN),
                                  check_exact=True)
