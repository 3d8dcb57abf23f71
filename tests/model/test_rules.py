"""Each quadrant rule on the golden rows, and what each does at level 2 (kernel-facts §1, §2, §4)."""

import pytest

from reference_oracles.golden import GOLDEN, IDS
from shadowmmu import QUADRANT_RULES, CORRECT_RULES, RoleWarning, get_rule, pae_root_roles, root_role
from shadowmmu.exhaustive import check_all_rules

REQUIRED = {"seed-v5", "lai", "generalised", "mainline", "legacy", "halves"}


def test_all_named_rules_exist_and_only_halves_is_wrong():
    assert REQUIRED <= set(QUADRANT_RULES)
    assert set(CORRECT_RULES) == REQUIRED - {"halves"}
    assert "MISCONCEPTION" in QUADRANT_RULES["halves"].title


@pytest.mark.parametrize("row", GOLDEN, ids=IDS)
@pytest.mark.parametrize("name", sorted(REQUIRED - {"halves"}))
def test_correct_rules_on_golden_rows(name, row):
    va, *_ = row
    pdpte, q1 = row[3], row[6]
    rule = QUADRANT_RULES[name]
    assert rule.pd_quadrant(va) == pdpte  # by construction for the preallocated rules
    assert rule.pt_quadrant(va) == q1


def test_halves_is_wrong_on_the_golden_row_that_refutes_it():
    # 0x00200000 sits behind PAE PDE 1: bit 21 says upper half (quadrant 1);
    # "top/bottom halves of the PD" says PDE 1 < 256, so quadrant 0.
    assert QUADRANT_RULES["halves"].pt_quadrant(0x00200000) == 0
    assert QUADRANT_RULES["mainline"].pt_quadrant(0x00200000) == 1


@pytest.mark.parametrize("name", ["seed-v5", "mainline", "halves"])
def test_level1_only_rules_warn_at_level_2(name):
    with pytest.raises(RoleWarning, match="level"):
        QUADRANT_RULES[name].quadrant(2, 3)


def _right_at(rule, level: int) -> bool:
    """Whether the rule's formula gives every level-`level` child the quadrant its address
    carries, computed here from literal shifts: a page table behind PAE PDE i (of PDPTE p)
    must be quadrant VA bit 21, a page directory behind PDPTE p quadrant VA bits 31:30."""
    if level == 1:
        cases = [(i, (p << 30) | (i << 21)) for p in range(4) for i in range(512)]
        return all(rule.fn(1, i, va) == (va >> 21) & 1 for i, va in cases)
    cases = [(p, p << 30) for p in range(4)]
    return all(rule.fn(2, p, va) == (va >> 30) & 3 for p, va in cases)


@pytest.mark.parametrize("name", CORRECT_RULES)
def test_a_correct_rule_claims_exactly_the_levels_where_its_formula_is_right(name):
    rule = QUADRANT_RULES[name]
    assert set(rule.levels) == {level for level in (1, 2) if _right_at(rule, level)}


@pytest.mark.parametrize("name", ["lai", "generalised"])
def test_special_root_rules_derive_pd_quadrants_from_a_pdpt_parent(name):
    rule = QUADRANT_RULES[name]
    assert rule.roots == "special"
    pdpt = root_role()  # the level-3 page Lai's series would have made real
    derived = [rule.child_role(pdpt, i) for i in range(4)]
    assert [r.quadrant for r in derived] == [0, 1, 2, 3]
    assert derived == list(pae_root_roles())
    # and their level-1 children under the derived PDs
    assert [rule.child_role(derived[3], i).quadrant for i in (0, 1, 244, 245)] == [0, 1, 0, 1]


def test_generalised_is_mod_two_to_the_level():
    rule = QUADRANT_RULES["generalised"]
    assert [rule.quadrant(2, i) for i in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert [rule.quadrant(1, i) for i in range(4)] == [0, 1, 0, 1]
    with pytest.raises(RoleWarning):
        rule.quadrant(3, 0)


@pytest.mark.parametrize("name", ["seed-v5", "mainline", "legacy", "halves"])
def test_preallocated_rules_give_pae_root_roles(name):
    assert QUADRANT_RULES[name].pd_roles() == pae_root_roles()


def test_legacy_needs_the_address():
    rule = QUADRANT_RULES["legacy"]
    assert rule.quadrant(1, 0, 0x00200000) == 1 and rule.quadrant(2, 0, 0xC0000000) == 3
    with pytest.raises(ValueError, match="address"):
        rule.quadrant(1, 0)


def test_legacy_child_role_uses_the_address_not_the_index():
    rule = QUADRANT_RULES["legacy"]
    pd = pae_root_roles()[3]
    assert rule.child_role(pd, 1, va=0xC0200000).quadrant == 1
    assert rule.child_role(pd, 0, va=0xC0000000).quadrant == 0


def test_a_rule_is_marked_correct_exactly_when_it_agrees_on_every_page():
    # the verdict over all 2**20 pages, not the metadata, decides
    assert set(CORRECT_RULES) == {n for n, c in check_all_rules().items() if c.agrees}


def test_the_rules_needing_special_roots_are_the_ones_that_never_merged():
    # Lai's special-roots series did not land, so neither did any rule that needs it
    assert {n for n, r in QUADRANT_RULES.items() if r.roots == "special"} == {
        n for n, r in QUADRANT_RULES.items() if "never merged" in r.status}
    assert all(r.formula and r.origin for r in QUADRANT_RULES.values())


@pytest.mark.parametrize("name", [n for n in QUADRANT_RULES if n != "lai"])  # lai's is prose
def test_the_formula_shown_is_the_formula_computed(name):
    """The ``formula`` string readers see, evaluated as Python, against the rule's function."""
    rule = QUADRANT_RULES[name]
    for level in rule.levels:
        for i in range(512 if level == 1 else 4):
            va = (i << 21) if level == 1 else (i << 30)
            shown = eval(rule.formula, {}, {"spte_index": i, "level": level, "va": va})
            assert int(shown) == rule.fn(level, i, va), (name, level, i)


def test_get_rule_names_the_choices():
    assert get_rule("mainline") is QUADRANT_RULES["mainline"]
    with pytest.raises(ValueError, match="seed-v5, lai"):
        get_rule("bogus")
