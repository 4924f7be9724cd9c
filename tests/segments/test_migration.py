"""Segment migration reconciles with the RFM tables at both dates."""

import pandas as pd
import polars as pl
import pytest

from cmokit.errors import ConfigError
from cmokit.segments import migration, migration_matrix, rfm
from cmokit.segments.migration import NEW


def test_migration_rows_and_columns_reconcile_with_rfm_at_each_date(warehouse):
    table = migration(warehouse, "2025-06-30", "2025-12-31")
    before = rfm(warehouse, "2025-06-30")["segment"].value_counts()
    after = rfm(warehouse, "2025-12-31")["segment"].value_counts()
    from_counts = table[table["from_segment"] != NEW].groupby("from_segment")["customers"].sum()
    to_counts = table.groupby("to_segment")["customers"].sum()
    pd.testing.assert_series_equal(from_counts.sort_index(), before.sort_index(), check_names=False)
    pd.testing.assert_series_equal(to_counts.sort_index(), after.sort_index(), check_names=False)
    shares = table.groupby("from_segment")["share_of_from"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


def test_new_customers_are_those_first_ordering_between_the_dates(warehouse):
    table = migration(warehouse, "2025-06-30", "2025-12-31")
    n_before = len(rfm(warehouse, "2025-06-30"))
    n_after = len(rfm(warehouse, "2025-12-31"))
    assert table.loc[table["from_segment"] == NEW, "customers"].sum() == n_after - n_before


def test_matrix_has_every_segment_column(warehouse, sample_orders):
    table = migration(sample_orders, "2025-06-30", "2025-12-31")
    pd.testing.assert_frame_equal(table, migration(warehouse, "2025-06-30", "2025-12-31", revenue="gross"),
                                  check_dtype=False)
    from_pl = migration(pl.from_pandas(sample_orders), "2025-06-30", "2025-12-31")
    assert isinstance(from_pl, pl.DataFrame)
    pd.testing.assert_frame_equal(table, from_pl.to_pandas(), check_dtype=False)
    matrix = migration_matrix(table)
    assert matrix.to_numpy().sum() == table["customers"].sum()
    assert len(matrix.columns) == 11


def test_dates_out_of_order_raise(warehouse):
    with pytest.raises(ConfigError):
        migration(warehouse, "2025-12-31", "2025-06-30")
