"""Notebook 06's small guest (scenarios.small), against values derived by hand.

The guest, from SMALL_KERNEL and SMALL_USER: process 0 maps the 4 MiB direct map
0xC0000000 -> 0, 0xDEADB000 -> 0x123000, 0xDEAD0000 -> 0x124000, 0xFFFFF000 ->
0x125000 (kernel half, shared by process 1), and 0x00200000 -> 0x200000,
0x08048000 -> 0x201000; process 1 maps only 0x08048000 -> 0x301000 of its own.

Shadow pages, by hand: load_cr3() makes the four PAE page directories (PD quadrants
0..3). A 4 KiB guest page then needs one level-1 shadow page, of quadrant VA bit 21:
0xDEADBEEF has bit 21 = 1 (0xDE = 1101 1110, 0xA = 1010: bits 23..20 = 1010). A 4 MiB
guest page with host large pages is a 2 MiB leaf in the PD (no level-1 page); without
them, a direct level-1 page.
"""

import pytest

from shadowmmu.sim.paging32 import GuestPageFault
from shadowmmu.scenarios.small import (
    fresh_small_mmu,
    preset_faults,
    run_access,
    small_guest,
    small_session,
)

P0 = [(0xC0123456, 0x00123456), (0xDEADBEEF, 0x00123EEF), (0xDEAD0010, 0x00124010),
      (0xFFFFF004, 0x00125004), (0x00200ABC, 0x00200ABC), (0x08048123, 0x00201123)]
P1 = [(0xC0123456, 0x00123456), (0xDEADBEEF, 0x00123EEF), (0x08048123, 0x00301123)]


def test_each_process_sees_its_mappings_and_the_shared_kernel_half():
    guest, cr3s = small_guest()
    assert len(cr3s) == 2
    for cr3, pairs in zip(cr3s, (P0, P1)):
        assert [(va, guest.walk(cr3, va).gpa) for va, _ in pairs] == pairs
    for cr3 in cr3s:
        with pytest.raises(GuestPageFault):
            guest.walk(cr3, 0x00000000)  # left unmapped, as Linux leaves it
    with pytest.raises(GuestPageFault):
        guest.walk(cr3s[1], 0x00200000)  # process 0's only


def test_the_first_access_faults_and_the_second_is_a_shadow_hit():
    mmu = fresh_small_mmu()
    first, second = run_access(mmu, 0xDEADBEEF), run_access(mmu, 0xDEADBEEF)
    assert (first.gpa, first.fault, first.faulted) == (0x00123EEF, None, True)
    assert (second.gpa, second.fault, second.faulted) == (0x00123EEF, None, False)
    assert second.trace != () and first.trace != second.trace


def test_shadow_pages_after_one_4k_access():
    mmu = fresh_small_mmu()
    roots = sorted((sp.role.level, sp.role.quadrant) for sp in mmu.shadow_pages())
    assert roots == [(2, 0), (2, 1), (2, 2), (2, 3)]
    run_access(mmu, 0xDEADBEEF)
    pts = [(sp.role.level, sp.role.quadrant, sp.role.direct) for sp in mmu.shadow_pages()
           if sp.role.level == 1]
    assert pts == [(1, 1, False)]


@pytest.mark.parametrize("large, level1", [(True, []), (False, [(1, 0, True)])])
def test_a_4m_guest_page_with_and_without_host_large_pages(large, level1):
    mmu = fresh_small_mmu(host_large_pages=large)
    assert run_access(mmu, 0xC0123456).gpa == 0x00123456
    assert [(sp.role.level, sp.role.quadrant, sp.role.direct) for sp in mmu.shadow_pages()
            if sp.role.level == 1] == level1


def test_an_unmapped_address_is_a_guest_fault_not_an_exception():
    r = run_access(fresh_small_mmu(), 0x00000000)
    assert (r.gpa, r.fault) == (None, "#PF at 0x00000000 (read, supervisor): PTE not present")


def test_a_session_loads_the_process_asked_for():
    mmu, cr3s = small_session(1)
    assert mmu.cr3 == cr3s[1]
    assert run_access(mmu, 0x08048123, user=True).gpa == 0x00301123


def test_preset_faults_run_each_address_on_a_fresh_guest():
    results = preset_faults([0xDEADBEEF, 0xDEADBEEF, 0x00000000])
    # fresh each time: the repeated address faults again rather than hitting
    assert [(r.va, r.gpa, r.faulted) for r in results] == [
        (0xDEADBEEF, 0x00123EEF, True), (0xDEADBEEF, 0x00123EEF, True), (0x00000000, None, True)]
