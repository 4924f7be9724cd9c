"""Multi-touch attribution: journeys, rule-based models, exact Markov and Shapley.

>>> import pandas as pd
>>> from cmokit import attribution
>>> paths = attribution.from_paths(pd.DataFrame({"path": ["display > email", "email"],
...     "total_conversions": [1, 1], "total_conversion_value": [10.0, 20.0],
...     "total_null": [1, 3]}))
>>> attribution.compare(paths, models=["linear", "markov_1", "shapley"])["model"].unique().tolist()
['linear', 'markov_1', 'shapley']

scipy loads only when a Markov model is fitted; plots live in
:mod:`cmokit.plots.attribution`.
"""

from cmokit.attribution.compare import DEFAULT_MODELS, MODELS, compare, reach, run_model, spend_by_channel, wide
from cmokit.attribution.journeys import build_journeys, from_paths, journey_touches, parse_window
from cmokit.attribution.markov import MarkovAttribution, markov_attribution
from cmokit.attribution.rules import RULES, all_rules, rule_attribution, time_decay_by_days
from cmokit.attribution.shapley import ShapleyAttribution, shapley_attribution

__all__ = [
    "build_journeys", "journey_touches", "from_paths", "parse_window", "RULES", "rule_attribution", "time_decay_by_days", "all_rules",
    "MarkovAttribution", "markov_attribution", "ShapleyAttribution", "shapley_attribution",
    "MODELS", "DEFAULT_MODELS", "compare", "wide", "reach", "run_model", "spend_by_channel",
]
