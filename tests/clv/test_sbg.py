"""sBG against Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing 21(1)."""

from __future__ import annotations

import pandas as pd
import pytest

from cmokit.clv import ShiftedBetaGeometric, fit_cohorts
from cmokit.errors import ConfigError

# Active customers at the start of years 0..7 for the paper's two cohorts of 1,000
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize("counts, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
                         ids=["regular", "high_end"])
def test_parameters_match_fader_hardie_2007(counts, alpha, beta):
    model = ShiftedBetaGeometric().fit(counts)
    assert round(model.params_["alpha"], 3) == alpha
    assert round(model.params_["beta"], 3) == beta


def test_projection_tracks_the_papers_later_years():
    # years 8-12 were held out in the paper: regular 223, 207, 194, 183, 173 survivors
    model = ShiftedBetaGeometric().fit(REGULAR)
    projected = model.predict(12)["survival"].iloc[8:].to_numpy() * 1000
    actual = [223, 207, 194, 183, 173]
    assert max(abs(p - a) / a for p, a in zip(projected, actual)) < 0.05


def test_fit_cohorts_returns_one_tidy_row_per_parameter():
    frame = pd.DataFrame({"cohort": ["regular"] * 8 + ["high_end"] * 8, "period": list(range(8)) * 2,
                          "customers": REGULAR + HIGH_END})
    table = fit_cohorts(frame)
    assert table.columns.tolist() == ["cohort", "parameter", "estimate", "std_error", "lower", "upper", "log_likelihood"]
    assert table.set_index(["cohort", "parameter"]).loc[("regular", "beta"), "estimate"] == pytest.approx(1.182, abs=5e-4)


def test_increasing_counts_are_refused():
    with pytest.raises(ConfigError):
        ShiftedBetaGeometric().fit([100, 120, 90])


@pytest.mark.parametrize("name, settings", [
    ("BetaGeo", dict(time_unit="days", penalizer=0.01, start=(0.5, 5.0, 0.5, 2.0))),
    ("ParetoNBD", dict(time_unit="days", penalizer=0.0, start=None)),
    ("GammaGamma", dict(penalizer=0.1, start=None)),
    ("ShiftedBetaGeometric", dict(start=(1.0, 1.0))),
])
def test_clone_gives_an_unfitted_copy_with_the_same_settings(name, settings):
    from sklearn.base import clone

    import cmokit.clv

    model = getattr(cmokit.clv, name)(**settings)
    model.params_ = {"a": 1.0}  # as fit() leaves it
    copy = clone(model)
    assert model.get_params() == settings and copy.get_params() == settings
    assert type(copy) is type(model) and not hasattr(copy, "params_")
