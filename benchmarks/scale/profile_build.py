"""Where a warehouse build spends its time: every SQL statement of one build, timed.

From the repository root, on raw exports (e.g. ``cmokit sample --customers 1000000 --out RAW``)::

    .venv/bin/python benchmarks/scale/profile_build.py RAW OUT.duckdb [--top 30] [--memory-limit 2GB]

Prints the build's wall time, the time inside DuckDB statements (the rest is Python between them)
and the slowest statements, each with its first characters. Uses the documented development key
(``--force``: timing only, never for a warehouse anyone reads).
"""

from __future__ import annotations

import argparse
import importlib
import re
import time

import duckdb


class _Timed:
    """A DuckDB connection whose ``execute``/``executemany`` record (seconds, statement)."""

    def __init__(self, con, log: list):
        self._con, self._log = con, log

    def __getattr__(self, name):
        return getattr(self._con, name)

    def _run(self, method: str, sql, *args, **kwargs):
        t0 = time.perf_counter()
        result = getattr(self._con, method)(sql, *args, **kwargs)
        self._log.append((time.perf_counter() - t0, re.sub(r"\s+", " ", str(sql))))
        return result

    def execute(self, sql, *args, **kwargs):
        return self._run("execute", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._run("executemany", sql, *args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw")
    parser.add_argument("out")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--memory-limit", default="2GB")
    args = parser.parse_args()
    build_module = importlib.import_module("cmokit.warehouse.build")
    log: list = []
    connect = duckdb.connect
    duckdb.connect = lambda *a, **k: _Timed(connect(*a, **k), log)
    try:
        t0 = time.perf_counter()
        build_module.build(args.raw, args.out, dev_key=True, force=True, memory_limit=args.memory_limit)
        total = time.perf_counter() - t0
    finally:
        duckdb.connect = connect
    inside = sum(s for s, _ in log)
    print(f"build {total:.2f} s: {inside:.2f} s in {len(log)} SQL statements, {total - inside:.2f} s between them")
    for seconds, sql in sorted(log, reverse=True)[:args.top]:
        print(f"{seconds:7.2f}  {sql[:140]}")


if __name__ == "__main__":
    main()
