"""Recovery study: does the MMM recover contribution shares and cover true ROIs, per transform family?

One command, from the repository root::

    .venv/bin/python benchmarks/mmm/recovery.py             # 16 worlds (about 30 min on 2 cores)
    .venv/bin/python benchmarks/mmm/recovery.py --quick     # 4 worlds, a smoke run

Simulated worlds (seeded): weekly revenue = trend + yearly season + three channels whose effect
is ``beta * S(A(spend) / (mean spend * sum of lag weights))`` with the world's adstock family
``A`` (geometric decay, or Weibull CDF lags with a slower tail) and saturation family ``S``
(Hill with an S-shape, or logistic), flighted gamma spend, Gaussian noise; every family pair at
104 and 156 weeks, two seeds each. Each world is fitted twice at the same settings:

* **before** -- the fixed default families (geometric adstock, Hill saturation);
* **after** -- ``adstock="auto", saturation="auto"``: the pair with the lowest Akaike criterion
  on the search's posterior (the model's time-series CV error is recorded beside it).

Reported: median absolute error of the channels' contribution shares (share of total media
contribution, percentage points), coverage of the true ROI by the 90 % interval, and how often
"auto" picked the true adstock, the true saturation and both. Writes
``benchmarks/results/mmm_recovery.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "mmm_recovery.json"
#: channel -> (max weekly effect, mean spend)
CHANNELS = {"search": (30_000.0, 6_000.0), "social": (20_000.0, 5_000.0), "video": (15_000.0, 7_000.0)}
#: family -> per channel hyperparameters
ADSTOCK = {"geometric": [{"decay": 0.2}, {"decay": 0.5}, {"decay": 0.7}],
           "weibull": [{"weibull_shape": 2.0, "weibull_scale": 2.0}, {"weibull_shape": 1.5, "weibull_scale": 3.0},
                       {"weibull_shape": 2.5, "weibull_scale": 4.0}]}
SATURATION = {"hill": [{"half_saturation": 1.0, "shape": 2.5}, {"half_saturation": 1.3, "shape": 2.0},
                       {"half_saturation": 0.8, "shape": 3.0}],
              "logistic": [{"lam": 1.5}, {"lam": 2.5}, {"lam": 1.0}]}
SETTINGS = dict(n_bootstrap=60, maxiter=30, popsize=8, max_lag=8)


def simulate(adstock: str, saturation: str, n_weeks: int, seed: int, noise_sd: float = 3_000.0):
    """A weekly panel from the given families and its true contribution shares and ROIs."""
    from cmokit.mmm.transforms import ADSTOCK_FAMILIES, SATURATION_FAMILIES, apply_lag_weights

    rng = np.random.default_rng(seed)
    periods = pd.date_range("2022-01-03", periods=n_weeks, freq="W-MON")
    doy = periods.day_of_year.to_numpy()
    revenue = 120_000 + 60 * np.arange(n_weeks) + 10_000 * np.sin(2 * np.pi * doy / 365.25)
    panel = pd.DataFrame({"period": periods})
    effects, roi = {}, {}
    for i, (ch, (beta, mean_spend)) in enumerate(CHANNELS.items()):
        spend = rng.gamma(3.0, mean_spend / 3.0, n_weeks) * (rng.random(n_weeks) > 0.3)
        a, s = ADSTOCK[adstock][i], SATURATION[saturation][i]
        w = ADSTOCK_FAMILIES[adstock].lag_weights(a, SETTINGS["max_lag"])
        x = apply_lag_weights(spend, w) / (spend.mean() * w.sum())
        effect = beta * SATURATION_FAMILIES[saturation].curve(x, s)
        panel[ch] = spend
        revenue = revenue + effect
        effects[ch], roi[ch] = effect.sum(), effect.sum() / spend.sum()
    panel["revenue"] = revenue + rng.normal(0, noise_sd, n_weeks)
    total = sum(effects.values())
    return panel, {ch: e / total for ch, e in effects.items()}, roi


def score(model, share, roi) -> dict:
    s = model.summary_.set_index("channel")
    est_share = s["contribution"] / s["contribution"].sum()
    return {"share_abs_error": [abs(float(est_share[c]) - share[c]) for c in share],
            "covered": [bool(s.loc[c, "roi_lower"] <= roi[c] <= s.loc[c, "roi_upper"]) for c in roi]}


def main(argv=None) -> dict:
    from cmokit.mmm import MediaMixModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 worlds (one per family pair, 104 weeks, one seed)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    lengths, seeds = ((104,), (1,)) if args.quick else ((104, 156), (1, 2))
    worlds = []
    for adstock, saturation, n_weeks, seed in itertools.product(ADSTOCK, SATURATION, lengths, seeds):
        panel, share, roi = simulate(adstock, saturation, n_weeks, seed)
        row = {"adstock": adstock, "saturation": saturation, "weeks": n_weeks, "seed": seed}
        t0 = time.perf_counter()
        before = MediaMixModel(channels=list(CHANNELS), random_state=seed, **SETTINGS).fit(panel)
        row["before"] = {**score(before, share, roi), "seconds": time.perf_counter() - t0}
        t0 = time.perf_counter()
        after = MediaMixModel(channels=list(CHANNELS), adstock="auto", saturation="auto", random_state=seed,
                              **SETTINGS).fit(panel)
        row["after"] = {**score(after, share, roi), "seconds": time.perf_counter() - t0,
                        "chosen": [after.adstock_, after.saturation_],
                        "selection": after.transform_selection_.to_dict("records")}
        worlds.append(row)
        print(f"{adstock:9s} {saturation:8s} {n_weeks}w seed {seed}: share error "
              f"{np.median(row['before']['share_abs_error']):.3f} -> {np.median(row['after']['share_abs_error']):.3f}; "
              f"chose {after.adstock_}/{after.saturation_}", flush=True)

    def summary(key):
        errors = [e for w in worlds for e in w[key]["share_abs_error"]]
        covered = [c for w in worlds for c in w[key]["covered"]]
        return {"median_share_abs_error_pp": 100 * float(np.median(errors)),
                "roi_coverage_90": float(np.mean(covered)), "worlds": len(worlds)}

    picked = [(w["after"]["chosen"][0] == w["adstock"], w["after"]["chosen"][1] == w["saturation"]) for w in worlds]
    result = {
        "study": "mmm transform-family recovery", "settings": SETTINGS, "lengths": lengths, "seeds": seeds,
        "before": summary("before"), "after": summary("after"),
        "selection_rate": {"adstock": float(np.mean([a for a, _ in picked])),
                           "saturation": float(np.mean([s for _, s in picked])),
                           "both": float(np.mean([a and s for a, s in picked]))},
        "by_family": {f"{a}/{s}": {k: 100 * float(np.median([e for w in worlds if (w['adstock'], w['saturation']) == (a, s)
                                                            for e in w[k]["share_abs_error"]]))
                                   for k in ("before", "after")}
                      for a, s in itertools.product(ADSTOCK, SATURATION)},
        "worlds": worlds, "machine": platform.platform(), "python": platform.python_version(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(json.dumps({k: result[k] for k in ("before", "after", "selection_rate", "by_family")}, indent=2))
    return result


if __name__ == "__main__":
    main()
