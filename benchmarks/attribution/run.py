"""Benchmark: exact Markov attribution (cmokit) against ChannelAttribution 2.2.5.

One command, from the repository root::

    .venv/bin/python benchmarks/attribution/run.py            # 1M and 10M journeys
    .venv/bin/python benchmarks/attribution/run.py --sizes 100000

Both tools get the same frame (one row per journey: ``path``,
``total_conversions``, ``total_conversion_value``, ``total_null``) built from a
seeded synthetic file (``generate.py``) and are timed on the model call alone,
in the same run, on the same machine. ChannelAttribution runs in its own
virtual environment (``benchmarks/.envs/channelattribution``, installed with
``pip install --no-binary channelattribution channelattribution==2.2.5 matplotlib``)
twice with different seeds, to show its simulation noise, and with more
simulations on the smallest size, to show it converging to the exact removal
effects. Writes
``benchmarks/results/attribution.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benchmarks" / ".data"
CA_PYTHON = ROOT / "benchmarks" / ".envs" / "channelattribution" / "bin" / "python"
OUT = ROOT / "benchmarks" / "results" / "attribution.json"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def cmokit_run(data: Path, order: int, repeats: int) -> dict:
    from cmokit.attribution import MarkovAttribution

    df = generate.frame(data).rename(columns={
        "total_conversions": "conversions", "total_conversion_value": "conversion_value", "total_null": "nulls"})
    times, model = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        model = MarkovAttribution(order=order).fit(df)
        times.append(time.perf_counter() - t0)
    re = model.removal_effects_.set_index("channel")
    return {"seconds": statistics.median(times), "seconds_all": times,
            "removal_effect": re["removal_effect"].to_dict(),
            "removal_effect_value": re["removal_effect_value"].to_dict(),
            "conversions": model.summary_.set_index("channel")["conversions"].to_dict(),
            "n_states": len(model.states_), "distinct_paths": int(df["path"].nunique())}


def ca_run(data: Path, order: int, seed: int, nsim_start: float = 1e5) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([str(CA_PYTHON), str(HERE / "ca_worker.py"), str(data), out.name, str(order), str(seed),
                        str(nsim_start)],
                       check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())


def max_abs_diff(a: dict, b: dict) -> float:
    return max(abs(a[k] - b.get(k, 0.0)) for k in a)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--order", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="cmokit timings per size (median reported)")
    parser.add_argument("--convergence-nsim", type=float, nargs="*", default=[1e6, 1e7],
                        help="ChannelAttribution nsim_start values tried on the smallest size: its simulated "
                             "removal effects should approach the exact ones as simulations grow")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not CA_PYTHON.exists():
        sys.exit(f"ChannelAttribution venv missing at {CA_PYTHON}; see this file's docstring")
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        data = DATA / f"attribution_{n}.npz"
        if not data.exists():
            generate.save(data, n)
        ours = cmokit_run(data, args.order, args.repeats)
        ca0, ca1 = ca_run(data, args.order, 0), ca_run(data, args.order, 1)
        row = {
            "journeys": n, "distinct_paths": ours["distinct_paths"], "order": args.order,
            "cmokit_seconds": round(ours["seconds"], 3),
            "channelattribution_seconds": round(ca0["seconds"], 3),
            "time_ratio_channelattribution_over_cmokit": round(ca0["seconds"] / ours["seconds"], 1),
            "max_abs_removal_effect_difference": round(max_abs_diff(ours["removal_effect"], ca0["removal_effect"]), 5),
            "max_abs_removal_effect_value_difference": round(
                max_abs_diff(ours["removal_effect_value"], ca0["removal_effect_value"]), 5),
            "channelattribution_seed_to_seed_max_difference": round(
                max_abs_diff(ca0["removal_effect"], ca1["removal_effect"]), 5),
            "removal_effect": {"cmokit": ours["removal_effect"], "channelattribution_seed0": ca0["removal_effect"],
                               "channelattribution_seed1": ca1["removal_effect"]},
            "cmokit_seconds_all": [round(t, 3) for t in ours["seconds_all"]],
        }
        print(json.dumps({k: v for k, v in row.items() if k != "removal_effect"}), flush=True)
        rows.append(row)
    convergence = []
    if args.convergence_nsim:
        data = DATA / f"attribution_{min(args.sizes)}.npz"
        exact = rows[args.sizes.index(min(args.sizes))]["removal_effect"]["cmokit"]
        for nsim in args.convergence_nsim:
            ca = ca_run(data, args.order, 0, nsim)
            convergence.append({"journeys": min(args.sizes), "nsim_start": nsim, "seconds": round(ca["seconds"], 3),
                                "max_abs_removal_effect_difference": round(max_abs_diff(exact, ca["removal_effect"]), 5)})
            print(json.dumps(convergence[-1]), flush=True)
    result = {"benchmark": "attribution_markov", "python": platform.python_version(),
              "machine": platform.machine(), "cpu_count": __import__("os").cpu_count(),
              "channelattribution": "2.2.5 (ncore=1, defaults unless nsim_start given)", "results": rows,
              "channelattribution_convergence_to_exact": convergence}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=False))
    return result


if __name__ == "__main__":
    main()
