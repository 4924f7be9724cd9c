"""Customer lifetime value: purchase summaries, BG/NBD, Pareto/NBD, Gamma-Gamma, sBG, CLV.

Light on import: scipy loads inside the functions that fit or score a model.

>>> from cmokit import clv
>>> sorted(clv.__all__)[:3]
['BetaGeo', 'GammaGamma', 'ParetoNBD']
"""

from cmokit.clv.bgnbd import BetaGeo, fit_bgnbd
from cmokit.clv.gamma_gamma import GammaGamma, fit_gamma_gamma
from cmokit.clv.pareto_nbd import ParetoNBD, dropout_check, fit_pareto_nbd
from cmokit.clv.sbg import ShiftedBetaGeometric, fit_cohorts
from cmokit.clv.summary import (
    calibration_end,
    calibration_holdout,
    purchase_summary,
    spend_left_out,
    spend_model_input,
    summary_expr,
)
from cmokit.clv.value import (
    alive_matrix,
    clv_by,
    cumulative_transactions,
    customer_lifetime_value,
    holdout_by_frequency,
    lifetime_values,
    score_customers,
)

__all__ = [
    "BetaGeo", "GammaGamma", "ParetoNBD", "ShiftedBetaGeometric", "alive_matrix", "calibration_end",
    "calibration_holdout", "clv_by", "cumulative_transactions", "customer_lifetime_value", "dropout_check", "fit_bgnbd",
    "fit_cohorts", "fit_gamma_gamma", "fit_pareto_nbd", "holdout_by_frequency", "lifetime_values", "purchase_summary",
    "score_customers", "spend_left_out", "spend_model_input", "summary_expr",
]
