"""Retention: acquisition cohorts, churn propensity and survival curves.

Light on import: scikit-learn and lifelines load only when a model is fitted.
"""

from cmokit.retention.cohorts import cohort_matrix, cohorts

__all__ = ["ChurnModel", "churn_features", "churn_labels", "cohort_matrix", "cohorts",
           "kaplan_meier", "lifetimes"]

_LAZY = {
    "ChurnModel": "cmokit.retention.churn",
    "churn_features": "cmokit.retention.churn",
    "churn_labels": "cmokit.retention.churn",
    "kaplan_meier": "cmokit.retention.survival",
    "lifetimes": "cmokit.retention.survival",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        # bind the functions over the submodule attribute (``migration`` the function, not the module)
        globals().update({n: getattr(module, n) for n, m in _LAZY.items() if m == _LAZY[name]})
        return globals()[name]
    raise AttributeError(f"module 'cmokit.retention' has no attribute {name!r}")
