"""IT side: the data contract, the governed build, read-only connections and checks."""

from cmokit.warehouse.connect import Resolved, Warehouse, connect, resolve, snapshot
from cmokit.warehouse.contract import CHANNELS, CONTRACT, PAID_CHANNELS, glossary, label

__all__ = [
    "CHANNELS", "CONTRACT", "PAID_CHANNELS", "Resolved", "Warehouse", "build", "check",
    "connect", "glossary", "label", "resolve", "snapshot",
]


def build(*args, **kwargs):
    """Build the marketing warehouse; see :func:`cmokit.warehouse.build.build`."""
    from cmokit.warehouse.build import build as _build

    return _build(*args, **kwargs)


def check(*args, **kwargs):
    """Run the contract checks; see :func:`cmokit.warehouse.checks.check`."""
    from cmokit.warehouse.checks import check as _check

    return _check(*args, **kwargs)
