"""cmokit.mmm: marketing-mix model and budget optimiser.

``media_panel`` builds revenue and spend per channel per week in the engine;
``MediaMixModel`` fits baseline + adstocked, saturated media with non-negative effects;
``optimize_budget`` reallocates a budget under per-channel bounds keyed by name;
``forward_plan`` predicts revenue for a spend schedule. Submodules load on first use.

>>> import cmokit
>>> sorted(cmokit.mmm.__all__)[:3]
['BudgetPlan', 'GeometricAdstock', 'HillSaturation']
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "media_panel": "panel",
    "MediaMixModel": "model", "LiftTest": "calibration", "lift_tests": "calibration",
    "lift_test_table": "calibration", "fit_media_mix": "model",
    "evidence_levels": "evidence", "test_design": "evidence",
    "optimize_budget": "budget", "forward_plan": "budget", "BudgetPlan": "budget",
    "current_allocation": "budget", "plan_schedule": "budget",
    "geometric_adstock": "transforms", "weibull_adstock": "transforms", "hill": "transforms",
    "logistic_saturation": "transforms", "GeometricAdstock": "transforms",
    "WeibullAdstock": "transforms", "HillSaturation": "transforms", "LogisticSaturation": "transforms",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"cmokit.mmm.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cmokit.mmm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
