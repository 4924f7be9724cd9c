"""Test-only report notebooks, built with nbformat into a temporary folder."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PARAMS = 'days: int = 7  # window in days\nlabel: str = "demo"  # a label\nseed: int = 1  # random seed'

BODIES = {
    "10_ok": [
        "import pandas as pd\nimport plotly.graph_objects as go",
        "frame = pd.DataFrame({'day': list(range(days)), 'rows': [d * 2 for d in range(days)]})\nframe",
        "go.Figure([go.Bar(x=frame['day'], y=frame['rows'], name=label), go.Scatter(x=frame['day'], y=frame['rows'])])",
    ],
    "20_raises": ["x = days + 1", "raise ValueError(f'planted failure for {label}')", "print('never')"],
    "30_sleeps": ["import time\ntime.sleep(600)"],
    "40_kernel_dies": ["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"],
}


def make_notebook(path, body, params=PARAMS, tag=True):
    cell = new_code_cell(params)
    if tag:
        cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# Test report {path.stem}"), cell]
                      + [new_code_cell(src) for src in body])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def test_notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    for name, body in BODIES.items():
        make_notebook(folder / f"{name}.ipynb", body)
    return folder
