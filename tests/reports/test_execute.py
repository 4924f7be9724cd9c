"""One report run: pre-flight refusal, provenance of the warehouse, hostile parameter values."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import cmokit
from cmokit.errors import ConfigError
from cmokit.warehouse.connect import file_sha256
from cmokit.warehouse.contract import CONTRACT

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
HOSTILE = "x'; DROP TABLE orders; --"


def test_bad_parameters_are_refused_before_any_kernel_starts(test_notebooks, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("a kernel was started"))
    for bad in ({"nope": 1}, {"days": "ten"}, {"days": 1.5}):
        with pytest.raises(ConfigError):
            cmokit.reports.run("10_ok", bad, notebooks=test_notebooks, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_provenance_matches_the_warehouse_file(report_warehouse):
    from cmokit.reports.provenance import collect, to_html

    prov = collect("00_data_health", {"days": 5}, warehouse=report_warehouse, seed=7)
    snap = prov["warehouse"]
    assert snap["sha256"] == file_sha256(report_warehouse)
    con = duckdb.connect(str(report_warehouse), read_only=True)
    for name, info in snap["tables"].items():
        assert info["rows"] == con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        column = CONTRACT[name].time_column
        if column and info["rows"]:
            latest = con.execute(f'SELECT max("{column}") FROM "{name}"').fetchall()[0][0]
            assert pd.Timestamp(latest) == pd.Timestamp(info["latest"])
    con.close()
    assert prov["seed"] == 7 and prov["cmokit_version"] == cmokit.__version__
    box = to_html(prov)
    assert snap["sha256"] in box and "orders" in box


def test_hostile_parameter_changes_nothing_and_fails_clearly(report_warehouse, tmp_path):
    before = file_sha256(report_warehouse)
    result = cmokit.reports.run("00_data_health", {"as_of": HOSTILE}, warehouse=report_warehouse,
                                notebooks=NOTEBOOKS, out_dir=tmp_path)
    assert file_sha256(report_warehouse) == before
    assert result.status == "failed"
    assert result.error["ename"] == "ConfigError" and "as_of must be a date" in result.error["evalue"]
    assert "as_of must be a date" in Path(result.html).read_text()
    con = duckdb.connect(str(report_warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM orders").fetchall()[0][0] > 0
    con.close()
    written = json.loads((Path(result.run_dir) / "result.json").read_text())
    assert written["parameters"]["as_of"] == HOSTILE


def test_hostile_value_in_a_typed_parameter_is_refused_up_front(tmp_path):
    with pytest.raises(ConfigError, match="expects int"):
        cmokit.reports.run("00_data_health", {"days": HOSTILE}, notebooks=NOTEBOOKS, out_dir=tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="the ipc transport is POSIX only")
def test_the_report_kernel_is_reached_over_unix_sockets_not_tcp_ports(tmp_path):
    """Report kernels use jupyter_client's ipc transport: no localhost port to collide with a kernel
    starting beside it (a run-all flake), nothing listening on the network."""
    assert _kernel_transport(tmp_path) == "ipc"


def test_a_temporary_folder_too_deep_for_unix_sockets_keeps_tcp(tmp_path, monkeypatch):
    """With a $TMPDIR so long that socket paths would pass the OS limit, the report still runs (on TCP)."""
    import tempfile

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert _kernel_transport(tmp_path) == "tcp"


def _kernel_transport(tmp_path) -> str:
    """Run a one-cell report that writes its kernel's transport ("ipc" or "tcp") and return it."""
    from tests.reports.conftest import make_notebook

    folder = tmp_path / "notebooks"
    folder.mkdir()
    make_notebook(folder / "10_transport.ipynb", [
        "import ipykernel.connect, pathlib\n"
        "info = ipykernel.connect.get_connection_info(unpack=True)\n"
        "pathlib.Path('transport.txt').write_text(info['transport'])"])
    result = cmokit.reports.run("10_transport", notebooks=folder, out_dir=tmp_path / "out")
    assert result.ok, result.error
    return (folder / "transport.txt").read_text()
