"""The cmokit command line: sample -> warehouse build -> warehouse check."""

from __future__ import annotations

import subprocess
import sys


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cmokit.cli", *args], capture_output=True, text=True, env=env)


def test_sample_build_check(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "w.duckdb"
    r = _run("sample", "--out", str(raw), "--customers", "200", "--seed", "3", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (raw / "truth.json").exists()
    r = _run("warehouse", "build", str(raw), "--out", str(out), "--dev-key", "--now", "2026-01-01T00:00:00")
    assert r.returncode == 0, r.stderr
    assert "Reconciliation" in r.stdout and "published" in r.stdout and "email" not in r.stdout
    r = _run("warehouse", "check", str(out))
    assert r.returncode == 0 and "0 error-severity" in r.stdout
    # every check is printed as a table, passing ones included
    header = next(line for line in r.stdout.splitlines() if "severity" in line).split()
    assert header[:4] == ["table", "check", "column", "severity"] and header[-1] == "example"
    assert "failing rows" in r.stdout and "key_unique" in r.stdout and "foreign_key" in r.stdout


def test_check_exits_nonzero_on_error(tmp_path):
    import duckdb

    raw, out = tmp_path / "raw", tmp_path / "w.duckdb"
    _run("sample", "--out", str(raw), "--customers", "100", "--seed", "4", "--quiet")
    _run("warehouse", "build", str(raw), "--out", str(out), "--dev-key")
    con = duckdb.connect(str(out))
    con.execute("UPDATE orders SET revenue = -1 WHERE order_id = (SELECT min(order_id) FROM orders)")
    con.close()
    r = _run("warehouse", "check", str(out))
    assert r.returncode == 1 and "minimum" in r.stdout
    rows = r.stdout.splitlines()
    first = rows[rows.index(next(line for line in rows if "severity" in line)) + 1].split()
    assert first[:5] == ["orders", "minimum", "revenue", "error", "1"], first  # failing checks come first
    assert "order_id=" in rows[rows.index(next(line for line in rows if "severity" in line)) + 1]
    r = _run("warehouse", "check", str(out), "--failing")
    assert r.returncode == 1 and "key_unique" not in r.stdout and "minimum" in r.stdout


def test_build_without_key_is_a_clear_error(tmp_path):
    import os

    raw = tmp_path / "raw"
    _run("sample", "--out", str(raw), "--customers", "100", "--quiet")
    env = {k: v for k, v in os.environ.items() if k != "CMOKIT_PSEUDONYM_KEY"}
    r = _run("warehouse", "build", str(raw), "--out", str(tmp_path / "w.duckdb"), env=env)
    assert r.returncode == 2 and "CMOKIT_PSEUDONYM_KEY" in r.stderr and "--dev-key" in r.stderr
