"""Geo lift test read-out: what did the spend change in the treated regions add?

The treated regions (summed) are compared with an augmented synthetic control built from the
other regions (:class:`~cmokit.geo.synthetic.AugmentedSyntheticControl`) fitted on the days
before the test. The estimate is the relative lift ``r = sum_test(y - y_cf) / sum_test(y_cf)``
and the incremental KPI ``sum_test(y - y_cf)``.

Inference from placebo tests in space (Abadie, Diamond & Hainmueller 2010): sets of control
regions of the treated set's size are summed into pseudo-treated series and read out the same
way, over the same test days, from the remaining controls (none of which got the treatment);
their relative errors ``e_j`` (the truth there is 0) are the estimator's error distribution for
this test window. Two-sided p-value of "the lift is ``d``": ``(1 + #{|e_j| >= |r - d|}) / (1 + J)``
(``d = 0``: the reported p-value); the ``1 - alpha`` interval is the set of ``d`` this test does
not reject, ``r +- c`` with ``c`` the ``floor(alpha (1 + J))``-th largest ``|e_j|``
(:func:`placebo_critical_value`), scaled by the counterfactual total for the incremental KPI.
So the interval is centred on the estimate and excludes 0 exactly when ``p <= alpha``. (It used
to be ``[r - q_{1-alpha/2}(e), r - q_{alpha/2}(e)]``: inconsistent with the p-value, and when the
estimator was biased, every placebo error had the same sign and the interval missed its own
estimate, 5 of 10 sample seeds.) This assumes the treated regions would have behaved like
control regions (exchangeable), which random assignment of the treated set justifies. Measured
coverage of the 90 % interval in the simulation study (``tests/geo``): 93 of 100 planted tests.
In-time placebos (the same test on earlier windows of the pre-period) were tried and
under-covered (65-73 % at 90 %): overlapping windows under a persistent common shock give too
few independent errors; they are used only for the design's power curves
(:func:`placebo_errors`).

Incremental ROI as in :func:`cmokit.campaigns.incremental_roi`:
``(margin * incremental_revenue - spend) / spend``; ``incremental_roas`` = incremental revenue
per EUR of extra spend. :meth:`GeoTest.to_lift_test` gives the ``lift_tests`` row the media-mix
model calibrates with.

>>> from cmokit.geo.panel import simulate_geo_panel
>>> panel, truth = simulate_geo_panel(regions=12, days=120, treated=("R01", "R02"), test_days=21, lift=0.15)
>>> t = GeoTest().fit(panel, treated=["R01", "R02"], test_start=truth["test_start"], spend=50_000)
>>> s = t.summary_.iloc[0]
>>> bool(s.lift_lower <= 0.15 <= s.lift_upper), bool(s.p_value < 0.1)
(True, True)
"""

from __future__ import annotations

import numpy as np

from cmokit.errors import ConfigError, ContractError, NotFittedError

SUMMARY_COLUMNS = ("treated_regions", "control_regions", "test_start", "test_end", "test_days", "pre_days",
                   "placebo_sets", "observed", "counterfactual", "incremental", "incremental_lower",
                   "incremental_upper", "lift", "lift_lower", "lift_upper", "p_value", "pre_fit_error", "spend",
                   "incremental_roas", "incremental_roi", "incremental_roi_lower", "incremental_roi_upper")


#: Columns of :meth:`GeoTest.to_lift_test` (the ``lift_tests`` contract table).
LIFT_TEST_COLUMNS = ("test_id", "channel", "starts_on", "ends_on", "kpi", "spend_change", "incremental_revenue",
                     "incremental_revenue_lower", "incremental_revenue_upper", "interval_level", "method")


def min_pre_days(test_days: int) -> int:
    """Pre-period days a read-out needs to fit the synthetic control: ``max(28, 2 * test_days)``."""
    return max(28, 2 * int(test_days))


def _split(wide, treated, control):
    regions = [str(c) for c in wide.columns]
    treated = [str(r) for r in ([treated] if isinstance(treated, str) else treated)]
    if not treated:
        raise ConfigError("name at least one treated region")
    absent = [r for r in treated if r not in regions]
    if absent:
        raise ContractError(f"treated region(s) {', '.join(map(repr, absent))} are not in the panel (it has: "
                            f"{', '.join(regions[:20])}{' ...' if len(regions) > 20 else ''})", table="geo panel")
    if control is None:
        control = [r for r in regions if r not in treated]
    else:
        control = [str(r) for r in control]
        absent = [r for r in control if r not in regions]
        if absent:
            raise ContractError(f"control region(s) {', '.join(map(repr, absent))} are not in the panel",
                                table="geo panel")
        both = set(control) & set(treated)
        if both:
            raise ConfigError(f"region(s) {sorted(both)} are both treated and control")
    if len(control) < 2:
        raise ConfigError(f"need at least 2 control regions for a synthetic control, have {len(control)}")
    cols = {str(c): c for c in wide.columns}
    y1 = wide[[cols[r] for r in treated]].sum(axis=1).to_numpy()
    y0 = wide[[cols[r] for r in control]].to_numpy()
    return treated, control, y1, y0


def space_placebo_errors(y0, t0, t1, k: int, *, draws: int = 60, ridge="auto", scale: bool = True,
                         sum_to_one: bool = True, random_state: int = 0):
    """Relative errors on the test window of pseudo-treated sets: ``k`` control regions summed and
    predicted from the remaining controls (none of which got the treatment), fitted on the
    pre-period (Abadie, Diamond & Hainmueller 2010 placebo studies, with the pseudo-treated set
    the size of the real one). Up to ``draws`` distinct sets, drawn with a seeded generator."""
    from itertools import combinations
    from math import comb

    from cmokit.geo.synthetic import AugmentedSyntheticControl

    n0 = y0.shape[1]
    if n0 - k < 2:
        return np.array([])
    rng = np.random.default_rng(random_state)
    if comb(n0, k) <= draws:
        sets = [list(c) for c in combinations(range(n0), k)]
    else:
        seen, sets = set(), []
        while len(sets) < draws:
            c = tuple(sorted(rng.choice(n0, k, replace=False).tolist()))
            if c not in seen:
                seen.add(c)
                sets.append(list(c))
    errs = []
    for c in sets:
        rest = [j for j in range(n0) if j not in c]
        y1p, y0p = y0[:, c].mean(axis=1), y0[:, rest]
        m = AugmentedSyntheticControl(ridge=ridge, scale=scale, sum_to_one=sum_to_one).fit(y0p[:t0], y1p[:t0])
        cf = m.predict(y0p[t0:t0 + t1])
        errs.append((y1p[t0:t0 + t1].sum() - cf.sum()) / cf.sum())
    return np.array(errs)


def placebo_critical_value(errors, alpha: float) -> float:
    """Half-width ``c`` of the placebo interval ``lift +- c``: the ``floor(alpha (1 + J))``-th largest
    absolute placebo error of ``J`` (infinite when that is 0: too few placebos for this level)."""
    a = np.sort(np.abs(np.asarray(errors, dtype=float)))[::-1]
    n = int(np.floor(alpha * (1 + len(a)) + 1e-9))
    return float(a[n - 1]) if n >= 1 else float("inf")


def conformal_pvalue(y1, y0, t0: int, t1: int, lift0: float = 0.0, *, ridge=1.0, scale: bool = True,
                     sum_to_one: bool = True, permutations: str = "moving_block", draws: int = 1000, random_state: int = 0):
    """Conformal p-value of "the treated regions' KPI was ``1 + lift0`` times the counterfactual on every
    test day" (Chernozhukov, Wuthrich & Zhu 2021, "An exact and robust conformal inference method
    for counterfactual and synthetic controls", Algorithm 1; the inference augsynth and GeoLift use).

    Under the null the test-day values are divided by ``1 + lift0``; the synthetic control is fitted on
    all ``t0 + t1`` days; the statistic is the mean absolute residual over the test days, compared
    with its value under every cyclic shift of the residuals (``permutations="moving_block"``, exact
    for serially dependent stationary errors; p-values are multiples of ``1 / (t0 + t1)``) or under
    ``draws`` random shuffles (``"iid"``, GeoLift's default).
    """
    from cmokit.geo.synthetic import AugmentedSyntheticControl

    n = t0 + t1
    y = np.asarray(y1[:n], dtype=float).copy()
    y[t0:] = y[t0:] / (1.0 + lift0)
    m = AugmentedSyntheticControl(ridge=ridge, scale=scale, sum_to_one=sum_to_one).fit(y0[:n], y)
    u = np.abs(y - m.predict(y0[:n]))
    stat = u[t0:].mean()
    if permutations == "moving_block":
        shifted = np.array([np.roll(u, j)[t0:].mean() for j in range(n)])
    elif permutations == "iid":
        rng = np.random.default_rng(random_state)
        shifted = np.array([rng.permutation(u)[t0:].mean() for _ in range(int(draws))])
    else:
        raise ConfigError(f"permutations must be 'moving_block' or 'iid', not {permutations!r}")
    return float((shifted >= stat - 1e-12).mean())


def conformal_interval(y1, y0, t0: int, t1: int, lift: float, *, alpha: float, ridge=1.0, span: float = 1.0,
                       **pvalue_kwargs):
    """``1 - alpha`` interval of the relative lift by inverting :func:`conformal_pvalue` (bisection on
    each side of the estimate ``lift``, to 0.1 percentage point, searching at most ``span`` away).
    NaN bounds when even the estimate is rejected: no constant relative lift is consistent with the
    test days (a lift that changes over the test, or a poor fit), so read the p-value only."""
    def accepted(v):
        return conformal_pvalue(y1, y0, t0, t1, v, ridge=ridge, **pvalue_kwargs) > alpha

    bounds = []
    for direction in (-1.0, 1.0):
        inside, outside = lift, lift + direction * span
        if direction < 0:
            outside = max(outside, -0.99)
        if accepted(outside):
            bounds.append(outside)
            continue
        if not accepted(inside):  # even the estimate is rejected: no constant lift fits the test days
            return float("nan"), float("nan")
        while abs(outside - inside) > 1e-3:
            mid = (inside + outside) / 2
            if accepted(mid):
                inside = mid
            else:
                outside = mid
        bounds.append(inside)
    return bounds[0], bounds[1]


def placebo_errors(y1, y0, length: int, *, first: int, last: int, ridge="auto"):
    """Relative errors of the estimator on windows ``[s, s + length)`` for ``s`` in ``first..last - length``,
    each fitted on the days before ``s`` (no effect there, so the truth is 0). The read-out passes the
    ridge penalty chosen on the whole pre-period, so every window uses the same estimator."""
    from cmokit.geo.synthetic import AugmentedSyntheticControl

    errs = []
    for s in range(first, last - length + 1):
        m = AugmentedSyntheticControl(ridge=ridge).fit(y0[:s], y1[:s])
        cf = m.predict(y0[s:s + length])
        errs.append((y1[s:s + length].sum() - cf.sum()) / cf.sum())
    return np.array(errs)


class GeoTest:
    """Read out a geo lift test on a region x day panel.

    Parameters
    ----------
    kpi : str
        KPI column of the panel (revenue in EUR for incremental revenue and ROI).
    alpha : float
        ``1 - alpha`` intervals (GeoLift's default is 90 %: ``alpha = 0.1``).
    ridge : float, "auto" or None
        Augmentation penalty (see :class:`~cmokit.geo.synthetic.AugmentedSyntheticControl`).
    sum_to_one : bool
        Augmented weights keep summing to one (default; False = augsynth's unconstrained ridge ASCM,
        which attenuates on noisy daily panels, see the synthetic control).
    placebo_sets : int
        Pseudo-treated sets of control regions read out for the interval and p-value (all of them
        when there are fewer).
    min_placebos : int
        Fewest placebo sets accepted (p-values are multiples of ``1 / (1 + sets)``).

    After :meth:`fit`: ``summary_`` (one row, :data:`SUMMARY_COLUMNS`), ``series_`` (day,
    observed, counterfactual, effect, period = "pre" / "test"), ``weights_`` (control region,
    weight), ``placebo_errors_``.
    """

    def __init__(self, kpi: str = "revenue", *, alpha: float = 0.1, ridge="auto", scale: bool = True,
                 sum_to_one: bool = True, inference: str = "placebo", permutations: str = "moving_block", placebo_sets: int = 60,
                 min_placebos: int = 9):
        self.kpi = kpi
        self.scale = scale
        self.sum_to_one = sum_to_one
        self.permutations = permutations
        self.inference = inference
        self.alpha = alpha
        self.ridge = ridge
        self.placebo_sets = placebo_sets
        self.min_placebos = min_placebos

    def fit(self, panel, treated, test_start, test_end=None, *, control=None, spend: float | None = None,
            margin: float = 1.0, region: str = "region", day: str = "day"):
        """Fit on ``panel`` (long: region, day, KPI) for the ``treated`` regions from ``test_start``
        through ``test_end`` (default, or empty: the panel's last day). ``spend`` = the extra media spend of the
        test (EUR) for incremental ROAS / ROI; ``control`` limits the donor regions."""
        import pandas as pd

        from cmokit.engine import as_of_date
        from cmokit.geo.panel import check_panel
        from cmokit.geo.synthetic import AugmentedSyntheticControl

        wide = check_panel(panel, self.kpi, region=region, day=day)
        treated, control, y1, y0 = _split(wide, treated, control)
        days = wide.index
        start = pd.Timestamp(as_of_date(test_start))
        end = pd.Timestamp(as_of_date(test_end)) if test_end else days[-1]
        if not days[0] < start <= end <= days[-1]:
            raise ConfigError(f"test {start.date()}..{end.date()} must lie inside the panel "
                              f"({days[0].date()}..{days[-1].date()}) with pre-period days before it")
        t0 = int((days < start).sum())
        t1 = int(((days >= start) & (days <= end)).sum())
        need = min_pre_days(t1)
        if t0 < need:
            raise ConfigError(f"too few pre-period days: a {t1}-day test needs at least {need} days before "
                              f"{start.date()} to fit the synthetic control, the panel has {t0}. Start the "
                              "panel earlier or shorten the test")
        k = 1.0 if self.scale else float(len(treated))  # additive model: fit the treated regions' average
        y1 = y1 / k
        m = AugmentedSyntheticControl(ridge=self.ridge, scale=self.scale, sum_to_one=self.sum_to_one).fit(
            y0[:t0], y1[:t0])
        cf = k * m.predict(y0[:t0 + t1])
        obs = k * y1[:t0 + t1]
        post = slice(t0, t0 + t1)
        inc, cf_total = float(obs[post].sum() - cf[post].sum()), float(cf[post].sum())
        lift = inc / cf_total
        if self.inference == "conformal":
            ridge_ = m.ridge_
            kw = dict(ridge=ridge_, scale=self.scale, sum_to_one=self.sum_to_one, permutations=self.permutations)
            p = conformal_pvalue(y1, y0, t0, t1, 0.0, **kw)
            lift_lo, lift_hi = conformal_interval(y1, y0, t0, t1, lift, alpha=self.alpha, **kw)
            errs = np.array([])
        elif self.inference == "placebo":
            errs = space_placebo_errors(y0, t0, t1, len(treated), draws=self.placebo_sets, ridge=self.ridge,
                                        scale=self.scale, sum_to_one=self.sum_to_one)
            if len(errs) < self.min_placebos:
                raise ConfigError(f"too few control regions for placebo inference: {len(control)} controls give "
                                  f"{len(errs)} pseudo-treated set(s) of {len(treated)} region(s), need at least "
                                  f"{self.min_placebos}. Add control regions or treat fewer regions")
            c = placebo_critical_value(errs, self.alpha)
            lift_lo, lift_hi = lift - c, lift + c
            p = (1 + int((np.abs(errs) >= abs(lift)).sum())) / (1 + len(errs))
        else:
            raise ConfigError(f"inference must be 'placebo' or 'conformal', not {self.inference!r}")
        sp = float(spend) if spend is not None and spend > 0 else np.nan
        row = dict(treated_regions=", ".join(treated), control_regions=len(control),
                   test_start=start.date(), test_end=days[t0 + t1 - 1].date(), test_days=t1, pre_days=t0,
                   placebo_sets=len(errs) if self.inference == "placebo" else 0, observed=float(obs[post].sum()), counterfactual=cf_total,
                   incremental=inc, incremental_lower=lift_lo * cf_total, incremental_upper=lift_hi * cf_total,
                   lift=lift, lift_lower=lift_lo, lift_upper=lift_hi, p_value=p,
                   pre_fit_error=m.pre_rmspe_ / float(np.mean(y1[:t0])),
                   spend=sp, incremental_roas=inc / sp)
        for suffix, value in (("", inc), ("_lower", lift_lo * cf_total), ("_upper", lift_hi * cf_total)):
            row[f"incremental_roi{suffix}"] = (margin * value - sp) / sp
        self.summary_ = pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))
        self.series_ = pd.DataFrame({"day": days[:t0 + t1], "observed": obs, "counterfactual": cf,
                                     "effect": obs - cf, "period": np.where(np.arange(t0 + t1) < t0, "pre", "test")})
        self.weights_ = pd.DataFrame({"region": control, "weight": m.weights_}).sort_values(
            "weight", ascending=False, ignore_index=True)
        self.placebo_errors_ = errs
        self.model_ = m
        return self

    def nothing(self, note: str = ""):
        """No test to read out (``note`` says why): every result frame empty, with its columns, so a
        report shows its design and says there is no read-out instead of failing."""
        import pandas as pd

        self.summary_ = pd.DataFrame(columns=list(SUMMARY_COLUMNS))
        self.series_ = pd.DataFrame(columns=["day", "observed", "counterfactual", "effect", "period"])
        self.weights_ = pd.DataFrame(columns=["region", "weight"])
        self.placebo_errors_ = np.array([])
        self.note_ = note
        return self

    def to_lift_test(self, channel: str, *, spend_change: float | None = None, test_id: str | None = None,
                     kpi: str = "revenue"):
        """The result as one ``lift_tests`` row for media-mix calibration.

        Columns as the ``lift_tests`` contract table: test_id (default ``GEO-<channel>-<start>``),
        channel, starts_on, ends_on, kpi, spend_change (extra spend of the test in EUR; default the
        ``spend`` given to :meth:`fit`; negative for a holdout), incremental_revenue (+ _lower,
        _upper), interval_level (``1 - alpha``), method (``matched_markets``: treated regions
        against a synthetic control of the others).
        """
        import pandas as pd

        if not hasattr(self, "summary_"):
            raise NotFittedError("GeoTest is not fitted yet: call fit(panel, treated, test_start) first")
        if not len(self.summary_):  # nothing read out
            return pd.DataFrame(columns=list(LIFT_TEST_COLUMNS))
        s = self.summary_.iloc[0]
        change = s.spend if spend_change is None else float(spend_change)
        if change is None or not np.isfinite(change) or change == 0:
            raise ConfigError("a lift_tests row needs the test's (non-zero) spend change: pass spend= to fit or "
                              "spend_change=")
        return pd.DataFrame([dict(test_id=test_id or f"GEO-{channel}-{s.test_start}", channel=channel,
                                  starts_on=s.test_start, ends_on=s.test_end, kpi=kpi, spend_change=change,
                                  incremental_revenue=s.incremental, incremental_revenue_lower=s.incremental_lower,
                                  incremental_revenue_upper=s.incremental_upper, interval_level=1 - self.alpha,
                                  method="matched_markets")])


def geo_readout(panel, treated, test_start, test_end=None, *, kpi: str = "revenue", spend: float | None = None,
                margin: float = 1.0, alpha: float = 0.1, control=None):
    """One-shot :class:`GeoTest`: returns the fitted test (``summary_``, ``series_``, ``weights_``)."""
    return GeoTest(kpi, alpha=alpha).fit(panel, treated, test_start, test_end, control=control, spend=spend,
                                         margin=margin)
