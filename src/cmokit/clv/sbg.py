"""Shifted-beta-geometric (sBG): contractual retention of a cohort.

Assumptions (Fader & Hardie 2007, "How to project customer retention",
*Journal of Interactive Marketing* 21(1)): at the end of each period a
customer churns with probability theta; theta ~ Beta(alpha, beta) across
customers. For a cohort observed over periods 0..n with n_t customers still
active at the start of period t:

- P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)   (eq. 5, recursion eq. 7),
- S(t) = B(alpha, beta + t) / B(alpha, beta)               (eq. 6),
- LL = sum_t (n_{t-1} - n_t) ln P(T = t) + n_n ln S(n)     (eq. 8),
- retention rate r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1).

The paper fits the first seven years of two cohorts of 1,000 customers and
reports regular alpha = 0.704, beta = 1.182 (survivors 1000, 631, 468, ...)
and high-end alpha = 0.668, beta = 3.806 (survivors 1000, 869, 743, ...); ``tests/clv/test_sbg.py`` pins them.
"""

from __future__ import annotations

import numpy as np

from cmokit.clv import _fit
from cmokit.clv._fit import special
from cmokit.errors import ConfigError


class ShiftedBetaGeometric(_fit.FittedMixin):
    """sBG estimator for one cohort's active-customer counts.

    Parameters
    ----------
    start : sequence of 2 floats, optional
        Starting values for (alpha, beta).

    Examples
    --------
    >>> from cmokit.clv import ShiftedBetaGeometric
    >>> model = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> round(model.params_["alpha"], 3), round(model.params_["beta"], 3)
    (0.668, 3.806)
    >>> model.predict(periods=2)["survival"].round(3).tolist()
    [1.0, 0.851, 0.747]
    """

    _param_names = ("alpha", "beta")

    def __init__(self, start=None):
        self.start = start

    def fit(self, active_customers):
        """Fit to the number of customers active at the start of periods 0, 1, ..., n.

        ``active_customers`` is a sequence of counts, or a frame with ``period``
        and ``customers`` columns. Returns ``self``.
        """
        counts = _counts(active_customers)
        periods = np.arange(1, len(counts))
        lost = counts[:-1] - counts[1:]

        def neg_ll(log_params):
            return -_log_likelihood(np.exp(log_params), periods, lost, counts[-1]) / counts[0]

        start = self.start if self.start is not None else (1.0, 1.0)
        params, _, cov = _fit.maximise(neg_ll, start, self._param_names, "sBG")
        self._store(params, _log_likelihood(params, periods, lost, counts[-1]), cov / counts[0], counts[0])
        return self

    def predict(self, periods: int):
        """Survival S(t) and retention rate r_t for t = 0..``periods`` (a pandas frame)."""
        import pandas as pd

        alpha, beta = self._param_array()
        t = np.arange(periods + 1)
        survival = np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))
        retention = np.r_[np.nan, (beta + t[1:] - 1) / (alpha + beta + t[1:] - 1)]
        return pd.DataFrame({"period": t, "survival": survival, "retention_rate": retention})


def _counts(active_customers) -> np.ndarray:
    if hasattr(active_customers, "columns"):
        frame = active_customers
        order = np.argsort(_fit.column(frame, "period"))
        counts = _fit.column(frame, "customers")[order]
    else:
        counts = np.asarray(active_customers, dtype=float)
    if counts.ndim != 1 or len(counts) < 3:
        raise ConfigError("sBG needs the active-customer counts of at least three periods (0, 1, 2)")
    if np.any(np.diff(counts) > 0) or np.any(counts < 0):
        raise ConfigError("active-customer counts must be non-negative and never increase over periods")
    return counts


def _log_likelihood(params, periods, lost, survivors) -> float:
    alpha, beta = params
    base = special.betaln(alpha, beta)
    log_p = special.betaln(alpha + 1, beta + periods - 1) - base
    log_s = special.betaln(alpha, beta + periods[-1]) - base
    return float(lost @ log_p + survivors * log_s)


def fit_cohorts(frame):
    """Fit one sBG per cohort of a frame with ``cohort``, ``period``, ``customers`` columns.

    Returns a pandas frame: cohort, parameter, estimate, std_error, lower, upper, log_likelihood.
    """
    import pandas as pd

    from cmokit._frames import to_pandas

    frame = to_pandas(frame)
    tables = []
    for cohort, group in frame.groupby("cohort", sort=True):
        model = ShiftedBetaGeometric().fit(group)
        table = model.summary_.assign(log_likelihood=model.log_likelihood_)
        table.insert(0, "cohort", cohort)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
