"""A weekly media simulator with planted ROIs, and fitted models shared across MMM tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cmokit.mmm.transforms import geometric_adstock, hill

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: channel -> (decay per week, half saturation in multiples of mean spend, shape, max weekly effect)
PLANTED = {
    "paid_search": (0.2, 1.0, 1.0, 30_000.0),
    "paid_social": (0.5, 1.5, 1.5, 20_000.0),
    "display": (0.7, 0.8, 1.0, 6_000.0),
}


def simulate_media(n_weeks: int = 156, seed: int = 7, noise_sd: float = 2_000.0):
    """Weekly panel (trend + yearly season + geometric/Hill media + noise) and the true ROIs.

    Spend is gamma-distributed with flighting (some weeks dark) so effects are identifiable.
    """
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2023-01-02", periods=n_weeks, freq="W-MON")
    t = np.arange(n_weeks)
    doy = periods.day_of_year.to_numpy()
    base = 80_000 + 60 * t + 8_000 * np.sin(2 * np.pi * doy / 365.25) + 3_000 * np.cos(4 * np.pi * doy / 365.25)
    panel = pd.DataFrame({"period": periods})
    truth = {}
    revenue = base.copy()
    for i, (ch, (decay, half, shape, beta)) in enumerate(PLANTED.items()):
        on = rng.random(n_weeks) > 0.25
        spend = np.round(rng.gamma(3.0, [6_000, 5_000, 3_000][i] / 3.0, n_weeks) * on, 2)
        ad = geometric_adstock(spend, decay, 8)
        total_weight = (decay ** np.arange(9)).sum()
        effect = beta * hill(ad / (spend.mean() * total_weight), half, shape)
        panel[ch] = spend
        revenue += effect
        truth[ch] = effect.sum() / spend.sum()
    panel["revenue"] = revenue + rng.normal(0, noise_sd, n_weeks)
    return panel, truth


@pytest.fixture(scope="session")
def simulated():
    return simulate_media()


@pytest.fixture(scope="session")
def simulated_model(simulated):
    from cmokit.mmm.model import MediaMixModel

    panel, _ = simulated
    return MediaMixModel(channels=list(PLANTED), n_bootstrap=100, random_state=3).fit(panel)


@pytest.fixture(scope="session")
def pymc_roas() -> pd.DataFrame:
    """pymc-marketing's simulated ROAS data with true contributions (see fixtures/mmm_pymc_roas.md)."""
    return pd.read_csv(FIXTURES / "mmm_pymc_roas.csv", parse_dates=["period"])


@pytest.fixture(scope="session")
def simulate():
    """The simulator itself, for tests that need their own panel."""
    return simulate_media


@pytest.fixture(scope="session")
def planted_channels() -> list[str]:
    return list(PLANTED)


@pytest.fixture(scope="session")
def planted_transforms() -> dict[str, dict[str, float]]:
    """channel -> the simulator's planted decay, half_saturation and shape."""
    return {ch: dict(zip(("decay", "half_saturation", "shape"), v[:3])) for ch, v in PLANTED.items()}
