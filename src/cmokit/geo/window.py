"""Which geo test to read out: the one named, else the one the regional spend rows show.

A geo test changes spend in some regions for a few weeks; a warehouse records it as
``marketing_spend`` rows that carry a region (national spend has none). :func:`find_geo_test`
fills whatever of the test the caller left empty (treated regions, first day, last day) from
those rows of one channel: the days with regional spend are split into bursts wherever more
than ``max_gap`` days pass without any, the latest burst is the test (or, when only the first
day is given, the first burst from that day on), its regions are the treated regions and its
first and last spend days the test window. With no regional spend row it says so: the report
then shows the design only.

>>> import pandas as pd
>>> days = list(pd.date_range("2025-03-03", "2025-03-09").date) * 2 + list(pd.date_range("2025-06-02", "2025-06-08").date)
>>> regions = ["north"] * 7 + ["south"] * 7 + ["east"] * 7
>>> spend = pd.DataFrame({"spend_date": days, "campaign_id": [f"geo-{r}" for r in regions], "channel": "paid_social",
...                       "spend": 10.0, "region": regions})
>>> t = find_geo_test({"marketing_spend": spend}, channel="paid_social")
>>> t.treated, str(t.test_start), str(t.test_end), t.bursts
(['east'], '2025-06-02', '2025-06-08', 2)
>>> find_geo_test({"marketing_spend": spend}, channel="paid_social", test_start="2025-03-01").treated
['north', 'south']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class GeoTestWindow:
    """A geo test to read out: ``treated`` regions from ``test_start`` through ``test_end`` (None: not
    known), where each came from (``origin``), how many regional spend bursts there were and a
    sentence saying which test this is (``message``)."""

    treated: list = field(default_factory=list)
    test_start: dt.date | None = None
    test_end: dt.date | None = None
    origin: str = "parameters"
    bursts: int = 0
    message: str = ""

    @property
    def found(self) -> bool:
        """True when there is a test to read out (treated regions and a first day)."""
        return bool(self.treated) and self.test_start is not None


def _bursts(days, max_gap: int):
    """Sorted unique days split into runs with at most ``max_gap`` days between neighbours."""
    runs = []
    for d in sorted(set(days)):
        if runs and (d - runs[-1][-1]).days <= max_gap:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def find_geo_test(source, *, channel: str | None = None, treated=(), test_start="", test_end="",
                  max_gap: int = 7) -> GeoTestWindow:
    """The geo test to read out: ``treated`` / ``test_start`` / ``test_end`` as given, each one left empty
    read from the regional spend rows (``marketing_spend`` rows with a region and spend > 0) of
    ``channel`` (all channels when empty). Returns a :class:`GeoTestWindow`; ``found`` is False
    (and ``message`` says why and what to set) when neither the parameters nor the rows name a test."""
    import pandas as pd

    from cmokit.engine import as_of_date
    from cmokit.warehouse.connect import resolve

    treated = [treated] if isinstance(treated, str) else [str(r) for r in treated]
    start = as_of_date(test_start) if test_start else None
    end = as_of_date(test_end) if test_end else None
    if treated and start is not None and end is not None:
        return GeoTestWindow(treated, start, end, "parameters", 0,
                             f"Test as given: {', '.join(treated)} from {start} to {end}.")
    res = resolve(source, "marketing_spend")
    t = res.table("marketing_spend", columns=("spend_date", "channel", "spend"))
    rows = pd.DataFrame(columns=["day", "region"])
    if "region" in t.columns:
        t = t.filter(t.region.notnull() & (t.spend > 0))
        if channel:
            t = t.filter(t.channel == channel)
        rows = res.warehouse.execute(t.select(day=t.spend_date.cast("date"), region=t.region.cast("string")),
                                     output="pandas")
        rows["day"] = pd.to_datetime(rows["day"]).dt.date
    if treated:
        rows = rows[rows["region"].isin(treated)]
    if start is not None:
        rows = rows[rows["day"] >= start]
    if end is not None:
        rows = rows[rows["day"] <= end]
    where = f"regional {channel} spend rows" if channel else "regional spend rows"
    runs = _bursts(rows["day"], max_gap)
    if not runs:
        if treated and start is not None:
            return GeoTestWindow(treated, start, end, "parameters", 0,
                                 f"Test as given: {', '.join(treated)} from {start} to "
                                 f"{end or 'the last day of the panel'} (no {where} in it).")
        return GeoTestWindow(treated, start, end, "none", 0,
                             f"No geo test to read out: marketing_spend has no {where} (rows with a region, as a "
                             "geo test's regional campaigns add)" + (" for the parameters given" if treated or start
                                                                    else "") + ". Set treated, test_start and "
                             "test_end to read one out; the design below shows what a test could detect.")
    burst = runs[0] if start is not None and end is None else runs[-1]
    in_burst = rows[(rows["day"] >= burst[0]) & (rows["day"] <= burst[-1])]
    got = GeoTestWindow(treated or sorted(in_burst["region"].unique()), start or burst[0], end or burst[-1],
                        "parameters" if treated and start and end else where, len(runs))
    which = ("the only burst" if len(runs) == 1 else
             f"the {'first' if burst is runs[0] else 'latest'} of {len(runs)} bursts "
             f"({', '.join(f'{r[0]}..{r[-1]}' for r in runs if r is not burst)} not read out)")
    got.message = (f"Test read from the {where}: {', '.join(got.treated)} from {got.test_start} to {got.test_end}"
                   f" ({which}).")
    return got


def read_out(panel, window: GeoTestWindow, *, source=None, kpi: str = "revenue", spend: float = 0.0,
             channel: str | None = None, margin: float = 1.0, alpha: float = 0.1):
    """Read out the test ``window`` names on ``panel`` (:class:`~cmokit.geo.readout.GeoTest`), its cost
    ``spend`` or, when 0, the treated regions' regional spend of ``channel`` in ``source`` over the
    test days (:func:`~cmokit.geo.panel.treated_spend`); ``spend_origin_`` says which. Without a test
    (``window.found`` False) the result is empty and ``note_`` is the window's message."""
    from cmokit.geo.panel import treated_spend
    from cmokit.geo.readout import GeoTest

    test = GeoTest(kpi, alpha=alpha)
    if not window.found:
        test.nothing(window.message)
        test.spend_origin_ = ""
        return test
    cost, origin = float(spend or 0.0), "parameter spend"
    if not cost and source is not None:
        cost = treated_spend(source, window.treated, window.test_start, window.test_end, channel=channel)
        origin = f"marketing_spend rows of {channel or 'any channel'} with a treated region"
    test.fit(panel, window.treated, window.test_start, window.test_end, spend=cost, margin=margin)
    test.note_, test.spend_origin_ = window.message, origin
    return test
