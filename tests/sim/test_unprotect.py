"""The unprotect-and-retry path: ShadowMMU.unprotect_page() and guest_write(page_table_write=False).

Every expectation by hand, from write_lab()'s guest (tests/sim/test_mmu.py explains
the numbering): Guest(16 MiB) allocates its page directory at gfn 0xE00 and the user
page table for guest PDE 32 at gfn 0xE01. load_cr3() creates the four roots (L2 q0..q3
of gfn 0xE00, hpa 0x1_0000_0000..0x1_0000_3000); the lab's three accesses create the two
PAE page tables of gfn 0xE01: L1 q0 (gPTEs 0-511, behind L2 q0 sPTE 64) at 0x1_0000_4000
and L1 q1 (gPTEs 512-1023, behind sPTE 65) at 0x1_0000_5000. So unprotecting the PD
zaps 4 pages, unprotecting the PT 2, and anything the next shadow page is 0x1_0000_6000.
"""

from __future__ import annotations

import pytest

from shadowmmu import Guest, ShadowMMU
from shadowmmu.scenarios.write_lab import write_lab
from shadowmmu.sim.events import GuestWrite, PageUnprotected, RootsFreed, ShadowPageZapped
from shadowmmu.sim.spte import SPTE_PRESENT

PD, PT = 0xE00, 0xE01
HPA = 0x1_0000_0000


def of_gfn(mmu, gfn):
    return sorted((sp.role.describe(), sp.hpa) for sp in mmu.shadow_pages() if sp.gfn == gfn)


def actions(trace):
    return [e.action for e in trace if isinstance(e, GuestWrite)]


def test_the_lab_is_as_the_numbers_say():
    lab = write_lab()
    assert (lab.pd_gpa >> 12, lab.pt_gpa >> 12) == (PD, PT)
    assert of_gfn(lab.mmu, PD) == [(f"L2 q{q}", HPA + q * 0x1000) for q in range(4)]
    assert of_gfn(lab.mmu, PT) == [("L1 q0", HPA + 0x4000), ("L1 q1", HPA + 0x5000)]


def test_unprotecting_the_page_directory_zaps_its_four_roots_and_they_reload():
    lab = write_lab()
    mmu = lab.mmu
    assert mmu.unprotect_page(PD) == 4
    zapped = [(e.role.describe(), e.reason) for e in mmu.last_trace if isinstance(e, ShadowPageZapped)]
    assert zapped == [(f"L2 q{q}", "kvm_mmu_unprotect_page()") for q in range(4)]
    assert [e for e in mmu.last_trace if isinstance(e, PageUnprotected)] == [PageUnprotected(PD, 4)]
    assert any(isinstance(e, RootsFreed) for e in mmu.last_trace)
    # four new, empty roots for the same CR3, created in order after the lab's six pages
    assert of_gfn(mmu, PD) == [(f"L2 q{q}", HPA + (6 + q) * 0x1000) for q in range(4)]
    assert mmu.pae_root == [(HPA + (6 + q) * 0x1000) | SPTE_PRESENT for q in range(4)]
    # the PT's pages are still cached, unlinked; the translation is gone until a fault
    assert of_gfn(mmu, PT) == [("L1 q0", HPA + 0x4000), ("L1 q1", HPA + 0x5000)]
    assert mmu.translate(0x08000000) is None and mmu.check() is None
    assert mmu.access(0x08000000) == 0x00100000 and mmu.access(0x08200000) == 0x00102000
    assert of_gfn(mmu, PT) == [("L1 q0", HPA + 0x4000), ("L1 q1", HPA + 0x5000)]  # found again
    assert mmu.check() is None


def test_unprotecting_a_page_table_zaps_its_two_pages_and_the_links_to_them():
    lab = write_lab()
    mmu = lab.mmu
    q0 = next(sp for sp in mmu.shadow_pages() if sp.gfn == PD and sp.role.quadrant == 0)
    assert {i for i, s in enumerate(q0.spt) if s & SPTE_PRESENT} == {64, 65}
    assert mmu.unprotect_page(PT) == 2
    assert of_gfn(mmu, PT) == []
    assert {i for i, s in enumerate(q0.spt) if s & SPTE_PRESENT} == set()  # links dropped
    assert of_gfn(mmu, PD) == [(f"L2 q{q}", HPA + q * 0x1000) for q in range(4)]  # roots untouched
    assert not any(isinstance(e, RootsFreed) for e in mmu.last_trace)
    assert mmu.translate(0x08000000) is None and mmu.translate(0x08200000) is None
    assert mmu.check() is None
    assert mmu.access(0x08001000) == 0x00101000
    assert of_gfn(mmu, PT) == [("L1 q0", HPA + 0x6000)]  # a new page: the old one was zapped
    assert mmu.check() is None


def test_nothing_to_unprotect_returns_zero_and_bad_gfns_are_refused():
    lab = write_lab()
    before = of_gfn(lab.mmu, PD) + of_gfn(lab.mmu, PT)
    assert lab.mmu.unprotect_page(0x100) == 0  # a data frame: no shadow page
    for bad in (-1, 0x1000, "0xE00", True):
        with pytest.raises(ValueError, match=r"gfn .* must be a guest frame number in 0\.\.0xfff"):
            lab.mmu.unprotect_page(bad)
    assert of_gfn(lab.mmu, PD) + of_gfn(lab.mmu, PT) == before


def test_direct_pages_of_the_gfn_are_not_unprotected():
    # host_large_pages=False: the guest's 4 MiB page at 0xC0000000 (gpa 0x400000) becomes
    # direct level-1 pages, one per 2 MiB half, keyed by gfn 0x400 and 0x600; they shadow
    # no guest table, so for_each_gfn_valid_sp_with_gptes() never sees them.
    g = Guest(16 << 20)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0xC0000000, 0x400000)
    mmu = ShadowMMU(g, host_large_pages=False)
    mmu.load_cr3(cr3)
    assert mmu.access(0xC0000000) == 0x400000
    direct = [sp for sp in mmu.shadow_pages() if sp.role.direct]
    assert [(sp.gfn, sp.role.level) for sp in direct] == [(0x400, 1)]
    assert mmu.unprotect_page(0x400) == 0
    assert direct[0].valid and mmu.translate(0xC0000000) == 0x400000


def test_a_non_page_table_store_to_a_tracked_pt_unprotects_then_lands():
    lab = write_lab(unsync=False)  # page tables kept protected: PTE stores would be emulated
    mmu = lab.mmu
    mmu.guest_write(lab.pt_gpa, 0, 4, page_table_write=False)  # rep stos clearing gPTE 0
    assert actions(mmu.last_trace) == ["unprotect", "store"]  # the re-run store lands untrapped
    assert [e for e in mmu.last_trace if isinstance(e, PageUnprotected)] == [PageUnprotected(PT, 2)]
    assert lab.guest.read32(lab.pt_gpa) == 0
    assert of_gfn(mmu, PT) == [] and mmu.writes_unprotected == 1
    assert mmu.translate(0x08000000) is None and mmu.check() is None
    mmu.guest_write(lab.pt_gpa + 4, 0, 4, page_table_write=False)  # the next iteration
    assert actions(mmu.last_trace) == ["store"] and mmu.writes_unprotected == 1
    # the same store by a mov is emulated instead: one sPTE zapped, both pages stay
    lab = write_lab(unsync=False)
    lab.mmu.guest_write(lab.pt_gpa, 0, 4)
    assert actions(lab.mmu.last_trace) == ["emulate"] and len(of_gfn(lab.mmu, PT)) == 2


def test_a_store_that_unsyncs_is_never_retried():
    # the write fault is fixed with a writable sPTE (mmu_try_to_unsync_pages()): no emulation
    lab = write_lab(unsync=True)
    lab.mmu.guest_write(lab.pt_gpa, 0, 4, page_table_write=False)
    assert actions(lab.mmu.last_trace) == ["unsync"]
    assert len(of_gfn(lab.mmu, PT)) == 2 and lab.mmu.writes_unprotected == 0


def test_the_live_page_directory_is_tracked_again_before_the_re_run():
    # Unprotecting the current PD zaps its four roots, but the vCPU reloads them before
    # the re-run: the gfn is write-tracked again, the store faults again at the same
    # instruction and address, and last_retry_eip/addr makes KVM emulate it this time.
    lab = write_lab()
    mmu = lab.mmu
    mmu.guest_write(lab.pd_gpa + 0x080, 0, 4, page_table_write=False)
    assert actions(mmu.last_trace) == ["unprotect", "emulate"]
    assert [e for e in mmu.last_trace if isinstance(e, PageUnprotected)] == [PageUnprotected(PD, 4)]
    assert of_gfn(mmu, PD) == [(f"L2 q{q}", HPA + (6 + q) * 0x1000) for q in range(4)]
    assert mmu.check() is None and mmu.translate(0x08000000) is None


def test_a_freed_page_directory_is_unprotected_and_cleared():
    # Process 1 exits: the guest clears its user PDE (emulated), CR3 moves to process 2.
    # Process 1's PD keeps its four shadow pages, no longer roots; clear_page()'s rep stos
    # into it zaps all four and the re-run store lands, untrapped.
    lab = write_lab()
    mmu, guest = lab.mmu, lab.guest
    mmu.guest_write(lab.pd_gpa + 0x080, 0, 4)
    other = guest.new_address_space()
    mmu.load_cr3(other)
    old = [sp for sp in mmu.shadow_pages() if sp.gfn == PD]
    assert [(sp.role.describe(), sp.root_count) for sp in old] == [(f"L2 q{q}", 0) for q in range(4)]
    mmu.guest_write(lab.pd_gpa, 0, 4, page_table_write=False)
    assert actions(mmu.last_trace) == ["unprotect", "store"]
    assert not any(isinstance(e, RootsFreed) for e in mmu.last_trace)
    assert of_gfn(mmu, PD) == [] and not any(sp.valid for sp in old)
    for offset in range(4, 0x1000, 4):  # the rest of the rep stos: no trap at all
        mmu.guest_write(lab.pd_gpa + offset, 0, 4, page_table_write=False)
        assert actions(mmu.last_trace) == ["store"]
    assert mmu.check() is None and mmu.writes_unprotected == 1
    # one unprotected store; plain ones: the re-run and the other 1023 of the rep stos, and the
    # builder copying kernel PDE 768 (the lab's one kernel PDE) into the new directory
    stats = mmu.stats()
    assert (stats.writes_unprotected, stats.writes_stored) == (1, 1 + 1023 + 1)
    assert "1 unprotected and re-run" in stats.describe()


def test_page_table_write_must_be_a_bool():
    lab = write_lab()
    with pytest.raises(ValueError, match="page_table_write 'no' must be true or false"):
        lab.mmu.guest_write(lab.pd_gpa, 0, 4, page_table_write="no")
    assert lab.guest.read32(lab.pd_gpa) == 0 and len(of_gfn(lab.mmu, PD)) == 4
