"""Set-up files stay in step: pyproject, environment.yml, lock file, README, CI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].lower()


def test_environment_yml_has_the_same_dependencies():
    p = _pyproject()["project"]
    wanted = set(p["dependencies"]) | set(p["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) - {"-e ."} == wanted


def test_lock_pins_every_dependency():
    p = _pyproject()["project"]
    lock = (ROOT / "requirements.lock").read_text().lower()
    pinned = set(re.findall(r"^([a-z0-9_.\-]+)==", lock, flags=re.M))
    for req in p["dependencies"] + p["optional-dependencies"]["dev"]:
        assert _name(req).replace("_", "-") in pinned, req


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_makefile_default_target_lists_targets():
    out = subprocess.run(["make", "-s", "-C", str(ROOT)], capture_output=True, text=True).stdout
    for target in ("demo", "test", "lab", "bench", "warehouse"):
        assert f"make {target}" in out


def test_cli_entry_point():
    out = subprocess.run([sys.executable, "-m", "cmokit.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "warehouse" in out.stdout and "sample" in out.stdout
