"""cmokit.campaigns: campaign KPIs defined once, KPI goals and pacing, experiment read-outs
(fixed-horizon and peeking-safe), pilot power, uplift targeting and the best offer per customer.

Light on import: scipy and scikit-learn load inside the functions that need them.
"""

from cmokit.campaigns.experiments import (
    customer_outcomes,
    experiment_readout,
    experiment_stats,
    incremental_roi,
    readout_from_stats,
    sample_ratio_mismatch,
)
from cmokit.campaigns.goals import kpi_status, load_goals, load_targets
from cmokit.campaigns.kpis import (
    KPI_DEFINITIONS,
    budget_pacing,
    campaign_kpis,
    kpi_expr,
    revenue_kpi_expr,
    revenue_kpis,
)
from cmokit.campaigns.offers import BestOffer, offer_economics, offer_policy, offer_profit, offer_targets, policy_value
from cmokit.campaigns.power import (
    mde_means,
    mde_proportions,
    plan_pilot,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from cmokit.campaigns.sequential import (
    always_valid_interval,
    latest_look,
    mixture_variance,
    sequential_from_stats,
    sequential_readout,
)
from cmokit.campaigns.uplift import (
    ClassTransformation,
    TLearner,
    XLearner,
    auuc,
    cross_fit_predict,
    customer_features,
    qini_coefficient,
    qini_curve,
    targeting_list,
    targeting_value,
    uplift_by_decile,
    uplift_by_share,
    uplift_features,
    uplift_scores,
)

__all__ = [
    "BestOffer", "ClassTransformation", "KPI_DEFINITIONS", "TLearner", "XLearner", "always_valid_interval", "auuc",
    "budget_pacing", "campaign_kpis", "cross_fit_predict", "customer_features", "customer_outcomes",
    "experiment_readout", "experiment_stats", "incremental_roi", "kpi_expr", "kpi_status", "latest_look",
    "load_goals", "load_targets", "mde_means", "mde_proportions", "mixture_variance", "offer_economics", "offer_policy", "offer_profit", "offer_targets",
    "plan_pilot", "policy_value", "power_means", "power_proportions", "qini_coefficient", "qini_curve",
    "readout_from_stats", "revenue_kpi_expr", "revenue_kpis", "sample_ratio_mismatch", "sample_size_means", "sample_size_proportions",
    "sequential_from_stats", "sequential_readout", "targeting_list", "targeting_value", "uplift_by_decile",
    "uplift_by_share", "uplift_features", "uplift_scores",
]
