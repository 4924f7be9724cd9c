"""The repository stands alone: what a user who clones it needs is inside it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

import cmokit
from tests.test_packaging import ROOT, _pyproject
from tests.test_packaging import _name as _requirement_name


def _name(req: str) -> str:
    return _requirement_name(req).replace("_", "-")


def test_readme_and_docs_do_not_point_outside_the_repository():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "../shared" not in path.read_text(), path
    readme = (ROOT / "README.md").read_text()
    for page in ("docs/design.md", "docs/contract.md", "docs/metrics.md"):
        assert f"]({page})" in readme and (ROOT / page).is_file(), page


def test_license_is_the_one_pyproject_names():
    assert _pyproject()["project"]["license"]["text"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the cmokit authors" in text


def test_changelog_has_an_unreleased_section():
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


def test_version_is_written_once():
    p = _pyproject()
    assert "version" not in p["project"] and "version" in p["project"]["dynamic"]
    assert p["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cmokit.__version__"}
    from importlib.metadata import version

    assert version("cmokit") == cmokit.__version__
    cli = subprocess.run([sys.executable, "-m", "cmokit.cli", "--version"], capture_output=True, text=True)
    assert cmokit.__version__ in cli.stdout


def test_analysts_environment_has_no_test_only_tools():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    names = {_name(r) for r in pip}
    assert not names & {"pyspark", "playwright"}
    test_only = {_name(r) for r in _pyproject()["project"]["optional-dependencies"]["test"]}
    assert {"pyspark", "playwright"} <= test_only


def test_lock_pins_every_extra_the_makefile_installs():
    p = _pyproject()["project"]
    lock = (ROOT / "requirements.lock").read_text().lower()
    pinned = set(re.findall(r"^([a-z0-9_.\-]+)==", lock, flags=re.M))
    for extra in ("dev", "test", "docs"):
        assert f"--extra {extra}" in (ROOT / "Makefile").read_text()
        for req in p["optional-dependencies"][extra]:
            assert _name(req) in pinned, (extra, req)


def test_no_py_typed_marker_is_shipped():
    """The public API is not fully annotated (routines return the caller's frame kind), so cmokit
    does not claim to be typed (PEP 561)."""
    assert not (ROOT / "src" / "cmokit" / "py.typed").exists()
    assert "py.typed" not in str(_pyproject()["tool"]["setuptools"]["package-data"])


def test_make_test_runs_lint_and_the_docs_build():
    out = subprocess.run(["make", "-n", "-C", str(ROOT), "test"], capture_output=True, text=True).stdout
    assert "ruff check" in out and "docs/build.py" in out and "pytest" in out
    assert out.index("ruff check") < out.index("pytest") and out.index("docs/build.py") < out.index("pytest")
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_ruff_is_configured_and_clean():
    rules = _pyproject()["tool"]["ruff"]["lint"]["select"]
    assert "F" in rules and "E9" in rules
    ruff = Path(sys.executable).with_name("ruff")
    run = subprocess.run([str(ruff), "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:]
