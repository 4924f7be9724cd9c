"""Geo, running-test and policy figures carry the result's numbers."""

import numpy as np

from cmokit.campaigns.offers import policy_value, simulate_offers
from cmokit.campaigns.sequential import sequential_from_stats
from cmokit.geo import geo_design, geo_readout, simulate_geo_panel
from cmokit.plots import geo as pg
from cmokit.plots import offers as po
from cmokit.plots import sequential as ps


def test_geo_figures():
    panel, truth = simulate_geo_panel(regions=12, days=120, treated=("R01", "R02"), test_days=21, lift=0.15)
    t = geo_readout(panel, ["R01", "R02"], truth["test_start"])
    fig = pg.treated_vs_counterfactual(t)
    assert np.allclose(fig.data[0].y, t.series_["observed"]) and np.allclose(fig.data[1].y, t.series_["counterfactual"])
    assert "lift" in fig.layout.title.text and fig.layout.yaxis.title.text == "Revenue (EUR)"
    d = geo_design(panel[panel.day < truth["test_start"]], n_treated=(2,), test_days=(14,), candidates_per_size=2)
    m = pg.design_mde(d)
    assert sorted(m.data[0].y) == sorted(d["mde"])


def test_running_and_policy_figures():
    import pandas as pd

    st = pd.DataFrame({"experiment_id": "x", "day": [1, 1, 2, 2], "variant": ["control", "b"] * 2,
                       "n": [500, 500, 1000, 1000], "conversions": [50, 70, 100, 150]})
    r = sequential_from_stats(st, metrics=("conversion",), tau2=0.001)
    fig = ps.running_test(r)
    assert list(fig.data[-1].y) == r["abs_lift"].tolist()
    assert list(fig.data[1].y) == r["always_valid_lower"].tolist()
    data, truth = simulate_offers(n=2000)
    pv = policy_value(data[["x1", "x2"]], data["arm"], data["revenue"], costs=truth.attrs["costs"],
                      margin=truth.attrs["margin"], folds=3)
    p = po.policy_values(pv)
    assert list(p.data[0].y) == pv["policy"].tolist()
