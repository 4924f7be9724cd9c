"""cmokit.mmm: marketing-mix model and budget optimiser.

``media_panel`` builds revenue and spend per channel per week in the engine;
``MediaMixModel`` fits baseline + adstocked, saturated media with non-negative effects;
``optimize_budget`` reallocates a budget under per-channel bounds keyed by name;
``forward_plan`` predicts revenue for a spend schedule. scipy loads inside the
functions that fit or optimise.

>>> import cmokit
>>> sorted(cmokit.mmm.__all__)[:3]
['BudgetPlan', 'GeometricAdstock', 'HillSaturation']
"""

from cmokit.mmm.budget import BudgetPlan, current_allocation, forward_plan, optimize_budget, plan_schedule
from cmokit.mmm.calibration import LiftTest, lift_test_table, lift_tests
from cmokit.mmm.evidence import evidence_levels, test_design
from cmokit.mmm.model import MediaMixModel, fit_media_mix
from cmokit.mmm.panel import media_panel
from cmokit.mmm.transforms import (
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    WeibullAdstock,
    geometric_adstock,
    hill,
    logistic_saturation,
    weibull_adstock,
)

__all__ = [
    "BudgetPlan", "GeometricAdstock", "HillSaturation", "LiftTest", "LogisticSaturation", "MediaMixModel",
    "WeibullAdstock", "current_allocation", "evidence_levels", "fit_media_mix", "forward_plan",
    "geometric_adstock", "hill", "lift_test_table", "lift_tests", "logistic_saturation", "media_panel",
    "optimize_budget", "plan_schedule", "test_design", "weibull_adstock",
]
