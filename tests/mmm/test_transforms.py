"""Transforms against values computed by hand from their definitions."""

import math

import numpy as np
import pytest

from cmokit.errors import ConfigError
from cmokit.mmm.transforms import (
    GeometricAdstock, HillSaturation, LogisticSaturation, WeibullAdstock, apply_lag_weights,
    geometric_adstock, hill, logistic_saturation, weibull_adstock, weibull_weights,
)


def test_geometric_adstock_matches_hand_recursion():
    # a_t = x_t + 0.6 a_{t-1}: 100, 60 + 50 = 110, 66, 39.6
    got = geometric_adstock([100.0, 50.0, 0.0, 0.0], decay=0.6)
    np.testing.assert_allclose(got, [100.0, 110.0, 66.0, 39.6])


def test_geometric_adstock_max_lag_truncates_and_normalize_keeps_total():
    got = geometric_adstock([100.0, 0.0, 0.0, 0.0], decay=0.5, max_lag=2)
    np.testing.assert_allclose(got, [100.0, 50.0, 25.0, 0.0])
    norm = geometric_adstock([100.0, 0.0, 0.0, 0.0, 0.0], decay=0.5, max_lag=2, normalize=True)
    np.testing.assert_allclose(norm, [100 / 1.75, 50 / 1.75, 25 / 1.75, 0.0, 0.0])
    assert norm.sum() == pytest.approx(100.0)


def test_geometric_adstock_two_columns_transform_independently():
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(geometric_adstock(x, 0.5, max_lag=3), [[1.0, 2.0], [0.5, 1.0]])


def test_weibull_cdf_weights_by_hand():
    # shape 2, scale 2: 1 - F(i) = exp(-(i/2)^2) -> exp(-0.25), exp(-1), exp(-2.25)
    w = weibull_weights(2.0, 2.0, 3, kind="cdf")
    s1, s2, s3 = math.exp(-0.25), math.exp(-1.0), math.exp(-2.25)
    np.testing.assert_allclose(w, [1.0, s1, s1 * s2, s1 * s2 * s3])


def test_weibull_pdf_weights_peak_later_and_scale_to_one():
    # density k/l (t/l)^(k-1) exp(-(t/l)^k) at t = 1..4, shape 3, scale 3, divided by its max
    t = np.arange(1, 5, dtype=float)
    dens = (3 / 3) * (t / 3) ** 2 * np.exp(-((t / 3) ** 3))
    w = weibull_weights(3.0, 3.0, 3, kind="pdf")
    np.testing.assert_allclose(w, dens / dens.max())
    assert w.argmax() == 2 and w.max() == 1.0


def test_weibull_adstock_uses_its_weights():
    got = weibull_adstock([10.0, 0.0, 0.0], 2.0, 2.0, max_lag=2)
    np.testing.assert_allclose(got, 10.0 * weibull_weights(2.0, 2.0, 2))
    assert WeibullAdstock(2.0, 2.0, max_lag=2).transform([10.0, 0.0, 0.0]) == pytest.approx(got)


def test_hill_by_hand():
    # x^s / (x^s + K^s) with K = 2, s = 2: x = 2 -> 0.5; x = 4 -> 16/20; x = 0 -> 0
    np.testing.assert_allclose(hill(np.array([0.0, 2.0, 4.0]), 2.0, 2.0), [0.0, 0.5, 0.8])
    assert HillSaturation(2.0, 2.0).transform(1.0) == pytest.approx(1 / 5)


def test_logistic_by_hand():
    # (1 - e^-1) / (1 + e^-1) = tanh(0.5)
    assert logistic_saturation(1.0, 1.0) == pytest.approx(math.tanh(0.5))
    assert LogisticSaturation(2.0).transform(0.0) == 0.0


def test_lag_weights_convolution_by_hand():
    np.testing.assert_allclose(apply_lag_weights([1.0, 0.0, 2.0], [1.0, 0.5, 0.25]), [1.0, 0.5, 2.25])
    np.testing.assert_allclose(GeometricAdstock(0.5, max_lag=1).weights(), [1.0, 0.5])


@pytest.mark.parametrize("call", [
    lambda: geometric_adstock([1.0], decay=1.0),
    lambda: hill([1.0], half_saturation=0.0, shape=1.0),
    lambda: weibull_weights(1.0, 1.0, 2, kind="other"),
    lambda: logistic_saturation([1.0], lam=-1.0),
])
def test_invalid_settings_raise_config_error(call):
    with pytest.raises(ConfigError):
        call()
