"""Every correct rule against the pre-6.0 address formula, on all 2**20 guest pages.

The oracle here is written again from kernel-facts §4 with division and
modulo, sharing nothing with shadowmmu.rules: quadrant at level L is
floor(va / 2**(12 + 9L)) mod 2**L. The rules under test read the *parent
entry index*, not the address; agreeing on every page is the equivalence the
6.0 change relied on.
"""

import numpy as np
import pytest

from shadowmmu import CORRECT_RULES, QUADRANT_RULES
from shadowmmu.exhaustive import all_pages, check_rule, rule_quadrants

VA = np.arange(2**20, dtype=np.int64) * 4096
LEGACY_PD = (VA // 2**30) % 4
LEGACY_PT = (VA // 2**21) % 2


def test_pages_cover_the_whole_space():
    assert np.array_equal(all_pages().astype(np.int64), VA)


@pytest.mark.parametrize("name", CORRECT_RULES)
def test_correct_rule_agrees_with_legacy_on_every_page(name):
    # For the "preallocated" rules (seed-v5, mainline) the PD half of this check
    # holds by construction: mmu_alloc_shadow_roots() gives pae_root[i] quadrant
    # i and the walk picks slot VA[31:30]. It is a real check only for lai and
    # generalised (derived from the PDPTE index) and legacy (from the address);
    # the PT half is a real check for every rule.
    pd, pt = rule_quadrants(name)
    assert np.array_equal(pd, LEGACY_PD)
    assert np.array_equal(pt, LEGACY_PT)
    assert check_rule(name).agrees


def test_misconception_disagrees_on_half_the_pages_from_0x00200000():
    pd, pt = rule_quadrants("halves")
    assert np.array_equal(pd, LEGACY_PD)
    bad = np.flatnonzero(pt != LEGACY_PT)
    # sPDE values where parity and "index >= 256" differ: odd below 256, even
    # from 256: 256 of 512, so exactly half the pages.
    assert bad.size == 2**19
    assert VA[bad[0]] == 0x00200000
    check = check_rule("halves")
    assert not check.agrees and check.wrong_pt == 2**19 and check.wrong_pd == 0
    first = check.first_counterexample
    assert (first.va, first.level, first.expected, first.got) == (0x00200000, 1, 1, 0)


def test_scalar_and_vector_rule_evaluation_agree_on_a_sample():
    sample = VA[::997]
    for name, rule in QUADRANT_RULES.items():
        pd, pt = rule_quadrants(name, sample.astype(np.uint32))
        assert [int(x) for x in pd] == [rule.pd_quadrant(int(v)) for v in sample]
        assert [int(x) for x in pt] == [rule.pt_quadrant(int(v)) for v in sample]
