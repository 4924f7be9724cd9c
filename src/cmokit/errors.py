"""The cmokit exception family.

Every error cmokit raises on purpose derives from :class:`CmokitError` and says
what to do next.
"""

from __future__ import annotations


class CmokitError(Exception):
    """Base class of every error cmokit raises on purpose."""


class ContractError(CmokitError):
    """Data does not satisfy the data contract.

    ``failures`` is a DataFrame (table, check, column, severity, failing_rows,
    example) when the failure came from table-level checks, else ``None``.
    """

    def __init__(self, message: str, table: str | None = None, failures=None):
        super().__init__(message)
        self.table = table
        self.failures = failures


class BuildError(CmokitError):
    """The warehouse build could not run; the previous warehouse is untouched."""


class ConfigError(CmokitError):
    """A setting, key or parameter is missing or invalid."""


class ReadOnlyError(CmokitError):
    """A write was attempted on the read-only marketing warehouse."""


class NotFittedError(CmokitError, ValueError):
    """An estimator was used before ``fit``."""


class ConvergenceError(CmokitError):
    """A model fit did not converge."""


class ReportError(CmokitError):
    """A report notebook failed: names the notebook, the cell and the error."""

    def __init__(self, message: str, notebook: str | None = None,
                 cell: int | None = None, error: str | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell
        self.error = error
