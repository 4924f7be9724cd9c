"""Reports: parameterised notebooks run by papermill into self-contained HTML.

- :func:`list_reports` — the notebooks in ``notebooks/`` with their parameters,
- :func:`run` — one report (parameters checked before the kernel starts),
- :func:`run_all` — every report of a manifest, in parallel, with an index page.

Heavy modules (papermill, nbconvert) load inside the functions that run a notebook.
"""

from cmokit.reports.batch import run_all
from cmokit.reports.execute import run
from cmokit.reports.notebooks import list_reports

__all__ = ["list_reports", "run", "run_all"]
