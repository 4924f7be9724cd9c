"""Every notebook in notebooks/ follows the conventions and runs end to end on the sample warehouse.

Static checks (no kernel): a first code cell tagged ``parameters`` (the only one),
each line typed, commented and readable by papermill; no ``def``/``class``;
committed without outputs; listed in ``reports.yml``. Then the whole folder runs
through ``run-all`` once on the sample warehouse, and each HTML report is opened
in headless Chromium with the network blocked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import nbformat
import pytest
import yaml

from cmokit.reports.browser import chromium_path
from cmokit.reports.notebooks import lint, parse_parameters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
#: parameters that are a day (or a START/END window) and resolve to one when left empty
DATE_PARAMETERS = {"as_of", "start", "end", "migration_from", "test_start", "test_end", "window"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_follows_the_notebook_conventions(path):
    """Named NN_words, one typed and commented `parameters` cell first, no def/class/lambda, no outputs
    (the checks themselves are tested to fail on crafted notebooks in tests/reports/test_notebooks.py)."""
    nb = nbformat.read(path, as_version=4)
    assert lint(nb, path.name) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_papermill_reads_the_same_parameters(path):
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    params = parse_parameters(nb, path.name)
    theirs = list(pm.inspect_notebook(str(path)))
    assert theirs == [p.name for p in params], (
        f"{path.name}: papermill cannot read {sorted(set(p.name for p in params) - set(theirs))}; "
        "keep `=` out of the comment (papermill splits the line on it)")


def test_manifest_lists_every_notebook():
    manifest = yaml.safe_load((ROOT / "reports.yml").read_text())
    listed = {entry["notebook"] for entry in manifest["reports"]}
    assert listed == set(IDS), f"reports.yml differs from notebooks/: missing {set(IDS) - listed}, extra {listed - set(IDS)}"


def _selected(session) -> list[str]:
    """The notebooks whose end-to-end test was selected (``-k 05_``); every one when a test needing
    them all (the browser check) was selected."""
    names = []
    for item in session.items:
        if item.module.__name__ != __name__ or "executed" not in getattr(item, "fixturenames", ()):
            continue
        name = getattr(item, "callspec", None) and item.callspec.params.get("name")
        if not name:
            return IDS
        names.append(name)
    return [n for n in IDS if n in names] or IDS


@pytest.fixture(scope="module")
def executed(warehouse_path, tmp_path_factory, request):
    """The selected notebooks, run once through run-all on the sample warehouse (defaults, 2 at a time)."""
    from cmokit.reports.batch import run_all

    manifest = tmp_path_factory.mktemp("manifest") / "all.yml"
    manifest.write_text(yaml.safe_dump({"reports": [{"notebook": name} for name in _selected(request.session)]}))
    out = tmp_path_factory.mktemp("reports")
    batch = run_all(manifest, jobs=2, warehouse=warehouse_path, notebooks=ROOT / "notebooks", out_dir=out,
                    timeout_s=900, progress=False)
    return {r.report: r for r in batch.results}


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_runs_end_to_end_on_the_sample(executed, name):
    result = executed[name]
    err = result.error or {}
    assert result.ok, f"{name} {result.status} in {err.get('where') or err.get('cell')}: {err.get('ename')}: {err.get('evalue')}"
    from cmokit.reports.notebooks import raw_outputs

    nb = nbformat.read(result.notebook, as_version=4)
    assert raw_outputs(nb, name) == []
    texts = [str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
             for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    warned = [t[:300] for t in texts if "FutureWarning" in t or "DeprecationWarning" in t]
    assert warned == [], f"{name} calls deprecated cmokit API (update the call site): {warned[:2]}"
    # a date left empty is recorded as the date the report used (provenance.json and the provenance box)
    prov = json.loads((Path(result.run_dir) / "provenance.json").read_text())
    empty_dates = [k for k, v in prov["effective"].items() if v == "" and k in DATE_PARAMETERS]
    assert empty_dates, f"{name}: no date parameter left empty by default"
    resolved = prov.get("resolved", {})
    for k in empty_dates:
        for day in str(resolved.get(k, "")).split("/"):
            assert dt.date.fromisoformat(day) <= dt.date(2026, 1, 1), (name, k, resolved)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="needs chromium (apt-get install -y chromium)")
def test_reports_work_offline_in_chromium(executed):
    from cmokit.reports.browser import inspect

    ok = [r for r in executed.values() if r.ok]
    # CMOKIT_SCREENSHOTS=DIR keeps a full-page PNG of every report, to compare by eye
    for result, page in zip(ok, inspect([r.html for r in ok], screenshots=os.environ.get("CMOKIT_SCREENSHOTS"))):
        assert page["js_errors"] == [], f"{result.report}: {page['js_errors'][:3]}"
        assert page["blocked"] == [], f"{result.report} tried to fetch {page['blocked'][:3]}"
        assert page["provenance"], f"{result.report}: no provenance block"
        for chart in page["charts"]:
            assert chart["traces"] > 0, f"{result.report}: chart {chart['id']} has no trace"
            assert chart["drawn"] == chart["traces"], f"{result.report}: chart {chart['id']} has empty traces"
