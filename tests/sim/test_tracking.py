"""The write path on its own: a WriteTracker over a cache and sync, no MMU; each store's trace read from the Tracer.

Expected values by hand, from the write-path arithmetic (kernel-facts §5):

* a 4-byte store at byte o of a guest PD is guest PDE o/4, which belongs to
  PD quadrant (o/4) div 256 and zaps PAE PDEs 2((o/4) mod 256) and +1 there;
  the other quadrants' pages are skipped: o = 0x10 is guest PDE 4, PAE PDEs
  8 and 9 of quadrant 0;
* a store at byte o of a guest PT is gPTE o/4, in PT quadrant o div 2048,
  sPTE (o/4) mod 512: o = 0x804 is gPTE 513, quadrant 1, sPTE 1;
* a 2 MiB leaf for gfn g, writable and user, is g << 12 | 0xEE7; a 4 KiB one 0xE67.
"""

from __future__ import annotations

from shadowmmu.role import PageRole
from shadowmmu.sim.cache import UNPROTECT_REASON, ShadowPageCache
from shadowmmu.sim.events import (
    GuestWrite,
    PageUnprotected,
    PageUnsync,
    QuadrantSkip,
    ShadowPageZapped,
    SpteZapped,
)
from shadowmmu.sim.guest import Guest
from shadowmmu.sim.sync import Sync
from shadowmmu.sim.tracer import Tracer
from shadowmmu.sim.tracking import WriteTracker

PD_Q0 = PageRole(level=2, has_4_byte_gpte=True, quadrant=0)
PD_Q1 = PageRole(level=2, has_4_byte_gpte=True, quadrant=1)
PT_Q0 = PageRole(level=1, has_4_byte_gpte=True, quadrant=0)
PT_Q1 = PageRole(level=1, has_4_byte_gpte=True, quadrant=1)


def parts(unsync=True):
    tracer = Tracer()
    cache = ShadowPageCache(tracer)
    sync = Sync(Guest(16 << 20), cache, tracer)
    return cache, WriteTracker(cache, sync, tracer, unsync=unsync), tracer


def guest_pd(cache):
    q0, q1 = cache.alloc_page(0x30, PD_Q0), cache.alloc_page(0x30, PD_Q1)
    for index in (8, 9, 10):
        cache.set_large_leaf(q0, index, index << 9, True, True)
    return q0, q1


def test_a_store_to_no_shadowed_table_just_lands():
    _, tracker, tracer = parts()
    tracker.track_store(0x5000, 4, 7)
    assert tracer.last == (GuestWrite(0x5000, 4, 7, "store"),)
    assert (tracker.writes_stored, tracker.writes_emulated, tracker.writes_unsync) == (1, 0, 0)


def test_a_pde_store_zaps_two_pae_pdes_in_its_quadrant_and_skips_the_others():
    cache, tracker, tracer = parts()
    q0, _ = guest_pd(cache)
    tracker.track_store(0x30010, 4, 0)
    assert tracer.last == (GuestWrite(0x30010, 4, 0, "emulate"),
                           SpteZapped(0x30, PD_Q0, 8, 0x1000EE7, "guest write"),
                           SpteZapped(0x30, PD_Q0, 9, 0x1200EE7, "guest write"),
                           QuadrantSkip(0x30, PD_Q1, 0x10))
    assert q0.spt[10] == 0x1400EE7  # guest PDE 5's pair is untouched
    assert (tracker.writes_emulated, tracker.quadrant_skips, cache.sptes_zapped) == (1, 1, 2)


def test_the_third_store_without_a_fault_is_flooding():
    cache, tracker, tracer = parts()
    guest_pd(cache)
    tracker.track_store(0x30010, 4, 0)
    tracker.track_store(0x30010, 4, 0)
    assert not any(isinstance(e, ShadowPageZapped) for e in tracer.last)
    tracker.track_store(0x30010, 4, 0)
    assert tracer.last[1:] == (ShadowPageZapped(0x30, PD_Q0, "write flooding"),
                               ShadowPageZapped(0x30, PD_Q1, "write flooding"))
    assert cache.gfn_pages == {}


def test_a_misaligned_store_zaps_every_page_of_the_table():
    cache, tracker, tracer = parts()
    guest_pd(cache)
    tracker.track_store(0x30002, 4, 0)
    assert tracer.last[1:] == (ShadowPageZapped(0x30, PD_Q0, "misaligned write"),
                               ShadowPageZapped(0x30, PD_Q1, "misaligned write"))


def test_a_page_table_goes_unsync_on_its_first_store_then_stores_land():
    cache, tracker, tracer = parts()
    q0, q1 = cache.alloc_page(0x31, PT_Q0), cache.alloc_page(0x31, PT_Q1)
    tracker.track_store(0x31804, 4, 0x1067)
    assert tracer.last == (GuestWrite(0x31804, 4, 0x1067, "unsync"), PageUnsync(0x31, PT_Q0),
                           PageUnsync(0x31, PT_Q1))
    assert q0.unsync and q1.unsync
    tracker.track_store(0x31808, 4, 0x2067)
    assert tracer.last == (GuestWrite(0x31808, 4, 0x2067, "store"),)
    assert (tracker.writes_unsync, tracker.writes_stored) == (1, 1)


def test_with_unsync_off_a_pte_store_is_emulated_in_its_quadrant_only():
    cache, tracker, tracer = parts(unsync=False)
    q0, q1 = cache.alloc_page(0x31, PT_Q0), cache.alloc_page(0x31, PT_Q1)
    cache.set_leaf(q0, 1, 0x70, True, True, 0x70067)
    cache.set_leaf(q1, 1, 0x71, True, True, 0x71067)
    tracker.track_store(0x31804, 4, 0)
    assert tracer.last == (GuestWrite(0x31804, 4, 0, "emulate"), QuadrantSkip(0x31, PT_Q0, 0x804),
                           SpteZapped(0x31, PT_Q1, 1, 0x71E67, "guest write"))
    assert q0.spt[1] == 0x70E67 and not q1.unsync
    for _ in range(3):  # level-1 pages never flood
        tracker.track_store(0x31804, 1, 0)  # an aligned byte store is not misaligned (andb)
    assert cache.gfn_pages == {0x31: [q0, q1]} and tracker.quadrant_skips == 4


def test_a_store_that_is_no_page_table_write_unprotects_instead_of_being_emulated():
    cache, tracker, tracer = parts()
    guest_pd(cache)
    tracer.enter()
    assert tracker.retry_store(0x30010, 4, 0)
    tracer.exit()
    assert tracer.last == (GuestWrite(0x30010, 4, 0, "unprotect"),
                           ShadowPageZapped(0x30, PD_Q0, UNPROTECT_REASON),
                           ShadowPageZapped(0x30, PD_Q1, UNPROTECT_REASON), PageUnprotected(0x30, 2))
    assert (tracker.writes_unprotected, tracker.writes_emulated) == (1, 0) and cache.gfn_pages == {}
    assert not tracker.retry_store(0x30010, 4, 0)  # nothing traps there any more: the store just lands
    pt = cache.alloc_page(0x31, PT_Q1)
    assert not tracker.retry_store(0x31804, 4, 0)  # a page table would go unsync, not be emulated
    assert pt.valid and tracker.writes_unprotected == 1
