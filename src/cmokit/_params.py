"""scikit-learn's parameter protocol without importing scikit-learn.

``get_params`` / ``set_params`` read the settings from the ``__init__``
signature, so :func:`sklearn.base.clone` gives an unfitted copy with the same
settings. ``sklearn.base.BaseEstimator`` would do the same but takes seconds to
import; the estimators here must keep ``import cmokit.segments`` (and friends)
light.

>>> class Model(ParamsMixin):
...     def __init__(self, alpha=1.0, seed=0):
...         self.alpha = alpha
...         self.seed = seed
>>> Model(alpha=2.0).get_params()
{'alpha': 2.0, 'seed': 0}
>>> Model().set_params(seed=3).seed
3
"""

from __future__ import annotations

import inspect


class ParamsMixin:
    """``get_params`` / ``set_params`` from the constructor's named parameters."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name every setting (no *args / **kwargs)")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict:
        """The constructor settings (with ``name__sub`` entries of nested estimators if ``deep``)."""
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            out[name] = value
        return out

    def set_params(self, **params):
        """Set settings (``name`` or ``name__sub`` for a nested estimator); returns ``self``."""
        valid = self.get_params(deep=True)
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {sorted(self._get_param_names())}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self


__all__ = ["ParamsMixin"]
