"""The Chromium check itself: it sees empty charts, script errors and requests leaving the page."""

from __future__ import annotations

import pytest

from cmokit.reports.browser import chromium_path, inspect
from cmokit.reports.pages import page, render
from tests.reports.test_pages import PROV, _figure_notebook

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(chromium_path() is None, reason="needs chromium (apt-get install -y chromium)")]


def test_empty_traces_errors_and_outside_requests_are_seen(tmp_path):
    import plotly.graph_objects as go

    nb = _figure_notebook(1)
    empty = go.Figure([go.Scatter(x=[], y=[]), go.Heatmap(z=[[1, 2], [3, 4]])]).to_plotly_json()
    nb.cells[1].outputs[0]["data"]["application/vnd.plotly.v1+json"] = empty
    good = tmp_path / "good.html"
    good.write_text(render(nb, PROV))
    bad = tmp_path / "bad.html"
    bad.write_text(page("Bad", "<img src='https://example.com/x.png'><script>undefinedFunction()</script>", PROV))
    seen_good, seen_bad = inspect([good, bad])
    assert seen_good["charts"][0]["traces"] == 2 and seen_good["charts"][0]["drawn"] == 1
    assert seen_good["js_errors"] == [] and seen_good["provenance"]
    assert seen_bad["blocked"] == ["https://example.com/x.png"]
    assert any("undefinedFunction" in e for e in seen_bad["js_errors"])
