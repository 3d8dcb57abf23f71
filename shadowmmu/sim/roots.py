"""The shadow MMU's roots for a 32-bit non-PAE guest: pae_root, its four page directories, their reload.

A PAE shadow starts at ``pae_root``: four PDPTEs, one per GiB of guest VA, each
pointing at a level-2 shadow page for the guest's one page directory (the CR3
gfn) in the quadrant the rule gives it (mmu_alloc_shadow_roots()). With the
"special" rules of Lai Jiangshan's unmerged series the four entries belong to
one level-3 page of its own instead, outside the hash, whose page-directory
children are made on demand. When a store zaps a root in use, the next guest
entry frees all four and allocates them again
(kvm_mmu_free_obsolete_roots(), Linux 5.18+).

``Roots`` owns all of that state and every change to it: the CR3 and its
page directory's gfn, ``pae_root``, the root pages, the special PDPT page,
the count of roots zapped since the last load. The CPU's walk of the shadow
tables starts here too (``walk()``), as the hardware's does from CR3.

Knows: which roles the roots get and when they are reused or replaced; the
cache, the page getter (``sim.fault``), sync. Does not know: faults below the
page directories, the write path, or anything of scenarios, views or widgets.
"""

from __future__ import annotations

from ..consts import ACC_ALL, NR_PAE_ROOTS, PG_LEVEL_4K, PT32_ROOT_LEVEL, PT32E_ROOT_LEVEL
from ..role import root_role, shadow_index
from ..rules import Rule
from .cache import ShadowPageCache
from .events import RootObsolete, RootsFreed, RootsLoaded, ShadowWalkStep
from .fault import PageGetter
from .shadow_page import ShadowPage
from .spte import SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT
from .sync import Sync
from .tracer import Tracer


class Roots:
    """The roots of one ShadowMMU: ``pae_root`` (the PDPT the CPU walks from) and what hangs from it."""

    def __init__(self, cache: ShadowPageCache, getter: PageGetter, sync: Sync, tracer: Tracer,
                 rule: Rule) -> None:
        self._cache = cache
        self._getter = getter
        self._sync = sync
        self._tracer = tracer
        self._rule = rule
        self.special = rule.roots == "special"
        # Plain attributes, not read-only properties, because access() and the
        # fault path read them every time (a property cost ~5%); only this
        # class sets them (tests/sim/test_ownership.py checks no other module does).
        self.cr3: int | None = None  # the guest CR3 loaded last
        self.pd_gfn = 0  # the frame of the guest page directory it points at
        self.obsolete = 0  # roots in use zapped since the last (re)load: nonzero, a reload is pending
        self.pae_root = [0] * NR_PAE_ROOTS
        self._pds: list[ShadowPage | None] = [None] * NR_PAE_ROOTS
        self._special_root: ShadowPage | None = None
        # The sPTEs the CPU's walk starts from: pae_root, or the special PDPT page's.
        # Derivable, but walk() reads it on every access, and as a property
        # it cost the Linux-like benchmark close to 10%.
        self._pdpt: list = self.pae_root

    # read-only for the other parts: only alloc() changes it
    special_root = property(lambda self: self._special_root,
                            doc="The special rules' level-3 PDPT page (None for every other rule).")

    def pdpte(self, i: int) -> int:
        """Entry i of the PDPT the CPU walks from (pae_root's, or the special PDPT page's)."""
        return self._pdpt[i]

    def load(self, cr3: int, pd_gfn: int) -> None:
        """A CR3 load's half that is the roots': remember CR3, then mmu_alloc_shadow_roots()."""
        self.cr3 = cr3
        self.pd_gfn = pd_gfn
        self.alloc()

    def alloc(self) -> None:
        """mmu_alloc_shadow_roots() for a non-PAE guest: all four, the same gfn, quadrant from the rule."""
        cache = self._cache
        for sp in self._pds:
            if sp is not None:
                cache.free_root(sp)
        self.obsolete = 0
        self._pds = [None] * NR_PAE_ROOTS
        self.pae_root[:] = [0] * NR_PAE_ROOTS
        if self.special:
            old = self._special_root
            if old is not None:
                for index in range(NR_PAE_ROOTS):
                    cache.drop_spte(old, index)
                cache.forget(old)
            # Lai's one-off special root: a level-3 page of its own, not in the hash.
            self._special_root = cache.new_page(self.pd_gfn, root_role())
            self._special_root.root_count = 1
            self._pdpt = self._special_root.spt
        else:
            for i, role in enumerate(self._rule.pd_roles(root_role())):
                sp = self._getter.get(self.pd_gfn, role)
                sp.root_count += 1
                self._pds[i] = sp
                self.pae_root[i] = sp.hpa | SPTE_PRESENT
        self._tracer.emit(RootsLoaded(self.cr3, tuple(self._pdpt[:NR_PAE_ROOTS])))

    def get_pd(self, i: int, va: int) -> ShadowPage:
        """The page directory for quarter i: a root, or (special rules) a child made on demand."""
        if not self.special:
            if self._pds[i] is None:
                self.alloc()
            return self._pds[i]
        parent = self._special_root
        role = self._getter.child_role(parent, i, va, False, ACC_ALL)
        return self._getter.get_child(parent, i, self.pd_gfn, role)

    def current_pds(self) -> list[ShadowPage | None]:
        """The page directory of each quarter for the current CR3, linked or not (None: none cached).

        With the special rules the PDPT page is new at every CR3 load, but the
        page directories below it are cached and will be linked again, with
        their children, at the next fault in their quarter. So "reachable from
        the current roots" must mean these pages, linked yet or not, or a flush
        could miss an unsync child that the next fault makes visible again.
        """
        if not self.special:
            return list(self._pds)
        pds = []
        for i in range(NR_PAE_ROOTS):
            role = self._getter.child_role(self._special_root, i, i << 30, False, ACC_ALL)
            pds.append(self._cache.pages.get((self.pd_gfn, role)))
        return pds

    def root_zapped(self, sp: ShadowPage) -> None:
        """A root in use was zapped (the cache says so): invalid now, and a reload is pending."""
        self.obsolete += 1
        self._tracer.emit(RootObsolete(sp.gfn, sp.role))

    def reload_obsolete(self) -> None:
        """vcpu_enter_guest() with KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending (Linux 5.18+); nothing if none is.

        kvm_mmu_free_obsolete_roots() frees the current root: for a PAE shadow
        that is pae_root, which has no shadow page, so is_obsolete_root() counts
        it obsolete and kvm_mmu_free_roots() drops all four page directories
        (the zapped ones are freed with their last user). kvm_mmu_reload() ->
        kvm_mmu_load() then runs mmu_alloc_shadow_roots() and
        kvm_mmu_sync_roots(), as a CR3 load does: valid directories are found
        again in the cache, the zapped quarters get new, empty ones.
        """
        if not self.obsolete:
            return
        self._tracer.emit(RootsFreed(sum(sp is not None for sp in self._pds), self.obsolete))
        self.alloc()
        self._sync.sync_roots(self.current_pds())

    def walk(self, va: int, traced: bool = True):
        """The CPU's walk of the shadow tables for va: (leaf sPTE, level, page, index) or None.

        Hardware, not KVM: CR3 -> pae_root[va >> 30] -> PAE PD -> PAE PT. Each
        level read is a ShadowWalkStep (walker "cpu") if a trace is open and
        ``traced``.
        """
        tracer = self._tracer if traced and self._tracer.events is not None else None
        i = shadow_index(va, PT32E_ROOT_LEVEL)
        entry = self._pdpt[i]
        if tracer is not None:
            tracer.emit(ShadowWalkStep(PT32E_ROOT_LEVEL, i, entry))
        if not entry & SPTE_PRESENT:
            return None
        by_hpa = self._cache.by_hpa
        pd = by_hpa[entry & SPTE_ADDR_MASK]
        j = shadow_index(va, PT32_ROOT_LEVEL)
        entry = pd.spt[j]
        if tracer is not None:
            tracer.emit(ShadowWalkStep(PT32_ROOT_LEVEL, j, entry))
        if not entry & SPTE_PRESENT:
            return None
        if entry & SPTE_LARGE:
            return entry, PT32_ROOT_LEVEL, pd, j
        sp = by_hpa[entry & SPTE_ADDR_MASK]
        k = shadow_index(va, PG_LEVEL_4K)
        entry = sp.spt[k]
        if tracer is not None:
            tracer.emit(ShadowWalkStep(PG_LEVEL_4K, k, entry))
        if not entry & SPTE_PRESENT:
            return None
        return entry, PG_LEVEL_4K, sp, k
