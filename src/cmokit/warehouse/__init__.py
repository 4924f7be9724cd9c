"""IT side: the data contract, the governed build, read-only connections and checks.

Every public name is imported here, so ``cmokit.warehouse.build`` is the build
function, also after its submodule :mod:`cmokit.warehouse.build` has loaded. The
submodules stay light: nothing heavy loads until a function runs.

>>> from cmokit import warehouse
>>> callable(warehouse.build) and callable(warehouse.check)
True
"""

from cmokit.warehouse.build import build
from cmokit.warehouse.checks import check
from cmokit.warehouse.connect import Resolved, Warehouse, connect, resolve, snapshot
from cmokit.warehouse.contract import CHANNELS, CONTRACT, PAID_CHANNELS, glossary, label

__all__ = [
    "CHANNELS", "CONTRACT", "PAID_CHANNELS", "Resolved", "Warehouse", "build", "check",
    "connect", "glossary", "label", "resolve", "snapshot",
]
