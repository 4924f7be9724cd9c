"""Fit BG/NBD on saved summaries and report wall and CPU time, peak memory and parameters (one JSON line).

Runs under cmokit's environment (``cmokit``) or lifetimes' own (``lifetimes``):
``python worker.py TOOL DATA.npz``. Data loading is outside the timed section;
peak memory is the process's maximum resident set minus the resident set just
before the fit.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    tool, path = sys.argv[1], sys.argv[2]
    data = np.load(path)
    frequency, recency, T = data["frequency"], data["recency"], data["T"]
    import pandas as pd

    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T})
    if tool == "cmokit":
        from cmokit.clv import BetaGeo

        BetaGeo().fit(frame.iloc[:1000])  # import scipy / warm up outside the timing
        before = rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        model = BetaGeo().fit(frame)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        params = model.params_
    else:
        from lifetimes import BetaGeoFitter

        BetaGeoFitter().fit(frame["frequency"][:1000], frame["recency"][:1000], frame["T"][:1000])
        before = rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        model = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        params = {k: float(v) for k, v in model.params_.items()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak, "rss_before_mb": before,
                      "fit_peak_increase_mb": peak - before, "params": params}))


if __name__ == "__main__":
    main()
