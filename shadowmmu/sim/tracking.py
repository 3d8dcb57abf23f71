"""The write path: a guest store to a shadowed table, trapped and emulated, unprotected, or let through.

The guest PD is write-tracked (__kvm_write_track_add_gfn()): a store to it
faults, and KVM emulates it and zaps what it changed (kvm_mmu_track_write() ->
get_written_sptes(), Linux 6.6+). A guest PT instead goes unsync on its first
write (``sync``); with ``unsync=False`` PTs stay protected, so every PTE store
is emulated and the level-1 quadrant skip shows. A misaligned write or write
flooding zaps the whole page.

Emulation is not the only way out of such a fault. kvm_mmu_page_fault() (Linux
6.10) lets the emulator retry (EMULTYPE_ALLOW_RETRY_PF) unless the address is
cached MMIO or the vCPU runs a nested guest; x86_emulate_instruction() then
decodes the instruction and retry_instruction() (x86.c) gives up emulating if
the instruction is not flagged as a page-table write
(x86_page_table_writing_insn(): mov, xchg, cmpxchg, cmpxchg8b, or, and, bts,
btc are; rep stos, rep movs, add or an SSE movq are not) and it did not just
retry this same instruction pointer and address (last_retry_eip/addr, against
a loop). KVM then calls kvm_mmu_unprotect_page(): every shadow page of the gfn
is zapped, nothing is emulated, kvm_mmu_track_write() never runs, and the guest
re-runs the instruction, whose store now lands. ``retry_store()`` models it
for a store the caller marks as not a page-table write; the guard never fires
here, since after the zap the re-run store no longer traps.

A store that makes a page table unsync is not emulated at all (the fault is
fixed with a writable sPTE), so the retry path is only for stores that would
be emulated.

Owns its counters: what it did with each store (``writes_emulated``,
``writes_unsync``, ``writes_stored``, ``writes_unprotected``) and the level-1
pages a store skipped for their quadrant (``quadrant_skips``).

Knows: the cache, sync (to unsync a page table), ``writes`` (which sPTEs a
write hits), the tracer. Does not know: faults, the guest's walk, rules, the roots.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE, PG_LEVEL_4K
from ..writes import detect_write_misaligned, get_written_sptes
from .cache import ShadowPageCache
from .events import GuestWrite, PageUnprotected, QuadrantSkip
from .shadow_page import ShadowPage
from .sync import Sync
from .tracer import Tracer

#: detect_write_flooding() reports flooding at this many writes without a fault.
WRITE_FLOODING_LIMIT = 3


class WriteTracker:
    """The write path of one ShadowMMU; ``unsync``: let a page table go unsync (False: emulate every store)."""

    def __init__(self, cache: ShadowPageCache, sync: Sync, tracer: Tracer, *, unsync: bool = True) -> None:
        self._cache = cache
        self._sync = sync
        self._tracer = tracer
        self.unsync_enabled = bool(unsync)
        self.writes_emulated = self.writes_unsync = self.writes_stored = self.writes_unprotected = 0
        self.quadrant_skips = 0

    def traps_to_emulate(self, gfn: int) -> bool:
        """Would a store to gfn fault and be emulated (RET_PF_EMULATE)? Write-tracked or kept protected."""
        return bool(self._cache.gfn_pages.get(gfn)) and (
            gfn in self._cache.write_track or not self.unsync_enabled)

    def retry_store(self, gpa: int, size: int, value: int) -> bool:
        """retry_instruction() (Linux 6.10) for a store that is not a page-table write; True if it unprotected.

        If the store would be emulated, KVM unprotects the gfn instead
        (kvm_mmu_unprotect_page()) and re-enters the guest; the caller then
        lets the store land. Otherwise nothing happens here.
        """
        gfn = gpa >> PAGE_SHIFT
        if not self.traps_to_emulate(gfn):
            return False
        self.writes_unprotected += 1
        self._tracer.emit(GuestWrite(gpa, size, value, "unprotect"))
        self.unprotect_page(gfn)
        return True

    def unprotect_page(self, gfn: int) -> int:
        """kvm_mmu_unprotect_page(): the cache zaps every shadow page of gfn; the event says how many."""
        zapped = self._cache.unprotect_page(gfn)
        self._tracer.emit(PageUnprotected(gfn, zapped))
        return zapped

    def track_store(self, gpa: int, size: int, value: int) -> None:
        """The page-track hook: the guest calls it (through ShadowMMU) after every store."""
        self._tracer.enter()
        try:
            gfn = gpa >> PAGE_SHIFT
            pages = self._cache.gfn_pages.get(gfn)
            if not pages:
                action = "store"
                self.writes_stored += 1
            elif gfn in self._cache.write_track or not self.unsync_enabled:
                action = "emulate"
                self.writes_emulated += 1
            elif any(not sp.unsync for sp in pages):
                action = "unsync"
                self.writes_unsync += 1
            else:
                action = "store"
                self.writes_stored += 1
            self._tracer.emit(GuestWrite(gpa, size, value, action))
            if action == "emulate":
                self._track_write(gpa, size, pages)
            elif action == "unsync":
                self._sync.unsync_gfn(gfn)
        finally:
            self._tracer.exit()

    def _detect_write_flooding(self, sp: ShadowPage) -> bool:
        """detect_write_flooding(): level-1 pages never flood (they can go unsync instead)."""
        if sp.role.level == PG_LEVEL_4K:
            return False
        sp.write_flooding_count += 1
        return sp.write_flooding_count >= WRITE_FLOODING_LIMIT

    def _track_write(self, gpa: int, size: int, pages: list[ShadowPage]) -> None:
        """kvm_mmu_track_write() (Linux 6.6+): per shadow page of the gfn, zap the page or its written sPTEs."""
        offset = gpa & (PAGE_SIZE - 1)
        misaligned = detect_write_misaligned(offset, size)
        for sp in list(pages):
            if not sp.valid:
                continue
            if misaligned:
                self._cache.zap_page(sp, "misaligned write")
                continue
            if self._detect_write_flooding(sp):
                self._cache.zap_page(sp, "write flooding")
                continue
            sptes = get_written_sptes(sp.role, offset, size)
            if sptes is None:
                self.quadrant_skips += 1
                self._tracer.emit(QuadrantSkip(sp.gfn, sp.role, offset))
                continue
            for index in sptes:
                self._cache.drop_spte(sp, index, "guest write")
