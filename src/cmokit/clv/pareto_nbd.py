"""Pareto/NBD: the model of Schmittlein, Morrison & Colombo (1987).

While active a customer buys as a Poisson process with rate lambda ~
Gamma(r, alpha); the active lifetime is exponential with rate mu ~
Gamma(s, beta). Inputs as for BG/NBD (``frequency``, ``recency``, ``T`` in
``time_unit``).

Equations implemented follow Fader & Hardie (2005), "A note on deriving the
Pareto/NBD model and related expressions":

- likelihood, eq. (19)-(22): the A0 term uses the Gauss hypergeometric
  function 2F1 with the argument (|alpha - beta|)/(max(alpha, beta) + t) so it
  stays in [0, 1); all products are formed on the log scale;
- P(alive | x, t_x, T), eq. (18);
- conditional expectation E[Y(t) | x, t_x, T], eq. (23) (any s > 0; s = 1 as the limit);
- unconditional expectation E[X(t)], eq. (17).

On the CDNOW 1/10 sample (weeks) Fader & Hardie's note "Implementing the
Pareto/NBD model given interval-censored data" / the 2005 note report
r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0;
``tests/clv/test_pareto_nbd.py`` pins them.
"""

from __future__ import annotations

import numpy as np

from cmokit.clv._fit import special
from cmokit.clv._transaction import TransactionModel


class ParetoNBD(TransactionModel):
    """Pareto/NBD estimator (same interface as :class:`cmokit.clv.BetaGeo`).

    Attributes
    ----------
    params_ : dict
        r, alpha, s, beta.

    Examples
    --------
    >>> import pandas as pd
    >>> from cmokit.clv import ParetoNBD
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 0, 5, 3], "recency": [0, 10, 20, 0, 30, 12],
    ...     "T": [38, 38, 30, 20, 36, 38]})
    >>> ParetoNBD(penalizer=0.01).fit(s).params_.keys()
    dict_keys(['r', 'alpha', 's', 'beta'])
    """

    _param_names = ("r", "alpha", "s", "beta")
    _model_name = "Pareto/NBD"

    def _default_start(self, x, tx, T):
        return (0.5, max(float(np.median(T)) / 4, 0.1), 0.5, max(float(np.median(T)) / 4, 0.1))

    def _row_log_likelihood(self, params, data):
        x, tx, T = data.x, data.tx, data.T
        r, alpha, s, beta = params
        with np.errstate(invalid="ignore", divide="ignore"):
            log_a0 = _log_a0(params, x, tx, T)
            common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
            gone = np.log(s) - np.log(r + s + x) + log_a0
            ll = common + np.logaddexp(alive, gone)
        # 2F1 loses all precision at extreme trial parameters: treat as impossible so the optimiser backs off
        return np.where(np.isfinite(ll), ll, -np.inf)

    def _p_alive(self, params, x, tx, T):
        r, alpha, s, beta = params
        log_ratio = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
                     + s * np.log(beta + T) + _log_a0(params, x, tx, T))
        return 1.0 / (1.0 + np.exp(log_ratio))

    def _conditional_expectation(self, params, t, x, tx, T):
        r, alpha, s, beta = params
        growth = (r + x) / (alpha + T) * _lifetime_integral(s, beta + T, t)
        return growth * self._p_alive(params, x, tx, T)

    def _unconditional_expectation(self, params, t):
        r, alpha, s, beta = params
        return r / alpha * _lifetime_integral(s, beta, t)


def _lifetime_integral(s, scale, t):
    """Expected active time within t of a Pareto(s, scale) lifetime: scale/(s-1) (1 - (scale/(scale+t))^(s-1)).

    Finite for every s > 0; the s = 1 limit is scale * ln(1 + t/scale).
    """
    if abs(s - 1) < 1e-9:
        return scale * np.log1p(t / scale)
    return scale / (s - 1) * -np.expm1((s - 1) * np.log(scale / (scale + t)))


def _log_a0(params, x, tx, T):
    """log A0 of Fader & Hardie (2005) eq. (20)-(21), for x, t_x, T arrays."""
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        shift, b_arg, lead = alpha - beta, s + 1, alpha
    else:
        shift, b_arg, lead = beta - alpha, r + x, beta
    log_tx = np.log(special.hyp2f1(rsx, b_arg, rsx + 1, shift / (lead + tx))) - rsx * np.log(lead + tx)
    log_T = np.log(special.hyp2f1(rsx, b_arg, rsx + 1, shift / (lead + T))) - rsx * np.log(lead + T)
    # A0 = exp(log_tx) - exp(log_T) > 0 because t_x <= T; difference on the log scale
    return log_tx + np.log(-np.expm1(np.minimum(log_T - log_tx, -1e-300)))


def fit_pareto_nbd(summary, **settings) -> ParetoNBD:
    """One-shot: ``ParetoNBD(**settings).fit(summary)``."""
    return ParetoNBD(**settings).fit(summary)


def dropout_check(summary, model, **settings) -> dict:
    """BG/NBD beside Pareto/NBD on the same purchase summary: the two dropout stories' log-likelihoods.

    ``model`` is the fitted :class:`~cmokit.clv.BetaGeo` in use; ``settings`` go to
    :class:`ParetoNBD` (e.g. ``time_unit="weeks"``). Similar log-likelihoods mean the choice of dropout
    story matters little. When the Pareto/NBD fit has no well-defined maximum on this data (a
    :class:`~cmokit.errors.ConvergenceError`: common on short, lumpy histories), the check says so
    instead of failing the report: the BG/NBD in use is unaffected. Returns a label -> value mapping
    (for :func:`cmokit.reports.present.facts`).

    >>> from cmokit.clv import BetaGeo
    >>> from cmokit.clv.bgnbd import simulate
    >>> s = simulate(2000, r=0.5, alpha=6.0, a=0.7, b=2.5, T_max=52.0, seed=1)
    >>> check = dropout_check(s, BetaGeo().fit(s))
    >>> sorted(check), all(isinstance(v, float) for v in check.values())
    (['BG/NBD log-likelihood', 'Pareto/NBD log-likelihood'], True)
    """
    from cmokit.errors import ConvergenceError

    out = {"BG/NBD log-likelihood": model.log_likelihood_}
    try:
        out["Pareto/NBD log-likelihood"] = ParetoNBD(**settings).fit(summary).log_likelihood_
    except ConvergenceError as exc:
        out["Pareto/NBD log-likelihood"] = ("no check: the Pareto/NBD fit has no well-defined maximum on this data "
                                            f"({str(exc).split(':', 1)[-1].split(';')[0].strip()}); "
                                            "the BG/NBD above is unaffected")
    return out
