"""Learned attributes (``summary_``, ``removal_effects_`` ...) read before ``fit`` say so.

>>> class Model(LearnedAttributes):
...     pass
>>> Model().summary_
Traceback (most recent call last):
...
cmokit.attribution._fitted.NotFittedAttributeError: Model is not fitted yet: call fit(journeys) before reading summary_
>>> hasattr(Model(), "summary_")
False
"""

from __future__ import annotations

from cmokit.errors import NotFittedError


class NotFittedAttributeError(NotFittedError, AttributeError):
    """A learned attribute read before ``fit``: a :class:`NotFittedError` that ``hasattr`` understands."""


class LearnedAttributes:
    """Mixin: reading a missing public ``name_`` attribute raises :class:`NotFittedAttributeError`."""

    def __getattr__(self, name: str):
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedAttributeError(
                f"{type(self).__name__} is not fitted yet: call fit(journeys) before reading {name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


__all__ = ["LearnedAttributes", "NotFittedAttributeError"]
