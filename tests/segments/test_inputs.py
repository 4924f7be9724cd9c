"""Every segments routine that takes a source refuses a bad orders frame at entry (see tests/frame_checks.py)."""

from tests.frame_checks import package_tests

test_bad_orders_are_a_contract_error, test_empty_orders_with_an_explicit_as_of_give_an_empty_result = \
    package_tests("segments")
