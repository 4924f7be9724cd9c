"""The benchmark suite, one command: every ``benchmarks/*/run.py``, then one Markdown table.

From the repository root (``make bench`` runs the first)::

    .venv/bin/python benchmarks/run.py                 # full sizes (hours on 2 cores)
    .venv/bin/python benchmarks/run.py --quick         # small sizes, a smoke run in minutes
    .venv/bin/python benchmarks/run.py --only clv scale
    .venv/bin/python benchmarks/run.py --table-only    # rebuild the table from the JSON files

Each suite runs in its own process, in the same run on the same machine, and writes
``benchmarks/results/<suite>.json`` (``--quick`` writes ``benchmarks/results/quick/`` and leaves
the full results alone). Baselines that need old libraries run in their own environments under
``benchmarks/.envs/`` (lifetimes, ChannelAttribution; see each suite's docstring); a suite whose
environment is missing is reported as skipped. A suite folder this file does not know is run with
no arguments. ``benchmarks/results/README.md`` gets one row per task, tool and size: median wall
time, peak memory and the time ratio to cmokit measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: Suite arguments: full and quick. ``out`` names the JSON file(s) each call writes.
SUITES = {
    "segments": {"full": [["--orders", "10000000"], ["--orders", "50000000"]],
                 "quick": [["--orders", "1000000", "--repeats", "1"]], "out": "segments.json",
                 "per_call": lambda args: f"segments_{args[1]}.json"},
    "clv": {"full": [[]], "quick": [["--sizes", "100000", "--repeats", "1"]], "out": "clv.json"},
    "attribution": {"full": [["--sizes", "1000000"]],
                    "quick": [["--sizes", "100000", "--repeats", "1", "--convergence-nsim"]],
                    "out": "attribution.json"},
    "mmm": {"full": [[]], "quick": [["--repeats", "1"]], "out": "mmm.json"},
    "scale": {"full": [[]], "quick": [["--quick"]], "out": "scale.json"},
}


def suites() -> list[str]:
    found = sorted(p.parent.name for p in HERE.glob("*/run.py"))
    return [s for s in SUITES if s in found] + [s for s in found if s not in SUITES]


def run_suite(name: str, quick: bool, results: Path) -> list[dict]:
    """Run one suite; its JSON lands in ``results``. Returns a log entry per call."""
    spec = SUITES.get(name, {"full": [[]], "quick": [[]], "out": f"{name}.json"})
    log = []
    for args in spec["quick" if quick else "full"]:
        written = RESULTS / spec["out"]
        before = written.read_bytes() if written.exists() else None
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / name / "run.py"), *args], text=True,
                              capture_output=True)
        seconds = time.perf_counter() - t0
        target = results / (spec["per_call"](args) if "per_call" in spec else spec["out"])
        if done.returncode == 0 and written.exists() and written.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(written, target)
            if results != RESULTS:  # quick runs leave the committed full results as they were
                written.write_bytes(before) if before is not None else written.unlink()
        entry = {"suite": name, "args": args, "seconds": round(seconds, 1), "exit_code": done.returncode}
        if done.returncode:
            entry["stderr"] = done.stderr[-2000:]
        print(f"{name} {' '.join(args)}: exit {done.returncode} in {seconds:.0f} s", flush=True)
        log.append(entry)
    return log


# -- the table ----------------------------------------------------------------------------------

def _row(task, tool, size, seconds, peak=None, ratio=None, note=""):
    return {"task": task, "tool": tool, "size": size, "median_seconds": seconds, "peak_mb": peak,
            "ratio_to_cmokit": ratio, "note": note}


def rows_segments(d: dict) -> list[dict]:
    size = f"{d['orders']:,} orders"
    task = "RFM + cohorts"
    s = d["seconds"]
    note = "identical results" if d.get("results_identical") else "RESULTS DIFFER"
    return [_row(task, "cmokit (DuckDB)", size, s["cmokit"], ratio=1.0, note=note),
            _row(task, "pandas", size, s["pandas"], ratio=s["pandas"] / s["cmokit"], note="frame in memory before timing"),
            _row(task, "polars lazy", size, s["polars"], ratio=s["polars"] / s["cmokit"])]


def rows_clv(d: dict) -> list[dict]:
    out = []
    for r in d["results"]:
        size = f"{r['customers']:,} customers"
        c, lt = r["cmokit"], r["lifetimes"]
        out.append(_row("BG/NBD fit", "cmokit", size, c["seconds"], c.get("fit_peak_increase_mb"), 1.0,
                        "peak: increase during the fit"))
        out.append(_row("BG/NBD fit", "lifetimes 0.11.3", size, lt["seconds"], lt.get("fit_peak_increase_mb"),
                        lt["seconds"] / c["seconds"],
                        f"max parameter difference {r.get('max_relative_param_difference', float('nan')):.1e}"))
    return out


def rows_attribution(d: dict) -> list[dict]:
    out = []
    for r in d["results"]:
        size = f"{r['journeys']:,} journeys"
        out.append(_row("Markov attribution (order 1)", "cmokit (exact)", size, r["cmokit_seconds"], ratio=1.0))
        out.append(_row("Markov attribution (order 1)", "ChannelAttribution 2.2.5", size,
                        r["channelattribution_seconds"], ratio=r["channelattribution_seconds"] / r["cmokit_seconds"],
                        note=f"max removal-effect difference {r['max_abs_removal_effect_difference']:.3f} (simulation noise)"))
    return out


def rows_mmm(d: dict) -> list[dict]:
    return [_row("Media-mix model fit", "cmokit", "156 weeks x 6 channels", d["fit_seconds_median"],
                 note=d.get("benchmark", ""))]


def rows_scale(d: dict) -> list[dict]:
    out = []
    for r in d["rows"]:
        note = r.get("note", "")
        if "rows_per_second" in r:
            note = f"{r['rows_per_second']:,.0f} rows/s; " + note
        if "error" in r:
            note = "not run: " + r["error"].strip().splitlines()[-1][:120]
        if r.get("results_identical") is False:
            note = "RESULTS DIFFER; " + note
        out.append(_row(r["task"], r["tool"], r["size"], r.get("median_seconds"), r.get("peak_mb"),
                        r.get("ratio_to_cmokit", 1.0 if r["tool"].startswith("cmokit") else None), note.strip("; ")))
    return out


def rows_mmm_recovery(d: dict) -> list[dict]:
    """The media-mix recovery study measures accuracy, not time: one row, its headline numbers in the note."""
    before, after = d["before"], d["after"]
    return [_row("Media-mix recovery study", "cmokit", f"{after['worlds']} simulated worlds", None,
                 note=f"{d['study']}: median channel-share error {before['median_share_abs_error_pp']:.1f} -> "
                      f"{after['median_share_abs_error_pp']:.1f} pp, 90 % ROI interval coverage "
                      f"{before['roi_coverage_90']:.0%} -> {after['roi_coverage_90']:.0%} (accuracy, not time: "
                      "mmm_recovery.json, DECISIONS.md)")]


#: result file stem (or its first word) -> the rows it gives the table
READERS = {"segments": rows_segments, "clv": rows_clv, "attribution": rows_attribution, "mmm": rows_mmm,
           "mmm_recovery": rows_mmm_recovery, "scale": rows_scale}


def table(results: Path) -> str:
    rows = []
    for path in sorted(results.glob("*.json")):
        reader = READERS.get(path.stem) or READERS.get(path.stem.split("_")[0])
        if reader is None:
            continue
        try:
            rows += reader(json.loads(path.read_text()))
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            rows.append(_row(path.stem, "?", "?", None, note=f"unreadable result file: {exc!r}"))

    rows = list({(r["task"], r["tool"], r["size"]): r for r in rows}.values())  # a later file wins

    def fmt(v, spec):
        return "–" if v is None else format(v, spec)

    lines = ["| task | tool | size | median wall time (s) | peak memory (MB) | time ratio to cmokit | note |",
             "| --- | --- | --- | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['task']} | {r['tool']} | {r['size']} | {fmt(r['median_seconds'], '.2f')} | "
                     f"{fmt(r['peak_mb'], ',.0f')} | {fmt(r['ratio_to_cmokit'], '.1f')} | {r['note']} |")
    return "\n".join(lines) + "\n"


def write_readme(results: Path, log: list[dict] | None) -> Path:
    text = ["# Benchmark results", "",
            "Written by `benchmarks/run.py` (`make bench`) from the JSON files beside this one; "
            "2-core machine, every tool in the same run. *time ratio to cmokit* = the tool's median wall "
            "time / cmokit's (above 1: cmokit faster). Peak memory is the measuring process's peak "
            "resident set unless the note says otherwise; – where the suite does not record it.", "",
            table(results)]
    if log:
        failed = [e for e in log if e["exit_code"]]
        text += ["", f"Suites run: {len(log)}, failed: {len(failed)}."]
        text += [f"- `{e['suite']} {' '.join(e['args'])}` failed (exit {e['exit_code']}): "
                 f"{e.get('stderr', '').strip().splitlines()[-1:] or ''}" for e in failed]
    path = results / "README.md"
    path.write_text("\n".join(text) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; results in benchmarks/results/quick/")
    parser.add_argument("--only", nargs="+", help="suites to run (folder names)")
    parser.add_argument("--table-only", action="store_true", help="only rebuild README.md from the JSON files")
    args = parser.parse_args()
    results = RESULTS / "quick" if args.quick else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    log = None
    if not args.table_only:
        log = []
        for name in args.only or suites():
            log += run_suite(name, args.quick, results)
    print(f"wrote {write_readme(results, log)}")
    return 1 if log and any(e["exit_code"] for e in log) else 0


if __name__ == "__main__":
    sys.exit(main())
