"""Markov attribution against a 3-channel absorbing chain solved by hand."""

from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from cmokit.attribution import MarkovAttribution, ShapleyAttribution, markov_attribution
from cmokit.attribution.markov import CONVERSION, NULL, START
from cmokit.errors import ConfigError, NotFittedError

# By hand (three_channel_paths): start->A 1/2, ->B 1/4, ->C 1/4; A->B 1/2, A->C 1/2;
# B->conv 2/3, B->null 1/3; C->B 1/2, C->null 1/2.  x_B = 2/3, x_C = 1/3, x_A = 1/2,
# P(conv) = 1/2.  Without A: 1/4 (RE 1/2); without B: 0 (RE 1); without C: 1/3 (RE 1/3).
HAND_RE = {"A": F(1, 2), "B": F(1), "C": F(1, 3)}


def test_removal_effects_match_the_hand_solved_chain(three_channel_paths):
    m = MarkovAttribution(order=1).fit(three_channel_paths)
    assert m.conversion_probability_ == pytest.approx(0.5, abs=1e-12)
    re = m.removal_effects_.set_index("channel")
    for channel, expected in HAND_RE.items():
        assert re.loc[channel, "removal_effect"] == pytest.approx(float(expected), abs=1e-12)
        # only B converts, so value removal effects equal conversion ones
        assert re.loc[channel, "removal_effect_value"] == pytest.approx(float(expected), abs=1e-12)


def test_credit_is_total_times_normalised_removal_effect(three_channel_paths):
    s = markov_attribution(three_channel_paths).set_index("channel")
    # sum RE = 11/6; total conversions 4, total value 60
    for channel, expected in {"A": F(12, 11), "B": F(24, 11), "C": F(8, 11)}.items():
        assert s.loc[channel, "conversions"] == pytest.approx(float(expected), abs=1e-12)
        assert s.loc[channel, "conversion_value"] == pytest.approx(float(expected) * 15, abs=1e-9)


def test_transition_matrix_holds_the_hand_probabilities(three_channel_paths):
    m = MarkovAttribution().fit(three_channel_paths)
    tm = m.transition_matrix()
    assert tm.loc[START, "A"] == pytest.approx(0.5)
    assert tm.loc["A", "C"] == pytest.approx(0.5)
    assert tm.loc["B", CONVERSION] == pytest.approx(2 / 3)
    assert tm.loc["C", NULL] == pytest.approx(0.5)
    np.testing.assert_allclose(tm.sum(axis=1), 1.0)


def test_order_one_paths_of_length_one_are_the_same_at_every_order():
    paths = pd.DataFrame({"path": ["A", "B", "C"], "conversions": [1, 2, 0],
                          "conversion_value": [1.0, 2.0, 0.0], "nulls": [3, 2, 4]})
    one = markov_attribution(paths, order=1)
    for order in (2, 3):
        pd.testing.assert_frame_equal(one.drop(columns="model"), markov_attribution(paths, order).drop(columns="model"))


def test_order_two_states_remember_two_channels(three_channel_paths):
    m = MarkovAttribution(order=2).fit(three_channel_paths)
    assert {"A > B", "A > C", "C > B", "A", "B", "C"} == set(m.states_)
    # "A > B" converts half the time, "C > B" always
    tm = m.transition_matrix()
    assert tm.loc["A > B", CONVERSION] == pytest.approx(0.5)
    assert tm.loc["C > B", CONVERSION] == pytest.approx(1.0)
    assert m.conversion_probability_ == pytest.approx(0.5)


def test_exact_solution_is_identical_run_to_run(three_channel_paths):
    a = MarkovAttribution(order=3).fit(three_channel_paths).summary_
    b = MarkovAttribution(order=3).fit(three_channel_paths.iloc[::-1]).summary_
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_unfitted_and_bad_order_raise_typed_errors(three_channel_paths):
    with pytest.raises(NotFittedError):
        MarkovAttribution().transition_matrix()
    with pytest.raises(ConfigError):
        MarkovAttribution(order=4).fit(three_channel_paths)


@pytest.mark.parametrize("cls, settings", [
    (MarkovAttribution, dict(order=2)),
    (ShapleyAttribution, dict(exact_max_channels=4, n_permutations=100, random_state=5)),
])
def test_clone_gives_an_unfitted_copy_with_the_same_settings(cls, settings, three_channel_paths):
    from sklearn.base import clone

    model = cls(**settings).fit(three_channel_paths)
    copy = clone(model)
    assert model.get_params() == settings and copy.get_params() == settings
    assert type(copy) is cls and not hasattr(copy, "summary_")
