"""The HTML page is self-contained: plotly inlined once, no external resources, code hidden by default."""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cmokit.reports.pages import PLOTLY_MIME, error_page, render

PROV = {"report": "10_demo", "title": "Demo", "parameters": {"days": 3}, "warehouse": None,
        "cmokit_version": "0.1.0", "seed": 1, "started_at": "2025-12-31T06:00:00+00:00", "run_key": "k"}


def _figure_notebook(n_figures=2):
    import plotly.graph_objects as go

    cells = [new_markdown_cell("# Demo\n\nSome *prose*.")]
    for i in range(n_figures):
        fig = go.Figure([go.Bar(x=["a", "b"], y=[i, i + 1]), go.Scatter(x=["a", "b"], y=[1, 2])])
        out = new_output("display_data", data={PLOTLY_MIME: fig.to_plotly_json(), "text/plain": "Figure"})
        cells.append(new_code_cell(f"SECRET_CODE_{i} = {i}", outputs=[out]))
    return new_notebook(cells=cells)


def test_plotly_is_inlined_once_and_nothing_is_fetched():
    from plotly.offline import get_plotlyjs

    page = render(_figure_notebook(2), PROV)
    assert page.count(get_plotlyjs()[:200]) == 1
    assert page.count("Plotly.newPlot(") == 2
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", page)


def test_code_is_hidden_unless_asked_for():
    nb = _figure_notebook(1)
    assert "SECRET_CODE_0" not in render(nb, PROV)
    assert "SECRET_CODE_0" in render(nb, PROV, show_code=True)


def test_provenance_and_title_head_the_page():
    page = render(_figure_notebook(0), PROV)
    assert page.index('id="provenance"') < page.index("report-body")
    assert "<title>Demo</title>" in page and "days" in page


def test_error_page_names_the_cell_and_the_error():
    err = {"cell": 3, "exec_count": 2, "source": "raise ValueError('boom')", "ename": "ValueError",
           "evalue": "boom", "traceback": "\x1b[31mValueError\x1b[0m: boom"}
    page = error_page(PROV, err, _figure_notebook(1))
    assert "Report failed in cell 3 (In [2])" in page
    assert "<strong>ValueError</strong>: boom" in page
    assert "\x1b" not in page and "raise ValueError(&#x27;boom&#x27;)" in page


def test_script_breaking_text_in_figures_is_escaped():
    nb = _figure_notebook(1)
    nb.cells[1].outputs[0]["data"][PLOTLY_MIME]["layout"]["title"] = {"text": "</script><script>alert(1)</script>"}
    page = render(nbformat.from_dict(nb), PROV)
    assert "</script><script>alert(1)" not in page
