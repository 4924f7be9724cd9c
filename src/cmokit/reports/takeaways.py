"""Three to five takeaways per report, computed from the report's own results.

Each function takes the tidy frames a report already computed and returns plain
sentences with formatted numbers (no hand-written prose: change the data and the
sentences change). Notebooks show them first with
:func:`cmokit.reports.present.takeaways`.

>>> import pandas as pd
>>> summary = pd.DataFrame({"segment": ["Champions", "Lost"], "customers": [100, 300],
...     "customer_share": [0.25, 0.75], "revenue": [9000.0, 1000.0], "revenue_share": [0.9, 0.1]})
>>> segments(summary)[0]
'Champions are 25.0 % of customers and bring 90.0 % of revenue (€9,000).'
"""

from __future__ import annotations

from cmokit._frames import to_pandas
from cmokit.plots.format import money, number, percent, ratio
from cmokit.warehouse.contract import PAID_CHANNELS


def _name(value) -> str:
    return str(value).replace("_", " ")


def _points(value) -> str:
    """An absolute change of a rate (conversion 0.19 -> 0.31) in percentage points: ``+12.1 points``."""
    return percent(value, signed=True).replace(" %", " points")


def _and(names) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = [_name(n) for n in names]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def _ends(frame, column):
    """The rows with the largest and the smallest ``column`` (missing values left out; on a tie
    the first row in the frame's order)."""
    rows = frame.dropna(subset=[column])
    values = rows[column].astype(float).to_numpy()
    return rows.iloc[int(values.argmax())], rows.iloc[int(values.argmin())]


def data_health(checks, loads=None, freshness=None) -> list[str]:
    """Contract checks passed, rows quarantined, the stalest table.

    ``checks`` from :func:`cmokit.warehouse.check`, ``loads`` from
    :func:`cmokit.warehouse.health.loads`, ``freshness`` from :func:`~cmokit.warehouse.health.freshness`.
    """
    checks = to_pandas(checks)
    failing = checks[checks["failing_rows"] > 0]
    errors = failing[failing["severity"] == "error"]
    out = []
    if failing.empty:
        out.append(f"All {len(checks):,} contract checks pass: the numbers in every report rest on clean tables.")
    else:
        names = ", ".join(sorted({f"{t}.{c}" if c == c and c else t for t, c in zip(failing["table"], failing["column"])})[:4])
        out.append(f"{len(failing):,} of {len(checks):,} contract checks fail ({len(errors):,} errors), on {names}; "
                   "fix those exports before trusting the KPIs built on them.")
    if loads is not None:
        loads = to_pandas(loads)
        read, quarantined = float(loads["rows_read"].sum()), float(loads["rows_quarantined"].sum())
        share = quarantined / read if read else 0.0
        out.append(f"The build read {number(read)} rows and quarantined {number(quarantined)} ({percent(share, 2)}).")
    if freshness is not None:
        fresh = to_pandas(freshness).dropna(subset=["days_behind"])
        if not fresh.empty:
            latest = fresh.loc[fresh["table"] == "orders", "latest_at"]
            if len(latest):
                out.append(f"The latest order is from {latest.iloc[0]:%Y-%m-%d}; reports default to that day.")
            stale = fresh.sort_values("days_behind", ascending=False).iloc[0]
            if int(stale["days_behind"]) > 2:
                out.append(f"{_name(stale['table']).capitalize()} is the stalest table, {int(stale['days_behind'])} days "
                           "behind the snapshot.")
            else:
                out.append("Every timed table is within two days of the snapshot.")
    return out


def segments(summary, moves=None) -> list[str]:
    """Where revenue sits across RFM segments, customers at risk, and how the best customers moved.

    ``summary`` from :func:`cmokit.segments.segment_summary`, ``moves`` from :func:`cmokit.segments.migration`.
    """
    summary = to_pandas(summary)
    top = summary.sort_values("revenue_share", ascending=False).iloc[0]
    out = [f"{top['segment']} are {percent(top['customer_share'])} of customers and bring "
           f"{percent(top['revenue_share'])} of revenue ({money(top['revenue'])})."]
    risk = summary[summary["segment"].isin(["At Risk", "Can't Lose Them"])]
    if not risk.empty:
        out.append(f"{number(risk['customers'].sum())} customers are At Risk or Can't Lose Them; they spent "
                   f"{money(risk['revenue'].sum())} so far ({percent(risk['revenue_share'].sum())} of revenue): "
                   "the first win-back audience.")
    if moves is not None:
        moves = to_pandas(moves)
        champions = moves[moves["from_segment"] == "Champions"]
        if not champions.empty:
            stay = champions.loc[champions["to_segment"] == "Champions", "share_of_from"].sum()
            worst = champions[champions["to_segment"] != "Champions"].sort_values("customers", ascending=False)
            sentence = f"{percent(stay)} of the earlier Champions are still Champions"
            if not worst.empty:
                sentence += (f"; {percent(worst.iloc[0]['share_of_from'])} slipped to {worst.iloc[0]['to_segment']}")
            out.append(sentence + ".")
        new = moves[moves["from_segment"] == "Not yet a customer"]
        if not new.empty:
            out.append(f"{number(new['customers'].sum())} customers placed their first order since the earlier date.")
    return out


def customer_value(values, by_channel=None, horizon_days: int | None = None) -> list[str]:
    """Total and typical expected value, its concentration, and the best acquisition channel.

    ``values`` from :func:`cmokit.clv.customer_lifetime_value`, ``by_channel`` from
    :func:`cmokit.clv.clv_by` on ``acquisition_channel``.
    """
    values = to_pandas(values)
    clv = values["clv"].sort_values(ascending=False)
    horizon = f" over the next {horizon_days} days" if horizon_days else ""
    out = [f"Customers' expected lifetime value{horizon} is {money(clv.sum())} (median {money(clv.median())} per "
           f"customer, mean {money(clv.mean())})."]
    top = max(1, len(clv) // 10)
    out.append(f"The top 10 % of customers ({number(top)}) hold {percent(clv.head(top).sum() / clv.sum())} "
               "of that value.")
    alive = values["p_alive"]
    out.append(f"{percent((alive < 0.5).mean())} of customers are more likely gone than active (P(alive) below 50 %).")
    if by_channel is not None:
        group = to_pandas(by_channel)
        key = group.columns[0]
        known = group[~group[key].astype(str).str.lower().isin(["unknown", "none", "nan", ""]) & group[key].notna()]
        if len(known) < 2:  # one channel, or none recorded (customers derived from orders): nothing to compare
            out.append(f"Value by {_name(key)} is not available: the customers carry "
                       f"{'no' if known.empty else 'only one'} {_name(key)} (map it in sources.yml to compare).")
            return out
        best, worst = _ends(known, "clv_mean")
        out.append(f"{_name(best[key]).capitalize()} brings the most valuable customers ({money(best['clv_mean'])} each), "
                   f"{_name(worst[key])} the least ({money(worst['clv_mean'])}).")
    return out


def retention(cohorts, churn_summary=None, median_lifetime=None, scores=None) -> list[str]:
    """Month-one retention of recent cohorts, the churn model's check, customers at risk, typical lifetime.

    ``cohorts`` from :func:`cmokit.retention.cohorts`, ``churn_summary`` the fitted
    ``ChurnModel.summary_``, ``median_lifetime`` from :func:`cmokit.retention.median_lifetime`,
    ``scores`` from ``ChurnModel.predict``.
    """
    table = to_pandas(cohorts)
    month1 = table[table["months_since_first"] == 1].sort_values("cohort_month")
    out = []
    if len(month1) >= 2:
        recent, earlier = month1.tail(6), month1.iloc[:-6].tail(6)
        sentence = f"Of customers won in the last {len(recent)} cohorts, {percent(recent['customer_retention'].mean())} " \
                   "ordered again in their second month"
        if len(earlier):
            sentence += f" (the six cohorts before: {percent(earlier['customer_retention'].mean())})"
        out.append(sentence + ".")
    if churn_summary is not None:
        metrics = dict(zip(to_pandas(churn_summary)["metric"], to_pandas(churn_summary)["value"]))
        if "roc_auc" in metrics:
            better = metrics["roc_auc"] > metrics.get("recency_rule_roc_auc", 0)
            out.append(f"The churn model ranks churners with AUC {ratio(metrics['roc_auc'])} on a later period, "
                       f"{'better' if better else 'no better'} than the recency rule "
                       f"({ratio(metrics.get('recency_rule_roc_auc'))}).")
    if scores is not None:
        p = to_pandas(scores)["churn_probability"]
        out.append(f"{number((p >= 0.5).sum())} customers ({percent((p >= 0.5).mean())}) are more likely than not to churn.")
    if median_lifetime is not None:
        life = to_pandas(median_lifetime).dropna()
        if len(life):
            row = life.iloc[0] if len(life) == 1 else life.sort_values(life.columns[0]).iloc[-1]
            out.append(f"Median active lifetime ({row[life.columns[0]]}): {number(row['median_lifetime_days'])} days.")
    return out


def campaigns(channels, status=None) -> list[str]:
    """Return on paid spend, best and worst paid channel, KPIs off target, cheapest acquisition.

    ``channels`` from :func:`cmokit.campaigns.campaign_kpis` ``(by="channel")``, ``status`` from
    :func:`cmokit.campaigns.kpi_status`.
    """
    frame = to_pandas(channels)
    paid = frame[frame["channel"].isin(PAID_CHANNELS) & (frame["spend"] > 0)]
    out = []
    if not paid.empty:
        spend, revenue = paid["spend"].sum(), paid["attributed_revenue"].sum()
        out.append(f"Paid media cost {money(spend)} and brought {money(revenue)} of attributed revenue "
                   f"(ROAS {ratio(revenue / spend if spend else None)}).")
        best, worst = _ends(paid, "roas")
        out.append(f"{_name(best['channel']).capitalize()} returns the most per euro (ROAS {ratio(best['roas'])}), "
                   f"{_name(worst['channel'])} the least (ROAS {ratio(worst['roas'])}).")
        if paid["cac"].notna().any():
            dear, cheap = _ends(paid, "cac")
            out.append(f"New customers are cheapest through {_name(cheap['channel'])} (CAC {money(cheap['cac'])}) "
                       f"and dearest through {_name(dear['channel'])} ({money(dear['cac'])}).")
    owned = frame[~frame["channel"].isin(PAID_CHANNELS)]
    if not owned.empty and owned["attributed_revenue"].sum() > 0:
        out.append(f"Owned channels ({', '.join(_name(c) for c in owned['channel'])}) bring "
                   f"{money(owned['attributed_revenue'].sum())} of attributed revenue on {money(owned['spend'].sum())} "
                   "of spend: last-click credit, not proof they caused it.")
    if status is not None:
        st = to_pandas(status)
        off = st[st["status"] == "off_target"]
        if len(off):
            items = ", ".join(f"{_name(c)} {k.upper()}" for c, k in zip(off["channel"], off["kpi"]))
            out.append(f"{len(off)} of {len(st)} channel targets are missed: {items}.")
        else:
            out.append(f"All {len(st)} channel targets are met.")
    return out[:5]


def attribution(comparison, journeys=None) -> list[str]:
    """Which channel the data-driven model credits most, against its spend, and where models disagree.

    ``comparison`` from :func:`cmokit.attribution.compare`, ``journeys`` from
    :func:`cmokit.attribution.build_journeys` (for the orders without a tracked touch).
    """
    frame = to_pandas(comparison)
    models = list(dict.fromkeys(frame["model"]))
    data_driven = next((m for m in models if m.startswith("markov")), None) or next(
        (m for m in models if m.startswith("shapley")), models[-1])
    rows = frame[frame["model"] == data_driven].sort_values("share", ascending=False)
    model = "Markov" if data_driven.startswith("markov") else _name(data_driven)
    out = [f"Under {model} credit, {_name(rows.iloc[0]['channel'])} earns the largest share of "
           f"conversions ({percent(rows.iloc[0]['share'])})."]
    paid = rows[rows["spend_share"] > 0].copy()
    if not paid.empty:
        paid["gap"] = paid["share"] - paid["spend_share"]
        low = paid.sort_values("gap").iloc[0]
        out.append(f"{_name(low['channel']).capitalize()} takes {percent(low['spend_share'])} of media spend but earns "
                   f"{percent(low['share'])} of the credit: the weakest return on its spend.")
    spread = frame.groupby("channel")["share"].agg(["min", "max"])
    spread["range"] = spread["max"] - spread["min"]
    moved = spread.sort_values("range", ascending=False)
    if len(moved):
        name = moved.index[0]
        out.append(f"The models disagree most on {_name(name)}: {percent(moved.iloc[0]['min'])} to "
                   f"{percent(moved.iloc[0]['max'])} of conversions depending on the rule.")
    if journeys is not None:
        attrs = getattr(journeys, "attrs", {}) or {}
        if attrs.get("orders_without_touches"):
            out.append(f"{number(attrs['orders_without_touches'])} orders had no tracked touch in the lookback: "
                       "no model can credit them.")
    return out



def _kpi_text(kpi: str, value) -> str:
    from cmokit.plots.format import column_kind, formatter

    return formatter(column_kind(kpi))(value)


def executive_review(kpis, bridge=None, experiments=None, advice=None, it=None, changes=None) -> list[str]:
    """The month in five sentences: revenue against last period and last year, what drove it,
    KPIs off target, experiments decided, budget advice, and anything IT flags.

    Inputs are the frames of :mod:`cmokit.reports.review` (``headline_kpis``, ``revenue_bridge``,
    ``experiments_concluded``, ``budget_advice``, ``it_panel``, ``changes_since_last_run``).
    """
    k = to_pandas(kpis).set_index("kpi")
    start, end = (k.attrs or kpis.attrs).get("windows", {}).get("current", (None, None))
    span = f" ({start:%d %b}–{end:%d %b %Y})" if start is not None else ""
    rev = k.loc["revenue"]
    out = [f"Revenue {money(rev['value'])}{span}: {percent(rev['change_vs_previous'], signed=True)} on the previous "
           f"period, {percent(rev['change_vs_last_year'], signed=True)} on the same period last year."]
    if bridge is not None:
        parts = to_pandas(bridge)
        parts = parts[parts["factor"] != "revenue"].dropna(subset=["contribution"])
        if len(parts):
            up, down = _ends(parts, "contribution")
            sentence = (f"{_name(up['factor']).capitalize()} {percent(up['change'], signed=True)} added "
                        f"{money(up['contribution'])}")
            if down["contribution"] < 0:
                sentence += (f"; {_name(down['factor'])} {percent(down['change'], signed=True)} took "
                             f"{money(-down['contribution'])}")
            out.append(sentence + " (revenue change split into customers × orders per customer × order value).")
    judged = k[k["status"].isin(["off_target", "worse"])]
    if len(judged):
        items = ", ".join(f"{row.metric.split(' (')[0]} {_kpi_text(name, row.value)} "
                          f"({'target' if row.status == 'off_target' else 'last year'} "
                          f"{_kpi_text(name, row.target if row.status == 'off_target' else row.last_year)})"
                          for name, row in judged.iterrows())
        out.append(f"Needs attention: {items}.")
    else:
        out.append("Every headline KPI is on target or better than last year.")
    if experiments is not None and len(experiments):
        exp = to_pandas(experiments)
        best = exp.sort_values("lift", ascending=False).iloc[0]
        n = exp["experiment_id"].nunique()
        show = _points if best["metric"] == "conversion" else (lambda v: number(v, 2))
        profit = ""
        if "profit_per_customer" in exp.columns and best["profit_per_customer"] == best["profit_per_customer"] \
                and best["profit_per_customer"] is not None:  # not NaN, not None
            profit = (f"; profit per customer after its discount and contact cost "
                      f"{money(best['profit_per_customer'], decimals=2)}, 95 % interval "
                      f"{money(best['profit_per_customer_lower'], decimals=2)} to "
                      f"{money(best['profit_per_customer_upper'], decimals=2)}")
        out.append(f"{n} experiment{'s' if n > 1 else ''} concluded; {best['experiment_id']} says {best['decision']} "
                   f"({best['variant']}: {_name(best['metric'])} {show(best['lift'])}, 95 % interval "
                   f"{show(best['lift_lower'])} to {show(best['lift_upper'])}{profit}).")
    if advice is not None and len(advice):
        plan = to_pandas(advice)
        more = plan[plan["change"] > 0.5].sort_values("change", ascending=False)["channel"].map(_name).tolist()
        less = plan[plan["change"] < -0.5]["channel"].map(_name).tolist()
        held = plan[~plan["evidence"].astype(str).str.startswith(("identified", "calibrated"))]["channel"]
        sentence = (f"The media-mix model would move money to {_and(more) or 'no channel'}, "
                    f"away from {_and(less) or 'no channel'}") if more or less else (
                    "The media-mix model keeps every channel at its current budget")
        if len(held):
            sentence += f"; {_and(held)} {'needs' if len(held) == 1 else 'need'} a test before money moves"
        out.append(sentence + ".")
    without = (getattr(kpis, "attrs", None) or {}).get("without")
    if without:  # a sales-only export: say what the review cannot show, and how to get it
        out.append(f"Not in this review: {without}.")
    if changes is not None and len(changes) and "revenue" in set(to_pandas(changes)["kpi"]):
        ch = to_pandas(changes).set_index("kpi").loc["revenue"]
        out.append(f"Since the last review, revenue for the period moved from {money(ch['last_run'])} to "
                   f"{money(ch['value'])} (new data or restated orders).")
    if it is not None:
        panel = to_pandas(it)
        flagged = panel[panel["status"] != "ok"]
        if len(flagged):
            out.insert(1, "IT flags: " + "; ".join(f"{r.item.lower()} {r.value}" for r in flagged.itertuples()) + ".")
    return out[:5]


def _euros(value, lower, upper, note: str = "") -> str:
    """"€v (€lo to €hi)", to the cent, a per-customer amount with its interval (``note`` inside the brackets)."""
    return f"{money(value, decimals=2)} ({money(lower, decimals=2)} to {money(upper, decimals=2)}{note})"


def _pays(lower, upper) -> str:
    """What an interval of incremental profit says: it pays, it loses money, or neither is shown."""
    return "it pays" if lower > 0 else "it loses money" if upper < 0 else "not shown to pay"


def experiments(readout, srm=None, incremental=None, margin=None, profit=None) -> list[str]:
    """Is randomisation sound, which variant won on which metric, what it earned and whether it paid.

    ``readout`` from :func:`cmokit.campaigns.experiment_readout`, ``srm`` from
    :func:`~cmokit.campaigns.sample_ratio_mismatch`, ``incremental`` from
    :func:`~cmokit.campaigns.incremental_roi`, ``margin`` the margin that ROI was computed with
    (1.0: the sentence says it is revenue-based), ``profit`` from
    :func:`~cmokit.campaigns.offer_profit` (profit after each offer's discount and contact cost).
    For the lead to call first in 50_experiments.
    """
    out = []
    if srm is not None:
        row = to_pandas(srm).iloc[0]
        out.append("The arms have the planned sizes (sample-ratio p = " + number(row["p_value"], 3) + ")."
                   if not bool(row["srm"]) else
                   f"The arms are not the planned sizes (p = {number(row['p_value'], 4)}): fix the assignment "
                   "before trusting any lift below.")
    frame = to_pandas(readout)
    for metric in ("conversion", "revenue_per_customer"):
        rows = frame[frame["metric"] == metric].sort_values("abs_lift", ascending=False)
        if rows.empty:
            continue
        best = rows.iloc[0]
        show = _points if metric == "conversion" else money
        verdict = "significant after Holm" if bool(best["significant"]) else "not significant"
        out.append(f"{best['variant']} moves {_name(metric)} by {show(best['abs_lift'])} "
                   f"({show(best['abs_lift_lower'])} to {show(best['abs_lift_upper'])}), {verdict}.")
    if incremental is not None:
        inc = to_pandas(incremental).sort_values("incremental_roi", ascending=False)
        if len(inc):
            top = inc.iloc[0]
            basis = ("" if margin is None else "revenue-based " if float(margin) == 1.0 else
                     f"at a {percent(margin)} margin, ")
            out.append(f"{top['variant']} earned {money(top['incremental_revenue'])} of incremental revenue on "
                       f"{money(top['spend'])} of spend ({basis}incremental ROI {ratio(top['incremental_roi'])}, "
                       f"{ratio(top['incremental_roi_lower'])} to {ratio(top['incremental_roi_upper'])}).")
    if profit is not None and len(profit):
        parts = []
        for row in to_pandas(profit).itertuples():
            lo, hi = row.incremental_profit_per_customer_lower, row.incremental_profit_per_customer_upper
            parts.append(f"{row.variant} {_euros(row.incremental_profit_per_customer, lo, hi, f': {_pays(lo, hi)}')}")
        out.append("After each offer's discount and contact cost, profit per customer against control: "
                   + "; ".join(parts) + ".")
    return out[:6]


def best_offer(values, economics=None) -> list[str]:
    """Which offer pays, for whom, and whether personalising beats one offer for all.

    ``values`` from :func:`cmokit.campaigns.policy_value` (out-of-fold incremental profit per
    customer of each policy, with intervals), ``economics`` from
    :func:`cmokit.campaigns.offer_economics` (the margin each offer keeps). For 50_experiments.

    >>> import pandas as pd
    >>> v = pd.DataFrame({"policy": ["model", "best_single_offer", "nobody", "everyone: a"],
    ...     "offer": [None, "a", None, "a"], "incremental_profit_per_customer": [0.5, 0.2, 0.0, 0.2],
    ...     "incremental_profit_per_customer_lower": [0.1, -0.3, 0.0, -0.3],
    ...     "incremental_profit_per_customer_upper": [0.9, 0.7, 0.0, 0.7], "vs_best_single": [0.3, 0.0, -0.2, 0.0],
    ...     "vs_best_single_lower": [-0.1, 0.0, -0.7, 0.0], "vs_best_single_upper": [0.7, 0.0, 0.3, 0.0],
    ...     "share_offered": [0.4, 1.0, 0.0, 1.0]})
    >>> best_offer(v, {"margin": {"control": 0.3, "a": 0.2}})[0]
    'Without an offer 30.0 % of each euro of revenue is profit; after its discount a keeps 20.0 %.'
    >>> best_offer(v)[0]
    'Sending everyone a earns €0.20 (−€0.30 to €0.70) of profit per customer over sending nothing: not shown to pay.'
    """
    frame = to_pandas(values).set_index("policy")
    out = []
    if economics is not None:
        margin = dict(economics["margin"])
        control, kept = next(iter(margin.items()))
        offers = [f"{arm} keeps {percent(m)}" for arm, m in margin.items() if arm != control]
        out.append(f"Without an offer {percent(kept)} of each euro of revenue is profit; after its discount "
                   + (", ".join(offers[:-1]) + " and " + offers[-1] if len(offers) > 1 else offers[0]) + ".")

    def span(row, col):
        v, lo, hi = (float(row[c]) for c in (col, f"{col}_lower", f"{col}_upper"))
        return v, lo, hi, _euros(v, lo, hi)

    col = "incremental_profit_per_customer"
    everyone = frame[frame.index.str.startswith("everyone: ")].sort_values(col, ascending=False)
    for _, row in everyone.head(3).iterrows():
        v, lo, hi, text = span(row, col)
        out.append(f"Sending everyone {row['offer']} earns {text} of profit per customer over sending nothing: "
                   f"{_pays(lo, hi)}.")
    model = frame.loc["model"]
    _, _, _, text = span(model, col)
    _, dlo, dhi, diff = span(model, "vs_best_single")
    out.append(f"The best offer per customer (an offer to {percent(model['share_offered'])} of them) earns {text} per "
               f"customer, {diff} against the best single offer: "
               + ("personalising pays." if dlo > 0 else "personalising does worse." if dhi < 0 else
                  "personalising is not shown to pay more."))
    return out[:5]


def media_mix(roi, allocation=None) -> list[str]:
    """Which channel pays back best with what certainty, which cannot be read, and where the budget would move.

    ``roi`` from ``MediaMixModel.roi()``, ``allocation`` from ``optimize_budget(...).allocation``
    (its ``evidence`` column is used when present). For the lead to call first in 70_media_mix.
    """
    frame = to_pandas(roi).sort_values("roi", ascending=False)
    best = frame.iloc[0]
    out = [f"{_name(best['channel']).capitalize()} returns the most per euro of spend (ROI {ratio(best['roi'])}, "
           f"90 % interval {ratio(best['roi_lower'])} to {ratio(best['roi_upper'])})."]
    straddle = frame[(frame["roi_lower"] < 1) & (frame["roi_upper"] > 1)]["channel"].tolist()
    if straddle:
        out.append(f"The interval of {_and(straddle)} includes break-even (ROI 1): the data cannot say "
                   f"{'it pays' if len(straddle) == 1 else 'they pay'} back.")
    if "identified" in frame.columns:
        blind = frame[~frame["identified"].astype(bool)]["channel"].tolist()
        if blind:
            out.append(f"{_and(blind).capitalize()} spent nearly the same every week: "
                       "vary its spend or run a lift test before trusting its ROI.")
    if allocation is not None:
        plan = to_pandas(allocation)
        up = plan[plan["change"] > 0.5]["channel"].tolist()
        down = plan[plan["change"] < -0.5]["channel"].tolist()
        if up or down:
            out.append(f"The recommended budget moves money to {_and(up) or 'no channel'}, away from "
                       f"{_and(down) or 'no channel'}.")
        else:
            out.append("The recommended budget keeps every channel at its current budget: no move is backed by the evidence.")
        if "evidence" in plan.columns:
            held = plan[plan["evidence"].astype(str).str.contains("held|test", case=False)]["channel"].tolist()
            if held:
                one = len(held) == 1
                out.append(f"{_and(held).capitalize()} {'is' if one else 'are'} held at current spend until a "
                           f"test measures {'it' if one else 'them'}.")
    return out[:5]


def geo_tests(summary, design=None, alpha: float = 0.1, note: str = "") -> list[str]:
    """What the geo test added with what certainty, how well the control tracked, and what a test could detect.

    ``summary`` is ``GeoTest.summary_`` (:func:`cmokit.geo.geo_readout`), ``design`` from
    :func:`cmokit.geo.geo_design` (best design first), ``alpha`` the test's ``1 - interval level``,
    ``note`` which test was read out (:func:`cmokit.geo.find_geo_test`'s message). Without a read-out
    (``summary`` None or empty) the note comes first, then the design. For 55_geo_tests.
    """
    summary = to_pandas(summary) if summary is not None else None
    if summary is None or not len(summary):
        return ([note] if note else ["No geo test to read out."]) + _geo_design_sentence(design)
    s = summary.iloc[0]
    level = f"{100 * (1 - alpha):.0f} %"
    found = float(s["p_value"]) <= alpha
    out = [f"The treated regions ({s['treated_regions']}) added {money(s['incremental'])} of revenue over "
           f"{int(s['test_days'])} test days ({percent(s['lift'], signed=True)}, {level} interval "
           f"{percent(s['lift_lower'], signed=True)} to {percent(s['lift_upper'], signed=True)}; placebo "
           f"p = {number(s['p_value'], 3)}): " + ("an effect, not noise." if found else
                                                   "the data cannot tell it from no effect.")]
    fit = float(s["pre_fit_error"])
    out.append(f"Before the test the synthetic control tracked the treated regions within {percent(fit)}"
               + (": a sound counterfactual." if fit <= 0.05 else ": a loose fit, read the lift with care."))
    roi = s.get("incremental_roi")
    if roi is not None and roi == roi:
        out.append(f"On {money(s['spend'])} of extra spend the incremental ROI is {ratio(roi)} "
                   f"({ratio(s['incremental_roi_lower'])} to {ratio(s['incremental_roi_upper'])})"
                   + ("; the spend paid back." if float(s["incremental_roi_lower"]) > 0 else
                      "; the spend did not pay back." if float(s["incremental_roi_upper"]) < 0 else
                      "; the interval includes losing money."))
    out += _geo_design_sentence(design)
    if note:
        out.append(note)
    return out[:5]


def _geo_design_sentence(design) -> list[str]:
    if design is None:
        return []
    d = to_pandas(design).dropna(subset=["mde"])
    if not len(d):
        return []
    best = d.iloc[0]
    cost = best.get("test_cost")
    priced = f", about {money(cost)} of extra spend at the expected return" if cost == cost and cost is not None else ""
    return [f"The most sensitive design treats {best['treated_regions']} for {int(best['test_days'])} days "
            f"and detects a lift of {percent(best['mde'])}{priced}."]


__all__ = ["attribution", "campaigns", "customer_value", "data_health", "executive_review", "experiments",
           "geo_tests", "media_mix", "retention", "segments"]
