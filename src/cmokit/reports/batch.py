"""Run every report of a manifest in parallel, each in its own process.

The manifest (``reports.yml``) lists notebooks and their parameters::

    defaults:
      timeout_s: 900        # whole-report limit (kernel start to HTML)
    reports:
      - notebook: 00_data_health
        parameters: {days: 90}
      - notebook: 70_media_mix
        needs: {marketing_spend: 1, orders: 1}   # contract tables and minimum rows

Before a report starts, the warehouse is checked against its ``needs`` (the
entry's, else the notebook's metadata key ``needs`` under ``cmokit``; see
:mod:`cmokit.reports.needs`). A report whose data is absent or too thin does
not run: it gets a page saying what it needs and how to provide it, and the
status ``explained``, which is not a failure.

Each report runs in a worker process (``python -m cmokit.reports.execute``)
in its own session; at most ``jobs`` at once. A report that raises gets an
error page; one that outlives ``timeout_s`` has its worker and kernel killed
(the whole process tree) and gets a ``timeout`` page; a kernel that dies gets
a ``killed`` page. The others carry on. ``reports/index.html`` lists every
report with status, parameters, duration and a link; the batch result is
``ok`` when every report ran or explained itself, and not when any failed.

On a terminal, progress is shown live with rich; otherwise the batch is quiet.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cmokit.errors import CmokitError, ConfigError
from cmokit.reports.execute import RunResult, finish, kernel_environment, make_run_key, prepare, unmet_needs
from cmokit.reports.needs import parse_needs
from cmokit.reports.notebooks import list_reports
from cmokit.reports.provenance import collect

DEFAULT_TIMEOUT_S = 1800.0
POLL_S = 0.2


@dataclass
class Job:
    """One report to run: notebook name, parameters, whole-report timeout, data it needs, whether to print a PDF.

    ``needs`` (``{table[.column]: min_rows}``) overrides the notebook's metadata; ``None`` keeps it.
    """

    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    pdf: bool = False
    needs: dict[str, int] | None = None


@dataclass
class BatchResult:
    """Results of a run-all, in manifest order, and the index page."""

    results: list[RunResult]
    index: Path

    @property
    def ok(self) -> bool:
        """Every report ran or explained which data it lacks; none failed."""
        return not self.failed

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.failed]

    @property
    def explained(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "explained"]


def read_manifest(path, notebooks=None, timeout_s: float | None = None) -> list[Job]:
    """Jobs from a manifest file; with no file, every notebook on its defaults."""
    if path is None:
        default = Path("reports.yml")
        path = default if default.exists() else None
    if path is None:
        return [Job(r.name, {}, timeout_s or DEFAULT_TIMEOUT_S) for r in list_reports(notebooks)]
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read manifest {path}: {exc}") from exc
    defaults = doc.get("defaults") or {}
    entries = doc.get("reports")
    if not isinstance(entries, list):
        raise ConfigError(f"manifest {path} needs a `reports:` list of {{notebook, parameters}} entries")
    jobs = []
    for entry in entries:
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise ConfigError(f"manifest {path}: every entry needs `notebook:` (got {entry!r})")
        limit = timeout_s or entry.get("timeout_s") or defaults.get("timeout_s") or DEFAULT_TIMEOUT_S
        pdf = entry.get("pdf", defaults.get("pdf", False))
        if not isinstance(pdf, bool):
            raise ConfigError(f"manifest {path}: `pdf:` of {entry['notebook']} must be true or false, not {pdf!r}")
        needs = None
        if "needs" in entry:
            where = f"manifest {path}, report {entry['notebook']}"
            needs = {n.label: n.min_rows for n in parse_needs(entry["needs"] or {}, where)}
        jobs.append(Job(str(entry["notebook"]), dict(entry.get("parameters") or {}), float(limit), pdf, needs))
    return jobs


def manifest_needs(path, name: str) -> dict[str, int] | None:
    """The ``needs`` a manifest (default ``./reports.yml``, if any) declares for report ``name``, else ``None``."""
    if path is None and not Path("reports.yml").exists():
        return None
    def key(n: str) -> str:  # "10_customer_segments", "customer_segments" and a path name the same report
        stem = Path(n).stem
        return stem[3:] if stem[:2].isdigit() and stem[2:3] == "_" else stem

    return next((job.needs for job in read_manifest(path or "reports.yml") if key(job.notebook) == key(name)), None)


def _kill_tree(pid: int) -> None:
    """Kill a worker and every process it started (its kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    procs = parent.children(recursive=True) + [parent]
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)


@dataclass
class _Running:
    job: Job
    name: str
    run_dir: Path
    proc: subprocess.Popen
    started: float
    log: Any


def _start(job: Job, name: str, run_dir: Path, options: dict[str, Any]) -> _Running:
    run_dir.mkdir(parents=True, exist_ok=True)
    kwargs = dict(options, name=job.notebook, parameters=job.parameters, run_key=run_dir.name,
                  out_dir=str(run_dir.parent.parent), pdf=job.pdf or options.get("pdf", False), needs=job.needs)
    log = open(run_dir / "log.txt", "w")
    proc = subprocess.Popen([sys.executable, "-m", "cmokit.reports.execute", json.dumps(kwargs, default=str)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=kernel_environment())
    return _Running(job, name, run_dir, proc, time.monotonic(), log)


def _provenance(run: _Running, warehouse) -> dict[str, Any]:
    path = run.run_dir / "provenance.json"
    if path.exists():
        return json.loads(path.read_text())
    prov = collect(run.name, run.job.parameters, warehouse=None, title=run.name)
    prov["run_key"] = run.run_dir.name
    return prov


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _collect(run: _Running, warehouse, timed_out: bool) -> RunResult:
    run.log.close()
    result_file = run.run_dir / "result.json"
    if not timed_out and result_file.exists():
        result = RunResult(**json.loads(result_file.read_text()))
        result.duration_s = round(time.monotonic() - run.started, 2)  # wall clock, worker start included
        return result
    prov = _provenance(run, warehouse)
    prov["duration_s"] = round(time.monotonic() - run.started, 2)
    if timed_out:
        error = {"where": "the run", "ename": "Timeout",
                 "evalue": f"stopped after {run.job.timeout_s:g} s; the worker and its kernel were killed",
                 "traceback": _tail(run.run_dir / "log.txt")}
        status = "timeout"
    else:
        error = {"where": "the worker", "ename": "WorkerError",
                 "evalue": f"the report worker exited with status {run.proc.returncode} before writing a result",
                 "traceback": _tail(run.run_dir / "log.txt")}
        status = "killed" if (run.proc.returncode or 0) < 0 else "failed"
    return finish(prov, run.run_dir, status, error, False, 0.0)


def _preflight(job: Job, out_dir: Path, warehouse, notebooks, stamp: dt.datetime):
    """Check a job's parameters and data before any kernel starts.

    A ConfigError becomes a failed result; unmet needs an explained one.
    """
    started = time.monotonic()
    try:
        report, values, wh, seed = prepare(job.notebook, job.parameters, warehouse=warehouse, notebooks=notebooks)
        unmet = unmet_needs(report, wh, job.needs)
    except CmokitError as exc:
        name = Path(job.notebook).stem
        run_dir = out_dir / name / make_run_key(job.parameters, stamp)
        run_dir.mkdir(parents=True, exist_ok=True)
        prov = collect(name, job.parameters, title=name)
        prov.update(run_key=run_dir.name, duration_s=0.0)
        error = {"where": "the parameters (checked before the kernel started)",
                 "ename": type(exc).__name__, "evalue": str(exc)}
        return None, finish(prov, run_dir, "failed", error, False, 0.0)
    run_dir = out_dir / report.name / make_run_key(values, stamp)
    n = 1
    while run_dir.exists():
        n += 1
        run_dir = run_dir.with_name(f"{make_run_key(values, stamp)}.{n}")
    if unmet:
        run_dir.mkdir(parents=True)
        prov = collect(report.name, values, warehouse=wh, seed=seed, title=report.title, defaults=report.defaults)
        prov["run_key"] = run_dir.name
        return None, finish(prov, run_dir, "explained", None, False, started, pdf=job.pdf, unmet=unmet)
    return (report.name, run_dir), None


def run_all(manifest=None, *, jobs: int = 2, timeout_s: float | None = None, warehouse=None,
            out_dir="reports", notebooks=None, show_code: bool = False, seed: int | None = None,
            progress: bool | None = None, on_event: Callable[[str, str, Any], None] | None = None,
            pdf: bool = False) -> BatchResult:
    """Run the reports a manifest lists, ``jobs`` at a time, and write ``out_dir/index.html``.

    Parameters
    ----------
    manifest
        Path of a ``reports.yml``; default ``./reports.yml``, else every notebook on its defaults.
    jobs
        Reports running at once (separate processes).
    timeout_s
        Whole-report limit overriding the manifest's; a report past it is killed (worker and kernel).
    warehouse
        Warehouse file for every report; default ``$CMOKIT_WAREHOUSE``.
    progress
        Live progress table (rich); default: only when stdout is a terminal.
    on_event
        Called as ``on_event(kind, name, payload)`` with kind ``start`` / ``done``.
    pdf
        Print every report to ``report.pdf`` as well (a manifest entry or its ``defaults`` can
        ask for it per report with ``pdf: true``).

    Returns
    -------
    BatchResult
        ``.results`` (one :class:`~cmokit.reports.execute.RunResult` per report), ``.ok``,
        ``.index`` (path of ``index.html``).

    Examples
    --------
    >>> import cmokit  # doctest: +SKIP
    >>> batch = cmokit.reports.run_all("reports.yml", jobs=2, warehouse="marketing.duckdb")  # doctest: +SKIP
    >>> batch.ok, str(batch.index)  # doctest: +SKIP
    (True, 'reports/index.html')
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc)
    warehouse = str(Path(warehouse).resolve()) if warehouse else None
    options = {"warehouse": warehouse, "notebooks": str(notebooks) if notebooks else None,
               "show_code": show_code, "seed": seed, "pdf": pdf}
    started_at = stamp.isoformat(timespec="seconds")
    slots: list[RunResult | None] = []
    pending: list[tuple[int, Job, str, Path]] = []
    job_list = read_manifest(manifest, notebooks, timeout_s)
    if pdf or any(job.pdf for job in job_list):
        from cmokit.reports.execute import require_chromium

        require_chromium()
    for i, job in enumerate(job_list):
        ready, failed = _preflight(job, out_dir, warehouse, notebooks, stamp)
        slots.append(failed)
        if ready:
            pending.append((i, job, *ready))
    show = sys.stdout.isatty() if progress is None else progress
    board = _Board([job.notebook if r is None else r.report for r, job in zip(slots, job_list)], slots) if show else None
    running: dict[int, _Running] = {}
    with (board.live() if board else _nullcontext()):
        while pending or running:
            while pending and len(running) < max(1, int(jobs)):
                i, job, name, run_dir = pending.pop(0)
                running[i] = _start(job, name, run_dir, options)
                _emit(on_event, board, "start", i, name, None)
            time.sleep(POLL_S)
            for i, run in list(running.items()):
                timed_out = run.proc.poll() is None and time.monotonic() - run.started > run.job.timeout_s
                if timed_out:
                    _kill_tree(run.proc.pid)
                    run.proc.wait()
                if run.proc.poll() is not None:
                    slots[i] = _collect(run, warehouse, timed_out)
                    del running[i]
                    _emit(on_event, board, "done", i, run.name, slots[i])
            if board:
                board.refresh()
    results = [r for r in slots if r is not None]
    index = write_index(results, out_dir, started_at)
    return BatchResult(results, index)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _emit(on_event, board, kind: str, i: int, name: str, payload) -> None:
    if board:
        board.update(i, kind, payload)
    if on_event:
        on_event(kind, name, payload)


class _Board:
    """The live progress table shown on a terminal."""

    def __init__(self, names: list[str], slots: list[RunResult | None]):
        self.names = names
        self.state = [("failed (parameters)" if s.failed else s.status) if s is not None else "waiting" for s in slots]
        self.started: dict[int, float] = {}
        self._live = None

    def update(self, i: int, kind: str, result: RunResult | None) -> None:
        if kind == "start":
            self.state[i] = "running"
            self.started[i] = time.monotonic()
        else:
            self.state[i] = f"{result.status} ({result.duration_s:.0f} s)"

    def table(self):
        from rich.table import Table

        colours = {"running": "yellow", "waiting": "dim", "ok": "green", "explained": "blue"}
        t = Table(title="cmokit run-all", expand=False)
        t.add_column("report")
        t.add_column("status")
        for i, (name, state) in enumerate(zip(self.names, self.state)):
            if state == "running":
                state = f"running {time.monotonic() - self.started[i]:.0f} s"
            style = colours.get(state.split(" ")[0], "red")
            t.add_row(name, f"[{style}]{state}[/{style}]")
        return t

    def live(self):
        from rich.live import Live

        self._live = Live(self.table(), refresh_per_second=4, transient=False)
        return self._live

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.table())


def run_summary(results: list[RunResult]) -> str:
    """``6 of 8 reports ok · 2 explained (data missing) · 0 failed``."""
    n_ok = sum(r.ok for r in results)
    n_explained = sum(r.status == "explained" for r in results)
    n_failed = sum(r.failed for r in results)
    parts = [f"{n_ok} of {len(results)} reports ok"]
    if n_explained:
        parts.append(f"{n_explained} explained (data missing)")
    if n_failed or n_explained:
        parts.append(f"{n_failed} failed")
    return " · ".join(parts)


def write_index(results: list[RunResult], out_dir, started_at: str = "") -> Path:
    """``out_dir/index.html`` (and ``index.json``): every report with status, parameters, duration, link."""
    from cmokit.reports.pages import STYLE, write

    out_dir = Path(out_dir)
    rows = []
    for r in results:
        link = os.path.relpath(r.html, out_dir)
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(r.parameters.items()) if k != "warehouse") or "defaults"
        error = (r.error or {}).get("ename", "") or "; ".join(n["reason"] for n in r.needs or [])
        rows.append(
            f"<tr class='{html.escape(r.status)}'><td><a href='{html.escape(link)}'>{html.escape(r.report)}</a></td>"
            f"<td><span class='badge {html.escape(r.status)}'>{html.escape(r.status)}</span> "
            f"<span class='muted'>{html.escape(error)}</span></td><td><code>{html.escape(params)}</code></td>"
            f"<td class='num'>{r.duration_s:.1f} s</td><td>{html.escape(r.started_at)}</td></tr>"
        )
    summary = run_summary(results)
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>cmokit reports</title>"
        f"<style>{STYLE} table.index {{ width:100%; border-collapse:collapse; background:white; }}"
        " table.index th, table.index td { padding:8px 12px; border-bottom:1px solid var(--line); text-align:left; }"
        " table.index thead th { background:#f1f3f6; }</style></head><body>"
        f"<header class='top'><h1>cmokit reports</h1><div class='sub'>{html.escape(summary)} · run-all started "
        f"{html.escape(started_at)} UTC</div></header><main><div class='card'>"
        "<table class='index' id='reports'><thead><tr><th>report</th><th>status</th><th>parameters</th>"
        f"<th>duration</th><th>started (UTC)</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></main>"
        "</body></html>"
    )
    path = write(out_dir / "index.html", page)
    (out_dir / "index.json").write_text(json.dumps([r.to_dict() for r in results], indent=2, default=str))
    return path


__all__ = ["BatchResult", "Job", "manifest_needs", "read_manifest", "run_all", "run_summary", "write_index"]
