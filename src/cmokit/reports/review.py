"""The executive review: the month on one screen for the CMO–CIO meeting (issue 14, item 4).

Library functions behind ``notebooks/05_executive_review.ipynb``; each returns a tidy frame:

- :func:`review_windows` — the period (month, quarter or week to the snapshot day), the same
  days of the previous period and of the same period last year;
- :func:`ltv_scores` — the CLV scores behind LTV:CAC (none without marketing data);
- :func:`headline_kpis` — revenue, orders, active and new customers, spend, ROAS, CAC, LTV:CAC,
  retention for the three windows, with target and status. Spend, attributed revenue, ROAS,
  CAC and LTV:CAC come from the KPI layer (:func:`cmokit.campaigns.campaign_kpis` with
  ``by="total"``), so they are the same numbers as the campaign report's;
- :func:`revenue_bridge` — the revenue change split into customers × orders per customer ×
  order value (log-mean Divisia: the three parts add up to the change exactly);
- :func:`segment_movements` — the RFM segments that grew or shrank most;
- :func:`experiments_concluded` — experiments that ended by the snapshot and what they decided;
- :func:`budget_advice` — the media-mix model's recommended budget with its evidence level;
- :func:`it_panel` — data freshness, rows quarantined, contract checks passed;
- :func:`changes_since_last_run` — the headline against the previous run of this review
  (run history kept by ``run-all``, see :mod:`cmokit.reports.history`).

Without marketing data (empty ``campaigns`` and ``marketing_spend``: a shop's own sales export),
the headline leaves out spend, ROAS, CAC and LTV:CAC and the budget advice is empty; both say why
(``attrs["without"]``), and the rest of the review is the same.

>>> import datetime as dt
>>> w = review_windows(dt.date(2025, 12, 28))
>>> [(r.window, str(r.start), str(r.end)) for r in w.itertuples()]
[('current', '2025-12-01', '2025-12-28'), ('previous', '2025-11-01', '2025-11-28'), ('last_year', '2024-12-01', '2024-12-28')]
"""

from __future__ import annotations

import datetime as dt
import math

from cmokit.errors import ConfigError
from cmokit.warehouse.connect import resolve

PERIODS = ("month", "quarter", "week")

#: Headline KPI -> (label, direction: higher or lower is better).
HEADLINE = {
    "revenue": ("Revenue", "higher"),
    "orders": ("Orders", "higher"),
    "active_customers": ("Active customers", "higher"),
    "new_customers": ("New customers", "higher"),
    "spend": ("Media spend", None),
    "roas": ("ROAS (attributed revenue / spend)", "higher"),
    "cac": ("CAC (spend / new customers won by campaigns)", "lower"),
    "ltv_cac": ("LTV : CAC", "higher"),
    "retention": ("Retention (customers of the window before who ordered again)", "higher"),
}
#: Headline KPIs read from the KPI layer (campaign_kpis, by="total").
FROM_KPI_LAYER = ("spend", "roas", "cac", "ltv_cac")
#: The tables the marketing KPIs (spend, ROAS, CAC, budget advice) need; an export without them (a shop's
#: own sales, e.g. Online Retail II) still gets the sales side of the review.
MARKETING_TABLES = ("campaigns", "marketing_spend")
#: What the review says when those tables are empty.
NO_MARKETING = ("no marketing spend in the warehouse (its campaigns and marketing_spend tables are empty): spend, "
                "ROAS, CAC and budget advice need them; map them in sources.yml (docs/sources.md)")
#: The budget advice's place in the review when there is none.
NO_ADVICE = f"No budget advice: {NO_MARKETING}."
#: Order history (days) a window needs before it for its "new customers" to be first purchases: a customer
#: first seen in an export's first year may have bought before it began (yearly buyers come back within one).
NEW_CUSTOMER_HISTORY_DAYS = 365


def missing_marketing(source) -> list[str]:
    """The tables of :data:`MARKETING_TABLES` the warehouse has no row of (absent or empty)."""
    r = resolve(source, "orders")
    wh = r.warehouse
    return [t for t in MARKETING_TABLES if not wh.has_table(t) or int(wh.execute(wh.table(t).limit(1).count())) == 0]


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    raise ConfigError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def _shift(day: dt.date, period: str, back: int = 1) -> dt.date:
    if period == "week":
        return day - dt.timedelta(weeks=back)
    months = back * (3 if period == "quarter" else 1)
    total = day.year * 12 + day.month - 1 - months
    return day.replace(year=total // 12, month=total % 12 + 1, day=1)


def _last_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def review_windows(as_of: dt.date, period: str = "month"):
    """The three windows a review compares: ``current`` (period start to ``as_of``), ``previous``
    and ``last_year`` (the same number of days from the start of the previous period / the
    same period a year earlier). One row per window: window, start, end (inclusive)."""
    import pandas as pd

    start = _period_start(as_of, period)
    length = as_of - start
    prev_start = _shift(start, period)
    ly_start = start - dt.timedelta(weeks=52) if period == "week" else _last_year(start)
    rows = [("current", start, as_of), ("previous", prev_start, prev_start + length),
            ("last_year", ly_start, ly_start + length)]
    return pd.DataFrame(rows, columns=["window", "start", "end"])


def _order_metrics(orders, start: dt.date, end: dt.date, before_start: dt.date | None, refunds=None) -> dict:
    """Revenue (net of the refunds booked in the window, as :func:`cmokit.campaigns.revenue_kpis`),
    orders, active and new customers in [start, end]; retention from [before_start, start)."""
    import ibis

    from cmokit.engine import day_end

    lo = ibis.literal(dt.datetime.combine(start, dt.time()), type="timestamp")
    hi = ibis.literal(day_end(end), type="timestamp")
    window = orders.filter((orders.ordered_at >= lo) & (orders.ordered_at < hi))
    first = orders.group_by("customer_id").aggregate(first_at=orders.ordered_at.min())
    new = first.filter((first.first_at >= lo) & (first.first_at < hi))
    out = window.aggregate(revenue=window.revenue.cast("float64").sum(), orders=window.order_id.count(),
                           active_customers=window.customer_id.nunique()).execute().iloc[0].to_dict()
    out["new_customers"] = int(new.count().execute())
    out["gross_revenue"] = float(out["revenue"] or 0.0)
    refunded = 0.0
    if refunds is not None:
        booked = refunds.filter((refunds.refunded_at >= lo) & (refunds.refunded_at < hi))
        refunded = float(booked.amount.cast("float64").sum().execute() or 0.0)
    out["refunds"] = refunded
    out["revenue"] = out["gross_revenue"] - refunded
    if before_start is not None:
        plo = ibis.literal(dt.datetime.combine(before_start, dt.time()), type="timestamp")
        earlier = orders.filter((orders.ordered_at >= plo) & (orders.ordered_at < lo)).select("customer_id").distinct()
        again = earlier.join(window.select("customer_id").distinct(), "customer_id")
        n_before = int(earlier.count().execute())
        out["retention"] = int(again.count().execute()) / n_before if n_before else math.nan
    return out


def window_metrics(source, start, end, *, margin: float = 1.0, clv=None, marketing: bool | None = None) -> dict:
    """The headline KPIs of one window ``[start, end]`` (inclusive UTC days), as a dict.

    Retention is the share of the customers who ordered in the equally long window just
    before ``start`` who ordered again within ``[start, end]``. Spend, ROAS, CAC and LTV:CAC are NaN
    when the warehouse has no marketing data (``marketing``: whether it has, checked when ``None``).
    """
    from cmokit.campaigns import campaign_kpis

    r = resolve(source, "orders")
    orders = r.table("orders", columns=("order_id", "customer_id", "ordered_at", "revenue"))
    from cmokit.revenue import refunds_of

    out = _order_metrics(orders, start, end, start - (end - start) - dt.timedelta(days=1), refunds_of(r))
    if marketing is None:
        marketing = not missing_marketing(r.warehouse)
    row = {}
    if marketing:  # else spend, ROAS, CAC and LTV:CAC stay NaN: no spend to divide
        kpis = campaign_kpis(r.warehouse, by="total", start=start, end=end, as_of=end, margin=margin, clv=clv)
        row = kpis.iloc[0].to_dict() if len(kpis) else {}
    for key in FROM_KPI_LAYER:
        value = row.get(key)
        out[key] = float(value) if value is not None and value == value else math.nan
    out["attributed_revenue"] = float(row.get("attributed_revenue") or 0.0)
    return out


def _status(value, target, direction: str | None, band: float = 0.1, words=("on_target", "watch", "off_target")) -> str:
    """``words[0]`` on the right side of ``target``, ``words[1]`` within ``band`` on the wrong side, else ``words[2]``."""
    if direction is None:
        return ""
    if target is None or _nan(target) or _nan(value):
        return "no_data"
    gap = (value - target) if direction == "higher" else (target - value)
    if gap >= 0:
        return words[0]
    return words[1] if abs(gap) <= band * abs(target) else words[2]


def _nan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _change(now, then) -> float:
    return math.nan if _nan(now) or _nan(then) or then == 0 else now / then - 1.0


def headline_kpis(source, as_of=None, *, period: str = "month", targets: dict | None = None, margin: float = 1.0,
                  clv=None, watch_band: float = 0.1):
    """One row per headline KPI: value this period, previous period, same period last year, target, status.

    Parameters
    ----------
    source
        Warehouse, path or dict of frames (orders, campaigns, marketing_spend).
    as_of
        Snapshot day (inclusive); ``None`` = the latest order day.
    period
        ``month`` (default), ``quarter`` or ``week``: the review covers its start to ``as_of``.
    targets
        ``{kpi: value}`` for any of :data:`HEADLINE`'s KPIs. Status is against the target
        (``on_target``, ``watch`` within ``watch_band``, ``off_target``); without a target,
        against the same period last year (``better``, ``watch``, ``worse``; ``status_basis``
        says which). Spend is not judged.
    clv
        Per-customer CLV scores (``customer_id``, ``clv``) for LTV:CAC, as in the KPI layer.

    Returns
    -------
    DataFrame
        kpi, metric (label), value, previous, last_year, change_vs_previous, change_vs_last_year,
        target, status, status_basis. ``attrs``: ``windows``; ``without`` (why spend KPIs are left out,
        empty when they are not); ``new_customers_unknown``, the windows with less than
        :data:`NEW_CUSTOMER_HISTORY_DAYS` of order history before them, whose new customers are NaN.
    """
    import pandas as pd

    from cmokit.engine import snapshot_day

    targets = dict(targets or {})
    unknown = set(targets) - set(HEADLINE)
    if unknown:
        raise ConfigError(f"unknown headline KPI in targets: {', '.join(sorted(unknown))}; known: {', '.join(HEADLINE)}")
    r = resolve(source, "orders")
    day = snapshot_day(r.table("orders", columns=("ordered_at",)), as_of)
    windows = review_windows(day, period)
    missing = missing_marketing(r.warehouse)
    values = {w.window: window_metrics(r.warehouse, w.start, w.end, margin=margin, clv=clv, marketing=not missing)
              for w in windows.itertuples()}
    # a customer whose first order in the export falls in its first year may have bought before the export
    # began: "new customers" of a window counts only with a year of order history before the window
    first_order = r.table("orders", columns=("ordered_at",)).ordered_at.min().execute()
    censored = []
    if first_order is not None and first_order == first_order:  # not NaT
        from cmokit.engine import as_of_date

        history_from = as_of_date(first_order)
        for w in windows.itertuples():
            if (w.start - history_from).days < NEW_CUSTOMER_HISTORY_DAYS:
                values[w.window]["new_customers"] = math.nan
                censored.append(w.window)
    rows = []
    for kpi, (label, direction) in HEADLINE.items():
        if (kpi == "ltv_cac" and clv is None) or (missing and kpi in FROM_KPI_LAYER):
            continue
        now, prev, ly = (values[w].get(kpi, math.nan) for w in ("current", "previous", "last_year"))
        target = targets.get(kpi)
        basis = "" if direction is None else ("target" if target is not None else "last year")
        status = (_status(now, target, direction, watch_band) if target is not None
                  else _status(now, ly, direction, watch_band, ("better", "watch", "worse")))
        rows.append({"kpi": kpi, "metric": label, "value": now, "previous": prev, "last_year": ly,
                     "change_vs_previous": _change(now, prev), "change_vs_last_year": _change(now, ly),
                     "target": target, "status": status, "status_basis": basis})
    out = pd.DataFrame(rows)
    out.attrs.update({"as_of": day, "period": period, "without": NO_MARKETING if missing else "",
                      "new_customers_unknown": censored,
                      "windows": {w.window: (w.start, w.end) for w in windows.itertuples()}})
    return out


def revenue_bridge(source, as_of=None, *, period: str = "month", versus: str = "previous"):
    """Revenue change split into customers × orders per customer × average order value.

    ``revenue = active customers × (orders / customer) × (revenue / order)`` (revenue net of the
    refunds booked in each window, as in the headline); each factor's
    contribution is its log change times the log-mean of the two revenues (LMDI), so the
    three contributions add up to the revenue change exactly. ``versus`` is ``previous`` or
    ``last_year``. One row per factor plus a ``total`` row: factor, before, now, change
    (relative), contribution (currency).
    """
    import pandas as pd

    from cmokit.engine import snapshot_day

    if versus not in ("previous", "last_year"):
        raise ConfigError(f"versus must be 'previous' or 'last_year', not {versus!r}")
    r = resolve(source, "orders")
    orders = r.table("orders", columns=("order_id", "customer_id", "ordered_at", "revenue"))
    day = snapshot_day(orders, as_of)
    w = review_windows(day, period).set_index("window")
    from cmokit.revenue import refunds_of

    refunds = refunds_of(r)
    now = _order_metrics(orders, w.loc["current", "start"], w.loc["current", "end"], None, refunds)
    then = _order_metrics(orders, w.loc[versus, "start"], w.loc[versus, "end"], None, refunds)

    def factors(m):
        c, o, rev = m["active_customers"], m["orders"], m["revenue"]
        return {"customers": c, "orders_per_customer": o / c if c else math.nan,
                "avg_order_value": rev / o if o else math.nan}

    f_now, f_then = factors(now), factors(then)
    r1, r0 = now["revenue"], then["revenue"]
    weight = (r1 - r0) / (math.log(r1) - math.log(r0)) if r1 > 0 and r0 > 0 and r1 != r0 else r1
    rows = []
    for name in ("customers", "orders_per_customer", "avg_order_value"):
        a, b = f_then[name], f_now[name]
        contribution = weight * math.log(b / a) if a and b and a > 0 and b > 0 else math.nan
        rows.append({"factor": name, "before": a, "now": b, "change": _change(b, a), "contribution": contribution})
    rows.append({"factor": "revenue", "before": r0, "now": r1, "change": _change(r1, r0), "contribution": r1 - r0})
    return pd.DataFrame(rows)


def segment_movements(source, as_of=None, *, period: str = "month", top: int = 5):
    """The RFM segments whose customer count changed most since the start of the period.

    One row per segment (the ``top`` largest absolute changes): segment, customers_before,
    customers, change (customers), revenue_share_before, revenue_share.
    """
    from cmokit.engine import snapshot_day
    from cmokit.segments import segment_summary

    r = resolve(source, "orders")
    day = snapshot_day(r.table("orders", columns=("ordered_at",)), as_of)
    before_day = _period_start(day, period) - dt.timedelta(days=1)
    now = segment_summary(r.warehouse, day)[["segment", "customers", "revenue_share"]]
    then = segment_summary(r.warehouse, before_day)[["segment", "customers", "revenue_share"]]
    merged = then.merge(now, on="segment", how="outer", suffixes=("_before", "")).fillna(0)
    merged["change"] = merged["customers"] - merged["customers_before"]
    merged = merged.reindex(merged["change"].abs().sort_values(ascending=False).index).head(top)
    merged.attrs["since"] = before_day
    return merged[["segment", "customers_before", "customers", "change", "revenue_share_before",
                   "revenue_share"]].reset_index(drop=True)


def _decision(lower: float, upper: float, profit_lower: float | None = None, profit_upper: float | None = None) -> str:
    """Roll out only what lifts the metric *and*, when the offer's economics are known, pays for itself."""
    if lower > 0:
        if profit_lower is None:
            return "roll out: the lift is positive (profit not assessed: no discount given for this offer)"
        if profit_lower > 0:
            return "roll out: the lift is positive and pays after its discount and contact cost"
        if profit_upper < 0:
            return "stop: the lift is real but does not pay for its discount and contact cost"
        return "hold: the lift is real but not shown to pay after its discount and contact cost"
    if upper < 0:
        return "stop: the variant loses"
    return "inconclusive: extend or resize before deciding"


def experiments_concluded(source, as_of=None, *, since=None, alpha: float = 0.05, gross_margin: float | None = None,
                          offer_discounts: dict | None = None, cost_per_contact=0.0):
    """Experiments that ended by the snapshot day (and after ``since``, when given), with their decision.

    One row per experiment and variant: experiment_id, variant, ended_on, metric (the
    experiment's primary metric), lift (absolute), lift_lower, lift_upper, profit_per_customer
    (+ _lower, _upper), decision — read from :func:`cmokit.campaigns.experiment_readout`.

    With ``gross_margin`` and ``offer_discounts`` (as in 50_experiments:
    :func:`cmokit.campaigns.offer_economics`), an offer that lifts the metric is rolled out only when
    its incremental profit per customer (:func:`cmokit.campaigns.offer_profit`: the discount charged
    on every order under the offer, plus ``cost_per_contact``) is shown to be positive; a lift that is
    not shown to pay is "hold", one that loses money "stop". An experiment whose offers have no
    discount given is decided on the lift alone and says so.
    """
    import pandas as pd

    from cmokit.campaigns import customer_outcomes, experiment_readout, offer_economics, offer_profit
    from cmokit.engine import snapshot_day
    from cmokit.errors import ConfigError

    r = resolve(source, "experiments")
    day = snapshot_day(r.warehouse.table("orders"), as_of)
    experiments = r.warehouse.execute(r.table("experiments"))
    ended = pd.to_datetime(experiments["ends_on"]).dt.date
    keep = ended <= day
    if since is not None:
        keep &= ended > pd.Timestamp(since).date()
    if gross_margin is not None and offer_discounts is not None:
        offer_economics(gross_margin, offer_discounts, cost_per_contact)  # bad values are errors, not "no discount"
    rows = []
    for exp in experiments[keep].itertuples():
        readout = experiment_readout(r.warehouse, exp.experiment_id, alpha=alpha)
        metric = exp.primary_metric if exp.primary_metric in set(readout["metric"]) else readout["metric"].iloc[0]
        profit = {}
        if gross_margin is not None and offer_discounts is not None:
            outcomes = customer_outcomes(r.warehouse, exp.experiment_id, as_of=day)
            try:
                economics = offer_economics(gross_margin, offer_discounts, cost_per_contact,
                                            arms=outcomes["variant"].unique())
            except ConfigError:  # another experiment's offers: no discounts given, decided on the lift
                economics = None
            if economics is not None:
                profit = {p.variant: p for p in offer_profit(outcomes, economics, alpha=alpha).itertuples()}
        for row in readout[readout["metric"] == metric].itertuples():
            p = profit.get(row.variant)
            lo, mid, hi = ((p.incremental_profit_per_customer_lower, p.incremental_profit_per_customer,
                            p.incremental_profit_per_customer_upper) if p is not None else (None, None, None))
            rows.append({"experiment_id": exp.experiment_id, "variant": row.variant,
                         "ended_on": pd.Timestamp(exp.ends_on).date(), "metric": metric, "lift": row.abs_lift,
                         "lift_lower": row.abs_lift_lower, "lift_upper": row.abs_lift_upper,
                         "profit_per_customer": mid, "profit_per_customer_lower": lo, "profit_per_customer_upper": hi,
                         "decision": _decision(row.abs_lift_lower, row.abs_lift_upper, lo, hi)})
    return pd.DataFrame(rows, columns=["experiment_id", "variant", "ended_on", "metric", "lift", "lift_lower",
                                       "lift_upper", "profit_per_customer", "profit_per_customer_lower",
                                       "profit_per_customer_upper", "decision"])


def ltv_scores(source, as_of=None, *, margin: float = 0.30):
    """Per-customer CLV scores for the headline's LTV:CAC (:func:`cmokit.clv.lifetime_values`), or ``None``
    when the warehouse has no marketing data: without spend there is no CAC to divide by, so no model
    is fitted (and a sales export too short for a CLV fit still gets its review)."""
    if missing_marketing(source):
        return None
    from cmokit.clv import lifetime_values

    return lifetime_values(source, as_of, margin=margin)


def budget_advice(source, as_of=None, *, budget: float | None = None, horizon_periods: int = 13,
                  weeks: int = 156, n_bootstrap: int = 50, random_state: int = 0, kpi: str = "first_order_revenue",
                  adstock: str = "auto", saturation: str = "auto", **optimize_kwargs):
    """The media-mix model's recommended budget per channel, with the evidence behind it.

    The model is the media-mix report's (``70_media_mix`` defaults: ``kpi``, ``adstock`` and
    ``saturation``, the warehouse's lift tests as calibration), so the review and that report
    give the same advice. Fits :class:`cmokit.mmm.MediaMixModel` on the ``weeks`` whole weeks up to the snapshot
    (not before the first week of spend data; :func:`cmokit.reports.windows.media_mix_window`) and
    runs :func:`cmokit.mmm.optimize_budget` (its defaults, bounds and evidence gate included).
    ``budget`` defaults to the last ``horizon_periods`` weeks' spend. Returns the plan's
    allocation with, per channel, the model's ``historical_roi`` and its interval and
    ``evidence``: the optimiser's own column when it has one, else ``identified`` /
    ``not identified`` from the model.
    """
    import pandas as pd

    from cmokit import mmm
    from cmokit.reports.windows import media_mix_window

    r = resolve(source, "orders")
    if missing_marketing(r.warehouse):  # nothing to model: no advice, and the reason
        empty = pd.DataFrame(columns=["channel", "current_budget", "budget", "change", "historical_roi",
                                      "historical_roi_lower", "historical_roi_upper", "evidence"])
        empty.attrs.update({"budget": 0.0, "horizon_periods": horizon_periods, "window": None, "without": NO_MARKETING})
        return empty
    start, end = media_mix_window(r.warehouse, as_of, weeks=weeks)  # the media-mix report's default window
    panel = mmm.media_panel(r.warehouse, start, end, kpi=kpi)
    model = mmm.MediaMixModel(adstock=adstock, saturation=saturation, n_bootstrap=n_bootstrap,
                              random_state=random_state).fit(panel)
    if budget is None:
        channels = [c for c in panel.columns if c in set(model.roi()["channel"])]
        budget = float(panel[channels].tail(horizon_periods).to_numpy().sum())
    plan = mmm.optimize_budget(model, budget, horizon_periods, random_state=random_state, **optimize_kwargs)
    allocation = plan.allocation.copy()
    roi = model.roi().set_index("channel")
    for col in ("roi", "roi_lower", "roi_upper"):  # the model's historical ROI, beside the plan's
        allocation[f"historical_{col}"] = allocation["channel"].map(roi[col])
    if "evidence" not in allocation.columns:  # until the optimiser states its own evidence level
        allocation["evidence"] = ["identified" if ok else "not identified: test before moving money"
                                  for ok in allocation["channel"].map(roi["identified"])]
    allocation.attrs.update({"budget": budget, "horizon_periods": horizon_periods, "window": (start, end)})
    return allocation


def it_panel(source, as_of=None, checks=None):
    """What IT vouches for: data freshness, rows quarantined, contract checks passed, build time.

    One row per item: item, value (text), status (``ok``, ``watch`` or ``fail``).
    """
    import pandas as pd

    import cmokit
    from cmokit.plots.format import number, percent
    from cmokit.warehouse import health

    r = resolve(source, "orders")
    wh = r.warehouse
    checks = cmokit.warehouse.check(wh) if checks is None else checks
    failing = checks[checks["failing_rows"] > 0]
    errors = int((failing["severity"] == "error").sum())
    rows = [{"item": "Contract checks passed", "value": f"{len(checks) - len(failing)} of {len(checks)}",
             "status": "fail" if errors else ("watch" if len(failing) else "ok")}]
    loads = health.loads(wh)
    if len(loads):
        read, quarantined = float(loads["rows_read"].sum()), float(loads["rows_quarantined"].sum())
        share = quarantined / read if read else 0.0
        rows.append({"item": "Rows quarantined by the build", "value": f"{number(quarantined)} of {number(read)} "
                     f"({percent(share, 2)})", "status": "ok" if share < 0.001 else ("watch" if share < 0.01 else "fail")})
    fresh = health.freshness(wh, as_of=as_of)
    orders = fresh[fresh["table"] == "orders"]
    if len(orders):
        latest = orders["latest_at"].iloc[0]
        rows.append({"item": "Latest order", "value": f"{latest:%Y-%m-%d %H:%M} UTC", "status": "ok"})
    behind = fresh.dropna(subset=["days_behind"])
    behind = behind[behind["table"].isin(["orders", "marketing_spend", "touchpoints", "customers"])]
    if len(behind):
        worst = behind.sort_values("days_behind").iloc[-1]
        lag = int(worst["days_behind"])
        rows.append({"item": "Most delayed feed", "value": f"{worst['table']} ({lag} days behind)",
                     "status": "ok" if lag <= 1 else ("watch" if lag <= 3 else "fail")})
    info = health.build_info(wh)
    if len(info) and "built_at" in info.columns:
        rows.append({"item": "Warehouse built", "value": f"{info['built_at'].iloc[0]:%Y-%m-%d %H:%M} UTC",
                     "status": "ok"})
    return pd.DataFrame(rows, columns=["item", "value", "status"])


def changes_since_last_run(kpis, history=None, report: str = "05_executive_review"):
    """The headline against the previous successful run of ``report`` in the run history.

    ``history`` is the run history (a path or a list of records, see
    :func:`cmokit.reports.history.read`); default ``$CMOKIT_REPORTS_DIR/history.jsonl``.
    Returns one row per KPI whose value moved: kpi, metric, last_run (value), value, change;
    empty with ``attrs["last_run"] = None`` when there is no earlier run.
    """
    import pandas as pd

    from cmokit.reports import history as run_history

    previous = run_history.last_results(report, history)
    columns = ["kpi", "metric", "last_run", "value", "change"]
    if previous is None:
        out = pd.DataFrame(columns=columns)
        out.attrs["last_run"] = None
        return out
    before = previous["results"].get("headline", {})
    rows = []
    for row in kpis.itertuples():
        old = before.get(row.kpi)
        if old is None or _nan(old) and _nan(row.value):
            continue
        if _nan(old) or _nan(row.value) or not math.isclose(float(old), float(row.value), rel_tol=1e-9, abs_tol=1e-9):
            rows.append({"kpi": row.kpi, "metric": row.metric, "last_run": old, "value": row.value,
                         "change": _change(row.value, old)})
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["last_run"] = previous.get("started_at")
    out.attrs["last_as_of"] = previous["results"].get("as_of")
    return out


def headline_results(kpis) -> dict:
    """The part of the headline the run history keeps: ``{"as_of": ..., "headline": {kpi: value}}``."""
    return {"as_of": str(kpis.attrs.get("as_of", "")),
            "headline": {k: (None if _nan(v) else float(v)) for k, v in zip(kpis["kpi"], kpis["value"])}}


__all__ = ["HEADLINE", "MARKETING_TABLES", "NEW_CUSTOMER_HISTORY_DAYS", "NO_ADVICE", "NO_MARKETING", "budget_advice", "changes_since_last_run",
           "experiments_concluded", "headline_kpis", "headline_results", "it_panel", "ltv_scores", "missing_marketing",
           "revenue_bridge", "review_windows", "segment_movements", "window_metrics"]
