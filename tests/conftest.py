"""Shared fixtures: the bundled sample and a warehouse built from it once per session."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
#: The clock sample builds run with, so "not in the future" is deterministic.
SAMPLE_NOW = dt.datetime(2026, 1, 1)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample raw exports (read-only: copy before changing)."""
    return SAMPLE


@pytest.fixture(scope="session")
def truth(sample_dir) -> dict:
    """The truth the generator planted in the sample."""
    return json.loads((sample_dir / "truth.json").read_text())


@pytest.fixture(scope="session")
def truth_customers(sample_dir):
    """Per-customer planted truth (pandas), keyed by the dev-key ``customer_id``."""
    import pandas as pd

    return pd.read_csv(sample_dir / "truth" / "customers.csv")


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory, sample_dir) -> Path:
    """A marketing warehouse built from the sample, once per test session."""
    from cmokit.warehouse.build import build

    out = tmp_path_factory.mktemp("warehouse") / "sample.duckdb"
    build(sample_dir, out, dev_key=True, now=SAMPLE_NOW)
    return out


@pytest.fixture(scope="session")
def warehouse(warehouse_path):
    """The sample warehouse opened read-only."""
    import cmokit

    wh = cmokit.connect(warehouse_path)
    yield wh
    wh.close()
