"""Unsync and resync: a guest page table goes unsync on its first write and is re-read later.

A guest PT goes unsync on its first write (mmu_try_to_unsync_pages()), which
lets later stores through unchecked. Its gPTEs are re-read when a fault finds
the page in the cache (kvm_mmu_find_shadow_page() -> kvm_sync_page(): the page
stays unsync and writable) and at invlpg (kvm_sync_spte(), one entry); only
the guest's flush, at CR3 load or TLB flush (kvm_mmu_sync_roots() ->
mmu_sync_children()), write-protects it again and marks it synced.

Owns the unsync marks of the pages it syncs and its counter
(``pages_synced``); which page directories are current is the caller's to
say (``sim.roots`` knows them).

Knows: the cache, the guest's memory (to re-read gPTEs), the tracer. Does not
know: faults, the write path, rules, the roots.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..consts import PAGE_SIZE, PG_LEVEL_4K, PT32_ROOT_LEVEL, SPTE_ENT_PER_PAGE
from ..role import shadow_index
from ..writes import get_level1_sp_gpa
from .cache import ShadowPageCache
from .events import PageSynced, PageUnsync
from .guest import Guest
from .shadow_page import ShadowPage
from .spte import SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT
from .tracer import Tracer


class Sync:
    """The unsync/resync part of one ShadowMMU: the guest it re-reads, the cache it syncs."""

    def __init__(self, guest: Guest, cache: ShadowPageCache, tracer: Tracer) -> None:
        self._guest = guest
        self._cache = cache
        self._tracer = tracer
        self.pages_synced = 0

    def unsync_gfn(self, gfn: int) -> None:
        """mmu_try_to_unsync_pages(): every shadow page of this page table goes unsync."""
        for sp in self._cache.gfn_pages.get(gfn, ()):
            if not sp.unsync:
                sp.unsync = True
                self._tracer.emit(PageUnsync(sp.gfn, sp.role))

    def sync_spte(self, sp: ShadowPage, index: int) -> bool:
        """kvm_sync_spte() (Linux 6.6): re-read the gPTE behind present sPTE index; drop the sPTE if it changed.

        KVM drops an entry whose gPTE now names another frame (or is not
        present) and rewrites in place one whose permissions alone changed; we
        drop both, which costs the guest one refault. True if dropped.
        """
        if self._guest.read32(get_level1_sp_gpa(sp.gfn, sp.role) + 4 * index) == sp.gptes[index]:
            return False
        self._cache.drop_spte(sp, index, "gPTE changed while unsync")
        return True

    def sync_sptes(self, sp: ShadowPage) -> None:
        """kvm_sync_page(): sync_spte() for every present sPTE; the unsync mark and the frame's W stay.

        This alone is what kvm_mmu_find_shadow_page() does to an unsync page it
        finds (the kernel comment there: the rest of the guest's tables stays
        stale, several pages of one gfn may stay unsync). The guest's flush adds
        the write protection (sync_children()).
        """
        spt, zapped = sp.spt, 0
        for index in range(SPTE_ENT_PER_PAGE):
            if spt[index] & SPTE_PRESENT and self.sync_spte(sp, index):
                zapped += 1
        self.pages_synced += 1
        self._tracer.emit(PageSynced(sp.gfn, sp.role, zapped, True, sp.unsync))

    def sync_children(self, sp: ShadowPage) -> None:
        """mmu_sync_children() for one unsync page: mark it synced, write-protect its gfn, then resync.

        KVM write-protects the gfns of a batch before syncing it, so no store
        slips in between; clearing the mark first lets the cache's write_protect()
        see the gfn as protected (same end state).
        """
        sp.unsync = False  # kvm_unlink_unsync_page()
        self._cache.write_protect(sp.gfn)
        self.sync_sptes(sp)

    def unsync_pages(self) -> list[ShadowPage]:
        """Every unsync page in the cache, oldest first (KVM keeps a count; a scan is cheap here)."""
        return sorted((sp for sp in self._cache.pages.values() if sp.unsync), key=lambda sp: sp.hpa)

    def sync_roots(self, roots: Iterable[ShadowPage | None]) -> None:
        """kvm_mmu_sync_roots(): sync every unsync page reachable from the given page directories.

        ``roots``: the current ones, one per quarter (None for none), as
        ``Roots.current_pds()`` gives them.
        """
        unsync = self.unsync_pages()
        if not unsync:
            return
        pds = {sp.hpa for sp in roots if sp is not None}
        for sp in unsync:
            if any(p & ~(PAGE_SIZE - 1) in pds for p in sp.parent_ptes):
                self.sync_children(sp)

    def invalidate_addr(self, pd: ShadowPage | None, va: int) -> None:
        """kvm_mmu_invalidate_addr() (Linux 6.6), for invlpg: resync va's one sPTE if its page is unsync.

        ``pd``: the current page directory of va's quarter (None for none).
        """
        found = self._leaf_below(pd, va)
        if found is not None:
            sp, index = found
            if sp.unsync:  # the page stays unsync: only this entry is resynced
                changed = self.sync_spte(sp, index)
                self._tracer.emit(PageSynced(sp.gfn, sp.role, int(changed), False, True))

    def _leaf_below(self, pd: ShadowPage | None, va: int):
        """(level-1 page, index) of va's 4 KiB sPTE below page directory pd, or None."""
        if pd is None:
            return None
        entry = pd.spt[shadow_index(va, PT32_ROOT_LEVEL)]
        if not entry & SPTE_PRESENT or entry & SPTE_LARGE:
            return None
        sp = self._cache.by_hpa[entry & SPTE_ADDR_MASK]
        index = shadow_index(va, PG_LEVEL_4K)
        return (sp, index) if sp.spt[index] & SPTE_PRESENT else None
