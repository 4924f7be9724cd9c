"""Run ChannelAttribution's Markov model on a benchmark file (in its own venv).

Usage: ca_worker.py DATA.npz OUT.json ORDER SEED [NSIM_START]
"""

import json
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import generate  # noqa: E402

import ChannelAttribution as ca  # noqa: E402


def main(data, out, order, seed, nsim_start=1e5):
    df = generate.frame(data)
    t0 = time.perf_counter()
    res = ca.markov_model(df, var_path="path", var_conv="total_conversions",
                          var_value="total_conversion_value", var_null="total_null",
                          order=int(order), seed=int(seed), nsim_start=float(nsim_start), out_more=True, sep=">", verbose=False, flg_pro=False)
    seconds = time.perf_counter() - t0
    re = res["removal_effects"]
    attr = res["result"]
    with open(out, "w") as fh:
        json.dump({
            "seconds": seconds,
            "removal_effect": dict(zip(re["channel_name"].str.strip(), re["removal_effects_conversion"].astype(float))),
            "removal_effect_value": dict(zip(re["channel_name"].str.strip(), re["removal_effects_conversion_value"].astype(float))),
            "conversions": dict(zip(attr["channel_name"].str.strip(), attr["total_conversions"].astype(float))),
            "version": ca.__version__ if hasattr(ca, "__version__") else "2.2.5",
        }, fh)


if __name__ == "__main__":
    main(*sys.argv[1:6])
