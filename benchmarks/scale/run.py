"""Benchmark: scale tasks — build, out-of-core DuckDB, Spark local vs DuckDB, purchase summary, import, run-all.

One command, from the repository root (``benchmarks/run.py`` calls it)::

    .venv/bin/python benchmarks/scale/run.py                   # full sizes
    .venv/bin/python benchmarks/scale/run.py --quick           # small sizes, minutes

Tasks (each tool in a fresh process; wall time is the median of ``--repeats`` runs, after a
warm-up call on a one-row frame that pays Ibis's first-use imports and compilation, reported as
``warmup_seconds``; peak memory is the worker's peak resident set (VmHWM), plus the JVM's for Spark):

* ``build``: ``cmokit sample`` then ``cmokit warehouse build --memory-limit 2GB`` at 1M customers
  (rows written / read per second), by the current cmokit and, in the same run on the same raw files
  and alternating with it (``--repeats`` builds each, default 1; medians), by
  cmokit as of commit d37f821 (the build before issue 13's fused validation: ``git archive`` into
  ``benchmarks/.data``, run with ``PYTHONPATH`` pointing at it, same venv); both warehouses and
  quarantines are compared table by table (order-free row hashes), and the load average is recorded;
* ``out_of_core``: RFM + cohorts + purchase summary with DuckDB capped at ``memory_limit="2GB"``
  and a spill folder, at 10M and 50M orders (the orders of ``benchmarks/segments``);
* ``spark``: the same three routines on Spark local (2 cores, from Parquet) vs DuckDB at 10M orders;
* ``purchase_summary``: cmokit vs ``lifetimes.utils.summary_data_from_transaction_data``
  (lifetimes 0.11.3 in ``benchmarks/.envs/lifetimes``) at 10M orders;
* ``import``: ``import cmokit`` in a fresh interpreter;
* ``run_all``: ``cmokit report run-all`` of every report on the sample warehouse.

Where one build spends its time, statement by statement: ``benchmarks/scale/profile_build.py RAW OUT``.

Writes ``benchmarks/results/scale.json`` (rows: task, tool, size, median_seconds, peak_mb, ...); the rows
of tasks not run keep their last numbers (``--tasks build`` re-measures the build only).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benchmarks" / ".data"
OUT = ROOT / "benchmarks" / "results" / "scale.json"
LIFETIMES = ROOT / "benchmarks" / ".envs" / "lifetimes" / "bin" / "python"
AS_OF = "2025-12-31"
MEMORY_LIMIT = "2GB"
#: the build measured beside the current one (issue 13: the fused build must be >= 5x faster than it)
#: Baselines of the build task: main when issue 13 was taken up (the build the issue timed at 166 s)
#: and main just before the fused validation (same contract, so its output must be identical).
BASELINES = {"30df0c0": "main when issue 13 was taken up", "d37f821": "before the fused validation"}
BASELINE = "d37f821"


def peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, MB (ru_maxrss would carry the parent's over exec)."""
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def warm_up() -> float:
    """Pay Ibis's first-use imports and SQL compilation once on a one-row frame; returns seconds."""
    import pandas as pd

    import cmokit

    tiny = pd.DataFrame({"order_id": ["o"], "customer_id": ["c"], "ordered_at": pd.to_datetime(["2025-01-01"]),
                         "revenue": [1.0], "campaign_id": [None]})
    t0 = time.perf_counter()
    cmokit.segments.rfm(tiny, AS_OF), cmokit.retention.cohorts(tiny, AS_OF), cmokit.clv.purchase_summary(tiny, AS_OF)
    return time.perf_counter() - t0


def orders_data(n_orders: int) -> tuple[Path, Path]:
    """Orders as Parquet + a DuckDB warehouse: benchmarks/segments' data up to 10M, SQL-made above."""
    if n_orders > 10_000_000:
        return big_orders(n_orders)
    import importlib.util

    spec = importlib.util.spec_from_file_location("segments_bench", HERE.parent / "segments" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # benchmarks/segments: the same synthetic orders
    return module.make_data(n_orders)


def big_orders(n_orders: int) -> tuple[Path, Path]:
    """Synthetic orders made inside DuckDB (hash-based, so deterministic and never all in memory).

    The same shape as benchmarks/segments (10 orders per customer on average, skewed customers,
    uniform times 2023-2025, revenue 5-95 EUR); written under the same names so the segments
    suite reuses them at this size instead of building 50M Python strings.
    """
    import duckdb

    parquet = DATA / f"segments_orders_{n_orders}.parquet"
    warehouse = DATA / f"segments_orders_{n_orders}.duckdb"
    if parquet.exists() and warehouse.exists():
        return parquet, warehouse
    con = duckdb.connect(str(warehouse))
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    rel = con.sql(
        "SELECT 'o' || i AS order_id,"
        " 'c' || CAST(floor($customers * pow((hash(i, 1) % 1000000007) / 1000000007.0, 2)) AS BIGINT) AS customer_id,"
        " TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i, 2) % 94694400 AS BIGINT)) AS ordered_at,"
        " CAST(5 + (hash(i, 3) % 9000) / 100.0 AS DECIMAL(18, 2)) AS revenue,"
        " CAST(NULL AS VARCHAR) AS campaign_id"
        " FROM range($n) t(i)", params={"n": n_orders, "customers": max(n_orders // 10, 1)})
    rel.write_parquet(str(parquet))
    con.execute("CREATE OR REPLACE TABLE orders AS SELECT * FROM read_parquet(?)", [str(parquet)])
    con.close()
    return parquet, warehouse


# -- workers (run in a fresh process each) ------------------------------------------------------

def _routines(wh) -> dict:
    import cmokit

    warm = warm_up()
    t0 = time.perf_counter()
    scores = cmokit.segments.rfm(wh, AS_OF)
    table = cmokit.retention.cohorts(wh, AS_OF)
    summary = cmokit.clv.purchase_summary(wh, AS_OF)
    return {"seconds": time.perf_counter() - t0, "customers": len(scores), "cohort_cells": len(table),
            "repeat_buyers": int((summary["frequency"] > 0).sum()), "warmup_seconds": warm}


def work_duckdb(warehouse: str, spill: str) -> dict:
    import cmokit

    wh = cmokit.connect(warehouse, memory_limit=MEMORY_LIMIT, temp_directory=spill)
    return _routines(wh)


def work_spark(parquet: str) -> dict:
    from pyspark.sql import SparkSession

    import cmokit

    spark = (SparkSession.builder.master("local[2]").appName("cmokit-bench")
             .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    wh = cmokit.connect(spark, tables={"orders": parquet})
    out = _routines(wh)
    out["jvm_peak_mb"] = peak_mb(spark.sparkContext._gateway.proc.pid)  # the JVM's own peak
    spark.stop()
    return out


def work_summary(warehouse: str) -> dict:
    import cmokit

    wh = cmokit.connect(warehouse)
    warm = warm_up()
    t0 = time.perf_counter()
    summary = cmokit.clv.purchase_summary(wh, AS_OF, time_unit="days")
    return {"seconds": time.perf_counter() - t0, "customers": len(summary),
            "frequency_sum": int(summary["frequency"].sum()), "warmup_seconds": warm}


def work_import() -> dict:
    t0 = time.perf_counter()
    import cmokit  # noqa: F401

    return {"seconds": time.perf_counter() - t0}


def work_copy_floor(raw: str, out: str) -> dict:
    """The floor of any DuckDB build of these exports: read each contract table's mapped columns, cast them
    to the contract types and store them (``memory_limit`` as the build) -- no trimming, checks, keys,
    duplicates, pseudonyms, quarantine or reconciliation."""
    import duckdb

    from cmokit.warehouse.build import STORAGE_VERSION, _timestamp  # the build's cast and file format: a floor
    from cmokit.warehouse.contract import CONTRACT
    from cmokit.warehouse.sources import SOURCES

    t0 = time.perf_counter()
    con = duckdb.connect(out, config={"memory_limit": MEMORY_LIMIT, "storage_compatibility_version": STORAGE_VERSION})
    con.execute("SET TimeZone = 'UTC'")
    for table, source in SOURCES.items():
        files = sorted(Path(raw).glob(source.pattern))
        if not files:
            continue
        with open(files[0], encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        cols = ", ".join((_timestamp(f'"{source.columns[c.name]}"') if c.type == "TIMESTAMP"
                          else f'TRY_CAST("{source.columns[c.name]}" AS {c.type})') + f' AS "{c.name}"'
                         for c in CONTRACT[table].columns if source.columns.get(c.name) in header)
        con.execute(f'CREATE TABLE "{table}" AS SELECT {cols} FROM read_csv($files, all_varchar=true)',
                    {"files": [str(f) for f in files]})
    con.execute("CHECKPOINT")
    con.close()
    return {"seconds": time.perf_counter() - t0}


def run_worker(args: list[str], python: str | None = None) -> dict:
    out = subprocess.run([python or sys.executable, __file__, "--worker", *args],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def repeat(args: list[str], repeats: int, python: str | None = None) -> dict:
    runs = [run_worker(args, python) for _ in range(repeats)]
    row = {"median_seconds": statistics.median(r["seconds"] for r in runs),
           "seconds_all": [round(r["seconds"], 3) for r in runs],
           "peak_mb": max(r["peak_mb"] for r in runs)}
    row.update({k: v for k, v in runs[0].items() if k not in ("seconds", "peak_mb")})
    return row


# -- tasks --------------------------------------------------------------------------------------

def cli_run(*argv: str, src: Path | None = None) -> tuple[float, float]:
    """Run ``cmokit ARGV`` in a fresh process (cmokit from ``src`` when given): (wall seconds, peak MB)."""
    code = ("import sys, cmokit, cmokit.cli as c; print('FROM', cmokit.__file__); rc = c.main(sys.argv[1:]); "
            "print('PEAK', open('/proc/self/status').read().split('VmHWM:')[1].split()[0]); sys.exit(rc)")
    env = dict(os.environ, PYTHONPATH=str(src)) if src else None
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], check=True, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    origin = done.stdout.split("FROM", 1)[1].split()[0]
    if src and not origin.startswith(str(src)):
        raise RuntimeError(f"the baseline run imported cmokit from {origin}, not from {src}")
    return seconds, int(done.stdout.rsplit("PEAK", 1)[1].split()[0]) / 1024


def compile_sources(folders) -> None:
    """Byte-compile the builds' sources and the venv's packages once, so that each timed build measures the
    build, not Python compiling ~380 modules on import -- which it otherwise does on every run where
    ``PYTHONDONTWRITEBYTECODE`` is set (this sandbox sets it; an installed kit normally has its .pyc files)."""
    import sysconfig

    for folder in [*folders, Path(sysconfig.get_paths()["purelib"])]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", str(folder)], check=False,
                       capture_output=True)


def baseline_src(commit: str = BASELINE) -> Path:
    """cmokit's sources as of ``commit`` (``git archive``), to run in the same venv via PYTHONPATH.

    Packages the commit's lock file pins that this venv no longer has (e.g. pycountry, replaced since)
    are installed beside the sources (``pip install --target``, no dependencies), on the same path."""
    import importlib.metadata as md

    target = DATA / f"cmokit-{commit}"
    if not (target / "src" / "cmokit" / "__init__.py").exists():
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src/cmokit"], check=True,
                                 capture_output=True).stdout
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    lock = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:requirements.lock"], check=True,
                          capture_output=True, text=True).stdout
    missing = []
    for line in lock.splitlines():
        pin = line.split("#")[0].strip().split(";")[0].strip()
        if "==" not in pin:
            continue
        try:
            md.version(pin.split("==")[0].strip())
        except md.PackageNotFoundError:
            missing.append(pin)
    if missing and not (target / "src" / ".deps-installed").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--target", str(target / "src"), *missing], check=True)
        (target / "src" / ".deps-installed").write_text("\n".join(missing) + "\n")
    return target / "src"


def table_digests(path: Path, columns: dict | None = None) -> dict:
    """Per table of a warehouse (or quarantine) file: (rows, order-free sum of row hashes), build-specific
    columns (timestamps, build id, version) left out; ``columns`` (table -> names) limits the hash to
    those columns (to compare builds whose contracts differ by a column added since)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t, cols in table_columns(con).items():
            cols = [c for c in cols if columns is None or c in columns.get(t, ())]
            if not cols:
                continue
            row = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
            out[t] = list(con.execute(f'SELECT count(*), sum(hash({row})::HUGEINT)::VARCHAR FROM "{t}"').fetchone())
        return out
    finally:
        con.close()


VOLATILE = {"built_at", "build_id", "now", "loaded_at", "quarantined_at", "cmokit_version"}


def table_columns(con) -> dict:
    """Table -> its columns, build-specific ones left out."""
    return {t: [r[0] for r in con.execute(f'DESCRIBE "{t}"').fetchall() if r[0] not in VOLATILE]
            for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()}


def same_output(old: Path, new: Path) -> tuple[bool, list[str]]:
    """Whether two builds hold the same rows in every table they share, on the columns they share;
    also the tables or columns only the newer build has (a contract extended since)."""
    import duckdb

    cols = {}
    for path in (old, new):
        con = duckdb.connect(str(path), read_only=True)
        try:
            cols[path] = table_columns(con)
        finally:
            con.close()
    common = {t: [c for c in cs if c in cols[old].get(t, ())] for t, cs in cols[new].items() if t in cols[old]}
    added = [t for t in cols[new] if t not in cols[old]] + [f"{t}.{c}" for t, cs in cols[new].items() if t in cols[old]
                                                            for c in cs if c not in cols[old][t]]
    # a column the older build left NULL (its default sources did not map the raw column) but the newer
    # fills is a mapping added since, not a difference in the rows: left out of the comparison and listed,
    # with the load warnings that named the then-ignored raw columns
    cons = {p: duckdb.connect(str(p), read_only=True) for p in (old, new)}
    try:
        for t, cs in common.items():
            for c in list(cs):
                q = f'SELECT count("{c}") FROM "{t}"'
                if cons[old].execute(q).fetchone()[0] == 0 and cons[new].execute(q).fetchone()[0] > 0:
                    cs.remove(c)
                    added.append(f"{t}.{c} (mapped since)")
    finally:
        for con in cons.values():
            con.close()
    if any(a.endswith("(mapped since)") for a in added) and "meta_loads" in common:
        common["meta_loads"] = [c for c in common["meta_loads"] if c != "warnings"]
    return table_digests(old, common) == table_digests(new, common) and set(cols[old]) <= set(cols[new]), added


def task_build(customers: int, repeats: int = 1, baselines=tuple(BASELINES)) -> list[dict]:
    """The sample at ``customers``, then the warehouse build by cmokit as of BASELINE and by the current
    cmokit on the same raw files, alternating (``repeats`` builds each, medians), in this run; both
    outputs compared."""
    work = Path(tempfile.mkdtemp(prefix="cmokit-bench-build-", dir=DATA))
    try:
        gen, gen_peak = cli_run("sample", "--out", str(work / "raw"), "--customers", str(customers), "--quiet")
        raw_rows = sum(max(sum(1 for _ in open(p, "rb")) - 1, 0) for p in (work / "raw").glob("*.csv"))
        compile_sources([ROOT / "src", *(baseline_src(b) for b in baselines)])
        runs = {**{b: [] for b in baselines}, "current": []}
        for _ in range(repeats):
            for name, src in ([(b, baseline_src(b)) for b in baselines] + [("current", None)]):
                load = os.getloadavg()[0]
                seconds, peak = cli_run("warehouse", "build", str(work / "raw"), "--out", str(work / f"{name}.duckdb"),
                                        "--dev-key", "--memory-limit", MEMORY_LIMIT, src=src)
                runs[name].append({"seconds": seconds, "peak": peak, "load": [load, os.getloadavg()[0]]})
                print(f"build {name}: {seconds:.1f} s (load average {load:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)
            floor = run_worker(["copy_floor", str(work / "raw"), str(work / f"floor-{len(runs['current'])}.duckdb")])
            runs.setdefault("floor", []).append({"seconds": floor["seconds"], "peak": floor["peak_mb"], "load": []})
            print(f"copy floor: {floor['seconds']:.1f} s", flush=True)
        compared = {b: [same_output(work / f"{b}{suffix}", work / f"current{suffix}")
                        for suffix in (".duckdb", ".quarantine.duckdb")] for b in baselines}
        same = {b: all(ok for ok, _ in c) for b, c in compared.items()}
        added = {b: sorted({a for _, adds in c for a in adds}) for b, c in compared.items()}
        import duckdb

        con = duckdb.connect(str(work / "current.duckdb"), read_only=True)
        orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
        con.close()
        task = "warehouse build (DuckDB memory_limit 2GB)"
        summary = {name: {"seconds": statistics.median(r["seconds"] for r in rs),
                          "seconds_all": [round(r["seconds"], 1) for r in rs],
                          "peak": max(r["peak"] for r in rs), "load": [r["load"] for r in rs]}
                   for name, rs in runs.items()}
        cur = summary["current"]
        common = {"task": task, "size": f"{orders:,} orders", "raw_rows": raw_rows, "memory_limit": MEMORY_LIMIT,
                  "customers": customers, "bench_task": "build"}
        rows = [{"task": "sample generation", "tool": "cmokit", "size": f"{customers:,} customers", "bench_task": "build",
                 "median_seconds": gen, "rows_per_second": raw_rows / gen, "raw_rows": raw_rows, "orders": orders,
                 "peak_mb": gen_peak}]
        for b in baselines:
            base = summary[b]
            rows.append({**common, "tool": f"cmokit {b} ({BASELINES.get(b, 'baseline')})", "median_seconds": base["seconds"],
                         "seconds_all": base["seconds_all"], "rows_per_second": raw_rows / base["seconds"],
                         "peak_mb": base["peak"], "ratio_to_cmokit": base["seconds"] / cur["seconds"],
                         "load_average": base["load"], "results_identical": same[b], "added_since": added[b],
                         "note": f"same run, same raw files, alternating with the current build; {repeats} run(s) each"
                                 + (f"; identical output on the tables and columns both have (added since: "
                                    f"{', '.join(added[b])})" if same[b] and added[b] else
                                    "" if same[b] else "; output differs: an older contract (tables and columns "
                                    "added since in added_since), so read the ratio as time only")})
        ratios = "; ".join(f"{summary[b]['seconds'] / cur['seconds']:.1f}x faster than {b}" for b in baselines)
        floor = summary["floor"]
        rows.append({**common, "tool": "DuckDB copy floor (no checks)", "median_seconds": floor["seconds"],
                     "seconds_all": floor["seconds_all"], "rows_per_second": raw_rows / floor["seconds"],
                     "peak_mb": floor["peak"],
                     "note": "read each table's mapped columns, cast to the contract types, store them; no trimming, "
                             "checks, keys, duplicates, pseudonyms, quarantine or reconciliation: the least any DuckDB "
                             f"build of these files costs. Best possible ratio to {baselines[0]}: "
                             f"{summary[baselines[0]]['seconds'] / floor['seconds']:.1f}x"})
        rows.append({**common, "tool": "cmokit", "median_seconds": cur["seconds"], "seconds_all": cur["seconds_all"],
                     "rows_per_second": raw_rows / cur["seconds"], "peak_mb": cur["peak"],
                     "speedup_vs_baseline": {b: summary[b]["seconds"] / cur["seconds"] for b in baselines},
                     "load_average": cur["load"], "note": ratios})
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def duckdb_routines(warehouse: Path, repeats: int) -> dict:
    """RFM + cohorts + purchase summary on DuckDB capped at MEMORY_LIMIT, spilling to a scratch folder."""
    spill = Path(tempfile.mkdtemp(prefix="cmokit-spill-", dir=DATA))
    try:
        return repeat(["duckdb", str(warehouse), str(spill)], repeats)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def task_out_of_core(sizes: list[int], repeats: int) -> list[dict]:
    rows = []
    for n in sizes:
        row = duckdb_routines(orders_data(n)[1], repeats)
        rows.append({"task": "RFM + cohorts + purchase summary (DuckDB memory_limit 2GB)", "tool": "cmokit (DuckDB)",
                     "size": f"{n:,} orders", "memory_limit": MEMORY_LIMIT, **row})
        print(rows[-1], flush=True)
    return rows


def task_spark(n: int, repeats: int) -> list[dict]:
    parquet, warehouse = orders_data(n)
    duck = duckdb_routines(warehouse, repeats)
    task = "RFM + cohorts + purchase summary: Spark local vs DuckDB"
    rows = [{"task": task, "tool": "cmokit (DuckDB)", "size": f"{n:,} orders", **duck}]
    try:
        spark = repeat(["spark", str(parquet)], repeats)
    except subprocess.CalledProcessError as exc:
        rows.append({"task": task, "tool": "cmokit (Spark local[2])", "size": f"{n:,} orders",
                     "error": exc.stderr[-500:]})
        return rows
    spark["peak_mb"] = spark["peak_mb"] + spark.pop("jvm_peak_mb")
    same = all(spark[k] == duck[k] for k in ("customers", "cohort_cells", "repeat_buyers"))
    rows.append({"task": task, "tool": "cmokit (Spark local[2])", "size": f"{n:,} orders", **spark,
                 "ratio_to_cmokit": spark["median_seconds"] / duck["median_seconds"], "results_identical": same,
                 "note": "peak_mb: Python driver + JVM"})
    return rows


def task_purchase_summary(n: int, repeats: int) -> list[dict]:
    import numpy as np
    import pandas as pd

    parquet, warehouse = orders_data(n)
    task = "purchase summary"
    ours = repeat(["summary", str(warehouse)], repeats)
    rows = [{"task": task, "tool": "cmokit (DuckDB)", "size": f"{n:,} orders", **ours}]
    if not LIFETIMES.exists():
        rows.append({"task": task, "tool": "lifetimes 0.11.3", "size": f"{n:,} orders",
                     "error": "benchmarks/.envs/lifetimes missing (see benchmarks/clv/run.py)"})
        return rows
    npz = DATA / f"summary_orders_{n}.npz"
    if not npz.exists():
        o = pd.read_parquet(parquet, columns=["customer_id", "ordered_at", "revenue"])
        np.savez(npz, customer=o["customer_id"].str.slice(1).astype("int64").to_numpy(),
                 seconds=o["ordered_at"].astype("datetime64[s]").astype("int64").to_numpy(),
                 revenue=o["revenue"].to_numpy(float))
    theirs = repeat(["lifetimes", str(npz)], 1, python=str(LIFETIMES))
    rows.append({"task": task, "tool": "lifetimes 0.11.3", "size": f"{n:,} orders", **theirs,
                 "ratio_to_cmokit": theirs["median_seconds"] / ours["median_seconds"],
                 "results_identical": theirs["frequency_sum"] == ours["frequency_sum"],
                 "note": "lifetimes: frame in memory before timing; one run"})
    return rows


def task_import(repeats: int) -> list[dict]:
    row = repeat(["import"], repeats)
    return [{"task": "import cmokit", "tool": "cmokit", "size": "-", **row}]


def task_run_all(warehouse: Path) -> list[dict]:
    cli = str(Path(sys.executable).with_name("cmokit"))
    out = Path(tempfile.mkdtemp(prefix="cmokit-bench-reports-", dir=DATA))
    try:
        t0 = time.perf_counter()
        done = subprocess.run([cli, "report", "run-all", "--manifest", str(ROOT / "reports.yml"),
                               "--warehouse", str(warehouse), "--out", str(out), "--jobs", "2"],
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return [{"task": "report run-all (every report, sample warehouse)", "tool": "cmokit", "size": "8 reports",
             "median_seconds": seconds, "seconds_all": [round(seconds, 3)], "exit_code": done.returncode,
             "peak_mb": None, "note": "one run; many processes (kernels), so no single peak memory"}]


def sample_warehouse() -> Path:
    built = ROOT / "build" / "warehouse.duckdb"
    if built.exists():
        return built
    target = DATA / "sample.duckdb"
    if not target.exists():
        from cmokit.warehouse.build import build

        build(ROOT / "data" / "sample", target, dev_key=True)
    return target


TASKS = ("import", "build", "out_of_core", "spark", "purchase_summary", "run_all")


def _task_of(row: dict) -> str:
    """Which task wrote a result row (rows written before ``bench_task`` existed: by their task name)."""
    if "bench_task" in row:
        return row["bench_task"]
    name = row["task"]
    for prefix, task in (("import", "import"), ("sample generation", "build"), ("warehouse build", "build"),
                         ("RFM + cohorts + purchase summary:", "spark"), ("RFM + cohorts", "out_of_core"),
                         ("purchase summary", "purchase_summary"), ("report run-all", "run_all")):
        if name.startswith(prefix):
            return task
    return name


def _task_order(row: dict) -> int:
    return TASKS.index(_task_of(row)) if _task_of(row) in TASKS else len(TASKS)


def worker(kind: str, *args: str) -> None:
    fn = {"duckdb": work_duckdb, "spark": work_spark, "summary": work_summary, "import": work_import,
          "copy_floor": work_copy_floor}
    if kind == "lifetimes":
        result = work_lifetimes(*args)
    else:
        result = fn[kind](*args)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result, default=float))


def work_lifetimes(npz: str) -> dict:
    import numpy as np
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    d = np.load(npz)
    frame = pd.DataFrame({"customer_id": d["customer"], "date": pd.to_datetime(d["seconds"], unit="s"),
                          "revenue": d["revenue"]})
    frame = frame[frame["date"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    t0 = time.perf_counter()
    s = summary_data_from_transaction_data(frame, "customer_id", "date", monetary_value_col="revenue",
                                           observation_period_end=AS_OF, freq="D")
    return {"seconds": time.perf_counter() - t0, "customers": len(s), "frequency_sum": int(s["frequency"].sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, for a smoke run)")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--repeats", type=int, default=None, help="runs per tool (default 3, quick 1)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--baselines", nargs="+", default=list(BASELINES),
                        help="commits whose build the build task times in the same run (default: %(default)s)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    DATA.mkdir(parents=True, exist_ok=True)
    repeats = args.repeats or (1 if args.quick else 3)
    sizes = {"customers": 20_000 if args.quick else 1_000_000,
             "orders": [1_000_000] if args.quick else [10_000_000, 50_000_000],
             "spark": 1_000_000 if args.quick else 10_000_000,
             "summary": 1_000_000 if args.quick else 10_000_000}
    rows: list[dict] = []
    for task in args.tasks:
        t0 = time.perf_counter()
        if task == "import":
            rows += task_import(max(repeats, 5))
        elif task == "build":
            rows += task_build(sizes["customers"], args.repeats or 1, tuple(args.baselines))
        elif task == "out_of_core":
            rows += task_out_of_core(sizes["orders"], repeats)
        elif task == "spark":
            rows += task_spark(sizes["spark"], repeats)
        elif task == "purchase_summary":
            rows += task_purchase_summary(sizes["summary"], repeats)
        elif task == "run_all":
            rows += task_run_all(sample_warehouse())
        for r in rows:
            r.setdefault("bench_task", task)
        print(f"{task}: {time.perf_counter() - t0:.1f} s", flush=True)
    if args.out.exists() and not args.quick:  # tasks not run this time keep their last rows
        kept = [r for r in json.loads(args.out.read_text()).get("rows", []) if _task_of(r) not in args.tasks]
        rows = kept + rows
    result = {"benchmark": "scale: build, out-of-core DuckDB, Spark local vs DuckDB, purchase summary, import, run-all",
              "quick": args.quick, "python": platform.python_version(), "machine": platform.machine(),
              "cpu_count": os.cpu_count(), "repeats": repeats, "rows": sorted(rows, key=_task_order)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=float) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
