"""Best offer per customer: planted heterogeneous effects across four arms, the public Hillstrom
three-arm e-mail test, the sample's planted two-offer experiment, consent and bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmokit.campaigns.offers import BestOffer, offer_policy, offer_targets, policy_value, simulate_offers, true_policy_value
from cmokit.errors import ConfigError

CELLS = Path(__file__).resolve().parents[1] / "fixtures" / "hillstrom_cells.csv"


@pytest.fixture(scope="module")
def sim():
    data, truth = simulate_offers(n=20000, random_state=0)
    costs, margin = truth.attrs["costs"], truth.attrs["margin"]
    pv = policy_value(data[["x1", "x2"]], data["arm"], data["revenue"], costs=costs, margin=margin)
    return data, truth, costs, margin, pv


def _oracle(truth, costs, margin):
    arms = [c[len("true_"):] for c in truth.columns]
    prof = np.column_stack([margin[a] * truth[f"true_{a}"] - costs.get(a, 0.0) for a in arms])
    return np.array(arms, dtype=object)[prof.argmax(axis=1)]


def test_planted_best_offers_are_recovered_and_the_policy_value_interval_covers_the_truth(sim):
    """Measured (seed 0, 20,000 customers): 94.3 % of customers get the planted best arm; the
    out-of-fold policy's true value 2.340 EUR per customer (oracle 2.346) lies in the estimated
    interval 2.036 to 2.398; it beats the best single offer (free shipping, true 1.005) and nobody (0)."""
    data, truth, costs, margin, pv = sim
    chosen = pv.attrs["chosen"]
    oracle = _oracle(truth, costs, margin)
    assert set(oracle) == {"control", "discount_10", "discount_20", "free_shipping"}
    assert (chosen == oracle).mean() > 0.9
    row = pv.set_index("policy").loc["model"]
    true_value = true_policy_value(truth, chosen, costs=costs, margin=margin)
    assert row.incremental_profit_per_customer_lower <= true_value <= row.incremental_profit_per_customer_upper
    assert row.vs_best_single_lower > 0
    single = pv.set_index("policy").loc["best_single_offer"]
    assert single.offer == "free_shipping"  # planted: 1.005 vs 0.711 (discount_10) vs 0.597 (discount_20)
    for arm in ("discount_10", "discount_20", "free_shipping"):
        r = pv.set_index("policy").loc[f"everyone: {arm}"]
        planted = true_policy_value(truth, np.full(len(truth), arm, dtype=object), costs=costs, margin=margin)
        assert r.incremental_profit_per_customer_lower <= planted <= r.incremental_profit_per_customer_upper


def test_policy_value_interval_coverage_over_replications():
    """20 replications of 4,000 customers: the 95 % interval covers the chosen policy's true value
    in at least 17 (measured: see notes/experiments.md for 200 replications)."""
    hits = 0
    for seed in range(20):
        data, truth = simulate_offers(n=4000, random_state=100 + seed)
        costs, margin = truth.attrs["costs"], truth.attrs["margin"]
        pv = policy_value(data[["x1", "x2"]], data["arm"], data["revenue"], costs=costs, margin=margin, folds=3)
        v = true_policy_value(truth, pv.attrs["chosen"], costs=costs, margin=margin)
        row = pv.iloc[0]
        hits += row.incremental_profit_per_customer_lower <= v <= row.incremental_profit_per_customer_upper
    assert hits >= 17


def test_scores_and_consent_safe_target_list(sim):
    data, truth, costs, margin, _ = sim
    m = BestOffer(costs=costs, margin=margin).fit(data[["x1", "x2"]], data["arm"], data["revenue"])
    scores = m.score_offers(data[["x1", "x2"]], customer_id=data["customer_id"])
    assert list(scores.columns) == ["customer_id", "profit_discount_10", "profit_discount_20", "profit_free_shipping",
                                    "best_offer", "best_incremental_profit"]
    targets = offer_targets(scores, consent=data["marketing_consent"])
    allowed = set(data.loc[data["marketing_consent"].map(lambda v: v is True), "customer_id"])
    assert set(targets["customer_id"]) <= allowed  # unknown consent (None) is never contacted
    assert len(targets) > 0.6 * len(allowed)
    assert (targets["offer"] != "control").all() and targets["expected_incremental_profit"].is_monotonic_decreasing
    # pairwise contrasts: discount_20 vs discount_10 planted as 3 + 6 x2 - 6 x1
    up = m.uplift(data[["x1", "x2"]].head(2000))
    pair = -up[(up.offer == "discount_10") & (up.versus == "discount_20")]["uplift"].to_numpy()
    planted = (3 + 6 * data["x2"] - 6 * data["x1"]).head(2000).to_numpy()
    assert np.corrcoef(pair, planted)[0, 1] > 0.95


@pytest.fixture(scope="module")
def hillstrom():
    cells = pd.read_csv(CELLS)
    rows = cells.loc[cells.index.repeat(cells["customers"])].reset_index(drop=True)
    return rows, rows[["recency", "history_segment", "mens", "womens", "newbie"]].astype(float)


def test_hillstrom_every_arm_value_reproduces_published_conversion_lifts(hillstrom):
    """Hillstrom (2008): conversion 1.25 % (Mens e-mail), 0.88 % (Womens), 0.57 % (no e-mail).

    Measured: everyone-Mens 0.678 pp, everyone-Womens 0.311 pp; the personalised policy adds
    nothing significant over e-mailing everyone the Mens e-mail (+0.004 pp, interval -0.077 to
    +0.086 pp): on this test the Mens e-mail dominates."""
    rows, X = hillstrom
    pv = policy_value(X, rows["arm"], rows["conversion"], costs={"mens_email": 0.0, "womens_email": 0.0}, folds=3)
    p = pv.set_index("policy")
    assert p.loc["everyone: mens_email", "incremental_profit_per_customer"] == pytest.approx(0.0125 - 0.0057, abs=3e-4)
    assert p.loc["everyone: womens_email", "incremental_profit_per_customer"] == pytest.approx(0.0088 - 0.0057, abs=3e-4)
    assert p.loc["best_single_offer", "offer"] == "mens_email"
    assert p.loc["model", "vs_best_single_lower"] < 0 < p.loc["model", "vs_best_single_upper"]


def test_hillstrom_costly_mail_is_held_back_from_some_customers(hillstrom):
    """A conversion worth 100 EUR of profit and a 0.50 EUR cost per e-mail: the policy keeps some
    customers off the list; its value interval overlaps e-mailing everyone the Mens e-mail."""
    rows, X = hillstrom
    pv = policy_value(X, rows["arm"], rows["conversion"], costs={"mens_email": 0.5, "womens_email": 0.5},
                      margin=100.0, folds=3)
    model = pv.set_index("policy").loc["model"]
    assert 0.3 < model.share_offered < 1.0
    assert model.vs_best_single_lower < 0.05


def test_sample_experiment_prefers_the_stronger_offer(warehouse, truth):
    from cmokit.campaigns.uplift import uplift_features

    f = uplift_features(warehouse, "EXP-REACT-2025")
    pv = policy_value(f, f["variant"], f["converted"], costs={"email_10": 0.0, "email_20": 0.0}).set_index("policy")
    lifts = truth["experiment"]["incremental_order_probability"]
    assert all(lifts["email_20"][s] >= lifts["email_10"][s] for s in lifts["email_10"])  # planted: 20 % dominates
    assert pv.loc["best_single_offer", "offer"] == "email_20"
    assert pv.loc["everyone: email_10", "vs_best_single_upper"] < 0


# --- the sample's planted experiment, arm by arm ------------------------------------------------
#
# The sample randomises consenting customers to control, email_10 and email_20 (three arms); a
# treatment adds an extra order with a probability set per planted segment (heterogeneous effects),
# and truth.json holds each arm's sample average effect over every assigned customer. The untreated
# outcome of every customer is known too: their window orders that are not the planted extra orders
# (truth/experiment_orders.csv). On this draw the email_20 arm happened to get customers who bought
# more on their own than control did (conversion +1.7 points, revenue +6.0 EUR per customer) while
# their pre-period features predict less (-2.2 points): the DR estimate, which adjusts for the
# features, then reads the arm's lift high (0.138, interval 0.103 to 0.174, planted 0.096), as the
# CUPED read-out does for orders and revenue. The tests compare with the planted numbers on the
# planted increment (outcome minus untreated outcome), which the assignment's luck does not move,
# and check the estimator's coverage over re-randomisations of the same customers.

METRICS = {"converted": "conversion", "orders": "orders_per_customer", "revenue": "revenue_per_customer"}


@pytest.fixture(scope="module")
def sample_offers(warehouse, truth, sample_dir, truth_customers):
    """Per assigned customer: features, arm, outcomes, untreated outcomes and planted segment."""
    from cmokit.campaigns.uplift import uplift_features

    ex = truth["experiment"]
    f = uplift_features(warehouse, ex["experiment_id"]).merge(truth_customers[["customer_id", "segment"]],
                                                               on="customer_id", how="left")
    extra = set(pd.read_csv(sample_dir / "truth" / "experiment_orders.csv")["order_number"])
    o = warehouse.execute(warehouse.table("orders").select("order_id", "customer_id", "ordered_at", "revenue"))
    day = pd.to_datetime(o["ordered_at"]).dt.strftime("%Y-%m-%d")
    own = o[(day >= ex["starts_on"]) & (day <= ex["ends_on"]) & ~o["order_id"].isin(extra)]
    assert o["order_id"].isin(extra).sum() == len(extra)  # every planted extra order reached the warehouse
    f["orders_untreated"] = f["customer_id"].map(own.groupby("customer_id").size()).fillna(0).astype(float)
    f["revenue_untreated"] = f["customer_id"].map(own.groupby("customer_id")["revenue"].sum().astype(float)).fillna(0.0)
    f["converted_untreated"] = (f["orders_untreated"] > 0).astype(float)
    assert (f["converted"] >= f["converted_untreated"]).all() and f["segment"].notna().all()
    assert (f.loc[f["variant"] == "control", "orders"] == f.loc[f["variant"] == "control", "orders_untreated"]).all()
    return f


def _ridge():
    from cmokit.campaigns.uplift import _default_model

    return _default_model(False, 0)  # a control arm of zero increments would leave a classifier one class


def test_sample_dr_recovers_every_arms_planted_lift(sample_offers, truth):
    """Each offer's DR lift on the planted increment covers truth.json's average lift (conversion,
    orders, revenue; familywise 95 % over the six). Measured: conversion email_10 0.062 (0.047 to
    0.078; planted 0.061), email_20 0.099 (0.080 to 0.119; planted 0.096); revenue email_20 8.11 EUR
    (6.39 to 9.83; planted 7.81)."""
    f, ex = sample_offers, truth["experiment"]
    offers = [v for v in ex["variants"] if v != "control"]
    assert len(ex["variants"]) >= 3 and "control" in ex["variants"]
    alpha = 0.05 / (len(METRICS) * len(offers))
    for y, metric in METRICS.items():
        pv = policy_value(f, f["variant"], f[y] - f[f"{y}_untreated"], costs=0.0, estimator=_ridge(),
                          alpha=alpha).set_index("policy")
        for arm in offers:
            r, planted = pv.loc[f"everyone: {arm}"], ex["average_lift"][arm][metric]
            assert r.incremental_profit_per_customer_lower <= planted <= r.incremental_profit_per_customer_upper, \
                (metric, arm, planted, r.incremental_profit_per_customer)


def test_sample_planted_heterogeneity_across_segments_is_recovered(sample_offers, truth):
    """Per planted segment and offer, the DR conversion lift on the observed outcome covers the
    planted segment lift (familywise 95 % over the cells), and the most responsive segment has the
    largest estimated lift for every offer -- in the DR averages and in the cross-fitted model's
    per-customer uplift. Measured (DR, email_20): occasional big baskets 0.293 (planted 0.228),
    occasional small 0.160 (0.106), frequent big 0.083 (0.048), frequent small 0.035 (0.009)."""
    from sklearn.model_selection import StratifiedKFold

    f, ex = sample_offers, truth["experiment"]
    offers = [v for v in ex["variants"] if v != "control"]
    planted = {(arm, seg): v["conversion"] for arm in offers for seg, v in ex["lift_by_segment"][arm].items()}
    assert len({round(v, 3) for v in planted.values()}) >= 4  # heterogeneous: not one effect for everyone
    alpha = 0.05 / len(planted)
    dr = {}
    for seg, g in f.groupby("segment"):
        pv = policy_value(g, g["variant"], g["converted"], costs=0.0, folds=3, alpha=alpha).set_index("policy")
        for arm in offers:
            r = pv.loc[f"everyone: {arm}"]
            dr[arm, seg] = r.incremental_profit_per_customer
            assert r.incremental_profit_per_customer_lower <= planted[arm, seg] <= \
                r.incremental_profit_per_customer_upper, (arm, seg, planted[arm, seg], dr[arm, seg])
    uplift = np.empty((len(f), len(offers)))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(f, f["variant"]):
        m = BestOffer(costs=0.0).fit(f.iloc[train], f["variant"].iloc[train], f["converted"].iloc[train])
        mu = m.outcomes(f.iloc[test])
        uplift[test] = mu[:, 1:] - mu[:, [0]]
    by_segment = pd.DataFrame(uplift, columns=m.offers_).assign(segment=f["segment"].to_numpy()).groupby("segment").mean()
    for arm in offers:
        assert max((s for a, s in dr if a == arm), key=lambda s: dr[arm, s]) == ex["most_responsive_segment"]
        assert by_segment[arm].idxmax() == ex["most_responsive_segment"]


def test_dr_interval_covers_the_planted_effect_over_rerandomisations_of_the_sample(sample_offers, truth):
    """The sample's customers, features and untreated outcomes kept, the arms and the planted extra
    orders drawn again as the generator draws them (uniform arms; an extra order when u < the
    segment's probability, one u per customer for both offers): the 95 % DR interval of each offer's
    orders-per-customer lift covers that draw's sample average effect in at least 90 of 100 draws per
    offer (nominal 95), and the estimates centre on it (mean error within 0.01 orders per customer,
    about three standard errors). Measured: 95 and 94 of 100, mean errors +0.001 and -0.000
    (standard deviation 0.031 and 0.029). /work/notes/offers-review.md has 200 draws of all three
    metrics, DR against difference in means."""
    f, ex = sample_offers, truth["experiment"]
    arms = ex["variants"]
    tau = {arm: f["segment"].map(ex["incremental_order_probability"][arm]).to_numpy() for arm in arms[1:]}
    base = f["orders_untreated"].to_numpy()
    rng = np.random.default_rng(15)
    hits, errors = {arm: 0 for arm in arms[1:]}, {arm: [] for arm in arms[1:]}
    for _ in range(100):
        u = rng.random(len(f))
        arm = np.array(arms, dtype=object)[rng.integers(0, len(arms), len(f))]
        extra = {a: (u < tau[a]).astype(float) for a in arms[1:]}
        y = base + np.select([arm == a for a in arms[1:]], [extra[a] for a in arms[1:]], 0.0)
        pv = policy_value(f, arm, y, costs=0.0, folds=3).set_index("policy")
        for a in arms[1:]:
            r, effect = pv.loc[f"everyone: {a}"], float(extra[a].mean())
            hits[a] += r.incremental_profit_per_customer_lower <= effect <= r.incremental_profit_per_customer_upper
            errors[a].append(r.incremental_profit_per_customer - effect)
    for a in arms[1:]:
        assert hits[a] >= 90, (a, hits[a])
        assert abs(np.mean(errors[a])) < 0.01, (a, np.mean(errors[a]))

def test_bad_offer_input_is_named():
    data, truth = simulate_offers(n=400, random_state=0)
    X, y = data[["x1", "x2"]], data["revenue"]
    with pytest.raises(ConfigError, match="control arm"):
        BestOffer(costs={"a": 1, "b": 1}).fit(X, np.where(data["arm"] == "control", "a", "b"), y)
    with pytest.raises(ConfigError, match="cost per customer missing for offer.*free_shipping"):
        BestOffer(costs={"discount_10": 1.0, "discount_20": 1.0}).fit(X, data["arm"], y)
    with pytest.raises(ConfigError, match="margin missing"):
        policy_value(X, data["arm"], y, costs=truth.attrs["costs"], margin={"control": 0.5})
    with pytest.raises(ConfigError, match="marketing_consent"):
        offer_targets(pd.DataFrame({"customer_id": [1], "best_offer": ["a"], "best_incremental_profit": [1.0]}))


# --- offer economics: gross margin, discounts and contact costs -> per-arm margins and costs --------


def test_offer_economics_turn_discounts_into_the_margin_kept_on_paid_revenue():
    """Paid revenue under discount d keeps (g - d) / (1 - d): 100 EUR paid at 20 % off is 125 EUR of list
    price whose goods cost 0.70 x 125 = 87.50, so 12.50 EUR (12.5 %) is profit; at list-price revenue
    (the discount booked elsewhere) 100 EUR keeps 30 - 20 = 10 EUR."""
    from cmokit.campaigns.offers import offer_economics

    e = offer_economics(0.30, {"email_10": 0.10, "email_20": 0.20}, 0.40)
    assert e["margin"] == pytest.approx({"control": 0.30, "email_10": 0.2 / 0.9, "email_20": 0.125})
    assert e["costs"] == {"email_10": 0.40, "email_20": 0.40}
    paid = 100.0
    assert paid * e["margin"]["email_20"] == pytest.approx(paid - 0.70 * paid / (1 - 0.20))
    e = offer_economics(0.30, {"email_10": 0.10, "free_shipping": 0.0}, {"email_10": 0.4, "free_shipping": 3.5},
                        revenue_is="list")
    assert e["margin"] == pytest.approx({"control": 0.30, "email_10": 0.20, "free_shipping": 0.30})
    assert e["costs"] == {"email_10": 0.4, "free_shipping": 3.5}
    # the economics drive BestOffer: same revenue under both offers -> the smaller discount wins
    X = pd.DataFrame({"x": np.tile(np.arange(20.0), 3)})
    arm = np.repeat(["control", "email_10", "email_20"], 20)
    y = np.where(arm == "control", 50.0, 80.0)
    e = offer_economics(0.30, {"email_10": 0.10, "email_20": 0.20}, 0.40)
    assert set(BestOffer(**e).fit(X, arm, y).predict(X)) == {"email_10"}  # 0.222 x 80 - 0.4 > 0.3 x 50 > 0.125 x 80


def test_offer_economics_bad_input_is_named():
    from cmokit.campaigns.offers import offer_economics

    arms = ["control", "email_10", "email_20"]
    with pytest.raises(ConfigError, match="discount missing for offer arm.*email_20"):
        offer_economics(0.30, {"email_10": 0.10}, 0.40, arms=arms)
    with pytest.raises(ConfigError, match="email_15.*does not have.*email_10, email_20"):
        offer_economics(0.30, {"email_10": 0.10, "email_20": 0.2, "email_15": 0.15}, 0.40, arms=arms)
    with pytest.raises(ConfigError, match="discount of offer 'email_20' is 1.0"):
        offer_economics(0.30, {"email_10": 0.10, "email_20": 1.0})
    with pytest.raises(ConfigError, match="discount of offer 'email_20' is -0.1"):
        offer_economics(0.30, {"email_10": 0.10, "email_20": -0.1})
    with pytest.raises(ConfigError, match="gross_margin=30"):
        offer_economics(30, {"email_10": 0.10})
    with pytest.raises(ConfigError, match="cost per contact missing for offer.*email_20"):
        offer_economics(0.30, {"email_10": 0.10, "email_20": 0.2}, {"email_10": 0.4})
    with pytest.raises(ConfigError, match="control"):
        offer_economics(0.30, {"control": 0.05, "email_10": 0.10})
    # a discount at or above the gross margin loses money on every order: allowed, named, never chosen
    with pytest.warns(UserWarning, match="'email_40' gives 40 % off on a 30 % gross margin"):
        e = offer_economics(0.30, {"email_10": 0.10, "email_40": 0.40}, 0.40)
    assert e["margin"]["email_40"] == pytest.approx(-0.1 / 0.6)
    X = pd.DataFrame({"x": np.tile(np.arange(20.0), 3)})
    arm = np.repeat(["control", "email_10", "email_40"], 20)
    y = np.where(arm == "email_40", 500.0, 50.0)  # ten times the revenue still loses money
    assert "email_40" not in set(BestOffer(**e).fit(X, arm, y).predict(X))


# --- the sample under the report's economics (50_experiments: 30 % gross margin, 10 % / 20 % off) ---

REPORT_DISCOUNTS = {"email_10": 0.10, "email_20": 0.20}


def _planted_profit(f, truth, economics, gross):
    """Per customer x offer: planted expected incremental profit over no offer. Under an offer the customer
    keeps their untreated revenue R0 (now discounted) and gets an extra order with the segment's probability,
    worth their mean order value: (m_a - g) R0 + m_a tau_a MOV - cost_a."""
    ex = truth["experiment"]
    return pd.DataFrame({a: (economics["margin"][a] - gross) * f["revenue_untreated"]
                         + economics["margin"][a] * f["segment"].map(ex["incremental_order_probability"][a])
                         * f["mean_order_value"] - economics["costs"][a] for a in REPORT_DISCOUNTS}, index=f.index)


@pytest.fixture(scope="module")
def sample_economics(sample_offers, truth, truth_customers):
    from cmokit.campaigns.offers import offer_economics

    f = sample_offers.merge(truth_customers[["customer_id", "mean_order_value"]], on="customer_id", how="left")
    e = offer_economics(0.30, REPORT_DISCOUNTS, truth["experiment"]["cost_per_treated_customer"], arms=f["variant"].unique())
    planted = _planted_profit(f, truth, e, 0.30)
    planted.insert(0, "control", 0.0)
    return f, e, planted


def test_sample_truth_best_offer_depends_on_the_economics(sample_economics, truth):
    """Planted expected incremental profit per customer by segment at a 30 % gross margin, 0.40 EUR per
    e-mail (measured): email_10 -2.94 / -1.47 / +2.26 / -0.11 EUR, email_20 -7.17 / -3.03 / +0.53 /
    -0.64 EUR for frequent big / frequent small / occasional big / occasional small baskets. So only
    occasional big baskets pay back an offer, and the 10 % offer beats the 20 % one in every segment
    (the discount on orders that come anyway outweighs the extra orders); on revenue alone (margin 1,
    no discount) email_20 wins every segment, the flat-margin report's answer."""
    f, e, planted = sample_economics
    by_segment = planted.groupby(f["segment"]).mean()
    best = by_segment.idxmax(axis=1).to_dict()
    assert best == {"frequent_big_baskets": "control", "frequent_small_baskets": "control",
                    "occasional_big_baskets": "email_10", "occasional_small_baskets": "control"}
    assert (by_segment["email_10"] > by_segment["email_20"]).all()
    assert by_segment.loc["occasional_big_baskets", "email_10"] > 1.0  # not a near-tie: 2.26 vs 0.53 and 0
    revenue = {"margin": {"control": 1.0, "email_10": 1.0, "email_20": 1.0}, "costs": e["costs"]}
    flat = _planted_profit(f, truth, revenue, 1.0).groupby(f["segment"]).mean()
    assert (flat["email_20"] > flat["email_10"]).all() and (flat["email_20"] > 0).all()


def test_sample_model_prefers_the_smaller_discount_and_finds_where_offers_pay(sample_economics):
    """Out of fold, the report's model ranks email_10 above email_20 for most customers of every
    segment (planted: every customer; measured 64-68 %, threshold 60 %; on revenue alone, the old flat
    margin, it is 14-47 %, measured with margin 1 and no discount) and expects the most from
    email_10 in occasional big baskets, the one segment where the truth says it pays. It does not
    tell per customer whether email_10 beats no offer (agreement with the segment's planted best arm
    32-54 %, 36-55 % on average over 40 re-randomisations: /work/notes/offer-costs.md), so the
    report shows only the out-of-fold policy value, which says so."""
    from sklearn.model_selection import StratifiedKFold

    f, e, planted = sample_economics
    inc = np.empty((len(f), 2))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(f, f["variant"]):
        m = BestOffer(**e).fit(f.iloc[train], f["variant"].iloc[train], f["revenue"].iloc[train])
        p = m.profits(f.iloc[test])
        inc[test] = p[:, 1:] - p[:, [0]]
    model = pd.DataFrame(inc, columns=list(REPORT_DISCOUNTS), index=f.index)
    ten_first = (model["email_10"] > model["email_20"]).groupby(f["segment"]).mean()
    assert (ten_first > 0.60).all(), ten_first.to_dict()
    assert model["email_10"].groupby(f["segment"]).mean().idxmax() == "occasional_big_baskets"


def test_sample_policy_value_under_the_reports_economics_covers_the_planted_value(sample_economics):
    """The report's call (policy_value with the 30 % / 10 % / 20 % economics): the model's interval covers the
    planted value of the policy it chose, -0.18 EUR per customer (estimate -0.62, -1.41 to 0.17), and
    everyone-email_10's covers -0.58 (estimate 0.02, -1.14 to 1.18). Everyone-email_20's (-0.97, -1.96 to
    0.01) misses its planted -2.56: the email_20 arm drew customers who bought more on their own (see
    above), and its margin counts that revenue; the re-randomisation test below checks its coverage."""
    f, e, planted = sample_economics
    pv = policy_value(f, f["variant"], f["revenue"], **e).set_index("policy")
    chosen = pv.attrs["chosen"]

    def value(policy):
        return float(np.select([policy == a for a in planted.columns], [planted[a] for a in planted.columns]).mean())

    for name, policy in (("model", chosen), ("everyone: email_10", np.full(len(f), "email_10", dtype=object))):
        r = pv.loc[name]
        assert r.incremental_profit_per_customer_lower <= value(policy) <= r.incremental_profit_per_customer_upper, \
            (name, value(policy), r.incremental_profit_per_customer)
    assert pv.loc["best_single_offer", "offer"] == "email_10"  # at revenue value it was email_20


def test_sample_policy_value_interval_covers_the_planted_value_over_rerandomisations(sample_economics, truth):
    """Customers, features and untreated revenue kept; arms and planted extra orders (value: a Gamma(p, nu)
    draw like the generator's) drawn again, 20 times: the 95 % interval covers the planted value of the
    model's policy and of everyone-email_10 / everyone-email_20 in at least 16 of 20 draws each, and the
    model's estimate centres on the planted value. Measured: 19 / 20 / 19 of 20, mean error +0.04 EUR (sd
    0.41); 40 draws with 5 folds (/work/notes/offer-costs.md): 87.5 / 97.5 / 90 %, mean error -0.003 EUR."""
    f, e, planted = sample_economics
    ex, p = truth["experiment"], truth["gamma_gamma"]["p"]
    arms = ex["variants"]
    tau = {a: f["segment"].map(ex["incremental_order_probability"][a]).to_numpy() for a in arms[1:]}
    nu = p / f["mean_order_value"].to_numpy()
    rng = np.random.default_rng(2026)
    policies = ("model", "everyone: email_10", "everyone: email_20")
    hits, errors = dict.fromkeys(policies, 0), []

    def value(policy):
        return float(np.select([policy == a for a in planted.columns], [planted[a] for a in planted.columns]).mean())

    for draw in range(20):
        u, val = rng.random(len(f)), np.round(rng.gamma(p, 1.0 / nu), 2)
        arm = np.array(arms, dtype=object)[rng.integers(0, len(arms), len(f))]
        y = f["revenue_untreated"].to_numpy() + np.select([arm == a for a in arms[1:]],
                                                          [(u < tau[a]) * val for a in arms[1:]], 0.0)
        pv = policy_value(f, arm, y, **e, folds=3, random_state=draw).set_index("policy")
        for name in policies:
            policy = pv.attrs["chosen"] if name == "model" else np.full(len(f), name.split(": ")[1], dtype=object)
            r = pv.loc[name]
            hits[name] += r.incremental_profit_per_customer_lower <= value(policy) <= r.incremental_profit_per_customer_upper
            if name == "model":
                errors.append(r.incremental_profit_per_customer - value(policy))
    assert all(h >= 16 for h in hits.values()), hits
    assert abs(np.mean(errors)) < 0.35, np.mean(errors)  # about three standard errors of the mean of 20


def _values(model_lo, vs_single_lo, single_lo):
    return pd.DataFrame({"policy": ["model", "best_single_offer", "nobody"], "offer": [None, "b", None],
                         "incremental_profit_per_customer_lower": [model_lo, single_lo, 0.0],
                         "vs_best_single_lower": [vs_single_lo, 0.0, -1.0]})


@pytest.mark.parametrize("model_lo, vs_single_lo, single_lo, expected", [
    (0.2, 0.1, 0.1, "model"),               # personalising beats one offer for all, which also pays
    (0.2, -0.1, 0.1, "best_single_offer"),  # both pay, personalising not shown to pay more
    (0.2, -0.1, -0.1, "model"),             # only the per-customer choice is shown to pay
    (-0.1, -0.1, 0.1, "best_single_offer"),
    (-0.1, 0.2, -0.1, "nobody"),            # nothing is shown to pay over sending nothing
])
def test_offer_policy_follows_the_intervals(model_lo, vs_single_lo, single_lo, expected):
    assert offer_policy(_values(model_lo, vs_single_lo, single_lo))["policy"] == expected


def test_target_list_holds_back_where_the_evidence_is_weak():
    scores = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "profit_a": [3.0, -1.0, 0.5], "profit_b": [1.0, 2.0, -0.5],
                           "best_offer": ["a", "b", "a"], "best_incremental_profit": [3.0, 2.0, 0.5],
                           "marketing_consent": [True, True, None]})
    personal = offer_targets(scores, policy=offer_policy(_values(0.2, 0.1, 0.1)))
    assert personal[["customer_id", "offer"]].values.tolist() == [["c1", "a"], ["c2", "b"]]
    single = offer_targets(scores, policy=offer_policy(_values(-0.1, -0.1, 0.1)))  # everyone b, where b pays
    assert single[["customer_id", "offer"]].values.tolist() == [["c2", "b"], ["c1", "b"]]
    assert single["expected_incremental_profit"].tolist() == [2.0, 1.0]
    none = offer_targets(scores, policy=offer_policy(_values(-0.1, 0.2, -0.1)))
    assert none.empty and list(none.columns) == list(personal.columns)
    with pytest.raises(ConfigError, match="profit_z"):
        offer_targets(scores, policy={"policy": "best_single_offer", "offer": "z", "reason": ""})


def test_offer_policy_needs_policy_values():
    with pytest.raises(ConfigError, match="best_single_offer"):
        offer_policy(pd.DataFrame({"policy": ["model"], "incremental_profit_per_customer_lower": [0.1],
                                   "vs_best_single_lower": [0.0]}))


def test_offer_profit_needs_a_control_and_a_margin_for_every_arm():
    from cmokit.campaigns import offer_economics, offer_profit

    e = offer_economics(0.30, {"a": 0.10}, 0.5, arms=["control", "a"])
    with pytest.raises(ConfigError, match="control"):
        offer_profit(pd.DataFrame({"variant": ["a", "a"], "revenue": [1.0, 2.0]}), e)
    with pytest.raises(ConfigError, match="b"):
        offer_profit(pd.DataFrame({"variant": ["control", "a", "b"], "revenue": [1.0, 2.0, 3.0]}), e)
    with pytest.raises(ConfigError, match="revenue"):
        offer_profit(pd.DataFrame({"variant": ["control", "a"]}), e)
