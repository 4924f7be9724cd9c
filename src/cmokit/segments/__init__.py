"""Customer segments: RFM scores and named segments, behavioural clusters,
segment migration and consent-safe target lists.

Light on import: scikit-learn loads only when a cluster model is fitted.
"""

from cmokit.segments.rfm import SEGMENT_RULES, SEGMENTS, rfm, segment_rules, segment_summary

__all__ = ["SEGMENTS", "SEGMENT_RULES", "BehaviourClusters", "cluster_features", "export_targets",
           "migration", "migration_matrix", "rfm", "segment_rules", "segment_summary"]

_LAZY = {
    "BehaviourClusters": "cmokit.segments.clusters",
    "cluster_features": "cmokit.segments.clusters",
    "migration": "cmokit.segments.migration",
    "migration_matrix": "cmokit.segments.migration",
    "export_targets": "cmokit.segments.targets",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        # bind the functions over the submodule attribute (``migration`` the function, not the module)
        globals().update({n: getattr(module, n) for n, m in _LAZY.items() if m == _LAZY[name]})
        return globals()[name]
    raise AttributeError(f"module 'cmokit.segments' has no attribute {name!r}")
