"""Run one report: validate parameters, execute with papermill, write HTML.

``run("00_data_health", {"days": 30}, warehouse="marketing.duckdb")`` writes,
under ``reports/<name>/<run-key>/``:

- ``notebook.ipynb`` — the executed notebook (provenance in its metadata),
- ``report.html`` — the self-contained HTML report (or an error page),
- ``provenance.json`` and ``result.json`` — what ran, on what, and how it ended,
- ``results.json`` — headline results the notebook recorded (:func:`cmokit.reports.history.record`),
- ``resolved.json`` — what the notebook made of parameters left empty (:func:`cmokit.reports.history.record_resolved`;
  copied into the provenance as ``resolved``),

and appends the run to ``reports/history.jsonl`` (:mod:`cmokit.reports.history`).

Parameters are checked against the notebook's ``parameters`` cell before the
kernel starts (an unknown name or a wrong type raises
:class:`~cmokit.errors.ConfigError`). So is the data the report needs
(:mod:`cmokit.reports.needs`): when the warehouse lacks a table the report reads,
or has too few rows in it, no kernel starts; the page says what the report needs
and how to provide it, and the status is ``explained`` (not a failure). A
notebook that raises, or whose kernel dies, still yields an error page and a
result with status ``failed``, ``killed`` or ``timeout``.

``python -m cmokit.reports.execute JSON`` is the worker :mod:`cmokit.reports.batch`
starts in a separate process per report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cmokit.errors import ConfigError
from cmokit.reports import history, pages
from cmokit.reports.needs import build_currency
from cmokit.reports.notebooks import find_report, validate
from cmokit.reports.provenance import collect

log = logging.getLogger(__name__)

#: Environment the kernel gets: figures as plotly mime bundles (inlined into the HTML page).
KERNEL_ENV = {"PLOTLY_RENDERER": "plotly_mimetype"}

#: The caller's environment variables a report kernel may see; nothing else reaches a notebook
#: (not the pseudonymisation key ``CMOKIT_PSEUDONYM_KEY``, not cloud or database credentials).
KERNEL_PASSTHROUGH = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONHASHSEED", "SYSTEMROOT", "CI",
    "CMOKIT_WAREHOUSE", "CMOKIT_MEMORY_LIMIT", "CMOKIT_TEMP_DIRECTORY", "CMOKIT_THREADS", "CMOKIT_NOTEBOOKS",
    "CMOKIT_CHROMIUM", "CMOKIT_CURRENCY",
)
KERNEL_PASSTHROUGH_PREFIXES = ("LC_", "JUPYTER_", "IPYTHON", "OMP_", "MKL_", "OPENBLAS_", "PLOTLY_", "XDG_",
                               "POLARS_", "PYDEVD_")


def kernel_environment(environ=None) -> dict[str, str]:
    """The part of ``environ`` (default ``os.environ``) a report kernel needs: an allow-list.

    >>> sorted(kernel_environment({"PATH": "/bin", "LC_ALL": "C", "CMOKIT_PSEUDONYM_KEY": "s3cret",
    ...                            "AWS_SECRET_ACCESS_KEY": "x", "CMOKIT_WAREHOUSE": "w.duckdb"}))
    ['CMOKIT_WAREHOUSE', 'LC_ALL', 'PATH']
    """
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items()
            if k in KERNEL_PASSTHROUGH or k.startswith(KERNEL_PASSTHROUGH_PREFIXES)}


#: Statuses that are not failures: the report ran, or explained which data it lacks.
SETTLED = ("ok", "explained")


@dataclass
class RunResult:
    """How one report run ended. ``status`` is ``ok``, ``explained``, ``failed``, ``killed`` or ``timeout``.

    ``explained``: the warehouse lacks data the report needs (``needs`` lists what, and why);
    the page says how to provide it. Only ``failed``, ``killed`` and ``timeout`` are failures.
    """

    report: str
    status: str
    run_dir: str
    html: str
    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    started_at: str = ""
    error: dict[str, Any] | None = None
    pdf: str = ""
    needs: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        """The report ran to the end."""
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        """The report neither ran nor explained itself (``failed``, ``killed``, ``timeout``)."""
        return self.status not in SETTLED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_run_key(parameters: dict[str, Any], now: dt.datetime | None = None) -> str:
    """``20251231T060102Z-3fa2b1``: UTC start time and a hash of the parameters."""
    now = now or dt.datetime.now(dt.timezone.utc)
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:6]
    return f"{now:%Y%m%dT%H%M%SZ}-{digest}"


def _unique_dir(base: Path) -> Path:
    """``base``, or ``base.2``, ``base.3``... when a run already wrote there."""
    path, n = base, 1
    while (path / "provenance.json").exists():
        n += 1
        path = base.with_name(f"{base.name}.{n}")
    return path


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """While running a report: the process environment is :func:`kernel_environment` plus ``values``
    (the kernel inherits it), restored afterwards."""
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_environment(old))
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def prepare(name: str, parameters: dict[str, Any] | None = None, *, warehouse=None, notebooks=None,
            seed: int | None = None):
    """Resolve the report and check parameters (no kernel). Returns ``(report, values, warehouse_path, seed)``."""
    report = find_report(name, notebooks)
    values = validate(report.parameters, parameters)
    wh = warehouse or values.get("warehouse") or os.environ.get("CMOKIT_WAREHOUSE") or None
    if wh:
        wh = str(Path(wh).resolve())
        if report.parameter("warehouse") is not None and not values.get("warehouse"):
            values["warehouse"] = wh
    if seed is not None and report.parameter("seed") is not None:
        values.setdefault("seed", int(seed))
    if report.parameter("seed") is not None:
        seed = values.get("seed", report.parameter("seed").default)
    return report, values, wh, seed


def error_from(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """``(status, error dict)`` for an exception raised while executing a notebook."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return "failed", {"cell": exc.cell_index, "exec_count": exc.exec_count, "source": exc.source,
                          "ename": exc.ename, "evalue": exc.evalue, "traceback": "\n".join(exc.traceback)}
    name = type(exc).__name__
    status = "killed" if name == "DeadKernelError" or "died" in str(exc).lower() else "failed"
    where = "the kernel (it died or was killed)" if status == "killed" else "the run"
    return status, {"where": where, "ename": name, "evalue": str(exc) or name, "traceback": ""}


def finish(prov: dict[str, Any], run_dir: Path, status: str, error: dict | None, show_code: bool,
           started: float, pdf: bool = False, unmet: list | None = None) -> RunResult:
    """Write the HTML (report, explained or error page), provenance and result of a run (and, with
    ``pdf``, ``report.pdf`` printed by headless Chromium, for the meeting invite).

    ``unmet`` (:class:`~cmokit.reports.needs.Unmet` rows) goes with status ``explained``.
    """
    import nbformat

    nb_path = run_dir / "notebook.ipynb"
    nb = nbformat.read(nb_path, as_version=4) if nb_path.exists() else None
    prov["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    prov["duration_s"] = round(time.monotonic() - started, 2) if started else prov.get("duration_s")
    prov["status"] = status
    resolved = history.run_resolved(run_dir)
    if resolved:  # what the notebook made of parameters left empty (as_of "" -> the latest order day)
        prov["resolved"] = resolved
    needs = [u.to_dict() for u in unmet] if unmet else None
    if needs:
        prov["unmet_needs"] = needs
    if nb is not None:
        nb.metadata["cmokit"] = {"provenance": prov}
        nbformat.write(nb, nb_path)
    if status == "ok":
        page = pages.render(nb, prov, show_code)
    elif status == "explained":
        page = pages.explained_page(prov, unmet or [], build_currency((prov.get("warehouse") or {}).get("path")))
    else:
        page = pages.error_page(prov, error or {}, nb, status)
    html_path = pages.write(run_dir / "report.html", page)
    result = RunResult(prov["report"], status, str(run_dir), str(html_path), str(nb_path), prov["parameters"],
                       prov["duration_s"] or 0.0, prov["started_at"], error, needs=needs)
    if pdf:
        from cmokit.reports.browser import print_pdf

        result.pdf = str(print_pdf(html_path, run_dir / "report.pdf"))
    (run_dir / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
    (run_dir / "result.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
    history.append(run_dir.parent.parent, dict(result.to_dict(), error=(error or {}).get("ename"),
                                               results=history.run_results(run_dir)))
    return result


def unmet_needs(report, wh, needs=None) -> list:
    """The needs (``needs``, else the notebook's own) that the warehouse file ``wh`` does not meet."""
    from cmokit.reports.needs import check, parse_needs

    declared = report.needs if needs is None else parse_needs(needs, report.name)
    return check(declared, wh)


def run(name: str, parameters: dict[str, Any] | None = None, *, warehouse=None, out_dir="reports",
        notebooks=None, show_code: bool = False, seed: int | None = None, cell_timeout_s: float | None = None,
        run_key: str | None = None, kernel_name: str | None = None, pdf: bool = False, needs=None) -> RunResult:
    """Execute one report notebook with papermill and write its self-contained HTML.

    Parameters
    ----------
    name
        Report name (``00_data_health``), its name without the number, or a notebook path.
    parameters
        Values for the notebook's ``parameters`` cell; strings are parsed into the
        declared type. Unknown names or wrong types raise ``ConfigError`` before
        any kernel starts.
    warehouse
        Warehouse file; default the ``warehouse`` parameter, then ``$CMOKIT_WAREHOUSE``.
    out_dir
        Reports folder; the run writes to ``out_dir/<name>/<run-key>/``.
    show_code
        Show code cells in the HTML (hidden by default).
    seed
        Random seed, passed as the ``seed`` parameter when the notebook declares one.
    cell_timeout_s
        Longest a single cell may run (``run_all`` also limits the whole report).
    pdf
        Also print the report (or its error page) to ``report.pdf`` with headless Chromium
        (``$CMOKIT_CHROMIUM`` or ``chromium`` on PATH; checked before the kernel starts).
    needs
        Data the report needs, ``{table[.column]: min_rows}`` (a ``reports.yml`` entry's
        ``needs``); default the notebook's metadata key ``needs`` under ``cmokit``. When the warehouse
        does not meet them, no kernel starts and the page explains what to provide.

    Returns
    -------
    RunResult
        ``status`` ``ok``; ``explained`` with ``needs`` saying what data is missing; or
        ``failed``/``killed`` with ``error`` naming the cell.

    Examples
    --------
    >>> import cmokit  # doctest: +SKIP
    >>> res = cmokit.reports.run("00_data_health", {"days": 30}, warehouse="marketing.duckdb")  # doctest: +SKIP
    >>> res.status, res.html  # doctest: +SKIP
    ('ok', 'reports/00_data_health/20251231T060102Z-3fa2b1/report.html')
    """
    import papermill as pm

    started = time.monotonic()
    report, values, wh, seed = prepare(name, parameters, warehouse=warehouse, notebooks=notebooks, seed=seed)
    if pdf:
        require_chromium()
    run_key = run_key or make_run_key(values)
    run_dir = _unique_dir(Path(out_dir) / report.name / run_key)
    run_dir.mkdir(parents=True, exist_ok=True)
    prov = collect(report.name, values, warehouse=wh, seed=seed, title=report.title, defaults=report.defaults)
    prov["run_key"] = run_dir.name
    (run_dir / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
    unmet = unmet_needs(report, wh, needs)
    if unmet:
        return finish(prov, run_dir, "explained", None, show_code, started, pdf, unmet)
    env = dict(KERNEL_ENV, CMOKIT_RUN_DIR=str(run_dir.resolve()), CMOKIT_REPORTS_DIR=str(Path(out_dir).resolve()),
               **({"CMOKIT_WAREHOUSE": wh} if wh else {}))
    currency = build_currency(wh)
    if currency:  # labels say the warehouse's currency (GBP for a sources.yml with reporting_currency: GBP)
        env["CMOKIT_CURRENCY"] = currency
    status, error = "ok", None
    for attempt in range(1 + KERNEL_START_RETRIES):
        try:
            with _environment(env), tempfile.TemporaryDirectory(prefix="cmokit-kernel-") as sockets:
                pm.execute_notebook(
                    str(report.path), str(run_dir / "notebook.ipynb"), parameters=values,
                    kernel_name=kernel_name, cwd=str(report.path.parent), progress_bar=False,
                    log_output=False, execution_timeout=cell_timeout_s, report_mode=False,
                    **({"kernel_manager_class": kernel_manager_class(sockets)} if _ipc_fits(sockets) else {}),
                )
        except Exception as exc:  # every failure becomes an error page
            status, error = error_from(exc)
            if attempt < KERNEL_START_RETRIES and _died_starting(exc):
                log.warning("%s: the kernel died before it started (%s); starting it again", report.name, exc)
                status, error = "ok", None
                continue
        break
    return finish(prov, run_dir, status, error, show_code, started, pdf=pdf)


#: A kernel that dies before answering its first request ran no cell (jupyter_client reports it when
#: kernels starting side by side collide, e.g. on ports): such a start is tried again, once.
KERNEL_START_RETRIES = 1


#: Longest Unix socket path the kernel's sockets may have (the OS limit is 104-108 bytes, with the NUL).
MAX_SOCKET_PATH = 100


def _ipc_fits(socket_dir) -> bool:
    """Whether report kernels can use Unix sockets in ``socket_dir``: POSIX, and the sockets' paths
    (``<socket_dir>/kernel-<n>``) short enough for the OS; else the kernel keeps localhost TCP (a long
    ``$TMPDIR`` must not stop every report)."""
    return os.name == "posix" and len(os.fsencode(os.path.join(socket_dir, "kernel-99"))) <= MAX_SOCKET_PATH


def kernel_manager_class(socket_dir):
    """The kernel manager of a report run: the notebook kernel is reached over Unix domain sockets
    (jupyter_client's ``ipc`` transport) in ``socket_dir``, a folder private to the run (mode 0700),
    instead of five localhost TCP ports. No port can be taken by a kernel starting beside it, no
    other user can connect, nothing listens on the network, and ipykernel has no reason to warn that
    its messages travel unencrypted over TCP. POSIX only (Windows keeps TCP)."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _socket_path(self):  # jupyter_client's default is "kernel-ipc" in the working folder: shared
            return os.path.join(socket_dir, "kernel")  # by kernels started side by side (crossed messages)

    return IPCKernelManager


def _died_starting(exc: BaseException) -> bool:
    """Whether ``exc`` says the kernel died before replying to ``kernel_info`` (no cell ran)."""
    return isinstance(exc, RuntimeError) and "before replying to kernel_info" in str(exc)


def require_chromium() -> str:
    """The Chromium binary PDFs are printed with, or a ConfigError saying how to install it."""
    from cmokit.reports.browser import chromium_path

    path = chromium_path()
    if path is None:
        raise ConfigError("a PDF needs headless Chromium: apt-get install -y chromium (or make chromium), "
                          "or set $CMOKIT_CHROMIUM to its path")
    return path


def _worker(argv: list[str]) -> int:
    """Entry point of the run_all worker: one JSON argument with run()'s keyword arguments."""
    kwargs = json.loads(argv[0])
    name = kwargs.pop("name")
    try:
        result = run(name, **kwargs)
    except ConfigError as exc:
        print(f"cmokit: {exc}", file=sys.stderr)
        return 2
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))


__all__ = ["SETTLED", "RunResult", "make_run_key", "prepare", "require_chromium", "run", "unmet_needs"]
