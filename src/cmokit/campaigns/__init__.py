"""cmokit.campaigns: campaign KPIs defined once, KPI goals and pacing, experiment read-outs,
pilot power and uplift targeting.

Submodules load on first use (scipy / scikit-learn stay unloaded until needed).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "KPI_DEFINITIONS": "kpis", "campaign_kpis": "kpis", "kpi_expr": "kpis", "budget_pacing": "kpis",
    "revenue_kpis": "kpis", "revenue_kpi_expr": "kpis",
    "load_goals": "goals", "kpi_status": "goals", "load_targets": "goals",
    "experiment_readout": "experiments", "experiment_stats": "experiments", "readout_from_stats": "experiments",
    "sample_ratio_mismatch": "experiments", "incremental_roi": "experiments", "customer_outcomes": "experiments",
    "sample_size_proportions": "power", "sample_size_means": "power", "power_proportions": "power",
    "power_means": "power", "mde_proportions": "power", "mde_means": "power", "plan_pilot": "power",
    "TLearner": "uplift", "XLearner": "uplift", "ClassTransformation": "uplift", "uplift_features": "uplift", "qini_curve": "uplift",
"qini_coefficient": "uplift", "auuc": "uplift", "uplift_scores": "uplift", "uplift_by_decile": "uplift",
    "targeting_list": "uplift", "targeting_value": "uplift", "cross_fit_predict": "uplift", "uplift_by_share": "uplift",
    "customer_features": "uplift",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"cmokit.campaigns.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cmokit.campaigns' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
