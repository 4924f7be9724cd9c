"""cmokit.geo: geo lift tests -- design (which regions, how long, what it can detect, what it costs)
and read-out (augmented synthetic control with placebo-based inference) on a region x day KPI panel.

Submodules load on first use (scipy stays unloaded until needed).

>>> import cmokit.geo
>>> "geo_readout" in cmokit.geo.__all__
True
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "region_panel": "panel", "check_panel": "panel", "simulate_geo_panel": "panel", "load_panel": "panel",
    "synthetic_control_weights": "synthetic", "AugmentedSyntheticControl": "synthetic",
    "GeoTest": "readout", "geo_readout": "readout",
    "geo_design": "design",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"cmokit.geo.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cmokit.geo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
