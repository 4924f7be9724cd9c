"""Rule-based (heuristic) attribution: fixed weights per position in a path.

Each converting path of length ``n`` gives its conversions (and value) to its
touches with weights ``w_1..w_n`` summing to one:

* **first touch**: ``w_1 = 1``.
* **last touch**: ``w_n = 1``.
* **last non-direct**: all weight on the last touch whose channel is not in
  ``direct_channels`` (default ``("direct",)``); a path of direct touches only
  keeps last touch.
* **linear**: ``w_i = 1/n``.
* **time decay**: ``w_i ∝ 2 ** (-(n - i) / half_life_touches)``: a touch
  ``half_life_touches`` steps before the conversion counts half as much as the
  last one. Paths carry order, not time, so the half-life is in touches;
  :func:`time_decay_by_days` decays on timestamps instead (``half_life_days``),
  in the engine from the touch-level journeys.
* **position based (U-shaped)**: ``first_weight`` to the first touch,
  ``last_weight`` to the last and the rest spread evenly over the middle
  (Google Analytics' 40/20/40 by default); two touches split
  ``first:last`` renormalised; one touch gets everything.

Reference: Google Analytics attribution model definitions (legacy "Model
Comparison Tool"); Shao & Li (2011), *Data-driven multi-touch attribution
models*, KDD, for the contrast with data-driven models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cmokit.engine import renamed_args
from cmokit.errors import ConfigError

RULES = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based")


def touch_weights(enc, rule: str, *, half_life_touches: float = 2.0, first_weight: float = 0.4,
                  last_weight: float = 0.4, direct_channels=("direct",)) -> np.ndarray:
    """Weight of every touch of an :class:`~cmokit.attribution.journeys.Encoded` under ``rule``.

    Weights of each path sum to one.
    """
    pos, n = enc.position, enc.path_length
    if rule == "first_touch":
        return (pos == 0).astype(float)
    if rule == "last_touch":
        return (pos == n - 1).astype(float)
    if rule == "linear":
        return 1.0 / n
    if rule == "time_decay":
        if half_life_touches <= 0:
            raise ConfigError("half_life_touches must be > 0")
        raw = np.exp2(-(n - 1 - pos) / float(half_life_touches))
        return raw / np.bincount(enc.path_index, raw, minlength=len(enc.length))[enc.path_index]
    if rule == "position_based":
        if first_weight < 0 or last_weight < 0 or first_weight + last_weight > 1:
            raise ConfigError("first_weight and last_weight must be >= 0 and sum to at most 1")
        w = np.where(pos == 0, first_weight, 0.0) + np.where(pos == n - 1, last_weight, 0.0)
        middle = (pos > 0) & (pos < n - 1)
        w = np.where(middle, (1.0 - first_weight - last_weight) / np.maximum(n - 2, 1), w)
        w = np.where(n == 1, 1.0, w)
        two = n == 2
        w = np.where(two & (pos == 0), first_weight / (first_weight + last_weight), w)
        return np.where(two & (pos == 1), last_weight / (first_weight + last_weight), w)
    if rule == "last_non_direct":
        direct = np.isin(np.asarray(enc.channels, dtype=object)[enc.codes], list(direct_channels))
        # the latest non-direct position per path (-1 when none)
        cand = np.where(direct, -1, pos)
        best = np.full(len(enc.length), -1)
        np.maximum.at(best, enc.path_index, cand)
        best = np.where(best < 0, enc.length - 1, best)
        return (pos == best[enc.path_index]).astype(float)
    raise ConfigError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")


def credit(enc, weights: np.ndarray, model: str) -> pd.DataFrame:
    """Sum per-touch ``weights`` times path conversions / value into a channel table."""
    k = len(enc.channels)
    conv = np.bincount(enc.codes, weights * enc.conversions[enc.path_index], minlength=k)
    value = np.bincount(enc.codes, weights * enc.value[enc.path_index], minlength=k)
    return channel_table(enc.channels, conv, value, model)


def channel_table(channels, conversions, value, model: str) -> pd.DataFrame:
    """The tidy result every attribution model returns: one row per channel."""
    conversions = np.asarray(conversions, dtype=float)
    value = np.asarray(value, dtype=float)
    total = conversions.sum()
    out = pd.DataFrame({
        "channel": list(channels),
        "model": model,
        "conversions": conversions,
        "conversion_value": value,
        "share": conversions / total if total > 0 else np.zeros_like(conversions),
    })
    return out.sort_values("channel", kind="stable").reset_index(drop=True)


def rule_attribution(journeys, rule: str = "last_touch", **settings) -> pd.DataFrame:
    """Credit conversions and value to channels under one rule.

    Parameters
    ----------
    journeys
        A paths table from :func:`~cmokit.attribution.build_journeys` or
        :func:`~cmokit.attribution.from_paths`.
    rule
        One of ``first_touch``, ``last_touch``, ``last_non_direct``, ``linear``,
        ``time_decay``, ``position_based``.
    **settings
        ``half_life_touches`` (time decay), ``first_weight`` / ``last_weight``
        (position based), ``direct_channels`` (last non-direct).

    Returns
    -------
    pandas.DataFrame
        ``channel``, ``model``, ``conversions``, ``conversion_value``, ``share``.

    Examples
    --------
    >>> paths = pd.DataFrame({"path": ["A > B > C", "B"], "conversions": [3, 1],
    ...     "conversion_value": [30.0, 5.0], "nulls": [0, 2]})
    >>> rule_attribution(paths, "linear")[["channel", "conversions"]]
      channel  conversions
    0       A          1.0
    1       B          2.0
    2       C          1.0
    """
    from cmokit.attribution.journeys import encode, same_kind

    enc = encode(journeys)
    return same_kind(journeys, credit(enc, touch_weights(enc, rule, **settings), rule))


@renamed_args(end="as_of")
def time_decay_by_days(source, half_life_days: float = 7.0, **journey_settings) -> pd.DataFrame:
    """Time-decay attribution on touch timestamps, computed in the engine.

    Each converting journey (built by the same rules as
    :func:`~cmokit.attribution.build_journeys`, whose keyword arguments
    ``journey_settings`` takes) gives its conversion to its touches with
    weights ``∝ 2 ** (-days_before_order / half_life_days)``, normalised per
    journey. Use it when calendar time, not touch order, should drive the decay.
    ``as_of`` (among ``journey_settings``) is the snapshot day, UTC, inclusive;
    ``None`` (default) is the latest order day. Returns the kind of the input frames.

    Examples
    --------
    >>> tp = pd.DataFrame({"touchpoint_id": ["t1", "t2"], "customer_id": ["c1", "c1"],
    ...     "touched_at": pd.to_datetime(["2025-01-01", "2025-01-08"]),
    ...     "channel": ["display", "email"], "campaign_id": [None] * 2, "touch_type": ["click"] * 2})
    >>> od = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
    ...     "ordered_at": pd.to_datetime(["2025-01-08"]), "revenue": [30.0], "campaign_id": [None]})
    >>> time_decay_by_days({"touchpoints": tp, "orders": od}, 7.0, as_of="2025-01-31")[["channel", "conversions"]]
       channel  conversions
    0  display     0.333333
    1    email     0.666667
    """
    from cmokit.attribution.journeys import journey_touches
    from cmokit.warehouse.connect import resolve

    if half_life_days <= 0:
        raise ConfigError("half_life_days must be > 0")
    res = resolve(source, "touchpoints")
    touches = journey_touches(res.warehouse, **journey_settings)[0]
    t = touches.filter(touches.converted == 1)
    days = (t.ends_at.epoch_seconds() - t.touched_at.epoch_seconds()).cast("float64") / 86400.0
    t = t.mutate(w=(days * (-np.log(2.0) / float(half_life_days))).exp())
    t = t.mutate(credit=t.w / t.w.sum().over(group_by=t.journey_id))
    agg = t.group_by("channel").aggregate(conversions=t.credit.sum(),
                                          conversion_value=(t.credit * t.revenue).sum()).order_by("channel")
    out = res.warehouse.execute(agg, output="pandas")
    return res.finish(channel_table(out["channel"], out["conversions"], out["conversion_value"], "time_decay_days"))


def all_rules(journeys, **settings) -> pd.DataFrame:
    """Every rule-based model stacked into one long table (encodes the paths once)."""
    from cmokit.attribution.journeys import encode, same_kind

    enc = encode(journeys)
    return same_kind(journeys, pd.concat([credit(enc, touch_weights(enc, r, **settings), r) for r in RULES],
                                         ignore_index=True))


__all__ = ["RULES", "touch_weights", "credit", "channel_table", "rule_attribution", "time_decay_by_days", "all_rules"]
