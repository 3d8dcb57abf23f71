"""The shadow-page cache (mmu_page_hash): pages by (gfn, role), rmaps, write tracking, zapping, unprotecting.

What it holds, in the kernel's names: every valid shadow page keyed by (gfn,
role), as kvm_mmu_find_shadow_page() looks them up, and by host-physical
address; per gfn the pages that shadow a guest table there
(``gfn_pages``), the write-track count (__kvm_write_track_add_gfn(): a guest
PD's every store is emulated) and the "no large page over it" count; and the
reverse maps from a gfn to the leaf sPTEs that map it (``rmap`` for 4 KiB,
``large_rmap`` per 2 MiB frame). A gfn shadowed by a page with gPTEs is
write-protected while none of its shadow pages is unsync: no leaf sPTE maps it
writable.

The one simplification worth knowing: when a gfn inside a 2 MiB leaf becomes
a shadowed table, KVM write-protects the large sPTE and keeps serving reads
through it until a write fault splits it; we zap the large leaf at once, so
the next access to that 2 MiB range, read or write, faults and maps it with
4 KiB sPTEs. The state after the split is the same; the model just faults
one read earlier than KVM may.

It owns its counters (``sptes_zapped``, ``pages_zapped``) and reports its
steps to the MMU's tracer. A root in use that a zap invalidates is handed to
``root_zapped`` (the roots' owner, ``sim.roots``, keeps the pending reload).

Knows: shadow pages, the sPTE layout, the tracer. Does not know: the guest,
rules, faults, sync, the roots.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE, PG_LEVEL_4K, SPTE_ENT_PER_PAGE
from collections.abc import Callable

from ..role import PageRole, spte_index
from .events import ShadowPageCreated, ShadowPageZapped, SpteInstalled, SpteZapped, WriteProtect
from .shadow_page import ShadowPage
from .tracer import Tracer
from .spte import (
    LARGE_SHIFT,
    SHADOW_HPA_BASE,
    SPTE_ADDR_MASK,
    SPTE_LARGE,
    SPTE_PRESENT,
    SPTE_WRITABLE,
    SPTE_WRITE_BITS,
    leaf_spte,
    link_spte,
)


#: ShadowPageZapped.reason for a page zapped by unprotect_page().
UNPROTECT_REASON = "kvm_mmu_unprotect_page()"


class ShadowPageCache:
    """The cache one ShadowMMU owns: its pages and indexes, the sPTEs in them, its counters.

    ``tracer`` gets its events; ``root_zapped(sp)`` is called when a zap
    invalidates a page some root still uses (None: nobody is told).
    """

    def __init__(self, tracer: Tracer, root_zapped: Callable[[ShadowPage], None] | None = None) -> None:
        self._tracer = tracer
        self._root_zapped = root_zapped
        self.sptes_zapped = 0  # sPTEs dropped for a reason the trace names
        self.pages_zapped = 0
        self.pages: dict[tuple[int, PageRole], ShadowPage] = {}  # mmu_page_hash
        self.by_hpa: dict[int, ShadowPage] = {}
        self.gfn_pages: dict[int, list[ShadowPage]] = {}  # valid pages with gPTEs, per gfn
        self.write_track: dict[int, int] = {}  # gfn_write_track
        self.disallow_lpage: dict[int, int] = {}  # per 2 MiB frame (gfn >> 9)
        # gfn -> sptep(s) of 4 KiB leaves. Tuples, not lists: the cyclic GC stops
        # tracking a tuple of ints, and with a million mapped gfns (the 4 GiB
        # benchmark) lists cost some 15% more fault time in GC passes and 50 MiB.
        self.rmap: dict[int, tuple[int, ...]] = {}
        self.large_rmap: dict[int, list[int]] = {}  # gfn >> 9 -> sptep(s) of 2 MiB leaves
        self.next_hpa = SHADOW_HPA_BASE

    def sptep_to_sp(self, sptep: int) -> ShadowPage:
        """sptep_to_sp(): the shadow page an sPTE address lies in."""
        return self.by_hpa[sptep & ~(PAGE_SIZE - 1)]

    def new_page(self, gfn: int, role: PageRole) -> ShadowPage:
        """A page with the next made-up hpa, found by hpa but not in the hash (the special PDPT page)."""
        sp = ShadowPage(gfn, role, self.next_hpa)
        self.next_hpa += PAGE_SIZE
        self.by_hpa[sp.hpa] = sp
        return sp

    def alloc_page(self, gfn: int, role: PageRole) -> ShadowPage:
        """kvm_mmu_alloc_shadow_page(): a new page in the hash, its gfn accounted if it has gPTEs."""
        sp = self.new_page(gfn, role)
        if not role.direct and role.level == PG_LEVEL_4K:
            sp.gptes = [0] * SPTE_ENT_PER_PAGE
        self.pages[(gfn, role)] = sp
        self._tracer.emit(ShadowPageCreated(gfn, role, sp.hpa))
        if sp.has_gptes:
            self.account_shadowed(sp)
        return sp

    def forget(self, sp: ShadowPage) -> None:
        """Free a page outside the hash (the special PDPT page): its hpa leads nowhere any more."""
        del self.by_hpa[sp.hpa]

    def account_shadowed(self, sp: ShadowPage) -> None:
        """account_shadowed(): track (PD) or write-protect (PT) the gfn; no large pages over it."""
        gfn = sp.gfn
        self.gfn_pages.setdefault(gfn, []).append(sp)
        if sp.role.level > PG_LEVEL_4K:
            self.write_track[gfn] = self.write_track.get(gfn, 0) + 1
        self.disallow_lpage[gfn >> 9] = self.disallow_lpage.get(gfn >> 9, 0) + 1
        for sptep in list(self.large_rmap.get(gfn >> 9, ())):
            parent = self.sptep_to_sp(sptep)
            self.drop_spte(parent, spte_index(sptep),
                            "2 MiB leaf over a new shadowed table")
        self.write_protect(gfn)

    def unaccount_shadowed(self, sp: ShadowPage) -> None:
        gfn = sp.gfn
        pages = self.gfn_pages[gfn]
        pages.remove(sp)
        if not pages:
            del self.gfn_pages[gfn]
        if sp.role.level > PG_LEVEL_4K:
            self._decrement(self.write_track, gfn)
        self._decrement(self.disallow_lpage, gfn >> 9)

    @staticmethod
    def _decrement(counts: dict, key: int) -> None:
        counts[key] -= 1
        if not counts[key]:
            del counts[key]

    def is_protected(self, gfn: int) -> bool:
        """No leaf may map gfn writable: it is write-tracked, or a page table with a sync shadow page."""
        pages = self.gfn_pages.get(gfn)
        if not pages:
            return False
        return gfn in self.write_track or any(not sp.unsync for sp in pages)

    def write_protect(self, gfn: int) -> None:
        """kvm_mmu_slot_gfn_write_protect(): drop W and MMU-writable from every 4 KiB leaf mapping gfn."""
        if not self.is_protected(gfn):
            return
        count = 0
        for sptep in self.rmap.get(gfn, ()):
            sp = self.sptep_to_sp(sptep)
            index = spte_index(sptep)
            if sp.spt[index] & SPTE_WRITABLE:
                sp.spt[index] &= ~SPTE_WRITE_BITS
                count += 1
        if count:
            self._tracer.emit(WriteProtect(gfn, count))

    def _rmap_remove(self, gfn: int, sptep: int) -> None:
        spteps = self.rmap.pop(gfn)
        if len(spteps) > 1:
            i = spteps.index(sptep)
            self.rmap[gfn] = spteps[:i] + spteps[i + 1:]

    def drop_spte(self, sp: ShadowPage, index: int, reason: str | None = None) -> None:
        """mmu_page_zap_pte(): clear one sPTE; a link forgets its child, a leaf its rmap entry."""
        old = sp.spt[index]
        if not old & SPTE_PRESENT:
            return
        sp.spt[index] = 0
        sptep = sp.sptep(index)
        if sp.role.level == PG_LEVEL_4K:
            self._rmap_remove((old & SPTE_ADDR_MASK) >> PAGE_SHIFT, sptep)
        elif old & SPTE_LARGE:
            self.large_rmap[(old & SPTE_ADDR_MASK) >> LARGE_SHIFT].remove(sptep)
        else:
            self.by_hpa[old & SPTE_ADDR_MASK].parent_ptes.discard(sptep)
        if reason is not None:
            self.sptes_zapped += 1
            self._tracer.emit(SpteZapped(sp.gfn, sp.role, index, old, reason))

    def link(self, parent: ShadowPage, index: int, child: ShadowPage) -> None:
        """link_shadow_page(): point parent's entry at child."""
        spte = link_spte(child.hpa)
        parent.spt[index] = spte
        child.parent_ptes.add(parent.sptep(index))
        self._tracer.emit(SpteInstalled(parent.gfn, parent.role, index, spte, "link"))

    def set_leaf(self, sp: ShadowPage, index: int, gfn: int, writable: bool, user: bool,
                  gpte: int | None) -> None:
        """mmu_set_spte() for a 4 KiB leaf: host pfn = gfn (identity backing)."""
        if sp.spt[index] & SPTE_PRESENT:
            self.drop_spte(sp, index)
        spte = leaf_spte(gfn, writable, user)
        sp.spt[index] = spte
        self.rmap[gfn] = self.rmap.get(gfn, ()) + (sp.sptep(index),)
        if sp.gptes is not None:
            sp.gptes[index] = gpte
        if self._tracer.events is not None:
            self._tracer.emit(SpteInstalled(sp.gfn, sp.role, index, spte, "leaf"))

    def set_large_leaf(self, pd: ShadowPage, index: int, gfn: int, writable: bool,
                        user: bool) -> None:
        """A 2 MiB leaf sPTE in a page directory (one half of a guest 4 MiB page)."""
        self.drop_spte(pd, index)
        spte = leaf_spte(gfn, writable, user, large=True)
        pd.spt[index] = spte
        self.large_rmap.setdefault(gfn >> 9, []).append(pd.sptep(index))
        self._tracer.emit(SpteInstalled(pd.gfn, pd.role, index, spte, "leaf 2M"))

    def free_root(self, sp: ShadowPage) -> None:
        """mmu_free_root_page(): one user fewer; an invalid (zapped) root with none left is freed."""
        sp.root_count -= 1
        if not sp.root_count and not sp.valid:
            del self.by_hpa[sp.hpa]

    def zap_page(self, sp: ShadowPage, reason: str) -> None:
        """kvm_mmu_prepare_zap_page(): empty the page, unlink it everywhere, drop it from the cache.

        A root in use (root_count > 0) is emptied and marked invalid but not
        freed: pae_root still points at it until the vCPU's next entry
        frees and reloads its roots (``Roots.reload_obsolete()``), which
        ``root_zapped`` tells.
        """
        if not sp.valid:
            return
        sp.valid = False
        if sp.role.level > PG_LEVEL_4K:
            self._zap_unsync_children(sp)
        for index, spte in enumerate(sp.spt):
            if spte & SPTE_PRESENT:
                self.drop_spte(sp, index)
        for sptep in list(sp.parent_ptes):
            parent = self.sptep_to_sp(sptep)
            self.drop_spte(parent, spte_index(sptep))
        del self.pages[(sp.gfn, sp.role)]  # lookups skip invalid pages (for_each_valid_sp)
        if sp.root_count:
            # __kvm_mmu_prepare_zap_page(): a root in use stays until its last user drops it
            if self._root_zapped is not None:
                self._root_zapped(sp)
        else:
            del self.by_hpa[sp.hpa]
        if sp.has_gptes:
            self.unaccount_shadowed(sp)
        self.pages_zapped += 1
        self._tracer.emit(ShadowPageZapped(sp.gfn, sp.role, reason))

    def unprotect_page(self, gfn: int) -> int:
        """kvm_mmu_unprotect_page() (Linux 6.10): zap every valid shadow page with gPTEs of gfn; how many.

        The kernel walks for_each_gfn_valid_sp_with_gptes() (direct pages of
        the gfn are left alone), zaps each page and returns only whether it
        found any; we return the count. With them goes the gfn's write
        tracking and protection, so the guest's next store to it lands
        (after one more fault that maps it writable). Unsync children of a
        zapped page directory go too (other gfns, not counted); a zapped
        root in use waits, invalid, for the MMU to reload its roots.
        """
        zapped = 0
        for sp in list(self.gfn_pages.get(gfn, ())):
            if sp.valid:
                self.zap_page(sp, UNPROTECT_REASON)
                zapped += 1
        return zapped

    def _zap_unsync_children(self, sp: ShadowPage) -> None:
        """mmu_zap_unsync_children(): zap every unsync page below sp before sp goes.

        __kvm_mmu_prepare_zap_page() (Linux 6.x) does this first, so an unsync
        page never outlives the directory it hung from: nobody could flush it.
        """
        for spte in sp.spt:
            if not spte & SPTE_PRESENT or spte & SPTE_LARGE:
                continue
            child = self.by_hpa[spte & SPTE_ADDR_MASK]
            if child.unsync:
                self.zap_page(child, "unsync child of a zapped page")
            elif child.role.level > PG_LEVEL_4K:
                self._zap_unsync_children(child)
