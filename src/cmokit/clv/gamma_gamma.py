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
from scipy.special import gammaln

from cmokit.clv import _fit
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
    ['customer_id', 'expected_spend']
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

    def predict(self, summary):
        """Expected average transaction value per customer (``expected_spend``), keyed by ``customer_id``.

        Customers without repeat purchases get the population mean gamma p / (q - 1).
        """
        x = _fit.column(summary, "frequency")
        m = np.nan_to_num(_fit.column(summary, "monetary_value"))
        return frame_like(summary, {"customer_id": customer_ids(summary),
                                    "expected_spend": self.expected_spend(x, m)})

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, zbar] (note eq. 5) for arrays of frequency and mean repeat value."""
        p, q, gamma = self._param_array()
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        if q <= 1:
            raise ConfigError(f"GammaGamma q = {q:.3g} <= 1: the mean spend is infinite; use a penalizer")
        return (gamma + x * m) * p / (p * x + q - 1)

    @property
    def mean_spend_(self) -> float:
        """Population mean transaction value gamma p / (q - 1)."""
        p, q, gamma = self._param_array()
        return gamma * p / (q - 1)


def _log_likelihood(params, x, m):
    p, q, gamma = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + x * m))


def fit_gamma_gamma(summary, **settings) -> GammaGamma:
    """One-shot: ``GammaGamma(**settings).fit(summary)``."""
    return GammaGamma(**settings).fit(summary)
