"""The read-out and uplift routines on a real randomised e-mail campaign: Hillstrom's MineThatData
challenge (64,000 customers, three arms). See tests/fixtures/hillstrom_cells.md for source and derivation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_ind_from_stats

from cmokit.campaigns import cross_fit_predict, qini_coefficient, readout_from_stats, sample_ratio_mismatch, TLearner

CELLS = Path(__file__).resolve().parents[1] / "fixtures" / "hillstrom_cells.csv"
# Published by Hillstrom (2008): customers, visit rate, conversion rate, spend per customer.
PUBLISHED = {"mens_email": (21307, 0.1828, 0.0125, 1.42), "womens_email": (21387, 0.1514, 0.0088, 1.08),
             "control": (21306, 0.1062, 0.0057, 0.65)}


@pytest.fixture(scope="module")
def cells():
    return pd.read_csv(CELLS)


def _stats(cells, outcome):
    """Per-arm sufficient statistics in the read-out's schema; ``outcome`` is the 0/1 'conversion'."""
    w = cells.assign(hits=cells[outcome] * cells["customers"])
    g = w.groupby("arm").agg(n=("customers", "sum"), conversions=("hits", "sum"), sum_revenue=("spend_sum", "sum"),
                             ss_revenue=("spend_ss", "sum"), sum_pre_revenue=("history_sum", "sum"),
                             ss_pre_revenue=("history_ss", "sum"), sp_revenue=("spend_history_sp", "sum"))
    return g.reset_index().rename(columns={"arm": "variant"}).assign(experiment_id="hillstrom")


def test_readout_reproduces_published_arm_figures(cells):
    visit = readout_from_stats(_stats(cells, "visit"), metrics=("conversion",)).set_index("variant")
    conv = readout_from_stats(_stats(cells, "conversion"), metrics=("conversion", "revenue_per_customer"))
    conv_rate = conv[conv.metric == "conversion"].set_index("variant")
    spend = conv[conv.metric == "revenue_per_customer"].set_index("variant")
    for arm in ("mens_email", "womens_email"):
        n, v, c, s = PUBLISHED[arm]
        assert visit.loc[arm, "n_variant"] == n
        assert round(visit.loc[arm, "variant_value"], 4) == v
        assert round(conv_rate.loc[arm, "variant_value"], 4) == c
        assert round(spend.loc[arm, "variant_value"], 2) == s
        assert visit.loc[arm, "n_control"] == PUBLISHED["control"][0]
        assert round(visit.loc[arm, "control_value"], 4) == PUBLISHED["control"][1]
        assert round(spend.loc[arm, "control_value"], 2) == PUBLISHED["control"][3]
    # Hillstrom's conclusion: both e-mails lift visits, conversion and spend; the Mens e-mail most.
    assert (visit.p_value_adjusted < 1e-3).all() and (conv.p_value_adjusted < 0.01).all()
    assert visit.loc["mens_email", "abs_lift"] > visit.loc["womens_email", "abs_lift_upper"]


def test_intervals_agree_with_statsmodels_and_scipy(cells):
    from statsmodels.stats.proportion import confint_proportions_2indep

    st = _stats(cells, "visit").set_index("variant")
    r = readout_from_stats(_stats(cells, "visit"), metrics=("conversion", "revenue_per_customer"),
                           cuped=False, correction="none")
    row = r[(r.variant == "womens_email") & (r.metric == "conversion")].iloc[0]
    lo, hi = confint_proportions_2indep(st.loc["womens_email", "conversions"], st.loc["womens_email", "n"],
                                        st.loc["control", "conversions"], st.loc["control", "n"], method="newcomb")
    assert (row.abs_lift_lower, row.abs_lift_upper) == pytest.approx((lo, hi), rel=1e-9)
    spend = r[(r.variant == "mens_email") & (r.metric == "revenue_per_customer")].iloc[0]
    m = {a: st.loc[a, "sum_revenue"] / st.loc[a, "n"] for a in ("mens_email", "control")}
    s = {a: np.sqrt((st.loc[a, "ss_revenue"] - st.loc[a, "n"] * m[a] ** 2) / (st.loc[a, "n"] - 1)) for a in m}
    ref = ttest_ind_from_stats(m["mens_email"], s["mens_email"], st.loc["mens_email", "n"],
                               m["control"], s["control"], st.loc["control", "n"], equal_var=False)
    assert spend.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert spend.abs_lift == pytest.approx(0.7698, abs=1e-4)  # $1.4226 - $0.6528 per customer


def test_randomisation_passes_srm_and_cuped_uses_past_spend(cells):
    counts = cells.groupby("arm")["customers"].sum().rename("n").reset_index().rename(columns={"arm": "variant"})
    assert not sample_ratio_mismatch(counts.assign(experiment_id="hillstrom")).srm.iloc[0]
    r = readout_from_stats(_stats(cells, "conversion"), metrics=("revenue_per_customer",))
    assert (r.variance_reduction > 0).all() and (r.method == "cuped").all()


def test_uplift_on_mens_email_visits_beats_random_targeting(cells):
    arm = cells[cells.arm.isin(["control", "mens_email"])]
    rows = arm.loc[arm.index.repeat(arm["customers"])].reset_index(drop=True)
    X = rows[["recency", "history_segment", "mens", "womens", "newbie"]].astype(float)
    t = (rows["arm"] == "mens_email").astype(int).to_numpy()
    y = rows["visit"].to_numpy(dtype=float)
    u = cross_fit_predict(TLearner(), X, t, y, random_state=0)
    q = qini_coefficient(y, t, u, normalize=True)
    rng = np.random.default_rng(0)
    random_q = [qini_coefficient(y, t, rng.random(len(y)), normalize=True) for _ in range(50)]
    assert q > np.quantile(random_q, 0.98), (q, max(random_q))
