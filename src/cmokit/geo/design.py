"""Geo test design: which regions to treat, for how long, what it can detect and what it costs.

For each candidate treated set and test length the read-out's estimator
(:class:`~cmokit.geo.synthetic.AugmentedSyntheticControl`, the other regions as controls) is
run on historical windows of the panel, each fitted only on the days before it (GeoLift's
power analysis: simulated tests on past data). With no effect there, their relative errors
``e_w`` give the test's noise; a lift ``delta`` injected into the treated regions would be
read as ``(1 + delta)(1 + e_w) - 1``. The test declares a lift when the read-out exceeds the
``1 - alpha`` quantile of ``|e_w|``; the power at ``delta`` is the share of windows where it
does, and the minimum detectable lift (MDE) is the smallest ``delta`` on the grid with power
at least ``power`` (80 % by default). The test's cost is the extra spend needed to create that
lift: ``MDE x baseline KPI of the treated regions over the test days / expected_roas``.

Candidate sets (when not given) stratify the regions by size: regions ranked by mean KPI, then
every ``N / k``-th region from a few starting offsets, so a candidate mixes large and small
regions. Historical windows overlap and share shocks, so the MDE is a planning figure, not a
guarantee: ``tests/geo`` measures how often the read-out detects a lift planted at the MDE.

>>> from cmokit.geo.panel import simulate_geo_panel
>>> panel, _ = simulate_geo_panel(regions=12, days=150, treated=("R01",), lift=0.0)
>>> d = geo_design(panel, n_treated=(2,), test_days=(14, 28), candidates_per_size=1, expected_roas=2.0)
>>> d[["n_treated", "test_days"]].values.tolist()
[[2, 28], [2, 14]]
>>> bool(d["mde"].iloc[0] < d["mde"].iloc[1])
True
"""

from __future__ import annotations

import numpy as np

from cmokit.errors import ConfigError

DESIGN_COLUMNS = ("treated_regions", "n_treated", "test_days", "placebo_windows", "mde", "baseline", "incremental_at_mde",
                  "test_cost", "pre_fit_error")


def candidate_sets(wide, n_treated=(1, 2, 3), per_size: int = 3):
    """Size-stratified candidate treated sets (lists of region names)."""
    order = list(wide.mean().sort_values(ascending=False).index)
    n = len(order)
    out, seen = [], set()
    for k in n_treated:
        k = int(k)
        if not 1 <= k <= n - 2:
            raise ConfigError(f"cannot treat {k} of {n} regions: keep at least 2 as controls")
        step = n // k
        for offset in range(min(per_size, step)):
            c = tuple(sorted(str(order[offset + i * step]) for i in range(k)))
            if c not in seen:
                seen.add(c)
                out.append(list(c))
    return out


def power_curve(errors, lifts, alpha: float):
    """Power at each lift: share of placebo windows whose injected-lift read-out exceeds the critical value."""
    errors = np.asarray(errors, dtype=float)
    crit = np.quantile(np.abs(errors), 1 - alpha)
    lifts = np.asarray(lifts, dtype=float)
    read = (1 + lifts[:, None]) * (1 + errors[None, :]) - 1
    return (np.abs(read) > crit).mean(axis=1)


def geo_design(panel, *, kpi: str = "revenue", treated_candidates=None, n_treated=(1, 2, 3), test_days=(14, 21, 28),
               lifts=None, alpha: float = 0.1, power: float = 0.8, expected_roas: float | None = None,
               candidates_per_size: int = 3, stride: int = 3, min_windows: int = 5, before=None,
               region: str = "region", day: str = "day"):
    """Minimum detectable lift and cost of each candidate geo test design, from historical placebo runs.

    ``panel`` is the long region x day panel (:func:`~cmokit.geo.panel.check_panel`), all of it
    history before the test (or pass ``before``: only days before that date are used). ``treated_candidates``: a list of treated-region lists (default:
    size-stratified sets of each size in ``n_treated``). ``lifts``: the relative lifts tried
    (default 0 to 50 % in steps of 0.5 %). ``expected_roas``: incremental revenue per EUR of extra
    spend you expect (e.g. from the media-mix model) to price the test. ``stride``: days between
    historical windows.

    Returns one row per design, best (smallest MDE, then cheapest) first: treated_regions,
    n_treated, test_days, placebo_windows, mde (relative lift detectable with ``power``; NaN when
    none on the grid), baseline (treated KPI over the last ``test_days`` days), incremental_at_mde,
    test_cost (EUR of extra spend; NaN without ``expected_roas``), pre_fit_error (relative root
    mean squared error of the fit on the whole panel). ``.attrs["power"]`` holds the power curves
    (treated_regions, test_days, lift, power).
    """
    import pandas as pd

    from cmokit.geo.panel import check_panel
    from cmokit.geo.readout import _split, placebo_errors
    from cmokit.geo.synthetic import AugmentedSyntheticControl

    wide = check_panel(panel, kpi, region=region, day=day)
    if before:
        from cmokit.engine import as_of_date

        wide = wide[wide.index < pd.Timestamp(as_of_date(before))]
    lifts = np.round(np.arange(0, 0.5001, 0.005), 4) if lifts is None else np.asarray(lifts, dtype=float)
    cands = candidate_sets(wide, n_treated, candidates_per_size) if treated_candidates is None else [
        [str(r) for r in ([c] if isinstance(c, str) else c)] for c in treated_candidates]
    days = len(wide)
    rows, curves = [], []
    for length in test_days:
        length = int(length)
        first = max(28, 2 * length)
        windows = (days - first - length) // stride + 1 if days >= first + length else 0
        if windows < min_windows:
            need = first + length + (min_windows - 1) * stride
            raise ConfigError(f"too few pre-period days for a {length}-day test design: the panel has {days} "
                              f"days, {need} are needed ({first} to fit, then {min_windows} historical windows "
                              f"{stride} days apart). Use a longer history or shorter tests")
        for cand in cands:
            treated, control, y1, y0 = _split(wide, cand, None)
            fit = AugmentedSyntheticControl().fit(y0, y1)
            errs = []
            for s in range(first, days - length + 1, stride):
                errs.append(placebo_errors(y1[:s + length], y0[:s + length], length, first=s, last=s + length,
                                           ridge=fit.ridge_)[0])
            pw = power_curve(errs, lifts, alpha)
            ok = np.nonzero(pw >= power)[0]
            mde = float(lifts[ok[0]]) if len(ok) else np.nan
            base = float(y1[-length:].sum())
            rows.append(dict(treated_regions=", ".join(treated), n_treated=len(treated), test_days=length,
                             placebo_windows=len(errs), mde=mde, baseline=base, incremental_at_mde=mde * base,
                             test_cost=mde * base / expected_roas if expected_roas else np.nan,
                             pre_fit_error=fit.pre_rmspe_ / float(np.mean(y1))))
            curves.append(pd.DataFrame({"treated_regions": ", ".join(treated), "test_days": length, "lift": lifts,
                                        "power": pw}))
    out = pd.DataFrame(rows, columns=list(DESIGN_COLUMNS)).sort_values(
        ["mde", "test_cost", "test_days"], na_position="last", ignore_index=True)
    out.attrs["power"] = pd.concat(curves, ignore_index=True)
    return out
