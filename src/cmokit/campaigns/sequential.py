"""Read-outs you may look at every day: always-valid intervals and p-values for running experiments.

A fixed-horizon interval (:mod:`cmokit.campaigns.experiments`) is valid at one planned look. A
team that checks a running test every day and stops at the first "significant" day raises its
false-positive rate well above ``alpha`` (Armitage, McPherson & Rowe 1969; Johari, Koomen,
Pekelis & Walsh 2017 "Peeking at A/B tests"). This module adds, per look, an always-valid
interval and p-value beside the fixed-horizon ones.

Method: the normal-mixture sequential probability ratio test (mSPRT; Robbins 1970; Johari et al.
2017, eq. 7 and 11) and its confidence sequence (Howard, Ramdas, McAuliffe & Sekhon 2021,
"Time-uniform, nonparametric, nonasymptotic confidence sequences", normal-mixture boundary,
eq. 14; asymptotic version: Waudby-Smith et al. 2024). For a difference ``theta`` estimated by
``d`` with variance ``V`` (Welch's unpooled variance for means, the unpooled binomial variance for
proportions) and a mixing variance ``tau2`` on the effect scale:

* mixture likelihood ratio ``L = sqrt(V / (V + tau2)) exp(tau2 d**2 / (2 V (V + tau2)))``;
* always-valid p-value ``p_t = min(1, min_{s <= t} 1 / L_s)``;
* confidence sequence ``d +- sqrt(V (V + tau2) / tau2 * (2 log(1/alpha) + log((V + tau2) / V)))``.
  It covers the difference at every look at once. It is not intersected across looks: when a
  fixed set of customers accumulates outcomes, the difference itself grows with the window
  (the effect on revenue through day 10 is not the effect through day 20), so earlier
  intervals are about a different quantity.

Under the null ``P(exists t: p_t <= alpha) <= alpha`` and the confidence sequence covers
``theta`` at every look at once, with probability ``1 - alpha`` (in the normal approximation).
This holds whether customers keep arriving (``V`` shrinks) or a fixed set of customers
accumulates outcomes day by day (``V`` grows): ``d`` is then a Gaussian process with independent
increments in the clock ``V``, and by time inversion of Brownian motion the same boundary holds
for all ``V`` at once in either direction.

**Stopping rule**: look as often as you like; stop and declare an effect the first time the
always-valid p-value is at or below ``alpha`` (equivalently the always-valid interval excludes 0);
otherwise run to the planned end and report "no detectable effect". Any such stopping time keeps
the false-positive rate at most ``alpha`` and the interval reported at the stop covers the true
effect with probability at least ``1 - alpha``.

``tau2`` is set once, before the data: the boundary is tightest where ``V / tau2 = 1 / r`` with
``r`` solving ``r = 2 log(1/alpha) + log(1 + r)`` (about 8.2 at ``alpha = 0.05``), so
:func:`mixture_variance` tunes it to the variance expected at the planned end (for the
warehouse read-out: from the same customers' pre-period outcomes over a window of the planned
length, which the treatment cannot have touched).

>>> from cmokit.campaigns.sequential import always_valid_interval, mixture_variance
>>> tau2 = mixture_variance(0.01)
>>> round(tau2 / 0.01, 2)
8.21
>>> lo, hi, p = always_valid_interval(0.35, 0.01, tau2)
>>> round(lo, 3), round(hi, 3), round(p, 4)
(0.046, 0.654, 0.0129)
"""

from __future__ import annotations

import math

import numpy as np

from cmokit.errors import ConfigError

#: Columns of :func:`sequential_from_stats` and :func:`sequential_readout`.
COLUMNS = ("experiment_id", "variant", "metric", "day", "n_control", "n_variant", "control_value",
           "variant_value", "abs_lift", "fixed_lower", "fixed_upper", "fixed_p_value", "always_valid_lower",
           "always_valid_upper", "always_valid_p_value", "mixture_variance", "decision")


def _optimal_ratio(alpha: float) -> float:
    c = 2 * math.log(1 / alpha)
    r = c
    for _ in range(100):
        r = c + math.log1p(r)
    return r


def mixture_variance(planned_variance: float, *, alpha: float = 0.05) -> float:
    """Mixing variance ``tau2`` that makes the confidence sequence tightest at ``planned_variance``.

    ``planned_variance`` is the variance of the estimated difference expected at the planned end
    (e.g. ``s2 * (1/n_t + 1/n_c)``). Minimising the half-width
    ``V (1 + r) / r * (2 log(1/alpha) + log(1 + r))`` over ``r = tau2 / V`` gives
    ``r = 2 log(1/alpha) + log(1 + r)``.
    """
    if not planned_variance > 0:
        raise ConfigError(f"planned_variance must be positive, got {planned_variance!r}")
    return _optimal_ratio(alpha) * float(planned_variance)


def always_valid_interval(estimate, variance, tau2, *, alpha: float = 0.05):
    """Always-valid interval and p-value at one look (no running intersection / minimum).

    Returns ``(lower, upper, p_value)``; arrays broadcast. ``variance`` is the variance of
    ``estimate``; ``tau2`` the mixing variance (:func:`mixture_variance`).
    """
    d, v = np.asarray(estimate, dtype=float), np.asarray(variance, dtype=float)
    tau2 = float(tau2)
    if not tau2 > 0:
        raise ConfigError(f"mixture variance tau2 must be positive, got {tau2!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + np.log((v + tau2) / v)))
        log_lr = 0.5 * np.log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2))
        p = np.minimum(1.0, np.exp(-log_lr))
    half = np.where(v > 0, half, 0.0)
    p = np.where(v > 0, p, np.where(d == 0, 1.0, 0.0))
    if np.ndim(half) == 0:
        return float(d - half), float(d + half), float(p)
    return d - half, d + half, p


def _fixed(d, v, alpha):
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    se = np.sqrt(np.maximum(v, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * norm.sf(np.abs(d) / np.where(se > 0, se, 1.0)), np.where(d == 0, 1.0, 0.0))
    return d - z * se, d + z * se, p


def _arm_moments(frame, metric):
    """Mean and variance of the mean per row of per-look, per-arm statistics."""
    from cmokit.campaigns.experiments import METRICS

    y = METRICS[metric][0]
    n = frame["n"].to_numpy(dtype=float)
    if metric == "conversion":
        col = "conversions" if "conversions" in frame.columns else f"sum_{y}"
        m = frame[col].to_numpy(dtype=float) / n
        return m, m * (1 - m) / n
    s, ss = frame[f"sum_{y}"].to_numpy(dtype=float), frame[f"ss_{y}"].to_numpy(dtype=float)
    m = s / n
    var = np.maximum(ss / n - m * m, 0.0) * n / np.maximum(n - 1, 1)
    return m, var / n


def sequential_from_stats(stats, *, alpha: float = 0.05, metrics=("conversion", "revenue_per_customer"),
                          tau2: dict | float | None = None):
    """Fixed-horizon and always-valid read-out per look from per-look sufficient statistics.

    ``stats`` has one row per experiment, look (``day``) and variant with ``n`` and the sums of
    :func:`cmokit.campaigns.experiments.experiment_stats` for each metric (``conversions`` or
    ``sum_converted``; ``sum_revenue`` and ``ss_revenue``; ...), cumulative up to that look.
    ``tau2`` is the mixing variance, one number or a dict ``{(experiment_id, variant, metric):
    tau2}`` or ``{metric: tau2}``; by default it is tuned (:func:`mixture_variance`) to the
    variance at the last look given, which is right only when the last look is the planned end
    fixed in advance (pass ``tau2`` when reading a test that is still running).

    Returns one row per experiment, variant, metric and look (columns :data:`COLUMNS`): the
    difference ``abs_lift`` (treatment minus control), its fixed-horizon normal interval and
    p-value (valid at one pre-planned look only), its always-valid interval (simultaneous over
    looks) and p-value (running minimum), and ``decision``: ``"stop: effect"`` once the
    always-valid p-value is at or below ``alpha``, else ``"continue"``.

    >>> import pandas as pd
    >>> st = pd.DataFrame({"experiment_id": "x", "day": [1, 1, 2, 2], "variant": ["control", "b"] * 2,
    ...                    "n": [500, 500, 1000, 1000], "conversions": [50, 70, 100, 150]})
    >>> r = sequential_from_stats(st, metrics=("conversion",), tau2=0.001)
    >>> r[["day", "abs_lift", "decision"]].values.tolist()
    [[1, 0.04, 'continue'], [2, 0.05, 'stop: effect']]
    """
    import pandas as pd

    from cmokit._frames import require_columns, to_pandas
    from cmokit.campaigns.experiments import CONTROL

    frame = to_pandas(stats)
    require_columns(frame, ("experiment_id", "variant", "day", "n"), "per-look experiment statistics")
    rows = []
    for exp_id, grp in frame.groupby("experiment_id", sort=True):
        if CONTROL not in set(grp["variant"]):
            raise ConfigError(f"experiment {exp_id!r} has no '{CONTROL}' variant: each look needs the control arm")
        ctrl = grp[grp["variant"] == CONTROL].set_index("day").sort_index()
        for variant, arm in grp[grp["variant"] != CONTROL].groupby("variant", sort=True):
            arm = arm.set_index("day").sort_index()
            days = ctrl.index.intersection(arm.index)
            c, t = ctrl.loc[days], arm.loc[days]
            for metric in metrics:
                mc, vc = _arm_moments(c, metric)
                mt, vt = _arm_moments(t, metric)
                d, v = mt - mc, vt + vc
                key_tau = _pick_tau(tau2, exp_id, variant, metric)
                if key_tau is None:
                    if not v[-1] > 0:
                        raise ConfigError(f"experiment {exp_id!r}, {variant}, {metric}: no variance at the last "
                                          "look to tune the mixture on; pass tau2")
                    key_tau = mixture_variance(v[-1], alpha=alpha)
                flo, fhi, fp = _fixed(d, v, alpha)
                lo, hi, p = always_valid_interval(d, v, key_tau, alpha=alpha)
                p = np.minimum.accumulate(p)
                block = pd.DataFrame(dict(
                    experiment_id=exp_id, variant=variant, metric=metric, day=days, n_control=c["n"].to_numpy(),
                    n_variant=t["n"].to_numpy(), control_value=mc, variant_value=mt, abs_lift=d, fixed_lower=flo,
                    fixed_upper=fhi, fixed_p_value=fp, always_valid_lower=lo, always_valid_upper=hi,
                    always_valid_p_value=p, mixture_variance=key_tau))
                block["decision"] = np.where(block["always_valid_p_value"] <= alpha, "stop: effect", "continue")
                rows.append(block)
    if not rows:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(rows, ignore_index=True)[list(COLUMNS)]


def _pick_tau(tau2, exp_id, variant, metric):
    if tau2 is None or isinstance(tau2, (int, float)):
        return None if tau2 is None else float(tau2)
    for key in ((exp_id, variant, metric), metric):
        if key in tau2:
            return float(tau2[key])
    return None


def looks_stats_expr(wh, experiment_id: str, look_days, *, shift_days: int = 0):
    """Ibis expression: per look day and variant, cumulative per-customer outcome statistics.

    For each look day ``d`` every assigned customer's orders from ``starts_on + shift_days``
    through ``d + shift_days`` count (``shift_days`` < 0 reads a pre-period window of the same
    shape). Columns: experiment_id, day, variant, n, sum_converted, sum_revenue, ss_revenue,
    sum_orders, ss_orders.
    """
    import ibis
    import pandas as pd

    a = wh.table("experiment_assignments")
    a = a.filter(a.experiment_id == experiment_id).select("customer_id", "variant")
    e = wh.table("experiments")
    start = wh.execute(e.filter(e.experiment_id == experiment_id).starts_on.max(), output="pandas")
    start = pd.Timestamp(start).date()
    looks = ibis.memtable(pd.DataFrame({"day": pd.to_datetime(list(look_days)).date}))
    o = wh.table("orders").select("customer_id", "ordered_at", "revenue")
    od = o.ordered_at.cast("date")
    lo = ibis.literal((pd.Timestamp(start) + pd.Timedelta(days=shift_days)).date())
    hi = ibis.literal((pd.Timestamp(max(pd.to_datetime(list(look_days)))) + pd.Timedelta(days=shift_days)).date())
    o = o.filter((od >= lo) & (od <= hi)).mutate(od=od - ibis.interval(days=int(shift_days)))
    j = a.join(o, "customer_id").select("customer_id", "variant", "od", rev=o.revenue.cast("float64"))
    per = j.cross_join(looks).filter(lambda t: t.od <= t.day)
    per = per.group_by(["day", "variant", "customer_id"]).aggregate(revenue=per.rev.sum(), orders=per.rev.count())
    per = per.group_by(["day", "variant"]).aggregate(
        sum_converted=(per.orders > 0).cast("float64").sum(), sum_revenue=per.revenue.sum(),
        ss_revenue=(per.revenue * per.revenue).sum(), sum_orders=per.orders.cast("float64").sum(),
        ss_orders=(per.orders * per.orders).cast("float64").sum())
    n = a.group_by("variant").aggregate(n=a.customer_id.count())
    grid = n.cross_join(looks)
    out = grid.left_join(per, ["day", "variant"]).select(
        "day", "variant", "n", **{c: ibis.coalesce(per[c], 0.0) for c in
                                  ("sum_converted", "sum_revenue", "ss_revenue", "sum_orders", "ss_orders")})
    return out.mutate(experiment_id=ibis.literal(experiment_id)).order_by(["day", "variant"])


def sequential_readout(source, experiment_id: str, *, as_of=None, alpha: float = 0.05,
                       metrics=("conversion", "revenue_per_customer")):
    """The running-test view: one row per day of a (running) experiment, variant and metric.

    Looks are every day from ``starts_on`` to the earlier of ``ends_on`` and ``as_of`` (default:
    the latest order day). Outcomes accumulate per assigned customer from ``starts_on`` through
    the look day. The mixing variance of each metric is fixed before the data: tuned
    (:func:`mixture_variance`) to the variance the difference would have at the planned end,
    measured on the same customers' outcomes over an equally long window just before the start
    (the treatment cannot have touched it). Columns: :data:`COLUMNS` (see
    :func:`sequential_from_stats`; stop at the first ``"stop: effect"``).
    """
    import pandas as pd

    from cmokit.engine import as_of_date

    res = resolve_source(source)
    wh = res.warehouse
    e = wh.table("experiments")
    meta = wh.execute(e.filter(e.experiment_id == experiment_id).select("starts_on", "ends_on"), output="pandas")
    if meta.empty:
        raise ConfigError(f"experiment {experiment_id!r} is not in the warehouse")
    start, end = pd.Timestamp(meta["starts_on"].iloc[0]), pd.Timestamp(meta["ends_on"].iloc[0])
    last = pd.Timestamp(res.as_of(as_of) if as_of is None else as_of_date(as_of))
    if last < start:
        raise ConfigError(f"as_of {last.date()} is before experiment {experiment_id!r} starts ({start.date()})")
    days = pd.date_range(start, min(end, last), freq="D")
    length = (end - start).days + 1
    stats = wh.execute(looks_stats_expr(wh, experiment_id, days), output="pandas")
    planned = wh.execute(looks_stats_expr(wh, experiment_id, [end], shift_days=-length), output="pandas")
    planned = planned.assign(conversions=planned["sum_converted"])
    tau = {}
    for metric in metrics:
        c = planned[planned["variant"] == "control"]
        for variant in planned["variant"].unique():
            if variant == "control":
                continue
            _, vc = _arm_moments(c, metric)
            _, vt = _arm_moments(planned[planned["variant"] == variant], metric)
            v = float(vc[0] + vt[0])
            tau[(experiment_id, variant, metric)] = mixture_variance(v if v > 0 else 1e-12, alpha=alpha)
    stats["day"] = pd.to_datetime(stats["day"]).dt.date
    out = sequential_from_stats(stats.assign(conversions=stats["sum_converted"]), alpha=alpha, metrics=metrics,
                                tau2=tau)
    return res.finish(out)


def latest_look(readout):
    """The last look of each variant and metric: where a running test stands today.

    >>> import pandas as pd
    >>> r = pd.DataFrame({"experiment_id": "x", "variant": "b", "metric": "conversion", "day": [1, 2],
    ...                   "abs_lift": [0.1, 0.2]})
    >>> latest_look(r)["abs_lift"].tolist()
    [0.2]
    """
    from cmokit._frames import like, to_pandas

    frame = to_pandas(readout)
    last = frame.groupby(["experiment_id", "variant", "metric"], sort=False)["day"].transform("max")
    return like(frame[frame["day"] == last].reset_index(drop=True), readout)


def resolve_source(source):
    from cmokit.warehouse.connect import resolve

    return resolve(source, "experiment_assignments")


def simulate_peeking(*, simulations: int = 2000, days: int = 28, per_arm_per_day: int = 50, effect: float = 0.0,
                     alpha: float = 0.05, mode: str = "arrivals", random_state: int = 0):
    """Monte-Carlo check of the stopping rule: how often does daily peeking declare an effect?

    Simulates ``simulations`` two-arm tests, looked at every day for ``days`` days. ``mode``:
    ``"arrivals"`` -- ``per_arm_per_day`` new customers per arm per day, outcome normal with
    sd 1 (mean ``effect`` higher in treatment); ``"accumulating"`` -- a fixed
    ``per_arm_per_day * days`` customers per arm whose outcome grows by a normal amount each
    day (sd 1, mean ``effect / days`` higher in treatment). ``tau2`` is fixed from the planned
    final variance. Returns a dict: ``fixed_peeking`` (share of tests ever significant at the
    fixed-horizon level), ``fixed_final`` (significant at the last look only),
    ``always_valid_peeking`` (always-valid p-value ever <= alpha), ``always_valid_coverage``
    (share whose always-valid interval covered the true difference at every look: ``effect``, or
    ``effect * look / days`` when accumulating) and ``simulations``.

    >>> r = simulate_peeking(simulations=200, days=10, random_state=1)
    >>> r["fixed_peeking"] > r["always_valid_peeking"]
    True
    """
    if mode not in ("arrivals", "accumulating"):
        raise ConfigError(f"mode must be 'arrivals' or 'accumulating', not {mode!r}")
    rng = np.random.default_rng(random_state)
    k = per_arm_per_day
    shape = (simulations, days, k)
    sums, sqs = [], []
    for arm_mean in (0.0, effect):
        if mode == "arrivals":
            x = rng.normal(arm_mean, 1.0, shape)
            sums.append(np.cumsum(x.sum(axis=2), axis=1))
            sqs.append(np.cumsum((x * x).sum(axis=2), axis=1))
        else:
            cum = np.zeros((simulations, k * days))  # each customer's running total
            s_day, q_day = np.empty((simulations, days)), np.empty((simulations, days))
            for day in range(days):
                cum += rng.normal(arm_mean / days, 1.0, cum.shape)
                s_day[:, day], q_day[:, day] = cum.sum(axis=1), (cum * cum).sum(axis=1)
            sums.append(s_day)
            sqs.append(q_day)
    n = (np.arange(1, days + 1) * k if mode == "arrivals" else np.full(days, k * days))[None, :].astype(float)
    means = [s / n for s in sums]
    var = [np.maximum(q / n - m * m, 0) * n / (n - 1) / n for q, m in zip(sqs, means)]
    d, v = means[1] - means[0], var[0] + var[1]
    planned = 2.0 / (k * days) if mode == "arrivals" else 2.0 / k
    tau2 = mixture_variance(planned, alpha=alpha)
    flo, fhi, fp = _fixed(d, v, alpha)
    lo, hi, p = always_valid_interval(d, v, tau2, alpha=alpha)
    truth = effect if mode == "arrivals" else effect * np.arange(1, days + 1)[None, :] / days
    covered = (lo <= truth) & (truth <= hi)
    return dict(simulations=simulations, fixed_peeking=float((fp <= alpha).any(axis=1).mean()),
                fixed_final=float((fp[:, -1] <= alpha).mean()),
                always_valid_peeking=float((p <= alpha).any(axis=1).mean()),
                always_valid_coverage=float(covered.all(axis=1).mean()))
