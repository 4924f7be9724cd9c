"""A small generated raw export folder that tests may mutate."""

from __future__ import annotations

import csv
import shutil

import pytest

from tests.conftest import SAMPLE_NOW  # noqa: F401  (re-exported for the tests)


@pytest.fixture(scope="session")
def small_raw_master(tmp_path_factory):
    from cmokit.sample.generator import generate

    d = tmp_path_factory.mktemp("raw_small")
    generate(d, customers=300, seed=7, progress=False)
    return d


@pytest.fixture
def raw(tmp_path, small_raw_master):
    """A fresh copy of a 300-customer raw export folder."""
    d = tmp_path / "raw"
    shutil.copytree(small_raw_master, d)
    return d


def rewrite_csv(path, fn):
    """Rewrite a raw CSV export: ``fn`` gets the rows (header first) and returns the new rows."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows = fn(rows)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def read_quarantine(result, table, order="line"):
    """The IT-side quarantine rows of ``table`` from a build result (pandas)."""
    import duckdb

    con = duckdb.connect(str(result.quarantine_path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM quarantine_{table} ORDER BY {order}").df()
    finally:
        con.close()
