"""The marketing-mix model's design matrix and its constrained ridge solve, as pure functions.

Baseline columns (Jin et al. 2017, eq. 5, without the priors): intercept, linear trend
``t / n`` with optional evenly spaced slope changes ``max(t/n - knot, 0)`` (Prophet's
piecewise-linear trend without its prior), ``order`` yearly Fourier pairs, standardised
controls. Media columns come from the transforms (:mod:`cmokit.mmm.transforms`).

:func:`solve` is ridge least squares with non-negative media effects and a non-negative
intercept, solved exactly by one ``scipy.optimize.nnls`` call (free coefficients split into
± parts).

>>> import numpy as np, pandas as pd
>>> periods = pd.date_range("2024-01-01", periods=4, freq="W-MON")
>>> base_design(periods, np.arange(4.0), n_train=4, trend=True, changepoints=0, yearly=1).shape
(4, 4)
>>> base_names(trend=True, changepoints=1, yearly=1, controls=["holiday"])
['intercept', 'trend', 'trend_change_1', 'sin_1', 'cos_1', 'holiday']
"""

from __future__ import annotations

import numpy as np


def fourier(periods, order: int) -> np.ndarray:
    """``sin(2πk d/365.25), cos(2πk d/365.25)`` for k = 1..order, d = day of year."""
    import pandas as pd

    doy = pd.DatetimeIndex(periods).day_of_year.to_numpy(dtype=float)
    cols = []
    for k in range(1, order + 1):
        angle = 2.0 * np.pi * k * doy / 365.25
        cols += [np.sin(angle), np.cos(angle)]
    return np.column_stack(cols) if cols else np.zeros((len(doy), 0))


def knots(trend: bool, changepoints: int) -> np.ndarray:
    """Evenly spaced trend changepoints in (0, 1) (none without a trend)."""
    k = int(changepoints) if trend else 0
    return np.arange(1, k + 1) / (k + 1)


def base_design(periods, index: np.ndarray, *, n_train: int, trend: bool, changepoints: int, yearly: int,
                controls: np.ndarray | None = None, control_mean=None, control_scale=None) -> np.ndarray:
    """Baseline columns for periods at positions ``index`` (0 = first training period)."""
    cols = [np.ones(len(index))]
    if trend:
        u = np.asarray(index, float) / n_train
        cols.append(u)
        for knot in knots(trend, changepoints):
            cols.append(np.maximum(u - knot, 0.0))
    parts = [np.column_stack(cols), fourier(periods, yearly)]
    if controls is not None and controls.shape[1]:
        parts.append((controls - control_mean) / control_scale)
    return np.hstack(parts)


def base_names(*, trend: bool, changepoints: int, yearly: int, controls=()) -> list[str]:
    """Names of :func:`base_design`'s columns, in order."""
    names = ["intercept"] + (["trend"] if trend else [])
    names += [f"trend_change_{i + 1}" for i in range(len(knots(trend, changepoints)))]
    for k in range(1, yearly + 1):
        names += [f"sin_{k}", f"cos_{k}"]
    return names + list(controls)


def base_blocks(*, trend: bool, changepoints: int, yearly: int, controls=()) -> list[tuple[str, slice]]:
    """Component name and column slice of the baseline (intercept, trend, seasonality, each control)."""
    out = [("intercept", slice(0, 1))]
    col = 1
    if trend:
        width = 1 + len(knots(trend, changepoints))
        out.append(("trend", slice(col, col + width)))
        col += width
    if yearly:
        out.append(("seasonality", slice(col, col + 2 * yearly)))
        col += 2 * yearly
    for name in controls:
        out.append((name, slice(col, col + 1)))
        col += 1
    return out


def solve(base: np.ndarray, media: np.ndarray, y: np.ndarray, *, alpha: float, shrink=None, extra_rows=None):
    """Ridge least squares with media effects >= 0 and intercept >= 0; returns (coef, data SSE).

    ``alpha``: ridge penalty on every coefficient but the intercept. ``shrink``: per media
    column, True shrinks it towards zero as strongly as n observations (a channel whose spend
    barely varies is not identified apart from the baseline level). ``extra_rows``: (matrix,
    rhs) appended to the least squares (lift-test calibration), over the ± split columns.
    """
    from scipy.optimize import nnls

    n, p = base.shape
    c = media.shape[1]
    a = np.hstack([base, -base, media])
    penalty = np.sqrt(alpha) * np.ones(2 * p + c)
    penalty[[0, p]] = 0.0  # intercept unpenalised
    if shrink is not None:
        penalty[2 * p:][np.asarray(shrink, bool)] = np.sqrt(n)
    rows = [a, np.diag(penalty)]
    rhs = [y, np.zeros(2 * p + c)]
    if extra_rows is not None:
        rows.append(extra_rows[0])
        rhs.append(extra_rows[1])
    # The intercept is non-negative (no "-intercept" column), as Robyn's default: a channel whose
    # spend barely varies must not take over the baseline level with a negative intercept.
    keep = np.ones(2 * p + c, dtype=bool)
    keep[p] = False
    sol = np.zeros(2 * p + c)
    sol[keep], _ = nnls(np.vstack(rows)[:, keep], np.concatenate(rhs), maxiter=50 * (2 * p + c))
    coef = np.concatenate([sol[:p] - sol[p:2 * p], sol[2 * p:]])
    resid = y - np.hstack([base, media]) @ coef
    return coef, float(resid @ resid)


__all__ = ["base_blocks", "base_design", "base_names", "fourier", "knots", "solve"]
