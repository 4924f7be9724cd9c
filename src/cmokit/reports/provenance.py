"""Provenance of a report run: what produced these numbers.

Recorded before the kernel starts and shown at the top of every report (and in
``provenance.json`` beside it): the parameters, the warehouse snapshot (rows
per table, latest timestamp, sha256 of the file, via
:func:`cmokit.warehouse.snapshot`), the cmokit version, the random seed and the
run time.

>>> from cmokit.reports.provenance import collect, to_html
>>> prov = collect("00_data_health", {"days": 30}, warehouse=None)
>>> prov["parameters"], prov["warehouse"]
({'days': 30}, None)
>>> collect("r", {"days": 30}, defaults={"days": 90, "as_of": ""})["effective"]
{'days': 30, 'as_of': ''}
>>> 'class="provenance"' in to_html(prov)
True

A parameter left empty shows what the run made of it (:func:`cmokit.reports.history.record_resolved`):

>>> prov = dict(collect("r", {}, defaults={"as_of": ""}), resolved={"as_of": "2025-12-28"})
>>> "2025-12-28 <span class=muted>(resolved from the default)</span>" in to_html(prov)
True
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def warehouse_snapshot(path) -> dict[str, Any] | None:
    """Snapshot of the warehouse file at ``path`` (opened read-only), or an error note."""
    if not path:
        return None
    import cmokit

    try:
        with cmokit.connect(str(path)) as wh:
            return cmokit.warehouse.snapshot(wh)
    except Exception as exc:  # provenance must never stop the report from being written
        return {"path": str(path), "error": f"{type(exc).__name__}: {exc}"}


def collect(report: str, parameters: dict[str, Any], warehouse=None, seed: int | None = None,
            title: str | None = None, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Provenance record of one run (a JSON-serialisable dict).

    ``parameters`` are the values passed; ``defaults`` the notebook's own, so the
    record holds every value the run used (``effective``).
    """
    import cmokit

    return {
        "report": report,
        "title": title or report,
        "parameters": dict(parameters),
        "effective": {**(defaults or {}), **parameters},
        "warehouse": warehouse_snapshot(warehouse),
        "cmokit_version": cmokit.__version__,
        "seed": seed,
        "started_at": _now(),
    }


def _cell(value) -> str:
    if value is None or value in ("", "NaT", "nan", "None"):  # an empty table's latest timestamp
        return '<span class="muted">—</span>'
    if isinstance(value, str):
        return html.escape(value)
    return html.escape(json.dumps(value, default=str))


def _rows(pairs) -> str:
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in pairs)


def to_html(prov: dict[str, Any]) -> str:
    """The provenance box shown at the top of a report."""
    run = [("cmokit", prov.get("cmokit_version")), ("seed", prov.get("seed")),
           ("started (UTC)", prov.get("started_at")), ("finished (UTC)", prov.get("finished_at")),
           ("duration (s)", prov.get("duration_s"))]
    passed = prov.get("parameters", {})
    effective = prov.get("effective") or passed
    resolved = prov.get("resolved") or {}

    def param(k, v) -> str:
        if k in resolved and resolved[k] != v:  # left empty: show what the run used
            how = "resolved from the default" if k not in passed else "resolved"
            return f"{_cell(resolved[k])} <span class=muted>({how})</span>"
        return f"{_cell(v)}{'' if k in passed else ' <span class=muted>(default)</span>'}"

    params = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{param(k, v)}</td></tr>" for k, v in effective.items()
    ) or '<tr><td class="muted">none</td></tr>'
    snap = prov.get("warehouse") or {}
    wh = [("file", snap.get("path")), ("sha256", snap.get("sha256")), ("modified (UTC)", snap.get("modified_at"))]
    if snap.get("error"):
        wh.append(("error", snap["error"]))
    tables = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='num'>{info.get('rows', 0):,}</td>"
        f"<td>{_cell(info.get('latest'))}</td></tr>"
        for name, info in snap.get("tables", {}).items()
    )
    table_block = (
        "<table class='kv tables'><thead><tr><th>table</th><th>rows</th><th>latest</th></tr></thead>"
        f"<tbody>{tables}</tbody></table>" if tables else ""
    )
    return (
        '<details class="provenance" id="provenance" open><summary>Provenance</summary>'
        '<div class="prov-grid">'
        f"<section><h3>Run</h3><table class='kv'>{_rows(run)}</table></section>"
        f"<section><h3>Parameters</h3><table class='kv'>{params}</table></section>"
        f"<section><h3>Warehouse</h3><table class='kv'>{_rows(wh)}</table>{table_block}</section>"
        "</div></details>"
    )


__all__ = ["collect", "to_html", "warehouse_snapshot"]
