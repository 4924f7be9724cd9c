"""run-all and run pass report kernels only the environment they need (issue 13, item 7)."""

from __future__ import annotations

import json

import yaml

from cmokit.reports.batch import run_all
from cmokit.reports.execute import run
from tests.reports.conftest import make_notebook

BODY = ["import json, os, pathlib\npathlib.Path(f'env-{label}.json').write_text(json.dumps(dict(os.environ)))"]


def test_the_pseudonymisation_key_and_other_secrets_never_reach_a_kernel(tmp_path, monkeypatch):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    make_notebook(nbs / "50_env.ipynb", BODY)
    monkeypatch.setenv("CMOKIT_PSEUDONYM_KEY", "a-long-production-secret-1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-notebooks")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    manifest = tmp_path / "reports.yml"
    manifest.write_text(yaml.safe_dump({"reports": [{"notebook": "50_env", "parameters": {"label": "batch"}}]}))
    result = run_all(manifest, jobs=1, notebooks=nbs, out_dir=tmp_path / "out", progress=False)
    assert [r.status for r in result.results] == ["ok"], result.results
    single = run("50_env", {"label": "single"}, notebooks=nbs, out_dir=tmp_path / "out")
    assert single.ok, single.error
    for label in ("batch", "single"):
        env = json.loads((nbs / f"env-{label}.json").read_text())
        assert "CMOKIT_PSEUDONYM_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
        assert env["LC_ALL"] == "C.UTF-8" and env["PLOTLY_RENDERER"] == "plotly_mimetype" and "PATH" in env
    # the caller's own environment is restored after an in-process run
    import os

    assert os.environ["CMOKIT_PSEUDONYM_KEY"] == "a-long-production-secret-1234"
