"""Benchmark: BG/NBD fit, cmokit against lifetimes 0.11.3 BetaGeoFitter, on the same summaries.

One command, from the repository root::

    .venv/bin/python benchmarks/clv/run.py                      # 100k, 1M and 5M customers
    .venv/bin/python benchmarks/clv/run.py --sizes 100000

Summaries are simulated from BG/NBD (r=0.5, alpha=6, a=0.7, b=2.5, weeks, up to two years) and
rounded to whole days, as day-level order data gives. Both tools get the same arrays and run in
separate processes, in the same run, timed on the fit call alone (median of ``--repeats``), as wall
time and as CPU time of the process (the fairer figure when other jobs share the machine: both
tools are single-threaded during the fit).
lifetimes runs in its own virtual environment (``benchmarks/.envs/lifetimes``: Python 3.11 with
numpy 1.24.4, pandas 1.5.3, scipy 1.10.1, autograd 1.9.1, ``lifetimes==0.11.3``), never as a
cmokit dependency. Writes ``benchmarks/results/clv.json`` with speed-up ratios and the largest
relative parameter difference.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benchmarks" / ".data"
PYTHONS = {"cmokit": Path(sys.executable), "lifetimes": ROOT / "benchmarks" / ".envs" / "lifetimes" / "bin" / "python"}
OUT = ROOT / "benchmarks" / "results" / "clv.json"
TRUTH = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}


def summaries(n: int) -> Path:
    from cmokit.clv.bgnbd import simulate

    path = DATA / f"bgnbd_{n}.npz"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        s = simulate(n, **TRUTH, T_max=104.0, seed=n % 1000 + 7)
        days = lambda weeks: np.round(weeks.to_numpy() * 7) / 7  # noqa: E731  whole days, in weeks
        np.savez(path, frequency=s["frequency"].to_numpy(float), recency=days(s["recency"]), T=days(s["T"]))
    return path


def fit(tool: str, path: Path) -> dict:
    out = subprocess.run([str(PYTHONS[tool]), str(HERE / "worker.py"), tool, str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool and size (median reported)")
    parser.add_argument("--lifetimes-repeats", type=int, default=1, help="lifetimes runs at sizes above 1M")
    args = parser.parse_args()
    if not PYTHONS["lifetimes"].exists():
        sys.exit("lifetimes' environment is missing: see this file's docstring to create benchmarks/.envs/lifetimes")
    results = []
    for n in args.sizes:
        path = summaries(n)
        row = {"customers": n}
        for tool in ("cmokit", "lifetimes"):
            repeats = args.repeats if (tool == "cmokit" or n <= 1_000_000) else args.lifetimes_repeats
            runs = [fit(tool, path) for _ in range(repeats)]
            row[tool] = {"seconds": statistics.median(r["seconds"] for r in runs),
                         "seconds_all": [r["seconds"] for r in runs],
                         "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
                         "fit_peak_increase_mb": max(r["fit_peak_increase_mb"] for r in runs),
                         "params": runs[0]["params"]}
            print(n, tool, row[tool]["seconds"], row[tool]["cpu_seconds"], row[tool]["fit_peak_increase_mb"],
                  runs[0]["params"], flush=True)
        row["speedup"] = row["lifetimes"]["seconds"] / row["cmokit"]["seconds"]
        row["speedup_cpu"] = row["lifetimes"]["cpu_seconds"] / row["cmokit"]["cpu_seconds"]
        row["memory_ratio"] = row["lifetimes"]["fit_peak_increase_mb"] / max(row["cmokit"]["fit_peak_increase_mb"], 1.0)
        row["max_relative_param_difference"] = max(
            abs(row["cmokit"]["params"][k] / row["lifetimes"]["params"][k] - 1) for k in TRUTH)
        results.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "benchmark": "BG/NBD fit: cmokit.clv.BetaGeo vs lifetimes 0.11.3 BetaGeoFitter (same summaries, same run)",
        "python": platform.python_version(), "machine": platform.machine(), "cpu_count": __import__("os").cpu_count(),
        "load_average_at_end": __import__("os").getloadavg(), "truth": TRUTH, "results": results}, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
