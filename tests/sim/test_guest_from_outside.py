"""Guest page tables no builder would write, loaded with Guest.from_pages():

a page directory that maps itself (32-bit Windows puts its self-map at PDE
0x300, so the page tables appear at 0xC0000000), one page table linked from
many PDEs, page tables that are also data pages mapped writable, PDEs and
PTEs pointing outside guest memory, and every combination of the flags a
walk reads. Each works as the CPU and KVM would, or is refused with a
message; after every step the shadow MMU must agree with the guest walk
(ShadowMMU.check() is None).

The expected values are worked out by hand in the comments, or come from
``sdm_walk()`` below: the SDM's 32-bit paging rules with CR0.WP = 1 and
CR4.PSE = 1, in the order KVM's FNAME(walk_addr_generic) applies them (P,
then reserved bits, then permissions), written here from the rules and
sharing no code with the package.
"""

from __future__ import annotations

import itertools

import pytest

from shadowmmu import Guest, GuestPageFault, ShadowMMU

CR4_PSE = 1 << 4
PD = 0x10  # the page directory's frame
CR3 = PD << 12
P, W, U, PWT, PCD, A, D, PS, G = (1 << b for b in (0, 1, 2, 3, 4, 5, 6, 7, 8))


def page(entries: dict[int, int]) -> bytes:
    out = bytearray(4096)
    for index, value in entries.items():
        out[4 * index:4 * index + 4] = value.to_bytes(4, "little")
    return bytes(out)


def sdm_walk(pde: int, pte: int, va: int, write: bool, user: bool) -> int | tuple[str, int]:
    """The gpa for va, or ("#PF", error code), given the PDE and PTE it meets."""
    access = write << 1 | user << 2
    if not pde & P:
        return ("#PF", access)
    if pde & PS:
        if pde & 0x003E_0000:  # bits 21:17 reserved (PSE-36, 36 physical bits)
            return ("#PF", 0b1001 | access)
        rights = pde
        gpa = pde & 0xFFC0_0000 | (pde >> 13 & 0xF) << 32 | va & 0x3F_FFFF
    else:
        if not pte & P:
            return ("#PF", access)
        rights = pde & pte
        gpa = pte & 0xFFFF_F000 | va & 0xFFF
    if (user and not rights & U) or (write and not rights & W):
        return ("#PF", 0b0001 | access)
    return gpa


def outcome(fn, *args, **kw) -> int | tuple[str, int]:
    try:
        return fn(*args, **kw)
    except GuestPageFault as err:
        return ("#PF", err.error_code)


def mmu_for(guest: Guest, **kw) -> ShadowMMU:
    mmu = ShadowMMU(guest, **kw)
    mmu.load_cr3(CR3)
    return mmu


# --- a self-mapped page directory ------------------------------------------------------------


@pytest.mark.parametrize("unsync", [True, False])
def test_a_self_mapped_page_directory(unsync):
    # PDE 0x300 -> the PD itself (P W, supervisor); PDE 1 -> a page table at frame
    # 0x20 whose PTE 5 maps frame 0x555 (P W U).
    pd = page({0x300: CR3 | P | W, 1: 0x20000 | P | W | U})
    guest = Guest.from_pages({PD: pd, 0x20: page({5: 0x555000 | P | W | U})}, cr3=CR3,
                             cr4=CR4_PSE, mem_size=16 << 20)
    mmu = mmu_for(guest, unsync=unsync)
    # 0xC0000000 + (i << 12) shows the table of PDE i, so 0xC0001000 is PT 0x20 and
    # 0xC0300000 (i = 0x300) is the PD; byte 0xC00 of it is PDE 0x300 itself.
    assert mmu.access(0xC0001014) == 0x20014
    assert mmu.access(0xC0300C00) == 0x10C00
    assert mmu.access(0x00405ABC, user=True) == 0x555ABC
    assert mmu.check() is None
    # The PD frame is now also shadowed as a page table (through PDE 0x300), but it
    # is write-tracked as a PD: a store through the self-map is emulated, and it
    # zaps the sPTEs of PDE 1, so the next access walks the new PDE.
    assert mmu.access(0xC0300004, write=True) == 0x10004
    mmu.store(0xC0300004, 0x30000 | P | W | U)  # PDE 1 -> page table at frame 0x30
    guest.write(0x30014, 0x777000 | P | W | U)  # its PTE 5 (a hypervisor write: no trap)
    assert mmu.check() is None
    mmu.flush_tlb()
    assert mmu.access(0x00405ABC, user=True) == 0x777ABC
    assert mmu.check() is None


# --- one page table behind many PDEs --------------------------------------------------------


def test_one_page_table_linked_from_many_pdes():
    # PDEs 0, 1, 2 and 0x300 all point at the table at frame 0x20; its PTE 5 maps 0x555.
    table_pde = 0x20000 | P | W | U
    guest = Guest.from_pages({PD: page({0: table_pde, 1: table_pde, 2: table_pde, 0x300: table_pde}),
                              0x20: page({5: 0x555000 | P | W | U})}, cr3=CR3, cr4=CR4_PSE,
                             mem_size=16 << 20)
    mmu = mmu_for(guest)
    vas = [k << 22 | 5 << 12 | 0x123 for k in (0, 1, 2, 0x300)]
    assert [mmu.access(va) for va in vas] == [0x555123] * 4
    # VA bit 21 is 0 for PTE 5 in every case, and the four PDEs have the same
    # rights: one level-1 shadow page (gfn 0x20, quadrant 0) serves them all.
    level1 = [sp for sp in mmu.shadow_pages() if sp.role.level == 1]
    assert [(sp.gfn, sp.role.quadrant) for sp in level1] == [(0x20, 0)]
    mmu.guest_write(0x20014, 0x666000 | P | W | U)  # the guest rewrites PTE 5
    mmu.flush_tlb()
    assert [mmu.access(va) for va in vas] == [0x666123] * 4
    assert mmu.check() is None


# --- page tables that are also data pages ---------------------------------------------------


@pytest.mark.parametrize("unsync", [True, False])
def test_a_page_table_that_maps_itself_writable(unsync):
    # PDE 0 -> table at frame 0x20; its PTE 0 maps VA 0 to frame 0x20 itself (P W D),
    # PTE 1 maps VA 0x1000 to frame 0x555.
    guest = Guest.from_pages({PD: page({0: 0x20000 | P | W | U}),
                              0x20: page({0: 0x20000 | P | W | D, 1: 0x555000 | P | W})},
                             cr3=CR3, cr4=CR4_PSE, mem_size=16 << 20)
    mmu = mmu_for(guest, unsync=unsync)
    assert mmu.access(0x1000) == 0x555000
    # Through VA 0 the guest writes its own PTE 1 (byte 4 of the table): -> frame 0x666.
    assert mmu.store(0x0004, 0x666000 | P | W) == 0x20004
    mmu.flush_tlb()
    assert mmu.access(0x1000) == 0x666000
    assert mmu.check() is None


def test_a_4mib_page_over_a_page_table():
    # PDE 1 maps a writable 4 MiB page at gpa 0 that covers the table at frame 0x20.
    guest = Guest.from_pages({PD: page({0: 0x20000 | P | W, 1: 0 | PS | D | P | W}),
                              0x20: page({1: 0x555000 | P | W})}, cr3=CR3, cr4=CR4_PSE,
                             mem_size=16 << 20)
    mmu = mmu_for(guest)
    assert mmu.access(0x1000) == 0x555000  # shadows the table at frame 0x20
    # Writing the table through the 4 MiB page at VA 0x00400000 + 0x20000 + 4 (PTE 1):
    assert mmu.store(0x00420004, 0x666000 | P | W) == 0x20004
    mmu.flush_tlb()
    assert mmu.access(0x1000) == 0x666000
    assert mmu.check() is None


# --- entries pointing outside guest memory ---------------------------------------------------


def test_a_pde_pointing_outside_guest_memory():
    # 16 MiB of memory (frames 0..0xFFF); PDE 0 names a table at 0x7FFF0000.
    guest = Guest.from_pages({PD: page({0: 0x7FFF_0000 | P | W | U})}, cr3=CR3, cr4=CR4_PSE,
                             mem_size=16 << 20)
    with pytest.raises(GuestPageFault) as info:
        guest.walk(CR3, 0x1234, write=True)
    assert info.value.error_code == 0b010  # not present, write, supervisor
    assert info.value.reason == ("PDE 0x7fff0007 points at a page table at gpa 0x7fff0000, "
                                 "outside guest memory (0..0xffffff)")
    mmu = mmu_for(guest)
    with pytest.raises(GuestPageFault, match="outside guest memory"):
        mmu.access(0x1234)
    assert mmu.check() is None


def test_a_leaf_pointing_outside_guest_memory():
    # The CPU would send the access to the bus; KVM, finding no memslot, would
    # emulate it as MMIO. The walk returns the gpa; the shadow MMU refuses.
    guest = Guest.from_pages({PD: page({0: 0x20000 | P | W}), 0x20: page({1: 0x7FFF_0000 | P | W})},
                             cr3=CR3, cr4=CR4_PSE, mem_size=16 << 20)
    assert guest.walk(CR3, 0x1234).gpa == 0x7FFF_0234
    mmu = mmu_for(guest)
    with pytest.raises(ValueError, match=r"va 0x00001234 maps to gpa 0x7fff0234, outside guest "
                                         r"memory \(0\.\.0xffffff\): KVM would emulate it as MMIO"):
        mmu.access(0x1234)
    assert mmu.translate(0x1234) is None
    assert mmu.check() is None


def test_a_cr3_outside_guest_memory_is_refused():
    with pytest.raises(ValueError, match="cr3 0x7fff0000 points outside guest memory"):
        Guest.from_pages({}, cr3=0x7FFF_0000, cr4=CR4_PSE, mem_size=16 << 20)


# --- every flag combination ------------------------------------------------------------------

PDE_FLAGS = (P, W, U, PWT, PCD, A, D, PS, G)  # 2**9 PDEs
PTE_FLAGS = (P, W, U, A, D, PS, G)  # 2**7 PTEs (bit 7 of a PTE is PAT)


def combos(flags):
    return [sum(f for f, on in zip(flags, bits) if on)
            for bits in itertools.product((0, 1), repeat=len(flags))]


def test_every_flag_combination_walks_as_the_sdm_says():
    # PDE -> table at frame 0x20 (or, with PS, a 4 MiB page at gpa 0x00800000), PTE 5
    # of that table -> frame 0x555; VA 0x00005ABC uses PDE 0 and PTE 5.
    # 2**9 * 2**7 * 4 accesses = 262,144 walks, each against sdm_walk().
    va = 0x0000_5ABC
    guest = Guest.from_pages({PD: page({})}, cr3=CR3, cr4=CR4_PSE, mem_size=16 << 20)
    checked = 0
    for pde_flags in combos(PDE_FLAGS):
        pde = (0x0080_0000 if pde_flags & PS else 0x20000) | pde_flags
        guest.write(CR3, pde)
        for pte_flags in combos(PTE_FLAGS):
            pte = 0x555000 | pte_flags
            guest.write(0x20014, pte)
            for write, user in itertools.product((False, True), repeat=2):
                got = outcome(lambda: guest.walk(CR3, va, write=write, user=user).gpa)
                assert got == sdm_walk(pde, pte, va, write, user), (hex(pde), hex(pte), write, user)
                checked += 1
    assert checked == 2**9 * 2**7 * 4


@pytest.mark.parametrize("unsync", [True, False])
@pytest.mark.parametrize("large", [True, False])
def test_every_permission_combination_through_the_shadow_mmu(unsync, large):
    # The flags a shadow leaf depends on: PDE P W U PS D and PTE P W U D, all 2**9,
    # each with the four kinds of access, one fresh guest and MMU per combination.
    va = 0x0000_5ABC
    for pde_flags in combos((P, W, U, PS, D)):
        pde = (0x0080_0000 if pde_flags & PS else 0x20000) | pde_flags
        for pte_flags in combos((P, W, U, D)):
            pte = 0x555000 | pte_flags
            guest = Guest.from_pages({PD: page({0: pde}), 0x20: page({5: pte})}, cr3=CR3,
                                     cr4=CR4_PSE, mem_size=16 << 20)
            mmu = mmu_for(guest, unsync=unsync, host_large_pages=large)
            for write, user in itertools.product((False, True), repeat=2):
                want = sdm_walk(pde, pte, va, write, user)
                assert outcome(mmu.access, va, write=write, user=user) == want, \
                    (hex(pde), hex(pte), write, user)
                assert mmu.check() is None
