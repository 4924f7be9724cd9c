"""Customer segments: RFM scores and named segments, behavioural clusters,
segment migration and consent-safe target lists.

Light on import: these modules load scikit-learn, pandas and Ibis only inside
the functions that need them.
"""

from cmokit.segments.clusters import BehaviourClusters, cluster_features
from cmokit.segments.migration import migration, migration_matrix
from cmokit.segments.rfm import SEGMENT_RULES, SEGMENTS, rfm, segment_rules, segment_summary
from cmokit.segments.targets import export_targets

__all__ = ["SEGMENTS", "SEGMENT_RULES", "BehaviourClusters", "cluster_features", "export_targets",
           "migration", "migration_matrix", "rfm", "segment_rules", "segment_summary"]
