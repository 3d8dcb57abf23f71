"""Inspection on its own: leaves, reachable pages and check() over shadow tables built by hand, no fault path.

The shadow tables here are written directly (Roots.load(), PageGetter.get_child(),
ShadowPageCache.set_leaf()), some of them wrong on purpose, so what
check() finds is known in advance. Expected values by hand: page directories
q0..q3 at hpa 0x1_0000_0000 + 0x1000 q, the first page table next; VA
0xC0200000 is quarter 3, PAE PDE 1, PTE 0 (0xC0201000: PTE 1); VA 0x00400000
is quarter 0, PAE PDE 2, a 2 MiB leaf there covers up to 0x005FFFFF. A
read-only user leaf for gfn g is g << 12 | 0xA25, writable adds 0x442, a 2 MiB
one adds 0x80 (PS); a link is hpa | 0x827.
"""

from __future__ import annotations

from shadowmmu.role import PageRole
from shadowmmu.sim.guest import Guest
from shadowmmu.sim.inspection import check, leaves, pae_pdes, reachable_pages
from shadowmmu.sim.shadow_page import Mismatch

from .parts import parts

PT_Q1 = PageRole(level=1, has_4_byte_gpte=True, quadrant=1)
VA = 0xC0200000


def world():
    """A guest mapping VA -> 0x5000 (and a 4 MiB page at 0x00400000) and its shadow, page table made by hand."""
    guest = Guest(16 << 20)
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, VA, 0x5000)
    guest.map_4k(cr3, VA + 0x1000, 0x7000, writable=False)
    guest.map_4m(cr3, 0x00400000, 0x400000)
    p = parts(guest=guest)
    p.roots.load(cr3, guest.cr3_gfn(cr3))
    pd3 = p.roots.get_pd(3, VA)
    pt_gfn = guest.walk(cr3, VA).pte_gpa >> 12  # the guest's page table: input, not an expectation
    p.pt = p.getter.get_child(pd3, 1, pt_gfn, PT_Q1)
    p.cache.set_leaf(p.pt, 0, 0x5, False, True, 0)
    return p


def test_nothing_is_reachable_before_a_cr3_load():
    p = parts()
    assert list(leaves(p.roots, p.cache)) == [] and reachable_pages(p.roots, p.cache) == []
    assert check(p.roots, p.cache, p.guest) is None


def test_the_leaves_and_pages_the_cpu_can_reach():
    p = world()
    pds = p.roots.current_pds()
    assert [sp.hpa for sp in pds] == [0x100000000, 0x100001000, 0x100002000, 0x100003000]
    assert p.pt.hpa == 0x100004000
    assert list(leaves(p.roots, p.cache)) == [(VA, 4096, 0x5A25)]
    assert list(pae_pdes(p.roots, p.cache)) == [(3, 1, pds[3], 0x100004827, p.pt)]
    assert reachable_pages(p.roots, p.cache) == [(pds[0], 0), (pds[1], 1), (pds[2], 2), (pds[3], 3), (p.pt, 3)]


def test_a_shadow_that_agrees_with_the_guest_passes():
    p = world()
    assert check(p.roots, p.cache, p.guest) is None
    assert check(p.roots, p.cache, p.guest, VA + 0x123) is None
    assert check(p.roots, p.cache, p.guest, 0x00000000) is None  # nothing shadowed there


def test_check_names_the_smallest_va_and_what_is_wrong():
    p = world()
    p.cache.set_leaf(p.pt, 1, 0x7, True, True, 0)  # the guest maps 0xC0201000 read-only
    p.cache.set_leaf(p.pt, 2, 0x9, False, True, 0)  # the guest does not map 0xC0202000
    assert check(p.roots, p.cache, p.guest) == \
        Mismatch(0xC0201000, 0x7000, 0x7000, "shadow allows a write the guest forbids")
    assert check(p.roots, p.cache, p.guest, 0xC0202FFF) == \
        Mismatch(0xC0202000, 0x9000, None, "the guest does not map it")
    p.cache.set_leaf(p.pt, 0, 0x6, False, True, 0)
    assert check(p.roots, p.cache, p.guest) == \
        Mismatch(VA, 0x6000, 0x5000, "shadow maps another frame")


def test_a_2mib_leaf_is_checked_page_by_page_unless_a_4mib_guest_page_covers_it():
    p = world()
    pd0 = p.roots.get_pd(0, 0x00400000)
    p.cache.set_large_leaf(pd0, 2, 0x400, False, True)
    assert list(leaves(p.roots, p.cache))[0] == (0x00400000, 2 << 20, 0x400AA5)
    assert check(p.roots, p.cache, p.guest) is None
    p.cache.set_large_leaf(pd0, 2, 0x600, False, True)  # the guest's second 2 MiB half, at the first
    assert check(p.roots, p.cache, p.guest) == \
        Mismatch(0x00400000, 0x600000, 0x400000, "shadow maps another frame")


def test_a_2mib_leaf_over_4kib_guest_pages_is_checked_past_its_first_page():
    p = world()
    cr3 = p.roots.cr3
    p.guest.map_4k(cr3, 0x00800000, 0x800000)  # PAE PDE 4 of quarter 0; agrees with the leaf
    p.guest.map_4k(cr3, 0x00801000, 0x900000)  # does not: the leaf gives 0x801000
    p.cache.set_large_leaf(p.roots.get_pd(0, 0x00800000), 4, 0x800, False, True)
    assert check(p.roots, p.cache, p.guest) == \
        Mismatch(0x00801000, 0x801000, 0x900000, "shadow maps another frame")
