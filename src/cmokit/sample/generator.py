"""Deterministic generator of realistic raw exports with planted truth.

The generator writes the CSV files that the shop, the CRM, the ad platforms
and the tracking system would export (see ``data/sample/README.md``) and the
truth they were drawn from (``truth.json``, ``truth/customers.csv``).

How the data are made (every number is in :mod:`cmokit.sample.config`):

1. **Media** -- each paid channel has a weekly spend pattern (always-on,
   flighted, bursts, random walk, steady). Spend carries over with geometric
   adstock (weekly decay) and saturates with a Hill curve. Expected
   media-driven first orders per week are ``beta * hill(adstock(spend))``,
   with ``beta`` set so each channel's incremental ROI (first-order revenue /
   spend) equals its planted value. ``display`` spends but causes nothing.
2. **Acquisition** -- each ordering customer's first-order week and *driver*
   (the organic baseline, with trend and yearly seasonality, or a paid channel)
   is drawn in proportion to the expected weekly components.
3. **Purchases** follow BG/NBD in continuous time (weeks): rate
   ``lambda ~ Gamma(r, alpha)``, dropout ``p ~ Beta(a, b)`` after each repeat
   purchase. **Order values** follow Gamma-Gamma: ``nu ~ Gamma(q, gamma)``,
   ``z ~ Gamma(p, nu)``.
4. **Journeys** -- before the first order, background touches drawn from an
   exposure mix plus the driver's causal touch; prospects who never order get
   background touches only.
5. **Experiment** -- consenting customers acquired before May 2025 are
   randomised to control and two e-mail treatments; a treatment adds an
   incremental order with a probability that depends on the planted segment.

Output is byte-for-byte identical for the same ``customers`` and ``seed``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np

from cmokit.sample import config as C

US_PER_DAY = 86_400_000_000
US_PER_WEEK = 7 * US_PER_DAY
CHUNK = 100_000

FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Katrin", "Lukas",
               "Mia", "Noah", "Olga", "Paul", "Quentin", "Rosa", "Sofia", "Tom", "Ulla", "Victor", "Wiebke", "Xaver",
               "Yara", "Zoe", "Amelie", "Bruno", "Chloe", "Dario", "Elif", "Finn", "Hanna", "Ilias", "Jana", "Karim")
LAST_NAMES = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Martin",
              "Bernard", "de Vries", "Jansen", "Smith", "Jones", "Taylor", "García", "Rossi", "Bianchi", "Huber",
              "Peeters", "Janssens", "Nowak", "Kowalski", "Lefèvre", "Moreau", "Visser", "Bakker", "Brown", "Wilson")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
PHONE_PREFIX = {"DE": "+49", "FR": "+33", "NL": "+31", "GB": "+44", "AT": "+43", "BE": "+32", "ES": "+34", "IT": "+39"}

PAID = tuple(m.channel for m in C.MEDIA)
CHANNEL_CODE = {"paid_search": "PS", "paid_social": "SO", "video": "VI", "affiliate": "AF", "display": "DI"}
WEEKDAY_WEIGHTS = np.array([1.0, 1.0, 0.98, 1.0, 1.05, 1.08, 0.89])
#: Keys of the random streams added after the first release (``default_rng([seed, key])``): each
#: draws only its own numbers, so the files it does not write stay byte-for-byte what they were.
REGION_STREAM = 20261202
GEO_STREAM = 20261203


# --------------------------------------------------------------------------- helpers
def _us(d: dt.date) -> int:
    return int((dt.datetime(d.year, d.month, d.day) - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000


START_US = _us(C.START)
END_US = _us(C.END) + US_PER_DAY - 1_000_000  # 23:59:59 on the last day
WEEK_START_US = START_US + US_PER_WEEK * np.arange(C.WEEKS)


def _quarter_key(us: np.ndarray) -> np.ndarray:
    """Quarter index (0-based from 2023Q1) of microsecond timestamps."""
    days = us // US_PER_DAY
    d64 = days.astype("datetime64[D]")
    years = d64.astype("datetime64[Y]").astype(int) + 1970
    months = d64.astype("datetime64[M]").astype(int) % 12
    return (years - 2023) * 4 + months // 3


def _month_key(us: np.ndarray) -> np.ndarray:
    d64 = (us // US_PER_DAY).astype("datetime64[D]")
    return d64.astype("datetime64[M]").astype(int) - (2023 - 1970) * 12


def _quarter_campaign(channel: str, q: int) -> str:
    return f"{CHANNEL_CODE[channel]}-{2023 + q // 4}Q{q % 4 + 1}"


def _news_campaign(m: int) -> str:
    return f"EM-NEWS-{2023 + m // 12}-{m % 12 + 1:02d}"


def _seasonality(week_start_us: np.ndarray) -> np.ndarray:
    """Yearly seasonality: peak before Christmas, summer dip (mean ~1)."""
    doy = ((week_start_us // US_PER_DAY) % 365.25) / 365.25
    # day 0 is 1 Jan 1970 (doy phase is close enough to the calendar for a shape)
    return 1.0 + 0.28 * np.cos(2 * np.pi * (doy - 0.94)) + 0.08 * np.cos(4 * np.pi * (doy - 0.94))


def _spend_pattern(kind: str, rng: np.random.Generator, season: np.ndarray, trend: np.ndarray) -> np.ndarray:
    n = len(season)
    if kind == "always_on":
        x = season * np.sqrt(trend) * rng.lognormal(0, 0.12, n)
    elif kind == "flighted":
        on = np.repeat(rng.random(n // 4 + 1) < 0.6, 4)[:n]
        x = on * rng.lognormal(0, 0.25, n)
    elif kind == "bursts":
        x = np.zeros(n)
        w = int(rng.integers(0, 8))
        while w < n:
            length = int(rng.integers(3, 6))
            x[w:w + length] = rng.lognormal(0.3, 0.2)
            w += length + int(rng.integers(6, 14))
    elif kind == "random_walk":
        x = np.exp(np.cumsum(rng.normal(0, 0.10, n)))
    elif kind == "steady":
        x = rng.lognormal(0, 0.06, n)
    else:  # pragma: no cover - config error
        raise ValueError(kind)
    return x / x.mean()


def geometric_adstock(x: np.ndarray, decay: float) -> np.ndarray:
    """``a[t] = x[t] + decay * a[t-1]`` (the generator's planted carry-over)."""
    out = np.empty_like(x, dtype=float)
    acc = 0.0
    for i, v in enumerate(x):
        acc = v + decay * acc
        out[i] = acc
    return out


def hill(x: np.ndarray, half_saturation: float, shape: float) -> np.ndarray:
    """``x^s / (x^s + K^s)``: the planted saturation curve."""
    xs = np.power(np.maximum(x, 0.0), shape)
    return xs / (xs + half_saturation ** shape)


class _Progress:
    """A rich progress bar on a terminal; silent in CI and logs."""

    def __init__(self, enabled: bool | None, total: int, label: str):
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self._bar = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1):
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def close(self):
        if self._bar is not None:
            self._bar.stop()


class _CsvSink:
    """Appends polars frames to one CSV file, header once."""

    def __init__(self, path: Path, float_precision: int | None = 2):
        self.path = path
        self.float_precision = float_precision
        self._fh = open(path, "wb")
        self._header = True
        self.rows = 0

    def write(self, frame) -> None:
        frame.write_csv(self._fh, include_header=self._header, datetime_format="%Y-%m-%dT%H:%M:%SZ",
                        date_format="%Y-%m-%d", float_precision=self.float_precision, line_terminator="\n")
        self._header = False
        self.rows += frame.height

    def close(self) -> None:
        self._fh.close()


def _frame(columns: dict, **kwargs):
    """A polars frame from numpy columns; object arrays go in as lists (an all-None
    object array would otherwise become polars' Object type)."""
    import polars as pl

    cols = {k: (v.tolist() if isinstance(v, np.ndarray) and v.dtype == object else v) for k, v in columns.items()}
    return pl.DataFrame(cols, **kwargs)


def _ts(us: np.ndarray):
    import polars as pl

    return pl.Series(us.astype("int64")).cast(pl.Datetime("us"))


# --------------------------------------------------------------------------- generator
def generate(out_dir, customers: int = 5000, seed: int = 42, progress: bool | None = None) -> dict:
    """Write raw exports for ``customers`` customers into ``out_dir``; return the truth.

    Parameters
    ----------
    out_dir : path
        Folder to write (created if missing).
    customers : int
        Number of customers (ordering customers plus registered prospects).
    seed : int
        Random seed; the output is byte-for-byte identical for the same seed and size.
    progress : bool, optional
        Show a progress bar; default: only on a terminal outside CI.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> d = tempfile.mkdtemp()
    >>> truth = generate(d, customers=300, seed=1, progress=False)
    >>> sorted(p.name for p in pathlib.Path(d).glob("*.csv"))[:3]
    ['ad_spend.csv', 'campaigns.csv', 'crm_customers.csv']
    >>> truth["bgnbd"]["r"]
    1.0
    """
    import polars as pl
    from scipy import stats

    if customers < 50:
        raise ValueError("customers must be at least 50")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    ss = np.random.SeedSequence(seed)
    g_seed, c_seed = ss.spawn(2)
    rng = np.random.default_rng(g_seed)
    n = int(customers)

    # ---- 1. media and the weekly acquisition model --------------------------------------
    weeks = np.arange(C.WEEKS)
    trend = 1.0 + 0.6 * weeks / (C.WEEKS - 1)
    season = _seasonality(WEEK_START_US)
    base_shape = trend * season * rng.lognormal(0, 0.05, C.WEEKS)

    n_conv = int(round(n * C.CONVERSION_SHARE))
    n_media = C.MEDIA_SHARE * n_conv
    n_base = n_conv - n_media
    gg = C.GAMMA_GAMMA
    mean_order_value = gg["p"] * gg["gamma"] / (gg["q"] - 1)  # E[z] under Gamma-Gamma

    weekly_spend: dict[str, np.ndarray] = {}
    planned: dict[str, float] = {}
    for m in C.MEDIA:
        if m.acquisition_share > 0:
            planned[m.channel] = m.acquisition_share * n_media * mean_order_value / m.roi
    effective_spend = sum(planned.values())
    planned["display"] = C.DISPLAY_SPEND_SHARE * effective_spend / (1 - C.DISPLAY_SPEND_SHARE)

    # daily spend per paid channel, rounded to cents as the ad platforms report it
    weekday_w = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.sum()
    daily_spend: dict[str, np.ndarray] = {}
    for m in C.MEDIA:
        shape = _spend_pattern(m.pattern, rng, season, trend)
        week_amount = planned[m.channel] * shape / shape.sum()
        day = np.round(np.repeat(week_amount, 7) * np.tile(weekday_w, C.WEEKS), 2)
        daily_spend[m.channel] = day
        weekly_spend[m.channel] = day.reshape(C.WEEKS, 7).sum(axis=1)

    components = [n_base * base_shape / base_shape.sum()]
    media_truth: dict[str, dict] = {}
    for m in C.MEDIA:
        x = weekly_spend[m.channel]
        ad = geometric_adstock(x, m.decay)
        k = m.saturation_ratio * ad.mean()
        h = hill(ad, k, m.shape)
        target = m.acquisition_share * n_media
        beta = target / h.sum() if target > 0 else 0.0
        expected = beta * h
        components.append(expected)
        media_truth[m.channel] = {
            "adstock": "geometric",
            "decay": m.decay,
            "decay_unit": "week",
            "saturation": "hill",
            "half_saturation": round(float(k), 4),
            "shape": m.shape,
            "max_weekly_revenue": round(float(beta * mean_order_value), 4),
            "spend": round(float(x.sum()), 2),
            "incremental_revenue": round(float(expected.sum() * mean_order_value), 2),
            "incremental_roi": round(float(expected.sum() * mean_order_value / x.sum()), 6),
            "effective": m.acquisition_share > 0,
        }
    lift_truth = _write_lift_test(out, weekly_spend, media_truth, mean_order_value)
    comp = np.vstack(components)  # (1 + media, weeks)
    probs = (comp / comp.sum()).ravel()

    # ---- 2. customers: who orders, when, and why --------------------------------------------
    cell = rng.choice(probs.size, size=n_conv, p=probs)
    driver_idx = cell // C.WEEKS  # 0 = organic baseline, 1.. = media
    week_of = cell % C.WEEKS
    dow = rng.choice(7, size=n_conv, p=weekday_w)
    t0 = WEEK_START_US[week_of] + dow * US_PER_DAY + rng.integers(0, US_PER_DAY, n_conv)
    prospect_signup = START_US + rng.integers(0, END_US - START_US, n - n_conv)

    converting = np.concatenate([np.ones(n_conv, bool), np.zeros(n - n_conv, bool)])
    anchor = np.concatenate([t0, prospect_signup])
    consent = rng.random(n) < C.CONSENT_SHARE
    countries = list(C.COUNTRIES)
    country_idx = rng.choice(len(countries), size=n, p=np.array(list(C.COUNTRIES.values())))
    organic = list(C.ORGANIC_DRIVERS)
    org_p = np.array(list(C.ORGANIC_DRIVERS.values()))
    org_noemail = org_p * (np.array(organic) != "email")
    drv_org = np.where(consent[:n_conv],
                       rng.choice(len(organic), size=n_conv, p=org_p / org_p.sum()),
                       rng.choice(len(organic), size=n_conv, p=org_noemail / org_noemail.sum()))
    media_names = [m.channel for m in C.MEDIA]
    driver = np.array([organic[o] if d == 0 else media_names[d - 1] for d, o in zip(driver_idx.tolist(), drv_org.tolist())] +
                      [""] * (n - n_conv), dtype=object)
    driver_is_media = np.concatenate([driver_idx > 0, np.zeros(n - n_conv, bool)])

    bg = C.BGNBD
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    pdrop = rng.beta(bg["a"], bg["b"], n)
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    lam_med = stats.gamma.ppf(0.5, bg["r"], scale=1 / bg["alpha"])
    spend_med = gg["p"] / stats.gamma.ppf(0.5, gg["q"], scale=1 / gg["gamma"])
    frequent = lam >= lam_med
    big = gg["p"] / nu >= spend_med
    seg_idx = np.where(frequent, np.where(big, 0, 1), np.where(big, 2, 3))
    segment = np.where(converting, np.array(C.SEGMENTS, dtype=object)[seg_idx], "prospect")

    # CRM ids in order of first contact (as a CRM assigns them)
    order = np.lexsort((np.arange(n), anchor))
    perm = lambda a: a[order]  # noqa: E731
    converting, anchor, consent, country_idx, driver, driver_is_media = map(
        perm, (converting, anchor, consent, country_idx, driver, driver_is_media))
    lam, pdrop, nu, seg_idx, segment = map(perm, (lam, pdrop, nu, seg_idx, segment))
    crm_ids = np.array([f"CRM-{i + 1:07d}" for i in range(n)], dtype=object)

    # experiment assignment (consenting customers acquired before the cut-off)
    ex = C.EXPERIMENT
    variants = ["control", *ex.effects]
    eligible = converting & consent & (anchor < _us(ex.eligible_before))
    variant = np.full(n, "", dtype=object)
    variant[eligible] = np.array(variants, dtype=object)[rng.integers(0, len(variants), int(eligible.sum()))]
    ex_start_us, ex_end_us = _us(ex.starts_on), _us(ex.ends_on) + US_PER_DAY - 1_000_000
    # regions: their own random stream, so every draw above and below is what it was without them
    region_idx = _draw_regions(np.random.default_rng([seed, REGION_STREAM]), country_idx, countries)
    region_names = np.array(list(C.REGIONS), dtype=object)
    region_day = {"orders": np.zeros((len(C.REGIONS), 7 * C.WEEKS)),
                  "revenue": np.zeros((len(C.REGIONS), 7 * C.WEEKS))}  # the geo test's baseline

    # ---- 3. static exports: campaigns, spend, experiments ------------------------------------
    _write_campaigns_and_spend(out, rng, daily_spend, planned, variant, ex)
    pl.DataFrame({"experiment_code": [ex.experiment_id], "campaign_code": [ex.campaign_id],
                  "start_date": [ex.starts_on], "end_date": [ex.ends_on], "primary_metric": [ex.primary_metric]}
                 ).write_csv(out / "experiments.csv", date_format="%Y-%m-%d", line_terminator="\n")

    # ---- 4. per-customer streams, chunk by chunk ---------------------------------------------
    sinks = {name: _CsvSink(out / f"{name}.csv") for name in
             ("crm_customers", "shop_orders", "touchpoints", "experiment_assignments")}
    truth_sink = _CsvSink(out / "truth" / "customers.csv", float_precision=None)  # latent draws at full precision
    extra_sink = _CsvSink(out / "truth" / "experiment_orders.csv")
    ex_acc = {v: {"n": 0, "conv": 0.0, "orders": 0.0, "revenue": 0.0, "by_segment": {}} for v in ex.effects}
    counters = {"order": 0, "touch": 0}
    chunk_seeds = c_seed.spawn((n + CHUNK - 1) // CHUNK)
    bar = _Progress(progress, n, "generating customers")
    try:
        for ci, lo in enumerate(range(0, n, CHUNK)):
            hi = min(n, lo + CHUNK)
            crng = np.random.default_rng(chunk_seeds[ci])
            _chunk(crng, slice(lo, hi), locals_=dict(
                converting=converting, anchor=anchor, consent=consent, country_idx=country_idx, countries=countries,
                driver=driver, driver_is_media=driver_is_media, lam=lam, pdrop=pdrop, nu=nu, segment=segment,
                crm_ids=crm_ids, variant=variant, ex=ex, ex_start_us=ex_start_us, ex_end_us=ex_end_us,
                region_idx=region_idx, region_names=region_names, region_day=region_day,
                gg=gg), sinks=sinks, truth_sink=truth_sink, extra_sink=extra_sink, ex_acc=ex_acc, counters=counters)
            bar.advance(hi - lo)
        geo_truth = _write_geo_orders(out, seed, region_day, sinks["shop_orders"], counters, gg)
    finally:
        bar.close()
        for s in (*sinks.values(), truth_sink, extra_sink):
            s.close()

    # ---- 5. truth -------------------------------------------------------------------------------
    drivers_conv = driver[converting]
    chan, cnt = np.unique(drivers_conv.astype(str), return_counts=True)
    channel_effect = {c: round(float(k / n_conv), 6) for c, k in zip(chan, cnt)}
    for c in C.EXPOSURE:
        channel_effect.setdefault(c, 0.0)
    n_treated = {v: int((variant == v).sum()) for v in variants}
    average_lift, by_segment = {}, {}
    for v, acc in ex_acc.items():
        k = max(acc["n"], 1)
        average_lift[v] = {"conversion": acc["conv"] / k, "orders_per_customer": acc["orders"] / k,
                           "revenue_per_customer": acc["revenue"] / k}
        by_segment[v] = {s: {"customers": d["n"], "conversion": d["conv"] / max(d["n"], 1),
                             "revenue_per_customer": d["revenue"] / max(d["n"], 1)}
                         for s, d in sorted(acc["by_segment"].items())}
    most = max(ex.effects[variants[1]], key=ex.effects[variants[1]].get)
    truth = {
        "generator": "cmokit.sample", "seed": seed, "customers": n, "ordering_customers": n_conv,
        "start": C.START.isoformat(), "end": C.END.isoformat(), "currency": "EUR", "time_zone": "UTC",
        "bgnbd": {**bg, "time_unit": "weeks", "note": "continuous time from each customer's first order"},
        "gamma_gamma": {**gg, "note": "every order's value; mean order value p*gamma/(q-1)",
                        "mean_order_value": mean_order_value},
        "media": media_truth,
        "lift_tests": [lift_truth],
        "media_note": ("weekly grain, weeks start Monday; incremental_roi = expected first-order revenue of "
                       "media-acquired customers / spend; repeat purchases of those customers are not credited"),
        "baseline": {"trend": "linear +60% over the period", "seasonality": "yearly, peak in December",
                     "expected_share_of_first_orders": 1 - C.MEDIA_SHARE},
        "experiment": {
            "experiment_id": ex.experiment_id, "campaign_id": ex.campaign_id,
            "starts_on": ex.starts_on.isoformat(), "ends_on": ex.ends_on.isoformat(),
            "variants": variants, "customers_per_variant": n_treated,
            "cost_per_treated_customer": ex.cost_per_treated,
            "incremental_order_probability": ex.effects,
            "average_lift": average_lift, "lift_by_segment": by_segment,
            "most_responsive_segment": most,
            "note": ("lifts are sample average treatment effects over every assigned customer, from both "
                     "potential outcomes; conversion = at least one order in the window"),
        },
        "journeys": {
            "channel_effect": channel_effect,
            "effective": sorted(c for c, v in channel_effect.items() if v > 0),
            "inert": sorted(c for c, v in channel_effect.items() if v == 0),
            "exposure": C.EXPOSURE, "background_touches_mean": C.BACKGROUND_TOUCHES,
            "journey_days": C.JOURNEY_DAYS,
            "note": "channel_effect = share of first orders the channel caused (its causal touch is in the journey)",
        },
        "segments": {"names": list(C.SEGMENTS),
                     "definition": ("median splits of the true weekly purchase rate lambda (frequent/occasional) and "
                                    "the true mean order value p/nu (big/small baskets) at the population medians"),
                     "lambda_median": float(lam_med), "mean_spend_median": float(spend_med)},
        "consent_share": C.CONSENT_SHARE,
        "regions": _region_truth(region_idx),
        "geo_test": geo_truth,
        "rows": {k: s.rows for k, s in sinks.items()},
    }
    write_refunds(out, seed)
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def write_refunds(out, seed: int) -> None:
    """``refunds.csv``: about 4 % of orders refunded (60 % in full, else part of the amount), 1 hour to
    30 days after the order and not after the sample's end. Drawn from its own random stream after every
    other export is written, so adding refunds changed no other file."""
    import polars as pl

    out = Path(out)
    orders = pl.read_csv(out / "shop_orders.csv", schema_overrides={"crm_id": pl.String, "amount_eur": pl.String})
    orders = orders.filter(pl.col("crm_id").is_not_null())  # the geo test's guest orders came later
    rng = np.random.default_rng([seed, 20260101])
    pick = np.flatnonzero(rng.random(orders.height) < 0.04)
    sub = orders[pick]
    amount = np.array([float(v) for v in sub["amount_eur"]])
    full = rng.random(pick.size) < 0.6
    share = np.where(full, 1.0, rng.uniform(0.1, 0.9, pick.size))
    refunded = np.maximum(np.round(amount * share, 2), 0.01)
    ordered = (sub["order_ts"].str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us").cast(pl.Int64).to_numpy())
    delay = rng.integers(3_600, 30 * 86_400, pick.size).astype(np.int64) * 1_000_000
    at = np.minimum(ordered + delay, np.maximum(END_US, ordered))
    pl.DataFrame({"refund_number": [f"RF-{i:08d}" for i in range(1, pick.size + 1)],
                  "order_number": sub["order_number"], "crm_id": sub["crm_id"], "refund_ts": _ts(at),
                  "amount_eur": [f"{v:.2f}" for v in refunded]}).write_csv(
        out / "refunds.csv", datetime_format="%Y-%m-%dT%H:%M:%SZ", line_terminator="\n")


def _write_lift_test(out: Path, weekly_spend, media_truth, mean_order_value) -> dict:
    """Write ``lift_tests.csv`` (the planted geo holdout, :class:`config.LiftTest`); return its truth.

    The measured revenue change is the true one (the estimate a test centred on the truth
    gives); its interval is the one a test of ``relative_se`` gives. No random draws: every
    other file is byte-for-byte what it was without it.
    """
    import polars as pl
    from scipy.stats import norm

    lt = C.LIFT_TEST
    m = media_truth[lt.channel]
    x = weekly_spend[lt.channel]
    first = (lt.starts_on - C.START).days // 7
    window = slice(first, first + lt.weeks)
    beta = m["max_weekly_revenue"] / mean_order_value if m["max_weekly_revenue"] else 0.0
    dark = x.copy()
    dark[window] = 0.0

    def revenue(spend):
        return beta * hill(geometric_adstock(spend, m["decay"]), m["half_saturation"], m["shape"]) * mean_order_value

    lost = lt.holdout_share * float((revenue(x) - revenue(dark)).sum())  # carry-over to the end of the data
    spend_change = -lt.holdout_share * float(x[window].sum())
    se = lt.relative_se * lost
    measured = -lost
    z = float(norm.ppf(1 - (1 - lt.interval_level) / 2))
    ends_on = lt.starts_on + dt.timedelta(days=7 * lt.weeks - 1)
    pl.DataFrame({
        "test_code": [lt.test_id], "channel": [lt.channel], "start_date": [lt.starts_on], "end_date": [ends_on],
        "kpi": [lt.kpi], "spend_change_eur": [round(spend_change, 2)], "incremental_revenue_eur": [round(measured, 2)],
        "incremental_revenue_lower_eur": [round(measured - z * se, 2)],
        "incremental_revenue_upper_eur": [round(measured + z * se, 2)],
        "interval_level": [lt.interval_level], "method": [lt.method],
    }).write_csv(out / "lift_tests.csv", date_format="%Y-%m-%d", float_precision=2, line_terminator="\n")
    return {"test_id": lt.test_id, "channel": lt.channel, "starts_on": lt.starts_on.isoformat(),
            "ends_on": ends_on.isoformat(), "method": lt.method, "holdout_share": lt.holdout_share,
            "spend_change": round(spend_change, 2), "true_incremental_revenue": round(-lost, 2),
            "true_incremental_roi": round(lost / -spend_change, 6) if spend_change else 0.0,
            "std_error": round(se, 2),
            "note": ("a geo holdout planted beside the data: the channel dark in holdout_share of the market for the "
                     "test weeks; true revenue change = holdout_share x (planted response at actual spend - at zero "
                     "spend in the test weeks), carry-over included; the measurement is the true change with the interval of a "
                     "test of this precision; the national spend and orders are not reduced")}


def _write_campaigns_and_spend(out: Path, rng, daily_spend, planned, variant, ex) -> None:
    import polars as pl

    days = np.arange(7 * C.WEEKS)
    day_us = START_US + days * US_PER_DAY
    quarter = _quarter_key(day_us)
    month = _month_key(day_us)
    camp_rows, spend_parts = [], []
    for m in C.MEDIA:
        code = CHANNEL_CODE[m.channel]
        for q in range(int(quarter.max()) + 1):
            mask = quarter == q
            starts, ends = day_us[mask].min(), day_us[mask].max()
            qspend = float(daily_spend[m.channel][mask].sum())
            camp_rows.append((_quarter_campaign(m.channel, q), f"{m.channel.replace('_', ' ').title()} {2023 + q // 4} Q{q % 4 + 1}",
                              m.channel, starts, ends, round(qspend * float(rng.uniform(0.95, 1.15)), 2)))
            s = daily_spend[m.channel][mask]
            keep = s > 0
            imps = np.round(s[keep] / m.cpm * 1000 * rng.lognormal(0, 0.1, keep.sum())).astype(np.int64)
            spend_parts.append(pl.DataFrame({
                "date": (day_us[mask][keep] // US_PER_DAY).astype("datetime64[D]"),
                "campaign_code": [_quarter_campaign(m.channel, q)] * int(keep.sum()),
                "channel": [m.channel] * int(keep.sum()),
                "cost_eur": s[keep],
                "impressions": imps,
                "clicks": rng.binomial(imps, m.ctr).astype(np.int64),
            }))
    del code
    for mth in range(int(month.max()) + 1):
        mask = month == mth
        camp_rows.append((_news_campaign(mth), f"Newsletter {2023 + mth // 12}-{mth % 12 + 1:02d}", "email",
                          day_us[mask].min(), day_us[mask].max(), None))
    treated = int(np.isin(variant, list(ex.effects)).sum())
    cost = round(ex.cost_per_treated * treated, 2)
    camp_rows.append((ex.campaign_id, "E-mail reactivation test 2025", "email", _us(ex.starts_on), _us(ex.ends_on), cost))
    per_day = np.full(3, round(cost / 3, 2))
    per_day[-1] = round(cost - per_day[:-1].sum(), 2)
    spend_parts.append(pl.DataFrame({
        "date": ((_us(ex.starts_on) + np.arange(3) * US_PER_DAY) // US_PER_DAY).astype("datetime64[D]"),
        "campaign_code": [ex.campaign_id] * 3, "channel": ["email"] * 3, "cost_eur": per_day,
        "impressions": np.full(3, treated // 3, dtype=np.int64), "clicks": np.full(3, treated // 30, dtype=np.int64),
    }))
    campaigns = pl.DataFrame({
        "campaign_code": [r[0] for r in camp_rows], "campaign_name": [r[1] for r in camp_rows],
        "channel": [r[2] for r in camp_rows],
        "start_date": (np.array([r[3] for r in camp_rows]) // US_PER_DAY).astype("datetime64[D]"),
        "end_date": (np.array([r[4] for r in camp_rows]) // US_PER_DAY).astype("datetime64[D]"),
        "budget_eur": [r[5] for r in camp_rows],
    }, schema_overrides={"budget_eur": pl.Float64})
    geo_campaigns, geo_spend = _geo_spend()
    campaigns = pl.concat([campaigns, geo_campaigns])
    campaigns.write_csv(out / "campaigns.csv", date_format="%Y-%m-%d", float_precision=2, line_terminator="\n")
    spend = pl.concat([pl.concat(spend_parts).with_columns(region=pl.lit(None, pl.String)), geo_spend])
    spend = spend.sort(["date", "campaign_code"])
    spend.write_csv(out / "ad_spend.csv", date_format="%Y-%m-%d", float_precision=2, line_terminator="\n")


def _draw_regions(rng, country_idx: np.ndarray, countries: list) -> np.ndarray:
    """Index into ``config.REGIONS`` of each customer's region: drawn among the regions serving the
    customer's country by their share; customers without a country by the regions' overall sizes."""
    names = list(C.REGIONS)
    out = np.zeros(country_idx.size, dtype=np.int64)
    for ci, country in enumerate(countries):
        mask = country_idx == ci
        if not mask.any():
            continue
        w = _region_sizes() if country is None else np.array(
            [share if country in served else 0.0 for served, share in C.REGIONS.values()])
        out[mask] = rng.choice(len(names), size=int(mask.sum()), p=w / w.sum())
    return out


def _region_sizes() -> np.ndarray:
    """Planted share of the market of each region (``config.REGIONS`` order)."""
    w = np.array([share * sum(C.COUNTRIES[c] for c in served) for served, share in C.REGIONS.values()])
    return w / w.sum()


def _region_truth(region_idx: np.ndarray) -> dict:
    counts = np.bincount(region_idx, minlength=len(C.REGIONS))
    return {"names": list(C.REGIONS), "planted_share": dict(zip(C.REGIONS, np.round(_region_sizes(), 6).tolist())),
            "customers": dict(zip(C.REGIONS, counts.tolist())),
            "note": ("each customer's region is drawn among the regions serving its country (customers without a "
                     "country: by region size) from a random stream of its own; orders ship to the customer's region")}


def _geo_days(geo) -> np.ndarray:
    """Day indices (0 = config.START) of the geo test."""
    first = (geo.starts_on - C.START).days
    return np.arange(first, first + 7 * geo.weeks)


def _geo_spend():
    """The geo test's regional campaigns and their daily spend rows (no random draws): ``spend`` split
    over the treated regions by size and over the days by the weekday weights, in cents."""
    import polars as pl

    geo = C.GEO_TEST
    media = {m.channel: m for m in C.MEDIA}[geo.channel]
    names = list(C.REGIONS)
    size = _region_sizes()[[names.index(r) for r in geo.treated]]
    days = _geo_days(geo)
    w = WEEKDAY_WEIGHTS[(days % 7)]
    camp, parts = [], []
    for r, share in zip(geo.treated, size / size.sum()):
        code = f"{CHANNEL_CODE[geo.channel]}-GEO-{geo.starts_on:%Y%m}-{r}"
        total = round(geo.spend * float(share), 2)
        cost = np.round(total * w / w.sum(), 2)
        cost[-1] = round(total - cost[:-1].sum(), 2)
        imps = np.round(cost / media.cpm * 1000).astype(np.int64)
        camp.append((code, f"{geo.channel.replace('_', ' ').title()} geo test {geo.starts_on:%Y-%m} {r}",
                     geo.channel, geo.starts_on, geo.starts_on + dt.timedelta(days=len(days) - 1), total))
        parts.append(pl.DataFrame({
            "date": (START_US // US_PER_DAY + days).astype("datetime64[D]"), "campaign_code": [code] * len(days),
            "channel": [geo.channel] * len(days), "cost_eur": cost, "impressions": imps,
            "clicks": np.round(imps * media.ctr).astype(np.int64), "region": [r] * len(days)}))
    campaigns = pl.DataFrame({
        "campaign_code": [c[0] for c in camp], "campaign_name": [c[1] for c in camp], "channel": [c[2] for c in camp],
        "start_date": [c[3] for c in camp], "end_date": [c[4] for c in camp], "budget_eur": [c[5] for c in camp]},
        schema_overrides={"budget_eur": pl.Float64})
    return campaigns, pl.concat(parts)


def _write_geo_orders(out: Path, seed: int, region_day: dict, sink, counters: dict, gg: dict) -> dict:
    """Append the geo test's incremental guest orders to ``shop_orders.csv``; return the test's truth.

    Each treated region-day gets ``Poisson(lift * orders that day)`` extra orders at a uniform time
    of day, each with a Gamma-Gamma value of a new buyer (``nu ~ Gamma(q, gamma)``, value
    ``~ Gamma(p, nu)``); no CRM id, no campaign (the shop's last-click needs a known customer's
    touches), the region they shipped to. Own random stream, drawn after every other.
    """
    geo = C.GEO_TEST
    rng = np.random.default_rng([seed, GEO_STREAM])
    names = list(C.REGIONS)
    days = _geo_days(geo)
    base = region_day["orders"][[names.index(r) for r in geo.treated]][:, days]
    extra = rng.poisson(geo.lift * base)
    r_of = np.repeat(np.repeat(np.arange(len(geo.treated)), len(days)), extra.ravel())
    d_of = np.repeat(np.tile(days, len(geo.treated)), extra.ravel())
    k = r_of.size
    t = START_US + d_of * US_PER_DAY + rng.integers(0, US_PER_DAY // 1_000_000, k) * 1_000_000
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], k)
    value = np.round(rng.gamma(gg["p"], 1.0 / nu), 2)
    o = np.lexsort((r_of, t))
    numbers = [f"SO-{i:08d}" for i in range(counters["order"] + 1, counters["order"] + k + 1)]
    counters["order"] += k
    sink.write(_frame({"order_number": numbers, "crm_id": np.full(k, None, dtype=object), "order_ts": _ts(t[o]),
                       "amount_eur": value[o], "campaign_code": np.full(k, None, dtype=object),
                       "ship_region": np.array(geo.treated, dtype=object)[r_of[o]]},
                      schema_overrides={"crm_id": _pl_string(), "campaign_code": _pl_string(),
                                        "ship_region": _pl_string()}))
    _frame({"order_number": numbers}).write_csv(out / "truth" / "geo_orders.csv", line_terminator="\n")
    rows = [names.index(r) for r in geo.treated]
    counterfactual = float(region_day["revenue"][rows][:, days].sum())
    incremental = round(float(value.sum()), 2)
    ends_on = geo.starts_on + dt.timedelta(days=len(days) - 1)
    return {"test_id": geo.test_id, "channel": geo.channel, "treated_regions": list(geo.treated),
            "starts_on": geo.starts_on.isoformat(), "ends_on": ends_on.isoformat(), "kpi": geo.kpi,
            "spend": geo.spend, "planted_lift": geo.lift, "incremental_orders": int(k),
            "incremental_revenue": incremental, "counterfactual_revenue": round(counterfactual, 2),
            "realised_lift": round(incremental / counterfactual, 6) if counterfactual else 0.0,
            "incremental_roas": round(incremental / geo.spend, 6),
            "note": ("a regional heavy-up: spend in ad_spend.csv rows with a region; incremental orders are guest "
                     "orders (empty crm_id, ship_region set; truth/geo_orders.csv) drawn as Poisson(planted_lift x "
                     "the region's orders that day); incremental_revenue is their realised sum, "
                     "counterfactual_revenue the treated regions' revenue without them over the test days. Planted "
                     "on its own, not from the media response curves")}


def _pl_string():
    import polars as pl

    return pl.String


def _chunk(rng, sl: slice, locals_: dict, sinks, truth_sink, extra_sink, ex_acc, counters) -> None:
    """Generate the customers ``sl`` with their orders, touches and assignments."""
    import polars as pl

    L = locals_
    conv = L["converting"][sl]
    anchor = L["anchor"][sl]
    consent = L["consent"][sl]
    lam, pdrop, nu = L["lam"][sl], L["pdrop"][sl], L["nu"][sl]
    driver = L["driver"][sl]
    segment = L["segment"][sl]
    variant = L["variant"][sl]
    crm = L["crm_ids"][sl]
    region = L["region_names"][L["region_idx"][sl]]
    gg = L["gg"]
    m = len(conv)
    idx = np.arange(m)

    # -- journeys ----------------------------------------------------------------------------
    exp_ch = np.array(list(C.EXPOSURE), dtype=object)
    exp_p = np.array(list(C.EXPOSURE.values()))
    n_bg = rng.poisson(C.BACKGROUND_TOUCHES, m) + (~conv).astype(int)  # prospects: at least one touch
    owner = np.repeat(idx, n_bg)
    ch = exp_ch[rng.choice(len(exp_ch), size=owner.size, p=exp_p / exp_p.sum())]
    win_end = np.where(conv, anchor - 6 * 3_600_000_000, anchor + 30 * US_PER_DAY)
    win_start = np.maximum(START_US, anchor - C.JOURNEY_DAYS * US_PER_DAY)
    win_end = np.minimum(np.maximum(win_end, win_start + 1), END_US)
    span = (win_end - win_start)[owner]
    t_bg = win_start[owner] + (rng.random(owner.size) * span).astype(np.int64)
    # the causal touch of each ordering customer
    c_owner = idx[conv]
    last = rng.random(c_owner.size) < 0.6
    t_causal = np.where(last,
                        anchor[c_owner] - rng.integers(60_000_000, 6 * 3_600_000_000, c_owner.size),
                        win_start[c_owner] + (rng.random(c_owner.size) * (anchor[c_owner] - win_start[c_owner])).astype(np.int64))
    t_causal = np.maximum(t_causal, START_US)
    # touches before repeat orders come below; assemble journey touches now
    j_owner = np.concatenate([owner, c_owner])
    j_ch = np.concatenate([ch, driver[c_owner]])
    j_t = np.concatenate([t_bg, t_causal])
    # non-consenting customers are never e-mailed: their e-mail touches are direct visits
    j_ch = np.where((j_ch == "email") & ~consent[j_owner], "direct", j_ch)

    # -- purchases: BG/NBD in continuous time, values Gamma-Gamma ------------------------------
    horizon_w = np.where(conv, (END_US - anchor) / US_PER_WEEK, 0.0)
    n_pois = rng.poisson(lam * horizon_w)
    dmax = rng.geometric(np.clip(pdrop, 1e-9, 1.0))
    n_rep = np.where(conv, np.minimum(n_pois, dmax), 0)
    p_owner = np.repeat(idx, n_pois)
    u = rng.random(p_owner.size)
    o = np.lexsort((u, p_owner))
    p_owner, u = p_owner[o], u[o]
    rank = np.arange(p_owner.size) - np.repeat(np.cumsum(n_pois) - n_pois, n_pois)
    keep = rank < n_rep[p_owner]
    r_owner = p_owner[keep]
    r_t = anchor[r_owner] + (u[keep] * horizon_w[r_owner] * US_PER_WEEK).astype(np.int64)
    r_t = np.minimum(r_t, END_US)
    o_owner = np.concatenate([c_owner, r_owner])
    o_t = np.concatenate([anchor[c_owner], r_t])
    o_val = np.round(rng.gamma(gg["p"], 1.0 / nu[o_owner]), 2)

    # touches before some repeat orders: an e-mail open (consenting) or a direct visit
    rep_touch = rng.random(r_owner.size) < 0.35
    rt_owner = r_owner[rep_touch]
    rt_t = np.maximum(r_t[rep_touch] - rng.integers(600_000_000, 3 * US_PER_DAY, rt_owner.size), START_US)
    rt_ch = np.where(consent[rt_owner], "email", "direct").astype(object)

    # -- experiment -----------------------------------------------------------------------------
    ex = L["ex"]
    e_start, e_end = L["ex_start_us"], L["ex_end_us"]
    assigned = variant != ""
    y0 = np.zeros(m, bool)
    in_win = (o_t >= e_start) & (o_t <= e_end)
    y0[np.unique(o_owner[in_win])] = True
    u_ex = rng.random(m)
    extra_val = np.round(rng.gamma(gg["p"], 1.0 / nu), 2)
    extra_t = e_start + (rng.random(m) * (e_end - e_start)).astype(np.int64)
    extra_owner, extra_time, extra_value = [], [], []
    for v, effects in ex.effects.items():
        tau = np.array([effects.get(s, 0.0) for s in segment])
        hit = assigned & (u_ex < tau)
        acc = ex_acc[v]
        acc["n"] += int(assigned.sum())
        acc["conv"] += float((hit & ~y0).sum())
        acc["orders"] += float(hit.sum())
        acc["revenue"] += float(extra_val[hit].sum())
        for s in np.unique(segment[assigned]):
            sm = assigned & (segment == s)
            d = acc["by_segment"].setdefault(str(s), {"n": 0, "conv": 0.0, "revenue": 0.0})
            d["n"] += int(sm.sum())
            d["conv"] += float((hit & ~y0 & sm).sum())
            d["revenue"] += float(extra_val[hit & sm].sum())
        treated_hit = hit & (variant == v)
        extra_owner.append(idx[treated_hit])
        extra_time.append(extra_t[treated_hit])
        extra_value.append(extra_val[treated_hit])
    extra_owner = np.concatenate(extra_owner)
    extra_time = np.concatenate(extra_time)
    extra_value = np.concatenate(extra_value)
    # treated customers get the test e-mail; some open it
    treated = idx[assigned & (variant != "control")]
    opens = treated[rng.random(treated.size) < 0.45]
    op_t = e_start + rng.integers(3_600_000_000, 2 * US_PER_DAY, opens.size)

    # -- shop attribution of orders: last campaign touch within 7 days ------------------------------
    all_owner = np.concatenate([o_owner, extra_owner])
    all_t = np.concatenate([o_t, extra_time])
    all_val = np.concatenate([o_val, extra_value])
    is_extra = np.concatenate([np.zeros(o_owner.size, bool), np.ones(extra_owner.size, bool)])
    t_owner = np.concatenate([j_owner, rt_owner, opens])
    t_t = np.concatenate([j_t, rt_t, op_t])
    t_ch = np.concatenate([j_ch, rt_ch, np.full(opens.size, "email", dtype=object)])
    t_camp = _touch_campaigns(t_ch, t_t)
    t_camp[t_owner.size - opens.size:] = ex.campaign_id
    ord_camp = _last_campaign(all_owner, all_t, t_owner, t_t, t_camp)
    ord_camp[is_extra] = ex.campaign_id

    # -- write --------------------------------------------------------------------------------------
    o_sort = np.lexsort((all_t, all_owner))
    k = o_sort.size
    order_no = np.arange(counters["order"] + 1, counters["order"] + k + 1)
    counters["order"] += k
    sinks["shop_orders"].write(_frame({
        "order_number": [f"SO-{i:08d}" for i in order_no],
        "crm_id": crm[all_owner[o_sort]],
        "order_ts": _ts(all_t[o_sort]),
        "amount_eur": all_val[o_sort],
        "campaign_code": ord_camp[o_sort],
        "ship_region": region[all_owner[o_sort]],
    }, schema_overrides={"crm_id": pl.String, "campaign_code": pl.String, "ship_region": pl.String}))
    day = (all_t - START_US) // US_PER_DAY
    r_idx = L["region_idx"][sl][all_owner]
    np.add.at(L["region_day"]["orders"], (r_idx, day), 1)
    np.add.at(L["region_day"]["revenue"], (r_idx, day), all_val)
    extra_sink.write(_frame({"order_number": [f"SO-{i:08d}" for i in order_no[is_extra[o_sort]]]},
                                  schema={"order_number": pl.String}))

    t_sort = np.lexsort((t_t, t_owner))
    kt = t_sort.size
    ev_no = np.arange(counters["touch"] + 1, counters["touch"] + kt + 1)
    counters["touch"] += kt
    tch = t_ch[t_sort]
    sinks["touchpoints"].write(_frame({
        "event_id": [f"EV-{i:09d}" for i in ev_no],
        "crm_id": crm[t_owner[t_sort]],
        "event_ts": _ts(t_t[t_sort]),
        "channel": tch,
        "campaign_code": t_camp[t_sort],
        "event_type": [C.TOUCH_TYPE[c] for c in tch],
    }, schema_overrides={"crm_id": pl.String, "channel": pl.String, "campaign_code": pl.String}))

    # first contact: the earliest of the first touch and the first order
    first_touch = np.full(m, np.iinfo(np.int64).max)
    np.minimum.at(first_touch, j_owner, j_t)
    first_seen = np.minimum(first_touch, np.where(conv, anchor, np.iinfo(np.int64).max))
    first_seen = np.where(first_seen == np.iinfo(np.int64).max, anchor, first_seen)
    fn = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), m)]
    ln = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), m)]
    dom = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), m)]
    countries = L["countries"]
    cc = [countries[i] for i in L["country_idx"][sl]]
    digits = rng.integers(10_000_000, 99_999_999, m)
    acq = np.where(conv, driver, None)
    sinks["crm_customers"].write(_frame({
        "crm_id": crm,
        "email": [f"{first.lower()}.{_ascii(last)}{i % 1000}@{d}" for first, last, i, d in zip(fn, ln, digits, dom)],
        "full_name": [f"{first} {last}" for first, last in zip(fn, ln)],
        "phone": [f"{PHONE_PREFIX.get(c or 'DE')} {str(x)[:3]} {str(x)[3:]}" for c, x in zip(cc, digits)],
        "signup_ts": _ts(first_seen),
        "country": cc,
        "acquisition_source": acq,
        "marketing_opt_in": np.where(consent, "Y", "N"),
        "region": region,
    }, schema_overrides={"crm_id": pl.String, "acquisition_source": pl.String, "country": pl.String}))

    a_idx = idx[assigned]
    sinks["experiment_assignments"].write(_frame({
        "experiment_code": [ex.experiment_id] * a_idx.size,
        "crm_id": crm[a_idx],
        "variant": variant[a_idx],
        "assigned_ts": _ts(e_start + rng.integers(0, 3_600_000_000, a_idx.size)),
    }, schema_overrides={"crm_id": pl.String, "variant": pl.String}))

    from cmokit.warehouse.pseudonym import DEV_KEY, pseudonymise

    n_orders = np.bincount(o_owner, minlength=m)
    truth_sink.write(_frame({
        "crm_id": crm,
        "customer_id": pseudonymise(crm.tolist(), DEV_KEY),
        "segment": segment,
        "orders": n_orders,
        "driver": np.where(conv, driver, None),
        "acquired_via_media": L["driver_is_media"][sl],
        "lambda_per_week": lam,
        "p_dropout": pdrop,
        "nu": nu,
        "mean_order_value": gg["p"] / nu,
        "variant": np.where(assigned, variant, None),
        "marketing_consent": consent,
        "region": region,
    }, schema_overrides={"crm_id": pl.String, "segment": pl.String, "driver": pl.String, "variant": pl.String}))


def _ascii(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _touch_campaigns(ch: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Campaign behind each touch: the channel's quarterly campaign, the month's newsletter, or none."""
    q = _quarter_key(t)
    mth = _month_key(t)
    out = np.full(ch.size, None, dtype=object)
    for c in CHANNEL_CODE:
        mask = ch == c
        out[mask] = [_quarter_campaign(c, int(x)) for x in q[mask]]
    mask = ch == "email"
    out[mask] = [_news_campaign(int(x)) for x in mth[mask]]
    return out


def _last_campaign(o_owner, o_t, t_owner, t_t, t_camp) -> np.ndarray:
    """The shop's last-click rule: the latest campaign touch in the 7 days before each order."""
    has = np.array([c is not None for c in t_camp], dtype=bool)
    to, tt, tc = t_owner[has], t_t[has], t_camp[has]
    s = np.lexsort((tt, to))
    to, tt, tc = to[s], tt[s], tc[s]
    # owner-major integer keys in whole seconds since the start (owners < 1e5 per chunk)
    key_t = to.astype(np.int64) * 10**9 + (tt - START_US) // 1_000_000
    key_o = o_owner.astype(np.int64) * 10**9 + (o_t - START_US) // 1_000_000
    pos = np.searchsorted(key_t, key_o, side="left") - 1  # last touch strictly before the order
    out = np.full(o_owner.size, None, dtype=object)
    ok = pos >= 0
    ok[ok] &= (to[pos[ok]] == o_owner[ok]) & (o_t[ok] - tt[pos[ok]] <= C.SHOP_ATTRIBUTION_DAYS * US_PER_DAY)
    out[ok] = tc[pos[ok]]
    return out


__all__ = ["generate", "geometric_adstock", "hill"]
