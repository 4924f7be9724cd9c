"""Open HTML reports in headless Chromium with the network blocked and inspect them.

Used by the test suite and by IT to check a report before publishing it:
:func:`inspect` loads a file with every non-``file:`` request aborted and
returns the JavaScript errors, the blocked requests, whether the provenance
block is present, and how many traces each plotly chart drew.

Needs the ``playwright`` Python package and a Chromium binary (Debian:
``apt-get install -y chromium``, found at ``/usr/bin/chromium``; or set
``$CMOKIT_CHROMIUM``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-default-apps", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]

# Per chart: its traces, and how many of them plotly drew with data: visible (plotly hides a
# trace without data) and with computed points in its calcdata (an empty trace gets at most a
# placeholder point {x: false, y: false}; sankey, pie, heatmap... keep their own shapes there).
_COUNT_TRACES = """() => {
  const placeholder = cd => cd.length === 1 && cd[0] && cd[0].x === false && cd[0].y === false;
  return Array.from(document.querySelectorAll('.js-plotly-plot, .plotly-graph-div')).map(el => {
    const full = el._fullData || [];
    const cd = el.calcdata || [];
    const drawn = full.filter((t, i) => t.visible === true && (cd[i] || []).length > 0 && !placeholder(cd[i]));
    return {id: el.id, traces: (el.data || []).length, drawn: drawn.length};
  });
}"""


def chromium_path() -> str | None:
    """The Chromium binary: ``$CMOKIT_CHROMIUM``, then ``chromium`` / ``chromium-browser`` on PATH."""
    return os.environ.get("CMOKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def inspect(paths, timeout_ms: int = 30000, screenshots=None) -> list[dict[str, Any]]:
    """Load each HTML file offline and report what the browser saw.

    Returns one dict per file: ``path``, ``js_errors`` (uncaught exceptions and
    console errors), ``blocked`` (requests that tried to leave the page),
    ``provenance`` (bool), ``charts`` (list of ``{id, traces, drawn}``: the chart's traces
    and how many of them plotly drew with data). With ``screenshots`` (a folder), each page is
    also saved as a full-page PNG named after its report (``screenshot`` in the dict).
    """
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
        try:
            for path in paths:
                out.append(_inspect_one(browser, Path(path).resolve(), timeout_ms, screenshots))
        finally:
            browser.close()
    return out


def _inspect_one(browser, path: Path, timeout_ms: int, screenshots=None) -> dict[str, Any]:
    context = browser.new_context(offline=True)
    page = context.new_page()
    errors: list[str] = []
    blocked: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load", timeout=timeout_ms)
    page.wait_for_timeout(300)  # let plotly finish its first draw
    charts = page.evaluate(_COUNT_TRACES)
    provenance = page.locator("#provenance").count() == 1
    shot = None
    if screenshots is not None:
        name = path.parent.parent.name if path.name == "report.html" else path.stem
        shot = Path(screenshots) / f"{name}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    context.close()
    return {"path": str(path), "js_errors": errors, "blocked": blocked, "provenance": provenance, "charts": charts,
            "screenshot": str(shot) if shot else None}


def print_pdf(html, pdf=None, timeout_ms: int = 60000) -> Path:
    """Print an HTML report to PDF (A4, backgrounds on) with the same offline headless Chromium.

    ``pdf`` defaults to the HTML path with a ``.pdf`` suffix. Charts are drawn before printing;
    the network stays blocked, as in :func:`inspect`.
    """
    from playwright.sync_api import sync_playwright

    html = Path(html).resolve()
    pdf = Path(pdf) if pdf is not None else html.with_suffix(".pdf")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(html.as_uri(), wait_until="load", timeout=timeout_ms)
            page.wait_for_timeout(500)  # let plotly finish its first draw
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", print_background=True,
                     margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
            context.close()
        finally:
            browser.close()
    return pdf


__all__ = ["chromium_path", "inspect", "print_pdf"]
