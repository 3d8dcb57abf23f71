"""The CR3-switch reuse view of notebook 10 (scenarios.real.real_cr3_switch) under every correct rule.

Expected values are derived from the snapshots, not from the code under test:
the two processes have different CR3s, so each quarter the second process
touches gets a page directory that did not exist before (created, never found);
the quarters it touches are read from QEMU's gva2gpa answers. The page tables
below the page directories do not depend on which correct rule computed their
role, so the level-1 rows of every correct rule must be those of every other.
Before reachable_pages() moved onto the MMU, the special-root rules ("lai",
"generalised") reported 0 found / 0 created / no rows here: the old helper
walked pae_root, which those rules leave empty.
"""

import pytest

from shadowmmu import CORRECT_RULES, get_rule
from shadowmmu.scenarios.real import REAL_PAIR, real_cr3_switch, real_snapshot

FIRST, SECOND = (real_snapshot(n) for n in REAL_PAIR)
#: quarters (VA bits 31:30) in which QEMU translated at least one page of the second process
TOUCHED = sorted({va >> 30 for va, gpa in SECOND.gva2gpa if gpa is not None})


def test_the_two_processes_have_their_own_page_directories():
    assert FIRST.cr3 >> 12 != SECOND.cr3 >> 12
    assert TOUCHED == [0, 2, 3]  # code/heap, stack below 0xC0000000, the kernel


@pytest.fixture(scope="module")
def switches():
    return {name: real_cr3_switch(rule=name) for name in CORRECT_RULES}


@pytest.mark.parametrize("name", CORRECT_RULES)
def test_every_touched_quarter_has_a_new_page_directory(switches, name):
    pds = [(r.pd_quadrant, r.found, r.created) for r in switches[name].rows if r.level == 2]
    if get_rule(name).roots == "special":
        # the special PDPT page links a quarter's page directory at its first fault only
        assert pds == [(q, 0, 1) for q in TOUCHED]
    else:
        # pae_root holds all four page directories from the CR3 load on
        assert pds == [(q, 0, 1) for q in range(4)]


@pytest.mark.parametrize("name", CORRECT_RULES)
def test_page_tables_found_and_created_agree_across_rules(switches, name):
    def tables(sw):
        return [r for r in sw.rows if r.level == 1]

    assert tables(switches[name]) == tables(switches["legacy"])
    assert tables(switches[name]), "no page table reachable after the switch"
    # the kernel half (quarter 3) is shared by both processes: all found, none created
    kernel = [r for r in tables(switches[name]) if r.pd_quadrant == 3]
    assert kernel and all(r.created == 0 and r.found > 0 for r in kernel)
