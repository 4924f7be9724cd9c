"""Plotly figures: one module per domain, a result in, a Figure out.

The public names are the domain modules (``cmokit.plots.segments.segment_sizes``,
``cmokit.plots.mmm.roi`` ...), each with its own ``__all__``. Every figure uses the
shared cmokit template (:func:`cmokit.plots.theme.apply`). plotly loads inside the
functions that draw, so importing cmokit stays fast.
"""

from cmokit.plots import (
    attribution,
    campaigns,
    clv,
    experiments,
    geo,
    health,
    mmm,
    offers,
    retention,
    segments,
    sequential,
    theme,
)

__all__ = ["attribution", "campaigns", "clv", "experiments", "geo", "health", "mmm", "offers", "retention",
           "segments", "sequential", "theme"]
