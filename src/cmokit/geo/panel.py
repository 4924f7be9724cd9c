"""The region x day KPI panel a geo test is designed and read on.

Long form, one row per region per day: ``region``, ``day`` and a KPI column (``revenue`` by
default). :func:`check_panel` turns it into a days x regions matrix and refuses a panel with
gaps (a region missing days), duplicate region-days or missing KPI values, naming them.
:func:`region_panel` builds it from the warehouse (orders with a region, their own or their customer's),
:func:`region_spend` / :func:`treated_spend` read the regional spend rows a geo test adds;
:func:`simulate_geo_panel` plants a geo test with a known effect for checks.

>>> panel, truth = simulate_geo_panel(regions=6, days=60, treated=("R01",), test_days=14, lift=0.1)
>>> wide = check_panel(panel)
>>> wide.shape, truth["incremental_revenue"] > 0
((60, 6), True)
"""

from __future__ import annotations

import numpy as np

from cmokit.errors import ConfigError, ContractError


def check_panel(panel, kpi: str = "revenue", *, region: str = "region", day: str = "day"):
    """Validate a long region x day panel and return it wide (index = day, columns = regions).

    Raises :class:`~cmokit.errors.ContractError` for a missing column, a missing KPI value,
    a region-day given twice, or regions missing days between the panel's first and last day
    (naming the regions, how many days each lacks and the first missing day).
    """
    import pandas as pd

    from cmokit._frames import require_columns

    df = require_columns(panel, (region, day, kpi), "geo panel", numeric=(kpi,), not_null=(region, day, kpi))
    df = df[[region, day, kpi]].copy()
    df[day] = pd.to_datetime(df[day]).dt.normalize()
    dup = df.duplicated([region, day])
    if dup.any():
        r = df[dup].iloc[0]
        raise ContractError(f"geo panel has {int(dup.sum())} duplicate region-day row(s), e.g. region "
                            f"{r[region]!r} on {r[day].date()}: give one {kpi} per region per day", table="geo panel")
    days = pd.date_range(df[day].min(), df[day].max(), freq="D")
    wide = df.pivot(index=day, columns=region, values=kpi).reindex(days)
    gaps = wide.isna().sum()
    gaps = gaps[gaps > 0]
    if len(gaps):
        detail = "; ".join(f"{r!r} lacks {int(n)} day(s), first {wide.index[wide[r].isna()][0].date()}"
                           for r, n in gaps.head(5).items())
        raise ContractError(f"geo panel: {len(gaps)} region(s) have missing days between {days[0].date()} and "
                            f"{days[-1].date()} ({detail}). Every region needs a {kpi} for every day (0 when "
                            "nothing was sold)", table="geo panel")
    wide.index.name = day
    wide.columns.name = region
    return wide.astype(float)


def simulate_geo_panel(regions: int = 30, days: int = 180, *, treated=("R01", "R02", "R03"), test_days: int = 28,
                       lift: float = 0.1, noise: float = 0.05, random_state: int = 0):
    """A region x day revenue panel with a planted geo test.

    Each region ``r``: ``base_r * (1 + a_r trend_t + b_r season_t + c_r shock_t) * (1 + noise e_rt)``
    with region sizes ``base_r`` log-normal around 10,000 EUR a day, two common factors (a
    trend, a weekly cycle) and a common AR(1) shock the regions load on differently. The
    ``treated`` regions' revenue is multiplied by ``1 + lift`` on the last ``test_days`` days.
    Returns ``(panel, truth)``: panel columns region, day, revenue; truth has test_start,
    test_end, treated, lift and incremental_revenue (the planted extra revenue).
    """
    import pandas as pd

    rng = np.random.default_rng(random_state)
    names = [f"R{i + 1:02d}" for i in range(regions)]
    missing = set(treated) - set(names)
    if missing:
        raise ConfigError(f"treated regions {sorted(missing)} are not among the simulated regions R01..R{regions:02d}")
    t = np.arange(days)
    trend = t / days
    season = np.sin(2 * np.pi * t / 7)
    shock = np.zeros(days)
    for i in range(1, days):
        shock[i] = 0.8 * shock[i - 1] + rng.normal(0, 0.03)
    base = 10_000 * np.exp(rng.normal(0, 0.5, regions))
    a, b, c = rng.uniform(0.1, 0.4, regions), rng.uniform(0.05, 0.15, regions), rng.uniform(0.5, 1.5, regions)
    y = base * (1 + np.outer(trend, a) + np.outer(season, b) + np.outer(shock, c))
    y = y * (1 + noise * rng.normal(size=(days, regions)))
    start = pd.Timestamp("2025-01-01")
    dates = pd.date_range(start, periods=days, freq="D")
    cols = [names.index(r) for r in treated]
    test = slice(days - test_days, days)
    extra = y[test][:, cols] * lift
    y[test, cols] += extra
    panel = pd.DataFrame({"region": np.repeat(names, days), "day": np.tile(dates, regions),
                          "revenue": y.T.reshape(-1)})
    truth = dict(test_start=dates[days - test_days].date().isoformat(), test_end=dates[-1].date().isoformat(),
                 treated=list(treated), lift=lift, incremental_revenue=float(extra.sum()))
    return panel, truth


def region_panel(source, kpi: str = "revenue", *, as_of=None, start=None):
    """Revenue (or orders) per region per day from the warehouse, gaps filled with 0.

    An order's region is the region it shipped to (``orders.region``, the only one a guest order
    has), else its customer's region (``customers.region``); both are optional contract columns
    mapped by the sources configuration. Orders with neither are left out. Days run from ``start``
    (default: the first order day with a region) through ``as_of`` (default: the latest order day).
    Returns region, day, revenue, orders.
    """
    import ibis
    import pandas as pd

    from cmokit.engine import as_of_date
    from cmokit.warehouse.connect import resolve

    if kpi not in ("revenue", "orders"):
        raise ConfigError(f"kpi must be 'revenue' or 'orders', not {kpi!r}")
    res = resolve(source, "orders")
    last = res.as_of(as_of)
    o = res.table("orders", columns=("order_id", "customer_id", "ordered_at", "revenue"))
    region = o.region if "region" in o.columns else ibis.null("string")
    if res.warehouse.has_table("customers") and "region" in res.table("customers").columns:
        customers = res.table("customers")
        c = customers.select(customers.customer_id.name("_cid"), customers.region.name("_cregion"))
        o = o.left_join(c, o.customer_id == c._cid)
        region = region.coalesce(o._cregion) if "region" in o.columns else o._cregion
    j = o.mutate(_region=region)
    j = j.filter(j._region.notnull())
    d = j.ordered_at.cast("date")
    j = j.filter(d <= ibis.literal(pd.Timestamp(last).date()))
    if start is not None:
        j = j.filter(d >= ibis.literal(as_of_date(start)))
    agg = j.group_by([j._region.name("region"), d.name("day")]).aggregate(
        revenue=j.revenue.cast("float64").sum(), orders=j.order_id.count())
    frame = res.warehouse.execute(agg, output="pandas")
    if frame.empty:
        raise ContractError(f"no order has a region up to {pd.Timestamp(last).date()} (orders.region and "
                            "customers.region are empty or not mapped): map one in the sources configuration "
                            "(customers: columns: region: YOUR_REGION_COLUMN, or orders: ... for the region an order "
                            "shipped to) to run geo tests", table="orders")
    frame["day"] = pd.to_datetime(frame["day"])
    first = pd.Timestamp(as_of_date(start)) if start is not None else frame["day"].min()
    days = pd.date_range(first, pd.Timestamp(last), freq="D")
    full = pd.MultiIndex.from_product([sorted(frame["region"].unique()), days], names=["region", "day"])
    out = frame.set_index(["region", "day"]).reindex(full, fill_value=0).reset_index()
    out["orders"] = out["orders"].astype("int64")
    return res.finish(out)


def region_spend(source, *, start=None, end=None, channel: str | None = None):
    """Media spend per region and channel from ``marketing_spend`` rows that carry a region.

    Regional spend is what a geo test adds (or withholds) in its regions; national spend
    (``region`` NULL) is left out. ``start`` / ``end`` limit the days (inclusive), ``channel`` the
    channel. Returns region, channel, spend (EUR), days (with spend), first_day, last_day; empty
    when no spend row has a region.

    >>> import pandas as pd
    >>> spend = pd.DataFrame({"spend_date": pd.to_datetime(["2025-03-03", "2025-03-04", "2025-03-03"]).date,
    ...     "campaign_id": ["g1", "g1", "n1"], "channel": "paid_social", "spend": [10.0, 12.5, 99.0],
    ...     "impressions": 100, "clicks": 1, "region": ["north", "north", None]})
    >>> region_spend({"marketing_spend": spend})[["region", "spend", "days"]].values.tolist()
    [['north', 22.5, 2]]
    """
    import ibis
    import pandas as pd

    from cmokit.engine import as_of_date
    from cmokit.warehouse.connect import resolve

    res = resolve(source, "marketing_spend")
    t = res.table("marketing_spend", columns=("spend_date", "channel", "spend"))
    columns = ["region", "channel", "spend", "days", "first_day", "last_day"]
    if "region" not in t.columns:
        return res.finish(pd.DataFrame(columns=columns))
    t = t.filter(t.region.notnull())
    day = t.spend_date.cast("date")
    if start:
        t = t.filter(day >= ibis.literal(as_of_date(start)))
    if end:
        t = t.filter(day <= ibis.literal(as_of_date(end)))
    if channel:
        t = t.filter(t.channel == ibis.literal(channel))
    day = t.spend_date.cast("date")
    agg = t.group_by(["region", "channel"]).aggregate(spend=t.spend.cast("float64").sum(), days=day.nunique(),
                                                      first_day=day.min(), last_day=day.max())
    frame = res.warehouse.execute(agg, output="pandas")
    if not len(frame):
        return res.finish(pd.DataFrame(columns=columns))
    for col in ("first_day", "last_day"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return res.finish(frame.sort_values(["region", "channel"], ignore_index=True)[columns])


def treated_spend(source, treated, test_start, test_end=None, *, channel: str | None = None) -> float:
    """Regional spend of a geo test: the ``treated`` regions' spend from ``test_start`` through ``test_end``
    (default: open-ended), on ``channel`` if given (:func:`region_spend`); 0.0 when none is recorded."""
    treated = [treated] if isinstance(treated, str) else list(treated)
    spend = region_spend(source, start=test_start, end=test_end or None, channel=channel)
    if hasattr(spend, "to_pandas"):
        spend = spend.to_pandas()
    return round(float(spend.loc[spend["region"].isin(treated), "spend"].sum()), 2)


def load_panel(path: str = "", *, source=None, kpi: str = "revenue", demo: bool = False):
    """The panel a geo report reads: a file, the warehouse's regions, or (only when asked) a demonstration.

    ``path`` (CSV or Parquet with region, day and the KPI) wins; else, when ``source`` is a
    warehouse whose orders or customers carry a region, :func:`region_panel`. Without regions it
    raises the :class:`~cmokit.errors.ContractError` of :func:`region_panel` (which says what to
    map), unless ``demo``: then a simulated panel (:func:`simulate_geo_panel`: 30 regions, 180
    days, +10 % planted in R01-R03 over the last 28 days) shows the method, never mistaken for
    data: ``.attrs["origin"]`` says which panel it is and a simulated one carries ``.attrs["truth"]``.
    """
    import pandas as pd

    if path:
        panel = pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)
        panel.attrs["origin"] = f"file {path}"
        return panel
    if source is not None:
        try:
            panel = region_panel(source, kpi)
            panel.attrs["origin"] = "warehouse regions"
            return panel
        except ContractError:
            if not demo:
                raise
    elif not demo:
        raise ConfigError("load_panel needs a panel file, a warehouse with regions, or demo=True")
    panel, truth = simulate_geo_panel()
    panel.attrs.update(origin=SIMULATED_ORIGIN, truth=truth)
    return panel


#: ``.attrs["origin"]`` of the simulated demonstration panel.
SIMULATED_ORIGIN = "SIMULATED demonstration panel (not your data: the warehouse has no regions)"
