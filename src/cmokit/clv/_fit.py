"""Shared maximum-likelihood machinery of the CLV estimators.

Every model maximises a weighted log-likelihood over *collapsed* rows:
customers with identical inputs (e.g. the same frequency, recency and T)
contribute one row with a weight equal to their count, so the cost of a fit
grows with the number of distinct histories, not the number of customers.

Parameters are optimised on the log scale (all are positive). Standard errors
come from the inverse of the numerically differentiated Hessian of the total
negative log-likelihood in log-parameters; the delta method gives
``std_error = estimate * se(log estimate)`` and the 95 % interval is
``exp(log estimate +/- 1.96 se)`` (positive by construction).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, ConvergenceError, NotFittedError

Z_95 = 1.959963984540054


class _LazySpecial:
    """``scipy.special``, imported on first use so ``import cmokit.clv`` (and the model
    modules) do not load SciPy (~0.3 s) until a model is fitted or scored."""

    def __getattr__(self, name: str):
        import scipy.special

        return getattr(scipy.special, name)


#: Lazy ``scipy.special``: ``special.gammaln(x)``.
special = _LazySpecial()


def collapse(*columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique rows of the stacked ``columns``, their counts, and the inverse index.

    Each column is factorised by hashing, the codes are combined into one
    integer key, and only that key is sorted: ~20x faster than
    ``np.unique(axis=0)`` on a million rows.

    >>> rows, weights, inverse = collapse([0, 1, 0], [0.0, 2.5, 0.0])
    >>> rows.tolist(), weights.tolist()
    ([[0.0, 0.0], [1.0, 2.5]], [2.0, 1.0])
    """
    import pandas as pd

    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    key = np.zeros(len(stacked), dtype=np.int64)
    radix = 1
    for j in range(stacked.shape[1]):
        codes, uniques = pd.factorize(stacked[:, j], sort=True)
        if radix * max(len(uniques), 1) >= 2**62:  # cannot overflow in practice; stay exact anyway
            rows, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
            return rows, counts.astype(float), inverse.ravel()
        key = key * len(uniques) + codes
        radix *= max(len(uniques), 1)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return stacked[first], counts.astype(float), inverse.ravel()


class Tabulated:
    """A column as its distinct values plus an index: ``col(f)`` evaluates ``f`` once per distinct value.

    Special functions (gammaln, digamma, ...) of frequency or T then cost the
    number of distinct values, not the number of rows.

    >>> col = Tabulated(np.array([2.0, 0.0, 2.0]))
    >>> col(lambda v: v * 10).tolist()
    [20.0, 0.0, 20.0]
    """

    __slots__ = ("values", "inverse")

    def __init__(self, values):
        import pandas as pd

        codes, uniques = pd.factorize(np.asarray(values, dtype=float))
        self.values = np.asarray(uniques, dtype=float)
        self.inverse = codes

    def __call__(self, func):
        return np.asarray(func(self.values))[self.inverse]


def column(frame, name: str) -> np.ndarray:
    """A float numpy column of a pandas or polars frame, with a clear error if missing."""
    if name not in frame.columns:
        raise ConfigError(
            f"the purchase summary needs a {name!r} column (has: {', '.join(map(str, frame.columns))}); "
            "build it with cmokit.clv.purchase_summary(...)"
        )
    values = frame[name]
    values = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    return np.asarray(values, dtype=float)


def check_summary(frequency, recency, T) -> None:
    """Validate a purchase summary (non-negative, recency <= T, zero recency when no repeats)."""
    if len(frequency) == 0:
        raise ConfigError("the purchase summary is empty: no customers purchased before the cut-off")
    if np.any(frequency < 0) or np.any(recency < 0) or np.any(T < 0):
        # T = 0 (first purchase at the end of observation) is valid: the likelihood is 1
        raise ConfigError("frequency, recency and T must be >= 0")
    if np.any(recency > T + 1e-9):
        raise ConfigError("recency exceeds T for some customers: was the summary built with the same as_of?")
    if np.any((frequency == 0) & (recency > 0)):
        raise ConfigError("customers with frequency 0 must have recency 0")
    if not np.any(frequency > 0):
        raise ConfigError("no customer has a repeat purchase: a repeat-purchase model cannot be fitted; "
                          "use a longer period (earlier first orders or a later as_of)")


def maximise(neg_ll: Callable[[np.ndarray], float], start: Sequence[float], names: Sequence[str],
             model: str, max_iter: int = 500, value_and_grad: Callable | None = None,
             start_is_close: bool = False) -> tuple[np.ndarray, float, np.ndarray]:
    """Minimise ``neg_ll(log_params)``; return (params, minimum, covariance of log params).

    L-BFGS-B on log-parameters (``value_and_grad`` returns the value and the
    analytic gradient together when the model has one), then up to three
    Newton steps to land on the optimum to many digits. With
    ``start_is_close`` (e.g. the fit of a subsample) and a gradient, damped
    Newton steps from the start come first, which needs far fewer
    likelihood evaluations; L-BFGS-B takes over if they fail. The Hessian comes
    from central differences of the gradient (or of the value). Raises
    :class:`ConvergenceError` naming what to try when the optimiser fails or
    the Hessian is not positive definite.
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    x0 = np.log(np.asarray(start, dtype=float))
    if value_and_grad is not None:
        fun, jac = value_and_grad, True

        def gradient(x):
            return value_and_grad(x)[1]
    else:
        fun, jac = neg_ll, None

        def gradient(x):
            return numeric_gradient(neg_ll, x)

    def hessian_at(x):
        if value_and_grad is not None:
            return gradient_hessian(gradient, x)
        return numeric_hessian(neg_ll, x)

    with threadpool_limits(limits=1), np.errstate(over="ignore", under="ignore", invalid="ignore"):
        newton = _newton(value_and_grad, x0) if (start_is_close and value_and_grad) else None
        if newton is not None:
            x, fx, hessian = newton
            result = _Result(x, fx)
        else:
            result = minimize(fun, x0, jac=jac, method="L-BFGS-B", bounds=[(-15.0, 15.0)] * len(x0),
                              options={"maxiter": max_iter, "ftol": 1e-12, "gtol": 1e-8})
        x, fx = result.x, float(result.fun)
        if not np.isfinite(fx):
            raise ConvergenceError(
                f"{model}: the log-likelihood is not finite at the optimum; check the summary for "
                "extreme values (e.g. T in days for a model meant for weeks) or add a penalizer"
            )
        if newton is None:
            hessian = hessian_at(x)
        for _ in range(0 if newton is not None else 3):  # Newton polish with the Hessian at the L-BFGS-B point
            try:
                trial = x - np.linalg.solve(hessian, gradient(x))
            except np.linalg.LinAlgError:
                break
            f_trial = neg_ll(trial)
            if not np.isfinite(f_trial) or f_trial > fx:
                break
            improved = fx - f_trial
            x, fx = trial, float(f_trial)
            if improved < 1e-15 * max(1.0, abs(fx)):
                break
        if np.max(np.abs(x - result.x)) > 1e-3:  # the polish moved far: the Hessian there differs
            hessian = hessian_at(x)
        result.x, result.fun = x, fx
    if np.any(np.abs(result.x) >= 14.9):
        raise ConvergenceError(
            f"{model}: a parameter ran to its bound "
            f"({', '.join(f'{n}={v:.4g}' for n, v in zip(names, np.exp(result.x)))}); "
            "the data may not identify the model (too few repeat buyers?). Try penalizer=0.001, a longer "
            "calibration period, or a simpler model"
        )
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        covariance = np.full_like(hessian, np.nan)
    if not np.all(np.isfinite(np.diag(covariance))) or np.any(np.diag(covariance) <= 0):
        raise ConvergenceError(
            f"{model}: the Hessian at the optimum is not positive definite, so the fit is not a "
            "well-defined maximum; try another start (start=...), penalizer=0.001, or more data"
        )
    return np.exp(result.x), -float(result.fun), covariance


class _Result:
    def __init__(self, x, fun):
        self.x, self.fun = x, fun


def _newton(value_and_grad, x0, max_steps: int = 30):
    """Newton from a close start with one Hessian (forward differences of the gradient).

    The Hessian at a close start differs from the optimum's by about the
    start's error, so the steps converge linearly at that rate (~10 steps of
    one evaluation each). Returns (x, value, Hessian at x) or None when a step
    fails to decrease the objective.
    """
    x = np.asarray(x0, dtype=float)
    fx, g = value_and_grad(x)
    if not np.isfinite(fx):
        return None
    hessian = forward_hessian(value_and_grad, x, g)
    try:
        if np.any(np.linalg.eigvalsh(hessian) <= 0):
            return None
    except np.linalg.LinAlgError:
        return None
    for _ in range(max_steps):
        step = np.linalg.solve(hessian, g)
        for damping in (1.0, 0.5, 0.25):
            trial = x - damping * step
            f_trial, g_trial = value_and_grad(trial)
            if np.isfinite(f_trial) and f_trial <= fx + 1e-15 * abs(fx):
                break
        else:
            return None
        x, fx, g = trial, f_trial, g_trial
        if np.max(np.abs(damping * step)) < 1e-8:
            return x, float(fx), forward_hessian(value_and_grad, x, g)
    return None


def forward_hessian(value_and_grad, x: np.ndarray, grad: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Hessian from forward differences of the gradient (n extra evaluations), symmetrised."""
    h = np.column_stack([(value_and_grad(x + e)[1] - grad) / step for e in np.eye(x.size) * step])
    return (h + h.T) / 2


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function."""
    eye = np.eye(x.size) * step
    return np.array([(f(x + e) - f(x - e)) / (2 * step) for e in eye])


def gradient_hessian(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Hessian as central differences of an analytic gradient (2n gradient calls), symmetrised."""
    eye = np.eye(x.size) * step
    h = np.column_stack([(gradient(x + e) - gradient(x - e)) / (2 * step) for e in eye])
    return (h + h.T) / 2


def numeric_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    x = np.asarray(x, dtype=float)
    n = x.size
    h = np.empty((n, n))
    f0 = f(x)
    eye = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            if i == j:
                value = (f(x + eye[i]) - 2 * f0 + f(x - eye[i])) / step**2
            else:
                value = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j])
                         - f(x - eye[i] + eye[j]) + f(x - eye[i] - eye[j])) / (4 * step**2)
            h[i, j] = h[j, i] = value
    return h


def delta_se(func: Callable[[np.ndarray], np.ndarray], params: np.ndarray, covariance: np.ndarray,
             step: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Value and delta-method standard error of ``func`` per row, differentiating in log-parameters.

    ``func(params)`` returns an array (rows, or rows x outputs) already on the
    scale the interval is built on (log, logit). The Jacobian comes from
    central differences in log-parameters (2 evaluations per parameter), so
    ``se**2 = J covariance J^T`` uses ``covariance`` of the log-parameters as
    :func:`maximise` returns it. Rows whose derivative is not finite (a value
    pinned at 0 or 1) get se = 0.

    >>> value, se = delta_se(lambda p: np.log(p[0] * np.ones(2)), np.array([2.0]), np.array([[0.01]]))
    >>> value.round(4).tolist(), se.round(6).tolist()
    ([0.6931, 0.6931], [0.1, 0.1])
    """
    log_params = np.log(np.asarray(params, dtype=float))
    center = np.asarray(func(np.exp(log_params)), dtype=float)
    jac = np.empty((len(log_params),) + center.shape)
    for j in range(len(log_params)):
        shift = np.zeros_like(log_params)
        shift[j] = step
        jac[j] = (np.asarray(func(np.exp(log_params + shift))) - np.asarray(func(np.exp(log_params - shift)))) / (2 * step)
    jac = np.nan_to_num(jac, nan=0.0, posinf=0.0, neginf=0.0)
    variance = np.einsum("j...,jk,k...->...", jac, np.asarray(covariance, dtype=float), jac)
    return center, np.sqrt(np.maximum(variance, 0.0))


def summary_table(names: Sequence[str], params: np.ndarray, covariance: np.ndarray):
    """Tidy parameter table: parameter, estimate, std_error, lower, upper (95 %)."""
    import pandas as pd

    se_log = np.sqrt(np.diag(covariance))
    return pd.DataFrame({
        "parameter": list(names),
        "estimate": params,
        "std_error": params * se_log,
        "lower": params * np.exp(-Z_95 * se_log),
        "upper": params * np.exp(Z_95 * se_log),
    })


class FittedMixin(ParamsMixin):
    """``params_`` access, the not-fitted check and ``get_params``/``set_params`` shared by the estimators."""

    _param_names: tuple[str, ...] = ()

    def _check_fitted(self) -> dict[str, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call .fit(summary) first")
        return self.params_

    def _param_array(self) -> np.ndarray:
        return np.array(list(self._check_fitted().values()))

    def _store(self, params: np.ndarray, log_likelihood: float, covariance: np.ndarray, n: float) -> None:
        self.params_ = dict(zip(self._param_names, map(float, params)))
        self.log_likelihood_ = log_likelihood
        self.covariance_ = covariance
        self.n_customers_ = int(n)
        self.summary_ = summary_table(self._param_names, params, covariance)

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(unfitted)"


def penalty(log_params: np.ndarray, penalizer: float) -> float:
    """L2 penalty on the parameters (as in lifetimes), scaled by the caller."""
    return penalizer * float(np.sum(np.exp(log_params) ** 2)) if penalizer else 0.0


TIME_UNIT_DAYS = {"days": 1.0, "weeks": 7.0}


def unit_days(time_unit: str) -> float:
    if time_unit not in TIME_UNIT_DAYS:
        raise ConfigError(f"time_unit must be 'days' or 'weeks', not {time_unit!r}")
    return TIME_UNIT_DAYS[time_unit]


def summary_unit(frame, time_unit: str) -> None:
    """Refuse a summary whose recorded time unit differs from the estimator's."""
    recorded = getattr(frame, "attrs", {}).get("time_unit") if hasattr(frame, "attrs") else None
    if recorded is not None and recorded != time_unit:
        raise ConfigError(
            f"the summary is in {recorded} but the estimator was created with time_unit={time_unit!r}; "
            f"pass time_unit={recorded!r}"
        )
