"""Bad input frames every source-taking routine must refuse at entry (shared by the package tests).

Each routine is called as in :data:`tests.test_as_of_rule.CASES` (``call(source, as_of)``) with
its ``orders`` frame spoiled one way at a time. A routine must raise
:class:`~cmokit.errors.ContractError` naming the table and the column (and, for a missing
column, what the frame has) — never an Ibis ``AttributeError`` or a silently wrong number.

Empty orders: the stated policy of every routine is ``ContractError`` with ``as_of=None``
(there is no latest order day to take) and an empty result with an explicit ``as_of`` (the
same as a day before the first order): the probe reads 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from cmokit.errors import ContractError
from tests.test_as_of_rule import PROBE_DAY, customers_frame, orders_frame

#: kind -> (spoil the orders frame, words the error message must contain)
BAD_ORDERS = {
    "missing_column": (lambda o: o.drop(columns="revenue"),
                       ("orders", "revenue", "it has", "order_id, customer_id, ordered_at")),
    "text_revenue": (lambda o: o.assign(revenue=["abc"] + [str(v) for v in o["revenue"].iloc[1:]]),
                     ("orders", "revenue", "'abc'")),
    "nan_revenue": (lambda o: o.assign(revenue=[np.nan] + o["revenue"].iloc[1:].tolist()),
                    ("orders", "revenue", "missing", "o1")),
    "duplicate_order_id": (lambda o: o.assign(order_id=["o1", "o1"] + o["order_id"].iloc[2:].tolist()),
                           ("orders", "order_id", "not unique", "o1")),
    "empty": (lambda o: o.iloc[0:0], ("orders", "empty", "as_of")),
}


def spoiled(case, kind: str):
    orders = BAD_ORDERS[kind][0](orders_frame())
    return orders if case.source == "orders" else {"orders": orders, "customers": customers_frame()}


def check_refused(case, kind: str) -> None:
    """The routine refuses the spoiled frame with a ContractError that names what is wrong."""
    with pytest.raises(ContractError) as err:
        case.call(spoiled(case, kind), None)
    message = str(err.value)
    for word in BAD_ORDERS[kind][1]:
        assert word in message, (case.name, kind, message)


def check_empty_with_as_of(case) -> None:
    """Empty orders with an explicit as_of: an empty result (the probe reads 0), not an error."""
    assert case.probe(case.call(spoiled(case, "empty"), PROBE_DAY)) == 0, case.name


def cases_of(package: str):
    from tests.test_as_of_rule import CASES

    return [c for c in CASES if c.name.startswith(package + ".")]


def package_tests(package: str):
    """The two parametrized input tests for ``package``'s routines (assign them to ``test_*`` names)."""
    cases = cases_of(package)
    ids = [c.name for c in cases]

    @pytest.mark.parametrize("kind", list(BAD_ORDERS))
    @pytest.mark.parametrize("case", cases, ids=ids)
    def bad_orders_are_a_contract_error(case, kind):
        check_refused(case, kind)

    @pytest.mark.parametrize("case", cases, ids=ids)
    def empty_orders_with_an_explicit_as_of_give_an_empty_result(case):
        check_empty_with_as_of(case)

    return bad_orders_are_a_contract_error, empty_orders_with_an_explicit_as_of_give_an_empty_result
