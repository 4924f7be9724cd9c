"""The scikit-learn parameter protocol of cmokit estimators, checked against sklearn.base.clone."""

import pytest

from cmokit._params import ParamsMixin


class _Inner(ParamsMixin):
    def __init__(self, alpha=1.0):
        self.alpha = alpha


class _Outer(ParamsMixin):
    def __init__(self, inner=None, *, seed=0):
        self.inner = inner
        self.seed = seed


def test_params_match_sklearn_base_estimator_behaviour():
    from sklearn.base import clone

    model = _Outer(_Inner(2.0), seed=3)
    assert model.get_params(deep=False) == {"inner": model.inner, "seed": 3}
    assert model.get_params()["inner__alpha"] == 2.0
    assert model.set_params(inner__alpha=5.0, seed=4) is model and model.inner.alpha == 5.0 and model.seed == 4
    copy = clone(model)
    assert copy.inner is not model.inner and copy.get_params(deep=True)["inner__alpha"] == 5.0


def test_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="invalid parameter 'sede'"):
        _Outer().set_params(sede=1)
