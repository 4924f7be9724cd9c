"""The one date rule, routine by routine: ``as_of=None`` is the latest order day, and an order
placed on the ``as_of`` day counts (the boundary is the end of that UTC day, inclusive).

Every public routine with a snapshot date is one :class:`AsOfCase` row in a table. Each row
says how to call the routine with ``(source, as_of)`` and a *probe*: a number read from the
result that the orders placed late on ``PROBE_DAY`` change. Three checks run per row:

* ``as_of=None`` gives exactly the result of ``as_of=LATEST_DAY`` (the latest order day);
* with ``as_of=PROBE_DAY`` the probe differs from the same call on the data without the
  orders of that day (so they count), and equals the expected value written in the row;
* an order 15 minutes after midnight on the next day does not count.

Other packages add their routines in a sibling file (``tests/test_as_of_rule_<pkg>.py``) with
``from tests.test_as_of_rule import AsOfCase, check_case`` and their own table.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

#: The latest order day of :func:`orders_frame` (what ``as_of=None`` must resolve to).
LATEST_DAY = "2025-04-15"
#: A day with orders late in the evening (22:30 and 23:00 UTC), the probe of the inclusive boundary.
PROBE_DAY = "2025-03-31"
#: Orders placed on PROBE_DAY; removing them must change every probe.
PROBE_ORDERS = ("o4", "o9")
#: An order 15 minutes into the day after PROBE_DAY; removing it must change nothing at PROBE_DAY.
NEXT_DAY_ORDER = "o7"


def orders_frame() -> pd.DataFrame:
    """Five customers; b repeats and e first buys on PROBE_DAY (late evening, UTC)."""
    rows = [
        ("o1", "a", "2025-01-10 10:00", 10.0),
        ("o2", "a", "2025-02-20 12:00", 20.0),
        ("o3", "b", "2025-01-15 09:00", 5.0),
        ("o4", "b", "2025-03-31 22:30", 7.0),   # probe: b's repeat order, late on PROBE_DAY
        ("o5", "c", "2025-02-01 08:00", 30.0),
        ("o6", "c", "2025-04-15 23:45", 40.0),  # the latest order day
        ("o7", "a", "2025-04-01 00:15", 15.0),  # just after PROBE_DAY ends
        ("o8", "d", "2025-03-01 14:00", 12.0),
        ("o9", "e", "2025-03-31 23:00", 9.0),   # probe: e's first order, late on PROBE_DAY
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue"])
    return frame.assign(ordered_at=pd.to_datetime(frame["ordered_at"]), campaign_id=None)


def customers_frame() -> pd.DataFrame:
    ids = list("abcde")
    return pd.DataFrame({"customer_id": ids, "first_seen_at": pd.to_datetime(["2025-01-01"] * 5),
                         "country": "DE", "acquisition_channel": "email",
                         "marketing_consent": [True, True, True, False, True]})


def source(kind: str, drop=()):
    """The test data as the case wants it: ``"orders"`` (one frame) or ``"frames"`` (dict)."""
    orders = orders_frame()
    orders = orders[~orders["order_id"].isin(drop)].reset_index(drop=True)
    if kind == "orders":
        return orders
    return {"orders": orders, "customers": customers_frame()}


@dataclass(frozen=True)
class AsOfCase:
    """One public routine under the date rule.

    ``call(source, as_of)`` runs the routine; ``probe(result)`` reads a number the orders on
    PROBE_DAY change; ``expected`` is the probe at ``as_of=PROBE_DAY`` on the full data;
    ``source`` is ``"orders"`` or ``"frames"`` (orders + customers).
    """

    name: str
    call: Callable[[Any, Any], Any]
    probe: Callable[[Any], float]
    expected: float
    source: str = "orders"


def _same(left, right) -> None:
    if isinstance(left, pd.Series):
        pd.testing.assert_series_equal(left, right)
    elif hasattr(left, "columns"):
        left = left.to_pandas() if hasattr(left, "to_pandas") and not isinstance(left, pd.DataFrame) else left
        right = right.to_pandas() if hasattr(right, "to_pandas") and not isinstance(right, pd.DataFrame) else right
        pd.testing.assert_frame_equal(left, right)
    elif isinstance(left, tuple):
        assert len(left) == len(right)
        for a, b in zip(left, right):
            _same(a, b)
    else:
        assert left == right


def check_case(case: AsOfCase) -> None:
    """The three checks of the module docstring for one case."""
    full = source(case.source)
    _same(case.call(full, None), case.call(source(case.source), LATEST_DAY))
    at_probe = case.probe(case.call(full, PROBE_DAY))
    without = case.probe(case.call(source(case.source, drop=PROBE_ORDERS), PROBE_DAY))
    assert at_probe == pytest.approx(case.expected), (case.name, at_probe)
    assert at_probe != pytest.approx(without), f"{case.name}: the orders on the as_of day did not count"
    after = case.probe(case.call(source(case.source, drop=(NEXT_DAY_ORDER,)), PROBE_DAY))
    assert at_probe == pytest.approx(after), f"{case.name}: an order on the day after as_of counted"


# --- helpers for routines that need more than a source ------------------------------------------

class _NoPurchases:
    """A stand-in transaction model for cumulative_transactions (expects nothing)."""

    time_unit = "days"

    def expected_purchases(self, age_days):
        return np.zeros_like(np.asarray(age_days, dtype=float))


def _fitted_churn_model():
    from cmokit.retention import ChurnModel
    from cmokit.retention.churn import FEATURES

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.gamma(2.0, 10.0, size=(60, len(FEATURES))), columns=list(FEATURES))
    X.insert(0, "customer_id", [f"x{i}" for i in range(60)])
    y = (X["recency_days"] > X["recency_days"].median()).astype(int)
    return ChurnModel().fit(X, y)


def _export(src, as_of):
    from cmokit.segments import export_targets

    path = Path(tempfile.mkdtemp()) / "targets.csv"
    result = export_targets(src, path, as_of=as_of)
    return result.exported, result.excluded_no_consent, pd.read_csv(path)


def _clv_values():
    return pd.DataFrame({"customer_id": list("abcde"), "clv": [1.0, 2.0, 3.0, 4.0, 5.0]})


def _segment_orders(table):
    return float((table["customers"] * table["mean_frequency"].fillna(0)).sum())


def _cases():
    from cmokit import clv, features, retention, segments

    return [
        AsOfCase("segments.rfm", lambda s, d: segments.rfm(s, d), lambda r: r["frequency"].sum(), 7),
        AsOfCase("segments.segment_summary", lambda s, d: segments.segment_summary(s, d), _segment_orders, 7),
        AsOfCase("segments.migration", lambda s, d: segments.migration(s, "2025-01-31", d),
                 lambda r: r["customers"].sum(), 5),
        AsOfCase("segments.cluster_features", lambda s, d: segments.cluster_features(s, d),
                 lambda r: r["frequency"].sum(), 7),
        AsOfCase("segments.export_targets", _export, lambda r: r[0] + r[1], 5, source="frames"),
        AsOfCase("retention.cohorts", lambda s, d: retention.cohorts(s, d), lambda r: r["orders"].sum(), 7),
        AsOfCase("retention.churn_features", lambda s, d: retention.churn_features(s, d),
                 lambda r: r["frequency"].sum(), 7),
        AsOfCase("retention.churn_labels", lambda s, d: retention.churn_labels(s, d, 30), len, 5),
        AsOfCase("retention.churn_training_set",
                 lambda s, d: retention.churn_training_set(s, d, window_days=30),
                 lambda r: float(r[1].sum()), 3),  # at Mar 1: a, b, c, d; only b returns (Mar 31)
        AsOfCase("retention.lifetimes", lambda s, d: retention.lifetimes(s, d, 30), len, 5),
        AsOfCase("retention.ChurnModel.predict", lambda s, d: _fitted_churn_model().predict(s, d), len, 5),
        AsOfCase("clv.purchase_summary", lambda s, d: clv.purchase_summary(s, d, time_unit="days"),
                 lambda r: r["frequency"].sum(), 2),
        AsOfCase("clv.calibration_holdout", lambda s, d: clv.calibration_holdout(s, "2025-02-28", d),
                 lambda r: r["frequency_holdout"].sum(), 1),  # b on Mar 31 (d, e start after Feb 28)
        AsOfCase("clv.cumulative_transactions",
                 lambda s, d: clv.cumulative_transactions(s, _NoPurchases(), "2025-02-28", d),
                 lambda r: float(r["actual"].iloc[-1]) if len(r) else 0.0, 2),  # a's Feb 20 repeat and b's Mar 31 repeat
        AsOfCase("clv.clv_by(segment)", lambda s, d: clv.clv_by(_clv_values(), s, "segment", as_of=d),
                 lambda r: r.loc[r["segment"] != "unknown", "customers"].sum(), 5),
        AsOfCase("features.customer_features", lambda s, d: features.customer_features(s, d),
                 lambda r: r["frequency"].sum(), 7),
        AsOfCase("features.guest_share", lambda s, d: features.guest_share(s, d), lambda r: r.orders, 7),
        AsOfCase("features.customer_features(customers=True)",
                 lambda s, d: features.customer_features(s, d, customers=True),
                 lambda r: r["frequency"].sum(), 7, source="frames"),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_date_rule(case):
    check_case(case)


def test_every_public_routine_with_a_snapshot_is_in_the_table():
    """A new public routine with an ``as_of`` (or ``to_date`` / ``holdout_end``) must join the table."""
    import inspect

    from cmokit import clv, features, retention, segments

    covered = {c.name.split("(")[0] for c in CASES}
    found = set()
    for module in (segments, retention, clv, features):
        for name in module.__all__:
            obj = getattr(module, name)
            params = inspect.signature(obj).parameters if callable(obj) and not inspect.isclass(obj) else {}
            if {"as_of", "to_date", "holdout_end"} & set(params):
                found.add(f"{module.__name__.split('.')[-1]}.{name}")
    # Ibis expressions (exercised through their routines) and pure date arithmetic are not routines;
    # clv.lifetime_values hands as_of straight to clv.purchase_summary (in the table) and fits models on it.
    found = {n for n in found if not n.endswith("_expr") and n not in ("clv.calibration_end", "clv.lifetime_values")}
    assert found <= covered, sorted(found - covered)
