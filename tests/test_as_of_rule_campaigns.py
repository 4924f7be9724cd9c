"""The one date rule in campaigns and attribution: ``as_of=None`` is the latest order day,
and an order (or touch) on the ``as_of`` day counts (the day is inclusive, UTC).

The world below has its latest order, ``o6``, at 23:30 on LAST (2025-03-10), together with a
touch and a day of spend on LAST; each routine is called with ``as_of=None``, ``as_of=LAST``
and ``as_of=DAY_BEFORE``: the first two agree, and the difference between the last two is
exactly what happened on LAST.
"""

from __future__ import annotations

import inspect
import re
import warnings

import pandas as pd
import pytest

import cmokit
from cmokit import attribution, campaigns
from cmokit.campaigns.power import baseline_metrics
from cmokit.campaigns.uplift import FEATURES
from tests.campaign_world import DAY_BEFORE, LAST, O6_REVENUE, SPEND_ON_LAST, world


@pytest.fixture(scope="module")
def wh():
    w = cmokit.connect(world())
    yield w
    w.close()


def _same(a, b):
    a = a if isinstance(a, pd.DataFrame) else a.to_pandas()
    b = b if isinstance(b, pd.DataFrame) else b.to_pandas()
    pd.testing.assert_frame_equal(a.drop(columns=["as_of"], errors="ignore").reset_index(drop=True),
                                  b.drop(columns=["as_of"], errors="ignore").reset_index(drop=True))


def _total(frame, column):
    return float(frame[column].sum())


# Per public routine: (call with as_of, what "LAST counted" means: value(LAST) - value(DAY_BEFORE)).
ROUTINES = {
    "campaign_kpis": (lambda w, a: campaigns.campaign_kpis(w, as_of=a),
                      lambda f: _total(f, "attributed_revenue"), O6_REVENUE),
    "kpi_expr": (lambda w, a: w.execute(campaigns.kpi_expr(w, as_of=a)),
                 lambda f: _total(f, "attributed_revenue"), O6_REVENUE),
    "revenue_kpis": (lambda w, a: campaigns.revenue_kpis(w, as_of=a),
                     lambda f: _total(f, "gross_revenue"), O6_REVENUE),
    "budget_pacing": (lambda w, a: campaigns.budget_pacing(w, a), lambda f: _total(f, "spend_to_date"), SPEND_ON_LAST),
    "baseline_metrics": (lambda w, a: baseline_metrics(w, as_of=a, window_days=30),
                         lambda f: float(f["revenue_mean"].iloc[0] * f["customers"].iloc[0]), O6_REVENUE),
    "plan_pilot": (lambda w, a: campaigns.plan_pilot(w, as_of=a, window_days=30, relative_mdes=(0.5,)),
                   lambda f: float(f.loc[f.metric == "revenue_per_customer", "baseline"].iloc[0] * 6), O6_REVENUE),
    "customer_features": (lambda w, a: campaigns.customer_features(w, a),
                          lambda f: float(f.loc[f.customer_id == "k1", "frequency"].iloc[0]), 1.0),
    "customer_outcomes": (lambda w, a: campaigns.customer_outcomes(w, "e1", as_of=a),
                          lambda f: _total(f, "revenue"), O6_REVENUE),
    "experiment_stats": (lambda w, a: campaigns.experiment_stats(w, "e1", as_of=a),
                         lambda f: _total(f, "sum_revenue"), O6_REVENUE),
    "experiment_readout": (lambda w, a: campaigns.experiment_readout(w, "e1", as_of=a, cuped=False),
                           lambda f: float(f.loc[f.metric == "revenue_per_customer", "variant_value"].iloc[0] * 3),
                           O6_REVENUE),
    "incremental_roi": (lambda w, a: campaigns.incremental_roi(w, as_of=a, cuped=False),
                        lambda f: float(f["spend"].sum()), SPEND_ON_LAST),
    "uplift_features": (lambda w, a: campaigns.uplift_features(w, "e1", as_of=a),
                        lambda f: _total(f, "revenue"), O6_REVENUE),
    "build_journeys": (lambda w, a: attribution.build_journeys(w, as_of=a),
                       lambda f: _total(f, "conversion_value"), O6_REVENUE),
    "time_decay_by_days": (lambda w, a: attribution.time_decay_by_days(w, as_of=a),
                           lambda f: _total(f, "conversion_value"), O6_REVENUE),
    "spend_by_channel": (lambda w, a: attribution.spend_by_channel(w, as_of=a),
                         lambda f: _total(f, "spend"), SPEND_ON_LAST),
    "compare": (lambda w, a: attribution.compare(attribution.build_journeys(w, as_of=LAST), w, as_of=a,
                                                 models=["last_touch"]),
                lambda f: _total(f, "spend"), SPEND_ON_LAST),
}


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_as_of_none_is_the_latest_order_day(wh, name):
    call, _, _ = ROUTINES[name]
    _same(call(wh, None), call(wh, LAST))


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_what_happens_on_the_as_of_day_counts(wh, name):
    call, value, expected = ROUTINES[name]
    assert value(call(wh, LAST)) - value(call(wh, DAY_BEFORE)) == pytest.approx(expected)


def test_features_count_the_as_of_day_like_rfm(wh):
    """k1's second order is at 23:30 on LAST: as of LAST it is their latest order (recency 0)."""
    f = campaigns.customer_features(wh, LAST).set_index("customer_id")
    assert f.loc["k1", "recency_days"] == 0.0 and f.loc["k1", "frequency"] == 2.0
    rfm = cmokit.segments.rfm(wh, as_of=LAST).set_index("customer_id")
    assert rfm.loc["k1", "frequency"] == f.loc["k1", "frequency"]
    assert rfm.loc["k1", "recency_days"] == f.loc["k1", "recency_days"]


def test_uplift_training_features_stop_the_day_before_the_experiment(wh):
    """Features of the experiment's customers are as of 2025-02-28: k4's order on 03-05 (inside the
    window) is an outcome, never a feature."""
    f = campaigns.uplift_features(wh, "e1").set_index("customer_id")
    before = campaigns.customer_features(wh, "2025-02-28").set_index("customer_id")
    assert f.loc["k4", "frequency"] == 0.0 and f.loc["k4", "orders"] == 1.0
    pd.testing.assert_series_equal(f.loc["k1", list(FEATURES)].astype(float),
                                   before.loc["k1", list(FEATURES)].astype(float))


@pytest.mark.parametrize("call", [
    lambda w: attribution.build_journeys(w, end=LAST),
    lambda w: attribution.spend_by_channel(w, end=LAST),
    lambda w: attribution.time_decay_by_days(w, end=LAST),
    lambda w: attribution.compare(attribution.build_journeys(w, as_of=LAST), w, end=LAST, models=["linear"]),
], ids=["build_journeys", "spend_by_channel", "time_decay_by_days", "compare"])
def test_old_end_keyword_still_works_with_a_future_warning(wh, call):
    with pytest.warns(FutureWarning, match="as_of"):
        call(wh)


def test_dates_are_iso_only(wh):
    with pytest.raises(cmokit.errors.ConfigError, match="ISO"):
        campaigns.campaign_kpis(wh, as_of="03/10/2025")
    with pytest.raises(cmokit.errors.ConfigError, match="ISO"):
        attribution.build_journeys(wh, as_of="10.03.2025")


def _public_routines():
    for package in (campaigns, attribution):
        for name in package.__all__:
            obj = getattr(package, name)
            if callable(obj) and not isinstance(obj, type):
                yield f"{package.__name__}.{name}", obj


def test_no_public_routine_defaults_a_date_or_names_its_snapshot_otherwise():
    day = re.compile(r"^\d{4}-\d{2}-\d{2}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        routines = list(_public_routines())
    assert len(routines) > 30
    for name, func in routines:
        for p in inspect.signature(func).parameters.values():
            assert not (isinstance(p.default, str) and day.match(p.default)), (name, p.name, p.default)
            assert p.name not in ("cutoff", "snapshot"), (name, p.name)
            if p.name == "as_of":
                assert p.default is None, (name, p.default)
