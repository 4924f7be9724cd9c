"""The sample's orders as an analyst's in-memory frame (beside the shared ``warehouse`` fixture)."""

import pytest


@pytest.fixture(scope="session")
def sample_orders(warehouse):
    """The sample warehouse's orders as pandas, revenue as float (what an analyst would load)."""
    orders = warehouse.execute(warehouse.orders)
    return orders.assign(revenue=orders["revenue"].astype("float64"))
