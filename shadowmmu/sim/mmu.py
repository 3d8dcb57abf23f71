"""ShadowMMU: a working shadow MMU for a 32-bit non-PAE guest, one facade over its parts (notebooks 06-08).

Names from arch/x86/kvm/mmu/mmu.c and paging_tmpl.h, Linux 6.x unless said
otherwise. ``load_cr3()`` is mmu_alloc_shadow_roots() for a non-PAE guest:
four level-2 shadow pages, all for the CR3 gfn, quadrants 0..3 (or, for the
"special" rules of Lai Jiangshan's unmerged series, one level-3 page whose
four entries get page-directory children on demand). ``pae_root`` itself is a
bare page, not a shadow page. The MMU composes its parts, each the one owner
of its state (no part reaches into another's private attributes; a test checks it):

* ``tracer`` (``sim.tracer``): the step trace, ``last_trace`` and ``trace_log``;
* ``cache`` (``sim.cache``): the shadow pages by (gfn, role), rmaps, write
  tracking and zapping;
* ``sync`` (``sim.sync``): unsync page tables and their resync;
* ``getter`` and ``fault`` (``sim.fault``): shadow pages got or made for (gfn, role),
  and the fault path: guest walk, A/D bits, FNAME(fetch);
* ``roots`` (``sim.roots``): CR3, pae_root, its four page directories, their
  reload, and the CPU's walk that starts there;
* ``tracker`` (``sim.tracking``): the write path, every guest store seen;
* inspection (``sim.inspection``): leaves, reachable pages, check(), stats().

The facade holds only the guest, the rule, its own ``accesses`` count and
these parts; its other counters and switches read through to the part that owns them.

Host memory is modelled as in ``sim.spte``: each shadow page has a made-up
host-physical address and guest frames are backed one-to-one. Zapping a page
directory zaps its unsync children first (mmu_zap_unsync_children()).

Knows: roles, quadrant rules, the write-path arithmetic and the guest's memory
and walk. Does not know: scenarios, views or widgets; it never changes the
guest's page tables except for the accessed/dirty bits, which KVM itself writes.
"""

from __future__ import annotations

from ..address import check_va
from ..consts import PAGE_SHIFT, PT32E_ROOT_LEVEL
from ..role import shadow_index
from ..rules import Rule, get_rule
from . import inspection
from .cache import ShadowPageCache
from .events import ShadowPageFault, TlbFlush
from .fault import FaultPath, PageGetter
from .guest import Guest
from .roots import Roots
from .shadow_page import Mismatch, MMUStats, ShadowPage
from .spte import SPTE_USER, SPTE_WRITABLE, leaf_gpa
from .sync import Sync
from .tracer import Tracer
from .tracking import WriteTracker


class ShadowMMU:
    """KVM's shadow MMU for one vCPU of a 32-bit non-PAE guest:

        >>> g = Guest(16 << 20); cr3 = g.new_address_space()
        >>> g.map_4k(cr3, 0xC0200000, 0x5000)
        >>> mmu = ShadowMMU(g); mmu.load_cr3(cr3)
        >>> hex(mmu.translate(0xC0200000) or 0), hex(mmu.access(0xC0200123))
        ('0x0', '0x5123')
        >>> [sp.role.describe() for sp in mmu.shadow_pages() if sp.role.level == 1]
        ['L1 q1']

    ``rule``: any key of QUADRANT_RULES (or a Rule). ``host_large_pages``:
    whether the host backs guest memory with 2 MiB pages, so a guest 4 MiB page
    can become two 2 MiB leaf sPTEs; False gives direct level-1 pages.
    ``unsync``: let guest page tables go unsync on their first write fault, as
    KVM does (it has no switch for this); False is a simulator switch that
    treats them as write-tracked, as if each were also a page directory, so
    every PTE store is emulated.
    ``trace``: record the events of each call in ``last_trace``;
    ``keep_trace``: also append them all to ``trace_log``.
    """

    def __init__(self, guest: Guest, rule: str | Rule = "mainline", *,
                 host_large_pages: bool = True, unsync: bool = True,
                 trace: bool = True, keep_trace: bool = False):
        self.guest = guest
        self.rule = get_rule(rule)
        self.accesses = 0
        self.tracer = Tracer(trace, keep_trace)
        self.cache = ShadowPageCache(self.tracer, root_zapped=self._root_zapped)
        self.sync = Sync(guest, self.cache, self.tracer)
        self.getter = PageGetter(self.cache, self.sync, self.tracer, self.rule)
        self.roots = Roots(self.cache, self.getter, self.sync, self.tracer, self.rule)
        self.fault = FaultPath(guest, self.cache, self.sync, self.getter, self.roots, self.tracer,
                               host_large_pages=host_large_pages, unsync=unsync)
        self.tracker = WriteTracker(self.cache, self.sync, self.tracer, unsync=unsync)
        guest.attach(self)

    def _root_zapped(self, sp: ShadowPage) -> None:
        # the cache is made before the roots: this tells whichever roots there are now
        self.roots.root_zapped(sp)

    def detach(self) -> None:
        """Stop watching the guest's stores (the shadow state is left as it is)."""
        self.guest.detach(self)

    # -- read through to the part that owns it ---------------------------------------

    cr3 = property(lambda self: self.roots.cr3, doc="The guest CR3 loaded last (None before load_cr3()).")
    pae_root = property(lambda self: self.roots.pae_root, doc="The four PDPTEs the CPU's walk starts from.")
    host_large_pages = property(lambda self: self.fault.host_large_pages,
                                doc="Whether a guest 4 MiB page may become two 2 MiB leaf sPTEs.")
    unsync_enabled = property(lambda self: self.tracker.unsync_enabled,
                              doc="Whether guest page tables go unsync on their first write.")
    tracing = property(lambda self: self.tracer.enabled, doc="Whether calls record their events.")
    last_trace = property(lambda self: self.tracer.last, doc="The events of the last public call.")
    trace_log = property(lambda self: self.tracer.log, doc="Every event so far (keep_trace), else None.")
    faults = property(lambda self: self.fault.faults, doc="Shadow page faults that reached KVM.")
    guest_faults = property(lambda self: self.fault.guest_faults, doc="Faults injected into the guest.")
    writes_emulated = property(lambda self: self.tracker.writes_emulated)
    writes_unsync = property(lambda self: self.tracker.writes_unsync)
    writes_stored = property(lambda self: self.tracker.writes_stored)
    writes_unprotected = property(lambda self: self.tracker.writes_unprotected,
                                  doc="Stores that took the unprotect-and-retry path.")
    quadrant_skips = property(lambda self: self.tracker.quadrant_skips)
    sptes_zapped = property(lambda self: self.cache.sptes_zapped)
    pages_zapped = property(lambda self: self.cache.pages_zapped)
    pages_synced = property(lambda self: self.sync.pages_synced)

    # -- the shadow-page cache -------------------------------------------------------

    def shadow_pages(self) -> list[ShadowPage]:
        """Every valid shadow page, the special PDPT page (special rules only) first.

        Pages nobody points at any more stay in the cache, as in KVM until the
        page is reclaimed; pages zapped whole (misaligned writes, flooding,
        unsync pages under a new page directory) are gone.
        """
        pages = sorted(self.cache.pages.values(),
                       key=lambda sp: (-sp.role.level, sp.gfn, sp.role.quadrant, sp.role.direct, sp.hpa))
        special = self.roots.special_root
        return ([special] if special else []) + pages

    # -- roots (shadowmmu.sim.roots) -------------------------------------------------

    def load_cr3(self, cr3: int) -> None:
        """A guest CR3 write: new roots (mmu_alloc_shadow_roots()), then a flush (kvm_mmu_sync_roots()).

        Cached pages are reused: loading a CR3 seen before finds its four page
        directories in the cache, and their children with them.
        """
        # The guest's own check, but any page directory will do: a CR3 the
        # builder never made (a hand-written one, say) is still a CR3.
        pd_gfn = self.guest.cr3_gfn(cr3, known=False)
        self.tracer.enter()
        try:
            self.roots.load(cr3, pd_gfn)
            self.sync.sync_roots(self.roots.current_pds())
            self.tracer.emit(TlbFlush("cr3"))
        finally:
            self.tracer.exit()

    # -- the fault path (shadowmmu.sim.fault) ---------------------------------------

    def _require_cr3(self) -> None:
        if self.roots.cr3 is None:
            raise RuntimeError("no CR3 loaded: call load_cr3() first")

    def translate(self, va: int) -> int | None:
        """The guest-physical address the shadow tables alone give va; None if they do not map it.

        No guest walk and no fault: this is what the CPU would use, stale or not.
        """
        check_va(va)
        if self.roots.cr3 is None:
            return None
        found = self.roots.walk(va, traced=False)
        return None if found is None else leaf_gpa(found[0], found[1], va)

    def access(self, va: int, write: bool = False, user: bool = False) -> int:
        """A guest memory access: returns the guest-physical address, faulting the shadow in as needed.

        Raises GuestPageFault when the guest's own tables refuse the access
        (KVM would inject that #PF). A write to a write-tracked or protected
        table frame returns its gpa without making it writable: KVM would
        emulate the store; use guest_write(gpa, value) (or store()) to do it.
        """
        check_va(va)
        roots, tracer = self.roots, self.tracer
        if roots.cr3 is None:
            raise RuntimeError("no CR3 loaded: call load_cr3() first")
        tracing = tracer.enabled  # off, no call can own a trace: skip the bookkeeping
        if tracing:
            tracer.enter()
        try:
            self.accesses += 1
            if roots.obsolete:  # normally reloaded already, as the store returned
                roots.reload_obsolete()
            found = roots.walk(va)  # the CPU's walk: no KVM code runs
            if found is not None:
                spte = found[0]
                if (not write or spte & SPTE_WRITABLE) and (not user or spte & SPTE_USER):
                    return leaf_gpa(spte, found[1], va)
            # the hardware's error code: P (a present sPTE refused the access), W, U
            if tracer.events is not None:
                tracer.emit(ShadowPageFault(va, (found is not None) | write << 1 | user << 2))
            return self.fault.page_fault(va, write, user)
        finally:
            if tracing:
                tracer.exit()

    def store(self, va: int, value: int, size: int = 4, *, page_table_write: bool = True) -> int:
        """A guest store through va: access(va, write=True), then guest_write() at the gpa; returns it."""
        gpa = self.access(va, write=True)
        self.guest_write(gpa, value, size, page_table_write=page_table_write)
        return gpa

    def invlpg(self, va: int) -> None:
        """The guest's invlpg: resync the one sPTE for va if its page is unsync (kvm_mmu_invalidate_addr(), as in Linux 6.6)."""
        check_va(va)
        self._require_cr3()
        self.tracer.enter()
        try:
            self.sync.invalidate_addr(self.roots.current_pds()[shadow_index(va, PT32E_ROOT_LEVEL)], va)
            self.tracer.emit(TlbFlush("invlpg", va))
        finally:
            self.tracer.exit()

    def flush_tlb(self) -> None:
        """A full guest TLB flush (e.g. a CR4 write): resync every reachable unsync page."""
        self._require_cr3()
        self.tracer.enter()
        try:
            self.sync.sync_roots(self.roots.current_pds())
            self.tracer.emit(TlbFlush("full"))
        finally:
            self.tracer.exit()

    def guest_write(self, gpa: int, value: int, size: int = 4, *, page_table_write: bool = True) -> None:
        """A guest CPU store of size bytes (1, 2, 4 or 8) at gpa, trapped or not as KVM would:

        a write-tracked frame (a guest PD) or a protected one (``unsync=False``)
        is emulated, then the sPTEs it changed are zapped; the first store to a
        protected page table unsyncs its shadow pages and goes through; any
        other store simply lands. Other shadow MMUs attached to the guest see
        the store too.

        ``page_table_write=False``: the instruction is not one KVM treats as a
        page-table write (x86_page_table_writing_insn(): ``rep stos``, say). A
        store that would be emulated is not: KVM unprotects the gfn
        (unprotect_page(): every shadow page of it zapped), the guest re-runs
        the instruction, and the store lands untrapped (sim.tracking).
        """
        if not isinstance(page_table_write, bool):
            raise ValueError(f"page_table_write {page_table_write!r} must be true or false")
        self.tracer.enter()
        try:
            if not page_table_write and self.tracker.retry_store(gpa, size, value):
                self.roots.reload_obsolete()  # the vCPU re-enters the guest before the re-run
            self.guest.store(gpa, value, size)
        finally:
            self.tracer.exit()

    def unprotect_page(self, gfn: int) -> int:
        """kvm_mmu_unprotect_page(): zap every shadow page of gfn; returns how many were zapped:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space()
            >>> g.map_4k(cr3, 0x00200000, 0x5000)
            >>> mmu = ShadowMMU(g); mmu.load_cr3(cr3); _ = mmu.access(0x00200000)
            >>> mmu.unprotect_page(cr3 >> 12), mmu.translate(0x00200000)   # the four roots
            (4, None)
            >>> hex(mmu.access(0x00200000))                                 # faulted back in
            '0x5000'

        The kernel returns only whether it zapped any (Linux 6.10). Zapped
        roots in use are freed and reloaded at once, as the vCPU's next entry
        would (kvm_mmu_free_obsolete_roots()). Only the pages with gPTEs go:
        direct pages of gfn stay. See guest_write(page_table_write=False) for
        when KVM does this on its own.
        """
        if isinstance(gfn, bool) or not isinstance(gfn, int) or not 0 <= gfn < self.guest.mem_size >> PAGE_SHIFT:
            raise ValueError(f"gfn {gfn!r} must be a guest frame number in 0..0x{(self.guest.mem_size >> PAGE_SHIFT) - 1:x}")
        self.tracer.enter()
        try:
            zapped = self.tracker.unprotect_page(gfn)
            self.roots.reload_obsolete()
        finally:
            self.tracer.exit()
        return zapped

    def track_store(self, gpa: int, size: int, value: int) -> None:
        """Called by the guest after every store (the page-track hook): the write path decides.

        If the store zapped a root in use, the vCPU's return to the guest
        frees and reloads its roots before the guest runs another instruction.
        """
        self.tracker.track_store(gpa, size, value)
        self.roots.reload_obsolete()

    # -- inspection and the bug lab (shadowmmu.sim.inspection) -----------------------

    def leaves(self):
        """Every present leaf reachable from the current roots as (va, size, spte), by address."""
        return inspection.leaves(self.roots, self.cache)

    def reachable_pages(self) -> list[tuple[ShadowPage, int]]:
        """The shadow pages the CPU's walk can reach from the current roots, each with its PD quadrant:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space()
            >>> g.map_4k(cr3, 0xDEADB000, 0x5000)
            >>> for rule in ("mainline", "lai"):
            ...     mmu = ShadowMMU(g, rule); mmu.load_cr3(cr3); _ = mmu.access(0xDEADBEEF)
            ...     print(rule, [(sp.role.describe(), i) for sp, i in mmu.reachable_pages()])
            mainline [('L2 q0', 0), ('L2 q1', 1), ('L2 q2', 2), ('L2 q3', 3), ('L1 q1', 3)]
            lai [('L2 q3', 3), ('L1 q1', 3)]

        See inspection.reachable_pages(); works for every rule, special roots included.
        """
        return inspection.reachable_pages(self.roots, self.cache)

    def check(self, va: int | None = None, *, sync: bool = True) -> Mismatch | None:
        """The smallest VA where the shadow tables disagree with the guest's walk, or None:

            >>> find_misconception_example("mainline") is None
            True
            >>> find_misconception_example("halves").describe()
            'VA 0x00000000: shadow -> 0x2000, guest -> 0x1000 (shadow maps another frame)'

        See inspection.check(): every present leaf against the guest walk, after
        resyncing reachable unsync pages unless ``sync=False``; ``va`` checks one address.
        """
        if self.roots.cr3 is None:
            return None
        if sync:
            self.tracer.enter()
            try:
                self.sync.sync_roots(self.roots.current_pds())
            finally:
                self.tracer.exit()
        return inspection.check(self.roots, self.cache, self.guest, va)

    def stats(self) -> MMUStats:
        """What the MMU holds now and has done so far."""
        return inspection.stats(self)


def find_misconception_example(rule: str | Rule = "halves") -> Mismatch | None:
    """The smallest guest on which a quadrant rule goes wrong, run; returns check()'s verdict:

        >>> find_misconception_example("halves").va
        0

    One guest page table, reached from guest PDE 0, maps VA 0x00000000 (gPTE 0,
    lower half) to gpa 0x1000 and VA 0x00200000 (gPTE 512, upper half) to gpa
    0x2000. The two halves sit behind PAE PDEs 0 and 1. Mainline gives them
    quadrants 0 and 1 (parity), so two shadow pages. "halves" gives both
    quadrant 0 (both indices are below 256), so both VAs share one shadow page
    and sPTE 0 of it: the second fault overwrites the first, and VA 0 now
    reaches gpa 0x2000. Any correct rule returns None.
    """
    guest = Guest(16 << 20)
    cr3 = guest.new_address_space()
    guest.map_4k(cr3, 0x00000000, 0x1000)
    guest.map_4k(cr3, 0x00200000, 0x2000)
    mmu = ShadowMMU(guest, rule)
    mmu.load_cr3(cr3)
    mmu.access(0x00000000)
    mmu.access(0x00200000)
    return mmu.check()
