"""Benchmark: RFM + cohorts on 10M orders, cmokit (Ibis on DuckDB) against idiomatic pandas and polars lazy.

One command, from the repository root::

    .venv/bin/python benchmarks/segments/run.py                 # 10M orders, 1M customers
    .venv/bin/python benchmarks/segments/run.py --orders 1000000 --repeats 1

Synthetic orders (skewed customers, uniform times 2023-2025, gamma revenue) are written once to
``benchmarks/.data`` as Parquet and as a DuckDB warehouse file with the contract ``orders`` table.
Each tool computes the same two results: the RFM table with quintile scores (ties by
customer_id) and the 11 named segments, and the cohort aggregates (acquisition month × months
since first order: active customers, orders, revenue).

* **cmokit**: ``cmokit.segments.rfm(wh)`` + ``cmokit.retention.cohorts(wh)`` on the warehouse file
  (the engine reads from disk inside the timing), after a warm-up call on a one-row frame that
  pays Ibis's first-use imports and compilation once (reported as ``cmokit_first_call_warmup_seconds``);
* **pandas**: group-bys over the orders frame already in memory (load time not counted);
* **polars**: a lazy query over ``scan_parquet`` (reads from disk inside the timing).

Every tool runs in the same run, in a fresh process per repeat (median reported); the script
checks that the three give identical segment counts and cohort cells before it writes
``benchmarks/results/segments.json`` with the time ratios.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benchmarks" / ".data"
OUT = ROOT / "benchmarks" / "results" / "segments.json"
AS_OF = "2025-12-31"
TOOLS = ("cmokit", "pandas", "polars")


def make_data(n_orders: int, seed: int = 11) -> tuple[Path, Path]:
    """Orders as Parquet and a DuckDB warehouse file (written once per size)."""
    parquet = DATA / f"segments_orders_{n_orders}.parquet"
    warehouse = DATA / f"segments_orders_{n_orders}.duckdb"
    if parquet.exists() and warehouse.exists():
        return parquet, warehouse
    import duckdb
    import pandas as pd

    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_customers = max(n_orders // 10, 1)
    weights = rng.gamma(0.5, 1.0, n_customers)
    customer = rng.choice(n_customers, size=n_orders, p=weights / weights.sum())
    start = np.datetime64("2023-01-01T00:00:00", "s").astype("int64")
    stop = np.datetime64("2026-01-01T00:00:00", "s").astype("int64")
    seconds = rng.integers(start, stop, size=n_orders)
    frame = pd.DataFrame({
        "order_id": np.char.add("o", np.arange(n_orders).astype(str)),
        "customer_id": np.char.add("c", customer.astype(str)),
        "ordered_at": pd.to_datetime(seconds, unit="s"),
        "revenue": np.round(rng.gamma(4.0, 12.5, n_orders), 2),
        "campaign_id": pd.Series([None] * n_orders, dtype="string"),
    })
    frame.to_parquet(parquet, index=False)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE orders AS SELECT order_id, customer_id, ordered_at, "
                "CAST(revenue AS DECIMAL(18,2)) AS revenue, campaign_id FROM read_parquet(?)", [str(parquet)])
    con.close()
    return parquet, warehouse


# -- the reference implementations (what an analyst writes without cmokit) ---------------------

def ntile(n: int, buckets: int = 5) -> np.ndarray:
    """SQL ``ntile`` (1-based) for rows 0..n-1 already in order."""
    i = np.arange(n)
    q, r = divmod(n, buckets)
    big = r * (q + 1)
    return np.where(i < big, i // max(q + 1, 1), r + (i - big) // max(q, 1)) + 1


def segment_table(r: np.ndarray, fm: np.ndarray) -> np.ndarray:
    from cmokit.segments.rfm import SEGMENT_RULES

    out = np.full(len(r), None, dtype=object)
    for name, r0, r1, f0, f1 in SEGMENT_RULES:
        out[(r >= r0) & (r <= r1) & (fm >= f0) & (fm <= f1)] = name
    return out


def pandas_run(parquet: Path) -> tuple[float, dict]:
    import pandas as pd

    orders = pd.read_parquet(parquet)
    t0 = time.perf_counter()
    end = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    o = orders[orders["ordered_at"] < end]
    per = o.groupby("customer_id").agg(last=("ordered_at", "max"), first=("ordered_at", "min"),
                                       frequency=("order_id", "size"), monetary=("revenue", "sum")).reset_index()
    per["recency_days"] = (pd.Timestamp(AS_OF) - per["last"].dt.normalize()).dt.days
    scores = {}
    for col, asc in (("recency_days", False), ("frequency", True), ("monetary", True)):
        ranked = per.sort_values([col, "customer_id"], ascending=[asc, True])
        scores[col] = pd.Series(ntile(len(ranked)), index=ranked.index)
    per["r"], per["f"], per["m"] = scores["recency_days"], scores["frequency"], scores["monetary"]
    per["fm"] = (per["f"] + per["m"] + 1) // 2
    per["segment"] = segment_table(per["r"].to_numpy(), per["fm"].to_numpy())
    o = o.merge(per[["customer_id", "first"]], on="customer_id")
    o["cohort_month"] = o["first"].dt.to_period("M")
    o["k"] = (o["ordered_at"].dt.year - o["first"].dt.year) * 12 + (o["ordered_at"].dt.month - o["first"].dt.month)
    cells = o.groupby(["cohort_month", "k"]).agg(active=("customer_id", "nunique"), orders=("order_id", "size"),
                                                 revenue=("revenue", "sum"))
    seconds = time.perf_counter() - t0
    return seconds, {"segments": per["segment"].value_counts().to_dict(), "cells": len(cells),
                     "active": int(cells["active"].sum()), "orders": int(cells["orders"].sum())}


def polars_run(parquet: Path) -> tuple[float, dict]:
    import datetime as dt

    import polars as pl

    t0 = time.perf_counter()
    end = dt.datetime.fromisoformat(AS_OF) + dt.timedelta(days=1)
    o = pl.scan_parquet(parquet).filter(pl.col("ordered_at") < end)
    per = (o.group_by("customer_id")
           .agg(pl.col("ordered_at").max().alias("last"), pl.col("ordered_at").min().alias("first"),
                pl.len().alias("frequency"), pl.col("revenue").sum().alias("monetary"))
           .with_columns(recency_days=(pl.lit(dt.date.fromisoformat(AS_OF)) - pl.col("last").dt.date()).dt.total_days()))

    def score(frame, col, descending):
        n = pl.len()
        i = pl.int_range(0, n)
        q, r = n // 5, n % 5
        big = r * (q + 1)
        bucket = pl.when(i < big).then(i // (q + 1)).otherwise(r + (i - big) // q) + 1
        ranked = frame.sort([col, "customer_id"], descending=[descending, False])
        return ranked.select("customer_id", bucket.alias(col[0]))

    per_df = per.collect()
    for col, desc in (("recency_days", True), ("frequency", False), ("monetary", False)):
        per_df = per_df.join(score(per_df.lazy(), col, desc).collect(), on="customer_id")
    per_df = per_df.with_columns(fm=(pl.col("f") + pl.col("m") + 1) // 2)
    segments = segment_table(per_df["r"].to_numpy(), per_df["fm"].to_numpy())
    cells = (o.join(per.select("customer_id", "first"), on="customer_id")
             .with_columns(cohort_month=pl.col("first").dt.truncate("1mo"),
                           k=(pl.col("ordered_at").dt.year() - pl.col("first").dt.year()) * 12
                           + (pl.col("ordered_at").dt.month().cast(pl.Int32) - pl.col("first").dt.month().cast(pl.Int32)))
             .group_by("cohort_month", "k")
             .agg(pl.col("customer_id").n_unique().alias("active"), pl.len().alias("orders"),
                  pl.col("revenue").sum().alias("revenue"))
             .collect())
    seconds = time.perf_counter() - t0
    values, counts = np.unique(segments.astype(str), return_counts=True)
    return seconds, {"segments": dict(zip(values.tolist(), counts.tolist())), "cells": cells.height,
                     "active": int(cells["active"].sum()), "orders": int(cells["orders"].sum())}


def cmokit_run(warehouse: Path) -> tuple[float, dict]:
    import cmokit
    from cmokit.retention import cohorts
    from cmokit.segments import rfm

    import pandas as pd

    wh = cmokit.connect(str(warehouse))
    tiny = pd.DataFrame({"order_id": ["o"], "customer_id": ["c"], "ordered_at": pd.to_datetime(["2025-01-01"]),
                         "revenue": [1.0], "campaign_id": [None]})
    t0 = time.perf_counter()
    rfm(tiny, AS_OF), cohorts(tiny, AS_OF)  # warm-up: Ibis/sqlglot first-use imports and compilation
    warmup = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = rfm(wh, AS_OF)
    table = cohorts(wh, AS_OF)
    seconds = time.perf_counter() - t0
    observed = table[table["orders"] > 0]
    return seconds, {"segments": scores["segment"].value_counts().to_dict(), "cells": len(observed),
                     "active": int(observed["active_customers"].sum()), "orders": int(observed["orders"].sum()),
                     "warmup_seconds": warmup}


def worker(tool: str, parquet: str, warehouse: str) -> None:
    if tool == "cmokit":
        seconds, check = cmokit_run(Path(warehouse))
    elif tool == "pandas":
        seconds, check = pandas_run(Path(parquet))
    else:
        seconds, check = polars_run(Path(parquet))
    print(json.dumps({"seconds": seconds, "check": check}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh-process runs per tool (median reported)")
    parser.add_argument("--worker", nargs=3, metavar=("TOOL", "PARQUET", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    parquet, warehouse = make_data(args.orders)
    runs: dict[str, list] = {tool: [] for tool in TOOLS}
    for _ in range(args.repeats):
        for tool in TOOLS:  # interleaved, so machine load hits every tool alike
            out = subprocess.run([sys.executable, __file__, "--worker", tool, str(parquet), str(warehouse)],
                                 check=True, capture_output=True, text=True)
            runs[tool].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(tool, round(runs[tool][-1]["seconds"], 2), flush=True)
    checks = {tool: runs[tool][0]["check"] for tool in TOOLS}
    warmups = [r["check"].pop("warmup_seconds") for r in runs["cmokit"]]
    identical = checks["cmokit"] == checks["pandas"] == checks["polars"]
    seconds = {tool: statistics.median(r["seconds"] for r in runs[tool]) for tool in TOOLS}
    result = {
        "benchmark": "RFM (scores + 11 segments) and cohort aggregates: cmokit (Ibis on DuckDB) vs pandas vs polars lazy",
        "orders": args.orders,
        "customers": sum(checks["cmokit"]["segments"].values()),
        "as_of": AS_OF,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": __import__("os").cpu_count(),
        "repeats": args.repeats,
        "seconds": seconds,
        "seconds_all": {tool: [r["seconds"] for r in runs[tool]] for tool in TOOLS},
        "pandas_over_cmokit": seconds["pandas"] / seconds["cmokit"],
        "polars_over_cmokit": seconds["polars"] / seconds["cmokit"],
        "results_identical": identical,
        "cmokit_first_call_warmup_seconds": warmups,
        "checks": checks,
        "notes": "pandas time excludes loading the frame (in memory before timing); cmokit and polars read from disk.",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("seconds", "pandas_over_cmokit", "polars_over_cmokit", "results_identical")}))
    if not identical:
        sys.exit("the three implementations disagree: see checks in " + str(OUT))


if __name__ == "__main__":
    main()
