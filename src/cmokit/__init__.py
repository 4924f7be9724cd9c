"""cmokit: the customer-data analytics kit marketing and IT share.

Nothing runs on import: the analysis subpackages load on first attribute access
(``cmokit.segments``, ``cmokit.clv`` ...), so ``import cmokit`` stays fast.
:func:`connect` is :func:`cmokit.warehouse.connect` itself, with its real signature.

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
from cmokit.warehouse.connect import connect

#: The package version; pyproject.toml reads it from here (the one place it is written).
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBPACKAGES = (
    "warehouse", "sample", "segments", "clv", "retention", "campaigns",
    "attribution", "mmm", "plots", "reports",
)

__all__ = [
    "BuildError", "CmokitError", "ConfigError", "ContractError", "ConvergenceError", "NotFittedError",
    "ReadOnlyError", "ReportError", "connect",
]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"cmokit.{name}")
    raise AttributeError(f"module 'cmokit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
