"""Rule-based models against attributions computed by hand on a five-path set."""

from fractions import Fraction as F

import pytest

from cmokit.attribution import all_rules, rule_attribution
from cmokit.errors import ConfigError

# conversions per channel, worked out by hand from the tiny_paths fixture:
#   A > B > C (2 conv), B > A (1), A > direct (1), direct (1), C (0 conv, 4 nulls)
HAND = {
    "first_touch": {"A": F(3), "B": F(1), "C": F(0), "direct": F(1)},
    "last_touch": {"A": F(1), "B": F(0), "C": F(2), "direct": F(2)},
    "last_non_direct": {"A": F(2), "B": F(0), "C": F(2), "direct": F(1)},
    "linear": {"A": F(5, 3), "B": F(7, 6), "C": F(2, 3), "direct": F(3, 2)},
    # half-life of one touch: weights 1/4, 1/2, 1 normalised
    "time_decay": {"A": F(9, 7), "B": F(19, 21), "C": F(8, 7), "direct": F(5, 3)},
    # 40/20/40; two-touch paths split 1/2, 1/2
    "position_based": {"A": F(9, 5), "B": F(9, 10), "C": F(4, 5), "direct": F(3, 2)},
}


@pytest.mark.parametrize("rule", sorted(HAND))
def test_rule_matches_hand_computed_fractions(tiny_paths, rule):
    got = rule_attribution(tiny_paths, rule, half_life_touches=1.0).set_index("channel")["conversions"]
    for channel, expected in HAND[rule].items():
        assert got[channel] == pytest.approx(float(expected), abs=1e-12), (rule, channel)
    assert got.sum() == pytest.approx(5.0)


def test_rule_parameters_change_the_credit_as_computed_by_hand(tiny_paths):
    # 30/30 U-shape: A > B > C gives .3/.4/.3 of 2 conversions; two-touch paths still split 1/2, 1/2
    got = rule_attribution(tiny_paths, "position_based", first_weight=0.3, last_weight=0.3)
    hand = {"A": F(8, 5), "B": F(13, 10), "C": F(3, 5), "direct": F(3, 2)}
    for channel, expected in hand.items():
        assert got.set_index("channel").loc[channel, "conversions"] == pytest.approx(float(expected), abs=1e-12)
    # C counted as direct too: A > B > C credits B; a path of direct channels only keeps its last touch
    got = rule_attribution(tiny_paths, "last_non_direct", direct_channels=("direct", "C"))
    hand = {"A": F(2), "B": F(2), "C": F(0), "direct": F(1)}
    assert got.set_index("channel")["conversions"].to_dict() == {k: float(v) for k, v in hand.items()}


def test_linear_value_matches_hand_computed_fractions(tiny_paths):
    got = rule_attribution(tiny_paths, "linear").set_index("channel")["conversion_value"]
    hand = {"A": F(77, 3), "B": F(65, 3), "C": F(20, 3), "direct": F(9)}
    for channel, expected in hand.items():
        assert got[channel] == pytest.approx(float(expected), abs=1e-9)


def test_all_rules_stacks_every_rule_with_shares_summing_to_one(tiny_paths):
    table = all_rules(tiny_paths, half_life_touches=1.0)
    assert table.groupby("model")["share"].sum().round(12).eq(1.0).all()
    assert table["model"].nunique() == 6


def test_position_based_rejects_weights_over_one(tiny_paths):
    with pytest.raises(ConfigError):
        rule_attribution(tiny_paths, "position_based", first_weight=0.7, last_weight=0.4)


def test_unknown_rule_is_a_config_error(tiny_paths):
    with pytest.raises(ConfigError, match="unknown rule"):
        rule_attribution(tiny_paths, "u_shaped")


def test_time_decay_by_days_halves_weight_every_half_life():
    import pandas as pd

    from cmokit.attribution import time_decay_by_days

    tp = pd.DataFrame({"touchpoint_id": ["t1", "t2", "t3"], "customer_id": ["c1"] * 3,
                       "touched_at": pd.to_datetime(["2025-03-01", "2025-03-08", "2025-03-15"]),
                       "channel": ["display", "email", "paid_search"], "campaign_id": [None] * 3,
                       "touch_type": ["click"] * 3})
    od = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "ordered_at": pd.to_datetime(["2025-03-15"]),
                       "revenue": [70.0], "campaign_id": [None]})
    got = time_decay_by_days({"touchpoints": tp, "orders": od}, half_life_days=7.0).set_index("channel")
    # 14, 7 and 0 days before the order: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
    for channel, expected in {"display": F(1, 7), "email": F(2, 7), "paid_search": F(4, 7)}.items():
        assert got.loc[channel, "conversions"] == pytest.approx(float(expected), abs=1e-12)
        assert got.loc[channel, "conversion_value"] == pytest.approx(70 * float(expected), abs=1e-9)


def test_polars_paths_give_polars_results_with_the_same_numbers(tiny_paths):
    import polars as pl

    from cmokit.attribution import compare

    got = compare(pl.from_pandas(tiny_paths), models=["linear", "markov_1", "shapley"])
    assert isinstance(got, pl.DataFrame)
    expected = compare(tiny_paths, models=["linear", "markov_1", "shapley"])
    assert got["conversions"].to_list() == pytest.approx(expected["conversions"].tolist())
