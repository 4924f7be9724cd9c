"""Reports: parameterised notebooks run by papermill into self-contained HTML.

- :func:`list_reports` — the notebooks in ``notebooks/`` with their parameters,
- :func:`run` — one report (parameters checked before the kernel starts),
- :func:`run_all` — every report of a manifest, in parallel, with an index page.

Heavy modules (papermill, nbconvert) load on first use.
"""

from __future__ import annotations


def list_reports(directory=None):
    """The report notebooks and their parameters; see :func:`cmokit.reports.notebooks.list_reports`."""
    from cmokit.reports.notebooks import list_reports as _list

    return _list(directory)


def run(name, parameters=None, **kwargs):
    """Run one report; see :func:`cmokit.reports.execute.run`."""
    from cmokit.reports.execute import run as _run

    return _run(name, parameters, **kwargs)


def run_all(manifest=None, **kwargs):
    """Run every report of a manifest; see :func:`cmokit.reports.batch.run_all`."""
    from cmokit.reports.batch import run_all as _run_all

    return _run_all(manifest, **kwargs)


__all__ = ["list_reports", "run", "run_all"]
