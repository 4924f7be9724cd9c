"""Run history: one JSON line per report run, beside the reports (``reports/history.jsonl``).

Every run (``cmokit report run`` and each report of ``run-all``) appends its status,
parameters, run folder and — when the notebook recorded any — its headline results.
A notebook records results with :func:`record` (the runner tells the kernel its run folder
in ``$CMOKIT_RUN_DIR``); a later run reads the previous one with :func:`last_results`
(the executive review says what changed since the last review this way).

>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = append(folder, {"report": "05_executive_review", "status": "ok", "started_at": "2026-01-01T06:30:00+00:00",
...                 "results": {"headline": {"revenue": 100.0}}})
>>> last_results("05_executive_review", folder / FILE)["results"]["headline"]
{'revenue': 100.0}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE = "history.jsonl"
RESULTS = "results.json"
RESOLVED = "resolved.json"


def record(results: dict[str, Any], run_dir=None) -> Path | None:
    """Write ``results`` (JSON-serialisable) to the run folder's ``results.json``.

    ``run_dir`` defaults to ``$CMOKIT_RUN_DIR`` (set by the runner); outside a run (a notebook
    opened in JupyterLab) nothing is written and ``None`` is returned.
    """
    run_dir = run_dir or os.environ.get("CMOKIT_RUN_DIR")
    if not run_dir:
        return None
    path = Path(run_dir) / RESULTS
    path.write_text(json.dumps(results, indent=2, default=str))
    return path


def _plain(value):
    """A resolved value as provenance shows it: a date (or a midnight timestamp) as YYYY-MM-DD, a list as
    a list, anything else as its text."""
    import datetime as dt

    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record_resolved(run_dir=None, **values) -> Path | None:
    """Record what a run resolved for parameters left empty (``as_of=""`` -> the latest order day), so
    that its provenance says which dates the numbers are for.

    ``run_dir`` defaults to ``$CMOKIT_RUN_DIR``; outside a run nothing is written and ``None`` is
    returned. Dates are written as YYYY-MM-DD.

    >>> import datetime as dt, json, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = record_resolved(folder, as_of=dt.date(2025, 12, 28), experiment_id="EXP-1")
    >>> json.loads(path.read_text())
    {'as_of': '2025-12-28', 'experiment_id': 'EXP-1'}
    >>> record_resolved(None, as_of=dt.date(2025, 12, 28)) is None  # not in a run
    True
    """
    run_dir = run_dir or os.environ.get("CMOKIT_RUN_DIR")
    if not run_dir:
        return None
    path = Path(run_dir) / RESOLVED
    path.write_text(json.dumps({k: _plain(v) for k, v in values.items()}, indent=2))
    return path


def run_resolved(run_dir) -> dict[str, Any]:
    """What a run recorded with :func:`record_resolved` (empty when nothing)."""
    path = Path(run_dir) / RESOLVED
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        return {}


def run_results(run_dir) -> dict[str, Any] | None:
    """The results a run recorded, or ``None``."""
    path = Path(run_dir) / RESULTS
    return json.loads(path.read_text()) if path.exists() else None


def append(out_dir, entry: dict[str, Any]) -> Path:
    """Append one run to ``out_dir/history.jsonl`` (one line, written in a single call)."""
    path = Path(out_dir) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, default=str, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
    return path


def read(history=None) -> list[dict[str, Any]]:
    """The run history: a path (file or reports folder), a list of records, or ``None`` for
    ``$CMOKIT_REPORTS_DIR/history.jsonl`` (empty when there is none)."""
    if isinstance(history, list):
        return history
    if history is None:
        folder = os.environ.get("CMOKIT_REPORTS_DIR")
        if not folder:
            return []
        history = Path(folder) / FILE
    path = Path(history)
    if path.is_dir():
        path = path / FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a crash: skip it, keep the rest
    return out


def last_results(report: str, history=None, *, before_run_dir: str | None = None) -> dict[str, Any] | None:
    """The latest successful run of ``report`` that recorded results (``None`` when there is none)."""
    own = before_run_dir or os.environ.get("CMOKIT_RUN_DIR")
    runs = [r for r in read(history) if r.get("report") == report and r.get("status") == "ok" and r.get("results")
            and (own is None or r.get("run_dir") != own)]
    return max(runs, key=lambda r: r.get("started_at", "")) if runs else None


__all__ = ["FILE", "RESOLVED", "RESULTS", "append", "last_results", "read", "record", "record_resolved", "run_resolved",
           "run_results"]
