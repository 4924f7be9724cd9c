"""Plotly figures: one module per domain, a result in, a Figure out.

Every figure uses the shared cmokit template (:func:`cmokit.plots.theme.apply`).
Submodules load on first use so importing cmokit stays fast.
"""

from __future__ import annotations

import importlib

_MODULES = {"theme", "health", "segments", "retention", "clv", "campaigns", "experiments", "attribution", "mmm", "geo", "sequential", "offers"}


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"cmokit.plots.{name}")
    raise AttributeError(f"module 'cmokit.plots' has no attribute {name!r}")
