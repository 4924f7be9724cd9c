"""Lift-test calibration of the marketing-mix model (Robyn's ``calibration_input``; pymc-marketing's
lift-test likelihood), written once.

A lift test measures a channel's incremental ROI ``r`` with standard error ``se``. The model's
ROI for the same spend is linear in the channel's effect ``beta``: ``ROI(beta) = k * beta`` with a
*sensitivity* ``k`` that depends on the transform settings (:func:`sensitivity`). Each test adds
the pseudo-observation ``w * (k * beta - r)`` to the least squares, with weight
``w = sigma / se`` (``sigma`` = the residual scale, so a test counts against the data by its
precision); ``se = 0`` makes it a (numerically) hard constraint (``w = HARD_WEIGHT``). The same
rows give the search objective's calibration misfit (:func:`misfit`).

What ``k`` compares with the measurement:

* a test without a window: the channel's ROI over the whole fitted period;
* a geo holdout (``method="geo_holdout"``, spend withheld): the ROI of the spend in the test
  window, read as the revenue lost when the window's spend goes to zero (carry-over included),
  over that spend -- with a response proportional across geos, a holdout of any share measures
  exactly this;
* any other test with a window: the revenue change from scaling the window's spend by
  ``1 + spend_change / window spend``, over ``spend_change``.

Lift tests are data: the warehouse's ``lift_tests`` table (see the contract) is read by
:func:`lift_tests`, and :func:`cmokit.mmm.media_panel` attaches the ones matching its KPI and
window to the panel, where :class:`~cmokit.mmm.MediaMixModel` picks them up.

>>> import pandas as pd
>>> table = pd.DataFrame({"test_id": ["t1"], "channel": ["paid_search"],
...     "starts_on": [pd.Timestamp("2025-09-01")], "ends_on": [pd.Timestamp("2025-10-26")],
...     "kpi": ["first_order_revenue"], "spend_change": [-200.0], "incremental_revenue": [-500.0],
...     "incremental_revenue_lower": [-664.5], "incremental_revenue_upper": [-335.5],
...     "interval_level": [0.9], "method": ["geo_holdout"]})
>>> [(t.channel, t.incremental_roi, round(t.std_error, 3)) for t in from_table(table)]
[('paid_search', 2.5, 0.5)]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from cmokit.errors import ConfigError

#: Weight of a lift test with ``std_error = 0`` (a hard constraint in all but name).
HARD_WEIGHT = 1e4


@dataclass(frozen=True)
class LiftTest:
    """A lift test's measured incremental ROI for one channel (revenue per unit of spend).

    ``std_error = 0`` makes the calibration a hard constraint. Without ``starts_on`` /
    ``ends_on`` the ROI is compared with the channel's ROI over the whole fitted period; with
    them, with the ROI of the spend change in that window (see the module docstring).
    """

    channel: str
    incremental_roi: float
    std_error: float = 0.0
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    method: str | None = None
    spend_change: float | None = None
    test_id: str | None = None


def from_table(table, kpi: str | None = None, start=None, end=None) -> list[LiftTest]:
    """Lift tests from rows shaped like the contract's ``lift_tests`` table.

    Keeps tests measured on ``kpi`` (all when ``None``) whose window lies inside
    ``[start, end]`` (when given). ROI = incremental revenue / spend change; its standard error
    = interval width / (2 z) / |spend change| at the row's interval level.
    """
    import pandas as pd
    from scipy.stats import norm

    from cmokit._frames import to_pandas

    t = to_pandas(table)
    out = []
    for row in t.itertuples(index=False):
        if kpi is not None and row.kpi != kpi:
            continue
        starts, ends = pd.Timestamp(row.starts_on), pd.Timestamp(row.ends_on)
        if (start is not None and starts < pd.Timestamp(start)) or (end is not None and ends > pd.Timestamp(end)):
            continue
        change = float(row.spend_change)
        z = float(norm.ppf(1 - (1 - float(row.interval_level)) / 2))
        width = float(row.incremental_revenue_upper) - float(row.incremental_revenue_lower)
        out.append(LiftTest(row.channel, float(row.incremental_revenue) / change, width / (2 * z) / abs(change),
                            starts.date(), ends.date(), row.method, change, row.test_id))
    return out


def lift_tests(source, kpi: str | None = "first_order_revenue", start=None, end=None) -> list[LiftTest]:
    """The lift tests of a warehouse (or a frame / dict of frames holding ``lift_tests``).

    An empty list when the source has no ``lift_tests`` table.
    """
    from cmokit.warehouse.connect import resolve

    res = resolve(source, "lift_tests")
    if not res.warehouse.has_table("lift_tests"):
        return []
    frame = res.warehouse.execute(res.table("lift_tests"), output="pandas")
    return from_table(frame, kpi, start, end)


def lift_test_table(lifts):
    """Lift tests as a tidy frame (one row per test: the :class:`LiftTest` fields).

    >>> lift_test_table([LiftTest("video", 1.5, 0.2)])[["channel", "incremental_roi", "std_error"]]
      channel  incremental_roi  std_error
    0   video              1.5        0.2
    """
    import dataclasses

    import pandas as pd

    columns = [f.name for f in dataclasses.fields(LiftTest)]
    return pd.DataFrame([dataclasses.asdict(t) for t in lifts], columns=columns)


def weights(lifts, sigma: float) -> np.ndarray:
    """Weight of each test's pseudo-observation: ``sigma / se`` (``HARD_WEIGHT`` when se = 0)."""
    se = np.array([lift.std_error for lift in lifts], float)
    return np.where(se > 0, sigma / np.where(se > 0, se, 1.0), HARD_WEIGHT)


def window_mask(lift: LiftTest, periods) -> np.ndarray | None:
    """Periods (by their start) inside the test's window, or ``None`` for a whole-period test."""
    import pandas as pd

    if lift.starts_on is None or lift.ends_on is None:
        return None
    p = pd.DatetimeIndex(periods)
    mask = np.asarray((p >= pd.Timestamp(lift.starts_on)) & (p <= pd.Timestamp(lift.ends_on)))
    if not mask.any():
        raise ConfigError(f"lift test {lift.test_id or lift.channel!r} ({lift.starts_on} to {lift.ends_on}) lies "
                          "outside the panel's periods; drop it or widen the panel")
    return mask


def counterfactual(lift: LiftTest, spend_j: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """The channel's spend without the test's effect and the spend change it stands for.

    Returns ``(spend, change)`` such that ``ROI = (response(spend_j) - response(spend)) /
    change`` for a holdout, or ``(response(spend) - response(spend_j)) / change`` otherwise
    (see :func:`sensitivity`).
    """
    window_spend = float(spend_j[mask].sum())
    if window_spend <= 0:
        raise ConfigError(f"lift test {lift.test_id or lift.channel!r}: the channel did not spend in the test window")
    out = spend_j.astype(float).copy()
    if lift.method == "geo_holdout" or lift.spend_change is None:
        out[mask] = 0.0
        return out, window_spend
    out[mask] *= 1.0 + lift.spend_change / window_spend
    return out, float(lift.spend_change)


def sensitivity(lift: LiftTest, feature_j: np.ndarray, spend_total_j: float, y_scale: float,
                counterfactual_feature=None, change: float | None = None, holdout: bool = True) -> float:
    """``k`` with ``ROI(beta) = k * beta`` for the lift's comparison (module docstring).

    ``feature_j``: the channel's transformed media column at actual spend; for a windowed
    test, ``counterfactual_feature`` is it at the counterfactual spend and ``change`` the spend
    change (:func:`counterfactual`).
    """
    if counterfactual_feature is None:
        return float(feature_j.sum()) * y_scale / spend_total_j
    diff = feature_j - counterfactual_feature if holdout else counterfactual_feature - feature_j
    return float(diff.sum()) * y_scale / change


def rows(k: np.ndarray, index: np.ndarray, targets: np.ndarray, w: np.ndarray, n_columns: int, offset: int):
    """Least-squares rows ``w * (k * beta_j - r)``: (matrix, right-hand side)."""
    a = np.zeros((len(k), n_columns))
    a[np.arange(len(k)), offset + np.asarray(index)] = w * k
    return a, w * np.asarray(targets, float)


def misfit(media_coef: np.ndarray, k: np.ndarray, index: np.ndarray, targets: np.ndarray, w: np.ndarray) -> float:
    """Sum of squared weighted calibration residuals (0 without tests)."""
    if len(k) == 0:
        return 0.0
    r = w * (k * np.asarray(media_coef)[np.asarray(index)] - np.asarray(targets, float))
    return float(r @ r)


__all__ = ["HARD_WEIGHT", "LiftTest", "lift_test_table", "counterfactual", "from_table", "lift_tests", "misfit", "rows",
           "sensitivity", "weights", "window_mask"]
