"""Gamma-Gamma: the spend model of Fader, Hardie & Lee (2005).

Assumptions ("RFM and CLV: using iso-value curves for customer base
analysis", *Journal of Marketing Research* 42(4), and Fader & Hardie's note
"The Gamma-Gamma model of monetary value", 2013): each transaction value is
Gamma(p, nu); nu ~ Gamma(q, gamma) across customers; spend is independent
of the purchase process. Fitted on repeat buyers only (frequency x > 0) with
their mean repeat-transaction value zbar (``monetary_value``).

Equations implemented:

- log-likelihood of (x, zbar), note eq. (3), on the log scale;
- conditional expected average transaction value, note eq. (5):
  E[M | x, zbar] = (q - 1)/(p x + q - 1) * gamma p/(q - 1) + p x/(p x + q - 1) * zbar.

On the CDNOW 1/10 sample the paper reports p = 6.25, q = 3.74,
gamma = 15.44 (946 repeat buyers); ``tests/clv/test_gamma_gamma.py`` pins them.
"""

from __future__ import annotations

import numpy as np

from cmokit.clv import _fit
from cmokit.clv._fit import special
from cmokit.clv._transaction import customer_ids, frame_like
from cmokit.errors import ConfigError


class GammaGamma(_fit.FittedMixin):
    """Gamma-Gamma spend estimator.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 = plain maximum likelihood).
    start : sequence of 3 floats, optional
        Starting values for (p, q, gamma).

    Attributes
    ----------
    params_ : dict
        p, q, gamma.
    summary_ : DataFrame
        parameter, estimate, std_error, lower, upper.
    log_likelihood_ : float

    Examples
    --------
    >>> import pandas as pd
    >>> from cmokit.clv import GammaGamma
    >>> s = pd.DataFrame({"customer_id": list("abcdef"), "frequency": [1, 2, 3, 1, 4, 2],
    ...     "monetary_value": [20.0, 35.5, 12.0, 60.0, 22.0, 18.5]})
    >>> model = GammaGamma(penalizer=0.01).fit(s)
    >>> model.predict(s).columns.tolist()
    ['customer_id', 'expected_spend', 'expected_spend_lower', 'expected_spend_upper']
    """

    _param_names = ("p", "q", "gamma")

    def __init__(self, penalizer: float = 0.0, start=None):
        self.penalizer = penalizer
        self.start = start

    def fit(self, summary):
        """Fit on the repeat buyers of ``summary`` (``frequency``, ``monetary_value``). Returns ``self``."""
        x = _fit.column(summary, "frequency")
        m = _fit.column(summary, "monetary_value")
        keep = x > 0
        if np.any(m[keep] <= 0):
            raise ConfigError("monetary_value must be > 0 for repeat buyers (refunds netted to zero?); "
                              "drop those customers before fitting GammaGamma")
        if keep.sum() < 3:
            raise ConfigError("GammaGamma needs at least a few repeat buyers (frequency > 0)")
        rows, weights, _ = _fit.collapse(x[keep], m[keep])
        xs, ms = rows[:, 0], rows[:, 1]
        n = weights.sum()

        def neg_ll(log_params):
            ll = _log_likelihood(np.exp(log_params), xs, ms)
            return -float(weights @ ll) / n + _fit.penalty(log_params, self.penalizer)

        start = self.start if self.start is not None else (1.0, 1.0, float(np.mean(ms)))
        params, _, cov = _fit.maximise(neg_ll, start, self._param_names, "Gamma-Gamma")
        self._store(params, float(weights @ _log_likelihood(params, xs, ms)), cov / n, n)
        return self

    def predict(self, summary, *, intervals: bool = True):
        """Expected average transaction value per customer (``expected_spend``), keyed by ``customer_id``.

        Customers without repeat purchases get the population mean gamma p / (q - 1).
        With ``intervals=True`` adds ``expected_spend_lower`` / ``expected_spend_upper``:
        the 95 % interval of E[M | x, zbar] from the uncertainty of (p, q, gamma),
        see :meth:`expected_spend_interval`. It is a confidence interval for the
        customer's *expected* spend per purchase, not a range for the next order.
        """
        x = _fit.column(summary, "frequency")
        m = np.nan_to_num(_fit.column(summary, "monetary_value"))
        data = {"customer_id": customer_ids(summary), "expected_spend": self.expected_spend(x, m)}
        if intervals:
            data["expected_spend_lower"], data["expected_spend_upper"] = self.expected_spend_interval(x, m)
        return frame_like(summary, data)

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, zbar] (note eq. 5) for arrays of frequency and mean repeat value."""
        p, q, gamma = self._param_array()
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        if q <= 1:
            raise ConfigError(f"GammaGamma q = {q:.3g} <= 1: the mean spend is infinite; use a penalizer")
        return (gamma + x * m) * p / (p * x + q - 1)

    def log_spend_se(self, frequency, monetary_value) -> np.ndarray:
        """Delta-method standard error of log E[M | x, zbar] from the covariance of the log-parameters.

        log E[M] = log(gamma + x zbar) + log p - log(p x + q - 1), so its gradient
        in (log p, log q, log gamma) is exact and cheap:
        ((q - 1)/(p x + q - 1), -q/(p x + q - 1), gamma/(gamma + x zbar)).
        Same method as the purchase intervals of :class:`cmokit.clv.BetaGeo`
        (delta method on the log scale, log-parameters, the fit's Hessian),
        so the two combine into the CLV interval.
        """
        p, q, gamma = self._param_array()
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        if q <= 1:
            raise ConfigError(f"GammaGamma q = {q:.3g} <= 1: the mean spend is infinite; use a penalizer")
        denominator = p * x + q - 1
        jac = np.column_stack([(q - 1) / denominator, -q / denominator, gamma / (gamma + x * m)])
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, self.covariance_, jac), 0.0))

    def expected_spend_interval(self, frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
        """95 % interval (lower, upper) of E[M | x, zbar]: ``exp(log E[M] -/+ 1.96 se)``, positive by construction.

        Delta method on the log scale rather than parameter draws: it is what
        the package uses for every other prediction interval, it is
        deterministic (no seed; a chunk gives the same numbers as the whole
        table) and costs one pass over the rows; ``tests/clv/test_gamma_gamma.py``
        checks it against seeded draws from the asymptotic normal of the log-parameters.
        """
        spend = self.expected_spend(frequency, monetary_value)
        se = self.log_spend_se(frequency, monetary_value)
        return spend * np.exp(-_fit.Z_95 * se), spend * np.exp(_fit.Z_95 * se)

    @property
    def mean_spend_(self) -> float:
        """Population mean transaction value gamma p / (q - 1)."""
        p, q, gamma = self._param_array()
        return gamma * p / (q - 1)


def _log_likelihood(params, x, m):
    p, q, gamma = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + x * m))


def simulate_spend(frequency, p: float, q: float, gamma: float, seed: int = 0) -> np.ndarray:
    """Mean repeat-transaction value zbar drawn from the Gamma-Gamma model (for tests and benchmarks).

    Each customer's nu ~ Gamma(shape q, rate gamma); the sum of their x repeat
    transactions ~ Gamma(shape p x, rate nu), so zbar = sum / x; 0 when x = 0.

    >>> simulate_spend([0, 2, 5], p=6.0, q=4.0, gamma=15.0, seed=1).round(2).tolist()[0]
    0.0
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, x.size)
    total = rng.gamma(np.where(x > 0, p * x, 1.0), 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1.0), 0.0)


def fit_gamma_gamma(summary, **settings) -> GammaGamma:
    """One-shot: ``GammaGamma(**settings).fit(summary)``."""
    return GammaGamma(**settings).fit(summary)
