"""cmokit: the customer-data analytics kit marketing and IT share.

Nothing runs on import: subpackages load on first attribute access, so
``import cmokit`` stays fast.

>>> import cmokit
>>> cmokit.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
import logging

from cmokit.errors import (  # noqa: F401  (re-exported)
    BuildError,
    CmokitError,
    ConfigError,
    ContractError,
    ConvergenceError,
    NotFittedError,
    ReadOnlyError,
    ReportError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBPACKAGES = {
    "warehouse", "sample", "segments", "clv", "retention", "campaigns",
    "attribution", "mmm", "plots", "reports",
}


def connect(source=None, **kwargs):
    """Open the marketing warehouse (read-only) or wrap frames; see
    :func:`cmokit.warehouse.connect`."""
    from cmokit.warehouse.connect import connect as _connect

    return _connect(source, **kwargs)


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"cmokit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cmokit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBPACKAGES)
