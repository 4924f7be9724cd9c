"""Marketing-mix model: baseline + transformed media with non-negative effects.

For period t (Jin et al. 2017, eq. 5, without the Bayesian priors)::

    revenue_t = b0 + b1 * t/n + sum_k [c_k sin(2πk d_t/365.25) + s_k cos(2πk d_t/365.25)]
                + sum_j g_j z_jt + sum_c beta_c * S_c(A_c(spend_c)_t / m_c) + e_t

with adstock ``A_c`` (geometric or Weibull, :mod:`cmokit.mmm.transforms`), saturation
``S_c`` (Hill or logistic) applied to adstocked spend divided by ``m_c`` = mean weekly
spend × sum of adstock weights (so a channel's half saturation is in multiples of its
usual spend), controls ``z`` (standardised) and ``beta_c >= 0``.

Fitting, as in Robyn (Meta's open-source MMM):

1. Transform hyperparameters (decay, half saturation, shape, ...) are searched by SciPy's
   seeded ``differential_evolution`` on the negative log posterior ``n/2 log SSE - log
   prior(theta)`` (profile likelihood times the weak priors in ``HYPERPARAMETER_PRIORS``).
2. For each candidate the linear coefficients solve a ridge-penalised least squares with
   non-negative media effects (the free baseline coefficients are split into ± parts so
   one call of ``scipy.optimize.nnls`` solves it exactly).
3. Uncertainty: hyperparameters are drawn by random-walk Metropolis from the same
   posterior ``SSE(theta) ** (-n/2) * prior(theta)`` (linear coefficients profiled out,
   truncated to the search box); each bootstrap replicate takes one draw, resamples
   residuals in moving blocks (Künsch 1989) and refits the coefficients (lift measurements
   are redrawn from their standard errors). Percentiles of the replicates give
   ``*_lower`` / ``*_upper``.
4. Time-series cross-validation (expanding window, hyperparameters fixed at the best set)
   gives out-of-sample MAPE and NRMSE.

Lift-test calibration (Robyn's ``calibration_input``; pymc-marketing's lift-test
likelihood): a channel's measured incremental ROI ``r`` with standard error ``se`` adds
the pseudo-observation ``(ROI_c(beta) - r) / se`` to the least squares, weighted against
the data by the residual scale; ``se = 0`` makes it a (numerically) hard constraint.

References: Jin et al. (2017) "Bayesian Methods for Media Mix Modeling with Carryover and
Shape Effects"; Robyn documentation (NRMSE, DECOMP.RSSD); Storn & Price (1997)
differential evolution; Künsch (1989) block bootstrap.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 104
>>> tv = rng.gamma(2.0, 50.0, n)
>>> panel = pd.DataFrame({"period": pd.date_range("2023-01-02", periods=n, freq="W-MON"),
...     "tv": tv})
>>> panel["revenue"] = 1000 + 300 * hill(geometric_adstock(tv, 0.5) / (2 * tv.mean()), 1.0, 1.0) \\
...     + rng.normal(0, 5, n)
>>> mmm = MediaMixModel(channels=["tv"], max_lag=8, n_bootstrap=20, maxiter=15).fit(panel)
>>> mmm.summary_.loc[0, "channel"]
'tv'
>>> bool(mmm.diagnostics_["r2"] > 0.9)
True
"""

from __future__ import annotations

import numpy as np

from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, NotFittedError
from cmokit.mmm import calibration as calib
from cmokit.mmm.calibration import LiftTest
from cmokit.mmm.transforms import (
    apply_lag_weights,
    geometric_adstock,
    geometric_weights,
    hill,
    logistic_saturation,
    weibull_weights,
)

ADSTOCKS = {"geometric": ("decay",), "weibull": ("weibull_shape", "weibull_scale")}
SATURATIONS = {"hill": ("half_saturation", "shape"), "logistic": ("lam",)}
#: Coefficient of variation of spend below which a channel is flagged as not identified.
MIN_SPEND_CV = 0.1
DEFAULT_BOUNDS = {
    "decay": (0.0, 0.9),
    "weibull_shape": (0.3, 5.0),
    "weibull_scale": (0.5, 8.0),
    "half_saturation": (0.2, 3.0),
    "shape": (0.5, 3.0),
    "lam": (0.1, 5.0),
}
#: Weak prior per hyperparameter, added to the search objective as ``-log density``:
#: ``("beta", a, b)`` on the value, ``("lognormal", median, sd_of_log)``; absent = flat on
#: the search box. Decay ~ Beta(1, 3) (pymc-marketing's default for geometric adstock; mean
#: 1/4: short carry-over unless the data insist); Hill half saturation around the usual spend
#: (median 1, 90% within 0.44-2.3) and Hill shape around 1.5 (90% within 0.5-4.7). Without it the search
#: over-fits flat directions to the box edges (DECISIONS.md, marketing-mix model).
HYPERPARAMETER_PRIORS = {
    "decay": ("beta", 1.0, 3.0),
    "half_saturation": ("lognormal", 1.0, 0.5),
    "shape": ("lognormal", 1.5, 0.7),
}


def _as_pandas(frame):
    if type(frame).__module__.startswith("polars"):
        return frame.to_pandas()
    return frame


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


def _fourier(periods, order: int) -> np.ndarray:
    import pandas as pd

    doy = pd.DatetimeIndex(periods).day_of_year.to_numpy(dtype=float)
    cols = []
    for k in range(1, order + 1):
        angle = 2.0 * np.pi * k * doy / 365.25
        cols += [np.sin(angle), np.cos(angle)]
    return np.column_stack(cols) if cols else np.zeros((len(doy), 0))


class MediaMixModel(ParamsMixin):
    """Marketing-mix model fitted by ridge regression with non-negative media effects.

    Parameters
    ----------
    channels : list of str, optional
        Spend columns of the panel (default: every column named after a paid channel).
    controls : list of str
        Extra regressors in the panel (e.g. ``holiday``); effects of either sign.
    target : str
        Revenue column of the panel.
    adstock : {"geometric", "weibull"}
    saturation : {"hill", "logistic"}
    max_lag : int
        Longest carry-over in periods.
    bounds : dict, optional
        Search range per hyperparameter name (``decay``, ``half_saturation``, ``shape``,
        ``weibull_shape``, ``weibull_scale``, ``lam``); defaults in ``DEFAULT_BOUNDS``.
    yearly_seasonality : int
        Number of Fourier pairs for the yearly cycle (0 for none).
    trend : bool
        Include a linear trend.
    trend_changepoints : int
        Evenly spaced slope changes of a piecewise-linear trend (Prophet's trend without its
        prior; ridge-penalised like every coefficient). 0 keeps a straight line.
    alpha : float
        Ridge penalty on every coefficient but the intercept (revenue scaled to mean 1).
    calibration : list of LiftTest, optional
        Lift-test incremental ROIs to calibrate channels with.
    n_bootstrap : int
        Bootstrap replicates for the intervals.
    interval : float
        Coverage of the reported intervals and of the hyperparameter region.
    cv_folds : int
        Expanding-window folds for out-of-sample diagnostics (0 to skip).
    maxiter, popsize : int
        Differential-evolution budget.
    random_state : int
        Seed: the same data and seed give the same model.

    Attributes
    ----------
    hyperparameters_ : DataFrame
        One row per channel, one column per transform hyperparameter (best set).
    coef_ : dict
        Linear coefficients in revenue units (media: maximum contribution per period).
    summary_ : DataFrame
        Per channel: spend, contribution, ROI, marginal ROI with ``_lower``/``_upper``,
        shares of spend and effect, ``spend_cv`` (coefficient of variation of spend) and
        ``identified`` (``spend_cv >= MIN_SPEND_CV``: a channel spending the same every
        period cannot be told from the baseline, whatever its estimate), hyperparameters.
    diagnostics_ : dict
        r2, nrmse, mape (in sample), cv_mape, cv_nrmse, decomp_rssd, baseline_negative_share.
    """

    def __init__(self, channels=None, controls=(), target: str = "revenue", *,
                 adstock: str = "geometric", saturation: str = "hill", max_lag: int = 8,
                 bounds: dict | None = None, yearly_seasonality: int = 2, trend: bool = True,
                 trend_changepoints: int = 0,
                 alpha: float = 1e-3, calibration=None, n_bootstrap: int = 200,
                 interval: float = 0.9, cv_folds: int = 3, maxiter: int = 60, popsize: int = 10,
                 random_state: int = 0):
        self.channels = channels
        self.controls = controls
        self.target = target
        self.adstock = adstock
        self.saturation = saturation
        self.max_lag = max_lag
        self.bounds = bounds
        self.yearly_seasonality = yearly_seasonality
        self.trend = trend
        self.trend_changepoints = trend_changepoints
        self.alpha = alpha
        self.calibration = calibration
        self.n_bootstrap = n_bootstrap
        self.interval = interval
        self.cv_folds = cv_folds
        self.maxiter = maxiter
        self.popsize = popsize
        self.random_state = random_state

    # -- settings -------------------------------------------------------------
    def _check_settings(self):
        if self.adstock not in ADSTOCKS:
            raise ConfigError(f"adstock must be one of {sorted(ADSTOCKS)}, not {self.adstock!r}")
        if self.saturation not in SATURATIONS:
            raise ConfigError(f"saturation must be one of {sorted(SATURATIONS)}, not {self.saturation!r}")
        if not 0 < self.interval < 1:
            raise ConfigError(f"interval must be in (0, 1), got {self.interval!r}")
        unknown = set(self.bounds or {}) - set(DEFAULT_BOUNDS)
        if unknown:
            raise ConfigError(f"unknown hyperparameter(s) in bounds: {sorted(unknown)}; known: {sorted(DEFAULT_BOUNDS)}")

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of one channel's transform hyperparameters."""
        return ADSTOCKS[self.adstock] + SATURATIONS[self.saturation]

    def _search_bounds(self, n_channels: int) -> list[tuple[float, float]]:
        merged = {**DEFAULT_BOUNDS, **(self.bounds or {})}
        return [tuple(merged[name]) for name in self.param_names] * n_channels

    # -- transforms -----------------------------------------------------------
    def _weights(self, p: dict) -> np.ndarray:
        if self.adstock == "geometric":
            return geometric_weights(p["decay"], self.max_lag)
        return weibull_weights(p["weibull_shape"], p["weibull_scale"], self.max_lag, "cdf")

    def _saturate(self, x: np.ndarray, p: dict) -> np.ndarray:
        if self.saturation == "hill":
            return hill(x, p["half_saturation"], p["shape"])
        return logistic_saturation(x, p["lam"])

    def _log_prior(self, theta) -> float:
        """Log density (up to a constant) of ``HYPERPARAMETER_PRIORS`` at ``theta``."""
        out = 0.0
        for p in self._unpack(theta):
            for name, value in p.items():
                spec = HYPERPARAMETER_PRIORS.get(name)
                if spec is None:
                    continue
                if spec[0] == "beta":
                    v = min(max(value, 1e-9), 1 - 1e-9)
                    out += (spec[1] - 1) * np.log(v) + (spec[2] - 1) * np.log1p(-v)
                else:
                    z = (np.log(max(value, 1e-12)) - np.log(spec[1])) / spec[2]
                    out += -0.5 * z * z - np.log(max(value, 1e-12))
        return float(out)

    def _unpack(self, theta) -> list[dict]:
        k = len(self.param_names)
        return [dict(zip(self.param_names, theta[i * k:(i + 1) * k])) for i in range(len(theta) // k)]

    def _media_features(self, spend: np.ndarray, theta, spend_mean: np.ndarray) -> np.ndarray:
        """Saturated, adstocked spend (periods × channels), each column in [0, 1)."""
        out = np.empty_like(spend, dtype=float)
        for j, p in enumerate(self._unpack(theta)):
            if self.adstock == "geometric":
                ad = geometric_adstock(spend[:, j], p["decay"], self.max_lag)
                total_weight = geometric_weights(p["decay"], self.max_lag).sum()
            else:
                w = self._weights(p)
                ad = apply_lag_weights(spend[:, j], w)
                total_weight = w.sum()
            out[:, j] = self._saturate(ad / (spend_mean[j] * total_weight), p)
        return out

    def _steady_response(self, spend_per_period: np.ndarray, j: int, theta) -> np.ndarray:
        """Saturated feature of channel j at a constant spend per period (steady state)."""
        p = self._unpack(theta)[j]
        return self._saturate(np.asarray(spend_per_period, float) / self.spend_mean_[j], p)

    # -- design and solve -----------------------------------------------------
    def _base_design(self, periods, index: np.ndarray, controls: np.ndarray) -> np.ndarray:
        cols = [np.ones(len(index))]
        if self.trend:
            u = index / self.n_train_
            cols.append(u)
            for knot in self._knots():
                cols.append(np.maximum(u - knot, 0.0))
        parts = [np.column_stack(cols), _fourier(periods, self.yearly_seasonality)]
        if controls.shape[1]:
            parts.append((controls - self.control_mean_) / self.control_scale_)
        return np.hstack(parts)

    def _knots(self) -> np.ndarray:
        k = int(self.trend_changepoints) if self.trend else 0
        return np.arange(1, k + 1) / (k + 1)

    def _solve(self, base: np.ndarray, media: np.ndarray, y: np.ndarray, calib_rows=None):
        """Ridge least squares with media >= 0; returns (coef, data SSE)."""
        from scipy.optimize import nnls

        n, p = base.shape
        c = media.shape[1]
        a = np.hstack([base, -base, media])
        penalty = np.sqrt(self.alpha) * np.ones(2 * p + c)
        penalty[[0, p]] = 0.0  # intercept unpenalised
        # A channel whose spend barely varies is not identified apart from the baseline level: shrink
        # its effect towards zero (as strongly as n observations) unless a lift test says otherwise.
        penalty[2 * p:][~self._identified()] = np.sqrt(n)
        rows = [a, np.diag(penalty)]
        rhs = [y, np.zeros(2 * p + c)]
        if calib_rows is not None:
            rows.append(calib_rows[0])
            rhs.append(calib_rows[1])
        # The intercept is non-negative (no "-intercept" column), as Robyn's default: a channel whose
        # spend barely varies must not take over the baseline level with a negative intercept.
        keep = np.ones(2 * p + c, dtype=bool)
        keep[p] = False
        sol = np.zeros(2 * p + c)
        sol[keep], _ = nnls(np.vstack(rows)[:, keep], np.concatenate(rhs), maxiter=50 * (2 * p + c))
        coef = np.concatenate([sol[:p] - sol[p:2 * p], sol[2 * p:]])
        resid = y - np.hstack([base, media]) @ coef
        return coef, float(resid @ resid)

    def _spend_cv(self) -> np.ndarray:
        """Coefficient of variation of each channel's spend over the fitted periods."""
        return self.spend_history_.std(axis=0) / np.where(self.spend_mean_ > 0, self.spend_mean_, 1.0)

    def _identified(self) -> np.ndarray:
        """Per channel: does spend vary enough (coefficient of variation >= MIN_SPEND_CV)?"""
        return self._spend_cv() >= MIN_SPEND_CV

    def _lift_sensitivity(self, theta, media: np.ndarray) -> np.ndarray:
        """``k`` per lift test (ROI = k * beta in scaled units), see :mod:`cmokit.mmm.calibration`."""
        out = np.empty(len(self._lifts))
        for i, (lift, (j, cf_spend, change)) in enumerate(zip(self._lifts, self._lift_setup)):
            cf = None
            if cf_spend is not None:
                cf = self._media_features(cf_spend, theta, self.spend_mean_)[:, j]
            out[i] = calib.sensitivity(lift, media[:, j], self.spend_total_[j], self.y_scale_, cf, change,
                                       holdout=lift.method == "geo_holdout" or lift.spend_change is None)
        return out

    def _fit_coef(self, theta, base, spend, y, targets=None, sigma=None):
        """Coefficients at transform settings ``theta``; lift tests measured at ``targets``."""
        media = self._media_features(spend, theta, self.spend_mean_)
        rows = None
        if self._lifts:
            k = self._lift_sensitivity(theta, media)
            w = calib.weights(self._lifts, self._sigma if sigma is None else sigma)
            p, c = base.shape[1], media.shape[1]
            rows = calib.rows(k, self._lift_index, self._lift_values if targets is None else targets, w,
                              2 * p + c, 2 * p)
        coef, sse = self._solve(base, media, y, rows)
        return coef, sse, media

    # -- fit ------------------------------------------------------------------
    def fit(self, panel):
        """Fit to a panel (see :func:`cmokit.mmm.media_panel`); returns ``self``."""
        import pandas as pd
        from scipy.optimize import differential_evolution
        from cmokit.warehouse.contract import PAID_CHANNELS

        self._check_settings()
        lifts_from_panel = list(getattr(panel, "attrs", {}).get("lift_tests", ()))
        panel = _as_pandas(panel).reset_index(drop=True)
        if self.target not in panel.columns or "period" not in panel.columns:
            raise ConfigError(f"the panel needs 'period' and {self.target!r} columns; build it with cmokit.mmm.media_panel")
        channels = list(self.channels) if self.channels is not None else [c for c in PAID_CHANNELS if c in panel.columns]
        controls = list(self.controls or ())
        missing = [c for c in channels + controls if c not in panel.columns]
        if missing or not channels:
            raise ConfigError(f"panel lacks columns {missing or 'for any channel'}; it has {list(panel.columns)}")
        spend = panel[channels].to_numpy(dtype=float)
        if (spend < 0).any():
            raise ConfigError("spend must be non-negative")
        dead = [c for c, s in zip(channels, spend.sum(axis=0)) if s <= 0]
        if dead:
            raise ConfigError(f"channels without spend in the panel: {dead}; drop them from `channels`")
        self.channels_ = channels
        self.controls_ = controls
        lifts = self.calibration if self.calibration is not None else lifts_from_panel
        self._lifts = list(lifts or ())
        self._lift_values = np.array([lift.incremental_roi for lift in self._lifts], float)
        for lift in self._lifts:
            if lift.channel not in channels:
                raise ConfigError(f"lift test for {lift.channel!r}, which is not a modelled channel {channels}")
        self._lift_index = np.array([channels.index(lift.channel) for lift in self._lifts], int)
        self.calibration_ = list(self._lifts)

        n = len(panel)
        self.n_train_ = n
        self.periods_ = pd.DatetimeIndex(pd.to_datetime(panel["period"]))
        self.period_step_ = self.periods_[1] - self.periods_[0] if n > 1 else pd.Timedelta(days=7)
        self.spend_history_ = spend
        self.spend_mean_ = spend.mean(axis=0)
        self.spend_total_ = spend.sum(axis=0)
        y_raw = panel[self.target].to_numpy(dtype=float)
        self.y_scale_ = float(np.mean(np.abs(y_raw))) or 1.0
        y = y_raw / self.y_scale_
        ctrl = panel[controls].to_numpy(dtype=float) if controls else np.zeros((n, 0))
        self.control_mean_ = ctrl.mean(axis=0)
        self.control_scale_ = np.where(ctrl.std(axis=0) > 0, ctrl.std(axis=0), 1.0)
        self._ctrl_train = ctrl
        base = self._base_design(self.periods_, np.arange(n, dtype=float), ctrl)
        self._base_width = base.shape[1]
        self._lift_setup = []
        for lift, j in zip(self._lifts, self._lift_index):
            mask = calib.window_mask(lift, self.periods_)
            if mask is None:
                self._lift_setup.append((j, None, None))
                continue
            cf_j, change = calib.counterfactual(lift, spend[:, j], mask)
            cf = spend.copy()
            cf[:, j] = cf_j
            self._lift_setup.append((j, cf, change))

        bounds = self._search_bounds(len(channels))
        mid = np.array([(lo + hi) / 2 for lo, hi in bounds])
        self._sigma = 1.0
        if self._lifts:  # residual scale that weighs a lift test against the data
            _, sse0, _ = self._fit_coef(mid, base, spend, y, sigma=1.0)
            self._sigma = max(np.sqrt(sse0 / n), 1e-6)

        def objective_plain(theta):
            # negative log posterior: profile likelihood (n/2 log SSE) minus the log prior
            coef, sse, media = self._fit_coef(theta, base, spend, y)
            misfit = sse + self._penalty(coef, media, base.shape[1], theta)
            return 0.5 * n * np.log(max(misfit, 1e-300)) - self._log_prior(theta)

        result = differential_evolution(
            objective_plain, bounds, seed=self.random_state, maxiter=self.maxiter,
            popsize=self.popsize, tol=1e-8, polish=False, init="sobol")
        theta = np.asarray(result.x)
        coef, sse, media = self._fit_coef(theta, base, spend, y)
        self.theta_ = theta
        self._coef_scaled = coef
        self.search_ = {"evaluations": int(result.nfev), "objective": float(result.fun),
                        "generations": int(result.nit)}

        self.hyperparameter_draws_ = self._sample_hyperparameters(objective_plain, theta, bounds, n)

        self._bootstrap(base, spend, y)
        self._diagnostics(base, spend, y, media)
        self._summarise()
        return self

    def _sample_hyperparameters(self, objective, start, bounds, n: int) -> np.ndarray:
        """Random-walk Metropolis draws of the transform hyperparameters.

        Target: ``exp(-objective)``, the search's posterior ``SSE(theta) ** (-n / 2) *
        prior(theta)`` (Gaussian errors, linear coefficients profiled out, truncated to the
        search bounds). Steps adapt during burn-in towards a 25% acceptance rate; walls
        reflect. Seeded by ``random_state``.
        """
        rng = np.random.default_rng(self.random_state + 1)
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        width = hi - lo
        n_draws = max(int(self.n_bootstrap), 1)
        burn, thin = 1000, 10
        step = 0.05
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
        self.search_["acceptance_rate"] = accepted / (burn + n_draws * thin)
        return np.array(draws)

    def _penalty(self, coef, media, p: int, theta) -> float:
        """Calibration misfit counted in the search objective (0 without lift tests)."""
        if not self._lifts:
            return 0.0
        k = self._lift_sensitivity(theta, media)
        return calib.misfit(coef[p:], k, self._lift_index, self._lift_values, calib.weights(self._lifts, self._sigma))

    def _bootstrap(self, base, spend, y):
        rng = np.random.default_rng(self.random_state)
        n = len(y)
        block = max(1, int(round(n ** (1 / 3))))
        region = self.hyperparameter_draws_
        measured = self._lift_values.copy()
        errors = np.array([lift.std_error for lift in self._lifts], float)
        thetas, coefs = [], []
        for b in range(int(self.n_bootstrap)):
            theta = region[b % len(region)]
            coef, _, media = self._fit_coef(theta, base, spend, y, targets=measured)
            # resample the lift measurements too (parametric, from their standard errors)
            redrawn = measured + errors * rng.standard_normal(len(errors))
            fitted = np.hstack([base, media]) @ coef
            resid = y - fitted
            starts = rng.integers(0, n, size=int(np.ceil(n / block)))
            idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:n] % n
            coef_b, _, _ = self._fit_coef(theta, base, spend, fitted + resid[idx], targets=redrawn)
            thetas.append(theta)
            coefs.append(coef_b)
        self.theta_draws_ = np.array(thetas).reshape(len(thetas), -1)
        self._coef_draws = np.array(coefs).reshape(len(coefs), -1)

    # -- decomposition --------------------------------------------------------
    def _components(self, coef, theta, base, spend) -> dict[str, np.ndarray]:
        """Contribution per component in revenue units (dict name -> per-period array)."""
        media = self._media_features(spend, theta, self.spend_mean_)
        p = base.shape[1]
        out = {"intercept": base[:, 0] * coef[0]}
        col = 1
        if self.trend:
            width = 1 + len(self._knots())
            out["trend"] = base[:, col:col + width] @ coef[col:col + width]
            col += width
        k = 2 * self.yearly_seasonality
        if k:
            out["seasonality"] = base[:, col:col + k] @ coef[col:col + k]
            col += k
        for name in self.controls_:
            out[name] = base[:, col] * coef[col]
            col += 1
        for j, name in enumerate(self.channels_):
            out[name] = media[:, j] * coef[p + j]
        return {k: v * self.y_scale_ for k, v in out.items()}

    def _diagnostics(self, base, spend, y, media):
        fitted = np.hstack([base, media]) @ self._coef_scaled
        y_raw, f_raw = y * self.y_scale_, fitted * self.y_scale_
        resid = y_raw - f_raw
        ss_tot = float(((y_raw - y_raw.mean()) ** 2).sum())
        rng_y = float(y_raw.max() - y_raw.min()) or 1.0
        nonzero = y_raw != 0
        comps = self._components(self._coef_scaled, self.theta_, base, spend)
        effect = np.array([comps[c].sum() for c in self.channels_])
        effect_share = effect / effect.sum() if effect.sum() > 0 else effect
        spend_share = self.spend_total_ / self.spend_total_.sum()
        baseline = f_raw - sum(comps[c] for c in self.channels_)
        self.fitted_ = f_raw
        self.residual_sd_ = float(np.sqrt(np.mean(resid ** 2)))
        self.diagnostics_ = {
            "r2": 1.0 - float(resid @ resid) / ss_tot if ss_tot > 0 else float("nan"),
            "nrmse": float(np.sqrt(np.mean(resid ** 2)) / rng_y),
            "mape": float(np.mean(np.abs(resid[nonzero] / y_raw[nonzero]))),
            "decomp_rssd": float(np.sqrt(((effect_share - spend_share) ** 2).sum())),
            "media_share": float(effect.sum() / f_raw.sum()) if f_raw.sum() else float("nan"),
            "baseline_negative_share": float(np.mean(baseline < 0)),
            **self._cross_validate(base, spend, y),
        }

    def _cross_validate(self, base, spend, y) -> dict[str, float]:
        n = len(y)
        folds = int(self.cv_folds)
        if folds <= 0 or n < 4 * (folds + 1):
            return {"cv_mape": float("nan"), "cv_nrmse": float("nan")}
        test = n // (folds + 2)
        ape, sq, ys = [], [], []
        media = self._media_features(spend, self.theta_, self.spend_mean_)
        for f in range(folds):
            stop = n - (folds - f) * test
            tr, te = slice(0, stop), slice(stop, stop + test)
            coef, _ = self._solve(base[tr], media[tr], y[tr])
            pred = np.hstack([base[te], media[te]]) @ coef
            ape.append(np.abs(pred - y[te]) / np.where(y[te] != 0, np.abs(y[te]), np.nan))
            sq.append((pred - y[te]) ** 2)
            ys.append(y[te])
        ys_all = np.concatenate(ys)
        return {"cv_mape": float(np.nanmean(np.concatenate(ape))),
                "cv_nrmse": float(np.sqrt(np.mean(np.concatenate(sq))) / (np.ptp(y) or 1.0))}

    def _channel_stats(self, coef, theta, base, spend, bump: float = 0.01):
        comps = self._components(coef, theta, base, spend)
        contrib = np.array([comps[c].sum() for c in self.channels_])
        roi = contrib / self.spend_total_
        media_up = self._media_features(spend * (1 + bump), theta, self.spend_mean_)
        p = base.shape[1]
        up = (media_up * coef[p:]).sum(axis=0) * self.y_scale_
        mroi = (up - contrib) / (bump * self.spend_total_)
        return contrib, roi, mroi

    def _summarise(self):
        import pandas as pd

        base = self._train_base()
        spend = self.spend_history_
        contrib, roi, mroi = self._channel_stats(self._coef_scaled, self.theta_, base, spend)
        draws = [self._channel_stats(c, t, base, spend) for c, t in zip(self._coef_draws, self.theta_draws_)]
        table = pd.DataFrame({"channel": self.channels_, "spend": self.spend_total_})
        for i, name in enumerate(["contribution", "roi", "marginal_roi"]):
            point = (contrib, roi, mroi)[i]
            stack = np.array([d[i] for d in draws]) if draws else point[None, :]
            table[name] = point
            table[f"{name}_lower"], table[f"{name}_upper"] = centred_interval(point, stack, self.interval, 0.0)
        table["share_of_spend"] = self.spend_total_ / self.spend_total_.sum()
        # a channel whose spend barely moves cannot be told apart from the baseline level
        table["spend_cv"] = self._spend_cv()
        table["identified"] = self._identified()
        table["calibrated"] = [ch in {lift.channel for lift in self._lifts} for ch in self.channels_]
        table["share_of_effect"] = contrib / contrib.sum() if contrib.sum() > 0 else 0.0
        hyper = pd.DataFrame(self._unpack(self.theta_))
        self.hyperparameters_ = pd.concat([table[["channel"]], hyper], axis=1)
        self.summary_ = pd.concat([table, hyper], axis=1)
        self.coef_ = self._named_coef(self._coef_scaled)

    def _named_coef(self, coef) -> dict[str, float]:
        names = ["intercept"] + (["trend"] if self.trend else [])
        names += [f"trend_change_{i + 1}" for i in range(len(self._knots()))]
        for k in range(1, self.yearly_seasonality + 1):
            names += [f"sin_{k}", f"cos_{k}"]
        names += list(self.controls_) + list(self.channels_)
        return {nm: float(v * self.y_scale_) for nm, v in zip(names, coef)}

    def _train_base(self):
        return self._base_design(self.periods_, np.arange(self.n_train_, dtype=float),
                                 self._train_controls())

    def _train_controls(self):
        return self._ctrl_train

    def _check_fitted(self):
        if not hasattr(self, "summary_"):
            raise NotFittedError("this MediaMixModel is not fitted yet: call .fit(panel) first")

    # -- outputs --------------------------------------------------------------
    def contributions(self):
        """Contribution per component per period, tidy, with bootstrap intervals.

        Columns: period, component (intercept, trend, seasonality, controls, channels),
        contribution, contribution_lower, contribution_upper (revenue units).
        """
        import pandas as pd

        self._check_fitted()
        base, spend = self._train_base(), self.spend_history_
        point = self._components(self._coef_scaled, self.theta_, base, spend)
        draws = [self._components(c, t, base, spend) for c, t in zip(self._coef_draws, self.theta_draws_)]
        frames = []
        for name, values in point.items():
            stack = np.array([d[name] for d in draws]) if draws else values[None, :]
            lower, upper = centred_interval(values, stack, self.interval,
                                            0.0 if name in self.channels_ else None)
            frames.append(pd.DataFrame({
                "period": self.periods_, "component": name, "contribution": values,
                "contribution_lower": lower, "contribution_upper": upper}))
        return pd.concat(frames, ignore_index=True)

    def roi(self):
        """ROI and marginal ROI per channel with intervals (a view of ``summary_``)."""
        self._check_fitted()
        cols = ["channel", "spend", "contribution", "contribution_lower", "contribution_upper",
                "roi", "roi_lower", "roi_upper", "marginal_roi", "marginal_roi_lower", "marginal_roi_upper",
                "spend_cv", "identified", "calibrated"]
        return self.summary_[cols].copy()

    def response(self, channel: str, spend_per_period, draws: bool = False):
        """Steady-state revenue per period from a constant spend per period.

        Returns an array (or, with ``draws=True``, replicates × points).
        """
        self._check_fitted()
        j = self._channel_index(channel)
        s = np.atleast_1d(np.asarray(spend_per_period, float))
        p = self._base_width
        if draws:
            return np.array([c[p + j] * self._steady_response(s, j, t) for c, t in
                             zip(self._coef_draws, self.theta_draws_)]) * self.y_scale_
        return self._coef_scaled[p + j] * self._steady_response(s, j, self.theta_) * self.y_scale_

    def response_curves(self, n_points: int = 41, max_multiplier: float = 2.0):
        """Response curve per channel, tidy: channel, spend (per period), revenue, lower, upper,
        marginal_roi, is_current (the point at the historical mean spend)."""
        import pandas as pd

        self._check_fitted()
        frames = []
        mult = np.linspace(0.0, max_multiplier, n_points)
        if not np.isclose(mult, 1.0).any():
            mult = np.sort(np.append(mult, 1.0))
        for j, ch in enumerate(self.channels_):
            s = mult * self.spend_mean_[j]
            rev = self.response(ch, s)
            lower, upper = centred_interval(rev, self.response(ch, s, draws=True), self.interval, 0.0)
            eps = 1e-3 * self.spend_mean_[j]
            frames.append(pd.DataFrame({
                "channel": ch, "spend": s, "revenue": rev,
                "revenue_lower": lower, "revenue_upper": upper,
                "marginal_roi": (self.response(ch, s + eps) - rev) / eps,
                "is_current": np.isclose(mult, 1.0)}))
        return pd.concat(frames, ignore_index=True)

    def adstock_curves(self):
        """Adstock lag weights per channel, tidy: channel, lag, weight, share (weight / sum)."""
        import pandas as pd

        self._check_fitted()
        frames = []
        for ch, p in zip(self.channels_, self._unpack(self.theta_)):
            w = self._weights(p)
            frames.append(pd.DataFrame({"channel": ch, "lag": np.arange(len(w)), "weight": w,
                                        "share": w / w.sum()}))
        return pd.concat(frames, ignore_index=True)

    def predict(self, panel, *, history: bool = True, draws: bool = False):
        """Predicted revenue for a panel of spend (and controls) per period.

        With ``history=True`` and periods after the training data, the training spend is
        prepended so carry-over continues, and the trend index continues from the end of
        training. Returns a DataFrame: period, revenue, revenue_lower, revenue_upper,
        media_revenue (and the replicates × periods array when ``draws=True``).
        """
        import pandas as pd

        self._check_fitted()
        panel = _as_pandas(panel).reset_index(drop=True)
        missing = [c for c in self.channels_ + self.controls_ if c not in panel.columns]
        if missing or "period" not in panel.columns:
            raise ConfigError(f"the plan needs 'period' and columns {missing}")
        periods = pd.DatetimeIndex(pd.to_datetime(panel["period"]))
        spend = panel[self.channels_].to_numpy(dtype=float)
        ctrl = panel[self.controls_].to_numpy(dtype=float) if self.controls_ else np.zeros((len(panel), 0))
        after = history and periods.min() > self.periods_.max()
        if after:
            step = self._period_step()
            start = self.n_train_ + int(round((periods.min() - self.periods_.max()) / step)) - 1
            index = start + np.arange(len(panel), dtype=float)
            full_spend = np.vstack([self.spend_history_, spend])
        else:
            pos = self.periods_.get_indexer(periods)
            index = np.where(pos >= 0, pos, np.arange(len(panel))).astype(float)
            full_spend = spend
        base = self._base_design(periods, index, ctrl)
        tail = slice(full_spend.shape[0] - len(panel), None)
        p = base.shape[1]

        def one(coef, theta):
            media = self._media_features(full_spend, theta, self.spend_mean_)[tail]
            return (base @ coef[:p]) * self.y_scale_, (media @ coef[p:]) * self.y_scale_

        base_rev, media_rev = one(self._coef_scaled, self.theta_)
        reps = np.array([np.add(*one(c, t)) for c, t in zip(self._coef_draws, self.theta_draws_)])
        lower, upper = centred_interval(base_rev + media_rev, reps, self.interval)
        out = pd.DataFrame({"period": periods, "revenue": base_rev + media_rev,
                            "revenue_lower": lower, "revenue_upper": upper,
                            "media_revenue": media_rev})
        return (out, reps) if draws else out

    def _period_step(self):
        import pandas as pd

        if self.n_train_ > 1:
            return self.periods_[1] - self.periods_[0]
        return pd.Timedelta(days=7)

    def _channel_index(self, channel: str) -> int:
        if channel not in self.channels_:
            raise ConfigError(f"unknown channel {channel!r}; the model has {self.channels_}")
        return self.channels_.index(channel)


def fit_media_mix(panel, **settings) -> MediaMixModel:
    """One-shot: ``MediaMixModel(**settings).fit(panel)``."""
    return MediaMixModel(**settings).fit(panel)


__all__ = ["ADSTOCKS", "DEFAULT_BOUNDS", "HYPERPARAMETER_PRIORS", "LiftTest", "MediaMixModel", "SATURATIONS", "centred_interval", "fit_media_mix"]
