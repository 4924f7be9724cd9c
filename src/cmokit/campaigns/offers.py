"""The best of several offers per customer, with costs, margin and an honest policy value.

A randomised test of several offers against a control arm (no offer) tells what each offer does
on average. :class:`BestOffer` learns what each does for each customer and picks, per customer,
the offer with the largest expected incremental profit -- or no offer when none pays.

* Outcome model per arm (a multi-arm T-learner; Kunzel, Sekhon, Bickel & Yu 2019): ``mu_a(x)``,
  the expected outcome (e.g. revenue in the test window) of a customer like ``x`` under arm ``a``.
  Every offer is compared with control (``mu_a - mu_control``) and with every other offer
  (``mu_a - mu_b``).
* Profit under arm ``a``: ``m_a(x) = margin_a * mu_a(x) - cost_a``, with ``margin_a`` the share
  of revenue kept (an offer that gives a discount keeps less of *all* the revenue, not only the
  extra) and ``cost_a`` the cost of making the offer to one customer. Control has cost 0.
  Expected incremental profit of offer ``a``: ``m_a(x) - m_control(x)``; the policy gives each
  customer the arm with the largest ``m_a(x)`` (control = no offer).
* Policy value out of fold, doubly robust (Dudik, Langford & Li 2011; Athey & Wager 2021):
  each customer's policy is chosen by a model fitted without them (cross-fitting), and scored
  with ``G_i(pi) = m_pi(x_i) + 1[A_i = pi_i] / e_pi * (P_i - m_{A_i}(x_i))``, ``P_i`` the observed
  profit and ``e_a`` the share randomised to arm ``a``. The value of ``pi`` over "nobody gets an
  offer" is the mean of ``G_i(pi) - G_i(control)``, with a normal interval from the per-customer
  scores; the same scores give the paired difference between two policies.

Compared policies: ``model`` (best arm per customer), ``best_single_offer`` (everyone gets the
one offer with the best estimated average incremental profit; chosen on the same data, so
slightly optimistic) and ``nobody`` (0 by construction). Target lists keep only customers whose
``marketing_consent`` is true (unknown counts as not contactable).

>>> import numpy as np, pandas as pd
>>> from cmokit.campaigns.offers import simulate_offers, BestOffer
>>> data, truth = simulate_offers(n=6000, random_state=0)
>>> m = BestOffer(costs={"discount_10": 2.0, "discount_20": 4.0, "free_shipping": 1.0}).fit(
...     data[["x1", "x2"]], data["arm"], data["revenue"])
>>> sorted(m.offers_)
['discount_10', 'discount_20', 'free_shipping']
"""

from __future__ import annotations

import numpy as np

from cmokit._params import ParamsMixin
from cmokit.errors import ConfigError, NotFittedError

CONTROL = "control"


def _arm_settings(arms, costs, margin, control):
    """Validate arms, costs and margins: every non-control arm needs a cost."""
    arms = [a for a in arms]
    if control not in arms:
        raise ConfigError(f"offers need a control arm named {control!r} (customers who got no offer) to "
                          f"measure incremental effects; the arms are: {', '.join(map(str, arms))}")
    offers = [a for a in arms if a != control]
    if not offers:
        raise ConfigError("there is only the control arm: need at least one offer arm")
    if isinstance(costs, (int, float)) and not isinstance(costs, bool):
        costs = {a: float(costs) for a in offers}
    costs = dict(costs or {})
    missing = [a for a in offers if a not in costs or costs[a] is None or not np.isfinite(costs[a])]
    if missing:
        raise ConfigError(f"cost per customer missing for offer(s) {', '.join(map(str, missing))}: pass "
                          f"costs={{offer: cost of making the offer to one customer}} for every offer (0 if free)")
    cost = {a: float(costs.get(a, 0.0)) for a in arms}
    cost[control] = float(costs.get(control, 0.0))
    if isinstance(margin, dict):
        gone = [a for a in arms if a not in margin]
        if gone:
            raise ConfigError(f"margin missing for arm(s) {', '.join(map(str, gone))}: pass one number or a "
                              "margin per arm, including control")
        marg = {a: float(margin[a]) for a in arms}
    else:
        marg = {a: float(margin) for a in arms}
    return offers, cost, marg


def offer_economics(gross_margin: float, discounts: dict, cost_per_contact=0.0, *, arms=None,
                    revenue_is: str = "paid", control: str = CONTROL) -> dict:
    """Per-arm margins and costs for :class:`BestOffer` from a gross margin and each offer's discount.

    ``gross_margin`` is the share of the list price kept after the cost of goods (0.30 keeps 30
    cents of every euro at full price); ``discounts`` maps each offer to the share it takes off the
    price (0.10 for 10 % off; an offer without a discount, e.g. free shipping, has 0 and its cost in
    ``cost_per_contact``). The offer's discount is assumed to apply to **every** order the customer
    places under it in the window -- also the orders they would have placed anyway, which is what
    makes a bigger discount dearer than its extra sales suggest. If only some orders use it, pass the
    effective discount (discount x share of the arm's revenue that redeemed it).

    With ``revenue_is="paid"`` (the default: the recorded ``orders.revenue`` is what the customer
    paid, after the discount) a euro of revenue under discount ``d`` keeps
    ``(gross_margin - d) / (1 - d)``: the goods cost ``(1 - gross_margin)`` of the list price
    ``revenue / (1 - d)``. With ``revenue_is="list"`` (revenue recorded at list price, the discount
    booked elsewhere) it keeps ``gross_margin - d``. Control keeps ``gross_margin`` and costs 0.

    ``cost_per_contact`` is one number for every offer or one per offer (EUR per customer offered).
    ``arms`` (the experiment's arms, optional) is checked: every offer arm needs a discount, and a
    discount for an arm that is not in the experiment is an error (a typo would otherwise be
    ignored). A discount at or above the gross margin is allowed -- the offer loses money on every
    order it touches, so its margin is 0 or negative and it can never be the best offer in the window
    -- and a ``UserWarning`` names it. Returns ``{"margin": {arm: share}, "costs": {offer: EUR}}``,
    ready for ``BestOffer(**economics)`` and ``policy_value(..., **economics)``.

    >>> e = offer_economics(0.30, {"email_10": 0.10, "email_20": 0.20}, 0.40)
    >>> {arm: round(m, 4) for arm, m in e["margin"].items()}
    {'control': 0.3, 'email_10': 0.2222, 'email_20': 0.125}
    >>> e["costs"]
    {'email_10': 0.4, 'email_20': 0.4}
    """
    import warnings

    if revenue_is not in ("paid", "list"):
        raise ConfigError(f"revenue_is={revenue_is!r}: use 'paid' (revenue recorded after the discount) or 'list'")
    g = float(gross_margin)
    if not (0.0 < g <= 1.0):
        raise ConfigError(f"gross_margin={gross_margin!r}: the share of the list price kept after the cost of "
                          "goods must be above 0 and at most 1 (0.30 keeps 30 cents per euro)")
    discounts = {str(k): v for k, v in dict(discounts or {}).items()}
    if control in discounts:
        if float(discounts.pop(control)) != 0.0:
            raise ConfigError(f"the control arm {control!r} makes no offer: its discount must be 0 or left out")
    if arms is not None:
        arms = [str(a) for a in arms]
        offers = [a for a in arms if a != control]
        missing = [a for a in offers if a not in discounts]
        if missing:
            raise ConfigError(f"discount missing for offer arm(s) {', '.join(missing)} of the experiment: pass "
                              f"discounts={{offer: share off the price}} for every offer (0 if it gives none); "
                              f"given: {', '.join(discounts) or 'none'}")
        unknown = [a for a in discounts if a not in offers]
        if unknown:
            raise ConfigError(f"discount given for arm(s) {', '.join(unknown)} that the experiment does not have; "
                              f"its offer arms are: {', '.join(offers)}")
    if not discounts:
        raise ConfigError("discounts is empty: pass {offer: share off the price} for every offer arm")
    if isinstance(cost_per_contact, dict):
        costs = {str(k): v for k, v in cost_per_contact.items()}
        missing = [a for a in discounts if a not in costs]
        if missing:
            raise ConfigError(f"cost per contact missing for offer(s) {', '.join(missing)}: pass one number or "
                              "one per offer (0 if free)")
    else:
        costs = {a: cost_per_contact for a in discounts}
    margin, cost = {control: g}, {}
    for arm, d in discounts.items():
        d = float(d)
        if not (0.0 <= d < 1.0):
            raise ConfigError(f"discount of offer {arm!r} is {d!r}: a share off the price from 0 up to (not "
                              "including) 1, e.g. 0.10 for 10 % off")
        c = float(costs[arm])
        if not np.isfinite(c) or c < 0:
            raise ConfigError(f"cost per contact of offer {arm!r} is {costs[arm]!r}: a number of EUR, 0 or more")
        if d >= g:
            warnings.warn(f"offer {arm!r} gives {d * 100:g} % off on a {g * 100:g} % gross margin: it loses money on every "
                          "order it touches, so it can never be the best offer within the test window",
                          UserWarning, stacklevel=2)
        margin[arm] = (g - d) / (1.0 - d) if revenue_is == "paid" else g - d
        cost[arm] = c
    return {"margin": margin, "costs": cost}


def offer_profit(outcomes, economics: dict, *, alpha: float = 0.05, control: str = CONTROL):
    """Incremental profit per customer of each offer against control, with a Welch interval.

    ``outcomes`` has one row per assigned customer with ``variant`` and ``revenue`` in the window
    (:func:`cmokit.campaigns.customer_outcomes`); ``economics`` from :func:`offer_economics`. A
    customer's profit is the margin their arm keeps on their revenue minus the arm's cost per
    contact, so a discount is charged on every order under the offer, not only the extra ones: an
    offer can lift conversion and revenue and still lose money. Returns one row per offer: variant,
    n_control, n_variant, incremental_profit_per_customer (+ _lower, _upper at ``1 - alpha``) and
    incremental_profit (per customer x the offer's customers).

    >>> import pandas as pd
    >>> o = pd.DataFrame({"variant": ["control"] * 4 + ["a"] * 4, "revenue": [10, 0, 20, 10, 30, 10, 20, 20]})
    >>> e = offer_economics(0.30, {"a": 0.10}, 0.5, arms=["control", "a"])
    >>> round(float(offer_profit(o, e)["incremental_profit_per_customer"].iloc[0]), 4)
    0.9444
    """
    import pandas as pd
    from scipy import stats

    from cmokit._frames import to_pandas

    frame = to_pandas(outcomes)
    missing = [c for c in ("variant", "revenue") if c not in frame.columns]
    if missing:
        raise ConfigError(f"outcomes need {', '.join(missing)} (one row per assigned customer): pass "
                          "campaigns.customer_outcomes(...)")
    margin, costs = dict(economics["margin"]), dict(economics["costs"])
    arms = frame["variant"].astype(str)
    unknown = sorted(set(arms) - set(margin))
    if unknown:
        raise ConfigError(f"no margin for arm(s) {', '.join(unknown)}: offer_economics(...) needs a discount for "
                          "every offer of the experiment")
    if control not in set(arms):
        raise ConfigError(f"no customer in the control arm {control!r}: incremental profit needs a control")
    profit = frame["revenue"].astype(float).fillna(0.0) * arms.map(margin) - arms.map(lambda a: costs.get(a, 0.0))
    base = profit[arms == control].to_numpy()
    rows = []
    for arm in [a for a in margin if a != control and a in set(arms)]:
        x = profit[arms == arm].to_numpy()
        diff = float(x.mean() - base.mean())
        v1, v0 = x.var(ddof=1) / len(x), base.var(ddof=1) / len(base)
        se = (v1 + v0) ** 0.5
        df = (v1 + v0) ** 2 / (v1 ** 2 / (len(x) - 1) + v0 ** 2 / (len(base) - 1)) if se > 0 else float("inf")
        half = float(stats.t.ppf(1 - alpha / 2, df)) * se
        rows.append({"variant": arm, "n_control": len(base), "n_variant": len(x),
                     "incremental_profit_per_customer": diff, "incremental_profit_per_customer_lower": diff - half,
                     "incremental_profit_per_customer_upper": diff + half, "incremental_profit": diff * len(x)})
    return pd.DataFrame(rows)


def _features(X):
    from cmokit.campaigns.uplift import _matrix

    return _matrix(X)


class BestOffer(ParamsMixin):
    """Multi-arm uplift with offer costs and margin: expected incremental profit per offer and the best.

    Parameters
    ----------
    costs : dict or float
        Offer -> cost of making it to one customer (EUR). Every offer arm needs one; one number
        means the same cost for every offer.
    margin : float or dict
        Share of revenue kept as profit, one for all arms or one per arm (control included).
    estimator : scikit-learn estimator, optional
        Outcome model, cloned per arm (default: as :class:`cmokit.campaigns.TLearner`).
    control : str
        Name of the no-offer arm.

    Attributes: ``arms_``, ``offers_``, ``models_`` (arm -> fitted model), ``propensity_``
    (arm -> randomised share), ``cost_``, ``margin_``.
    """

    def __init__(self, costs=None, margin=1.0, estimator=None, control: str = CONTROL, random_state: int = 0):
        self.costs = costs
        self.margin = margin
        self.estimator = estimator
        self.control = control
        self.random_state = random_state

    def fit(self, X, arm, y):
        from sklearn.base import clone

        from cmokit.campaigns.uplift import _default_model, _is_binary

        Xm, a, y = _features(X), np.asarray(arm).astype(str), np.asarray(y, dtype=float)
        arms = sorted(set(a.tolist()))
        self.offers_, self.cost_, self.margin_ = _arm_settings(arms, self.costs, self.margin, self.control)
        self.arms_ = [self.control, *self.offers_]
        small = [x for x in self.arms_ if (a == x).sum() < 10]
        if small:
            raise ConfigError(f"arm(s) {', '.join(small)} have fewer than 10 customers: too few to model")
        base = self.estimator if self.estimator is not None else _default_model(_is_binary(y), self.random_state)
        self.models_ = {x: clone(base).fit(Xm[a == x], y[a == x]) for x in self.arms_}
        self.propensity_ = {x: float((a == x).mean()) for x in self.arms_}
        return self

    def _check(self):
        if not hasattr(self, "models_"):
            raise NotFittedError("BestOffer is not fitted yet: call fit(X, arm, y) first")

    def outcomes(self, X):
        """Predicted outcome per arm: array (customers x arms, in ``arms_`` order)."""
        from cmokit.campaigns.uplift import _predict

        self._check()
        Xm = _features(X)
        return np.column_stack([_predict(self.models_[x], Xm) for x in self.arms_])

    def profits(self, X):
        """Expected profit per arm ``margin_a * mu_a(x) - cost_a`` (customers x arms)."""
        mu = self.outcomes(X)
        return mu * np.array([self.margin_[x] for x in self.arms_]) - np.array([self.cost_[x] for x in self.arms_])

    def uplift(self, X):
        """Predicted outcome uplift of each offer vs control and vs each other offer (tidy frame).

        Columns: row (position of the customer), offer, versus, uplift.
        """
        import pandas as pd

        mu = self.outcomes(X)
        rows = []
        for i, a in enumerate(self.arms_):
            for j, b in enumerate(self.arms_):
                if a == self.control or a == b or (b != self.control and j < i):
                    continue
                rows.append(pd.DataFrame({"row": np.arange(len(mu)), "offer": a, "versus": b,
                                          "uplift": mu[:, i] - mu[:, j]}))
        return pd.concat(rows, ignore_index=True)

    def predict(self, X):
        """Best arm per customer (``control`` = no offer pays)."""
        prof = self.profits(X)
        return np.array(self.arms_, dtype=object)[prof.argmax(axis=1)]

    def score_offers(self, X, customer_id=None):
        """Per customer: expected incremental profit of each offer vs no offer, the best offer and its profit.

        Columns: customer_id (or row), ``profit_<offer>`` per offer, best_offer (``control`` when
        no offer has positive expected incremental profit), best_incremental_profit.
        """
        import pandas as pd

        prof = self.profits(X)
        inc = prof[:, 1:] - prof[:, [0]]
        out = pd.DataFrame({f"profit_{o}": inc[:, k] for k, o in enumerate(self.offers_)})
        best = inc.argmax(axis=1)
        best_inc = inc[np.arange(len(inc)), best]
        out["best_offer"] = np.where(best_inc > 0, np.array(self.offers_, dtype=object)[best], self.control)
        out["best_incremental_profit"] = np.maximum(best_inc, 0.0)
        ids = customer_id if customer_id is not None else (X["customer_id"] if hasattr(X, "columns") and
                                                           "customer_id" in X.columns else None)
        out.insert(0, "customer_id" if ids is not None else "row",
                   np.asarray(ids) if ids is not None else np.arange(len(out)))
        return out


def _dr_scores(profit_model, arm_idx, observed_profit, propensity):
    """Doubly robust score of every arm for every customer (customers x arms)."""
    n, k = profit_model.shape
    resid = observed_profit - profit_model[np.arange(n), arm_idx]
    scores = profit_model.copy()
    scores[np.arange(n), arm_idx] += resid / propensity[arm_idx]
    return scores


def policy_value(X, arm, y, *, costs, margin=1.0, estimator=None, control: str = CONTROL, folds: int = 5,
                 alpha: float = 0.05, random_state: int = 0):
    """Out-of-fold value of the best-offer policy vs "everyone gets the best single offer" vs "nobody".

    Cross-fits :class:`BestOffer` (``folds`` folds stratified by arm): each customer's chosen arm
    and profit model come from a model that never saw them; doubly robust scores (module
    docstring) give the expected incremental profit per customer of each policy over "nobody",
    with a ``1 - alpha`` normal interval. Returns one row per policy: policy, offer (the single
    offer, for ``best_single_offer``), incremental_profit_per_customer (+ _lower, _upper),
    vs_best_single (+ _lower, _upper): the paired difference with the best single offer, and
    share_offered: the share of customers who get an offer.

    Also returns, under ``.attrs["chosen"]``, each customer's out-of-fold chosen arm.
    """
    import pandas as pd
    from scipy.stats import norm
    from sklearn.model_selection import StratifiedKFold

    Xm, a = _features(X), np.asarray(arm).astype(str)
    y = np.asarray(y, dtype=float)
    arms_sorted = sorted(set(a.tolist()))
    offers, cost, marg = _arm_settings(arms_sorted, costs, margin, control)
    arms = [control, *offers]
    idx = np.array([arms.index(x) for x in a])
    observed = y * np.array([marg[x] for x in arms])[idx] - np.array([cost[x] for x in arms])[idx]
    profit_model = np.empty((len(y), len(arms)))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(Xm, idx):
        m = BestOffer(costs=costs, margin=margin, estimator=estimator, control=control,
                      random_state=random_state).fit(Xm[train], a[train], y[train])
        profit_model[test] = m.profits(Xm[test])
    propensity = np.array([(idx == k).mean() for k in range(len(arms))])
    scores = _dr_scores(profit_model, idx, observed, propensity)
    gain = scores - scores[:, [0]]  # per customer, each arm's incremental profit over no offer
    chosen = profit_model.argmax(axis=1)
    model_gain = gain[np.arange(len(y)), chosen]
    best_k = 1 + int(np.argmax(gain[:, 1:].mean(axis=0)))
    z = norm.ppf(1 - alpha / 2)
    n = len(y)

    def mean_ci(v):
        m, se = float(v.mean()), float(v.std(ddof=1) / np.sqrt(n))
        return m, m - z * se, m + z * se

    rows = []
    for name, g, offer, share in (("model", model_gain, None, float((chosen != 0).mean())),
                                  ("best_single_offer", gain[:, best_k], arms[best_k], 1.0),
                                  ("nobody", np.zeros(n), None, 0.0)):
        v, lo, hi = mean_ci(g)
        dv, dlo, dhi = mean_ci(g - gain[:, best_k])
        rows.append(dict(policy=name, offer=offer, incremental_profit_per_customer=v,
                         incremental_profit_per_customer_lower=lo, incremental_profit_per_customer_upper=hi,
                         vs_best_single=dv, vs_best_single_lower=dlo, vs_best_single_upper=dhi, share_offered=share))
    for k in range(1, len(arms)):
        v, lo, hi = mean_ci(gain[:, k])
        dv, dlo, dhi = mean_ci(gain[:, k] - gain[:, best_k])
        rows.append(dict(policy=f"everyone: {arms[k]}", offer=arms[k], incremental_profit_per_customer=v,
                         incremental_profit_per_customer_lower=lo, incremental_profit_per_customer_upper=hi,
                         vs_best_single=dv, vs_best_single_lower=dlo, vs_best_single_upper=dhi, share_offered=1.0))
    out = pd.DataFrame(rows)
    out.attrs["chosen"] = np.array(arms, dtype=object)[chosen]
    return out


def offer_policy(values) -> dict:
    """The offer policy the out-of-fold evidence supports: personalised, one offer for all, or none.

    ``values`` from :func:`policy_value`. A policy is supported when the lower end of its interval
    of incremental profit over sending nothing is above 0; the per-customer choice is preferred
    only when it also beats the best single offer (``vs_best_single_lower > 0``) or when the best
    single offer is not itself shown to pay. Returns ``{"policy": "model" | "best_single_offer" |
    "nobody", "offer": <the single offer or None>, "reason": <one sentence>}``; hand it to
    :func:`offer_targets` so a list is only drawn up for what the evidence supports.

    >>> import pandas as pd
    >>> v = pd.DataFrame({"policy": ["model", "best_single_offer", "nobody"], "offer": [None, "a", None],
    ...     "incremental_profit_per_customer_lower": [-0.2, 0.1, 0.0], "vs_best_single_lower": [-0.4, 0.0, -0.3]})
    >>> offer_policy(v)["policy"], offer_policy(v)["offer"]
    ('best_single_offer', 'a')
    """
    from cmokit._frames import to_pandas

    frame = to_pandas(values).set_index("policy")
    missing = {"model", "best_single_offer"} - set(frame.index)
    if missing:
        raise ConfigError(f"policy values lack the row(s) {', '.join(sorted(missing))}: pass policy_value(...)'s output")
    model, single = frame.loc["model"], frame.loc["best_single_offer"]
    model_pays = float(model["incremental_profit_per_customer_lower"]) > 0
    single_pays = float(single["incremental_profit_per_customer_lower"]) > 0
    if model_pays and (float(model["vs_best_single_lower"]) > 0 or not single_pays):
        return {"policy": "model", "offer": None,
                "reason": "The list gives each customer their own best offer: the per-customer choice is shown to "
                          "earn more than sending nothing" + (" and more than one offer for all." if single_pays
                                                             else ".")}
    if single_pays:
        return {"policy": "best_single_offer", "offer": single["offer"],
                "reason": f"The list gives everyone {single['offer']}: it is shown to pay, and choosing per "
                          "customer is not shown to pay more."}
    return {"policy": "nobody", "offer": None,
            "reason": "No target list: no offer, for all or per customer, is shown to earn more than it costs. "
                      "Sending nothing is the supported choice; a larger test would be needed to show otherwise."}


def offer_targets(scores, *, consent=None, k: int | None = None, min_profit: float = 0.0, policy=None):
    """Consent-safe target list with the chosen offer, best expected incremental profit first.

    ``scores`` is :meth:`BestOffer.score_offers` output with ``marketing_consent`` (or pass
    ``consent``, aligned with the rows). Only customers whose consent is true are listed
    (unknown counts as not contactable), and only those whose best offer is expected to earn more
    than ``min_profit``. ``policy`` (from :func:`offer_policy`) holds the list to what the evidence
    supports: ``"nobody"`` gives an empty list, ``"best_single_offer"`` gives every listed customer
    that one offer (ranked by its expected incremental profit), ``"model"`` or None each
    customer's best. Returns customer_id, rank, offer, expected_incremental_profit,
    cumulative_incremental_profit.
    """
    import pandas as pd

    from cmokit._frames import to_pandas

    frame = to_pandas(scores).copy()
    if policy is not None:
        if policy.get("policy") not in ("model", "best_single_offer", "nobody"):
            raise ConfigError(f"unknown offer policy {policy.get('policy')!r}: pass offer_policy(values)'s result")
        if policy["policy"] == "nobody":
            frame = frame.iloc[0:0]
        elif policy["policy"] == "best_single_offer":
            column = f"profit_{policy['offer']}"
            if column not in frame.columns:
                raise ConfigError(f"scores have no {column}: the policy's offer {policy['offer']!r} is not an arm "
                                  "of the model that scored them")
            frame["best_offer"] = policy["offer"]
            frame["best_incremental_profit"] = frame[column]
    if consent is not None:
        frame["marketing_consent"] = np.asarray(consent, dtype=object)
    if "marketing_consent" not in frame.columns:
        raise ConfigError("scores need marketing_consent (or pass consent=...): customers without consent never "
                          "go on a target list")
    key = "customer_id" if "customer_id" in frame.columns else "row"
    ok = frame["marketing_consent"].map(lambda v: v is True or (isinstance(v, (bool, np.bool_)) and bool(v))
                                        or (not pd.isna(v) and v in (1, "true", "True")))
    frame = frame[ok.astype(bool) & (frame["best_incremental_profit"] > min_profit)]
    frame = frame.sort_values(["best_incremental_profit", key], ascending=[False, True])
    if k is not None:
        frame = frame.head(int(k))
    out = pd.DataFrame({"customer_id": frame[key].to_numpy(), "offer": frame["best_offer"].to_numpy(),
                        "expected_incremental_profit": frame["best_incremental_profit"].to_numpy()})
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out["cumulative_incremental_profit"] = out["expected_incremental_profit"].cumsum()
    return out


def simulate_offers(n: int = 20000, *, random_state: int = 0):
    """A randomised test of three offers and control with planted heterogeneous effects.

    Two features ``x1, x2 ~ N(0, 1)``; revenue in the window is
    ``20 + 5 x1 + effect_a(x) + N(0, 10)``, with ``discount_10`` adding ``6 + 6 x1`` (helps
    high-x1 customers), ``discount_20`` adding ``9 + 6 x2`` (helps high-x2 customers) at a lower
    margin, ``free_shipping`` adding ``4 + 2 x1``. Arms are randomised in equal shares. Returns
    ``(data, truth)``: data has customer_id, x1, x2, arm, revenue, marketing_consent (70 % true,
    10 % unknown); truth has per-customer ``true_<arm>`` mean revenue and the settings used
    (``costs``, ``margin``).
    """
    import pandas as pd

    rng = np.random.default_rng(random_state)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    base = 20 + 5 * x1
    true = {"control": base, "discount_10": base + 6 + 6 * x1, "discount_20": base + 9 + 6 * x2,
            "free_shipping": base + 4 + 2 * x1}
    arms = np.array(list(true))
    arm = arms[rng.integers(0, len(arms), n)]
    mean = np.select([arm == a for a in arms], [true[a] for a in arms])
    revenue = mean + rng.normal(0, 10, n)
    consent = rng.choice(np.array([True, False, None], dtype=object), n, p=[0.7, 0.2, 0.1])
    data = pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(n)], "x1": x1, "x2": x2, "arm": arm,
                         "revenue": revenue, "marketing_consent": consent})
    truth = pd.DataFrame({f"true_{a}": v for a, v in true.items()})
    truth.attrs.update(costs={"discount_10": 1.0, "discount_20": 1.0, "free_shipping": 1.0},
                       margin={"control": 0.5, "discount_10": 0.45, "discount_20": 0.4, "free_shipping": 0.5})
    return data, truth


def true_policy_value(truth, chosen, *, costs, margin, control: str = CONTROL):
    """Planted incremental profit per customer of giving each customer ``chosen`` (simulation truth)."""
    arms = [c[len("true_"):] for c in truth.columns]
    cost = {a: float(costs.get(a, 0.0)) for a in arms}
    prof = {a: margin[a] * truth[f"true_{a}"].to_numpy() - cost[a] for a in arms}
    chosen = np.asarray(chosen, dtype=object)
    got = np.select([chosen == a for a in arms], [prof[a] for a in arms])
    return float((got - prof[control]).mean())
