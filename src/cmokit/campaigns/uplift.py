"""Uplift modelling: who does a campaign actually move?

Estimators of the conditional average treatment effect ``tau(x) = E[Y | x, T=1] - E[Y | x, T=0]``
on scikit-learn models, their evaluation, and a consent-respecting targeting list.

* :class:`TLearner` -- two models, one per arm; ``tau(x) = mu1(x) - mu0(x)`` (Kunzel, Sekhon,
  Bickel & Yu 2019, "T-learner"). Any outcome (conversion or revenue).
* :class:`XLearner` -- imputed individual effects modelled per arm and blended by the
  propensity (Kunzel et al. 2019, "X-learner"). Any outcome.
* :class:`ClassTransformation` -- one classifier of ``z = y t + (1 - y)(1 - t)`` for a binary
  outcome; with arms weighted to equal size, ``tau(x) = 2 P(z = 1 | x) - 1`` (Jaskowski &
  Jaroszewicz 2012).
* Qini curve ``Q(k) = Y_t(k) - Y_c(k) N_t(k) / N_c(k)`` and uplift curve
  ``U(k) = (Y_t(k)/N_t(k) - Y_c(k)/N_c(k)) (N_t(k) + N_c(k))`` over the top-k customers by
  predicted uplift (Radcliffe 2007; Gutierrez & Gerardy 2017). :func:`qini_coefficient` and
  :func:`auuc` are the areas between the curve and random targeting (the straight line to the
  same end point), averaged over the targeted share; ``normalize=True`` divides by the area of
  the perfect ranking (treated customers by outcome first, control customers by outcome last).
* :func:`uplift_by_share` -- the uplift curve read at chosen shares: among the customers ranked
  in the top share by (out-of-fold) predicted uplift, the observed difference in mean outcome
  between treated and control, with a Welch interval, and that difference times the customers in
  the share (``U(k)``).
* Targeting: :func:`targeting_list` keeps only ``marketing_consent`` customers;
  :func:`targeting_value` compares the incremental revenue of contacting the top-k with contacting
  every consenting customer and no one, measured on the randomised experiment from out-of-fold
  rankings (:func:`uplift_by_share`). Summed predictions of a model fitted on the same customers
  overstate the top of the list (winner's curse: the top is selected partly on noise), so they are
  reported only as ``predicted_incremental_revenue``, labelled model-based.

Features (:func:`customer_features`) are computed in the engine as of a day (UTC, inclusive:
that day's orders count; ``as_of=None`` = the latest order day): tenure, recency, frequency and
revenue over a look-back window, consent and acquisition channel indicators. An experiment's
training features (:func:`uplift_features`) are taken as of the day before it starts, so no
order of the experiment window leaks into them.

The estimators follow scikit-learn's conventions (``fit`` returns ``self``, ``clone`` works)
without importing scikit-learn until they are fitted; ``predict`` on a frame with a
``customer_id`` column returns a frame (``customer_id``, ``predicted_uplift``) of the same kind.

>>> import numpy as np
>>> from cmokit.campaigns.uplift import qini_coefficient
>>> y = np.array([1, 0, 0, 0, 1, 0]); t = np.array([1, 1, 0, 0, 0, 1])
>>> round(qini_coefficient(y, t, np.array([.9, .1, .2, .3, .0, .05])), 3)
0.833
"""

from __future__ import annotations

import numpy as np

from cmokit._frames import kind_of, like, to_pandas
from cmokit._inputs import snapshot
from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, NotFittedError
from cmokit.warehouse.connect import resolve
from cmokit.warehouse.contract import CHANNELS

#: Numeric feature columns produced by :func:`customer_features` (names and definitions from
#: :mod:`cmokit.features`: ``frequency`` = all orders, ``orders_365d`` / ``revenue_365d`` = the
#: look-back window, ``days_since_signup`` = days since first seen, ``marketing_consent`` = 1.0 when
#: contactable under :func:`cmokit.features.contactable`).
FEATURES = ("days_since_signup", "recency_days", "orders_365d", "revenue_365d", "frequency", "average_order_value",
            "orders_per_week", "marketing_consent",
            *(f"acq_{c}" for c in CHANNELS))


# --- features in the engine -------------------------------------------------------------------

def customer_features_expr(wh, as_of, *, lookback_days: int = 365, revenue: str = "net"):
    """Ibis expression: one row per customer first seen by the UTC day ``as_of`` (inclusive) with
    :data:`FEATURES`, built by the shared :func:`cmokit.features.customer_features_expr`
    (revenue net of the refunds booked by ``as_of`` unless ``revenue="gross"`` or the warehouse
    has no ``refunds`` table; guest orders left out)."""
    from cmokit.features import customer_features_expr as build
    from cmokit.revenue import refunds_of

    if int(lookback_days) != 365:
        raise ConfigError("uplift features use a 365-day look-back (orders_365d, revenue_365d); for other "
                          "windows build features with cmokit.features.customer_features(..., windows=...)")
    return build(wh.table("orders"), as_of, customers=wh.table("customers"), no_order_days=2 * int(lookback_days),
                 refunds=refunds_of(wh, revenue))


#: Contract tables and columns the features read.
FEATURE_NEEDS = {"customers": ("customer_id", "first_seen_at", "marketing_consent", "acquisition_channel"),
                 "orders": ("order_id", "customer_id", "ordered_at", "revenue")}


def customer_features(source, as_of=None, *, lookback_days: int = 365):
    """Per-customer uplift features as of ``as_of`` (see :data:`FEATURES`), with consent flag.

    ``as_of`` is a UTC day, inclusive (orders on it count); ``None`` (default) is the latest
    order day in the data.
    """
    res = resolve(source, "customers")
    for name, columns in FEATURE_NEEDS.items():
        res.table(name, columns, nonempty=name == "customers")
    return res.execute(customer_features_expr(res.warehouse, snapshot(res, as_of), lookback_days=lookback_days))


def uplift_features(source, experiment_id: str, *, variant: str | None = None, lookback_days: int = 365,
                    as_of=None):
    """Training frame for one experiment: features, ``treatment`` (0/1), outcomes.

    Features are as of the day before the experiment starts (inclusive), so they hold no
    order of the experiment window. ``variant`` picks one treatment arm (with control); by
    default every non-control arm counts as treated. Outcomes: ``converted``, ``orders``,
    ``revenue`` in the experiment window, counting orders up to ``as_of`` (a UTC day,
    inclusive; ``None`` = the latest order day). An unknown ``experiment_id`` is a
    :class:`~cmokit.errors.ContractError` listing the known ones.
    """
    import datetime as dt

    from cmokit.campaigns.experiments import CONTROL, NEEDS, _read, outcomes_expr
    from cmokit.engine import as_of_date

    res = _read(source, experiment_id, {**NEEDS, **FEATURE_NEEDS}, also_nonempty=("customers",))
    wh = res.warehouse
    e = wh.table("experiments")
    start = wh.execute(e.filter(e.experiment_id == experiment_id).starts_on.max(), output="pandas")
    out = outcomes_expr(wh, experiment_id, as_of=snapshot(res, as_of))
    out = out.select("customer_id", "variant", "converted", "orders", "revenue")
    if variant is not None:
        out = out.filter(out.variant.isin([CONTROL, variant]))
    feats = customer_features_expr(wh, as_of_date(start) - dt.timedelta(days=1), lookback_days=lookback_days)
    j = out.join(feats, "customer_id")
    j = j.mutate(treatment=(j.variant != CONTROL).cast("int64")).order_by("customer_id")
    return res.execute(j)


# --- estimators -------------------------------------------------------------------------------

def _matrix(X):
    if kind_of(X) is not None:
        X = to_pandas(X)
        cols = [c for c in FEATURES if c in X.columns] or [c for c in X.columns if c != "customer_id"]
        X = X[cols].to_numpy()
    return np.asarray(X, dtype=float)


def _keyed(X, uplift):
    """``uplift`` as a frame keyed by ``customer_id`` when ``X`` is a frame with one (same kind)."""
    if kind_of(X) is None or "customer_id" not in to_pandas(X).columns:
        return uplift
    import pandas as pd

    ids = to_pandas(X)["customer_id"].to_numpy()
    return like(pd.DataFrame({"customer_id": ids, "predicted_uplift": uplift}), X)


def _fit_inputs(X, treatment, y):
    X, t, y = _matrix(X), np.asarray(treatment), np.asarray(y, dtype=float)
    if len(X) != len(t) or len(X) != len(y):
        raise ConfigError(f"X, treatment and y must have the same length ({len(X)}, {len(t)}, {len(y)})")
    if np.isnan(X).any() or np.isnan(y).any():
        raise ConfigError("X and y must not contain missing values (NaN)")
    return X, t.astype(int), y


def _is_binary(y):
    vals = np.unique(y)
    return len(vals) <= 2 and set(vals.tolist()) <= {0.0, 1.0}


def _signed_log(x):
    return np.sign(x) * np.log1p(np.abs(x))


def _default_model(binary: bool, random_state):
    """Regularised linear outcome model on signed-log, standardised features.

    Pilots are small (a few thousand customers per arm): on the sample a linear model ranked
    uplift better out of fold than gradient boosting, at a fraction of the time.
    """
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    last = LogisticRegression(C=1.0, max_iter=1000) if binary else Ridge(alpha=10.0)
    return make_pipeline(FunctionTransformer(_signed_log), StandardScaler(), last)


def _fit_weighted(model, X, y, weight):
    """Fit with sample weights, routed to the last step of a Pipeline."""
    if hasattr(model, "steps"):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": weight})
    return model.fit(X, y, sample_weight=weight)


def _predict(model, X):
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


class TLearner(ParamsMixin):
    """Two-model uplift estimator: one outcome model per arm, uplift = difference.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        Cloned for each arm; a classifier's ``predict_proba`` is used for binary outcomes.
        Default: a regularised linear model on signed-log standardised features (logistic
        regression for 0/1 outcomes, ridge otherwise).
    random_state : int
        Seed of the default estimator.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(4000, 2)); t = rng.integers(0, 2, 4000)
    >>> y = X[:, 0] + t * (X[:, 1] > 0) + rng.normal(size=4000) * 0.1
    >>> from sklearn.linear_model import LinearRegression
    >>> m = TLearner(LinearRegression()).fit(X, t, y)
    >>> bool(m.predict(np.array([[0, 2.0]]))[0] > m.predict(np.array([[0, -2.0]]))[0])
    True
    """

    def __init__(self, estimator=None, random_state: int = 0):
        self.estimator = estimator
        self.random_state = random_state

    def fit(self, X, treatment, y):
        from sklearn.base import clone

        X, t, y = _fit_inputs(X, treatment, y)
        if set(np.unique(t).tolist()) != {0, 1}:
            raise ConfigError("treatment must contain both 0 (control) and 1 (treated)")
        base = self.estimator if self.estimator is not None else _default_model(_is_binary(y), self.random_state)
        self.model_control_ = clone(base).fit(X[t == 0], y[t == 0])
        self.model_treatment_ = clone(base).fit(X[t == 1], y[t == 1])
        self.treated_share_ = float(t.mean())
        return self

    def predict(self, X):
        """Predicted uplift ``mu1(x) - mu0(x)`` per row (a frame keyed by ``customer_id`` when
        ``X`` is a frame with one, else an array)."""
        if not hasattr(self, "model_treatment_"):
            raise NotFittedError("TLearner is not fitted yet: call fit(X, treatment, y) first")
        Xm = _matrix(X)
        return _keyed(X, _predict(self.model_treatment_, Xm) - _predict(self.model_control_, Xm))


class XLearner(ParamsMixin):
    """X-learner (Kunzel, Sekhon, Bickel & Yu 2019): impute each customer's effect, then model it.

    Stage 1 fits one outcome model per arm (as the T-learner). Stage 2 fits ``tau1`` on the
    treated customers' imputed effects ``y - mu0(x)`` and ``tau0`` on the control customers'
    ``mu1(x) - y``. The uplift is ``g tau0(x) + (1 - g) tau1(x)`` with ``g`` the treated share
    (a randomised experiment's propensity). Any outcome.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        Stage-1 outcome model (default as in :class:`TLearner`).
    effect_estimator : scikit-learn regressor, optional
        Stage-2 effect model (default: ridge on signed-log standardised features).
    """

    def __init__(self, estimator=None, effect_estimator=None, random_state: int = 0):
        self.estimator = estimator
        self.effect_estimator = effect_estimator
        self.random_state = random_state

    def fit(self, X, treatment, y):
        from sklearn.base import clone

        X, t, y = _fit_inputs(X, treatment, y)
        stage1 = TLearner(self.estimator, self.random_state).fit(X, t, y)
        mu0 = _predict(stage1.model_control_, X)
        mu1 = _predict(stage1.model_treatment_, X)
        effect = self.effect_estimator if self.effect_estimator is not None else _default_model(False, self.random_state)
        self.effect_treated_ = clone(effect).fit(X[t == 1], (y - mu0)[t == 1])
        self.effect_control_ = clone(effect).fit(X[t == 0], (mu1 - y)[t == 0])
        self.treated_share_ = float(t.mean())
        return self

    def predict(self, X):
        """Predicted uplift per row (a frame keyed by ``customer_id`` when ``X`` is a frame with
        one, else an array)."""
        if not hasattr(self, "effect_treated_"):
            raise NotFittedError("XLearner is not fitted yet: call fit(X, treatment, y) first")
        Xm = _matrix(X)
        g = self.treated_share_
        return _keyed(X, g * self.effect_control_.predict(Xm) + (1 - g) * self.effect_treated_.predict(Xm))


class ClassTransformation(ParamsMixin):
    """Class-transformation uplift for a binary outcome (Jaskowski & Jaroszewicz 2012).

    Fits one classifier of ``z = 1`` when (treated and converted) or (control and not
    converted); arms are re-weighted to equal total weight so that the identity
    ``uplift = 2 P(z=1 | x) - 1`` holds for any treated share.
    """

    def __init__(self, estimator=None, random_state: int = 0):
        self.estimator = estimator
        self.random_state = random_state

    def fit(self, X, treatment, y):
        from sklearn.base import clone

        X, t, y = _fit_inputs(X, treatment, y)
        if not _is_binary(y):
            raise ConfigError("ClassTransformation needs a 0/1 outcome (e.g. converted); use TLearner for revenue")
        p = t.mean()
        if not 0 < p < 1:
            raise ConfigError("treatment must contain both 0 (control) and 1 (treated)")
        z = (y * t + (1 - y) * (1 - t)).astype(int)
        w = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
        base = self.estimator if self.estimator is not None else _default_model(True, self.random_state)
        self.model_ = _fit_weighted(clone(base), X, z, w)
        self.treated_share_ = float(p)
        return self

    def predict(self, X):
        """Predicted uplift in conversion probability per row (a frame keyed by ``customer_id``
        when ``X`` is a frame with one, else an array)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("ClassTransformation is not fitted yet: call fit(X, treatment, y) first")
        return _keyed(X, 2 * self.model_.predict_proba(_matrix(X))[:, 1] - 1)


def cross_fit_predict(model, X, treatment, y, *, folds: int = 5, random_state: int = 0):
    """Out-of-fold predicted uplift: each customer scored by a model that never saw them.

    Folds are stratified by arm; use these predictions for Qini curves and deciles on the
    experiment's own customers (in-sample predictions overstate the ranking quality).
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    Xm, t, y = _matrix(X), np.asarray(treatment).astype(int), np.asarray(y, dtype=float)
    out = np.empty(len(t))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(Xm, t):
        out[test] = clone(model).fit(Xm[train], t[train], y[train]).predict(Xm[test])
    return out


# --- evaluation -------------------------------------------------------------------------------

def _cumulative(y, treatment, uplift):
    y, t, u = np.asarray(y, dtype=float), np.asarray(treatment).astype(int), np.asarray(uplift, dtype=float)
    order = np.argsort(-u, kind="stable")
    y, t = y[order], t[order]
    n_t, n_c = np.cumsum(t), np.cumsum(1 - t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    return n_t, n_c, y_t, y_c


def _curves(y, treatment, uplift):
    n_t, n_c, y_t, y_c = _cumulative(y, treatment, uplift)
    with np.errstate(divide="ignore", invalid="ignore"):
        qini = y_t - np.where(n_c > 0, y_c * n_t / np.maximum(n_c, 1), 0.0)
        rate_t = np.where(n_t > 0, y_t / np.maximum(n_t, 1), 0.0)
        rate_c = np.where(n_c > 0, y_c / np.maximum(n_c, 1), 0.0)
        upl = (rate_t - rate_c) * (n_t + n_c)
    return qini, upl


def qini_curve(y, treatment, uplift, *, points: int | None = 200):
    """Qini and uplift curves over the share targeted (best predicted uplift first).

    Returns a frame: targeted (customers), share, qini, uplift, qini_random, uplift_random
    (``points`` evenly spaced rows, or every row when None), starting at (0, 0).
    """
    import pandas as pd

    qini, upl = _curves(y, treatment, uplift)
    n = len(qini)
    k = np.arange(1, n + 1)
    frame = pd.DataFrame({"targeted": k, "share": k / n, "qini": qini, "uplift": upl,
                          "qini_random": qini[-1] * k / n, "uplift_random": upl[-1] * k / n})
    if points is not None and n > points:
        idx = np.unique(np.linspace(0, n - 1, points).round().astype(int))
        frame = frame.iloc[idx]
    zero = pd.DataFrame([{c: 0.0 for c in frame.columns}])
    return pd.concat([zero, frame], ignore_index=True)



def _area(curve, total):
    n = len(curve)
    return float(np.mean(curve - total * np.arange(1, n + 1) / n))


def _perfect_score(y, treatment):
    y, t = np.asarray(y, dtype=float), np.asarray(treatment).astype(int)
    return np.where(t == 1, y, -y)


def qini_coefficient(y, treatment, uplift, *, normalize: bool = False):
    """Area between the Qini curve and random targeting, averaged over the share targeted.

    In outcome units (conversions or EUR); positive = better than random. ``normalize``
    divides by the same area of the perfect ranking (1 = perfect).
    """
    qini, _ = _curves(y, treatment, uplift)
    area = _area(qini, qini[-1])
    if not normalize:
        return area
    best, _ = _curves(y, treatment, _perfect_score(y, treatment))
    return area / _area(best, best[-1])


def auuc(y, treatment, uplift, *, normalize: bool = False):
    """Area between the uplift curve and random targeting (see :func:`qini_coefficient`).

    ``normalize`` divides by the same area of the Qini-perfect ranking; unlike the Qini curve,
    the uplift curve is not bounded by that ranking, so on small samples the ratio can exceed 1.
    """
    _, upl = _curves(y, treatment, uplift)
    area = _area(upl, upl[-1])
    if not normalize:
        return area
    _, best = _curves(y, treatment, _perfect_score(y, treatment))
    return area / _area(best, best[-1])


def uplift_scores(y, treatment, predictions: dict):
    """Qini coefficient and AUUC (raw and normalised) of several models' predicted uplift.

    ``predictions`` maps a model name to its (out-of-fold) predicted uplift per customer.
    Returns one row per model: model, qini, qini_normalized, auuc, auuc_normalized.

    >>> import numpy as np
    >>> y = np.array([1, 0, 0, 0, 1, 0]); t = np.array([1, 1, 0, 0, 0, 1])
    >>> u = np.array([.9, .1, .2, .3, .0, .05])
    >>> uplift_scores(y, t, {"model": u, "reversed": -u})["qini_normalized"].round(3).tolist()
    [1.0, -0.933]
    """
    import pandas as pd

    rows = [dict(model=name, qini=qini_coefficient(y, treatment, u),
                 qini_normalized=qini_coefficient(y, treatment, u, normalize=True),
                 auuc=auuc(y, treatment, u), auuc_normalized=auuc(y, treatment, u, normalize=True))
            for name, u in predictions.items()]
    return pd.DataFrame(rows, columns=["model", "qini", "qini_normalized", "auuc", "auuc_normalized"])


def uplift_by_share(y, treatment, uplift, shares=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), *,
                    alpha: float = 0.05):
    """Observed uplift of targeting the top share of customers by predicted uplift, with intervals.

    For each share, the ``targeted = round(share * n)`` customers (at least 1) with the highest
    predicted uplift: mean outcome of the treated minus mean of the control among them (the
    uplift curve of :func:`qini_curve` per targeted customer, ``U(k) / k``), its Welch interval
    (:func:`cmokit.campaigns.experiments.welch`, ``1 - alpha``), and ``incremental`` = that
    difference times ``targeted`` (``U(k)``, in outcome units: conversions or EUR). Pass
    out-of-fold predictions (:func:`cross_fit_predict`): in-sample ones make the top look better
    than it is. ``predicted_uplift`` is the mean prediction over the share, for calibration.

    Columns: share, targeted, n_treatment, n_control, mean_treatment, mean_control,
    observed_uplift, observed_uplift_lower, observed_uplift_upper, predicted_uplift, incremental,
    incremental_lower, incremental_upper.

    >>> import numpy as np
    >>> y = np.array([1, 0, 0, 0, 1, 0]); t = np.array([1, 1, 0, 0, 0, 1])
    >>> u = np.array([.9, .1, .2, .3, .0, .05])
    >>> uplift_by_share(y, t, u, shares=(0.5, 1.0))[["targeted", "observed_uplift", "incremental"]].values.tolist()
    [[3.0, 1.0, 3.0], [6.0, 0.0, 0.0]]
    """
    import pandas as pd

    from cmokit.campaigns.experiments import welch

    y, t, u = np.asarray(y, dtype=float), np.asarray(treatment).astype(int), np.asarray(uplift, dtype=float)
    n = len(y)
    n_t, n_c, y_t, y_c = _cumulative(y, t, u)
    order = np.argsort(-u, kind="stable")
    s_t, s_c = np.cumsum((y * y * t)[order]), np.cumsum((y * y * (1 - t))[order])
    u_sum = np.cumsum(u[order])
    rows = []
    for share in shares:
        share = float(share)
        if not 0 < share <= 1:
            raise ConfigError(f"shares must be in (0, 1], got {share}")
        k = min(max(int(round(share * n)), 1), n)
        i = k - 1
        nt, nc = int(n_t[i]), int(n_c[i])
        mt = y_t[i] / nt if nt else np.nan
        mc = y_c[i] / nc if nc else np.nan
        if nt > 1 and nc > 1:
            vt = max(s_t[i] - nt * mt * mt, 0.0) / (nt - 1)
            vc = max(s_c[i] - nc * mc * mc, 0.0) / (nc - 1)
            d, lo, hi, _, _ = welch(mc, vc, nc, mt, vt, nt, alpha)
        else:
            d, lo, hi = mt - mc, np.nan, np.nan
        rows.append(dict(share=share, targeted=k, n_treatment=nt, n_control=nc, mean_treatment=mt,
                         mean_control=mc, observed_uplift=d, observed_uplift_lower=lo, observed_uplift_upper=hi,
                         predicted_uplift=u_sum[i] / k, incremental=d * k, incremental_lower=lo * k,
                         incremental_upper=hi * k))
    return pd.DataFrame(rows)


def uplift_by_decile(y, treatment, uplift, *, bins: int = 10):
    """Observed vs predicted uplift per bin of predicted uplift (bin 1 = highest).

    Columns: bin, n_treatment, n_control, mean_treatment, mean_control, observed_uplift,
    observed_uplift_lower / upper (normal 95 % interval), predicted_uplift.
    """
    import pandas as pd

    y, t, u = np.asarray(y, dtype=float), np.asarray(treatment).astype(int), np.asarray(uplift, dtype=float)
    order = np.argsort(-u, kind="stable")
    bin_of = np.empty(len(u), dtype=int)
    bin_of[order] = np.arange(len(u)) * bins // len(u) + 1
    rows = []
    for b in range(1, bins + 1):
        m = bin_of == b
        yt, yc = y[m & (t == 1)], y[m & (t == 0)]
        diff = yt.mean() - yc.mean() if len(yt) and len(yc) else np.nan
        se = np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)) if len(yt) > 1 and len(yc) > 1 else np.nan
        rows.append(dict(bin=b, n_treatment=len(yt), n_control=len(yc),
                         mean_treatment=yt.mean() if len(yt) else np.nan,
                         mean_control=yc.mean() if len(yc) else np.nan, observed_uplift=diff,
                         observed_uplift_lower=diff - 1.96 * se, observed_uplift_upper=diff + 1.96 * se,
                         predicted_uplift=u[m].mean()))
    return pd.DataFrame(rows)


# --- targeting --------------------------------------------------------------------------------

def _scores_frame(scores, uplift):
    frame = scores.to_pandas() if type(scores).__module__.startswith("polars") else scores.copy()
    if uplift is not None:
        frame["predicted_uplift"] = np.asarray(uplift, dtype=float)
    if "predicted_uplift" not in frame.columns:
        raise ConfigError("scores need a predicted_uplift column (or pass uplift=...)")
    if "marketing_consent" not in frame.columns and "consent" not in frame.columns:
        raise ConfigError("scores need marketing_consent: customers without consent never go on a target list")
    from cmokit.features import contactable

    frame["_consent"] = contactable(frame)  # the one consent rule: unknown (null/NaN) = not contactable
    return frame


def targeting_list(scores, k: int | None = None, *, uplift=None, min_uplift: float | None = 0.0):
    """Top-k consenting customers by predicted uplift (incremental revenue per customer).

    ``scores`` has customer_id, marketing_consent (or consent) and predicted_uplift (or pass
    ``uplift``). Customers without consent are never listed; by default customers with
    negative predicted uplift are left out too (``min_uplift=None`` keeps them). Returns
    customer_id, rank, predicted_uplift, cumulative_incremental_revenue (the kind of ``scores``).
    """
    frame = _scores_frame(to_pandas(scores), uplift)
    frame = frame[frame["_consent"]]
    if min_uplift is not None:
        frame = frame[frame["predicted_uplift"] > min_uplift]
    frame = frame.sort_values(["predicted_uplift", "customer_id"], ascending=[False, True])
    if k is not None:
        frame = frame.head(int(k))
    out = frame[["customer_id", "predicted_uplift"]].reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out["cumulative_incremental_revenue"] = out["predicted_uplift"].cumsum()
    return like(out, scores)


def targeting_value(scores, k: int, *, uplift=None, cost_per_contact: float = 0.0, y=None, treatment=None,
                    oof_uplift=None, alpha: float = 0.05):
    """Incremental revenue of contacting the top-k vs every consenting customer vs no one.

    Measured on the randomised experiment (pass its outcome ``y``, ``treatment`` and out-of-fold
    predicted uplift ``oof_uplift`` from :func:`cross_fit_predict`): the top-k are the share
    ``k / consenting customers`` of ``scores``; among the experiment's customers ranked in that
    top share by ``oof_uplift``, the treated mean minus the control mean, times the customers
    contacted (:func:`uplift_by_share`), with its Welch interval. Every consenting customer: the
    experiment's overall difference in means times their number. No one: 0. This assumes the
    scored customers are like the experiment's (pass the experiment customers who could be
    contacted, e.g. the consenting ones) and that the model fitted on the whole experiment ranks
    like the cross-fitted ones.

    ``predicted_incremental_revenue`` is model-based: the sum of ``predicted_uplift`` over the
    customers contacted. For the top-k it is optimistic (the list selects customers whose
    predictions are high partly by chance), so it is for comparison, not for decisions.
    Without the experiment (``y`` etc. omitted) only the model-based column is filled.

    Returns one row per strategy (top_k, everyone_consenting, no_one): customers_contacted,
    share_contacted, uplift_per_customer (+ _lower, _upper), incremental_revenue (+ _lower,
    _upper), predicted_incremental_revenue, contact_cost, net_incremental_revenue (+ _lower,
    _upper) = incremental revenue minus ``cost_per_contact`` per contacted customer.
    """
    import pandas as pd

    frame = _scores_frame(to_pandas(scores), uplift)
    allowed = frame[frame["_consent"]]
    top = targeting_list(frame, k, min_uplift=None)
    n_allowed = len(allowed)
    given = [v is not None for v in (y, treatment, oof_uplift)]
    if any(given) and not all(given):
        raise ConfigError("pass y, treatment and oof_uplift of the experiment together (or none of them)")
    rows = []
    for strategy, contacted, predicted in (("top_k", len(top), float(top["predicted_uplift"].sum())),
                                           ("everyone_consenting", n_allowed, float(allowed["predicted_uplift"].sum())),
                                           ("no_one", 0, 0.0)):
        share = contacted / n_allowed if n_allowed else 0.0
        est, lo, hi = (0.0, 0.0, 0.0) if contacted == 0 else (np.nan, np.nan, np.nan)
        if all(given) and contacted > 0:
            r = uplift_by_share(y, treatment, oof_uplift, shares=[share], alpha=alpha).iloc[0]
            est, lo, hi = r["observed_uplift"], r["observed_uplift_lower"], r["observed_uplift_upper"]
        rows.append(dict(strategy=strategy, customers_contacted=contacted, share_contacted=share,
                         uplift_per_customer=est, uplift_per_customer_lower=lo, uplift_per_customer_upper=hi,
                         incremental_revenue=est * contacted, incremental_revenue_lower=lo * contacted,
                         incremental_revenue_upper=hi * contacted, predicted_incremental_revenue=predicted))
    out = pd.DataFrame(rows)
    out["contact_cost"] = out["customers_contacted"] * cost_per_contact
    for col in ("", "_lower", "_upper"):
        out[f"net_incremental_revenue{col}"] = out[f"incremental_revenue{col}"] - out["contact_cost"]
    return like(out, scores)
