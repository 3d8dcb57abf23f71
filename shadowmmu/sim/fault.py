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

Knows: the guest's walk, the rule, the cache, sync (a cached unsync page is
resynced when found). Does not know: the write path, inspection, views.
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
    SPTE_ENT_PER_PAGE,
)
from ..role import PageRole
from .events import GuestFaultInjected, ShadowPageCreated, ShadowPageFound, ShadowWalkStep
from .paging32 import GuestPageFault, GuestWalk
from .shadow_page import ShadowPage
from .spte import LARGE_GFNS, SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT


def _gpte_access(entry: int) -> int:
    """ACC_* bits a guest entry grants (a 32-bit non-PAE guest has no NX: always exec)."""
    return (ACC_EXEC_MASK | (ACC_WRITE_MASK if entry & PT_WRITABLE_MASK else 0)
            | (ACC_USER_MASK if entry & PT_USER_MASK else 0))


def find_or_create(mmu, gfn: int, role: PageRole) -> ShadowPage:
    """kvm_mmu_get_shadow_page(): the cached page for (gfn, role), or a new one.

    A cached unsync page is resynced (kvm_mmu_find_shadow_page() ->
    kvm_sync_page(), Linux 6.x) but stays unsync and its frame stays
    writable: only the guest's flush write-protects it (_sync_roots()).
    """
    sp = mmu.cache.pages.get((gfn, role))
    if sp is not None:
        sp.write_flooding_count = 0
        if sp.unsync:
            mmu.sync.sync_sptes(sp)
        mmu._emit(ShadowPageFound(gfn, role, sp.hpa))
        return sp
    if role.level > PG_LEVEL_4K and not role.direct:
        # The gfn is about to be write-tracked: its unsync pages cannot stay.
        for other in list(mmu.cache.gfn_pages.get(gfn, ())):
            if other.unsync:
                mmu.cache.zap_page(other, "unsync page under a new page directory")
    sp = mmu.cache.new_page(gfn, role)
    if not role.direct and role.level == PG_LEVEL_4K:
        sp.gptes = [0] * SPTE_ENT_PER_PAGE
    mmu.cache.pages[(gfn, role)] = sp
    mmu._emit(ShadowPageCreated(gfn, role, sp.hpa))
    if sp.has_gptes:
        mmu.cache.account_shadowed(sp)
    return sp


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


def page_fault(mmu, va: int, write: bool, user: bool) -> int:
    """kvm_mmu_page_fault() -> FNAME(page_fault): guest walk, A/D bits, then FNAME(fetch)."""
    mmu.faults += 1
    guest = mmu.guest
    try:
        gpa, level, pde_gpa, pde, pte_gpa, pte, can_w, can_u = guest.walk_entries(
            mmu._pd_gfn, va, write, user)
    except GuestPageFault as err:
        mmu.guest_faults += 1
        mmu._emit(GuestFaultInjected(va, err.reason))
        raise
    # FNAME(update_accessed_dirty_bits): KVM writes guest memory itself, untracked.
    if not pde & PT_ACCESSED_MASK:
        pde |= PT_ACCESSED_MASK
        guest.update_entry(pde_gpa, pde)
    leaf_gpa, leaf = (pde_gpa, pde) if pte_gpa is None else (pte_gpa, pte)
    new_leaf = leaf | PT_ACCESSED_MASK | (PT_DIRTY_MASK if write else 0)
    if new_leaf != leaf:
        guest.update_entry(leaf_gpa, new_leaf)
        if pte_gpa is None:
            pde = new_leaf
        else:
            pte = new_leaf
    if mmu._trace is not None:
        mmu._trace.extend(GuestWalk(va, gpa, level, pde_gpa, pde, pte_gpa, pte, can_w, can_u).steps)
    if gpa >= guest.mem_size:
        # No memslot: KVM would emulate the access as MMIO and exit to user
        # space (the A/D bits above are already set, as the walk sets them).
        raise OutsideGuestMemory(va, gpa, guest.mem_size)
    fetch(mmu, va, gpa, pde, pte, can_w, can_u)
    return gpa


def child_role(mmu, parent: ShadowPage, index: int, va: int, direct: bool, access: int) -> PageRole:
    """The rule's child_role(), memoised per (parent page, entry, VA bits 31:21, direct, access)."""
    key = (parent.hpa, index, va >> 21, direct, access)
    role = mmu._child_roles.get(key)
    if role is None:
        role = mmu._child_roles[key] = mmu.rule.child_role(
            parent.role, index, va=va, direct=direct, access=access)
    return role


def get_child(mmu, parent: ShadowPage, index: int, gfn: int, role: PageRole) -> ShadowPage:
    """kvm_mmu_get_child_sp(): follow the entry if it leads to (gfn, role), else replace it.

    Comparing gfn *and* role before reusing an existing child comes from
    the 2026 use-after-free fixes (0cb2af2ea66ad for the gfn, 81ccda30b4e8,
    v7.2-rc1, for the role); older kernels followed any present non-leaf
    entry. For a direct child FNAME(fetch) (Linux 6.x) already drops a link
    whose child has another role.access, in validate_direct_spte(): a clean
    guest 4 MiB page read first and written later needs a new child.
    """
    entry = parent.spt[index]
    if entry & SPTE_PRESENT:
        if not entry & SPTE_LARGE:
            child = mmu.cache.by_hpa[entry & SPTE_ADDR_MASK]
            if child.gfn == gfn and (child.role is role or child.role == role):
                return child
            if role.direct and child.role.direct and child.gfn == gfn:
                # validate_direct_spte() (Linux 6.x): same range, other access
                mmu.cache.drop_spte(parent, index, "direct child with other access")
                entry = 0
        if entry:
            mmu.cache.drop_spte(parent, index, "entry leads elsewhere")
    child = find_or_create(mmu, gfn, role)
    mmu.cache.link(parent, index, child)
    return child


def fetch(mmu, va: int, gpa: int, pde: int, pte: int | None, can_w: bool, can_u: bool) -> None:
    """FNAME(fetch): walk the shadow from pae_root[va >> 30], create what is missing, install the leaf.

    Each level it reads is a ShadowWalkStep with walker "fetch": the walk
    starts at the root with shadow_walk_init_using_root(), after the guest walk.
    """
    i = va >> 30
    trace = mmu._trace  # None when not tracing: build no events at all
    if trace is not None:
        trace.append(ShadowWalkStep(PT32E_ROOT_LEVEL, i, mmu._pdpt[i], "fetch"))
    pd = mmu._get_pd(i, va)
    pd.write_flooding_count = 0  # clear_sp_write_flooding_count()
    j = (va >> 21) & 0x1FF
    if trace is not None:
        trace.append(ShadowWalkStep(PT32_ROOT_LEVEL, j, pd.spt[j], "fetch"))
    gfn = gpa >> PAGE_SHIFT
    leaf = pde if pte is None else pte
    # FNAME(protect_clean_gpte): a clean gPTE maps read-only, so the first write sets D.
    writable = can_w and bool(leaf & PT_DIRTY_MASK)
    access = _gpte_access(pde)
    if pte is None:  # a guest 4 MiB page: two 2 MiB halves
        half = gfn & ~(LARGE_GFNS - 1)
        if mmu.host_large_pages and not mmu.cache.disallow_lpage.get(half >> 9):
            mmu.cache.set_large_leaf(pd, j, half, writable, can_u)
            return
        # direct_access is the walker's pte_access, which FNAME(protect_clean_gpte)
        # stripped of W on a read fault through a clean PDE: once a write sets D
        # the half needs another child (validate_direct_spte() drops the link).
        if not pde & PT_DIRTY_MASK:
            access &= ~ACC_WRITE_MASK
        sp = get_child(mmu, pd, j, half, child_role(mmu, pd, j, va, True, access))
    else:
        sp = get_child(mmu, pd, j, pde >> PAGE_SHIFT, child_role(mmu, pd, j, va, False, access))
    if writable and mmu.cache.is_protected(gfn):
        # make_spte() -> mmu_try_to_unsync_pages(): a page table may go unsync, a PD never.
        if mmu.unsync_enabled and gfn not in mmu.cache.write_track:
            mmu.sync.unsync_gfn(gfn)
        else:
            writable = False
    k = (va >> PAGE_SHIFT) & 0x1FF
    if trace is not None:
        trace.append(ShadowWalkStep(PG_LEVEL_4K, k, sp.spt[k], "fetch"))
    mmu.cache.set_leaf(sp, k, gfn, writable, can_u, pte)
