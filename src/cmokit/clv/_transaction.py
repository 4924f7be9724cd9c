"""What the buy-till-you-die transaction models (BG/NBD, Pareto/NBD) share.

A model supplies its per-row log-likelihood (and optionally its gradient),
the conditional expectation and the probability alive; this base class turns
them into ``fit(summary)`` and tidy predictions keyed by ``customer_id``.
Time in the summary is in ``time_unit`` (``"weeks"`` or ``"days"``); every
horizon a user passes is in days (``horizon_days``) and converted once here.
"""

from __future__ import annotations

import numpy as np

from cmokit.clv import _fit


def frame_like(template, data: dict):
    """A frame from ``data`` in the kind of ``template`` (pandas, polars or Arrow; see :mod:`cmokit._frames`)."""
    import pandas as pd

    from cmokit._frames import like

    return like(pd.DataFrame(data), template)


def customer_ids(frame) -> np.ndarray:
    if "customer_id" in frame.columns:
        values = frame["customer_id"]
        return values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    return np.arange(len(frame))


WARM_START_ROWS = 200_000  # distinct histories above which a subsample fit provides the start
WARM_START_CUSTOMERS = 50_000


class TransactionModel(_fit.FittedMixin):
    """Base of BG/NBD and Pareto/NBD: collapse, fit, predict."""

    _model_name = ""

    def __init__(self, time_unit: str = "weeks", penalizer: float = 0.0, start=None):
        self.time_unit = time_unit
        self.penalizer = penalizer
        self.start = start

    # -- to implement -------------------------------------------------------
    def _prepare(self, x, tx, T):
        """The (collapsed) data in the form the likelihood wants; default: the raw columns."""
        from types import SimpleNamespace

        return SimpleNamespace(x=x, tx=tx, T=T)

    def _row_log_likelihood(self, params, data):  # pragma: no cover - abstract
        raise NotImplementedError

    # optional: _weighted_value_and_gradient(params, data, weights) -> (sum w ll, d sum w ll / d log params)
    _weighted_value_and_gradient = None

    def _default_start(self, x, tx, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def log_likelihood_rows(self, params, frequency, recency, T) -> np.ndarray:
        """Per-customer log-likelihood at ``params`` (a sequence in ``params_`` order)."""
        data = self._prepare(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
        return self._row_log_likelihood(np.asarray(params, dtype=float), data)

    # -- fit ----------------------------------------------------------------
    def fit(self, summary):
        """Fit by maximum likelihood to a purchase summary.

        ``summary`` has ``frequency``, ``recency`` and ``T`` columns in
        ``time_unit`` (see :func:`cmokit.clv.purchase_summary`). Returns ``self``.
        """
        _fit.unit_days(self.time_unit)
        _fit.summary_unit(summary, self.time_unit)
        x, tx, T = (_fit.column(summary, c) for c in ("frequency", "recency", "T"))
        _fit.check_summary(x, tx, T)
        return self._fit_arrays(x, tx, T, warm=True)

    def _fit_arrays(self, x, tx, T, warm: bool):
        rows, weights, _ = _fit.collapse(x, tx, T)
        data = self._prepare(rows[:, 0], rows[:, 1], rows[:, 2])
        n = weights.sum()

        def neg_ll(log_params):
            ll = self._row_log_likelihood(np.exp(log_params), data)
            return -float(weights @ ll) / n + _fit.penalty(log_params, self.penalizer)

        value_and_grad = None
        if self._weighted_value_and_gradient is not None:
            def value_and_grad(log_params):
                params = np.exp(log_params)
                total, grad = self._weighted_value_and_gradient(params, data, weights)
                value = -total / n + _fit.penalty(log_params, self.penalizer)
                return value, -grad / n + 2 * self.penalizer * params**2

        start, close = self.start, False
        if warm and start is None and value_and_grad is not None and len(weights) > WARM_START_ROWS:
            # a subsample's fit is close to the full optimum: Newton from there needs ~10 evaluations, not ~30
            pick = np.random.default_rng(0).choice(len(x), size=min(WARM_START_CUSTOMERS, len(x)), replace=False)
            sub = type(self)(time_unit=self.time_unit, penalizer=self.penalizer)
            sub._fit_arrays(x[pick], tx[pick], T[pick], warm=False)
            start, close = list(sub.params_.values()), True
        if start is None:
            start = self._default_start(rows[:, 0], rows[:, 1], rows[:, 2])
        params, _, cov = _fit.maximise(neg_ll, start, self._param_names, self._model_name,
                                       value_and_grad=value_and_grad, start_is_close=close)
        # neg_ll is a per-customer mean: rescale to the total log-likelihood and its covariance
        total_ll = float(weights @ self._row_log_likelihood(params, data))
        self.n_distinct_histories_ = int(len(weights))
        self._store(params, total_ll, cov / n, n)
        return self

    # -- predictions ----------------------------------------------------------
    def _periods(self, horizon_days: float) -> float:
        return float(horizon_days) / _fit.unit_days(self.time_unit)

    def predict(self, summary, horizon_days: float, *, intervals: bool = True):
        """Per customer: expected repeat purchases in the next ``horizon_days`` and P(alive).

        Returns a frame keyed by ``customer_id`` (pandas, or polars for a
        polars summary) with ``expected_purchases`` and ``p_alive``, and with
        ``intervals=True`` their 95 % intervals from parameter uncertainty
        (``*_lower``, ``*_upper``; delta method on the log / logit scale).
        """
        params = self._param_array()
        x, tx, T = (_fit.column(summary, c) for c in ("frequency", "recency", "T"))
        periods = self._periods(horizon_days)

        def expected(p):
            return self._conditional_expectation(p, periods, x, tx, T)

        def alive(p):
            return self._p_alive(p, x, tx, T)

        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            data = {"customer_id": customer_ids(summary), "expected_purchases": expected(params),
                    "p_alive": alive(params)}
            if intervals:
                data["expected_purchases_lower"], data["expected_purchases_upper"] = self._delta_interval(
                    expected, np.log, np.exp)
                data["p_alive_lower"], data["p_alive_upper"] = self._delta_interval(alive, _logit, _expit)
        return frame_like(summary, data)

    def _delta_interval(self, func, transform, inverse, step: float = 1e-5):
        """95 % interval of ``func(params)`` per row: delta method on ``transform`` scale, log-parameters."""
        center, se = _fit.delta_se(lambda p: transform(func(p)), self._param_array(), self.covariance_, step)
        return inverse(center - _fit.Z_95 * se), inverse(center + _fit.Z_95 * se)

    def p_alive(self, summary):
        """Probability each customer is still active at the end of the summary period."""
        params = self._param_array()
        x, tx, T = (_fit.column(summary, c) for c in ("frequency", "recency", "T"))
        return frame_like(summary, {"customer_id": customer_ids(summary),
                                    "p_alive": self._p_alive(params, x, tx, T)})

    def expected_purchases(self, horizon_days):
        """Expected repeat purchases of a new customer within ``horizon_days`` of the first purchase."""
        params = self._param_array()
        t = np.asarray(horizon_days, dtype=float) / _fit.unit_days(self.time_unit)
        with np.errstate(over="ignore", under="ignore"):
            return self._unconditional_expectation(params, t)

    def _expectation_grid(self, params, x, tx, T, periods: np.ndarray) -> np.ndarray:
        """Conditional expected purchases at each cumulative period (rows x steps)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.column_stack([self._conditional_expectation(params, p, x, tx, T) for p in periods])


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(z):
    from scipy.special import expit

    return expit(z)
