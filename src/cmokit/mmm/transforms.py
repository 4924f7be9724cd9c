"""Media transforms: adstock (carry-over) and saturation (diminishing returns).

Pure NumPy functions, each with a thin class that stores its settings, so a
model can hold one transform per channel and plots can draw its curve.

Adstock spreads a period's spend over later periods with lag weights
:math:`w_0, \\dots, w_L`::

    a_t = sum_{l=0}^{L} w_l x_{t-l}

* geometric (Broadbent 1979; Jin et al. 2017, eq. 1): :math:`w_l = \\theta^l`;
  without ``max_lag`` the infinite sum is the recursion :math:`a_t = x_t + \\theta a_{t-1}`.
* Weibull (Robyn; pymc-marketing): with Weibull CDF :math:`F` and density :math:`f`
  of ``shape`` k and ``scale`` λ (in periods),
  ``kind="cdf"``: :math:`w_0 = 1,\\ w_l = \\prod_{i=1}^{l} (1 - F(i))` (a decay rate that
  changes with the lag); ``kind="pdf"``: :math:`w_l = f(l + 1) / \\max_j f(j + 1)` (a
  delayed peak is possible).

Saturation maps (adstocked) spend to a response in [0, 1):

* Hill (Jin et al. 2017, eq. 3): :math:`x^s / (x^s + K^s)`, half saturation K, shape s.
* logistic (pymc-marketing): :math:`(1 - e^{-\\lambda x}) / (1 + e^{-\\lambda x})`.

References: Jin, Wang, Sun, Chan, Koehler (2017) "Bayesian Methods for Media Mix
Modeling with Carryover and Shape Effects", Google; Robyn's and pymc-marketing's
transform documentation.

>>> import numpy as np
>>> geometric_adstock(np.array([100.0, 0, 0]), decay=0.5)
array([100.,  50.,  25.])
>>> round(float(hill(2.0, half_saturation=2.0, shape=1.0)), 3)
0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cmokit.errors import ConfigError


def _check_unit(name: str, value: float, *, upper_open: bool = True) -> None:
    if not (0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0):
        raise ConfigError(f"{name} must be in [0, 1), got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{name} must be positive, got {value!r}")


def apply_lag_weights(x, weights) -> np.ndarray:
    """Convolve a series with lag weights: ``a_t = sum_l w_l x_{t-l}``.

    Works along the first axis, so a 2-D ``x`` (periods × series) is transformed
    column by column.

    >>> apply_lag_weights(np.array([1.0, 2.0, 0.0]), np.array([1.0, 0.5]))
    array([1. , 2.5, 1. ])
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    out = np.zeros_like(x)
    n = x.shape[0]
    for lag, wl in enumerate(w[: n]):
        if wl != 0.0:
            out[lag:] += wl * x[: n - lag]
    return out


def geometric_weights(decay: float, max_lag: int) -> np.ndarray:
    """Geometric lag weights ``decay ** l`` for ``l = 0..max_lag``.

    >>> geometric_weights(0.5, 3)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    _check_unit("decay", decay)
    return decay ** np.arange(int(max_lag) + 1, dtype=float)


def geometric_adstock(x, decay: float, max_lag: int | None = None, *, normalize: bool = False) -> np.ndarray:
    """Geometric adstock of a spend series (Jin et al. 2017, eq. 1).

    Parameters
    ----------
    x : array-like
        Spend per period (1-D, or 2-D periods × series).
    decay : float
        Share of an effect that carries to the next period, in [0, 1).
    max_lag : int, optional
        Longest carry-over in periods; ``None`` keeps the whole infinite tail
        (``a_t = x_t + decay * a_{t-1}``).
    normalize : bool
        Divide by the sum of weights so total adstock equals total spend.

    >>> geometric_adstock([10.0, 0.0, 0.0, 0.0], decay=0.5, max_lag=1)
    array([10.,  5.,  0.,  0.])
    """
    _check_unit("decay", decay)
    x = np.asarray(x, dtype=float)
    if max_lag is None:
        from scipy.signal import lfilter

        out = lfilter([1.0], [1.0, -decay], x, axis=0)
        return out * (1.0 - decay) if normalize else out
    w = geometric_weights(decay, max_lag)
    if normalize:
        w = w / w.sum()
    return apply_lag_weights(x, w)


def weibull_weights(shape: float, scale: float, max_lag: int, kind: str = "cdf") -> np.ndarray:
    """Weibull lag weights for ``l = 0..max_lag`` (see the module docstring).

    >>> np.round(weibull_weights(1.0, 2.0, 3, kind="cdf"), 4)
    array([1.    , 0.6065, 0.2231, 0.0498])
    """
    _check_positive("shape", shape)
    _check_positive("scale", scale)
    lags = np.arange(1, int(max_lag) + 1, dtype=float)
    if kind == "cdf":
        survival = np.exp(-((lags / scale) ** shape))  # 1 - F(i)
        return np.concatenate([[1.0], np.cumprod(survival)])
    if kind == "pdf":
        t = np.arange(1, int(max_lag) + 2, dtype=float)
        density = (shape / scale) * (t / scale) ** (shape - 1) * np.exp(-((t / scale) ** shape))
        peak = density.max()
        return density / peak if peak > 0 else density
    raise ConfigError(f"kind must be 'cdf' or 'pdf', not {kind!r}")


def weibull_adstock(x, shape: float, scale: float, max_lag: int, kind: str = "cdf",
                    *, normalize: bool = False) -> np.ndarray:
    """Weibull adstock (flexible decay, or a delayed peak with ``kind="pdf"``).

    >>> np.round(weibull_adstock([1.0, 0.0, 0.0], 1.0, 2.0, max_lag=2), 4)
    array([1.    , 0.6065, 0.2231])
    """
    w = weibull_weights(shape, scale, max_lag, kind)
    if normalize:
        w = w / w.sum()
    return apply_lag_weights(x, w)


def hill(x, half_saturation: float, shape: float) -> np.ndarray:
    """Hill saturation ``x**s / (x**s + K**s)`` (Jin et al. 2017, eq. 3).

    ``half_saturation`` K is the input giving half the maximum response; ``shape``
    s > 1 gives an S-curve, s <= 1 a concave curve.

    >>> np.round(hill(np.array([0.0, 1.0, 3.0]), half_saturation=1.0, shape=2.0), 2)
    array([0. , 0.5, 0.9])
    """
    _check_positive("half_saturation", half_saturation)
    _check_positive("shape", shape)
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    # x^s / (x^s + K^s) = 1 / (1 + (K/x)^s), written to avoid overflow
    with np.errstate(divide="ignore", over="ignore"):  # (K/x)^s -> inf as x -> 0 gives 0, as it should
        ratio = np.where(x > 0, (half_saturation / np.where(x > 0, x, 1.0)) ** shape, np.inf)
    return 1.0 / (1.0 + ratio)


def logistic_saturation(x, lam: float) -> np.ndarray:
    """Logistic saturation ``(1 - exp(-lam x)) / (1 + exp(-lam x))``.

    >>> round(float(logistic_saturation(np.log(3.0), lam=1.0)), 3)
    0.5
    """
    _check_positive("lam", lam)
    e = np.exp(-lam * np.maximum(np.asarray(x, dtype=float), 0.0))
    return (1.0 - e) / (1.0 + e)


# -- thin classes ---------------------------------------------------------------
# Each class is also a *family* the model is given: ``name`` and ``params`` (the
# hyperparameters the model searches) and a classmethod applying the transform at a dict of
# them, so the model never branches on a family's name.

@dataclass(frozen=True)
class GeometricAdstock:
    """Geometric carry-over; see :func:`geometric_adstock`.

    >>> GeometricAdstock(decay=0.5, max_lag=2).weights()
    array([1.  , 0.5 , 0.25])
    """

    decay: float
    max_lag: int = 12
    normalize: bool = False

    name: ClassVar[str] = "geometric"
    params: ClassVar[tuple[str, ...]] = ("decay",)

    @classmethod
    def lag_weights(cls, p: dict, max_lag: int) -> np.ndarray:
        """Lag weights at hyperparameters ``p`` (``{"decay": ...}``)."""
        return geometric_weights(p["decay"], max_lag)

    def weights(self) -> np.ndarray:
        w = geometric_weights(self.decay, self.max_lag)
        return w / w.sum() if self.normalize else w

    def transform(self, x) -> np.ndarray:
        return geometric_adstock(x, self.decay, self.max_lag, normalize=self.normalize)


@dataclass(frozen=True)
class WeibullAdstock:
    """Weibull carry-over; see :func:`weibull_adstock`."""

    shape: float
    scale: float
    max_lag: int = 12
    kind: str = "cdf"
    normalize: bool = False

    name: ClassVar[str] = "weibull"
    params: ClassVar[tuple[str, ...]] = ("weibull_shape", "weibull_scale")

    @classmethod
    def lag_weights(cls, p: dict, max_lag: int) -> np.ndarray:
        """Lag weights (``kind="cdf"``) at ``{"weibull_shape": ..., "weibull_scale": ...}``."""
        return weibull_weights(p["weibull_shape"], p["weibull_scale"], max_lag, "cdf")

    def weights(self) -> np.ndarray:
        w = weibull_weights(self.shape, self.scale, self.max_lag, self.kind)
        return w / w.sum() if self.normalize else w

    def transform(self, x) -> np.ndarray:
        return apply_lag_weights(x, self.weights())


@dataclass(frozen=True)
class HillSaturation:
    """Hill saturation; see :func:`hill`.

    >>> float(HillSaturation(half_saturation=1.0, shape=1.0).transform(1.0))
    0.5
    """

    half_saturation: float
    shape: float = 1.0

    name: ClassVar[str] = "hill"
    params: ClassVar[tuple[str, ...]] = ("half_saturation", "shape")

    @classmethod
    def curve(cls, x, p: dict) -> np.ndarray:
        """Saturation at ``{"half_saturation": ..., "shape": ...}``."""
        return hill(x, p["half_saturation"], p["shape"])

    def transform(self, x) -> np.ndarray:
        return hill(x, self.half_saturation, self.shape)


@dataclass(frozen=True)
class LogisticSaturation:
    """Logistic saturation; see :func:`logistic_saturation`."""

    lam: float

    name: ClassVar[str] = "logistic"
    params: ClassVar[tuple[str, ...]] = ("lam",)

    @classmethod
    def curve(cls, x, p: dict) -> np.ndarray:
        """Saturation at ``{"lam": ...}``."""
        return logistic_saturation(x, p["lam"])

    def transform(self, x) -> np.ndarray:
        return logistic_saturation(x, self.lam)


#: Adstock and saturation families by name (the model accepts a name or the class).
ADSTOCK_FAMILIES = {cls.name: cls for cls in (GeometricAdstock, WeibullAdstock)}
SATURATION_FAMILIES = {cls.name: cls for cls in (HillSaturation, LogisticSaturation)}


def family(value, families: dict, what: str):
    """The family class for a name, a family class or an instance of one.

    >>> family("hill", SATURATION_FAMILIES, "saturation").__name__
    'HillSaturation'
    >>> family(GeometricAdstock(0.5), ADSTOCK_FAMILIES, "adstock").name
    'geometric'
    """
    cls = value if isinstance(value, type) else (families.get(value) if isinstance(value, str) else type(value))
    if cls not in families.values():
        raise ConfigError(f"{what} must be one of {sorted(families)} (or its class), not {value!r}")
    return cls


__all__ = [
    "ADSTOCK_FAMILIES", "SATURATION_FAMILIES", "family",
    "GeometricAdstock", "HillSaturation", "LogisticSaturation", "WeibullAdstock",
    "apply_lag_weights", "geometric_adstock", "geometric_weights", "hill",
    "logistic_saturation", "weibull_adstock", "weibull_weights",
]
