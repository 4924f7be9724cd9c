"""Shapley attribution: hand-computed game, efficiency, symmetry, null player, sampling."""

import numpy as np
import pandas as pd
import pytest

from cmokit.attribution import ShapleyAttribution, shapley_attribution


def _random_paths(seed, n=400, channels="ABCDEF", max_len=8):
    rng = np.random.default_rng(seed)
    paths = [" > ".join(rng.choice(list(channels), size=rng.integers(1, max_len))) for _ in range(n)]
    conv = rng.integers(0, 3, n)
    return pd.DataFrame({"path": paths, "conversions": conv,
                         "conversion_value": conv * rng.uniform(5, 50, n), "nulls": rng.integers(1, 6, n)})


def test_two_channel_game_matches_hand_computation():
    # rates: {A} 1/10, {B} 1/10, {A,B} 3/10 -> v(A)=v(B)=1, v(AB)=3 on the 10 A+B journeys
    paths = pd.DataFrame({"path": ["A", "B", "A > B"], "conversions": [1, 1, 3],
                          "conversion_value": [1.0, 1.0, 3.0], "nulls": [9, 9, 7]})
    got = shapley_attribution(paths).set_index("channel")["conversions"]
    assert got["A"] == pytest.approx(1 + 1.5) and got["B"] == pytest.approx(1 + 1.5)


def test_efficiency_credits_sum_to_total_conversions_and_value():
    paths = _random_paths(0)
    s = shapley_attribution(paths)
    assert s["conversions"].sum() == pytest.approx(paths["conversions"].sum(), rel=1e-12)
    assert s["conversion_value"].sum() == pytest.approx(paths["conversion_value"].sum(), rel=1e-12)


def test_symmetry_channels_with_mirrored_data_get_equal_credit():
    paths = pd.DataFrame({"path": ["A", "B", "A > C", "B > C", "C"], "conversions": [2, 2, 5, 5, 1],
                          "conversion_value": [2.0, 2.0, 5.0, 5.0, 1.0], "nulls": [8, 8, 5, 5, 9]})
    s = shapley_attribution(paths).set_index("channel")
    assert s.loc["A", "conversions"] == pytest.approx(s.loc["B", "conversions"], abs=1e-12)


def test_null_player_that_never_changes_the_rate_gets_nothing():
    # X alone never converts and adding X to A leaves A's rate unchanged
    paths = pd.DataFrame({"path": ["A", "A > X", "X"], "conversions": [2, 2, 0],
                          "conversion_value": [2.0, 2.0, 0.0], "nulls": [8, 8, 10]})
    s = shapley_attribution(paths).set_index("channel")
    assert s.loc["X", "conversions"] == pytest.approx(0.0, abs=1e-12)


def test_permutation_sampling_approximates_the_exact_values_reproducibly():
    paths = _random_paths(1, channels="ABCDE", max_len=12)
    exact = ShapleyAttribution().fit(paths)
    approx = ShapleyAttribution(exact_max_channels=3, n_permutations=4000, random_state=7).fit(paths)
    again = ShapleyAttribution(exact_max_channels=3, n_permutations=4000, random_state=7).fit(paths)
    assert exact.n_sampled_sets_ == 0 and approx.n_sampled_sets_ > 0
    np.testing.assert_allclose(approx.summary_["share"], exact.summary_["share"], atol=0.01)
    pd.testing.assert_frame_equal(approx.summary_, again.summary_, check_exact=True)
    assert approx.summary_["conversions"].sum() == pytest.approx(paths["conversions"].sum())


def test_rates_without_a_subset_table_match_the_tabulated_rates(monkeypatch):
    # beyond MAX_TABLE_CHANNELS channels, pooled rates are looked up set by set
    import cmokit.attribution.shapley as shapley

    paths = _random_paths(2, n=150, channels="ABCDE", max_len=5)
    tabulated = shapley_attribution(paths)
    monkeypatch.setattr(shapley, "MAX_TABLE_CHANNELS", 0)
    pd.testing.assert_frame_equal(shapley_attribution(paths), tabulated, atol=1e-12, rtol=0)
