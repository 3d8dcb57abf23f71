"""The roots on their own: Roots over a cache, a page getter and sync, wired as ShadowMMU wires them, no MMU.

Expected values by hand: shadow pages get host addresses 0x1_0000_0000,
0x1_0000_1000, ... in order of creation; a pae_root entry is the page
directory's hpa | 1 (P only); a link is the child's hpa | 0x827; a 4 KiB leaf
for gfn g, writable and user, is g << 12 | 0xE67, a 2 MiB one g << 12 | 0xEE7.
A 16 MiB guest has its tables from gfn 0xE00 (tests/sim/test_mmu.py). VA
0xC0200000 is pae_root entry 3, PAE PDE 1, PAE PTE 0; VA 0x00A00000 is PAE PDE 5
of quarter 0.
"""

from __future__ import annotations

from shadowmmu.role import PageRole
from shadowmmu.sim.events import (
    RootObsolete,
    RootsFreed,
    RootsLoaded,
    ShadowPageCreated,
    ShadowPageFound,
    ShadowWalkStep,
)

from .parts import parts as make_parts
from .parts import traced

CR3, PD_GFN = 0xE00000, 0xE00


def pd_role(quadrant):
    return PageRole(level=2, has_4_byte_gpte=True, quadrant=quadrant)


def parts(rule="mainline"):
    p = make_parts(rule)
    return p.roots, p.cache, p.getter, p.tracer


def test_before_a_load_there_is_nothing_to_walk():
    roots, *_ = parts()
    assert (roots.cr3, roots.pae_root, roots.current_pds()) == (None, [0] * 4, [None] * 4)
    assert roots.walk(0xC0200000) is None


def test_a_load_makes_four_page_directories_one_per_quadrant():
    roots, cache, _, tracer = parts()
    traced(tracer, roots.load, CR3, PD_GFN)
    assert roots.pae_root == [0x100000001, 0x100001001, 0x100002001, 0x100003001]
    pds = roots.current_pds()
    assert [(sp.gfn, sp.role, sp.root_count) for sp in pds] == [(PD_GFN, pd_role(q), 1) for q in range(4)]
    assert cache.write_track == {PD_GFN: 4}
    assert tracer.last == tuple(ShadowPageCreated(PD_GFN, pd_role(q), 0x100000000 + 0x1000 * q)
                                for q in range(4)) + (RootsLoaded(CR3, tuple(roots.pae_root)),)


def test_loading_the_same_cr3_again_finds_the_same_pages():
    roots, _, _, tracer = parts()
    roots.load(CR3, PD_GFN)
    first = roots.current_pds()
    traced(tracer, roots.load, CR3, PD_GFN)
    assert roots.current_pds() == first and [sp.root_count for sp in first] == [1] * 4
    assert tracer.last[:4] == tuple(ShadowPageFound(PD_GFN, pd_role(q), 0x100000000 + 0x1000 * q)
                                    for q in range(4))


def test_a_zapped_root_is_replaced_at_the_next_entry_and_the_others_kept():
    roots, cache, _, tracer = parts()
    roots.load(CR3, PD_GFN)
    old = roots.current_pds()
    traced(tracer, cache.zap_page, old[2], "misaligned write")
    assert roots.obsolete == 1 and RootObsolete(PD_GFN, pd_role(2)) in tracer.last
    assert roots.pae_root[2] == 0x100002001  # still pointing at it until the reload
    traced(tracer, roots.reload_obsolete)
    assert tracer.last[0] == RootsFreed(4, 1)
    assert roots.pae_root == [0x100000001, 0x100001001, 0x100004001, 0x100003001]
    assert roots.obsolete == 0 and 0x100002000 not in cache.by_hpa
    traced(tracer, roots.reload_obsolete)  # nothing pending: nothing happens
    assert tracer.last == ()


def test_the_cpu_walk_reads_one_entry_per_level():
    roots, cache, getter, tracer = parts()
    roots.load(CR3, PD_GFN)
    pd3 = roots.get_pd(3, 0xC0200000)
    pt = getter.get_child(pd3, 1, 0xE01, PageRole(level=1, has_4_byte_gpte=True, quadrant=1))
    cache.set_leaf(pt, 0, 0x5, True, True, 0x5067)
    found = traced(tracer, roots.walk, 0xC0200000)
    assert found == (0x5E67, 1, pt, 0)
    assert tracer.last == (ShadowWalkStep(3, 3, 0x100003001), ShadowWalkStep(2, 1, pt.hpa | 0x827),
                           ShadowWalkStep(1, 0, 0x5E67))
    assert traced(tracer, roots.walk, 0xC0200000, False) == found and tracer.last == ()
    assert traced(tracer, roots.walk, 0xC0400000) is None  # PAE PDE 2: nothing there
    assert tracer.last == (ShadowWalkStep(3, 3, 0x100003001), ShadowWalkStep(2, 2, 0))
    pd0 = roots.get_pd(0, 0x00A00000)
    cache.set_large_leaf(pd0, 5, 0xA00, True, True)
    assert roots.walk(0x00A00000) == (0xA00EE7, 2, pd0, 5)


def test_special_roots_hang_page_directories_on_demand_and_outlive_their_pdpt_page():
    roots, cache, _, tracer = parts("lai")
    traced(tracer, roots.load, CR3, PD_GFN)
    special = roots.special_root
    assert (special.hpa, special.role.level, special.root_count) == (0x100000000, 3, 1)
    assert roots.pae_root == [0] * 4 and tracer.last == (RootsLoaded(CR3, (0, 0, 0, 0)),)
    assert roots.current_pds() == [None] * 4
    pd = roots.get_pd(3, 0xC0000000)  # lai: quadrant = index % 4 at level 2
    assert (pd.hpa, pd.role) == (0x100001000, pd_role(3))
    assert roots.pdpte(3) == 0x100001827 and roots.current_pds() == [None, None, None, pd]
    roots.load(CR3, PD_GFN)  # a new PDPT page; the directory stays cached
    assert roots.special_root.hpa == 0x100002000 and 0x100000000 not in cache.by_hpa
    assert roots.pdpte(3) == 0 and roots.current_pds() == [None, None, None, pd]
