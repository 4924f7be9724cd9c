"""Customer lifetime value: purchase summaries, BG/NBD, Pareto/NBD, Gamma-Gamma, sBG, CLV.

Light on import: each name loads its module (and scipy) on first use.

>>> from cmokit import clv
>>> sorted(clv.__all__)[:3]
['BetaGeo', 'GammaGamma', 'ParetoNBD']
"""

from __future__ import annotations

import importlib

_NAMES = {
    "purchase_summary": "summary",
    "calibration_holdout": "summary",
    "summary_expr": "summary",
    "calibration_end": "summary",
    "BetaGeo": "bgnbd",
    "fit_bgnbd": "bgnbd",
    "ParetoNBD": "pareto_nbd",
    "fit_pareto_nbd": "pareto_nbd",
    "GammaGamma": "gamma_gamma",
    "fit_gamma_gamma": "gamma_gamma",
    "ShiftedBetaGeometric": "sbg",
    "fit_cohorts": "sbg",
    "customer_lifetime_value": "value",
    "score_customers": "value",
    "holdout_by_frequency": "value",
    "cumulative_transactions": "value",
    "alive_matrix": "value",
    "clv_by": "value",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(f"cmokit.clv.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cmokit.clv' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
