"""cmokit: the customer-data analytics kit marketing and IT share.

- ``cmokit.warehouse``: the data contract, the governed build, read-only connections, checks (IT side)
- ``cmokit.sample``: deterministic raw exports with planted truth
- ``cmokit.segments``: RFM, behavioural clusters, segment migration, consent-safe target lists
- ``cmokit.clv``: purchase summaries, BG/NBD, Pareto/NBD, Gamma-Gamma, sBG, lifetime value
- ``cmokit.retention``: acquisition cohorts, churn propensity, survival curves
- ``cmokit.campaigns``: campaign KPIs, targets and pacing, experiment read-outs, power, uplift
- ``cmokit.attribution``: journeys, rule-based, Markov and Shapley attribution
- ``cmokit.geo``: geo lift tests, design and synthetic-control read-out
- ``cmokit.mmm``: marketing-mix model and budget optimiser
- ``cmokit.plots``: plotly figures, one module per domain
- ``cmokit.reports``: parameterised notebooks run into self-contained HTML

Nothing runs on import: the subpackages load on first attribute access
(``cmokit.segments``, ``cmokit.clv`` ...), so ``import cmokit`` stays fast. Each
subpackage imports its public names eagerly and lists them in ``__all__``.
:func:`connect` is :func:`cmokit.warehouse.connect` itself, with its real signature, and
:class:`Warehouse` the read-only view it returns.

>>> import cmokit
>>> cmokit.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
import logging

from cmokit.errors import (
    BuildError,
    CmokitError,
    ConfigError,
    ContractError,
    ConvergenceError,
    NotFittedError,
    ReadOnlyError,
    ReportError,
)
from cmokit.warehouse.connect import Warehouse, connect

#: The package version; pyproject.toml reads it from here (the one place it is written).
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBPACKAGES = (
    "warehouse", "sample", "segments", "clv", "retention", "campaigns",
    "attribution", "geo", "mmm", "plots", "reports",
)

__all__ = [
    "BuildError", "CmokitError", "ConfigError", "ContractError", "ConvergenceError", "NotFittedError",
    "ReadOnlyError", "ReportError", "Warehouse", "connect",
]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"cmokit.{name}")
    raise AttributeError(f"module 'cmokit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
