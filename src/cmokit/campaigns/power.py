"""Pilot planning: power, sample size and minimum detectable effect (MDE).

Two-arm tests, ``ratio`` = n_treatment / n_control, ``alpha`` two-sided unless
``alternative`` is ``"larger"`` / ``"smaller"``.

* proportions: the normal approximation on Cohen's effect size
  ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))`` (Cohen 1988, ch. 6), power
  ``Phi(|h| sqrt(n_eff) - z) + Phi(-|h| sqrt(n_eff) - z)`` with
  ``n_eff = 1 / (1/n_control + 1/n_treatment)``;
* means (revenue or orders per customer): the two-sample t-test, standardised effect
  ``d = mde / std``, power from the noncentral t with ``n_control + n_treatment - 2`` degrees
  of freedom and noncentrality ``d sqrt(n_eff)`` (Cohen 1988, ch. 2).

These are the same power functions as statsmodels' ``NormalIndPower`` and ``TTestIndPower``
(the tests compare them); sample sizes are the smallest whole number of control customers
reaching the power. :func:`plan_pilot` reads the baseline conversion and the revenue standard
deviation from the warehouse.

>>> from cmokit.campaigns import sample_size_proportions, mde_proportions
>>> sample_size_proportions(0.10, 0.02)
3835
>>> round(mde_proportions(0.10, 3835), 3)
0.02
"""

from __future__ import annotations

import math

from cmokit.errors import ConfigError


def _z(alpha, alternative):
    from scipy.stats import norm

    if alternative == "two-sided":
        return norm.ppf(1 - alpha / 2)
    if alternative in ("larger", "smaller"):
        return norm.ppf(1 - alpha)
    raise ConfigError(f"alternative must be 'two-sided', 'larger' or 'smaller', not {alternative!r}")


def _n_eff(n_control, ratio):
    return 1.0 / (1.0 / n_control + 1.0 / (n_control * ratio))


def cohens_h(baseline_rate: float, treatment_rate: float) -> float:
    """Cohen's effect size for two proportions (arcsine transform)."""
    for p in (baseline_rate, treatment_rate):
        if not 0 <= p <= 1:
            raise ConfigError(f"rates must lie in [0, 1], got {p}")
    return 2 * math.asin(math.sqrt(treatment_rate)) - 2 * math.asin(math.sqrt(baseline_rate))


def _normal_power(effect, n_eff, alpha, alternative):
    from scipy.stats import norm

    crit = _z(alpha, alternative)
    shift = effect * math.sqrt(n_eff)
    if alternative == "two-sided":
        return norm.sf(crit - shift) + norm.cdf(-crit - shift)
    if alternative == "smaller":
        shift = -shift
    return norm.sf(crit - shift)


def _t_power(effect, n_control, ratio, alpha, alternative):
    from scipy.stats import nct, t as student

    df = n_control * (1 + ratio) - 2
    nc = effect * math.sqrt(_n_eff(n_control, ratio))
    if alternative == "two-sided":
        crit = student.isf(alpha / 2, df)
        return nct.sf(crit, df, nc) + nct.cdf(-crit, df, nc)
    crit = student.isf(alpha, df)
    return nct.sf(crit, df, -nc if alternative == "smaller" else nc)


def power_proportions(baseline_rate, mde, n_control, *, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Power to detect an absolute lift ``mde`` over ``baseline_rate`` with ``n_control`` customers."""
    h = cohens_h(baseline_rate, baseline_rate + mde)
    return float(_normal_power(h, _n_eff(n_control, ratio), alpha, alternative))


def power_means(std, mde, n_control, *, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Power of Welch/Student two-sample t-test for an absolute lift ``mde`` in a mean with ``std``."""
    if std <= 0:
        raise ConfigError("std must be positive")
    return float(_t_power(mde / std, n_control, ratio, alpha, alternative))


def _smallest_n(power_of, power):
    """Smallest whole n with ``power_of(n) >= power`` (doubling, then bisection)."""
    if not 0 < power < 1:
        raise ConfigError("power must lie strictly between 0 and 1")
    lo, hi = 2, 4
    while power_of(hi) < power:
        lo, hi = hi, hi * 2
        if hi > 1e12:
            raise ConfigError("the effect is too small to detect with any realistic sample")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power_of(mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def sample_size_proportions(baseline_rate, mde, *, power=0.8, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Control-arm customers needed to detect absolute lift ``mde`` over ``baseline_rate``.

    The treatment arm needs ``ceil(ratio * n_control)``.
    """
    return _smallest_n(lambda n: power_proportions(baseline_rate, mde, n, ratio=ratio, alpha=alpha,
                                                   alternative=alternative), power)


def sample_size_means(std, mde, *, power=0.8, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Control-arm customers needed to detect absolute lift ``mde`` in a mean with ``std``."""
    return _smallest_n(lambda n: power_means(std, mde, n, ratio=ratio, alpha=alpha, alternative=alternative),
                       power)


def _solve_effect(power_of, power, upper):
    from scipy.optimize import brentq

    if power_of(upper) < power:
        return math.nan
    return brentq(lambda e: power_of(e) - power, 1e-12, upper, xtol=1e-12)


def mde_proportions(baseline_rate, n_control, *, power=0.8, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Smallest absolute lift over ``baseline_rate`` detectable with ``n_control`` customers."""
    return _solve_effect(lambda e: power_proportions(baseline_rate, e, n_control, ratio=ratio, alpha=alpha,
                                                     alternative=alternative), power, 1 - baseline_rate)


def mde_means(std, n_control, *, power=0.8, ratio=1.0, alpha=0.05, alternative="two-sided"):
    """Smallest absolute lift in a mean with ``std`` detectable with ``n_control`` customers."""
    return _solve_effect(lambda e: power_means(std, e, n_control, ratio=ratio, alpha=alpha,
                                               alternative=alternative), power, 100 * std)


def baseline_metrics(source, *, as_of=None, window_days: int = 28):
    """Observed per-customer baseline over the ``window_days`` up to ``as_of`` (in the engine).

    ``as_of`` is a UTC day, inclusive (its orders count); ``None`` (default) is the latest
    order day in the data. Over all customers first seen by the window's start: conversion
    rate (any order), mean and standard deviation of revenue and of orders per customer. One row.
    """
    import datetime as dt

    import ibis

    from cmokit._inputs import snapshot
    from cmokit.warehouse.connect import resolve

    res = resolve(source, "orders")
    o = res.table("orders", ("order_id", "customer_id", "ordered_at", "revenue"), nonempty=True)
    c = res.table("customers", ("customer_id", "first_seen_at"), nonempty=True)
    end = snapshot(res, as_of)
    start = end - dt.timedelta(days=window_days - 1)
    c = c.filter(c.first_seen_at.cast("date") < ibis.literal(start))
    day = o.ordered_at.cast("date")
    o = o.filter((day >= ibis.literal(start)) & (day <= ibis.literal(end)))
    per = o.group_by("customer_id").aggregate(revenue=o.revenue.cast("float64").sum(), orders=o.order_id.count())
    j = c.select("customer_id").left_join(per, "customer_id")
    j = j.select(revenue=ibis.coalesce(j.revenue, 0.0), orders=ibis.coalesce(j.orders, 0).cast("float64"))
    expr = j.aggregate(
        customers=j.revenue.count(), conversion_rate=(j.orders > 0).cast("float64").mean(),
        revenue_mean=j.revenue.mean(), revenue_std=j.revenue.std(),
        orders_mean=j.orders.mean(), orders_std=j.orders.std(),
    )
    return res.finish(res.warehouse.execute(expr, output="pandas").assign(window_days=window_days, as_of=str(end)))


def plan_pilot(source=None, *, as_of=None, window_days: int = 28, relative_mdes=(0.05, 0.1, 0.2),
               power=0.8, alpha=0.05, ratio=1.0, baseline=None):
    """Sample size per arm for a pilot, for several relative MDEs, on each metric.

    The baseline (conversion rate, revenue and orders mean / std per customer over
    ``window_days``) comes from the warehouse (:func:`baseline_metrics`) or a given one-row
    ``baseline`` frame. ``as_of`` is the last day of the baseline window (UTC, inclusive);
    ``None`` (default) is the latest order day in the data. Returns one row per metric x relative
    MDE: baseline, baseline_std, absolute_mde, n_control, n_treatment, total (pandas, or the kind
    of a frame ``source`` / ``baseline``).
    """
    import pandas as pd

    from cmokit._frames import kind_of, require_columns, to_kind

    b = baseline if baseline is not None else baseline_metrics(source, as_of=as_of, window_days=window_days)
    kind = kind_of(b)  # baseline_metrics answers in the source's kind
    b = require_columns(b, ("conversion_rate", "revenue_mean", "revenue_std", "orders_mean", "orders_std"),
                        "baseline", numeric=("conversion_rate", "revenue_mean", "revenue_std"))
    if b.empty:
        from cmokit.errors import ContractError

        raise ContractError("baseline is empty: pass one row of baseline metrics", table="baseline")
    b = b.iloc[0]
    rows = []
    for rel in relative_mdes:
        p0 = float(b["conversion_rate"])
        n = sample_size_proportions(p0, p0 * rel, power=power, ratio=ratio, alpha=alpha)
        rows.append(dict(metric="conversion", baseline=p0, baseline_std=math.sqrt(p0 * (1 - p0)), relative_mde=rel,
                         absolute_mde=p0 * rel, n_control=n))
        for metric, col in (("revenue_per_customer", "revenue"), ("orders_per_customer", "orders")):
            mean, std = float(b[f"{col}_mean"]), float(b[f"{col}_std"])
            n = sample_size_means(std, mean * rel, power=power, ratio=ratio, alpha=alpha)
            rows.append(dict(metric=metric, baseline=mean, baseline_std=std, relative_mde=rel, absolute_mde=mean * rel,
                             n_control=n))
    out = pd.DataFrame(rows)
    out["n_treatment"] = (out["n_control"] * ratio).apply(math.ceil)
    out["total"] = out["n_control"] + out["n_treatment"]
    out["power"] = power
    out["alpha"] = alpha
    return to_kind(out, kind if kind in ("pandas", "polars", "arrow") else None)
