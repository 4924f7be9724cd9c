"""The public API: one export mechanism, real signatures, light imports, and every entry point
works the second time it is called in a process.

Each subpackage's ``__init__.py`` imports its public names eagerly and lists them in ``__all__``.
The eager import rebinds the package attribute to the function after its submodule loads, so
``cmokit.warehouse.build`` (a function in the submodule ``warehouse/build.py``) cannot be shadowed
by the submodule later — the bug was ``TypeError: 'module' object is not callable`` on the second
call. ``cmokit.plots`` is the one package whose public names are modules (one per domain).
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cmokit
from tests.conftest import SAMPLE, SAMPLE_NOW

SRC = Path(cmokit.__file__).parent
SUBPACKAGES = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
#: Must not load when a subpackage is imported: they load inside the functions that need them.
HEAVY = ("sklearn", "scipy", "plotly", "papermill", "pyspark", "nbconvert", "lifelines", "statsmodels")
#: The packages whose public names are modules by design.
MODULE_NAMESPACES = {"plots"}


def _public(package: str) -> list[tuple[str, object]]:
    """(dotted name, object) for every public name of a subpackage (plots: of each domain module)."""
    mod = importlib.import_module(f"cmokit.{package}")
    out = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if package in MODULE_NAMESPACES:
            names = getattr(obj, "__all__", None) or [
                n for n, f in vars(obj).items() if inspect.isfunction(f) and f.__module__ == obj.__name__
                and not n.startswith("_")]
            out += [(f"{package}.{name}.{n}", getattr(obj, n)) for n in names]
        else:
            out.append((f"{package}.{name}", obj))
    return out


def test_every_subpackage_is_known_to_the_top_level():
    assert SUBPACKAGES == sorted(cmokit._SUBPACKAGES)
    for package in SUBPACKAGES:
        assert getattr(cmokit, package) is importlib.import_module(f"cmokit.{package}")


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_importing_a_subpackage_loads_nothing_heavy(package):
    code = f"import sys, json, cmokit.{package}; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [], f"import cmokit.{package} loads {out.stdout.strip()} at module top"


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_public_names_resolve_and_are_not_modules(package):
    mod = importlib.import_module(f"cmokit.{package}")
    assert len(mod.__all__) == len(set(mod.__all__)), "duplicate names in __all__"
    assert set(mod.__all__) <= set(dir(mod))
    if package in MODULE_NAMESPACES:
        assert all(isinstance(getattr(mod, n), types.ModuleType) for n in mod.__all__)
    for name, obj in _public(package):
        assert not isinstance(obj, types.ModuleType), f"cmokit.{name} is a module"


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_no_wrappers_hide_signatures(package):
    """Every public callable is the real one, defined in a submodule (not a ``*args`` wrapper in
    ``__init__.py``), and ``inspect.signature`` / ``help()`` show its parameters."""
    for name, obj in _public(package):
        if not callable(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        assert obj.__module__ != f"cmokit.{package}", f"cmokit.{name} is defined in __init__.py"
        params = inspect.signature(obj).parameters.values()
        kinds = {p.kind for p in params}
        assert not (kinds and kinds <= {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}), (
            f"cmokit.{name}{inspect.signature(obj)} hides its parameters")


def test_top_level_connect_is_the_real_function():
    from cmokit.warehouse.connect import connect

    assert cmokit.connect is connect is cmokit.warehouse.connect
    assert "memory_limit" in inspect.signature(cmokit.connect).parameters


def test_help_shows_real_parameters():
    text = subprocess.run([sys.executable, "-c", "import cmokit; help(cmokit.warehouse.build)"],
                          capture_output=True, text=True, check=True).stdout
    assert "raw_dir" in text and "dev_key" in text and "*args" not in text


def test_entry_points_work_twice_in_a_fresh_process(tmp_path):
    """The reported bug needs a process where the submodules have not loaded yet: a subprocess."""
    script = textwrap.dedent(f"""
        import datetime as dt, json, cmokit
        out = {{}}
        for i in (1, 2):
            r = cmokit.warehouse.build({str(SAMPLE)!r}, {str(tmp_path)!r} + f"/w{{i}}.duckdb", dev_key=True,
                                       now=dt.datetime.fromisoformat({SAMPLE_NOW.isoformat()!r}))
            out[f"build{{i}}"] = r.path.name
        for i in (1, 2):
            out[f"check{{i}}"] = int(len(cmokit.warehouse.check(r.path)))
        for i in (1, 2):
            truth = cmokit.sample.generate({str(tmp_path)!r} + f"/raw{{i}}", customers=50, seed=1, progress=False)
            out[f"generate{{i}}"] = isinstance(truth, dict)
        for i in (1, 2):
            out[f"reports{{i}}"] = len(cmokit.reports.list_reports())
        for i in (1, 2):
            with cmokit.connect(r.path) as wh:
                out[f"rfm{{i}}"] = int(len(cmokit.segments.rfm(wh)))
        print(json.dumps(out))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["build1"] == "w1.duckdb" and out["build2"] == "w2.duckdb"
    assert out["check1"] == out["check2"] > 0
    assert out["generate1"] and out["generate2"]
    assert out["reports1"] == out["reports2"] > 0
    assert out["rfm1"] == out["rfm2"] > 0


CHEAP_CALLS = {
    "warehouse.snapshot": lambda wh: cmokit.warehouse.snapshot(wh),
    "warehouse.glossary": lambda wh: cmokit.warehouse.glossary(),
    "warehouse.label": lambda wh: cmokit.warehouse.label("revenue"),
    "warehouse.resolve": lambda wh: cmokit.warehouse.resolve(wh, "orders").table("orders").count().execute(),
    "warehouse.check": lambda wh: cmokit.warehouse.check(wh),
    "segments.rfm": lambda wh: cmokit.segments.rfm(wh),
    "segments.segment_summary": lambda wh: cmokit.segments.segment_summary(wh),
    "segments.segment_rules": lambda wh: cmokit.segments.segment_rules(),
    "retention.cohorts": lambda wh: cmokit.retention.cohorts(wh),
    "clv.purchase_summary": lambda wh: cmokit.clv.purchase_summary(wh),
    "campaigns.campaign_kpis": lambda wh: cmokit.campaigns.campaign_kpis(wh),
    "campaigns.sample_size_proportions": lambda wh: cmokit.campaigns.sample_size_proportions(0.05, 0.01),
    "attribution.spend_by_channel": lambda wh: cmokit.attribution.spend_by_channel(wh),
    "mmm.hill": lambda wh: cmokit.mmm.hill(np.array([0.0, 1.0, 2.0]), 1.0, 1.0),
    "mmm.geometric_adstock": lambda wh: cmokit.mmm.geometric_adstock(np.array([1.0, 0.0, 0.0]), 0.5),
    "reports.list_reports": lambda wh: cmokit.reports.list_reports(),
}


@pytest.mark.parametrize("name", sorted(CHEAP_CALLS))
def test_cheap_entry_points_twice_in_one_process(name, warehouse):
    call = CHEAP_CALLS[name]
    first, second = call(warehouse), call(warehouse)
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(first, second)
    elif isinstance(first, np.ndarray):
        np.testing.assert_array_equal(first, second)
    else:
        assert first == second, f"cmokit.{name} gave a different answer the second time"
