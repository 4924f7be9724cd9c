"""run-all: one failure, one hang and one dead kernel each get an error page; the rest succeed."""

from __future__ import annotations

import json

import pytest
import yaml

from cmokit.reports.batch import read_manifest, run_all
from cmokit.reports.browser import chromium_path
from cmokit.reports.cli import main


@pytest.fixture(scope="module")
def batch(test_notebooks, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    manifest = out / "reports.yml"
    manifest.write_text(yaml.safe_dump({"defaults": {"timeout_s": 120}, "reports": [
        {"notebook": "10_ok", "parameters": {"days": 4, "label": "first"}},
        {"notebook": "20_raises"},
        {"notebook": "30_sleeps", "timeout_s": 20},  # room for a kernel start on a loaded machine
        {"notebook": "40_kernel_dies"},
        {"notebook": "10_ok", "parameters": {"days": "many"}},
        {"notebook": "10_ok", "parameters": {"days": 2, "label": "second"}},
    ]}))
    events = []
    result = run_all(manifest, jobs=2, notebooks=test_notebooks, out_dir=out, progress=False,
                     on_event=lambda kind, name, payload: events.append((kind, name)))
    return result, events


def test_failures_do_not_stop_the_others(batch):
    result, _ = batch
    assert [r.status for r in result.results] == ["ok", "failed", "timeout", "killed", "failed", "ok"]
    assert not result.ok and len(result.failed) == 4


def test_each_failure_names_its_cell_and_error(batch, test_notebooks):
    import psutil

    result, _ = batch
    raised, slept, died, invalid = result.results[1:5]
    assert raised.error["ename"] == "ValueError" and "planted failure for demo" in raised.error["evalue"]
    page = open(raised.html).read()
    assert "Report failed in cell" in page and "raise ValueError" in page
    assert slept.error["ename"] == "Timeout" and "20 s" in slept.error["evalue"]
    assert 20 <= slept.duration_s < 120
    kernel_pid = int((test_notebooks / "30_sleeps.pid").read_text())  # written by the hung kernel itself
    assert not psutil.pid_exists(kernel_pid) or psutil.Process(kernel_pid).status() == psutil.STATUS_ZOMBIE
    assert died.error["ename"] == "DeadKernelError"
    assert "parameters" in invalid.error["where"] and "expects int" in invalid.error["evalue"]
    for r in (raised, slept, died, invalid):
        assert "class='error-box'" in open(r.html).read()


def test_parameters_reach_the_notebook(batch):
    import nbformat

    first, last = batch[0].results[0], batch[0].results[-1]
    nb = nbformat.read(first.notebook, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "days = 4" in injected.source and 'label = "first"' in injected.source
    assert nb.metadata["cmokit"]["provenance"]["parameters"] == {"days": 4, "label": "first"}
    assert last.parameters == {"days": 2, "label": "second"} and last.run_dir != first.run_dir


def test_index_lists_every_report_with_status_parameters_duration_and_link(batch, tmp_path):
    result, events = batch
    page = result.index.read_text()
    for r in result.results:
        link = r.html.split(str(result.index.parent) + "/", 1)[1]
        assert f"href='{link}'" in page
    assert page.count("<tr class=") == 6 and "2 of 6 reports ok" in page
    assert "days=4" in page and "label=&#x27;first&#x27;" in page
    assert len(json.loads((result.index.parent / "index.json").read_text())) == 6
    assert sorted(k for k, _ in events) == ["done"] * 5 + ["start"] * 5


def test_manifest_without_reports_list_is_a_clear_error(tmp_path):
    from cmokit.errors import ConfigError

    bad = tmp_path / "reports.yml"
    bad.write_text("defaults: {}\n")
    with pytest.raises(ConfigError, match="needs a `reports:` list"):
        read_manifest(bad)


def test_cli_exit_status(test_notebooks, tmp_path, capsys):
    args = ["--notebooks", str(test_notebooks), "--out", str(tmp_path)]
    assert main(["report", "run", "10_ok", "-p", "bogus", "1", *args]) == 2
    assert "unknown parameter 'bogus'" in capsys.readouterr().err
    manifest = tmp_path / "m.yml"
    manifest.write_text(yaml.safe_dump({"reports": [{"notebook": "10_ok", "parameters": {"days": "x"}}]}))
    assert main(["report", "run-all", "--manifest", str(manifest), *args]) == 1
    assert "0/1 reports ok" in capsys.readouterr().out
    assert main(["report", "list", "--notebooks", str(test_notebooks)]) == 0
    assert "days: int = 7  # window in days" in capsys.readouterr().out


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="needs chromium (apt-get install -y chromium)")
def test_pages_work_offline_in_chromium(batch):
    from cmokit.reports.browser import inspect

    result, _ = batch
    seen = inspect([r.html for r in result.results] + [result.index])
    for page in seen:
        assert page["js_errors"] == [] and page["blocked"] == [], page["path"]
    assert all(p["provenance"] for p in seen[:-1])
    ok_pages = [seen[0], seen[5]]
    for page in ok_pages:
        assert [(c["traces"], c["drawn"]) for c in page["charts"]] == [(2, 2)]


def test_live_board_shows_running_done_and_failed():
    from rich.console import Console

    from cmokit.reports.batch import _Board
    from cmokit.reports.execute import RunResult

    def done(name, status, seconds):
        return RunResult(name, status, "", "", "", duration_s=seconds)

    board = _Board(["00_a", "10_b", "20_c", "30_d"], [None, None, None, done("30_d", "failed", 0.0)])
    board.update(0, "start", None)
    board.update(1, "start", None)
    board.update(1, "done", done("10_b", "ok", 3.2))
    board.update(2, "start", None)
    board.update(2, "done", done("20_c", "timeout", 20.4))
    console = Console(record=True, width=100)
    console.print(board.table())
    text = console.export_text()
    lines = {line.split()[1]: line for line in text.splitlines() if line.strip().startswith("│ ")
             and len(line.split()) > 2 and line.split()[1][:2].isdigit()}
    assert "running" in lines["00_a"]
    assert "ok (3 s)" in lines["10_b"] and "timeout (20 s)" in lines["20_c"]
    assert "failed (parameters)" in lines["30_d"]



@pytest.mark.parametrize("deaths, status", [(1, "ok"), (2, "killed")])
def test_a_kernel_that_dies_starting_is_started_again(tmp_path, monkeypatch, deaths, status):
    """jupyter_client's "Kernel died before replying to kernel_info" (no cell ran; kernels starting side
    by side can collide) gets one more start; a second such death is reported as a killed kernel."""
    import papermill

    from cmokit.reports.execute import run
    from tests.reports.conftest import make_notebook

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    make_notebook(nbs / "50_twice.ipynb", ["x = 1"])
    real, calls = papermill.execute_notebook, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= deaths:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    result = run("50_twice", notebooks=nbs, out_dir=tmp_path / "out")
    assert result.status == status and len(calls) == 2
