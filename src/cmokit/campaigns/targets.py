"""KPI targets and status against them.

Targets are a small mapping ``kpi -> {scope: value}`` given as a dict or a YAML file. A scope is
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
from cmokit.errors import ConfigError


def load_targets(targets) -> dict[str, dict[str, float]]:
    """Targets from a dict or a YAML file path, validated against the KPI definitions."""
    if isinstance(targets, (str, bytes)) or hasattr(targets, "__fspath__"):
        import yaml

        with open(targets, encoding="utf-8") as fh:
            targets = yaml.safe_load(fh) or {}
    if not isinstance(targets, dict):
        raise ConfigError("targets must be a mapping kpi -> {scope: value} or a YAML file of one")
    out: dict[str, dict[str, float]] = {}
    for kpi, scopes in targets.items():
        if kpi not in KPI_DEFINITIONS:
            raise ConfigError(f"unknown KPI {kpi!r} in targets; known: {', '.join(KPI_DEFINITIONS)}")
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


def kpi_status(kpis, targets, *, watch_band: float = 0.1):
    """Long table of KPI vs target: one row per group and targeted KPI.

    Columns: the group keys of ``kpis`` (campaign_id / channel / period when present), kpi,
    value, target, gap (value - target, positive = better), status.
    """
    import pandas as pd

    kind_polars = type(kpis).__module__.startswith("polars")
    frame = kpis.to_pandas() if kind_polars else kpis
    targets = load_targets(targets)
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
    if kind_polars:
        import polars as pl

        return pl.from_pandas(out)
    return out
