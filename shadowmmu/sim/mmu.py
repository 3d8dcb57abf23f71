"""ShadowMMU: a working shadow MMU for a 32-bit non-PAE guest, one facade over its parts (notebooks 06-08).

Names from arch/x86/kvm/mmu/mmu.c and paging_tmpl.h, Linux 6.x unless said
otherwise. ``load_cr3()`` is mmu_alloc_shadow_roots() for a non-PAE guest:
four level-2 shadow pages, all for the CR3 gfn, quadrants 0..3 (or, for the
"special" rules of Lai Jiangshan's unmerged series, one level-3 page whose
four entries get page-directory children on demand). ``pae_root`` itself is a
bare page, not a shadow page. The MMU owns, by composition:

* the roots (``sim.roots``): pae_root, its four page directories, their reload;
* ``cache`` (``sim.cache``): the shadow pages by (gfn, role), rmaps, write
  tracking and zapping;
* the fault path (``sim.fault``): guest walk, A/D bits, FNAME(fetch);
* ``sync`` (``sim.sync``): unsync page tables and their resync;
* ``tracker`` (``sim.tracking``): the write path, every guest store seen;
* inspection (``sim.inspection``): leaves, reachable pages, check(), stats().

Host memory is modelled as in ``sim.spte``: each shadow page has a made-up
host-physical address and guest frames are backed one-to-one. Zapping a page
directory zaps its unsync children first (mmu_zap_unsync_children()).

Knows: roles, quadrant rules, the write-path arithmetic and the guest's memory
and walk. Does not know: scenarios, views or widgets; it never changes the
guest's page tables except for the accessed/dirty bits, which KVM itself writes.
"""

from __future__ import annotations

from ..address import check_va
from ..consts import (
    ACC_ALL,
    NR_PAE_ROOTS,
    PAGE_SHIFT,
    PAGE_SIZE,
    PG_LEVEL_4K,
    PT32_ROOT_LEVEL,
    PT32E_ROOT_LEVEL,
)
from ..role import PageRole
from ..rules import Rule, get_rule
from . import fault, inspection, roots
from .cache import ShadowPageCache
from .events import RootObsolete, ShadowPageFault, ShadowWalkStep, TlbFlush
from .guest import Guest
from .shadow_page import Mismatch, MMUStats, ShadowPage
from .spte import (
    LARGE_SHIFT,
    SPTE_ADDR_MASK,
    SPTE_LARGE,
    SPTE_PRESENT,
    SPTE_USER,
    SPTE_WRITABLE,
)
from .sync import Sync
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
        self.host_large_pages = bool(host_large_pages)
        self.unsync_enabled = bool(unsync)
        self.tracing = bool(trace or keep_trace)
        self.trace_log: list | None = [] if keep_trace else None
        self.last_trace: tuple = ()
        self._trace: list | None = None
        self._depth = 0
        self._special = self.rule.roots == "special"
        self.cache = ShadowPageCache(self)  # the shadow-page cache and its indexes
        self.sync = Sync(self, self.cache)  # unsync and resync
        self.tracker = WriteTracker(self, self.cache)  # the write path
        self._child_roles: dict[tuple, PageRole] = {}
        # the current roots
        self.cr3: int | None = None
        self._pd_gfn = 0
        self.pae_root = [0] * NR_PAE_ROOTS
        self._roots: list[ShadowPage | None] = [None] * NR_PAE_ROOTS
        self._special_root: ShadowPage | None = None
        self._obsolete_roots = 0  # roots in use zapped since the last (re)load
        # The sPTEs the CPU's walk starts from: pae_root, or the special PDPT page's.
        # Derivable, but _shadow_leaf() reads it on every access, and as a property
        # it cost the Linux-like benchmark close to 10%.
        self._pdpt: list = self.pae_root
        # statistics
        self.accesses = self.faults = self.guest_faults = 0
        self.writes_emulated = self.writes_unsync = self.writes_stored = self.writes_unprotected = 0
        self.sptes_zapped = self.pages_zapped = self.pages_synced = self.quadrant_skips = 0
        guest.attach(self)

    def detach(self) -> None:
        """Stop watching the guest's stores (the shadow state is left as it is)."""
        self.guest.detach(self)

    # -- tracing ---------------------------------------------------------------------

    def _enter(self) -> None:
        self._depth += 1
        if self._depth == 1 and self.tracing:
            self._trace = []

    def _exit(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self.tracing:
            self.last_trace = tuple(self._trace)
            if self.trace_log is not None:
                self.trace_log.extend(self._trace)
            self._trace = None

    def _emit(self, event) -> None:
        if self._trace is not None:
            self._trace.append(event)

    # -- the shadow-page cache -------------------------------------------------------

    def shadow_pages(self) -> list[ShadowPage]:
        """Every valid shadow page, the special PDPT page (special rules only) first.

        Pages nobody points at any more stay in the cache, as in KVM until the
        page is reclaimed; pages zapped whole (misaligned writes, flooding,
        unsync pages under a new page directory) are gone.
        """
        pages = sorted(self.cache.pages.values(),
                       key=lambda sp: (-sp.role.level, sp.gfn, sp.role.quadrant, sp.role.direct, sp.hpa))
        return ([self._special_root] if self._special_root else []) + pages

    # -- roots (shadowmmu.sim.roots) -------------------------------------------------

    def load_cr3(self, cr3: int) -> None:
        """A guest CR3 write: new roots (mmu_alloc_shadow_roots()), then a flush (kvm_mmu_sync_roots()).

        Cached pages are reused: loading a CR3 seen before finds its four page
        directories in the cache, and their children with them.
        """
        # The guest's own check, but any page directory will do: a CR3 the
        # builder never made (a hand-written one, say) is still a CR3.
        pd_gfn = self.guest.cr3_gfn(cr3, known=False)
        self._enter()
        try:
            self.cr3 = cr3
            self._pd_gfn = pd_gfn
            roots.alloc_roots(self)
            self.sync.sync_roots()
            self._emit(TlbFlush("cr3"))
        finally:
            self._exit()

    def _get_pd(self, i: int, va: int) -> ShadowPage:
        """The page directory for quarter i: a root, or (special rules) a child made on demand."""
        if not self._special:
            if self._roots[i] is None:
                roots.alloc_roots(self)
            return self._roots[i]
        parent = self._special_root
        role = fault.child_role(self, parent, i, va, False, ACC_ALL)
        return fault.get_child(self, parent, i, self._pd_gfn, role)

    # -- the fault path (shadowmmu.sim.fault) ---------------------------------------

    def _require_cr3(self) -> None:
        if self.cr3 is None:
            raise RuntimeError("no CR3 loaded: call load_cr3() first")

    def _shadow_leaf(self, va: int):
        """The CPU's walk of the shadow tables for va: (leaf sPTE, level, page, index) or None.

        Hardware, not KVM: CR3 -> pae_root[va >> 30] -> PAE PD -> PAE PT.
        """
        trace = self._trace
        i = va >> 30
        entry = self._pdpt[i]
        if trace is not None:
            trace.append(ShadowWalkStep(PT32E_ROOT_LEVEL, i, entry))
        if not entry & SPTE_PRESENT:
            return None
        pd = self.cache.by_hpa[entry & SPTE_ADDR_MASK]
        j = (va >> 21) & 0x1FF
        entry = pd.spt[j]
        if trace is not None:
            trace.append(ShadowWalkStep(PT32_ROOT_LEVEL, j, entry))
        if not entry & SPTE_PRESENT:
            return None
        if entry & SPTE_LARGE:
            return entry, PT32_ROOT_LEVEL, pd, j
        sp = self.cache.by_hpa[entry & SPTE_ADDR_MASK]
        k = (va >> PAGE_SHIFT) & 0x1FF
        entry = sp.spt[k]
        if trace is not None:
            trace.append(ShadowWalkStep(PG_LEVEL_4K, k, entry))
        if not entry & SPTE_PRESENT:
            return None
        return entry, PG_LEVEL_4K, sp, k

    @staticmethod
    def _leaf_gpa(spte: int, level: int, va: int) -> int:
        if level == PT32_ROOT_LEVEL:
            return (spte & SPTE_ADDR_MASK & ~((1 << LARGE_SHIFT) - 1)) | (va & ((1 << LARGE_SHIFT) - 1))
        return (spte & SPTE_ADDR_MASK) | (va & (PAGE_SIZE - 1))

    def translate(self, va: int) -> int | None:
        """The guest-physical address the shadow tables alone give va; None if they do not map it.

        No guest walk and no fault: this is what the CPU would use, stale or not.
        """
        check_va(va)
        if self.cr3 is None:
            return None
        found = self._shadow_leaf(va) if self._trace is None else self._untraced_leaf(va)
        return None if found is None else self._leaf_gpa(found[0], found[1], va)

    def _untraced_leaf(self, va: int):
        saved, self._trace = self._trace, None
        try:
            return self._shadow_leaf(va)
        finally:
            self._trace = saved

    def access(self, va: int, write: bool = False, user: bool = False) -> int:
        """A guest memory access: returns the guest-physical address, faulting the shadow in as needed.

        Raises GuestPageFault when the guest's own tables refuse the access
        (KVM would inject that #PF). A write to a write-tracked or protected
        table frame returns its gpa without making it writable: KVM would
        emulate the store; use guest_write(gpa, value) (or store()) to do it.
        """
        check_va(va)
        self._require_cr3()
        self._enter()
        try:
            self.accesses += 1
            self._reload_obsolete_roots()  # normally done already, as the store returned
            found = self._shadow_leaf(va)  # the CPU's walk: no KVM code runs
            if found is not None:
                spte = found[0]
                if (not write or spte & SPTE_WRITABLE) and (not user or spte & SPTE_USER):
                    return self._leaf_gpa(spte, found[1], va)
            # the hardware's error code: P (a present sPTE refused the access), W, U
            if self._trace is not None:
                self._trace.append(ShadowPageFault(va, (found is not None) | write << 1 | user << 2))
            return fault.page_fault(self, va, write, user)
        finally:
            self._exit()

    def store(self, va: int, value: int, size: int = 4, *, page_table_write: bool = True) -> int:
        """A guest store through va: access(va, write=True), then guest_write() at the gpa; returns it."""
        gpa = self.access(va, write=True)
        self.guest_write(gpa, value, size, page_table_write=page_table_write)
        return gpa

    def invlpg(self, va: int) -> None:
        """The guest's invlpg: resync the one sPTE for va if its page is unsync (kvm_mmu_invalidate_addr(), as in Linux 6.6)."""
        check_va(va)
        self._require_cr3()
        self._enter()
        try:
            self.sync.invalidate_addr(va)
            self._emit(TlbFlush("invlpg", va))
        finally:
            self._exit()

    def flush_tlb(self) -> None:
        """A full guest TLB flush (e.g. a CR4 write): resync every reachable unsync page."""
        self._require_cr3()
        self._enter()
        try:
            self.sync.sync_roots()
            self._emit(TlbFlush("full"))
        finally:
            self._exit()

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
        self._enter()
        try:
            if not page_table_write and self.tracker.retry_store(gpa, size, value):
                self._reload_obsolete_roots()  # the vCPU re-enters the guest before the re-run
            self.guest.store(gpa, value, size)
        finally:
            self._exit()

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
        self._enter()
        try:
            zapped = self.tracker.unprotect_page(gfn)
            self._reload_obsolete_roots()
        finally:
            self._exit()
        return zapped

    def track_store(self, gpa: int, size: int, value: int) -> None:
        """Called by the guest after every store (the page-track hook): the write path decides.

        If the store zapped a root in use, the vCPU's return to the guest
        frees and reloads its roots before the guest runs another instruction.
        """
        self.tracker.track_store(gpa, size, value)
        self._reload_obsolete_roots()

    # -- inspection and the bug lab (shadowmmu.sim.inspection) -----------------------

    def leaves(self):
        """Every present leaf reachable from the current roots as (va, size, spte), by address."""
        return inspection.leaves(self)

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
        return inspection.reachable_pages(self)

    def check(self, va: int | None = None, *, sync: bool = True) -> Mismatch | None:
        """The smallest VA where the shadow tables disagree with the guest's walk, or None:

            >>> find_misconception_example("mainline") is None
            True
            >>> find_misconception_example("halves").describe()
            'VA 0x00000000: shadow -> 0x2000, guest -> 0x1000 (shadow maps another frame)'

        See inspection.check(): every present leaf against the guest walk, after
        resyncing reachable unsync pages unless ``sync=False``; ``va`` checks one address.
        """
        return inspection.check(self, va, sync=sync)

    def stats(self) -> MMUStats:
        """What the MMU holds now and has done so far."""
        return inspection.stats(self)

    def _root_zapped(self, sp: ShadowPage) -> None:
        """A root in use was zapped: invalid now, and a request to free obsolete roots is pending."""
        self._obsolete_roots += 1
        self._emit(RootObsolete(sp.gfn, sp.role))

    def _reload_obsolete_roots(self) -> None:
        """Free and reload the roots if a store zapped one in use (roots.reload_obsolete_roots())."""
        if self._obsolete_roots:
            roots.reload_obsolete_roots(self)


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
