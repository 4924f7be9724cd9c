"""Markov-chain attribution with exact removal effects (orders 1 to 3).

Journeys are read as walks of an absorbing Markov chain (Anderl, Becker, von
Wangenheim & Schumann 2016, *Mapping the customer journey: lessons learned
from graph-based online attribution modeling*, IJRM 33(3)). For order ``k`` a
transient state is the last ``k`` channels of the walk (fewer at its start);
``(start)`` leads into the first state and every walk ends in the absorbing
``(conversion)`` or ``(null)`` state. Transition probabilities are observed
flow shares: ``P[s, t] = n(s→t) / n(s→·)``.

With ``Q`` the transient-to-transient block and ``b`` the one-step conversion
probabilities, the conversion probability from every state solves the
absorbing-chain system (Kemeny & Snell 1960, *Finite Markov Chains*, §3.3)::

    (I - Q) x = b,        P(conversion) = x[(start)].

The **removal effect** of channel ``c`` is ``RE_c = 1 - P_{-c} / P`` where
``P_{-c}`` solves the same system with every state containing ``c`` sent to
``(null)`` (its rows and columns dropped). Credit is
``conversions_c = total_conversions * RE_c / Σ RE``. Value uses the same chain
with ``b`` replaced by the expected conversion value of leaving each state.

Every system is solved exactly with a sparse LU factorisation
(``scipy.sparse.linalg.splu``); there is no simulation, so results are
identical run to run and channels never get zero removal effect by sampling
noise (ChannelAttribution's ``markov_model`` simulates walks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cmokit._params import ParamsMixin
from cmokit.attribution._fitted import LearnedAttributes
from cmokit.attribution.journeys import SEP, encode, same_kind
from cmokit.attribution.rules import channel_table
from cmokit.errors import ConfigError, NotFittedError

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def _state_codes(enc, order: int) -> np.ndarray:
    """Integer code of the order-``order`` state at every touch (base ``n_channels + 1``)."""
    base = len(enc.channels) + 1
    code = np.zeros(len(enc.codes), dtype=np.int64)
    for j in range(order):
        prev = np.zeros(len(enc.codes), dtype=np.int64)
        ok = enc.position >= j
        idx = np.nonzero(ok)[0]
        prev[idx] = enc.codes[idx - j] + 1
        code += prev * base ** j
    return code


def _decode(state_codes: np.ndarray, order: int, n_channels: int) -> np.ndarray:
    """Channel codes (``-1`` = none) of each state, oldest first: shape (states, order)."""
    base = n_channels + 1
    digits = np.stack([(state_codes // base ** j) % base - 1 for j in range(order)], axis=1)
    return digits[:, ::-1]


class MarkovAttribution(LearnedAttributes, ParamsMixin):
    """Markov-chain attribution of order 1-3 with exact removal effects.

    Parameters
    ----------
    order : int
        How many past channels a state remembers (1, 2 or 3).

    Attributes
    ----------
    removal_effects_ : pandas.DataFrame
        ``channel``, ``removal_effect`` (conversions), ``removal_effect_value``.
    summary_ : pandas.DataFrame
        The attribution: ``channel``, ``model``, ``conversions``,
        ``conversion_value``, ``share``.
    conversion_probability_ : float
        Probability that a journey from ``(start)`` converts.
    transitions_ : pandas.DataFrame
        The transition matrix, long: ``from_state``, ``to_state``, ``count``,
        ``probability`` (use :meth:`transition_matrix` for a square table).
    states_ : list of str
        Transient states, e.g. ``"display > email"`` at order 2.

    Examples
    --------
    >>> paths = pd.DataFrame({"path": ["A > B", "B", "A"], "conversions": [1, 1, 0],
    ...     "conversion_value": [10.0, 10.0, 0.0], "nulls": [0, 1, 1]})
    >>> m = MarkovAttribution(order=1).fit(paths)
    >>> round(m.conversion_probability_, 4)
    0.5
    >>> m.removal_effects_.round(4)
      channel  removal_effect  removal_effect_value
    0       A          0.3333                0.3333
    1       B          1.0000                1.0000
    """

    def __init__(self, order: int = 1):
        self.order = order

    # -- fitting -------------------------------------------------------------
    def fit(self, journeys) -> "MarkovAttribution":
        """Estimate the chain from a paths table and solve every removal exactly."""
        from scipy import sparse

        if self.order not in (1, 2, 3):
            raise ConfigError(f"order must be 1, 2 or 3, not {self.order!r}")
        enc = encode(journeys)
        flow = enc.conversions + enc.nulls
        if flow.sum() <= 0 or enc.conversions.sum() <= 0:
            raise ConfigError("the paths hold no conversions; Markov attribution needs some")
        touch_flow = flow[enc.path_index]
        codes, state_codes = pd.factorize(_state_codes(enc, self.order), sort=True)
        n = len(state_codes)
        start = n  # index of (start) among the transient states
        prev = np.where(enc.position > 0, np.r_[0, codes[:-1]], start)
        counts = sparse.coo_matrix((touch_flow, (prev, codes)), shape=(n + 1, n + 1)).tocsr()
        counts.sum_duplicates()
        last = enc.is_last
        conv_out = np.bincount(codes[last], enc.conversions[enc.path_index[last]], minlength=n + 1)
        null_out = np.bincount(codes[last], enc.nulls[enc.path_index[last]], minlength=n + 1)
        value_out = np.bincount(codes[last], enc.value[enc.path_index[last]], minlength=n + 1)
        out_total = np.asarray(counts.sum(axis=1)).ravel() + conv_out + null_out
        inv = np.divide(1.0, out_total, out=np.zeros_like(out_total), where=out_total > 0)
        q = sparse.diags(inv) @ counts
        rhs = np.column_stack([conv_out * inv, value_out * inv])

        members = _decode(np.asarray(state_codes), self.order, len(enc.channels))
        p_conv, p_value = self._solve(q, rhs, np.ones(n + 1, dtype=bool), start)
        effects = []
        for c in range(len(enc.channels)):
            keep = np.r_[~(members == c).any(axis=1), True]
            rc, rv = self._solve(q, rhs, keep, start)
            effects.append((1.0 - rc / p_conv, 1.0 - rv / p_value if p_value > 0 else 0.0))
        effects = np.asarray(effects).reshape(-1, 2)

        self.channels_ = enc.channels
        self.conversion_probability_ = float(p_conv)
        self.value_per_journey_ = float(p_value)
        self.removal_effects_ = pd.DataFrame({
            "channel": enc.channels, "removal_effect": effects[:, 0], "removal_effect_value": effects[:, 1],
        })
        total_c, total_v = enc.conversions.sum(), enc.value.sum()
        self.summary_ = channel_table(
            enc.channels, total_c * _normalise(effects[:, 0]), total_v * _normalise(effects[:, 1]),
            f"markov_{self.order}",
        )
        labels = [SEP.join(enc.channels[c] for c in row if c >= 0) for row in members] + [START]
        self.states_ = labels[:-1]
        self.transitions_ = _transitions(counts, conv_out, null_out, out_total, labels)
        return self

    @staticmethod
    def _solve(q, rhs, keep: np.ndarray, start: int):
        """Solve ``(I - Q_KK) x = b_K`` and return ``x[start]`` for both right-hand sides."""
        from scipy import sparse
        from scipy.sparse.linalg import splu

        idx = np.nonzero(keep)[0]
        sub = q[idx][:, idx]
        system = (sparse.identity(len(idx), format="csc") - sub).tocsc()
        x = splu(system).solve(np.ascontiguousarray(rhs[idx]))
        where = int(np.searchsorted(idx, start))
        return float(x[where, 0]), float(x[where, 1])

    # -- inspection ------------------------------------------------------------
    def _check(self):
        if not hasattr(self, "summary_"):
            raise NotFittedError("MarkovAttribution is not fitted yet; call fit(journeys) first")

    def transition_matrix(self) -> pd.DataFrame:
        """The square transition matrix: rows ``(start)`` + states, columns states + absorbing."""
        self._check()
        wide = self.transitions_.pivot(index="from_state", columns="to_state", values="probability")
        rows = [START] + self.states_
        cols = self.states_ + [CONVERSION, NULL]
        return wide.reindex(index=rows, columns=cols).fillna(0.0)


def _normalise(effects: np.ndarray) -> np.ndarray:
    total = effects.sum()
    return effects / total if total > 0 else np.zeros_like(effects)


def _transitions(counts, conv_out, null_out, out_total, labels) -> pd.DataFrame:
    coo = counts.tocoo()
    n = len(labels)
    frm = np.r_[coo.row, np.arange(n), np.arange(n)]
    to = np.r_[np.asarray(labels, dtype=object)[coo.col],
               np.full(n, CONVERSION, dtype=object), np.full(n, NULL, dtype=object)]
    cnt = np.r_[coo.data, conv_out, null_out]
    keep = cnt > 0
    out = pd.DataFrame({
        "from_state": np.asarray(labels, dtype=object)[frm[keep]],
        "to_state": to[keep],
        "count": cnt[keep],
        "probability": cnt[keep] / out_total[frm[keep]],
    })
    return out.sort_values(["from_state", "to_state"], kind="stable").reset_index(drop=True)


def markov_attribution(journeys, order: int = 1) -> pd.DataFrame:
    """One-shot Markov attribution: the ``summary_`` of a fitted :class:`MarkovAttribution`.

    >>> paths = pd.DataFrame({"path": ["A > B", "B"], "conversions": [1, 1],
    ...     "conversion_value": [1.0, 1.0], "nulls": [1, 1]})
    >>> markov_attribution(paths)["share"].round(3).tolist()
    [0.333, 0.667]
    """
    return same_kind(journeys, MarkovAttribution(order=order).fit(journeys).summary_)


__all__ = ["MarkovAttribution", "markov_attribution", "START", "CONVERSION", "NULL"]
