"""cmokit.geo: geo lift tests -- design (which regions, how long, what it can detect, what it costs)
and read-out (augmented synthetic control with placebo-based inference) on a region x day KPI panel.

Light on import: scipy loads inside the functions that need it.

>>> import cmokit.geo
>>> "geo_readout" in cmokit.geo.__all__
True
"""

from cmokit.geo.design import geo_design
from cmokit.geo.panel import check_panel, load_panel, region_panel, region_spend, simulate_geo_panel, treated_spend
from cmokit.geo.readout import GeoTest, geo_readout
from cmokit.geo.synthetic import AugmentedSyntheticControl, synthetic_control_weights
from cmokit.geo.window import GeoTestWindow, find_geo_test, read_out

__all__ = [
    "AugmentedSyntheticControl", "GeoTest", "GeoTestWindow", "check_panel", "find_geo_test", "geo_design",
    "geo_readout", "load_panel", "read_out",
    "region_panel", "region_spend", "simulate_geo_panel", "synthetic_control_weights", "treated_spend",
]
