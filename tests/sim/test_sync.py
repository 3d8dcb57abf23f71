"""Unsync and resync on their own: a cache, a guest's memory and a Tracer, no MMU.

Expected values by hand: a level-1 page of quadrant 1 for guest page table
gfn 0x31 shadows its upper 2 KiB, so its gPTE i is read at gpa 0x31800 + 4 * i
(FNAME(get_level1_sp_gpa)). A leaf made writable for gfn g is g << 12 | 0xE67
(user) and loses 0x402 when write-protected. VA 0x00204000 has PAE PDE index 1
(bits 29:21) and PTE index 4 (bits 20:12).
"""

from __future__ import annotations

from shadowmmu.role import PageRole
from shadowmmu.sim.cache import ShadowPageCache
from shadowmmu.sim.events import PageSynced, PageUnsync, SpteZapped, WriteProtect
from shadowmmu.sim.guest import Guest
from shadowmmu.sim.sync import Sync
from shadowmmu.sim.tracer import Tracer

PD = PageRole(level=2, has_4_byte_gpte=True, quadrant=0)
PT_Q0 = PageRole(level=1, has_4_byte_gpte=True, quadrant=0)
PT_Q1 = PageRole(level=1, has_4_byte_gpte=True, quadrant=1)


def parts():
    tracer = Tracer()
    tracer.enter()
    guest = Guest(16 << 20)
    cache = ShadowPageCache(tracer)
    return guest, cache, Sync(guest, cache, tracer), tracer.events


def test_unsync_marks_every_page_of_the_table_once():
    _, cache, sync, events = parts()
    q0, q1 = cache.alloc_page(0x31, PT_Q0), cache.alloc_page(0x31, PT_Q1)
    sync.unsync_gfn(0x31)
    assert q0.unsync and q1.unsync
    assert events[-2:] == [PageUnsync(0x31, PT_Q0), PageUnsync(0x31, PT_Q1)]
    sync.unsync_gfn(0x31)
    assert len([e for e in events if isinstance(e, PageUnsync)]) == 2
    assert sync.unsync_pages() == [q0, q1]  # oldest first


def test_a_resync_drops_exactly_the_spte_whose_gpte_changed():
    guest, cache, sync, events = parts()
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.set_leaf(pt, 2, 0x50, True, True, gpte=0x50067)
    cache.set_leaf(pt, 3, 0x51, True, True, gpte=0x51067)
    guest.write(0x31800 + 4 * 2, 0x50067)  # as the sPTE was made from
    guest.write(0x31800 + 4 * 3, 0x52067)  # changed while unsync: another frame
    pt.unsync = True
    sync.sync_sptes(pt)
    assert pt.spt[2] == 0x50E67 and pt.spt[3] == 0
    assert events[-2:] == [SpteZapped(0x31, PT_Q1, 3, 0x51E67, "gPTE changed while unsync"),
                           PageSynced(0x31, PT_Q1, 1, True, True)]
    assert sync.pages_synced == 1 and pt.unsync  # a fault's resync leaves the mark


def test_the_guests_flush_marks_the_page_synced_and_write_protects_its_frame():
    guest, cache, sync, events = parts()
    pt = cache.alloc_page(0x31, PT_Q1)
    mapper = cache.alloc_page(0x40, PT_Q0)
    sync.unsync_gfn(0x31)
    cache.set_leaf(mapper, 9, 0x31, True, True, gpte=0x31067)  # the table's own frame, writable
    assert mapper.spt[9] == 0x31E67
    sync.sync_children(pt)
    assert not pt.unsync and mapper.spt[9] == 0x31A65
    assert events[-2:] == [WriteProtect(0x31, 1), PageSynced(0x31, PT_Q1, 0, True, False)]


def test_sync_roots_syncs_only_pages_below_the_given_directories():
    _, cache, sync, events = parts()
    pd_a, pd_b = cache.alloc_page(0x30, PD), cache.alloc_page(0x40, PD)
    pt_a, pt_b = cache.alloc_page(0x31, PT_Q1), cache.alloc_page(0x41, PT_Q1)
    cache.link(pd_a, 1, pt_a)
    cache.link(pd_b, 1, pt_b)
    sync.unsync_gfn(0x31)
    sync.unsync_gfn(0x41)
    sync.sync_roots([pd_a, None, None, None])
    assert not pt_a.unsync and pt_b.unsync
    assert [e for e in events if isinstance(e, PageSynced)] == [PageSynced(0x31, PT_Q1, 0, True, False)]
    sync.sync_roots([None] * 4)  # no directory: nothing reachable, nothing synced
    assert pt_b.unsync and sync.pages_synced == 1


def test_invlpg_resyncs_the_one_spte_of_va_and_leaves_the_page_unsync():
    guest, cache, sync, events = parts()
    pd = cache.alloc_page(0x30, PD)
    pt = cache.alloc_page(0x31, PT_Q1)
    cache.link(pd, 1, pt)
    cache.set_leaf(pt, 4, 0x60, True, True, gpte=0x60067)
    cache.set_leaf(pt, 5, 0x61, True, True, gpte=0x61067)
    guest.write(0x31800 + 4 * 4, 0x62067)
    guest.write(0x31800 + 4 * 5, 0x63067)
    sync.invalidate_addr(pd, 0x00204000)  # this page is still sync: nothing
    assert pt.spt[4] == 0x60E67
    sync.unsync_gfn(0x31)
    sync.invalidate_addr(pd, 0x00204000)
    assert pt.spt[4] == 0 and pt.spt[5] == 0x61E67 and pt.unsync  # entry 5 waits for the flush
    assert events[-1] == PageSynced(0x31, PT_Q1, 1, False, True)
    sync.invalidate_addr(pd, 0x00204000)  # nothing present there any more
    sync.invalidate_addr(None, 0x00204000)  # no directory for the quarter
    assert events[-1] == PageSynced(0x31, PT_Q1, 1, False, True)
