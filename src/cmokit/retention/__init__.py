"""Retention: acquisition cohorts, churn propensity and survival curves.

Light on import: these modules load scikit-learn, lifelines, pandas and Ibis
only inside the functions that need them.
"""

from cmokit.retention.churn import ChurnModel, churn_features, churn_labels, churn_training_set
from cmokit.retention.cohorts import cohort_matrix, cohorts
from cmokit.retention.survival import kaplan_meier, lifetimes, median_lifetime

__all__ = ["ChurnModel", "churn_features", "churn_labels", "churn_training_set", "cohort_matrix", "cohorts",
           "kaplan_meier", "lifetimes", "median_lifetime"]
