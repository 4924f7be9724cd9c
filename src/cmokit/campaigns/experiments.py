"""Experiment read-out: every treatment variant against control, on three metrics.

Per customer (in the engine): ``converted`` (any order in the experiment window),
``orders`` and ``revenue`` in the window ``[starts_on, ends_on]`` (UTC days, inclusive), and
the same quantities in the ``pre_period_days`` before ``starts_on`` as CUPED covariates.
Per variant the engine returns sufficient statistics only (counts, sums, sums of squares and
cross-products), so the read-out never pulls customer rows into Python.

Statistics (``alpha`` two-sided):

* conversion: Wilson score interval per arm (Wilson 1927); Newcombe's hybrid score interval
  for the difference (Newcombe 1998, method 10); pooled two-proportion z-test p-value;
  relative lift interval on the log risk ratio (Katz et al. 1978).
* revenue / orders per customer: Welch's t interval and test with Welch-Satterthwaite degrees
  of freedom; relative lift interval by the delta method on the log ratio of means.
* CUPED (Deng, Xu, Kohavi & Walker 2013): ``y' = y - theta (x - mean(x))`` with
  ``theta = cov(y, x) / var(x)`` pooled within arms, ``x`` the pre-period value of the same
  metric; the adjusted means and variances follow from the sufficient statistics.
  ``variance_reduction`` = 1 - var(y') / var(y) (pooled).
* several variants x metrics: Holm's step-down correction (Holm 1979) within an experiment.
* sample-ratio mismatch: chi-square goodness of fit of the arm sizes against the planned
  allocation (equal unless given).
* incremental revenue = lift in revenue per customer x treated customers; incremental ROI =
  (margin x incremental revenue - spend) / spend, spend being the campaign's media spend in the
  experiment window, shared between treatment arms by size.

>>> import pandas as pd
>>> from cmokit.campaigns.experiments import readout_from_stats
>>> stats = pd.DataFrame({"experiment_id": ["x", "x"], "variant": ["control", "mail"],
...     "n": [1000, 1000], "conversions": [100, 130]})
>>> r = readout_from_stats(stats, metrics=("conversion",))
>>> round(float(r.loc[0, "abs_lift"]), 3), bool(r.loc[0, "abs_lift_lower"] > 0)
(0.03, True)
"""

from __future__ import annotations

import math

from cmokit._frames import kind_of, like, require_columns, to_kind, to_pandas
from cmokit._inputs import snapshot
from cmokit.errors import ConfigError, ContractError
from cmokit.warehouse.connect import resolve

CONTROL = "control"

#: metric -> (outcome column, CUPED covariate column)
METRICS = {
    "conversion": ("converted", "pre_converted"),
    "revenue_per_customer": ("revenue", "pre_revenue"),
    "orders_per_customer": ("orders", "pre_orders"),
}

OUTCOME_COLUMNS = ("experiment_id", "customer_id", "variant", "converted", "orders", "revenue",
                   "pre_converted", "pre_orders", "pre_revenue")

#: Contract tables and columns the read-out reads.
NEEDS = {"experiments": ("experiment_id", "starts_on", "ends_on"),
         "experiment_assignments": ("experiment_id", "customer_id", "variant"),
         "orders": ("customer_id", "ordered_at", "revenue")}


def _ids(experiment_id):
    return None if experiment_id is None else ([experiment_id] if isinstance(experiment_id, str) else list(experiment_id))


def _read(source, experiment_id=None, needs=NEEDS, also_nonempty=()):
    """Resolve ``source``, check the tables the read-out needs (a duplicated assignment, a
    missing column, an empty table are :class:`ContractError`) and that every requested
    experiment exists."""
    res = resolve(source, "experiment_assignments")
    nonempty = ("experiments", "experiment_assignments", *also_nonempty)
    tables = {name: res.table(name, columns, nonempty=name in nonempty) for name, columns in needs.items()}
    ids = _ids(experiment_id)
    if ids is not None:
        e = tables["experiments"]
        known = sorted(res.warehouse.execute(e.select("experiment_id").distinct(), output="pandas")["experiment_id"])
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ContractError(f"experiment {', '.join(map(repr, unknown))} is not in experiments; "
                                f"known experiments: {', '.join(map(str, known))}", table="experiments")
    return res


def outcomes_expr(wh, experiment_id=None, *, pre_period_days: int = 180, as_of=None):
    """Ibis expression: one row per assigned customer with window and pre-period outcomes.

    Orders after ``as_of`` (a UTC day, inclusive) are left out; ``None`` keeps every order
    (the latest order day: nothing is later).
    """
    import ibis

    from cmokit.engine import orders_until

    a = wh.table("experiment_assignments")
    e = wh.table("experiments").select("experiment_id", "starts_on", "ends_on")
    if experiment_id is not None:
        ids = [experiment_id] if isinstance(experiment_id, str) else list(experiment_id)
        a = a.filter(a.experiment_id.isin(ids))
    a = a.join(e, "experiment_id").select("experiment_id", "customer_id", "variant", "starts_on", "ends_on")
    o = wh.table("orders").select("customer_id", "ordered_at", "revenue")
    if as_of is not None:
        o = orders_until(o, as_of)
    j = a.join(o, "customer_id")
    day = j.ordered_at.cast("date")
    pre_start = j.starts_on.cast("date") - ibis.interval(days=int(pre_period_days))
    in_window = (day >= j.starts_on) & (day <= j.ends_on)
    in_pre = (day >= pre_start) & (day < j.starts_on)
    rev = j.revenue.cast("float64")
    per = j.filter(in_window | in_pre).group_by(["experiment_id", "customer_id"]).aggregate(
        orders=in_window.cast("int64").sum(),
        revenue=ibis.ifelse(in_window, rev, 0.0).sum(),
        pre_orders=in_pre.cast("int64").sum(),
        pre_revenue=ibis.ifelse(in_pre, rev, 0.0).sum(),
    )
    out = a.left_join(per, ["experiment_id", "customer_id"])
    out = out.select(
        "experiment_id", "customer_id", "variant",
        orders=ibis.coalesce(out.orders, 0).cast("float64"),
        revenue=ibis.coalesce(out.revenue, 0.0),
        pre_orders=ibis.coalesce(out.pre_orders, 0).cast("float64"),
        pre_revenue=ibis.coalesce(out.pre_revenue, 0.0),
    )
    return out.mutate(converted=(out.orders > 0).cast("float64"), pre_converted=(out.pre_orders > 0).cast("float64"))


def stats_expr(outcomes):
    """Ibis expression: per experiment and variant, the sufficient statistics of the read-out."""
    aggs = {"n": outcomes.customer_id.count()}
    for y, x in METRICS.values():
        yy, xx = outcomes[y].cast("float64"), outcomes[x].cast("float64")
        aggs.update({f"sum_{y}": yy.sum(), f"ss_{y}": (yy * yy).sum(), f"sum_{x}": xx.sum(),
                     f"ss_{x}": (xx * xx).sum(), f"sp_{y}": (yy * xx).sum()})
    out = outcomes.group_by(["experiment_id", "variant"]).aggregate(**aggs)
    return out.order_by(["experiment_id", "variant"])


def customer_outcomes(source, experiment_id=None, *, pre_period_days: int = 180, as_of=None):
    """Per assigned customer: variant, converted, orders, revenue and their pre-period values.

    Orders up to ``as_of`` count (a UTC day, inclusive; ``None`` = the latest order day), so a
    running experiment can be read out to date. Personal data never leaves: rows are keyed by
    the pseudonymous ``customer_id``. An unknown ``experiment_id`` is a :class:`ContractError`.
    """
    res = _read(source, experiment_id)
    return res.execute(outcomes_expr(res.warehouse, experiment_id, pre_period_days=pre_period_days,
                                     as_of=snapshot(res, as_of)))


def experiment_stats(source, experiment_id=None, *, pre_period_days: int = 180, as_of=None):
    """Sufficient statistics per experiment and variant, computed in the engine.

    ``source`` is a warehouse (orders up to ``as_of``, a UTC day, inclusive; ``None`` = the
    latest order day), or a frame of per-customer outcomes with the columns
    :data:`OUTCOME_COLUMNS` (for example simulated experiments; ``as_of`` does not apply).
    """
    if kind_of(source) is not None:
        frame = require_columns(source, OUTCOME_COLUMNS, "experiment outcomes",
                                numeric=OUTCOME_COLUMNS[3:], not_null=OUTCOME_COLUMNS)
        if frame.empty:
            raise ContractError("experiment outcomes is empty: pass one row per assigned customer",
                                table="experiment outcomes")
        dup = frame.duplicated(["experiment_id", "customer_id"])
        if dup.any():
            raise ContractError(f"experiment outcomes: experiment_id + customer_id is not unique "
                                f"({int(dup.sum())} rows, e.g. {frame[dup].iloc[0][['experiment_id', 'customer_id']].to_dict()}); "
                                "one row per customer per experiment", table="experiment outcomes")
        res = resolve(source, "experiment_outcomes")
        out = res.table("experiment_outcomes")
        ids = _ids(experiment_id)
        return res.execute(stats_expr(out if ids is None else out.filter(out.experiment_id.isin(ids))))
    res = _read(source, experiment_id)
    return res.execute(stats_expr(outcomes_expr(res.warehouse, experiment_id, pre_period_days=pre_period_days,
                                                as_of=snapshot(res, as_of))))


# --- statistics on sufficient statistics -------------------------------------------------------

def wilson_interval(successes, n, alpha: float = 0.05):
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    from scipy.stats import norm

    if n == 0:
        return (math.nan, math.nan)
    z = norm.ppf(1 - alpha / 2)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (centre - half, centre + half)


def newcombe_interval(x1, n1, x2, n2, alpha: float = 0.05):
    """Newcombe's hybrid score interval for ``p1 - p2`` (Newcombe 1998, method 10)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def _proportion_row(xc, nc, xt, nt, alpha):
    from scipy.stats import norm

    pc, pt = xc / nc, xt / nt
    lo, hi = newcombe_interval(xt, nt, xc, nc, alpha)
    pool = (xc + xt) / (nc + nt)
    se0 = math.sqrt(pool * (1 - pool) * (1 / nc + 1 / nt))
    p_value = 1.0 if se0 == 0 else 2 * norm.sf(abs(pt - pc) / se0)
    var_c, var_t = pc * (1 - pc), pt * (1 - pt)
    return dict(control_value=pc, variant_value=pt, abs_lift=pt - pc, abs_lift_lower=lo, abs_lift_upper=hi,
                p_value=p_value, **_relative(pc, var_c, nc, pt, var_t, nt, alpha))


def _relative(mc, vc, nc, mt, vt, nt, alpha):
    """Relative lift ``mt / mc - 1`` with a delta-method interval on the log ratio."""
    from scipy.stats import norm

    if mc <= 0 or mt <= 0:
        rel = math.nan if mc == 0 else mt / mc - 1
        return dict(rel_lift=rel, rel_lift_lower=math.nan, rel_lift_upper=math.nan)
    z = norm.ppf(1 - alpha / 2)
    se = math.sqrt(vt / (nt * mt * mt) + vc / (nc * mc * mc))
    log_ratio = math.log(mt / mc)
    return dict(rel_lift=mt / mc - 1, rel_lift_lower=math.exp(log_ratio - z * se) - 1,
                rel_lift_upper=math.exp(log_ratio + z * se) - 1)


def welch(mc, vc, nc, mt, vt, nt, alpha: float = 0.05):
    """Welch's t: difference ``mt - mc``, interval, two-sided p-value, degrees of freedom."""
    from scipy.stats import t as student

    se2 = vt / nt + vc / nc
    d = mt - mc
    if se2 <= 0:
        return d, d, d, (1.0 if d == 0 else 0.0), math.inf
    df = se2 ** 2 / ((vt / nt) ** 2 / (nt - 1) + (vc / nc) ** 2 / (nc - 1))
    se = math.sqrt(se2)
    q = student.ppf(1 - alpha / 2, df)
    return d, d - q * se, d + q * se, 2 * student.sf(abs(d) / se, df), df


def _moments(row, y, x):
    """Mean and sample variance of y and x and their covariance, from sums."""
    n = row["n"]
    my, mx = row[f"sum_{y}"] / n, row[f"sum_{x}"] / n
    c = n / (n - 1) if n > 1 else math.nan
    vy = max(row[f"ss_{y}"] / n - my * my, 0.0) * c
    vx = max(row[f"ss_{x}"] / n - mx * mx, 0.0) * c
    cxy = (row[f"sp_{y}"] / n - my * mx) * c
    return my, vy, mx, vx, cxy


def _cuped_theta(rows, y, x):
    num = sum(r[f"sp_{y}"] - r[f"sum_{y}"] * r[f"sum_{x}"] / r["n"] for r in rows)
    den = sum(r[f"ss_{x}"] - r[f"sum_{x}"] ** 2 / r["n"] for r in rows)
    return 0.0 if den <= 0 else num / den


def holm(p_values):
    """Holm's step-down adjusted p-values (same order as given)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


def _adjust(p_values, correction):
    if correction == "holm":
        return holm(p_values)
    if correction == "bonferroni":
        return [min(1.0, p * len(p_values)) for p in p_values]
    if correction in (None, "none"):
        return list(p_values)
    raise ConfigError(f"correction must be 'holm', 'bonferroni' or 'none', not {correction!r}")


def readout_from_stats(stats, *, alpha: float = 0.05, cuped: bool = True, correction: str = "holm",
                       metrics=tuple(METRICS)):
    """The read-out table from per-variant sufficient statistics (see :func:`experiment_stats`).

    ``conversion`` needs only ``n`` and ``conversions`` (or ``sum_converted``); the means
    need sums and sums of squares (and cross-products with the pre-period for CUPED).
    """
    import pandas as pd

    frame = require_columns(stats, ("experiment_id", "variant", "n"), "experiment statistics", numeric=("n",))
    rows_out = []
    for exp_id, grp in frame.groupby("experiment_id", sort=True):
        recs = {r["variant"]: r for r in grp.to_dict("records")}
        if CONTROL not in recs:
            raise ConfigError(f"experiment {exp_id!r} has no '{CONTROL}' variant")
        ctrl = recs[CONTROL]
        block = []
        for metric in metrics:
            y, x = METRICS[metric]
            use_cuped = cuped and metric != "conversion" and f"sp_{y}" in ctrl
            theta = _cuped_theta(list(recs.values()), y, x) if use_cuped else 0.0
            if use_cuped:
                mx_all = sum(r[f"sum_{x}"] for r in recs.values()) / sum(r["n"] for r in recs.values())
            for variant, rec in recs.items():
                if variant == CONTROL:
                    continue
                base = dict(experiment_id=exp_id, variant=variant, metric=metric,
                            n_control=int(ctrl["n"]), n_variant=int(rec["n"]))
                if metric == "conversion":
                    conv_c = ctrl.get("conversions", ctrl.get("sum_converted"))
                    conv_t = rec.get("conversions", rec.get("sum_converted"))
                    row = dict(method="newcombe", **_proportion_row(conv_c, ctrl["n"], conv_t, rec["n"], alpha),
                               variance_reduction=0.0)
                else:
                    arms = []
                    for r in (ctrl, rec):
                        my, vy, mx, vx, cxy = _moments(r, y, x) if use_cuped else (*_moments_plain(r, y), 0, 0, 0)
                        adj_m = my - theta * (mx - mx_all) if use_cuped else my
                        adj_v = vy - 2 * theta * cxy + theta * theta * vx
                        arms.append((my, vy, adj_m, max(adj_v, 0.0), r["n"]))
                    (rmc, rvc, mc, vc, nc), (rmt, rvt, mt, vt, nt) = arms
                    d, lo, hi, p, _ = welch(mc, vc, nc, mt, vt, nt, alpha)
                    raw_var = (rvc * (nc - 1) + rvt * (nt - 1)) / (nc + nt - 2)
                    adj_var = (vc * (nc - 1) + vt * (nt - 1)) / (nc + nt - 2)
                    row = dict(method="cuped" if use_cuped else "welch", control_value=rmc, variant_value=rmt,
                               abs_lift=d, abs_lift_lower=lo, abs_lift_upper=hi, p_value=p,
                               **_relative(mc, vc, nc, mc + d, vt, nt, alpha),
                               variance_reduction=(1 - adj_var / raw_var) if raw_var > 0 else 0.0)
                block.append({**base, **row})
        adjusted = _adjust([r["p_value"] for r in block], correction)
        for r, p in zip(block, adjusted):
            r["p_value_adjusted"] = p
            r["significant"] = p < alpha
        rows_out.extend(block)
    cols = ["experiment_id", "variant", "metric", "method", "n_control", "n_variant", "control_value",
            "variant_value", "abs_lift", "abs_lift_lower", "abs_lift_upper", "rel_lift", "rel_lift_lower",
            "rel_lift_upper", "p_value", "p_value_adjusted", "significant", "variance_reduction"]
    return pd.DataFrame(rows_out, columns=cols)


def _moments_plain(r, y):
    n = r["n"]
    m = r[f"sum_{y}"] / n
    v = max(r[f"ss_{y}"] / n - m * m, 0.0) * (n / (n - 1)) if n > 1 else math.nan
    return m, v


def experiment_readout(source, experiment_id=None, *, alpha: float = 0.05, cuped: bool = True,
                       correction: str = "holm", pre_period_days: int = 180, as_of=None):
    """Read out every (or one) experiment: each variant vs control on conversion, revenue and
    orders per customer, with intervals, p-values, Holm correction and CUPED.

    Orders up to ``as_of`` count (a UTC day, inclusive; ``None`` = the latest order day). An
    ``experiment_id`` not in ``experiments`` is a :class:`~cmokit.errors.ContractError` that
    lists the known ones; a customer assigned twice to one experiment too.

    Returns one row per experiment x variant x metric (columns: see
    :func:`readout_from_stats`). ``abs_lift`` and its interval are CUPED-adjusted when
    ``cuped`` (``method == "cuped"``); ``control_value`` / ``variant_value`` are raw means.
    """
    stats = experiment_stats(source, experiment_id, pre_period_days=pre_period_days, as_of=as_of)
    out = readout_from_stats(_with_conversions(stats), alpha=alpha, cuped=cuped, correction=correction)
    return _finish(source, out)


def _with_conversions(stats):
    frame = to_pandas(stats)
    return frame.assign(conversions=frame["sum_converted"])


def _finish(source, frame):
    """``frame`` in the caller's kind: a frame's kind, a warehouse's ``output``, else pandas."""
    if kind_of(source) is not None:
        return like(frame, source)
    if isinstance(source, dict):
        kinds = {kind_of(v) for v in source.values()}
        return to_kind(frame, kinds.pop() if len(kinds) == 1 else None)
    return to_kind(frame, getattr(source, "output", None))


def sample_ratio_mismatch(source, experiment_id=None, *, allocation: dict | None = None,
                          threshold: float = 0.001):
    """Sample-ratio-mismatch check per experiment: chi-square of arm sizes vs the plan.

    ``source`` is a warehouse or a frame with ``experiment_id``, ``variant`` and ``n``.
    ``allocation`` maps variant -> planned share (equal shares when omitted). ``srm`` is true
    when the p-value is below ``threshold`` (the usual 0.001: look for a broken assignment).
    """
    import pandas as pd
    from scipy.stats import chisquare

    if kind_of(source) is not None and {"experiment_id", "variant", "n"} <= set(to_pandas(source).columns):
        counts = require_columns(source, ("experiment_id", "variant", "n"), "arm sizes", numeric=("n",))
    else:
        res = _read(source, experiment_id, {"experiments": NEEDS["experiments"],
                                            "experiment_assignments": NEEDS["experiment_assignments"]})
        a = res.table("experiment_assignments")
        if experiment_id is not None:
            a = a.filter(a.experiment_id.isin(_ids(experiment_id)))
        counts = res.warehouse.execute(a.group_by(["experiment_id", "variant"]).aggregate(n=a.customer_id.count()),
                                       output="pandas")
    rows = []
    for exp_id, grp in counts.groupby("experiment_id", sort=True):
        grp = grp.sort_values("variant")
        shares = [(allocation or {}).get(v, 1.0) for v in grp["variant"]]
        total = float(grp["n"].sum())
        expected = [total * s / sum(shares) for s in shares]
        chi2, p = chisquare(grp["n"].astype(float).to_numpy(), expected)
        rows.append(dict(experiment_id=exp_id, variants=len(grp), customers=int(total), chi2=float(chi2),
                         df=len(grp) - 1, p_value=float(p), srm=bool(p < threshold)))
    return _finish(source, pd.DataFrame(rows))


def incremental_roi(source, readout=None, *, margin: float = 1.0, alpha: float = 0.05, as_of=None,
                    **readout_kwargs):
    """Incremental revenue and incremental ROI of the campaign behind each experiment.

    Per treatment variant: ``incremental_revenue`` = lift in revenue per customer x customers in
    the variant (with its interval), ``spend`` = the campaign's media spend during the experiment
    window up to ``as_of`` (a UTC day, inclusive; ``None`` = the latest order day) shared between
    treatment arms by size, ``incremental_roi`` = (margin x incremental_revenue - spend) / spend
    (null without spend). Without ``readout`` the read-out is computed as of ``as_of`` too.
    """
    import ibis
    import pandas as pd

    res = resolve(source, "experiments")
    e = res.table("experiments", ("experiment_id", "campaign_id", "starts_on", "ends_on"), nonempty=True)
    s = res.table("marketing_spend", ("spend_date", "campaign_id", "spend"), nonempty=True)
    wh = res.warehouse
    day = snapshot(res, as_of)
    if readout is None:
        readout = experiment_readout(wh, alpha=alpha, as_of=day, **readout_kwargs)
    rd = require_columns(readout, ("experiment_id", "variant", "metric", "n_variant", "abs_lift", "abs_lift_lower",
                                   "abs_lift_upper"), "read-out", numeric=("n_variant", "abs_lift"))
    rd = rd[rd.metric == "revenue_per_customer"]
    s = s.filter(s.spend_date <= ibis.literal(day))
    j = e.join(s, [e.campaign_id == s.campaign_id, s.spend_date >= e.starts_on, s.spend_date <= e.ends_on])
    spend = wh.execute(j.group_by(e.experiment_id).aggregate(spend=s.spend.cast("float64").sum()), output="pandas")
    meta = wh.execute(e.select("experiment_id", "campaign_id"), output="pandas")
    out = rd.merge(meta, on="experiment_id", how="left").merge(spend, on="experiment_id", how="left")
    treated = out.groupby("experiment_id")["n_variant"].transform("sum")
    out["spend"] = out["spend"] * out["n_variant"] / treated
    for suffix in ("", "_lower", "_upper"):
        out["incremental_revenue" + suffix] = out["abs_lift" + suffix] * out["n_variant"]
    sp = out["spend"].where(out["spend"] > 0)
    for suffix in ("", "_lower", "_upper"):
        out["incremental_roi" + suffix] = (margin * out["incremental_revenue" + suffix] - sp) / sp
    cols = ["experiment_id", "campaign_id", "variant", "n_variant", "spend", "incremental_revenue",
            "incremental_revenue_lower", "incremental_revenue_upper", "incremental_roi",
            "incremental_roi_lower", "incremental_roi_upper"]
    return _finish(source, pd.DataFrame(out[cols]).reset_index(drop=True))
