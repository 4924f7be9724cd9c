"""KPI goals and status against them.

("Targets" in cmokit means target *lists* of customers; what a KPI should reach is its *goal*.
This module was ``cmokit.campaigns.targets`` with ``load_targets``; that name still works,
with a ``FutureWarning``.)

Goals are a small mapping ``kpi -> {scope: value}`` given as a dict or a YAML file. A scope is
a campaign_id, a channel, or ``default``; the most specific one applies (campaign, then
channel, then default)::

    roas: {default: 2.0, paid_search: 3.0}
    cac: {default: 40}

Status uses the KPI's direction (:data:`~cmokit.campaigns.kpis.KPI_DEFINITIONS`): a KPI on the
right side of its target is ``on_target``; within ``watch_band`` (relative) on the wrong side
it is ``watch``; further off it is ``off_target``; a missing value is ``no_data``.

>>> import pandas as pd
>>> from cmokit.campaigns import kpi_status
>>> kpis = pd.DataFrame({"channel": ["email", "display"], "roas": [4.0, 1.9]})
>>> kpi_status(kpis, {"roas": {"default": 2.0, "email": 3.0}})["status"].tolist()
['on_target', 'watch']
"""

from __future__ import annotations

import math

from cmokit.campaigns.kpis import KPI_DEFINITIONS
from cmokit.engine import renamed_args
from cmokit.errors import ConfigError


def load_goals(goals) -> dict[str, dict[str, float]]:
    """KPI goals from a dict or a YAML file path, validated against the KPI definitions."""
    if isinstance(goals, (str, bytes)) or hasattr(goals, "__fspath__"):
        import yaml

        with open(goals, encoding="utf-8") as fh:
            goals = yaml.safe_load(fh) or {}
    if not isinstance(goals, dict):
        raise ConfigError("goals must be a mapping kpi -> {scope: value} or a YAML file of one")
    out: dict[str, dict[str, float]] = {}
    for kpi, scopes in goals.items():
        if kpi not in KPI_DEFINITIONS:
            raise ConfigError(f"unknown KPI {kpi!r} in goals; known: {', '.join(KPI_DEFINITIONS)}")
        if not isinstance(scopes, dict):
            scopes = {"default": scopes}
        out[kpi] = {str(k): float(v) for k, v in scopes.items()}
    return out


def _target_for(scopes: dict[str, float], row) -> float | None:
    for key in ("campaign_id", "channel"):
        val = row.get(key)
        if val is not None and str(val) in scopes:
            return scopes[str(val)]
    return scopes.get("default")


def load_targets(targets) -> dict[str, dict[str, float]]:
    """Old name of :func:`load_goals` (``FutureWarning``)."""
    import warnings

    warnings.warn("cmokit.campaigns.load_targets is renamed load_goals (KPI goals; 'targets' are target lists)",
                  FutureWarning, stacklevel=2)
    return load_goals(targets)


@renamed_args(targets="goals")
def kpi_status(kpis, goals, *, watch_band: float = 0.1):
    """Long table of KPI vs goal: one row per group and KPI with a goal.

    ``goals`` is a mapping or YAML file (:func:`load_goals`). Columns: the group keys of
    ``kpis`` (campaign_id / channel / period when present), kpi, value, target (the goal),
    gap (value - target, positive = better), status. Returns the kind of ``kpis``.
    """
    import pandas as pd

    from cmokit._frames import like, to_pandas

    frame = to_pandas(kpis)
    targets = load_goals(goals)
    keys = [k for k in ("campaign_id", "channel", "period") if k in frame.columns]
    rows = []
    for rec in frame.to_dict("records"):
        for kpi, scopes in targets.items():
            if kpi not in frame.columns:
                continue
            target = _target_for(scopes, rec)
            if target is None:
                continue
            value = rec[kpi]
            sign = 1.0 if KPI_DEFINITIONS[kpi][1] == "higher" else -1.0
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            gap = None if missing else sign * (float(value) - target)
            if missing:
                status = "no_data"
            elif gap >= 0:
                status = "on_target"
            elif -gap <= watch_band * abs(target):
                status = "watch"
            else:
                status = "off_target"
            rows.append({**{k: rec[k] for k in keys}, "kpi": kpi, "value": None if missing else float(value),
                         "target": target, "gap": gap, "status": status})
    out = pd.DataFrame(rows, columns=[*keys, "kpi", "value", "target", "gap", "status"])
    return like(out, kpis)
