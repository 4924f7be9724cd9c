"""Every retention routine that takes a source refuses a bad orders frame at entry (see tests/frame_checks.py)."""

import pytest

from tests.frame_checks import BAD_ORDERS, cases_of, check_empty_with_as_of, check_refused

CASES = cases_of("retention")


@pytest.mark.parametrize("kind", list(BAD_ORDERS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_orders_are_a_contract_error(case, kind):
    check_refused(case, kind)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_empty_orders_with_an_explicit_as_of_give_an_empty_result(case):
    check_empty_with_as_of(case)
