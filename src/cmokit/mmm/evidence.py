"""The evidence gate: which channels the data let the budget move, and how to test the rest.

A channel's **evidence level** (one of :data:`EVIDENCE_LEVELS`):

* ``calibrated`` -- a lift test measured the channel and the calibrated ROI interval lies on one
  side of break-even;
* ``identified`` -- its spend varied enough to be told from the baseline and its ROI interval lies
  on one side of break-even;
* ``held`` -- its effect is not identified (spend barely varied and no lift test) **or** its ROI
  interval straddles break-even (``roi_lower < break_even < roi_upper``). The optimiser keeps a
  held channel at its current spend: the data cannot say whether the next euro pays back, so no
  recommendation may move money on it (least of all cut it to zero while the interval includes
  profitable ROIs). It goes on the "test before moving money" list with a test design.

Test design (:func:`test_design`), for a national time-based test read against the model's
forecast: change the channel's weekly spend by ``delta`` for ``W`` weeks; the measured
incremental revenue has standard error ``sigma * sqrt(W)`` (``sigma`` = the model's residual
standard deviation per period, periods taken as independent), so the smallest ROI detectable
with power ``1 - beta`` at two-sided level ``alpha`` is::

    detectable_roi = (z_{1-alpha/2} + z_{1-beta}) * sigma / (|delta| * sqrt(W))

``delta`` is half the usual weekly spend (for a channel that was not identified that is far more
than its spend ever moved; the design states the historical weekly variation beside it). ``W`` is the fewest weeks (between ``min_weeks`` and ``max_weeks``) whose
detectable ROI is at most half the width of the channel's current ROI interval (the test must
narrow what the model knows), at the model's interval level (``alpha = 1 - interval``).

>>> import pandas as pd
>>> roi = pd.DataFrame({"channel": ["a", "b", "c"], "roi": [2.0, 1.2, 0.5],
...     "roi_lower": [1.5, 0.4, 0.2], "roi_upper": [2.6, 3.0, 0.8],
...     "identified": [True, True, False], "calibrated": [False, False, False]})
>>> evidence_levels(roi)["evidence"].tolist()
['identified', 'held', 'held']
"""

from __future__ import annotations

import numpy as np

#: Evidence levels, strongest first.
EVIDENCE_LEVELS: tuple[str, ...] = ("calibrated", "identified", "held")

#: ROI at which a channel's spend pays back (revenue per unit of spend).
BREAK_EVEN_ROI = 1.0


def straddles(lower, upper, break_even: float = BREAK_EVEN_ROI) -> np.ndarray:
    """Whether each interval ``[lower, upper]`` has break-even strictly inside it.

    >>> straddles([0.0, 1.0, 0.5], [6.5, 2.0, 0.9]).tolist()
    [True, False, False]
    """
    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    return (lower < break_even) & (upper > break_even)


def evidence_levels(roi, break_even: float = BREAK_EVEN_ROI):
    """Evidence level and the reason for it, per channel.

    ``roi``: a frame like :meth:`MediaMixModel.roi` (channel, roi, roi_lower, roi_upper,
    identified, and ``calibrated`` when lift tests were used). Returns channel, evidence,
    reason.
    """
    import pandas as pd

    table = roi.reset_index(drop=True)
    calibrated = table["calibrated"].to_numpy(bool) if "calibrated" in table else np.zeros(len(table), bool)
    identified = table["identified"].to_numpy(bool) | calibrated
    straddle = straddles(table["roi_lower"], table["roi_upper"], break_even)
    held = straddle | ~identified
    evidence = np.where(held, "held", np.where(calibrated, "calibrated", "identified"))
    reasons = []
    for i in range(len(table)):
        lo, hi = table.loc[i, "roi_lower"], table.loc[i, "roi_upper"]
        if not identified[i]:
            reasons.append("spend barely varied and no lift test: effect not identified")
        elif straddle[i]:
            reasons.append(f"ROI interval [{lo:.2f}, {hi:.2f}] straddles break-even {break_even:g}")
        elif calibrated[i]:
            reasons.append(f"calibrated by a lift test; ROI interval [{lo:.2f}, {hi:.2f}]")
        else:
            side = "above" if lo >= break_even else "below"
            reasons.append(f"ROI interval [{lo:.2f}, {hi:.2f}] lies {side} break-even {break_even:g}")
    return pd.DataFrame({"channel": table["channel"].to_numpy(), "evidence": evidence, "reason": reasons})


def detectable_roi(sigma: float, delta: float, weeks, interval: float = 0.9, power: float = 0.8):
    """Smallest ROI a ``weeks``-long test changing spend by ``delta`` per week detects.

    >>> round(float(detectable_roi(sigma=1000.0, delta=500.0, weeks=4, interval=0.9)), 3)
    2.487
    """
    from scipy.stats import norm

    z = norm.ppf(1 - (1 - interval) / 2) + norm.ppf(power)
    return z * float(sigma) / (abs(float(delta)) * np.sqrt(np.asarray(weeks, float)))


def test_design(roi, spend_history, residual_sd: float, *, interval: float = 0.9, power: float = 0.8,
                break_even: float = BREAK_EVEN_ROI, min_weeks: int = 4, max_weeks: int = 26,
                period_unit: str = "week"):
    """A concrete test per held channel (see the module docstring).

    ``roi``: :meth:`MediaMixModel.roi`; ``spend_history``: periods × channels spend in the
    order of ``roi``'s channels; ``residual_sd``: the model's residual standard deviation per
    period (revenue units). Returns one row per held channel: channel, reason, roi, roi_lower,
    roi_upper, direction, spend_change_per_period, spend_change_share, periods,
    detectable_roi, power, design.
    """
    import pandas as pd

    table = roi.reset_index(drop=True)
    levels = evidence_levels(table, break_even)
    spend = np.asarray(spend_history, float)
    rows = []
    for j in np.flatnonzero(levels["evidence"].to_numpy() == "held"):
        ch = table.loc[j, "channel"]
        mean, sd = spend[:, j].mean(), spend[:, j].std()
        delta = 0.5 * mean
        point, lo, hi = (float(table.loc[j, c]) for c in ("roi", "roi_lower", "roi_upper"))
        target = max((hi - lo) / 2, 1e-9)
        weeks = np.arange(min_weeks, max_weeks + 1)
        mde = detectable_roi(residual_sd, delta, weeks, interval, power)
        ok = np.flatnonzero(mde <= target)
        w = int(weeks[ok[0]]) if len(ok) else int(max_weeks)
        d = float(detectable_roi(residual_sd, delta, w, interval, power))
        direction = "raise" if point >= break_even else "cut"
        sign = 1.0 if direction == "raise" else -1.0
        rows.append({
            "channel": ch, "reason": levels.loc[j, "reason"], "roi": point, "roi_lower": lo, "roi_upper": hi,
            "direction": direction, "spend_change_per_period": sign * delta,
            "spend_change_share": sign * delta / mean if mean > 0 else np.nan,
            "periods": w, "detectable_roi": d, "power": power,
            "design": (f"{direction} {ch} spend by {delta:,.0f} per {period_unit} (half the usual; history varied by "
                       f"±{sd:,.0f}) for "
                       f"{w} {period_unit}s, read against the model's forecast: detects an ROI of {d:.2f} with "
                       f"{power:.0%} power (current interval [{lo:.2f}, {hi:.2f}])"
                       + ("" if len(ok) else f"; even {max_weeks} {period_unit}s do not halve the interval: "
                          "prefer a geo holdout")),
        })
    cols = ["channel", "reason", "roi", "roi_lower", "roi_upper", "direction", "spend_change_per_period",
            "spend_change_share", "periods", "detectable_roi", "power", "design"]
    return pd.DataFrame(rows, columns=cols)


test_design.__test__ = False  # a test *design*, not a pytest test

__all__ = ["BREAK_EVEN_ROI", "EVIDENCE_LEVELS", "detectable_roi", "evidence_levels", "straddles", "test_design"]
