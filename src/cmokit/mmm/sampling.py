"""Uncertainty of the marketing-mix model as pure functions: priors, Metropolis, block bootstrap.

* :func:`log_prior` -- weak priors on transform hyperparameters (``("beta", a, b)`` on the
  value, ``("lognormal", median, sd_of_log)``; absent = flat on the search box).
* :func:`metropolis` -- random-walk Metropolis on ``exp(-objective)``, truncated to the search
  box (walls reflect), steps adapted during burn-in towards a 25 % acceptance rate.
* :func:`block_indices` -- moving-block resampling indices (Künsch 1989), blocks of ``n^(1/3)``.
* :func:`bootstrap` -- per replicate: one hyperparameter draw, residuals resampled in moving
  blocks, lift measurements redrawn from their standard errors, coefficients refitted.
* :func:`centred_interval` -- replicate spread around the point estimate.

>>> import numpy as np
>>> draws, rate = metropolis(lambda x: 0.5 * float(x @ x), np.zeros(1), [(-5.0, 5.0)], 200,
...                          np.random.default_rng(0))
>>> draws.shape, bool(abs(draws.mean()) < 0.5)
((200, 1), True)
>>> block_indices(5, np.random.default_rng(1)).shape
(5,)
"""

from __future__ import annotations

import numpy as np


def log_prior(params: list[dict], priors: dict) -> float:
    """Log density (up to a constant) of ``priors`` at one dict of hyperparameters per channel."""
    out = 0.0
    for p in params:
        for name, value in p.items():
            spec = priors.get(name)
            if spec is None:
                continue
            if spec[0] == "beta":
                v = min(max(value, 1e-9), 1 - 1e-9)
                out += (spec[1] - 1) * np.log(v) + (spec[2] - 1) * np.log1p(-v)
            else:
                z = (np.log(max(value, 1e-12)) - np.log(spec[1])) / spec[2]
                out += -0.5 * z * z - np.log(max(value, 1e-12))
    return float(out)


def metropolis(objective, start, bounds, n_draws: int, rng, *, burn: int = 1000, thin: int = 10,
               step: float = 0.05) -> tuple[np.ndarray, float]:
    """Draws from ``exp(-objective)`` on the box ``bounds``; returns (draws, acceptance rate)."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    width = hi - lo
    n_draws = max(int(n_draws), 1)
    x = np.array(start, float)
    logp = -objective(x)
    draws, accepted = [], 0
    for i in range(burn + n_draws * thin):
        prop = x + step * width * rng.standard_normal(len(x))
        prop = np.where(prop < lo, 2 * lo - prop, prop)
        prop = np.where(prop > hi, 2 * hi - prop, prop)
        prop = np.clip(prop, lo, hi)
        lp = -objective(prop)
        if np.log(rng.random()) < lp - logp:
            x, logp = prop, lp
            accepted += 1
        if i < burn and (i + 1) % 50 == 0:
            rate = accepted / (i + 1)
            step *= 1.5 if rate > 0.3 else (0.6 if rate < 0.2 else 1.0)
        if i >= burn and (i - burn) % thin == 0:
            draws.append(x.copy())
    return np.array(draws), accepted / (burn + n_draws * thin)


def block_indices(n: int, rng, block: int | None = None) -> np.ndarray:
    """Moving-block bootstrap indices of a series of length ``n`` (circular)."""
    block = block or max(1, int(round(n ** (1 / 3))))
    starts = rng.integers(0, n, size=int(np.ceil(n / block)))
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:n] % n


def bootstrap(fit, region: np.ndarray, y: np.ndarray, measured: np.ndarray, errors: np.ndarray,
              n_replicates: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of (hyperparameters, coefficients).

    ``fit(theta, y, targets) -> (coef, fitted)`` refits the coefficients at hyperparameters
    ``theta`` on ``y`` with lift tests measured at ``targets``. Replicate b takes
    ``region[b % len(region)]``, fits the data, redraws the lift measurements, resamples the
    residuals in moving blocks and refits.
    """
    thetas, coefs = [], []
    for b in range(int(n_replicates)):
        theta = region[b % len(region)]
        _, fitted = fit(theta, y, measured)
        redrawn = measured + errors * rng.standard_normal(len(errors))
        resid = y - fitted
        coef_b, _ = fit(theta, fitted + resid[block_indices(len(y), rng)], redrawn)
        thetas.append(theta)
        coefs.append(coef_b)
    return np.array(thetas).reshape(len(thetas), -1), np.array(coefs).reshape(len(coefs), -1)


def centred_interval(point, draws, level: float, floor: float | None = None):
    """Bootstrap interval re-centred on the point estimate.

    ``point + quantiles(draws - median(draws))``: the replicates give the spread, the
    fit on the real data gives the centre (a residual bootstrap of a misspecified model
    can drift from the point estimate; this keeps the estimate inside its interval).
    """
    point = np.asarray(point, float)
    draws = np.asarray(draws, float)
    if draws.shape[0] == 0:
        return point.copy(), point.copy()
    dev = draws - np.median(draws, axis=0)
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    lower, upper = point + np.quantile(dev, lo_q, axis=0), point + np.quantile(dev, hi_q, axis=0)
    if floor is not None:  # e.g. non-negative media effects
        lower = np.maximum(lower, floor)
    return lower, upper


__all__ = ["block_indices", "bootstrap", "centred_interval", "log_prior", "metropolis"]
