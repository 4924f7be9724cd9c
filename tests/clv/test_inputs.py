"""Every clv routine that takes a source refuses a bad orders frame at entry (see tests/frame_checks.py)."""

from tests.frame_checks import package_tests

test_bad_orders_are_a_contract_error, test_empty_orders_with_an_explicit_as_of_give_an_empty_result = \
    package_tests("clv")


def test_clv_by_returns_the_kind_of_its_values_and_checks_them():
    import pandas as pd
    import polars as pl
    import pytest

    from cmokit.clv import clv_by
    from cmokit.errors import ContractError
    from tests.test_as_of_rule import customers_frame, orders_frame

    frames = {"orders": orders_frame(), "customers": customers_frame()}
    values = pd.DataFrame({"customer_id": list("abcde"), "clv": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = clv_by(pl.from_pandas(values), frames, "acquisition_channel")
    assert isinstance(out, pl.DataFrame) and out["clv_total"].to_list() == [15.0]
    assert isinstance(clv_by(values, frames, "segment"), pd.DataFrame)
    with pytest.raises(ContractError, match="clv"):
        clv_by(values.assign(clv=[1.0, None, 3.0, 4.0, 5.0]), frames)
    with pytest.raises(ContractError, match="customers: missing column customer_id"):
        clv_by(values, {"customers": customers_frame().drop(columns="customer_id")})
