"""The region x day KPI panel a geo test is designed and read on.

Long form, one row per region per day: ``region``, ``day`` and a KPI column (``revenue`` by
default). :func:`check_panel` turns it into a days x regions matrix and refuses a panel with
gaps (a region missing days), duplicate region-days or missing KPI values, naming them.
:func:`region_panel` builds it from the warehouse (orders of customers with a region);
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
    """Revenue (or orders) per customer region per day from the warehouse, gaps filled with 0.

    Needs the optional ``region`` column of ``customers`` (mapped by the sources
    configuration); orders of customers without a region are left out. Days run from
    ``start`` (default: the first order day) through ``as_of`` (default: the latest order day).
    Returns region, day, revenue, orders.
    """
    import ibis
    import pandas as pd

    from cmokit.engine import as_of_date
    from cmokit.warehouse.connect import resolve

    if kpi not in ("revenue", "orders"):
        raise ConfigError(f"kpi must be 'revenue' or 'orders', not {kpi!r}")
    res = resolve(source, "orders")
    customers = res.table("customers")
    if "region" not in customers.columns:
        raise ContractError("customers has no region column: map one in the sources configuration (customers."
                            "region) to run geo tests", table="customers")
    last = res.as_of(as_of)
    o = res.table("orders", columns=("customer_id", "ordered_at", "revenue"))
    c = customers.filter(customers.region.notnull()).select("customer_id", "region")
    j = o.join(c, "customer_id")
    d = j.ordered_at.cast("date")
    j = j.filter(d <= ibis.literal(pd.Timestamp(last).date()))
    if start is not None:
        j = j.filter(d >= ibis.literal(as_of_date(start)))
    agg = j.group_by(["region", d.name("day")]).aggregate(revenue=j.revenue.cast("float64").sum(),
                                                          orders=j.customer_id.count())
    frame = res.warehouse.execute(agg, output="pandas")
    if frame.empty:
        raise ContractError("no ordering customer has a region (customers.region is empty up to "
                            f"{pd.Timestamp(last).date()}): map one in the sources configuration to run geo tests",
                            table="customers")
    frame["day"] = pd.to_datetime(frame["day"])
    first = pd.Timestamp(as_of_date(start)) if start is not None else frame["day"].min()
    days = pd.date_range(first, pd.Timestamp(last), freq="D")
    full = pd.MultiIndex.from_product([sorted(frame["region"].unique()), days], names=["region", "day"])
    out = frame.set_index(["region", "day"]).reindex(full, fill_value=0).reset_index()
    out["orders"] = out["orders"].astype("int64")
    return res.finish(out)


def load_panel(path: str = "", *, source=None, kpi: str = "revenue"):
    """The panel a geo report reads: a file, the warehouse's regions, or a planted demonstration.

    ``path`` (CSV or Parquet with region, day and the KPI) wins; else, when ``source`` is a
    warehouse whose customers carry a region, :func:`region_panel`; else a simulated panel
    (:func:`simulate_geo_panel`: 30 regions, 180 days, +10 % planted in R01-R03 over the last 28
    days) so the report shows the method. ``.attrs["origin"]`` says which; a simulated panel
    also carries ``.attrs["truth"]``.
    """
    import pandas as pd

    if path:
        panel = pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)
        panel.attrs["origin"] = f"file {path}"
        return panel
    if source is not None:
        try:
            panel = region_panel(source, kpi)
        except ContractError:
            panel = None
        if panel is not None:
            panel.attrs["origin"] = "warehouse regions"
            return panel
    panel, truth = simulate_geo_panel()
    panel.attrs.update(origin="simulated demonstration (no regions in the warehouse)", truth=truth)
    return panel
