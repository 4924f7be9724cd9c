"""Synthetic journeys for the attribution benchmark: one row per journey, seeded.

Channels follow a first-order Markov chain over the nine contract channels;
each journey converts with a probability that grows with the effective
channels it contains. Saved as ``.npz`` (distinct path strings, an index per
journey, conversions, value) so both tools build the same frame.
"""

from __future__ import annotations

import numpy as np

CHANNELS = np.array(["affiliate", "direct", "display", "email", "organic_search",
                     "paid_search", "paid_social", "referral", "video"])
LIFT = np.array([0.02, 0.0, 0.03, 0.05, 0.04, 0.08, 0.06, 0.0, 0.01])
MAX_STEPS = 10


def journeys(n: int, seed: int = 2026):
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    start = rng.dirichlet(np.ones(k))
    trans = rng.dirichlet(np.ones(k) * 0.5, size=k)
    length = np.minimum(1 + rng.geometric(0.35, n) - 1, MAX_STEPS)
    steps = np.empty((n, MAX_STEPS), dtype=np.int64)
    steps[:, 0] = rng.choice(k, size=n, p=start)
    cum = np.cumsum(trans, axis=1)
    for s in range(1, MAX_STEPS):
        u = rng.random(n)[:, None]
        steps[:, s] = np.minimum((u > cum[steps[:, s - 1]]).sum(axis=1), k - 1)
    alive = np.arange(MAX_STEPS)[None, :] < length[:, None]
    present = np.zeros((n, k), dtype=bool)
    for s in range(MAX_STEPS):
        present[np.arange(n)[alive[:, s]], steps[alive[:, s], s]] = True
    p = 0.01 + present @ LIFT
    conv = (rng.random(n) < p).astype(np.int64)
    value = np.round(conv * rng.gamma(2.0, 40.0, n), 2)
    key = np.where(alive, steps + 1, 0) @ (np.int64(k + 1) ** np.arange(MAX_STEPS))
    keys, inverse = np.unique(key, return_inverse=True)
    first = np.zeros(len(keys), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n)[::-1]
    paths = np.array([" > ".join(CHANNELS[steps[i, :length[i]]]) for i in first], dtype=object)
    return paths, inverse.astype(np.int64), conv, value


def save(path, n: int, seed: int = 2026) -> None:
    paths, index, conv, value = journeys(n, seed)
    np.savez(path, paths=paths.astype(str), index=index, conv=conv, value=value)


def frame(path):
    """The benchmark frame: path, total_conversions, total_conversion_value, total_null."""
    import pandas as pd

    z = np.load(path)
    paths = z["paths"].astype(object)[z["index"]]
    return pd.DataFrame({"path": paths, "total_conversions": z["conv"],
                         "total_conversion_value": z["value"], "total_null": 1 - z["conv"]})
