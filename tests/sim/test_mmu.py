"""Worked scenarios for the shadow MMU, each expectation written by hand.

How the numbers were checked:

* Guest(16 MiB) allocates tables upward from gfn 0xE00 (the top eighth of
  4096 frames): the first page directory is 0xE00 (CR3 0x00E00000), the first
  page table 0xE01, and so on (tests/test_guest.py pins this).
* Shadow pages get host addresses 0x1_0000_0000, 0x1_0000_1000, ... in order
  of creation, and load_cr3() creates the four roots q0..q3 first.
* Indices and quadrants come from the golden table in
  /work/shared/reference/kernel-facts.md (sPDE = VA bits 29:21, sPTE = bits
  20:12, PT quadrant = bit 21, PD quadrant = bits 31:30; a gPDE write zaps
  sPDEs 2(k mod 256) and +1 in root k div 256; a gPTE write at byte o hits
  quadrant o div 2048, sPTE (o/4) mod 512).
* sPTE values use the kernel's layout (LINK, LEAF_* below): P=1, W=2, U=4, PS=0x80, frame in
  bits 51:12; a non-leaf entry is hpa | LINK (below). A clean gPTE maps read-only.
"""

from __future__ import annotations

import pytest

from shadowmmu import Guest, GuestPageFault, ShadowMMU
from shadowmmu.sim.events import (
    GuestFaultInjected,
    GuestWalkStep,
    GuestWrite,
    PageSynced,
    PageUnsync,
    QuadrantSkip,
    ShadowPageCreated,
    ShadowPageFound,
    ShadowPageZapped,
    RootObsolete,
    RootsFreed,
    ShadowPageFault,
    ShadowWalkStep,
    SpteInstalled,
    SpteZapped,
    WriteProtect,
)
from shadowmmu.role import PageRole

MIB = 1 << 20
PD = 0xE00  # first page directory gfn
ROOT_HPA = [0x100000000, 0x100001000, 0x100002000, 0x100003000]
FIRST_CHILD_HPA = 0x100004000
# sPTE values derived by hand from the kernel's masks (spte.h / spte.c, Linux 5.13-6.x,
# shadow paging: kvm_mmu_reset_all_pte_masks()), not from shadowmmu.sim.spte:
# P = bit 0, W = 1, U = 2, A = 5, D = 6, host-writable = 9, MMU-writable = 10,
# SPTE_MMU_PRESENT_MASK = 11.
# make_nonleaf_spte(): MMU-present | P | W | U | A
LINK = 0x800 | 0x20 | 0x4 | 0x2 | 0x1  # 0x827
# make_spte(), not a prefetch, user, read-only: MMU-present | host-writable | A | U | P
LEAF_RO = 0x800 | 0x200 | 0x20 | 0x4 | 0x1  # 0xA25
# ... writable: also W | MMU-writable | D
LEAF_RW = LEAF_RO | 0x2 | 0x400 | 0x40  # 0xE67
# spte_write_protect(pt_protect): W and MMU-writable cleared, D kept
LEAF_WP = LEAF_RW & ~(0x2 | 0x400)  # 0xA65


def L(level, quadrant=0, direct=False, access=7):
    return PageRole(level=level, has_4_byte_gpte=True, quadrant=quadrant, direct=direct, access=access)


def setup(*maps, rule="mainline", **kw):
    """A guest with one address space, the given 4 KiB mappings, and an MMU on it."""
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    for va, gpa in maps:
        g.map_4k(cr3, va, gpa)
    mmu = ShadowMMU(g, rule, **kw)
    mmu.load_cr3(cr3)
    return g, cr3, mmu


def page(mmu, gfn, role):
    matches = [sp for sp in mmu.shadow_pages() if sp.gfn == gfn and sp.role == role]
    assert len(matches) == 1, [sp.describe() for sp in mmu.shadow_pages()]
    return matches[0]


def kinds(trace):
    return [type(e).__name__ for e in trace]


# -- roots ---------------------------------------------------------------------------

def test_load_cr3_allocates_four_roots_for_one_gfn():
    g, cr3, mmu = setup()
    assert cr3 == PD << 12
    assert mmu.pae_root == [hpa | 1 for hpa in ROOT_HPA]
    assert [(sp.gfn, sp.role) for sp in mmu.shadow_pages()] == [(PD, L(2, q)) for q in range(4)]
    assert mmu.stats().gfns_write_tracked == 1


# -- the fault path against the golden table -----------------------------------------

@pytest.mark.parametrize("va, pdpte, spde, spte, pt_q", [
    (0x00000000, 0, 0, 0, 0),
    (0x001FF000, 0, 0, 511, 0),
    (0x00200000, 0, 1, 0, 1),
    (0x00400000, 0, 2, 0, 0),
    (0x3FFFF000, 0, 511, 511, 1),
    (0x40000000, 1, 0, 0, 0),
    (0xBFFFF000, 2, 511, 511, 1),
    (0xC0000000, 3, 0, 0, 0),
    (0xC0200000, 3, 1, 0, 1),
    (0xDEADB000, 3, 245, 219, 1),
    (0xFFFFF000, 3, 511, 511, 1),
])
def test_fault_builds_the_path_of_the_golden_table(va, pdpte, spde, spte, pt_q):
    g, cr3, mmu = setup((va, 0x5000))
    assert mmu.translate(va) is None
    assert mmu.access(va | 0x123) == 0x5123
    root = page(mmu, PD, L(2, pdpte))
    child = page(mmu, 0xE01, L(1, pt_q))
    assert root.spt[spde] == FIRST_CHILD_HPA | LINK
    assert child.spt[spte] == 0x5000 | LEAF_RO  # not W: the gPTE is clean
    assert [i for i, e in enumerate(child.spt) if e] == [spte]
    assert mmu.translate(va | 0xABC) == 0x5ABC


def test_trace_of_one_fault():
    # The order of issue 13 point 4: the CPU walks the shadow tables and misses (no KVM
    # code), #PF exits to KVM, FNAME(page_fault) walks the guest tables, and only then
    # FNAME(fetch) walks the shadow tables from the root, creating and installing.
    g, cr3, mmu = setup((0xC0200000, 0x5000))
    mmu.access(0xC0200000)
    t = mmu.last_trace
    assert kinds(t) == ["ShadowWalkStep", "ShadowWalkStep", "ShadowPageFault",
                        "GuestWalkStep", "GuestWalkStep",
                        "ShadowWalkStep", "ShadowWalkStep", "ShadowPageCreated", "SpteInstalled",
                        "ShadowWalkStep", "SpteInstalled"]
    assert t[0] == ShadowWalkStep(3, 3, ROOT_HPA[3] | 1, "cpu")  # VA bits 31:30 = 3
    assert t[1] == ShadowWalkStep(2, 1, 0, "cpu")  # VA bits 29:21 = 1: empty, a miss
    assert t[2] == ShadowPageFault(0xC0200000, 0)  # not present, read, supervisor
    # after the walk, KVM has set A: PDE 0xE01007 -> 0xE01027, PTE 0x5007 -> 0x5027
    assert t[3] == GuestWalkStep(2, PD, 768, 0xE00C00, 0xE01027)
    assert t[4] == GuestWalkStep(1, 0xE01, 512, 0xE01800, 0x5027)
    assert t[5] == ShadowWalkStep(3, 3, ROOT_HPA[3] | 1, "fetch")
    assert t[6] == ShadowWalkStep(2, 1, 0, "fetch")
    assert t[7] == ShadowPageCreated(0xE01, L(1, 1), FIRST_CHILD_HPA)
    assert t[8] == SpteInstalled(PD, L(2, 3), 1, FIRST_CHILD_HPA | LINK, "link")
    assert t[9] == ShadowWalkStep(1, 0, 0, "fetch")  # VA bits 20:12 = 0
    assert t[10] == SpteInstalled(0xE01, L(1, 1), 0, 0x5000 | LEAF_RO, "leaf")
    assert all(e.describe() for e in t)
    assert "CPU" in t[0].describe() and "FNAME(fetch)" in t[5].describe()


def test_error_code_of_a_permission_fault():
    # a present, read-only sPTE refuses a user write: P | W | U = 0b111
    g, cr3, mmu = setup((0x1000, 0x5000))
    mmu.access(0x1000)
    mmu.access(0x1000, write=True, user=True)
    assert ShadowPageFault(0x1000, 0b111) in mmu.last_trace


def test_second_access_is_a_shadow_hit():
    g, cr3, mmu = setup((0x1000, 0x5000))
    mmu.access(0x1000)
    mmu.access(0x1000)
    assert kinds(mmu.last_trace) == ["ShadowWalkStep"] * 3
    assert mmu.faults == 1 and mmu.accesses == 2


def test_dirty_bit_protocol():
    g, cr3, mmu = setup((0x1000, 0x5000))
    pte_gpa = 0xE01000 + 4
    mmu.access(0x1000)
    assert g.read(pte_gpa) == 0x5027  # A set by the fault, D not
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == 0x5000 | LEAF_RO
    mmu.access(0x1000, write=True)  # read-only sPTE: a fault, which sets D
    assert g.read(pte_gpa) == 0x5067
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == 0x5000 | LEAF_RW
    assert mmu.faults == 2


def test_guest_fault_is_injected_and_changes_no_shadow_leaf():
    g, cr3, mmu = setup((0x1000, 0x5000))
    g.write(0xE01000 + 4, 0x5001)  # P only: read-only, supervisor (raw, before any shadow)
    with pytest.raises(GuestPageFault, match="PDE not present") as info:
        mmu.access(0x40000000)
    assert info.value.error_code == 0
    with pytest.raises(GuestPageFault, match="user access to a supervisor page"):
        mmu.access(0x1000, user=True)
    assert mmu.last_trace[-1] == GuestFaultInjected(0x1000, "user access to a supervisor page")
    with pytest.raises(GuestPageFault, match="write to a read-only page"):
        mmu.access(0x1000, write=True)
    assert mmu.guest_faults == 3
    assert list(mmu.leaves()) == []


# -- sharing and CR3 switches ---------------------------------------------------------

def test_address_spaces_share_kernel_shadow_pages():
    g = Guest(16 * MIB)
    a, b = g.new_address_space(), g.new_address_space()  # PDs 0xE00, 0xE01
    g.map_4k(a, 0xC0200000, 0x5000)  # kernel PT 0xE02, linked from both PDs
    mmu = ShadowMMU(g)
    mmu.load_cr3(a)
    mmu.access(0xC0200000)
    mmu.load_cr3(b)
    assert kinds(mmu.last_trace).count("ShadowPageCreated") == 4  # b's four roots
    mmu.access(0xC0200000)
    assert ShadowPageFound(0xE02, L(1, 1), 0x100004000) in mmu.last_trace
    assert "ShadowPageCreated" not in kinds(mmu.last_trace)
    st = mmu.stats()
    assert st.shadow_pages == {(2, 0, False): 2, (2, 1, False): 2, (2, 2, False): 2,
                               (2, 3, False): 2, (1, 1, False): 1}
    mmu.load_cr3(a)  # back again: everything is found in the cache
    assert kinds(mmu.last_trace).count("ShadowPageFound") == 4
    assert "ShadowPageCreated" not in kinds(mmu.last_trace)
    assert mmu.translate(0xC0200000) == 0x5000


# -- guest PD writes: traps, quadrant skips, misalignment, flooding ------------------

def test_pde_write_zaps_two_sptes_in_one_root():
    # golden row 0xDEADBEEF: gPDE 890 at byte 0xDE8 -> root q3, sPDEs 244 and 245
    g, cr3, mmu = setup((0xDE800000, 0x5000), (0xDEA00000, 0x6000))
    mmu.access(0xDE800000)
    mmu.access(0xDEA00000)
    mmu.guest_write(cr3 + 0xDE8, 0)
    t = mmu.last_trace
    assert t[0] == GuestWrite(cr3 + 0xDE8, 4, 0, "emulate")
    assert t[1:4] == tuple(QuadrantSkip(PD, L(2, q), 0xDE8) for q in range(3))
    assert [(e.role.quadrant, e.index) for e in t[4:]] == [(3, 244), (3, 245)]
    assert all(isinstance(e, SpteZapped) and e.reason == "guest write" for e in t[4:])
    assert mmu.translate(0xDE800000) is None and mmu.translate(0xDEA00000) is None
    with pytest.raises(GuestPageFault):
        mmu.access(0xDE800000)


def test_builder_edits_go_through_the_trap():
    g, cr3, mmu = setup((0x00000000, 0x5000))
    mmu.access(0)
    g.unmap(cr3, 0)  # clears the gPTE: the PT goes unsync, the stale sPTE stays
    assert mmu.last_trace[0] == GuestWrite(0xE01000, 4, 0, "unsync")
    assert mmu.translate(0) == 0x5000
    mmu.flush_tlb()
    assert mmu.translate(0) is None
    g.map_4m(cr3, 0x00400000, 0x400000)  # a PDE store: emulated
    assert mmu.last_trace[0].action == "emulate"


def test_eight_byte_store_to_the_pd_zaps_every_root():
    # Issue 13 point 3. The four roots are in use (root_count 1): __kvm_mmu_prepare_zap_page()
    # empties each, marks it invalid and requests KVM_REQ_MMU_FREE_OBSOLETE_ROOTS; as the
    # emulated store returns to the guest, kvm_mmu_free_obsolete_roots() frees all four
    # (pae_root has no shadow page: is_obsolete_root() says yes) and kvm_mmu_reload() ->
    # mmu_alloc_shadow_roots() makes four new ones. Expected hpas: roots 0x100000000..
    # 0x100003000, the L1 page 0x100004000, so the new roots are 0x100005000..0x100008000.
    g, cr3, mmu = setup((0x1000, 0x5000))
    mmu.access(0x1000)
    old = [page(mmu, PD, L(2, q)) for q in range(4)]
    mmu.guest_write(cr3 + 0x10, 0, size=8)  # misaligned for 4-byte gPTEs (trap 11)
    t = mmu.last_trace
    zapped = [e for e in t if isinstance(e, ShadowPageZapped)]
    assert [(e.role.quadrant, e.reason) for e in zapped] == [(q, "misaligned write") for q in range(4)]
    assert [e for e in t if isinstance(e, RootObsolete)] == [RootObsolete(PD, L(2, q)) for q in range(4)]
    assert RootsFreed(4, 4) in t
    assert kinds(t).index("RootsFreed") > max(i for i, k in enumerate(kinds(t)) if k == "ShadowPageZapped")
    assert kinds(t)[-1] == "RootsLoaded" and kinds(t).count("ShadowPageCreated") == 4
    # never "(none left)": the vCPU has four roots again before the guest runs on
    assert mmu.pae_root == [0x100005001, 0x100006001, 0x100007001, 0x100008001]
    assert all(not sp.valid and sp.root_count == 0 and sp.hpa not in mmu.cache.by_hpa for sp in old)
    assert mmu.translate(0x1000) is None  # the new roots are empty
    assert mmu.access(0x1000) == 0x5000
    assert kinds(mmu.last_trace).count("ShadowPageFound") == 1  # the L1 page, relinked


def test_a_two_byte_pd_store_reloads_four_roots_and_keeps_the_child():
    # 2 bytes at gPDE 768 are misaligned (trap 11): the four roots, all in use, are zapped
    # and reloaded; the L1 page for 0xC0000000 (bit 21 = 0: quadrant 0) is unlinked, kept
    g, cr3, mmu = setup((0xC0000000, 0x5000))
    mmu.access(0xC0000000)
    mmu.guest_write(cr3 + 0xC01, 0, size=2)
    assert RootsFreed(4, 4) in mmu.last_trace
    pages = mmu.shadow_pages()
    assert [(sp.role.level, sp.role.quadrant) for sp in pages] == [(2, 0), (2, 1), (2, 2), (2, 3), (1, 0)]
    assert [sp.root_count for sp in pages] == [1, 1, 1, 1, 0] and not pages[4].parent_ptes


def test_zapping_a_page_directory_zaps_its_unsync_children_first():
    # __kvm_mmu_prepare_zap_page() -> mmu_zap_unsync_children() (Linux 6.x): an unsync page
    # must not outlive the directory it hangs from, since no flush could reach it any more
    g, cr3, mmu = setup((0x08000000, 0x5000))  # gPDE 32 -> PT 0xE01; root q0, sPDE 64
    mmu.access(0x08000000)
    mmu.guest_write(0xE01000, 0x6067)  # gPTE 0: the PT goes unsync
    assert page(mmu, 0xE01, L(1, 0)).unsync
    mmu.guest_write(cr3 + 4 * 5, 0, size=8)  # 8 bytes into the PD: misaligned, all roots go
    zapped = [(e.gfn, e.role, e.reason) for e in mmu.last_trace if isinstance(e, ShadowPageZapped)]
    assert zapped == [(0xE01, L(1, 0), "unsync child of a zapped page")] + [
        (PD, L(2, q), "misaligned write") for q in range(4)]
    # the four zapped roots were in use: the return to the guest reloads four new, empty
    # ones (RootsFreed, then mmu_alloc_shadow_roots()); the unsync child is gone
    assert [(sp.gfn, sp.role) for sp in mmu.shadow_pages()] == [(PD, L(2, q)) for q in range(4)]
    assert all(not any(sp.spt) for sp in mmu.shadow_pages()) and mmu.stats().unsync_pages == 0
    assert mmu.stats().gfns_write_protected == 1  # the PD again, write-tracked by the new roots
    assert mmu.access(0x08000000) == 0x6000  # rebuilt from the guest's current tables


def test_aligned_one_byte_pde_write_is_handled_per_entry():
    g, cr3, mmu = setup((0xC0000000, 0x5000))
    mmu.access(0xC0000000)
    mmu.guest_write(cr3 + 0xC00, 0, size=1)  # low byte of gPDE 768: clears P
    assert [type(e).__name__ for e in mmu.last_trace].count("QuadrantSkip") == 3
    assert [(e.role.quadrant, e.index) for e in mmu.last_trace if isinstance(e, SpteZapped)] == [(3, 0)]
    mmu.guest_write(cr3 + 0xC01, 0, size=2)  # two bytes: misaligned
    assert kinds(mmu.last_trace).count("ShadowPageZapped") == 4


def test_write_flooding_zaps_roots_nobody_faulted_through():
    g, cr3, mmu = setup((0x1000, 0x5000))
    mmu.guest_write(cr3 + 0x100, 0)  # count 1 on all four roots (checked before the quadrant)
    mmu.guest_write(cr3 + 0x104, 0)  # count 2
    assert mmu.pages_zapped == 0
    mmu.access(0x1000)  # a fault walks through root q0: its count is cleared
    mmu.guest_write(cr3 + 0x108, 0)  # q1..q3 reach 3, q0 only 1
    zapped = [(e.role.quadrant, e.reason) for e in mmu.last_trace if isinstance(e, ShadowPageZapped)]
    assert zapped == [(1, "write flooding"), (2, "write flooding"), (3, "write flooding")]
    assert mmu.translate(0x1000) == 0x5000


# -- guest PT writes: unsync and resync, or kept protected ---------------------------

@pytest.mark.parametrize("flush", ["invlpg", "flush_tlb", "load_cr3"])
def test_pte_write_goes_unsync_and_flushes_resync(flush):
    g, cr3, mmu = setup((0xC0200000, 0x5000))
    mmu.access(0xC0200000)
    mmu.guest_write(0xE01800, 0x7007)  # gPTE 512: a new frame
    assert mmu.last_trace == (GuestWrite(0xE01800, 4, 0x7007, "unsync"), PageUnsync(0xE01, L(1, 1)))
    # until the guest flushes, the old translation may be used, as from a TLB
    assert mmu.translate(0xC0200000) == 0x5000
    assert mmu.check(sync=False).describe() == (
        "VA 0xc0200000: shadow -> 0x5000, guest -> 0x7000 (shadow maps another frame)")
    mmu.guest_write(0xE01804, 0x8007)  # the PT is writable now: a plain store
    assert mmu.last_trace == (GuestWrite(0xE01804, 4, 0x8007, "store"),)
    if flush == "invlpg":
        mmu.invlpg(0xC0200000)
    elif flush == "flush_tlb":
        mmu.flush_tlb()
    else:
        mmu.load_cr3(cr3)
    assert any(isinstance(e, PageSynced) and e.zapped == 1 for e in mmu.last_trace)
    assert mmu.translate(0xC0200000) is None
    assert mmu.access(0xC0200000) == 0x7000
    assert mmu.check(sync=False) is None


@pytest.mark.parametrize("sync", ["flush_tlb", "load_cr3"])
def test_after_a_resync_the_next_pte_store_traps_and_unsyncs_again(sync):
    # Issue 20 point 2: a page table does not stop trapping for good. kvm_mmu_sync_roots()
    # (CR3 load, guest TLB flush) -> mmu_sync_children() write-protects each unsync page's
    # gfn again and clears unsync (mmu.c at 56ea38e436ea, v6.10), so the next store faults
    # and unsyncs the page table once more.
    g, cr3, mmu = setup((0xC0200000, 0x5000))
    mmu.access(0xC0200000)
    mmu.guest_write(0xE01800, 0x7007)
    assert mmu.last_trace == (GuestWrite(0xE01800, 4, 0x7007, "unsync"), PageUnsync(0xE01, L(1, 1)))
    mmu.guest_write(0xE01804, 0x8007)
    assert mmu.last_trace == (GuestWrite(0xE01804, 4, 0x8007, "store"),)  # unsync: lands untrapped
    mmu.flush_tlb() if sync == "flush_tlb" else mmu.load_cr3(cr3)
    assert mmu.stats().unsync_pages == 0
    assert not page(mmu, 0xE01, L(1, 1)).unsync
    mmu.guest_write(0xE01808, 0x9007)  # protected again: it traps, and unsyncs again
    assert mmu.last_trace == (GuestWrite(0xE01808, 4, 0x9007, "unsync"), PageUnsync(0xE01, L(1, 1)))
    assert mmu.stats().unsync_pages == 1


def test_invlpg_syncs_only_its_own_entry():
    g, cr3, mmu = setup((0x0000, 0x5000), (0x1000, 0x6000))
    mmu.access(0x0000)
    mmu.access(0x1000)
    mmu.guest_write(0xE01000, 0x7007)
    mmu.guest_write(0xE01004, 0x8007)
    mmu.invlpg(0x0000)
    assert mmu.translate(0x0000) is None
    assert mmu.translate(0x1000) == 0x6000  # still stale: the guest has not flushed it
    assert mmu.stats().unsync_pages == 1
    mmu.flush_tlb()
    assert mmu.translate(0x1000) is None and mmu.stats().unsync_pages == 0


def test_cr3_load_syncs_only_reachable_pages():
    g = Guest(16 * MIB)
    a, b = g.new_address_space(), g.new_address_space()
    g.map_4k(a, 0x1000, 0x5000)  # user PT 0xE02, only in a
    mmu = ShadowMMU(g)
    mmu.load_cr3(a)
    mmu.access(0x1000)
    mmu.guest_write(0xE02004, 0x6007)
    mmu.load_cr3(b)
    assert mmu.stats().unsync_pages == 1  # not reachable from b
    mmu.load_cr3(a)
    assert mmu.stats().unsync_pages == 0
    assert mmu.access(0x1000) == 0x6000


def test_finding_an_unsync_page_resyncs_it_but_leaves_it_unsync():
    # kvm_mmu_find_shadow_page() -> kvm_sync_page() (Linux 6.x): the changed sPTE goes, but
    # the page keeps its unsync mark and its frame is not write-protected again
    g, cr3, mmu = setup((0x1000, 0x5000))
    g.map_4k(cr3, 0x2000, 0xE01000, dirty=True)  # gPTE 2: the guest's own mapping of its PT
    mmu.access(0x1000)
    mmu.store(0x2004, 0x6007)  # write fault: PT unsync, sPTE 2 writable; the store lands
    assert [e.action for e in mmu.last_trace if isinstance(e, GuestWrite)] == ["store"]
    mmu.guest_write(cr3 + 4, 0xE01007)  # gPDE 1 -> the same PT (emulated: the PD is tracked)
    mmu.access(0x00401000)  # sPDE 2 of root q0 reaches (0xE01, L1 q0) through the hash
    t = mmu.last_trace
    synced = PageSynced(0xE01, L(1, 0), 1, True, still_unsync=True)
    assert SpteZapped(0xE01, L(1, 0), 1, 0x5000 | LEAF_RO, "gPTE changed while unsync") in t
    assert t.index(synced) < t.index(ShadowPageFound(0xE01, L(1, 0), FIRST_CHILD_HPA))
    assert not any(isinstance(e, WriteProtect) for e in t)
    sp = page(mmu, 0xE01, L(1, 0))
    assert sp.unsync and mmu.stats().unsync_pages == 1
    assert sp.spt[2] == 0xE01000 | LEAF_RW  # still writable: the PT frame stays writable
    # the stale sPTE 1 was dropped, then rebuilt for 0x00401000 from the new gPTE;
    # VA 0x1000 shares it (same gPTE 1 of the same PT), so it sees the new frame too
    assert mmu.translate(0x1000) == 0x6000 and mmu.check(sync=False) is None
    faults = mmu.faults
    mmu.store(0x200C, 0x7007)  # a second store to the PT (gPTE 3): no fault, a plain store
    assert mmu.faults == faults
    assert [e.action for e in mmu.last_trace if isinstance(e, GuestWrite)] == ["store"]
    mmu.flush_tlb()  # the guest's flush: mmu_sync_children() write-protects and syncs
    assert WriteProtect(0xE01, 1) in mmu.last_trace
    assert PageSynced(0xE01, L(1, 0), 0, True) in mmu.last_trace
    assert not sp.unsync and sp.spt[2] == 0xE01000 | LEAF_WP


def test_an_unsync_page_found_from_another_address_space_stays_unsync():
    # a kernel PT shared by two address spaces: the first fault in B finds its unsync
    # shadow page in the hash; KVM's next store to the PT through the kernel's writable
    # mapping of it is then a plain store, not a second write fault
    g = Guest(16 * MIB)
    a, b = g.new_address_space(), g.new_address_space()  # PDs 0xE00 and 0xE01
    g.map_4k(a, 0xC0000000, 0x5000, dirty=True, accessed=True)  # kernel PT 0xE02, in both
    g.map_4k(a, 0xC0001000, 0xE02000, dirty=True, accessed=True)  # gPTE 1 maps that PT
    mmu = ShadowMMU(g)
    mmu.load_cr3(a)
    mmu.access(0xC0000000)
    mmu.store(0xC0001008, 0x7067)  # write fault: PT 0xE02 unsync, its sPTE 1 writable
    sp = page(mmu, 0xE02, L(1, 0))  # VA bit 21 = 0: quadrant 0
    assert sp.unsync
    mmu.load_cr3(b)  # b's new roots reach nothing yet: nothing to sync
    assert sp.unsync
    mmu.access(0xC0000000)  # b's first kernel fault: (0xE02, L1 q0) found in the hash
    t = mmu.last_trace
    assert [type(e).__name__ for e in t if isinstance(e, (PageSynced, WriteProtect, ShadowPageFound))] == [
        "PageSynced", "ShadowPageFound"]
    assert PageSynced(0xE02, L(1, 0), 0, True, still_unsync=True) in t
    assert sp.unsync and mmu.stats().unsync_pages == 1
    faults, unsynced = mmu.faults, mmu.writes_unsync
    mmu.store(0xC000100C, 0x8067)  # the same writable sPTE: no fault
    assert mmu.faults == faults and mmu.writes_unsync == unsynced
    assert [e.action for e in mmu.last_trace if isinstance(e, GuestWrite)] == ["store"]
    assert mmu.check() is None


def test_kept_protected_pte_write_is_emulated_with_a_quadrant_skip():
    # golden row 0x00200000: a gPTE write at byte 0x800 -> (PT quadrant 1, sPTE 0)
    g, cr3, mmu = setup((0x00000000, 0x1000), (0x00200000, 0x2000), unsync=False)
    mmu.access(0x00000000)
    mmu.access(0x00200000)
    mmu.guest_write(0xE01800, 0x3007)
    assert mmu.last_trace == (
        GuestWrite(0xE01800, 4, 0x3007, "emulate"),
        QuadrantSkip(0xE01, L(1, 0), 0x800),
        SpteZapped(0xE01, L(1, 1), 0, 0x2000 | LEAF_RO, "guest write"),
    )
    assert mmu.translate(0x00200000) is None  # no flush needed
    assert mmu.translate(0x00000000) == 0x1000
    assert mmu.stats().unsync_pages == 0 and mmu.quadrant_skips == 1


def test_level1_pages_never_flood():
    g, cr3, mmu = setup((0x0000, 0x1000), unsync=False)
    mmu.access(0)
    for i in range(10):
        mmu.guest_write(0xE01000 + 4 * (i + 1), 0)
    assert mmu.pages_zapped == 0


# -- write protection of table frames ------------------------------------------------

def test_a_frame_becoming_a_table_loses_its_writable_mappings():
    g, cr3, mmu = setup((0x1000, 0xE02000), keep_trace=True)  # VA 0x1000: the next PT's frame
    mmu.access(0x1000, write=True)
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == 0xE02000 | LEAF_RW
    g.map_4k(cr3, 0x00400000, 0x5000)  # allocates PT 0xE02
    mmu.access(0x00400000)
    assert WriteProtect(0xE02, 1) in mmu.last_trace
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == 0xE02000 | LEAF_WP
    # a guest store through that VA write-faults and unsyncs the PT, as KVM does
    mmu.store(0x1000 + 4, 0x6007)
    assert PageUnsync(0xE02, L(1, 0)) in mmu.trace_log
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == 0xE02000 | LEAF_RW
    assert page(mmu, 0xE02, L(1, 0)).unsync


def test_a_write_to_the_pd_through_a_va_stays_read_only():
    g, cr3, mmu = setup((0x1000, PD << 12))  # VA 0x1000 maps the page directory itself
    assert mmu.access(0x1000, write=True) == PD << 12
    assert page(mmu, 0xE01, L(1, 0)).spt[1] == (PD << 12) | LEAF_RO  # W withheld: write-tracked
    mmu.store(0x1000 + 4, 0)  # so the store is emulated
    assert mmu.last_trace[0] == GuestWrite(cr3 + 4, 4, 0, "emulate")


# -- guest 4 MiB pages ---------------------------------------------------------------

def test_pse_page_with_host_large_pages_becomes_two_2m_leaves():
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0xC0000000, 0x400000)
    mmu = ShadowMMU(g)
    mmu.load_cr3(cr3)
    mmu.access(0xC0000000)
    mmu.access(0xC0200000)
    root = page(mmu, PD, L(2, 3))
    assert root.spt[0] == 0x400000 | LEAF_RO | 0x80 and root.spt[1] == 0x600000 | LEAF_RO | 0x80  # PS = bit 7
    assert [sp.role.level for sp in mmu.shadow_pages()] == [2, 2, 2, 2]  # no children
    assert mmu.translate(0xC03FFFFF) == 0x7FFFFF
    assert mmu.stats().large_sptes == 2


def test_pse_page_without_host_large_pages_gets_lazy_direct_halves():
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0xC0000000, 0x400000)
    mmu = ShadowMMU(g, host_large_pages=False)
    mmu.load_cr3(cr3)
    mmu.access(0xC0000000)
    # only the half touched; has_4_byte_gpte kept (trap 13); access 5 = X|U: a read fault
    # through a clean PDE, so FNAME(protect_clean_gpte) took W out of the walker's pte_access
    assert [(sp.gfn, sp.role) for sp in mmu.shadow_pages() if sp.role.level == 1] == [
        (0x400, L(1, 0, direct=True, access=5))]
    mmu.access(0xC0300000)  # VA bit 21 = 1: the upper half, gfn 0x600, quadrant 1
    direct = page(mmu, 0x600, L(1, 1, direct=True, access=5))
    assert direct.spt[0x100] == 0x700000 | LEAF_RO
    assert mmu.stats().gfns_write_protected == 1  # only the PD: direct pages protect nothing


def test_a_write_to_a_clean_pse_page_replaces_its_read_only_direct_child():
    # direct_access = the walker's pte_access (FNAME(fetch), Linux 6.x). Read fault, PDE
    # clean: W stripped, child access X|U = 5. Write fault: D set, access X|W|U = 7, a
    # different role, so validate_direct_spte() drops the link and a new child is made.
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0x00400000, 0x800000)  # gPDE 1, writable, user, D=0
    mmu = ShadowMMU(g, host_large_pages=False)
    mmu.load_cr3(cr3)
    mmu.access(0x00400000)  # sPDE 2 of root q0 (VA bits 29:21 = 2), gfn 0x800, bit 21 = 0
    root = page(mmu, PD, L(2, 0))
    ro = page(mmu, 0x800, L(1, 0, direct=True, access=5))
    assert ro.hpa == FIRST_CHILD_HPA and root.spt[2] == FIRST_CHILD_HPA | LINK
    assert ro.spt[0] == 0x800000 | LEAF_RO  # read-only leaf
    assert mmu.access(0x00400000, write=True) == 0x800000
    assert g.read32(PD << 12 | 4) & 0x40  # the fault set D in the guest PDE
    rw = page(mmu, 0x800, L(1, 0, direct=True, access=7))
    assert rw.hpa == FIRST_CHILD_HPA + 0x1000 and root.spt[2] == rw.hpa | LINK
    assert rw.spt[0] == 0x800000 | LEAF_RW
    assert SpteZapped(PD, L(2, 0), 2, FIRST_CHILD_HPA | LINK, "direct child with other access") in mmu.last_trace
    assert not ro.parent_ptes  # the read-only child is unlinked, left in the cache
    assert mmu.access(0x00410000) == 0x810000  # later reads use the new child: D is set now
    assert [sp.role.access for sp in mmu.shadow_pages() if sp.role.direct] == [5, 7]
    assert mmu.check() is None


def test_pse_page_over_a_shadowed_table_falls_back_to_4k():
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0xC0C00000, 0xC00000)  # frames 0xC00..0xFFF, including the PD 0xE00
    mmu = ShadowMMU(g)
    mmu.load_cr3(cr3)
    mmu.access(0xC0C00000)  # lower half 0xC00..0xDFF: no table inside, a 2 MiB leaf
    mmu.access(0xC0E00000, write=True)  # upper half holds the PD: disallow_lpage
    root = page(mmu, PD, L(2, 3))
    assert root.spt[6] & 0x80  # sPDE 6 = bits 29:21 of 0xC0C00000 (0x606 & 0x1FF)
    direct = page(mmu, 0xE00, L(1, 1, direct=True))
    assert direct.spt[0] == 0xE00000 | LEAF_RO  # the PD frame, never writable


def test_a_new_table_inside_a_2m_leaf_zaps_the_leaf():
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0x00C00000, 0xC00000)  # VA 0x00C00000.. = frames 0xC00..0xFFF
    mmu = ShadowMMU(g)
    mmu.load_cr3(cr3)
    mmu.access(0x00C00000)
    assert page(mmu, PD, L(2, 0)).spt[6] & 0x80  # a 2 MiB leaf over 0xC00..0xDFF
    g.write(0xE00000 + 4 * 9, 0xD00007)  # raw: gPDE 9 -> a page table at 0xD00 (inside the leaf)
    g.write(0xD00000, 0x5007)
    mmu.access(0x02400000)  # gPDE 9: shadowing PT 0xD00 disallows the 2 MiB leaf over it
    assert page(mmu, PD, L(2, 0)).spt[6] == 0
    assert mmu.access(0x00C00000) == 0xC00000
    assert page(mmu, PD, L(2, 0)).spt[6] & 0x80 == 0  # now a direct level-1 page


# -- role.access: CVE-2021-38198 -----------------------------------------------------

def test_different_pde_permissions_give_different_shadow_pages():
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4k(cr3, 0x0, 0x5000)  # PT 0xE01 behind gPDE 0 (P|W|U)
    g.write(cr3 + 4, 0xE01003)  # gPDE 1 -> the same PT, supervisor only (P|W)
    mmu = ShadowMMU(g)
    mmu.load_cr3(cr3)
    mmu.access(0x0, user=True)
    mmu.access(0x400000)
    assert {sp.role.access for sp in mmu.shadow_pages() if sp.role.level == 1} == {7, 3}
    with pytest.raises(GuestPageFault, match="user access to a supervisor page"):
        mmu.access(0x400000, user=True)


# -- the special-root rules ----------------------------------------------------------

def test_special_rules_allocate_page_directories_on_demand():
    g, cr3, mmu = setup((0xC0200000, 0x5000), rule="lai")
    assert [sp.role for sp in mmu.shadow_pages()] == [PageRole(level=3, has_4_byte_gpte=True)]
    mmu.access(0xC0200000)
    assert mmu.stats().shadow_pages == {(3, 0, False): 1, (2, 3, False): 1, (1, 1, False): 1}
    g2, _, mainline = setup((0xC0200000, 0x5000))
    mainline.access(0xC0200000)
    assert mainline.stats().shadow_pages == {(2, q, False): 1 for q in range(4)} | {(1, 1, False): 1}
    assert list(mmu.leaves()) == list(mainline.leaves())


# -- checks, statistics, input -------------------------------------------------------

def test_check_catches_a_write_that_bypassed_the_trap():
    g, cr3, mmu = setup((0x1000, 0x5000))
    mmu.access(0x1000)
    g.write(0xE01004, 0x6007)  # a raw write: nobody is told (not a guest store)
    assert mmu.check(sync=True).describe() == (
        "VA 0x00001000: shadow -> 0x5000, guest -> 0x6000 (shadow maps another frame)")
    mmu2 = ShadowMMU(g)
    mmu2.load_cr3(cr3)
    g.write(0xE01004, 0x5007)
    mmu2.access(0x1000, write=True)
    g.write(0xE01004, 0x5005)
    assert mmu2.check().reason == "shadow allows a write the guest forbids"


def test_check_one_address():
    g, cr3, mmu = setup((0x1000, 0x5000), (0x2000, 0x6000))
    mmu.access(0x1000)
    mmu.access(0x2000)
    g.write(0xE01008, 0x7007)
    assert mmu.check(0x1000) is None
    assert mmu.check(0x2abc).va == 0x2000


def test_stats_memory():
    g, cr3, mmu = setup((0x1000, 0x5000), (0xC0000000, 0x6000))
    mmu.access(0x1000)
    mmu.access(0xC0000000)
    st = mmu.stats()
    assert st.shadow_bytes == 6 * 4096  # four roots and two level-1 pages
    assert st.guest_table_bytes == 3 * 4096  # one PD and two PTs
    assert (st.sptes_present, st.leaf_sptes, st.gfns_write_protected) == (4, 2, 3)
    assert "6 (" in st.describe()


def test_two_mmus_on_one_guest_both_see_stores():
    g, cr3, first = setup((0x1000, 0x5000))
    second = ShadowMMU(g, "legacy")
    second.load_cr3(cr3)
    first.access(0x1000)
    second.access(0x1000)
    g.unmap(cr3, 0x1000)
    first.flush_tlb()
    second.flush_tlb()
    assert first.translate(0x1000) is None and second.translate(0x1000) is None


def test_keep_trace_collects_every_call():
    g, cr3, mmu = setup((0x1000, 0x5000), keep_trace=True)
    mmu.access(0x1000)
    mmu.invlpg(0x1000)
    # load_cr3: four roots created, RootsLoaded, TlbFlush; the fault: 11 events
    # (see test_trace_of_one_fault); invlpg of a sync page: one TlbFlush
    assert len(mmu.trace_log) == 6 + 11 + 1
    quiet = ShadowMMU(g, trace=False)
    quiet.load_cr3(cr3)
    quiet.access(0x1000)
    assert quiet.last_trace == ()


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.access(1 << 32), ValueError, "not a 32-bit guest virtual address"),
    (lambda m: m.guest_write(0x1000, 0, size=3), ValueError, "size 3 must be one of 1, 2, 4, 8"),
    (lambda m: m.guest_write(16 * MIB, 0), ValueError, "outside guest memory"),
    (lambda m: m.load_cr3(32 * MIB), ValueError, "outside guest memory"),
    (lambda m: m.invlpg(-4), ValueError, "not a 32-bit guest virtual address"),
])
def test_bad_input(call, error, message):
    g, cr3, mmu = setup((0x1000, 0x5000))
    with pytest.raises(error, match=message):
        call(mmu)


def test_unknown_rule_and_missing_cr3():
    g = Guest(16 * MIB)
    with pytest.raises(ValueError, match="unknown quadrant rule 'middle'; choose one of"):
        ShadowMMU(g, "middle")
    with pytest.raises(RuntimeError, match="load_cr3"):
        ShadowMMU(g).access(0)
