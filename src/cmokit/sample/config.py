"""The planted truth of the sample generator, as data.

Every number the analysis routines are later checked against is set here (or
derived from these settings by :mod:`cmokit.sample.generator`) and written to
``truth.json``. See ``data/sample/README.md`` for what each raw file holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

START = dt.date(2023, 1, 2)  # a Monday: 156 whole ISO weeks
WEEKS = 156
END = START + dt.timedelta(days=7 * WEEKS - 1)  # 2025-12-28, a Sunday

#: BG/NBD purchase process, time unit = weeks (Fader, Hardie & Lee 2005).
BGNBD = {"r": 1.0, "alpha": 6.0, "a": 0.6, "b": 4.0}
#: Gamma-Gamma spend per order, EUR (Fader, Hardie & Lee 2005, "RFM and CLV").
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 30.0}

#: Share of customers who ever order (the rest are registered prospects).
CONVERSION_SHARE = 0.85
#: Share of first orders caused by paid media (the rest by the organic baseline).
MEDIA_SHARE = 0.55
#: Share of customers who give marketing consent.
CONSENT_SHARE = 0.85


@dataclass(frozen=True)
class Media:
    """A paid channel: spend pattern, carry-over, saturation and planted ROI.

    ``acquisition_share`` is the share of media-driven first orders it causes;
    ``roi`` the planted incremental ROI (first-order revenue / spend);
    ``decay`` the weekly geometric adstock rate; ``shape`` the Hill exponent;
    ``saturation_ratio`` the half-saturation point relative to the channel's
    mean adstocked spend.
    """

    channel: str
    acquisition_share: float
    roi: float
    decay: float
    shape: float
    saturation_ratio: float
    pattern: str
    cpm: float
    ctr: float
    touch_type: str = "click"


MEDIA: tuple[Media, ...] = (
    Media("paid_search", 0.40, 2.6, 0.15, 1.3, 1.0, "always_on", 12.0, 0.045),
    Media("paid_social", 0.27, 1.6, 0.40, 1.1, 0.9, "flighted", 7.0, 0.012),
    Media("video", 0.15, 0.9, 0.65, 1.6, 1.1, "bursts", 20.0, 0.004, touch_type="impression"),
    Media("affiliate", 0.18, 1.2, 0.10, 1.0, 1.2, "random_walk", 9.0, 0.020),
    # display is planted as inert: it spends and shows ads, but causes nothing.
    Media("display", 0.00, 0.0, 0.30, 1.0, 1.0, "steady", 3.0, 0.002, touch_type="impression"),
)

#: Share of *spend* on display (inert), relative to total media spend.
DISPLAY_SPEND_SHARE = 0.12

#: Organic baseline drivers of first orders (their touch is the causal one).
ORGANIC_DRIVERS = {"organic_search": 0.40, "direct": 0.30, "email": 0.18, "referral": 0.12}

#: Exposure mix of background (non-causal) touches in every journey.
EXPOSURE = {
    "display": 0.10,
    "paid_social": 0.16,
    "organic_search": 0.20,
    "direct": 0.22,
    "paid_search": 0.12,
    "email": 0.08,
    "video": 0.06,
    "referral": 0.06,
}
#: Mean number of background touches in a journey (Poisson).
BACKGROUND_TOUCHES = 1.2

TOUCH_TYPE = {
    "paid_search": "click", "paid_social": "click", "affiliate": "click", "display": "impression",
    "video": "impression", "email": "open", "organic_search": "visit", "direct": "visit", "referral": "visit",
}

COUNTRIES = {"DE": 0.38, "FR": 0.15, "NL": 0.10, "GB": 0.10, "AT": 0.08, "BE": 0.07, "ES": 0.05, "IT": 0.05, None: 0.02}

#: Planted behavioural segments: median splits of true purchase rate and basket size.
SEGMENTS = ("frequent_big_baskets", "frequent_small_baskets", "occasional_big_baskets", "occasional_small_baskets")


@dataclass(frozen=True)
class Experiment:
    experiment_id: str = "EXP-REACT-2025"
    campaign_id: str = "EM-REACT-2025"
    starts_on: dt.date = dt.date(2025, 6, 2)
    ends_on: dt.date = dt.date(2025, 6, 29)
    eligible_before: dt.date = dt.date(2025, 5, 1)
    primary_metric: str = "conversion"
    cost_per_treated: float = 0.40
    #: variant -> probability of an extra (incremental) order in the window, by planted segment
    effects: dict = field(default_factory=lambda: {
        "email_10": {"occasional_big_baskets": 0.20, "occasional_small_baskets": 0.08,
                     "frequent_big_baskets": 0.04, "frequent_small_baskets": 0.02},
        "email_20": {"occasional_big_baskets": 0.30, "occasional_small_baskets": 0.12,
                     "frequent_big_baskets": 0.06, "frequent_small_baskets": 0.03},
    })


EXPERIMENT = Experiment()


@dataclass(frozen=True)
class LiftTest:
    """A planted geo-holdout lift test on a paid channel (written to ``lift_tests.csv``).

    The channel goes dark in ``holdout_share`` of the market for ``weeks`` weeks from
    ``starts_on``; with a geo-proportional response the revenue lost is ``holdout_share`` times
    the planted response's loss from zero spend in those weeks (carry-over included). The
    measurement is the true loss with the interval of a test whose standard error is
    ``relative_se`` of it. The holdout is planted
    beside the data: national spend and orders are not reduced by it, so every other planted
    number stays as it was.
    """

    test_id: str = "LT-PS-2025-09"
    channel: str = "paid_search"
    starts_on: dt.date = dt.date(2025, 9, 1)  # a Monday
    weeks: int = 8
    holdout_share: float = 0.2
    relative_se: float = 0.15
    interval_level: float = 0.9
    method: str = "geo_holdout"
    kpi: str = "first_order_revenue"


LIFT_TEST = LiftTest()

#: Days before the first order over which a journey's touches fall.
JOURNEY_DAYS = 21
#: Days of look-back the shop's own last-click attribution uses.
SHOP_ATTRIBUTION_DAYS = 7

#: Sales regions (the unit of a geo test): region -> (countries it serves, share of those countries'
#: customers). Customers without a country are spread over every region by size. Each region's
#: baseline is its share of the market: about 7 % to 11 % of customers each.
REGIONS: dict[str, tuple[tuple[str, ...], float]] = {
    "de_north": (("DE",), 0.25),
    "de_east": (("DE",), 0.20),
    "de_west": (("DE",), 0.30),
    "de_south": (("DE",), 0.25),
    "fr_north": (("FR",), 0.55),
    "fr_south": (("FR",), 0.45),
    "netherlands": (("NL",), 1.0),
    "belgium": (("BE",), 1.0),
    "uk": (("GB",), 1.0),
    "austria": (("AT",), 1.0),
    "south_europe": (("ES", "IT"), 1.0),
}


@dataclass(frozen=True)
class GeoTest:
    """A planted geo lift test: a regional heavy-up of one channel's spend in ``treated`` regions.

    For ``weeks`` weeks from ``starts_on`` the channel spends ``spend`` EUR more in the treated
    regions (split by region size and weekday, as regional campaigns in ``ad_spend.csv`` with a
    region). Each treated region-day then gets incremental orders, Poisson with mean ``lift``
    times the region's orders that day (so the expected revenue lift over what the regions would
    have sold is ``lift``), with Gamma-Gamma order values of new buyers. They are *guest* orders
    (no CRM id; the shop knows only where it shipped them): they count in revenue and in the
    regions' sales, never in customer analytics, so every customer-level planted number stays
    as it was. Drawn from their own random stream after everything else.

    The effect is planted on its own, not from the media response curves: at this sample's
    national spend levels the planted curves cannot move a region's sales enough for any geo
    test to detect (``truth.json`` ``geo_test`` records the planted revenue and iROAS).
    """

    test_id: str = "GEO-SO-2025-03"
    channel: str = "paid_social"
    treated: tuple[str, ...] = ("de_north", "de_south", "uk")
    starts_on: dt.date = dt.date(2025, 3, 3)  # a Monday
    weeks: int = 4
    lift: float = 0.4
    spend: float = 3000.0
    kpi: str = "revenue"


GEO_TEST = GeoTest()
