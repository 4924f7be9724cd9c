"""Executed notebook -> one self-contained HTML page (works offline).

nbconvert's ``basic`` template renders the cells (no ``<head>``, so none of the
lab template's CDN scripts: require.js, MathJax); this module wraps them in a
cmokit page with an inline stylesheet, the provenance box at the top, and
plotly.js inlined once. Plotly figures arrive as the
``application/vnd.plotly.v1+json`` mime bundle (the runner sets
``PLOTLY_RENDERER=plotly_mimetype``) and are turned into a ``<div>`` plus a
``Plotly.newPlot`` call, so charts stay interactive and no request leaves the
page. Code cells are hidden unless ``show_code``.

A failed run gets :func:`error_page`: the cell that failed (number, source),
the error name and message, the traceback, then whatever ran before it. A
report whose data is missing gets :func:`explained_page`: what it needs, what
the warehouse has, and the ``sources.yml`` entry that would provide it.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path
from typing import Any

from cmokit.reports.provenance import to_html as provenance_html

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

STYLE = """
:root { --ink:#1d2433; --muted:#6b7280; --line:#e5e7eb; --accent:#1f4e79; --bg:#f6f7f9;
        --ok:#1e7b4a; --fail:#b42318; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:15px/1.55 Inter, "Segoe UI", Helvetica, Arial, sans-serif; }
header.top { background:var(--accent); color:white; padding:22px 40px 18px; }
header.top h1 { margin:0 0 4px; font-size:26px; font-weight:600; color:white; }
header.top .sub { opacity:.85; font-size:13px; }
.badge { display:inline-block; padding:1px 9px; border-radius:10px; font-size:12px; font-weight:600;
         background:#e8f5ee; color:var(--ok); margin-left:8px; }
.badge.failed, .badge.timeout, .badge.killed { background:#fdecea; color:var(--fail); }
.badge.explained { background:#eef2f8; color:var(--accent); }
.card.explained { border-left:4px solid var(--accent); }
.card.explained h2 { margin-top:4px; border:0; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 60px; }
.card { background:white; border:1px solid var(--line); border-radius:10px; padding:18px 24px; margin:0 0 18px; }
details.provenance { background:white; border:1px solid var(--line); border-left:4px solid var(--accent);
                     border-radius:10px; padding:12px 20px; margin:0 0 22px; font-size:13px; }
details.provenance summary { cursor:pointer; font-weight:600; color:var(--accent); }
.prov-grid { display:grid; grid-template-columns: 1fr 1fr 1.6fr; gap:20px; margin-top:10px; }
.prov-grid h3 { margin:0 0 6px; font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
table.kv { border-collapse:collapse; width:100%; }
table.kv th, table.kv td { text-align:left; padding:2px 8px 2px 0; vertical-align:top; word-break:break-all; }
table.kv th { color:var(--muted); font-weight:500; white-space:nowrap; }
table.kv.tables { margin-top:8px; }
.num { text-align:right; font-variant-numeric: tabular-nums; }
.muted { color:var(--muted); }
.jp-Cell, .cell { margin:0 0 14px; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display:none; }
.anchor-link { display:none; }
.jp-RenderedMarkdown, .text_cell_render { max-width:860px; }
h1, h2, h3 { color:var(--ink); } h2 { margin-top:30px; border-bottom:1px solid var(--line); padding-bottom:4px; }
table.dataframe { border-collapse:collapse; font-size:13px; margin:6px 0 12px; background:white; }
table.dataframe th, table.dataframe td { border-bottom:1px solid var(--line); padding:5px 10px; text-align:right; }
table.dataframe thead th { background:#f1f3f6; border-bottom:2px solid #cfd5dd; }
table.dataframe tbody tr:hover { background:#fafbfc; }
.jp-OutputArea-output pre, pre { background:#f8f9fb; border:1px solid var(--line); border-radius:6px;
       padding:10px 12px; overflow-x:auto; font-size:12.5px; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre { background:#fff8e6; }
.plotly-figure { background:white; border:1px solid var(--line); border-radius:10px; padding:6px; margin:8px 0 16px; }
.error-box { background:#fff5f4; border:1px solid #f3c3bd; border-left:4px solid var(--fail);
             border-radius:10px; padding:14px 20px; margin:0 0 22px; }
.error-box h2 { margin:0 0 6px; border:0; color:var(--fail); font-size:18px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:20px; }
"""


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _script_json(obj) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(obj, default=str).replace("</", "<\\/")


def _figure_html(spec: dict[str, Any]) -> str:
    div = f"cmokit-fig-{uuid.uuid4().hex[:12]}"
    config = {"responsive": True, "displaylogo": False, **(spec.get("config") or {})}
    height = int((spec.get("layout") or {}).get("height") or 460)
    return (
        f'<div class="plotly-figure"><div id="{div}" class="plotly-graph-div" style="height:{height}px;width:100%"></div></div>'
        f'<script type="text/javascript">Plotly.newPlot("{div}", {_script_json(spec.get("data", []))}, '
        f'{_script_json(spec.get("layout", {}))}, {_script_json(config)});</script>'
    )


def inline_figures(nb) -> int:
    """Replace plotly mime bundles in ``nb`` by static-page figures; returns how many."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") if out.get("output_type") in ("display_data", "execute_result") else None
            if data and PLOTLY_MIME in data:
                out["data"] = {"text/html": _figure_html(data[PLOTLY_MIME])}
                count += 1
            elif data and "text/html" in data and "Plotly.newPlot" in data["text/html"]:
                count += 1  # already an HTML figure (e.g. a non-mimetype renderer)
    return count


def _tidy(nb) -> None:
    """Drop papermill's error banner cells and the notebook's own title (the page header shows it)."""
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and first.source.startswith("# "):
        first.source = first.source.split("\n", 1)[1] if "\n" in first.source else ""


def render_cells(nb, show_code: bool = False) -> tuple[str, int]:
    """The notebook body as HTML (nbconvert ``basic`` template) and the number of figures."""
    import copy

    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _tidy(nb)
    figures = inline_figures(nb)
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    return body, figures


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def page(title: str, body: str, prov: dict[str, Any], status: str = "ok", figures: int = 0,
         show_code: bool = False, before: str = "") -> str:
    """A full, self-contained HTML page around ``body``."""
    js = f'<script type="text/javascript">{_plotly_js()}</script>' if figures else ""
    css = STYLE + (_pygments_css() if show_code else "")
    sub = f"{html.escape(prov.get('report', ''))} · run {html.escape(str(prov.get('run_key', '')))}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='cmokit {html.escape(str(prov.get('cmokit_version', '')))}'>"
        f"<title>{html.escape(title)}</title><style>{css}</style>{js}</head><body>"
        f"<header class='top'><h1>{html.escape(title)}<span class='badge {html.escape(status)}'>"
        f"{html.escape(status)}</span></h1><div class='sub'>{sub}</div></header>"
        f"<main>{before}{provenance_html(prov)}<div class='report-body'>{body}</div></main>"
        "<footer>Generated by cmokit · self-contained, works offline</footer></body></html>"
    )


def render(nb, prov: dict[str, Any], show_code: bool = False) -> str:
    """The HTML report of a successfully executed notebook."""
    body, figures = render_cells(nb, show_code)
    return page(prov.get("title") or prov.get("report", "report"), body, prov, "ok", figures, show_code)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text or "")


def error_box(error: dict[str, Any]) -> str:
    """The box naming the failed cell and the error."""
    where = error.get("where") or (
        f"cell {error['cell']}" + (f" (In [{error['exec_count']}])" if error.get("exec_count") else "")
        if error.get("cell") is not None else "the run"
    )
    parts = [f"<div class='error-box' id='error'><h2>Report failed in {html.escape(where)}</h2>",
             f"<p><strong>{html.escape(error.get('ename') or 'Error')}</strong>: "
             f"{html.escape(strip_ansi(error.get('evalue') or ''))}</p>"]
    if error.get("source"):
        parts.append(f"<h3>Cell source</h3><pre>{html.escape(error['source'])}</pre>")
    if error.get("traceback"):
        parts.append(f"<details><summary>Traceback</summary><pre>{html.escape(strip_ansi(error['traceback']))}</pre></details>")
    parts.append("</div>")
    return "".join(parts)


def error_page(prov: dict[str, Any], error: dict[str, Any], nb=None, status: str = "failed") -> str:
    """An HTML page for a failed run: the failing cell and error first, then the partial output."""
    body, figures = render_cells(nb, show_code=True) if nb is not None else ("", 0)
    title = prov.get("title") or prov.get("report", "report")
    return page(title, body, prov, status, figures, show_code=True, before=error_box(error))


def explained_page(prov: dict[str, Any], unmet, currency: str | None = None) -> str:
    """The page of a report that did not run because the warehouse lacks data it needs."""
    from cmokit.reports.needs import explanation_html

    title = prov.get("title") or prov.get("report", "report")
    return page(title, "", prov, "explained", before=explanation_html(list(unmet), currency))


def write(path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


__all__ = ["error_page", "explained_page", "inline_figures", "page", "render", "render_cells", "write"]
