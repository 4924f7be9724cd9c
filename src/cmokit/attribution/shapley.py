"""Shapley-value attribution over channel sets, exact, from observed conversion rates.

Each journey is reduced to its **channel set** ``T`` (order and repeats
dropped). With ``n_T`` journeys and ``c_T`` conversions on set ``T``, the
observed conversion rate of a set ``S`` is ``r(S) = c_S / n_S``; a set never
observed on its own takes the pooled rate of the observed journeys whose sets
lie inside it, ``Σ_{U⊆S} c_U / Σ_{U⊆S} n_U`` (0 when there are none), and
``r(∅) = 0``. The coalition value of a set of channels ``S`` is the number of
conversions expected if only the channels in ``S`` had run, each journey
converting at the rate of what is left of it::

    v(S) = Σ_T n_T · r(T ∩ S),     v(all channels) = total conversions,  v(∅) = 0.

The Shapley value (Shapley 1953; for attribution Zhao, Mahboobi & Bagheri
2018, *Shapley value methods for attribution modeling in online advertising*,
arXiv:1804.05327) splits ``v(all)`` among channels::

    φ_i = Σ_{S ∌ i} |S|! (N - |S| - 1)! / N! · (v(S ∪ {i}) - v(S)).

Because ``v`` is a sum of per-set games in which channels outside ``T`` are
null players, ``φ = Σ_T φ(v_T)`` with ``v_T(S) = n_T r(S)`` over subsets of
``T`` only. So the computation is **exact for any number of channels** as long
as no single journey touches more than ``exact_max_channels`` (default 15)
distinct channels: ``2^|T|`` coalitions per distinct set, vectorised. Sets with
more channels use the documented approximation: the average marginal
contribution over ``n_permutations`` random channel orders drawn with
``random_state`` (Castro, Gómez & Tejada 2009), unbiased and reproducible.
Value credit uses the same game with conversion value in place of conversions.
The game satisfies efficiency (credits sum to total conversions / value) and
symmetry (channels with identical data get identical credit).
"""

from __future__ import annotations

from math import factorial

import numpy as np
import pandas as pd

from cmokit._params import ParamsMixin
from cmokit.attribution._fitted import LearnedAttributes
from cmokit.attribution.journeys import encode, same_kind
from cmokit.attribution.rules import channel_table
from cmokit.errors import ConfigError

#: Rates are tabulated for every channel subset up to this many channels.
MAX_TABLE_CHANNELS = 20


def _channel_sets(enc):
    """Distinct channel-set bitmasks with journeys, conversions and value per set."""
    bits = np.left_shift(np.int64(1), enc.codes.astype(np.int64))
    mask = np.zeros(len(enc.length), dtype=np.int64)
    np.bitwise_or.at(mask, enc.path_index, bits)
    sets, inv = np.unique(mask, return_inverse=True)
    flow = np.bincount(inv, enc.conversions + enc.nulls, minlength=len(sets))
    conv = np.bincount(inv, enc.conversions, minlength=len(sets))
    value = np.bincount(inv, enc.value, minlength=len(sets))
    return sets, flow, conv, value


def _rate_lookup(sets, flow, outcome, n_channels):
    """Function mapping coalition bitmasks to their observed (or pooled) rate."""
    observed = dict(zip(sets.tolist(), (outcome / np.where(flow > 0, flow, 1)).tolist()))
    if n_channels <= MAX_TABLE_CHANNELS:
        size = 1 << n_channels
        num, den = np.zeros(size), np.zeros(size)
        np.add.at(num, sets, outcome)
        np.add.at(den, sets, flow)
        for i in range(n_channels):  # subset sums (zeta transform)
            step = 1 << i
            for arr in (num, den):
                view = arr.reshape(-1, 2, step)
                view[:, 1, :] += view[:, 0, :]
        table = np.divide(num, den, out=np.zeros(size), where=den > 0)
        seen = flow > 0
        table[sets[seen]] = outcome[seen] / flow[seen]
        table[0] = 0.0
        return lambda masks: table[masks]

    def lookup(masks):
        masks = np.asarray(masks, dtype=np.int64)
        out = np.empty(masks.shape)
        for idx, m in np.ndenumerate(masks):
            if m in observed and m != 0:
                out[idx] = observed[m]
                continue
            inside = (sets & ~m) == 0
            d = flow[inside].sum()
            out[idx] = outcome[inside].sum() / d if d > 0 and m != 0 else 0.0
        return out

    return lookup


def _members(sets: np.ndarray, n_channels: int) -> list[np.ndarray]:
    return [np.nonzero((int(s) >> np.arange(n_channels)) & 1)[0] for s in sets]


def _exact(members_k: np.ndarray, flow_k: np.ndarray, rate, n_channels: int) -> np.ndarray:
    """Shapley credit of every channel from all sets of one size ``k`` (rows of ``members_k``)."""
    m, k = members_k.shape
    local = np.arange(1 << k)
    size = np.array([bin(x).count("1") for x in local])
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0 for s in size])
    out = np.zeros(n_channels)
    chunk = max(1, (1 << 22) >> k)
    for lo in range(0, m, chunk):
        ch = members_k[lo:lo + chunk]
        glob = np.zeros((len(ch), len(local)), dtype=np.int64)
        for j in range(k):
            glob |= ((local >> j) & 1)[None, :] * (np.int64(1) << ch[:, j:j + 1])
        values = flow_k[lo:lo + chunk, None] * rate(glob)
        for j in range(k):
            without = local[((local >> j) & 1) == 0]
            marginal = values[:, without | (1 << j)] - values[:, without]
            np.add.at(out, ch[:, j], marginal @ weight[without])
    return out


def _sampled(members: np.ndarray, flow: float, rate, n_channels: int, n_permutations: int, rng) -> np.ndarray:
    """Permutation-sampling estimate of one large set's Shapley credit."""
    k = len(members)
    perms = rng.permuted(np.tile(np.arange(k), (n_permutations, 1)), axis=1)
    bits = np.left_shift(np.int64(1), members.astype(np.int64))[perms]
    values = flow * rate(np.cumsum(bits, axis=1))
    marginal = np.diff(values, axis=1, prepend=0.0)
    out = np.zeros(n_channels)
    np.add.at(out, members[perms].ravel(), marginal.ravel() / n_permutations)
    return out


class ShapleyAttribution(LearnedAttributes, ParamsMixin):
    """Shapley-value attribution with coalition values from observed conversion rates.

    Parameters
    ----------
    exact_max_channels : int
        Journeys touching at most this many distinct channels are credited
        exactly (``2^k`` coalitions); larger ones by permutation sampling.
    n_permutations : int
        Random channel orders per large channel set.
    random_state : int
        Seed of the permutation sampling (used only beyond ``exact_max_channels``).

    Attributes
    ----------
    summary_ : pandas.DataFrame
        ``channel``, ``model``, ``conversions``, ``conversion_value``, ``share``.
    coalitions_ : pandas.DataFrame
        Observed channel sets: ``channels``, ``journeys``, ``conversions``,
        ``conversion_value``, ``conversion_rate``.
    n_sampled_sets_ : int
        Distinct channel sets credited by sampling (0 means fully exact).

    Examples
    --------
    >>> paths = pd.DataFrame({"path": ["A", "B", "A > B"], "conversions": [1, 1, 3],
    ...     "conversion_value": [1.0, 1.0, 3.0], "nulls": [9, 9, 7]})
    >>> ShapleyAttribution().fit(paths).summary_[["channel", "conversions"]]
      channel  conversions
    0       A          2.5
    1       B          2.5
    """

    def __init__(self, exact_max_channels: int = 15, n_permutations: int = 2000, random_state: int = 0):
        self.exact_max_channels = exact_max_channels
        self.n_permutations = n_permutations
        self.random_state = random_state

    def fit(self, journeys) -> "ShapleyAttribution":
        """Compute the Shapley credit of every channel for conversions and value."""
        if not 1 <= self.exact_max_channels <= 20:
            raise ConfigError("exact_max_channels must be between 1 and 20")
        enc = encode(journeys)
        n = len(enc.channels)
        if n > 62:
            raise ConfigError(f"{n} channels: Shapley attribution supports at most 62; group channels first")
        sets, flow, conv, value = _channel_sets(enc)
        members = _members(sets, n)
        sizes = np.array([len(mm) for mm in members])
        rng = np.random.default_rng(self.random_state)
        credit = []
        for outcome in (conv, value):
            rate = _rate_lookup(sets, flow, outcome, n)
            out = np.zeros(n)
            for k in np.unique(sizes):
                rows = np.nonzero(sizes == k)[0]
                if k <= self.exact_max_channels:
                    out += _exact(np.stack([members[i] for i in rows]), flow[rows], rate, n)
                else:
                    for i in rows:
                        out += _sampled(members[i], flow[i], rate, n, self.n_permutations, rng)
            credit.append(out)
        self.channels_ = enc.channels
        self.n_sampled_sets_ = int((sizes > self.exact_max_channels).sum())
        self.summary_ = channel_table(enc.channels, credit[0], credit[1], "shapley")
        self.coalitions_ = pd.DataFrame({
            "channels": [" + ".join(enc.channels[c] for c in mm) for mm in members],
            "journeys": flow, "conversions": conv, "conversion_value": value,
            "conversion_rate": np.divide(conv, flow, out=np.zeros_like(conv), where=flow > 0),
        }).sort_values("channels", kind="stable").reset_index(drop=True)
        return self


def shapley_attribution(journeys, **settings) -> pd.DataFrame:
    """One-shot Shapley attribution: the ``summary_`` of a fitted :class:`ShapleyAttribution`."""
    return same_kind(journeys, ShapleyAttribution(**settings).fit(journeys).summary_)


__all__ = ["ShapleyAttribution", "shapley_attribution"]
