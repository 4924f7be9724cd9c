"""Benchmark: MediaMixModel fit time on 3 years of weekly data with 6 channels.

One command, from the repository root::

    .venv/bin/python benchmarks/mmm/run.py              # 3 repeats, default settings
    .venv/bin/python benchmarks/mmm/run.py --repeats 1

The panel is simulated (trend, yearly season, six channels with geometric adstock and Hill
saturation, flighted gamma spend, Gaussian noise; seed 11). The fit is timed whole (search,
hyperparameter sampling, 200 bootstrap replicates, cross-validation, summaries) at the
default settings; the median of ``--repeats`` is reported with the planted and estimated
ROIs. Writes ``benchmarks/results/mmm.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "mmm.json"
#: channel -> (decay, half saturation in multiples of mean spend, shape, max weekly effect, mean spend)
CHANNELS = {
    "paid_search": (0.2, 1.0, 1.0, 30_000.0, 6_000.0),
    "paid_social": (0.5, 1.5, 1.5, 20_000.0, 5_000.0),
    "display": (0.3, 0.8, 1.0, 6_000.0, 3_000.0),
    "video": (0.7, 1.2, 2.0, 15_000.0, 7_000.0),
    "affiliate": (0.1, 0.7, 1.0, 8_000.0, 2_500.0),
    "email": (0.0, 1.0, 1.0, 4_000.0, 800.0),
}


def simulate(n_weeks: int = 156, seed: int = 11):
    from cmokit.mmm.transforms import geometric_adstock, hill

    rng = np.random.default_rng(seed)
    periods = pd.date_range("2023-01-02", periods=n_weeks, freq="W-MON")
    doy = periods.day_of_year.to_numpy()
    revenue = 150_000 + 80 * np.arange(n_weeks) + 12_000 * np.sin(2 * np.pi * doy / 365.25)
    panel = pd.DataFrame({"period": periods})
    truth = {}
    for ch, (decay, half, shape, beta, mean_spend) in CHANNELS.items():
        spend = rng.gamma(3.0, mean_spend / 3.0, n_weeks) * (rng.random(n_weeks) > 0.25)
        weights = decay ** np.arange(9)
        effect = beta * hill(geometric_adstock(spend, decay, 8) / (spend.mean() * weights.sum()), half, shape)
        panel[ch] = spend
        revenue = revenue + effect
        truth[ch] = float(effect.sum() / spend.sum())
    panel["revenue"] = revenue + rng.normal(0, 3_000, n_weeks)
    return panel, truth


def main(argv=None) -> dict:
    from cmokit.mmm.model import MediaMixModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    panel, truth = simulate()
    times, model = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        model = MediaMixModel(channels=list(CHANNELS), random_state=0).fit(panel)
        times.append(time.perf_counter() - t0)
    s = model.summary_.set_index("channel")
    result = {
        "benchmark": "MediaMixModel.fit, 156 weeks x 6 channels, default settings (n_bootstrap=200)",
        "fit_seconds_median": round(statistics.median(times), 3),
        "fit_seconds_all": [round(t, 3) for t in times],
        "search": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in model.search_.items()},
        "diagnostics": {k: round(v, 4) for k, v in model.diagnostics_.items()},
        "roi": {ch: {"planted": round(truth[ch], 3), "estimate": round(float(s.loc[ch, "roi"]), 3),
                     "lower": round(float(s.loc[ch, "roi_lower"]), 3), "upper": round(float(s.loc[ch, "roi_upper"]), 3)}
                for ch in CHANNELS},
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
