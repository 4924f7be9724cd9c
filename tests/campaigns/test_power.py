"""Power, sample size and MDE against statsmodels' power functions."""

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from cmokit.campaigns import (
    mde_means, mde_proportions, plan_pilot, power_means, power_proportions, sample_size_means,
    sample_size_proportions,
)

CASES = [(0.10, 0.02, 1.0, "two-sided"), (0.03, 0.005, 2.0, "two-sided"), (0.25, 0.05, 0.5, "larger")]


@pytest.mark.parametrize("p0, mde, ratio, alternative", CASES)
def test_proportions_agree_with_normal_ind_power(p0, mde, ratio, alternative):
    h = proportion_effectsize(p0 + mde, p0)
    ref = NormalIndPower()
    assert power_proportions(p0, mde, 2000, ratio=ratio, alternative=alternative) == pytest.approx(
        ref.power(h, nobs1=2000, alpha=0.05, ratio=ratio, alternative=alternative), rel=1e-9)
    n = sample_size_proportions(p0, mde, ratio=ratio, alternative=alternative)
    exact = ref.solve_power(h, alpha=0.05, power=0.8, ratio=ratio, alternative=alternative)
    assert n - 1 < exact <= n
    assert mde_proportions(p0, n, ratio=ratio, alternative=alternative) <= mde + 1e-9


@pytest.mark.parametrize("std, mde, ratio, alternative", [(50.0, 5.0, 1.0, "two-sided"), (120.0, 4.0, 1.5, "larger")])
def test_means_agree_with_t_test_ind_power(std, mde, ratio, alternative):
    ref = TTestIndPower()
    assert power_means(std, mde, 800, ratio=ratio, alternative=alternative) == pytest.approx(
        ref.power(mde / std, nobs1=800, alpha=0.05, ratio=ratio, alternative=alternative), rel=1e-7)
    n = sample_size_means(std, mde, ratio=ratio, alternative=alternative)
    exact = ref.solve_power(mde / std, alpha=0.05, power=0.8, ratio=ratio, alternative=alternative)
    assert n - 1 < exact <= n
    assert mde_means(std, 1000, ratio=ratio, alternative=alternative) == pytest.approx(
        std * ref.solve_power(nobs1=1000, alpha=0.05, power=0.8, ratio=ratio, alternative=alternative), rel=1e-5)  # statsmodels solver tolerance


def test_plan_pilot_uses_observed_baseline(warehouse):
    plan = plan_pilot(warehouse, as_of="2025-12-31", relative_mdes=(0.1,))
    conv = plan[plan.metric == "conversion"].iloc[0]
    assert 0 < conv.baseline < 1
    assert conv.n_control == sample_size_proportions(conv.baseline, conv.absolute_mde)
    rev = plan[plan.metric == "revenue_per_customer"].iloc[0]
    assert rev.baseline_std > rev.baseline  # heavy-tailed revenue: more customers than conversion needs
    assert rev.n_control == sample_size_means(rev.baseline_std, rev.absolute_mde)
