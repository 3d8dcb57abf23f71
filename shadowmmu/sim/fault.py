"""The fault path: FNAME(page_fault) -> FNAME(fetch), shadow pages found or created on the way.

The order is the hardware's and KVM's. ``access()`` (in ``mmu``) first walks
the shadow tables as the CPU does, with no KVM code involved. A miss or a
permission failure is a #PF that exits to KVM (``ShadowPageFault``). Then, as
FNAME(page_fault) does: we walk the guest tables (FNAME(walk_addr) ->
FNAME(walk_addr_generic)), inject GuestPageFault if they refuse, set A/D in
guest memory (FNAME(update_accessed_dirty_bits)) and then, like FNAME(fetch),
walk the shadow tables again from the root, ``pae_root[va >> 30]``
(shadow_walk_init_using_root()), creating each missing child with the
rule's child_role() and installing the leaf. Shadow pages come from the
cache keyed by (gfn, role), as kvm_mmu_find_shadow_page() looks them up:
found again after a CR3 switch, shared between address spaces that share a
guest page table.

A writable gPTE with D clear gives a read-only sPTE (FNAME(protect_clean_gpte)):
the guest's first write through it faults again, and that fault sets D in
the gPTE and installs a writable sPTE, so D is set exactly when the guest
has written.

Two parts, each with its own state: ``PageGetter`` gets the shadow page for
a (gfn, role), cached or new, and links children (it owns the memo of the
rule's child roles); ``FaultPath`` runs a fault (it owns the fault counters).
The roots (``sim.roots``) use the first; the second uses both.

Knows: the guest's walk, the rule, the cache, sync (a cached unsync page is
resynced when found), the roots' page directories. Does not know: the write
path, inspection, views.
"""

from __future__ import annotations

from ..consts import (
    ACC_EXEC_MASK,
    ACC_USER_MASK,
    ACC_WRITE_MASK,
    PAGE_SHIFT,
    PG_LEVEL_4K,
    PT32_ROOT_LEVEL,
    PT32E_ROOT_LEVEL,
    PT_ACCESSED_MASK,
    PT_DIRTY_MASK,
    PT_USER_MASK,
    PT_WRITABLE_MASK,
)
from ..role import PageRole, shadow_index
from ..rules import Rule
from .cache import ShadowPageCache
from .events import GuestFaultInjected, ShadowPageFound, ShadowWalkStep
from .guest import Guest
from .paging32 import GuestPageFault, GuestWalk
from .shadow_page import ShadowPage
from .spte import LARGE_GFNS, SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT
from .sync import Sync
from .tracer import Tracer


def _gpte_access(entry: int) -> int:
    """ACC_* bits a guest entry grants (a 32-bit non-PAE guest has no NX: always exec)."""
    return (ACC_EXEC_MASK | (ACC_WRITE_MASK if entry & PT_WRITABLE_MASK else 0)
            | (ACC_USER_MASK if entry & PT_USER_MASK else 0))


class PageGetter:
    """kvm_mmu_get_shadow_page(), kvm_mmu_get_child_sp() and the rule's child roles, for one ShadowMMU."""

    def __init__(self, cache: ShadowPageCache, sync: Sync, tracer: Tracer, rule: Rule) -> None:
        self._cache = cache
        self._sync = sync
        self._tracer = tracer
        self._rule = rule
        self._child_roles: dict[tuple, PageRole] = {}

    def get(self, gfn: int, role: PageRole) -> ShadowPage:
        """kvm_mmu_get_shadow_page(): the cached page for (gfn, role), or a new one.

        A cached unsync page is resynced (kvm_mmu_find_shadow_page() ->
        kvm_sync_page(), Linux 6.x) but stays unsync and its frame stays
        writable: only the guest's flush write-protects it (Sync.sync_children()).
        """
        cache = self._cache
        sp = cache.pages.get((gfn, role))
        if sp is not None:
            sp.write_flooding_count = 0
            if sp.unsync:
                self._sync.sync_sptes(sp)
            self._tracer.emit(ShadowPageFound(gfn, role, sp.hpa))
            return sp
        if role.level > PG_LEVEL_4K and not role.direct:
            # The gfn is about to be write-tracked: its unsync pages cannot stay.
            for other in list(cache.gfn_pages.get(gfn, ())):
                if other.unsync:
                    cache.zap_page(other, "unsync page under a new page directory")
        return cache.alloc_page(gfn, role)

    def child_role(self, parent: ShadowPage, index: int, va: int, direct: bool, access: int) -> PageRole:
        """The rule's child_role(), memoised per (parent page, entry, VA bits 31:21, direct, access)."""
        key = (parent.hpa, index, va >> 21, direct, access)
        role = self._child_roles.get(key)
        if role is None:
            role = self._child_roles[key] = self._rule.child_role(
                parent.role, index, va=va, direct=direct, access=access)
        return role

    def get_child(self, parent: ShadowPage, index: int, gfn: int, role: PageRole) -> ShadowPage:
        """kvm_mmu_get_child_sp(): follow the entry if it leads to (gfn, role), else replace it.

        Comparing gfn *and* role before reusing an existing child comes from
        the 2026 use-after-free fixes (0cb2af2ea66ad for the gfn, 81ccda30b4e8,
        v7.2-rc1, for the role); older kernels followed any present non-leaf
        entry. For a direct child FNAME(fetch) (Linux 6.x) already drops a link
        whose child has another role.access, in validate_direct_spte(): a clean
        guest 4 MiB page read first and written later needs a new child.
        """
        cache = self._cache
        entry = parent.spt[index]
        if entry & SPTE_PRESENT:
            if not entry & SPTE_LARGE:
                child = cache.by_hpa[entry & SPTE_ADDR_MASK]
                if child.gfn == gfn and (child.role is role or child.role == role):
                    return child
                if role.direct and child.role.direct and child.gfn == gfn:
                    # validate_direct_spte() (Linux 6.x): same range, other access
                    cache.drop_spte(parent, index, "direct child with other access")
                    entry = 0
            if entry:
                cache.drop_spte(parent, index, "entry leads elsewhere")
        child = self.get(gfn, role)
        cache.link(parent, index, child)
        return child


class OutsideGuestMemory(ValueError):
    """The guest's tables map va to a gpa no guest memory backs (no memslot).

    KVM would emulate such an access as MMIO and exit to user space; this
    model does not, so the access stops here with no sPTE installed:

        >>> str(OutsideGuestMemory(0x1000, 0x2000000, 16 << 20))[:52]
        'va 0x00001000 maps to gpa 0x2000000, outside guest m'
    """

    def __init__(self, va: int, gpa: int, mem_size: int):
        self.va, self.gpa = va, gpa
        super().__init__(f"va 0x{va:08x} maps to gpa 0x{gpa:x}, outside guest memory "
                         f"(0..0x{mem_size - 1:x}): KVM would emulate it as MMIO, "
                         f"which this model does not; no sPTE was installed")


class FaultPath:
    """The fault path of one ShadowMMU: FNAME(page_fault) and FNAME(fetch), and how often they ran.

    ``roots`` is the MMU's ``sim.roots.Roots`` (not imported here: it imports this
    module for PageGetter), which gives the page directory of each quarter;
    ``host_large_pages`` and ``unsync`` are the MMU's switches of those names.
    """

    def __init__(self, guest: Guest, cache: ShadowPageCache, sync: Sync, getter: PageGetter, roots,
                 tracer: Tracer, *, host_large_pages: bool = True, unsync: bool = True) -> None:
        self._guest = guest
        self._cache = cache
        self._sync = sync
        self._getter = getter
        self._roots = roots
        self._tracer = tracer
        self.host_large_pages = bool(host_large_pages)
        self.unsync_enabled = bool(unsync)
        self.faults = self.guest_faults = 0

    def page_fault(self, va: int, write: bool, user: bool) -> int:
        """kvm_mmu_page_fault() -> FNAME(page_fault): guest walk, A/D bits, then FNAME(fetch)."""
        self.faults += 1
        guest = self._guest
        try:
            walk = guest.walk_entries(self._roots.pd_gfn, va, write, user)
        except GuestPageFault as err:
            self.guest_faults += 1
            self._tracer.emit(GuestFaultInjected(va, err.reason))
            raise
        pde, pte = walk.pde, walk.pte
        # FNAME(update_accessed_dirty_bits): KVM writes guest memory itself, untracked.
        if not pde & PT_ACCESSED_MASK:
            pde |= PT_ACCESSED_MASK
            guest.update_entry(walk.pde_gpa, pde)
        leaf_gpa, leaf = (walk.pde_gpa, pde) if walk.pte_gpa is None else (walk.pte_gpa, pte)
        new_leaf = leaf | PT_ACCESSED_MASK | (PT_DIRTY_MASK if write else 0)
        if new_leaf != leaf:
            guest.update_entry(leaf_gpa, new_leaf)
            if walk.pte_gpa is None:
                pde = new_leaf
            else:
                pte = new_leaf
        gpa = walk.gpa
        if self._tracer.events is not None:
            self._tracer.extend(GuestWalk(va, gpa, walk.level, walk.pde_gpa, pde, walk.pte_gpa, pte,
                                          walk.writable, walk.user).steps)
        if gpa >= guest.mem_size:
            # No memslot: KVM would emulate the access as MMIO and exit to user
            # space (the A/D bits above are already set, as the walk sets them).
            raise OutsideGuestMemory(va, gpa, guest.mem_size)
        self.fetch(va, gpa, pde, pte, walk.writable, walk.user)
        return gpa

    def fetch(self, va: int, gpa: int, pde: int, pte: int | None, can_w: bool, can_u: bool) -> None:
        """FNAME(fetch): walk the shadow from pae_root[va >> 30], create what is missing, install the leaf.

        Each level it reads is a ShadowWalkStep with walker "fetch": the walk
        starts at the root with shadow_walk_init_using_root(), after the guest walk.
        """
        cache, getter, tracer = self._cache, self._getter, self._tracer
        tracing = tracer.events is not None  # when not tracing, build no events at all
        i = shadow_index(va, PT32E_ROOT_LEVEL)
        if tracing:
            tracer.emit(ShadowWalkStep(PT32E_ROOT_LEVEL, i, self._roots.pdpte(i), "fetch"))
        pd = self._roots.get_pd(i, va)
        pd.write_flooding_count = 0  # clear_sp_write_flooding_count()
        j = shadow_index(va, PT32_ROOT_LEVEL)
        if tracing:
            tracer.emit(ShadowWalkStep(PT32_ROOT_LEVEL, j, pd.spt[j], "fetch"))
        gfn = gpa >> PAGE_SHIFT
        leaf = pde if pte is None else pte
        # FNAME(protect_clean_gpte): a clean gPTE maps read-only, so the first write sets D.
        writable = can_w and bool(leaf & PT_DIRTY_MASK)
        access = _gpte_access(pde)
        if pte is None:  # a guest 4 MiB page: two 2 MiB halves
            half = gfn & ~(LARGE_GFNS - 1)
            if self.host_large_pages and not cache.disallow_lpage.get(half >> 9):
                cache.set_large_leaf(pd, j, half, writable, can_u)
                return
            # direct_access is the walker's pte_access, which FNAME(protect_clean_gpte)
            # stripped of W on a read fault through a clean PDE: once a write sets D
            # the half needs another child (validate_direct_spte() drops the link).
            if not pde & PT_DIRTY_MASK:
                access &= ~ACC_WRITE_MASK
            sp = getter.get_child(pd, j, half, getter.child_role(pd, j, va, True, access))
        else:
            sp = getter.get_child(pd, j, pde >> PAGE_SHIFT, getter.child_role(pd, j, va, False, access))
        if writable and cache.is_protected(gfn):
            # make_spte() -> mmu_try_to_unsync_pages(): a page table may go unsync, a PD never.
            if self.unsync_enabled and gfn not in cache.write_track:
                self._sync.unsync_gfn(gfn)
            else:
                writable = False
        k = shadow_index(va, PG_LEVEL_4K)
        if tracing:
            tracer.emit(ShadowWalkStep(PG_LEVEL_4K, k, sp.spt[k], "fetch"))
        cache.set_leaf(sp, k, gfn, writable, can_u, pte)
