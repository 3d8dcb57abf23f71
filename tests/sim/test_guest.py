"""The guest model: memory, builder and walk, against hand-computed entries.

How the expected values were checked: every entry below is assembled by hand
from the SDM's 32-bit paging format (P=bit 0, R/W=1, U/S=2, A=5, D=6, PS=7,
G=8; frame in bits 31:12, a 4 MiB base in bits 31:22) and from the builder's
documented allocator. A Guest(16 MiB) has 4096 frames; the top eighth (512
frames) is the table region, so the first table is gfn 0xE00, the next 0xE01.
"""

from __future__ import annotations

import tracemalloc

import pytest

from shadowmmu import Guest, GuestPageFault
from shadowmmu.consts import CR4_PSE

MIB = 1 << 20


@pytest.fixture
def guest():
    return Guest(16 * MIB)


def test_first_tables_come_from_the_top_eighth(guest):
    cr3 = guest.new_address_space()
    assert cr3 == 0xE00000  # gfn 0xE00 = 4096 - 512
    assert guest.alloc_table() == 0xE01
    assert guest.table_base_gfn == 0xE00


def test_map_4k_writes_the_entries_the_sdm_describes(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0xC0200000, 0x5000)
    # PDE 768 lives at byte 768 * 4 = 0xC00 of the PD; it points at the new PT
    # (gfn 0xE01) with P|W|U = 0x007.
    assert guest.read(0xE00000 + 0xC00) == 0x00E01007
    # PTE 512 (VA bits 21:12 of 0xC0200000) is at byte 0x800 of the PT.
    assert guest.read(0xE01000 + 0x800) == 0x00005007


def test_map_4k_flags(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x1000, 0x9000, writable=False, user=False, global_=True,
                 accessed=True, dirty=True)
    # P | A | D | G = 0x1 | 0x20 | 0x40 | 0x100
    assert guest.read(guest.walk(cr3, 0x1000).pte_gpa) == 0x9161


def test_map_4m_writes_a_pse_pde(guest):
    cr3 = guest.new_address_space()
    guest.map_4m(cr3, 0x00400000, 0x00800000, user=False)
    assert guest.read(0xE00000 + 4) == 0x00800083  # base | PS | W | P
    walk = guest.walk(cr3, 0x007FFFFF)
    assert (walk.gpa, walk.level, walk.pte_gpa) == (0x00BFFFFF, 2, None)


def test_walk_of_the_golden_address(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0xDEADB000, 0x123000)
    walk = guest.walk(cr3, 0xDEADBEEF)
    # golden table: gPDE 890 (byte 0xDE8), gPTE 731 (byte 0xB6C)
    assert walk.gpa == 0x123EEF
    assert walk.pde_gpa == 0xE00000 + 0xDE8
    assert walk.pte_gpa == 0xE01000 + 0xB6C
    assert [(s.level, s.index) for s in walk.steps] == [(2, 890), (1, 731)]


@pytest.mark.parametrize("write, user, pte_flags, reason, code", [
    (False, False, None, "PTE not present", 0b000),
    (True, False, 0x001, "write to a read-only page", 0b011),
    (False, True, 0x003, "user access to a supervisor page", 0b101),
    (True, True, 0x005, "write to a read-only page", 0b111),
])
def test_walk_faults_like_the_cpu(guest, write, user, pte_flags, reason, code):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x2000, 0x3000)
    pte_gpa = guest.walk(cr3, 0x2000).pte_gpa
    guest.write(pte_gpa, 0 if pte_flags is None else 0x3000 | pte_flags)
    with pytest.raises(GuestPageFault) as info:
        guest.walk(cr3, 0x2000, write=write, user=user)
    assert info.value.reason == reason
    assert info.value.error_code == code


def test_pde_not_present(guest):
    cr3 = guest.new_address_space()
    with pytest.raises(GuestPageFault, match="PDE not present"):
        guest.walk(cr3, 0x40000000)


def test_pde_permissions_combine_with_pte(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x1000, 0x3000)
    guest.write(cr3 + 0, 0x00E01001)  # the PDE: present, read-only, supervisor
    walk = guest.walk(cr3, 0x1000)
    assert (walk.writable, walk.user) == (False, False)


def test_walk_is_pure(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x1000, 0x3000)
    before = guest.read(guest.walk(cr3, 0x1000).pte_gpa)
    guest.walk(cr3, 0x1000, write=True)
    assert guest.read(guest.walk(cr3, 0x1000).pte_gpa) == before == 0x3007


def test_kernel_half_is_shared(guest):
    first = guest.new_address_space()
    guest.map_4k(first, 0xC0001000, 0x4000)
    second = guest.new_address_space()
    assert guest.walk(second, 0xC0001000).gpa == 0x4000
    # a kernel mapping made through the second space appears in the first
    guest.map_4m(second, 0xC0400000, 0x400000)
    assert guest.walk(first, 0xC0400000).gpa == 0x400000
    # both PDs point at the same kernel page table
    assert guest.walk(first, 0xC0001000).pte_gpa == guest.walk(second, 0xC0001000).pte_gpa


def test_user_half_is_private(guest):
    first = guest.new_address_space()
    second = guest.new_address_space()
    guest.map_4k(first, 0x08048000, 0x4000)
    assert guest.translate(second, 0x08048000) is None


def test_no_sharing_without_kernel_base():
    g = Guest(16 * MIB, kernel_base=None)
    first = g.new_address_space()
    g.map_4k(first, 0xC0001000, 0x4000)
    assert g.translate(g.new_address_space(), 0xC0001000) is None


def test_map_4k_over_a_4m_page_splits_it(guest):
    cr3 = guest.new_address_space()
    guest.map_4m(cr3, 0x00400000, 0x00400000)
    guest.map_4k(cr3, 0x00401000, 0x9000)
    assert guest.walk(cr3, 0x00401000).gpa == 0x9000
    assert guest.translate(cr3, 0x00400000) is None


def test_unmap(guest):
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x1000, 0x3000)
    guest.map_4m(cr3, 0x00800000, 0x00400000)
    assert guest.unmap(cr3, 0x1000) is True
    assert guest.unmap(cr3, 0x1000) is False
    assert guest.unmap(cr3, 0x00A00000) is True  # inside the 4 MiB page: its PDE goes
    assert guest.translate(cr3, 0x00800000) is None
    assert guest.unmap(cr3, 0x7000_0000) is False


def test_mappings_lists_leaves_in_address_order(guest):
    cr3 = guest.new_address_space()
    guest.map_4m(cr3, 0xC0000000, 0x0)
    guest.map_4k(cr3, 0x00002000, 0x5000)
    guest.map_4k(cr3, 0x00001000, 0x6000)
    assert [(va, size, gpa) for va, size, gpa, _ in guest.mappings(cr3)] == [
        (0x1000, 4096, 0x6000), (0x2000, 4096, 0x5000), (0xC0000000, 4 * MIB, 0)]


def test_memory_is_sparse():
    """A 4 GiB guest costs what it holds: measured by tracemalloc, not asked of the Guest."""
    def allocated(step) -> int:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            step()
            return tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()

    g = Guest(1 << 32)
    assert allocated(lambda: g.read(0xFFFFFFFC)) < 1024
    assert allocated(lambda: g.write(0x12345678, 0)) < 1024  # a zero write to an untouched frame
    assert 4096 <= allocated(lambda: g.write(0x80000000, 1)) < 3 * 4096  # one frame
    assert g.read(0x80000000) == 1 and g.read(0x12345678) == 0


def test_partial_reads_and_writes_are_little_endian(guest):
    guest.write(0x1000, 0x1122334455667788, 8)
    assert guest.read(0x1000, 1) == 0x88
    assert guest.read(0x1004, 4) == 0x11223344
    guest.write(0x1001, 0xAB, 1)
    assert guest.read(0x1000, 2) == 0xAB88


# -- bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda g, c: g.map_4k(c, 0x1_0000_0000, 0), "not a 32-bit guest virtual address"),
    (lambda g, c: g.map_4k(c, 0x1001, 0), "not 4 KiB aligned"),
    (lambda g, c: g.map_4k(c, 0x1000, 16 * MIB), "outside guest memory"),
    (lambda g, c: g.map_4k(c, 0x1000, 0x1001), "not 4 KiB aligned"),
    (lambda g, c: g.map_4m(c, 0x00400000, 0x1000), "gpa 0x1000 is not 4 MiB aligned"),
    (lambda g, c: g.map_4m(c, 0x00401000, 0), "not 4 MiB aligned"),
    (lambda g, c: g.map_4k(0x123000, 0x1000, 0), "not an address space of this guest"),
    (lambda g, c: g.write(0x1000, 5, 3), "size 3 must be one of 1, 2, 4, 8"),
    (lambda g, c: g.write(0x1000, 256, 1), "does not fit in 1 byte"),
    (lambda g, c: g.write(0xFFE, 0, 4), "crosses a 4 KiB page boundary"),
    (lambda g, c: g.read(16 * MIB, 4), "outside guest memory"),
    (lambda g, c: g.walk(c, -1), "not a 32-bit guest virtual address"),
])
def test_bad_input_is_refused_and_changes_nothing(guest, call, message):
    cr3 = guest.new_address_space()
    before = dict((gfn, bytes(f)) for gfn, f in guest._frames.items())
    with pytest.raises(ValueError, match=message):
        call(guest, cr3)
    assert {gfn: bytes(f) for gfn, f in guest._frames.items()} == before


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="multiple of 4096"):
        Guest(12345)
    with pytest.raises(ValueError, match="4 MiB aligned"):
        Guest(16 * MIB, kernel_base=0xC0001000)
    with pytest.raises(ValueError, match="table_pages"):
        Guest(16 * MIB, table_pages=0)


def test_map_4m_needs_pse():
    g = Guest(16 * MIB, cr4=0)
    cr3 = g.new_address_space()
    with pytest.raises(ValueError, match="CR4.PSE"):
        g.map_4m(cr3, 0, 0)


def test_table_region_exhaustion_is_reported():
    g = Guest(16 * MIB, table_pages=2)
    cr3 = g.new_address_space()
    g.map_4k(cr3, 0, 0)
    with pytest.raises(ValueError, match="out of page-table frames"):
        g.map_4k(cr3, 0x00400000, 0)


# -- from_pages ---------------------------------------------------------------------

def _page(entries: dict[int, int]) -> bytes:
    data = bytearray(4096)
    for index, value in entries.items():
        data[4 * index:4 * index + 4] = value.to_bytes(4, "little")
    return bytes(data)


def test_from_pages_walks_the_given_tables():
    pages = {0x10: _page({768: 0x00011003, 0: 0x00400083}), 0x11: _page({5: 0x00777001})}
    g = Guest.from_pages(pages, cr3=0x10000, cr4=CR4_PSE)
    assert g.walk(0x10000, 0xC0005123).gpa == 0x777123
    assert g.walk(0x10000, 0x00012345).gpa == 0x00412345  # PSE page at PDE 0
    assert g.translate(0x10000, 0xC0006000) is None  # PTE 6 reads as zero
    assert g.address_spaces == (0x10000,)


def test_from_pages_with_pse_clear_ignores_bit_7():
    # PDE 0 = 0x00400083: with CR4.PSE clear it points at a page table in frame 0x400.
    pages = {0x10: _page({0: 0x00400083}), 0x400: _page({0x12: 0x00999001})}
    g = Guest.from_pages(pages, cr3=0x10000, cr4=0)
    walk = g.walk(0x10000, 0x00012345)
    assert (walk.level, walk.gpa) == (1, 0x999345)


def test_from_pages_pse36_high_bits():
    # PDE bits 16:13 are physical bits 35:32 of a 4 MiB page (PSE-36 as KVM has it): 0x2000 -> bit 32
    g = Guest.from_pages({0x10: _page({0: 0x00002083})}, cr3=0x10000, cr4=CR4_PSE)
    assert g.walk(0x10000, 0x1234).gpa == (1 << 32) | 0x1234


def test_from_pages_new_address_space_shares_the_dumped_kernel_half():
    pages = {0x10: _page({768: 0x00000083})}  # kernel PDE 768: 4 MiB page at gpa 0
    g = Guest.from_pages(pages, cr3=0x10000, cr4=CR4_PSE)
    other = g.new_address_space()
    assert g.walk(other, 0xC0001000).gpa == 0x1000


def test_from_pages_rejects_bad_pages():
    with pytest.raises(ValueError, match="must be 4096 bytes"):
        Guest.from_pages({1: b"x"}, cr3=0x1000, cr4=0)
    with pytest.raises(ValueError, match="not a guest frame number"):
        Guest.from_pages({-1: bytes(4096)}, cr3=0x1000, cr4=0)
