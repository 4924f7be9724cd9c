"""Tiny hand-checkable path sets shared by the attribution tests."""

import pandas as pd
import pytest


@pytest.fixture
def tiny_paths():
    """Five paths whose rule-based credits are computed by hand in test_rules.py."""
    return pd.DataFrame({
        "path": ["A > B > C", "B > A", "A > direct", "direct", "C"],
        "conversions": [2, 1, 1, 1, 0],
        "conversion_value": [20.0, 30.0, 8.0, 5.0, 0.0],
        "nulls": [0, 1, 0, 0, 4],
    })


@pytest.fixture
def three_channel_paths():
    """The 3-channel example whose removal effects are solved by hand in test_markov.py."""
    return pd.DataFrame({
        "path": ["A > B", "A > C", "B", "C > B"],
        "conversions": [1, 0, 1, 2],
        "conversion_value": [10.0, 0.0, 20.0, 30.0],
        "nulls": [1, 2, 1, 0],
    })
