"""Budget optimiser and forward plan on a fitted :class:`~cmokit.mmm.model.MediaMixModel`.

A budget ``B_c`` spent evenly over ``horizon_periods`` periods earns, at the steady state of
the carry-over, ``horizon_periods * r_c(B_c / horizon_periods)`` where ``r_c`` is the
channel's fitted response per period (:meth:`MediaMixModel.response`). The optimiser
maximises the sum over channels subject to ``sum_c B_c = total_budget`` and per-channel
bounds given **by channel name**; with ``target_roas`` it instead maximises revenue
subject to ``revenue >= target_roas * spend`` and ``spend <= total_budget``. SciPy's SLSQP
runs from several starts (current allocation, equal split, seeded random splits), so
S-shaped responses do not trap it at an equal split.

Advice is gated by evidence (:mod:`cmokit.mmm.evidence`): by default each channel stays within
±30 % of its current budget (``band``; user ``bounds`` override it per channel), and a channel
whose effect is not identified or whose ROI interval straddles break-even is held at its current
budget and listed in ``plan.tests`` ("test before moving money") with a test design. Expected revenue of the recommended
and the current allocation, and the uplift, carry intervals from the model's bootstrap
replicates (paired: the same replicate scores both allocations).

>>> import numpy as np, pandas as pd
>>> from cmokit.mmm.model import MediaMixModel
>>> rng = np.random.default_rng(1)
>>> n = 104
>>> panel = pd.DataFrame({"period": pd.date_range("2023-01-02", periods=n, freq="W-MON"),
...     "a": rng.gamma(2.0, 50.0, n), "b": rng.gamma(2.0, 50.0, n)})
>>> panel["revenue"] = 1000 + 2 * panel["a"] + 0.5 * panel["b"] + rng.normal(0, 5, n)
>>> mmm = MediaMixModel(channels=["a", "b"], n_bootstrap=10, maxiter=10).fit(panel)
>>> plan = optimize_budget(mmm, total_budget=20000, horizon_periods=10,
...                        bounds={"b": (1000, 5000), "a": (0, 20000)})
>>> bool(plan.allocation.set_index("channel").loc["b", "budget"] >= 1000 - 1e-6)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cmokit.errors import ConfigError, ConvergenceError
from cmokit.mmm.evidence import BREAK_EVEN_ROI

#: Default band around each channel's current budget in a fixed-budget plan (Meridian's default
#: optimisation keeps every channel within ±30 % of its historical spend).
DEFAULT_BAND = 0.3


@dataclass
class BudgetPlan:
    """Result of :func:`optimize_budget`.

    ``allocation``: one row per channel (channel, evidence, current_budget, budget, change,
    lower_bound, upper_bound, bound — where the bounds come from: ``held``, ``user``,
    ``band ±30%`` or ``open`` —, revenue, current_revenue, roi, marginal_roi).
    ``totals``: one row per scenario (``current``, ``optimised``, ``uplift``) with spend,
    media_revenue, media_revenue_lower, media_revenue_upper, roas.
    ``tests``: "test before moving money", one row per held channel with its test design
    (:func:`cmokit.mmm.evidence.test_design`).
    """

    allocation: object
    totals: object
    tests: object = None
    settings: dict = field(default_factory=dict)


def _bounds_by_name(channels, total_budget: float, bounds) -> dict:
    bounds = dict(bounds or {})
    unknown = sorted(set(bounds) - set(channels))
    if unknown:
        raise ConfigError(f"bounds given for unknown channel(s) {unknown}; the model has {list(channels)}")
    out = {}
    for ch, (lo, hi) in bounds.items():
        lo = 0.0 if lo is None else float(lo)
        hi = total_budget if hi is None else float(hi)
        if lo < 0 or hi < lo:
            raise ConfigError(f"bounds for {ch!r} must satisfy 0 <= lower <= upper, got ({lo}, {hi})")
        out[ch] = (lo, hi)
    return out


def channel_bounds(channels, current, total_budget: float, bounds=None, *, band: float | None = DEFAULT_BAND,
                   held=()):
    """Per-channel budget bounds and where each comes from.

    A held channel (evidence gate) stays at its current budget whatever else is asked; a
    channel named in ``bounds`` gets the user's bounds; every other channel stays within
    ``band`` of its current budget (``(1 - band) * current, (1 + band) * current``), or
    ``(0, total_budget)`` when ``band`` is ``None``. Returns (box: channels × 2, source: list of
    ``"held"``, ``"user"``, ``"band ±30%"`` or ``"open"``).

    >>> box, source = channel_bounds(["a", "b", "c"], [100.0, 50.0, 50.0], 200.0, {"b": (0, 80)}, held=["c"])
    >>> box.tolist(), source
    ([[70.0, 130.0], [0.0, 80.0], [50.0, 50.0]], ['band ±30%', 'user', 'held'])
    """
    if band is not None and not 0 <= band < 1:
        raise ConfigError(f"band must be in [0, 1) (a share of current spend) or None, got {band!r}")
    user = _bounds_by_name(channels, float(total_budget), bounds)
    box = np.empty((len(channels), 2))
    source = []
    for j, ch in enumerate(channels):
        cur = float(current[j])
        if ch in set(held):
            box[j], src = (cur, cur), "held"
        elif ch in user:
            box[j], src = user[ch], "user"
        elif band is not None:
            box[j], src = ((1 - band) * cur, (1 + band) * cur), f"band ±{band:.0%}"
        else:
            box[j], src = (0.0, float(total_budget)), "open"
        source.append(src)
    return box, source


def media_revenue(mmm, budgets, horizon_periods: int, draws: bool = False):
    """Steady-state media revenue of ``budgets`` (array by ``mmm.channels_``) over the horizon.

    Returns per-channel revenue (or replicates × channels with ``draws=True``).
    """
    per_period = np.asarray(budgets, float) / horizon_periods
    cols = [mmm.response(ch, per_period[j], draws=draws) for j, ch in enumerate(mmm.channels_)]
    if draws:
        return np.column_stack([c[:, 0] for c in cols]) * horizon_periods
    return np.array([c[0] for c in cols]) * horizon_periods


def current_allocation(mmm, total_budget: float | None = None, last_periods: int | None = None) -> dict:
    """Historical spend per channel (the last ``last_periods`` periods, default all),
    rescaled to ``total_budget`` when given."""
    hist = mmm.spend_history_ if last_periods is None else mmm.spend_history_[-int(last_periods):]
    spend = hist.sum(axis=0)
    if total_budget is not None and spend.sum() > 0:
        spend = spend * total_budget / spend.sum()
    return dict(zip(mmm.channels_, spend))


def optimize_budget(mmm, total_budget: float, horizon_periods: int = 13, bounds: dict | None = None,
                    *, band: float | None = DEFAULT_BAND, gate: bool = True,
                    break_even: float = BREAK_EVEN_ROI, current: dict | None = None,
                    target_roas: float | None = None, n_starts: int = 20, random_state: int = 0) -> BudgetPlan:
    """Allocate ``total_budget`` across the model's channels, moving money only where the evidence allows.

    Parameters
    ----------
    mmm : MediaMixModel
        A fitted model.
    total_budget : float
        Money to spend over the horizon (EUR).
    horizon_periods : int
        Number of periods (weeks for a weekly model) the budget is spent over, evenly.
    bounds : dict
        ``{channel: (lower, upper)}`` budget over the horizon; they override the band for the
        channels they name. Order does not matter; unknown names raise ``ConfigError``.
    band : float or None
        Channels without user bounds stay within ``±band`` of their current budget (default
        ±30 %, shown in ``allocation``'s ``lower_bound`` / ``upper_bound`` / ``bound``);
        ``None`` lets them range over ``(0, total_budget)``.
    gate : bool
        Apply the evidence gate (:mod:`cmokit.mmm.evidence`): a channel whose effect is not
        identified or whose ROI interval straddles ``break_even`` is held at its current budget
        and listed in ``plan.tests`` with a test design. ``False`` lets the optimiser move every
        channel (for analysis, not for advice).
    break_even : float
        ROI at which spend pays back (1.0: one euro of revenue per euro of spend).
    current : dict, optional
        The allocation to compare with (default: historical spend shares scaled to the budget;
        it is compared as is, even where it breaks ``bounds``).
    target_roas : float, optional
        Instead of spending the whole budget, maximise revenue while keeping
        media revenue / spend >= ``target_roas`` (spend <= ``total_budget``).
    n_starts : int
        Random starting allocations besides the current and the equal split.
    random_state : int
        Seed of the random starts.

    Returns
    -------
    BudgetPlan
        ``allocation`` (with ``evidence`` and the bound applied), ``totals``, ``tests`` ("test
        before moving money": one row per held channel with its test design), ``settings``.
    """
    import pandas as pd
    from scipy.optimize import minimize

    from cmokit.mmm.evidence import evidence_levels, test_design

    from cmokit._frames import to_pandas

    roi = to_pandas(mmm.roi())  # checks the model is fitted
    if total_budget <= 0 or horizon_periods <= 0:
        raise ConfigError("total_budget and horizon_periods must be positive")
    channels = list(mmm.channels_)
    cur = current_allocation(mmm, total_budget) if current is None else dict(current)
    unknown = sorted(set(cur) - set(channels))
    if unknown:
        raise ConfigError(f"current allocation names unknown channel(s) {unknown}")
    cur_vec = np.array([float(cur.get(ch, 0.0)) for ch in channels])
    levels = evidence_levels(roi, break_even)
    held = list(levels.loc[levels["evidence"] == "held", "channel"]) if gate else []
    box, source = channel_bounds(channels, cur_vec, float(total_budget), bounds, band=band, held=held)
    lo, hi = box[:, 0], box[:, 1]
    if lo.sum() > total_budget + 1e-9:
        raise ConfigError(f"lower bounds add up to {lo.sum():,.2f}, more than the budget {total_budget:,.2f}")
    if target_roas is None and hi.sum() < total_budget - 1e-9:
        raise ConfigError(f"upper bounds add up to {hi.sum():,.2f}, less than the budget {total_budget:,.2f}")

    scale = float(total_budget)

    def revenue(x):
        return media_revenue(mmm, x * scale, horizon_periods).sum() / scale

    constraints = []
    if target_roas is None:
        constraints.append({"type": "eq", "fun": lambda x: x.sum() - 1.0})
    else:
        constraints.append({"type": "ineq", "fun": lambda x: 1.0 - x.sum()})
        constraints.append({"type": "ineq", "fun": lambda x: revenue(x) - target_roas * x.sum()})
    box_unit = list(zip(lo / scale, hi / scale))

    rng = np.random.default_rng(random_state)
    starts = [np.clip(cur_vec / scale, lo / scale, hi / scale), _feasible_split(lo, hi, scale)]
    for _ in range(int(n_starts)):
        w = rng.dirichlet(np.ones(len(channels)))
        starts.append(_project(w, lo / scale, hi / scale))
    best_x, best_val = None, -np.inf
    for x0 in starts:
        res = minimize(lambda x: -revenue(x), x0, method="SLSQP", bounds=box_unit,
                       constraints=constraints, options={"maxiter": 300, "ftol": 1e-12})
        x = np.clip(res.x, lo / scale, hi / scale)
        if not _feasible(x, revenue, target_roas):
            continue
        val = revenue(x)
        if val > best_val:
            best_x, best_val = x, val
    if best_x is not None and target_roas is not None and best_x.sum() < 1e-6:
        best_x = None  # spending nothing meets any ROAS: not an answer
    if best_x is None:
        if target_roas is not None:
            raise ConvergenceError(
                f"no allocation within the bounds reaches ROAS {target_roas}; lower the target or widen the bounds")
        raise ConvergenceError("the budget optimiser found no feasible allocation; check the bounds")
    alloc = best_x * scale
    fixed = lo == hi
    alloc[fixed] = lo[fixed]  # held channels stay exactly where they are

    rev_opt = media_revenue(mmm, alloc, horizon_periods)
    rev_cur = media_revenue(mmm, cur_vec, horizon_periods)
    draws_opt = media_revenue(mmm, alloc, horizon_periods, draws=True).sum(axis=1)
    draws_cur = media_revenue(mmm, cur_vec, horizon_periods, draws=True).sum(axis=1)
    from cmokit.mmm.sampling import centred_interval

    eps = 1e-3 * np.maximum(alloc, 1.0)
    mroi = (media_revenue(mmm, alloc + eps, horizon_periods) - rev_opt) / eps
    evidence = levels.set_index("channel")["evidence"].reindex(channels).to_numpy()
    if not gate:
        evidence = np.where(evidence == "held", "held (gate off)", evidence)
    allocation = pd.DataFrame({
        "channel": channels, "evidence": evidence, "current_budget": cur_vec, "budget": alloc,
        "change": alloc - cur_vec, "lower_bound": lo, "upper_bound": hi, "bound": source,
        "revenue": rev_opt, "current_revenue": rev_cur,
        "roi": np.divide(rev_opt, alloc, out=np.full(len(alloc), np.nan), where=alloc > 0),
        "marginal_roi": mroi})
    rows = []
    for name, spend, point, reps in [
        ("current", cur_vec.sum(), rev_cur.sum(), draws_cur),
        ("optimised", alloc.sum(), rev_opt.sum(), draws_opt),
        ("uplift", alloc.sum() - cur_vec.sum(), rev_opt.sum() - rev_cur.sum(), draws_opt - draws_cur),
    ]:
        floor = None if name == "uplift" else 0.0
        lower, upper = centred_interval(np.array([point]), reps[:, None], mmm.interval, floor)
        rows.append({"scenario": name, "spend": spend, "media_revenue": point,
                     "media_revenue_lower": float(lower[0]), "media_revenue_upper": float(upper[0]),
                     "roas": point / spend if name != "uplift" and spend > 0 else np.nan})
    tests = test_design(roi, mmm.spend_history_, mmm.residual_sd_, interval=mmm.interval, break_even=break_even)
    settings = {"total_budget": float(total_budget), "horizon_periods": int(horizon_periods),
                "bounds": {ch: (float(a), float(b)) for ch, (a, b) in zip(channels, box)},
                "band": band, "gate": bool(gate), "break_even": float(break_even),
                "target_roas": target_roas, "random_state": random_state}
    return BudgetPlan(allocation=allocation, totals=pd.DataFrame(rows), tests=tests, settings=settings)


def _feasible(x, revenue, target_roas) -> bool:
    if target_roas is None:
        return abs(x.sum() - 1.0) < 1e-6
    return x.sum() <= 1.0 + 1e-6 and revenue(x) >= target_roas * x.sum() - 1e-6


def _project(w, lo, hi) -> np.ndarray:
    """Closest-ish point to ``w`` with lo <= x <= hi and sum 1 (bisection on a shift)."""
    a, b = -1.0, 1.0
    for _ in range(100):
        mid = (a + b) / 2
        if np.clip(w + mid, lo, hi).sum() > 1.0:
            b = mid
        else:
            a = mid
    return np.clip(w + (a + b) / 2, lo, hi)


def _feasible_split(lo, hi, scale) -> np.ndarray:
    n = len(lo)
    return _project(np.full(n, 1.0 / n), lo / scale, hi / scale)


def plan_schedule(mmm, plan: BudgetPlan, start=None):
    """Spend schedule (period + one column per channel) spreading a plan's budgets evenly over
    its horizon, from ``start`` (default: the period after the model's training data).

    The model comes first, as everywhere; ``plan_schedule(plan, mmm)`` still works with a
    ``FutureWarning``.
    """
    import pandas as pd

    if isinstance(mmm, BudgetPlan):
        import warnings

        warnings.warn("plan_schedule(plan, mmm) is deprecated: call plan_schedule(mmm, plan)",
                      FutureWarning, stacklevel=2)
        mmm, plan = plan, mmm
    step = mmm.period_step_
    first = pd.Timestamp(start) if start is not None else mmm.periods_.max() + step
    horizon = plan.settings["horizon_periods"]
    periods = pd.date_range(first, periods=horizon, freq=step)
    per_period = plan.allocation.set_index("channel")["budget"] / horizon
    return pd.DataFrame({"period": periods, **{ch: float(per_period[ch]) for ch in mmm.channels_}})


def forward_plan(mmm, plan):
    """Predicted revenue for a planned spend schedule after the training data.

    ``plan``: a frame with ``period`` and one spend column per model channel (wide), or
    tidy ``period, channel, spend``. Carry-over from the historical spend continues into
    the plan. Returns period, revenue, revenue_lower, revenue_upper, media_revenue, in the
    plan's frame kind.
    """
    from cmokit._frames import like, to_pandas

    source = plan
    plan = to_pandas(plan).copy()
    if {"channel", "spend"} <= set(plan.columns):
        unknown = sorted(set(plan["channel"]) - set(mmm.channels_))
        if unknown:
            raise ConfigError(f"plan names unknown channel(s) {unknown}; the model has {mmm.channels_}")
        plan = plan.pivot_table(index="period", columns="channel", values="spend", aggfunc="sum").reset_index()
    for ch in mmm.channels_:
        if ch not in plan.columns:
            plan[ch] = 0.0
    plan = plan.fillna(0.0)
    return like(mmm.predict(plan, history=True), source)


__all__ = ["DEFAULT_BAND", "BudgetPlan", "channel_bounds", "current_allocation", "forward_plan", "media_revenue",
           "optimize_budget", "plan_schedule"]
