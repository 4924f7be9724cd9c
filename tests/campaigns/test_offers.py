"""Best offer per customer: planted heterogeneous effects across four arms, the public Hillstrom
three-arm e-mail test, the sample's planted two-offer experiment, consent and bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmokit.campaigns.offers import BestOffer, offer_targets, policy_value, simulate_offers, true_policy_value
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
