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
    "30_sleeps": ["import os, pathlib, time\npathlib.Path('30_sleeps.pid').write_text(str(os.getpid()))\ntime.sleep(600)"],
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


def _tiny_warehouse(path):
    """A small warehouse in the contract's shape with build metadata (used until the sample exists)."""
    import datetime as dt

    import duckdb

    from cmokit.warehouse.contract import CONTRACT

    con = duckdb.connect(str(path))
    for name, spec in CONTRACT.items():
        cols = ", ".join(f'"{c}" {t}' for c, t in spec.duckdb_schema().items())
        con.execute(f'CREATE TABLE "{name}" ({cols})')
    day0 = dt.datetime(2025, 10, 1)
    for i in range(40):
        con.execute("INSERT INTO customers VALUES (?, ?, 'DE', 'email', true)", [f"c{i}", day0 + dt.timedelta(days=i)])
        for k in range(1 + i % 3):
            con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, NULL)",
                        [f"o{i}-{k}", f"c{i}", day0 + dt.timedelta(days=i + 20 * k, hours=k), 10.5 + k])
    con.execute("INSERT INTO campaigns VALUES ('k1', 'Autumn', 'email', DATE '2025-10-01', DATE '2025-12-31', 1000)")
    con.execute("CREATE TABLE meta_loads (source_file VARCHAR, table_name VARCHAR, sha256 VARCHAR, rows_read BIGINT,"
                " rows_loaded BIGINT, rows_quarantined BIGINT, loaded_at TIMESTAMP)")
    con.execute("INSERT INTO meta_loads VALUES ('orders.csv', 'orders', 'ab', 82, 80, 2, ?),"
                " ('customers.csv', 'customers', 'cd', 40, 40, 0, ?)", [day0, day0])
    con.execute("CREATE TABLE meta_quarantine_summary (table_name VARCHAR, source_file VARCHAR, check_name VARCHAR,"
                " column_name VARCHAR, rows BIGINT)")
    con.execute("INSERT INTO meta_quarantine_summary VALUES ('orders', 'orders.csv', 'minimum', 'revenue', 2)")
    con.execute("CREATE TABLE meta_build (built_at TIMESTAMP, cmokit_version VARCHAR, now TIMESTAMP)")
    con.execute("INSERT INTO meta_build VALUES (?, '0.1.0', ?)", [day0, day0])
    con.close()
    return path


@pytest.fixture(scope="session")
def report_warehouse(request, tmp_path_factory):
    """The sample warehouse (the shared ``warehouse_path`` fixture) or, until it exists, a tiny one."""
    try:
        return request.getfixturevalue("warehouse_path")
    except pytest.FixtureLookupError:
        return _tiny_warehouse(tmp_path_factory.mktemp("wh") / "tiny.duckdb")


@pytest.fixture(scope="session")
def retail(tmp_path_factory):
    """The Online Retail II subset (tests/fixtures/online_retail) built through examples/online_retail/sources.yml:
    a real shop's sales, no marketing tables."""
    import datetime as dt
    from pathlib import Path

    from cmokit.warehouse.build import build

    root = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("retail") / "retail.duckdb"
    build(root / "tests" / "fixtures" / "online_retail", out, dev_key=True, force=True, now=dt.datetime(2011, 1, 1),
          sources=root / "examples" / "online_retail" / "sources.yml")
    return out
