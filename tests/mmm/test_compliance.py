"""MediaMixModel as an estimator (issue 12.5) and the MMM's conventions (issue 12.3, 12.4)."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmokit.errors import ContractError, NotFittedError
from cmokit.mmm.calibration import LiftTest
from cmokit.mmm.model import MediaMixModel

SMALL = dict(n_bootstrap=8, maxiter=6, popsize=6, cv_folds=2)


@pytest.fixture(scope="module")
def panel(simulate):
    return simulate(n_weeks=70, seed=3)[0]


def _model(planted_channels, **kw):
    return MediaMixModel(channels=planted_channels, **{**SMALL, **kw})


def test_fit_returns_self_and_clone_gives_an_unfitted_copy(panel, planted_channels):
    from sklearn.base import clone

    model = _model(planted_channels, calibration=[LiftTest("paid_search", 2.0, 0.3)])
    assert model.fit(panel) is model
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "summary_")
    pd.testing.assert_frame_equal(copy.fit(panel).summary_, model.summary_)


@pytest.mark.parametrize("method, args", [("roi", ()), ("contributions", ()), ("response_curves", ()),
                                          ("adstock_curves", ()), ("response", ("paid_search", 1.0)),
                                          ("predict", (pd.DataFrame(),))])
def test_unfitted_use_raises_not_fitted(planted_channels, method, args):
    with pytest.raises(NotFittedError):
        getattr(_model(planted_channels), method)(*args)


def test_inputs_are_not_mutated(panel, planted_channels):
    before = panel.copy(deep=True)
    lifts = [LiftTest("paid_search", 2.0, 0.3)]
    lifts_before = list(lifts)
    panel.attrs["lift_tests"] = [LiftTest("paid_social", 1.0, 0.1)]
    model = _model(planted_channels, calibration=lifts).fit(panel)
    pd.testing.assert_frame_equal(panel, before)
    assert lifts == lifts_before and model.calibration is lifts
    # the bootstrap redraws the lift measurements without rewriting the model's own
    np.testing.assert_array_equal(model._lift_values, [2.0])
    del panel.attrs["lift_tests"]


def test_same_seed_same_result_and_refit_does_not_carry_state(panel, planted_channels):
    lift = [LiftTest("paid_search", 2.0, 0.3)]
    a = _model(planted_channels, calibration=lift, random_state=4).fit(panel)
    b = _model(planted_channels, calibration=lift, random_state=4).fit(panel)
    pd.testing.assert_frame_equal(a.summary_, b.summary_)
    np.testing.assert_array_equal(a._coef_draws, b._coef_draws)
    first = a.summary_.copy()
    pd.testing.assert_frame_equal(a.fit(panel).summary_, first)


def test_nan_revenue_or_spend_is_a_contract_error_naming_the_column(panel, planted_channels):
    bad = panel.copy()
    bad.loc[5, "revenue"] = np.nan
    with pytest.raises(ContractError, match="'revenue'.*row 5"):
        _model(planted_channels).fit(bad)
    bad = panel.copy()
    bad["display"] = bad["display"].astype(object)
    bad.loc[2, "display"] = "n/a"
    with pytest.raises(ContractError, match="'display' must be numeric"):
        _model(planted_channels).fit(bad)


@pytest.mark.parametrize("kind", ["polars", "arrow"])
def test_outputs_come_back_in_the_panels_frame_kind(panel, planted_channels, kind):
    from cmokit._frames import kind_of, to_kind, to_pandas

    model = _model(planted_channels).fit(to_kind(panel, kind))
    for out in (model.roi(), model.contributions(), model.response_curves(), model.adstock_curves(),
                model.predict(to_kind(panel, kind), history=False)):
        assert kind_of(out) == kind
    pandas_model = _model(planted_channels).fit(panel)
    pd.testing.assert_frame_equal(to_pandas(model.roi()), pandas_model.roi())


def test_transform_families_are_objects_not_strings(panel, planted_channels):
    from cmokit.mmm.transforms import LogisticSaturation, WeibullAdstock

    by_name = _model(planted_channels, adstock="weibull", saturation="logistic").fit(panel)
    by_class = _model(planted_channels, adstock=WeibullAdstock, saturation=LogisticSaturation).fit(panel)
    pd.testing.assert_frame_equal(by_name.summary_, by_class.summary_)
    assert by_class.param_names == ("weibull_shape", "weibull_scale", "lam")


def test_budget_uses_only_the_models_public_api():
    import cmokit.mmm.budget as budget

    tree = ast.parse(Path(budget.__file__).read_text())
    private = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and isinstance(node.value, ast.Name) and node.value.id == "mmm" and node.attr.startswith("_")]
    assert private == []


def test_plan_schedule_takes_the_model_first_and_the_old_order_warns(simulated_model):
    from cmokit.mmm.budget import optimize_budget, plan_schedule

    plan = optimize_budget(simulated_model, 50_000, 4)
    new = plan_schedule(simulated_model, plan)
    with pytest.warns(FutureWarning, match="plan_schedule\\(mmm, plan\\)"):
        old = plan_schedule(plan, simulated_model)
    pd.testing.assert_frame_equal(new, old)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan_schedule(simulated_model, plan)
