"""The vectorised evaluation against the scalar one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowmmu import QUADRANT_RULES, decompose
from shadowmmu.address import field_values
from shadowmmu.exhaustive import check_all_rules, check_rule, check_rule_loop


@given(st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=50))
@settings(max_examples=50)
def test_field_values_of_an_array_match_decompose(vas):
    arrays = field_values(np.array(vas, dtype=np.uint32))
    for i, va in enumerate(vas):
        d = decompose(va)
        for name, column in arrays.items():
            assert int(column[i]) == getattr(d, name), name


@pytest.mark.parametrize("name", sorted(QUADRANT_RULES))
def test_loop_and_vector_checks_agree_on_a_slice(name):
    vas = np.arange(0, 2**20, 61, dtype=np.uint32) << np.uint32(12)
    assert check_rule(name, vas) == check_rule_loop(name, vas)


def test_loop_check_of_the_misconception_over_all_pages():
    assert check_rule_loop("halves") == check_rule("halves")


def test_check_all_rules_covers_every_rule():
    checks = check_all_rules()
    assert set(checks) == set(QUADRANT_RULES)
    assert {n for n, c in checks.items() if not c.agrees} == {"halves"}
    assert {c.pages for c in checks.values()} == {2**20}
