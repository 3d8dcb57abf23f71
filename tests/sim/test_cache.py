"""The shadow-page cache on its own: no MMU, no guest, a Tracer to read its events.

Expected values by hand:

* pages get made-up host addresses from 0x1_0000_0000 up, 0x1000 apart, in
  order of creation (SHADOW_HPA_BASE);
* a leaf sPTE for gfn g is g << 12 | 0x800 (MMU-present) | 0x200 (host-writable)
  | 0x20 (A) | 0x1 (P), plus 0x4 (U) if user, plus 0x402 (W, MMU-writable) | 0x40 (D)
  if writable: gfn 0x20, user, writable = 0x20E67; write protection takes 0x402
  away: 0x20A65;
* a link is the child's hpa | 0x827 (MMU-present, A, U, W, P);
* an sPTE's address is its page's hpa + 8 * index.
"""

from __future__ import annotations

from shadowmmu.role import PageRole
from shadowmmu.sim.cache import ShadowPageCache
from shadowmmu.sim.events import (
    ShadowPageCreated,
    ShadowPageZapped,
    SpteInstalled,
    SpteZapped,
    WriteProtect,
)
from shadowmmu.sim.tracer import Tracer

PD = PageRole(level=2, has_4_byte_gpte=True, quadrant=0)
PT_Q1 = PageRole(level=1, has_4_byte_gpte=True, quadrant=1)
DIRECT = PageRole(level=1, has_4_byte_gpte=True, direct=True)


def cache_and_events(root_zapped=None):
    tracer = Tracer()
    tracer.enter()  # one open call: every event lands in tracer.events
    return ShadowPageCache(tracer, root_zapped), tracer.events


def test_pages_get_sequential_made_up_addresses_and_are_found_by_them():
    cache, events = cache_and_events()
    pd = cache.alloc_page(0x30, PD)
    pt = cache.alloc_page(0x31, PT_Q1)
    assert (pd.hpa, pt.hpa) == (0x100000000, 0x100001000)
    assert cache.pages == {(0x30, PD): pd, (0x31, PT_Q1): pt}
    assert cache.by_hpa == {0x100000000: pd, 0x100001000: pt}
    assert cache.sptep_to_sp(0x100001000 + 8 * 300) is pt
    assert events == [ShadowPageCreated(0x30, PD, 0x100000000), ShadowPageCreated(0x31, PT_Q1, 0x100001000)]


def test_a_guest_pd_is_write_tracked_a_guest_pt_only_protected():
    cache, _ = cache_and_events()
    cache.alloc_page(0x30, PD)
    pt = cache.alloc_page(0x231, PT_Q1)
    assert cache.write_track == {0x30: 1}
    assert cache.gfn_pages == {0x30: [cache.pages[(0x30, PD)]], 0x231: [pt]}
    # no 2 MiB leaf over either table's 2 MiB frame: gfn >> 9 = 0 and 1
    assert cache.disallow_lpage == {0: 1, 1: 1}
    assert pt.gptes == [0] * 512
    assert cache.is_protected(0x231) and cache.is_protected(0x30) and not cache.is_protected(0x232)
    pt.unsync = True  # an unsync page table may be mapped writable; a PD never
    assert not cache.is_protected(0x231)


def test_a_direct_page_shadows_no_guest_table():
    cache, _ = cache_and_events()
    sp = cache.alloc_page(0x200, DIRECT)
    assert sp.gptes is None and cache.gfn_pages == {} and cache.disallow_lpage == {}


def test_a_leaf_is_in_the_rmap_and_loses_w_when_its_frame_becomes_a_table():
    cache, events = cache_and_events()
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.set_leaf(pt, 5, 0x20, writable=True, user=True, gpte=0x20067)
    assert pt.spt[5] == 0x20E67 and pt.gptes[5] == 0x20067
    assert cache.rmap == {0x20: (0x100000000 + 40,)}
    other = cache.alloc_page(0x20, PT_Q1)  # the guest now uses frame 0x20 as a page table
    assert pt.spt[5] == 0x20A65
    assert events[-2:] == [ShadowPageCreated(0x20, PT_Q1, other.hpa), WriteProtect(0x20, 1)]


def test_drop_spte_forgets_the_rmap_entry_and_counts_only_with_a_reason():
    cache, events = cache_and_events()
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.set_leaf(pt, 5, 0x20, True, True, 0)
    cache.set_leaf(pt, 6, 0x20, True, True, 0)
    cache.drop_spte(pt, 5)
    assert cache.rmap == {0x20: (0x100000000 + 48,)} and cache.sptes_zapped == 0
    cache.drop_spte(pt, 6, "guest write")
    assert cache.rmap == {} and pt.spt[6] == 0 and cache.sptes_zapped == 1
    assert events[-1] == SpteZapped(0x31, PT_Q1, 6, 0x20E67, "guest write")
    cache.drop_spte(pt, 6, "again")  # not present: nothing to drop, nothing counted
    assert cache.sptes_zapped == 1


def test_link_and_zap_page_unlink_both_ways():
    cache, events = cache_and_events()
    pd = cache.alloc_page(0x30, PD)
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.link(pd, 3, pt)
    assert pd.spt[3] == 0x100001827 and pt.parent_ptes == {0x100000000 + 24}
    assert events[-1] == SpteInstalled(0x30, PD, 3, 0x100001827, "link")
    cache.set_leaf(pt, 0, 0x40, False, False, 0)
    cache.zap_page(pt, "write flooding")
    assert pd.spt[3] == 0 and not pt.valid and pt.spt[0] == 0
    assert (0x31, PT_Q1) not in cache.pages and 0x100001000 not in cache.by_hpa
    assert 0x31 not in cache.gfn_pages and cache.rmap == {}
    assert cache.pages_zapped == 1 and events[-1] == ShadowPageZapped(0x31, PT_Q1, "write flooding")
    cache.zap_page(pt, "twice")  # an invalid page is not zapped again
    assert cache.pages_zapped == 1


def test_a_zapped_root_in_use_stays_addressable_and_is_reported():
    told = []
    cache, _ = cache_and_events(told.append)
    root = cache.alloc_page(0x30, PD)
    root.root_count = 1
    cache.zap_page(root, "misaligned write")
    assert told == [root] and root.hpa in cache.by_hpa and (0x30, PD) not in cache.pages
    cache.free_root(root)  # its last user lets go: now it is freed
    assert root.hpa not in cache.by_hpa


def test_zapping_a_directory_zaps_its_unsync_children_first():
    cache, events = cache_and_events()
    pd = cache.alloc_page(0x30, PD)
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.link(pd, 0, pt)
    pt.unsync = True
    cache.zap_page(pd, "misaligned write")
    zaps = [e for e in events if isinstance(e, ShadowPageZapped)]
    assert zaps == [ShadowPageZapped(0x31, PT_Q1, "unsync child of a zapped page"),
                    ShadowPageZapped(0x30, PD, "misaligned write")]


def test_a_new_table_under_a_2mib_leaf_zaps_the_leaf():
    cache, events = cache_and_events()
    pd = cache.alloc_page(0x30, PD)
    cache.set_large_leaf(pd, 7, 0x200, writable=True, user=False)
    assert pd.spt[7] == 0x200000 | 0xEE3 and cache.large_rmap == {1: [0x100000000 + 56]}
    cache.alloc_page(0x3FF, PT_Q1)  # gfn 0x3FF lies in the 2 MiB frame 0x200..0x3FF
    assert pd.spt[7] == 0 and cache.large_rmap == {1: []} and cache.sptes_zapped == 1
    assert SpteZapped(0x30, PD, 7, 0x200EE3, "2 MiB leaf over a new shadowed table") in events


def test_the_special_pdpt_page_is_addressable_but_not_hashed():
    cache, _ = cache_and_events()
    sp = cache.new_page(0x30, PageRole(level=3, has_4_byte_gpte=True))
    assert cache.pages == {} and cache.by_hpa == {0x100000000: sp}
    cache.forget(sp)
    assert cache.by_hpa == {}


def test_with_tracing_off_nothing_is_recorded():
    tracer = Tracer(enabled=False)
    tracer.enter()
    cache = ShadowPageCache(tracer)
    cache.set_leaf(cache.alloc_page(0x31, PT_Q1), 0, 0x20, True, True, 0)
    tracer.exit()
    assert tracer.events is None and tracer.last == ()
