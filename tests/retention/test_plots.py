"""Retention figures carry the result's numbers."""

import numpy as np

from cmokit.plots import retention as plots
from cmokit.retention import cohort_matrix, cohorts, kaplan_meier, lifetimes


def test_cohort_heatmap_is_the_cohort_matrix(warehouse):
    table = cohorts(warehouse)
    fig = plots.cohort_heatmap(table, "revenue_retention")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z, dtype=float),
                                  cohort_matrix(table, "revenue_retention").to_numpy(dtype=float))
    assert fig.layout.xaxis.title.text == "Months since first"


def test_survival_curves_one_line_per_group(warehouse):
    curves = kaplan_meier(lifetimes(warehouse), by="cohort_year")
    fig = plots.survival_curves(curves)
    assert [t.name for t in fig.data] == ["2023", "2024", "2025"]


def test_calibration_plot_has_the_diagonal_and_the_model():
    import pandas as pd

    table = pd.DataFrame({"mean_predicted": [0.1, 0.9], "observed_rate": [0.2, 0.8]})
    fig = plots.calibration(table)
    assert list(fig.data[1].y) == [0.2, 0.8]
