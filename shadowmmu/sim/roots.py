"""The shadow MMU's roots for a 32-bit non-PAE guest: pae_root, its four page directories, their reload.

A PAE shadow starts at ``pae_root``: four PDPTEs, one per GiB of guest VA, each
pointing at a level-2 shadow page for the guest's one page directory (the CR3
gfn) in the quadrant the rule gives it (mmu_alloc_shadow_roots()). With the
"special" rules of Lai Jiangshan's unmerged series the four entries belong to
one level-3 page of its own instead, outside the hash, whose page-directory
children are made on demand. When a store zaps a root in use, the next guest
entry frees all four and allocates them again
(kvm_mmu_free_obsolete_roots(), Linux 5.18+).

Functions of a ``ShadowMMU``: they read and set its root fields (``pae_root``,
``_roots``, ``_special_root``, ``_pdpt``, ``_obsolete_roots``) and use its
cache, fault path and sync. Knows: which roles the roots get and when they
are reused or replaced. Does not know: faults below the page directories,
the write path, or anything of scenarios, views or widgets.
"""

from __future__ import annotations

from ..consts import ACC_ALL, NR_PAE_ROOTS
from ..role import root_role
from . import fault
from .events import RootsFreed, RootsLoaded
from .shadow_page import ShadowPage
from .spte import SPTE_PRESENT


def alloc_roots(mmu) -> None:
    """mmu_alloc_shadow_roots() for a non-PAE guest: all four, the same gfn, quadrant from the rule."""
    for sp in mmu._roots:
        if sp is not None:
            mmu.cache.free_root(sp)
    mmu._obsolete_roots = 0
    mmu._roots = [None] * NR_PAE_ROOTS
    mmu.pae_root[:] = [0] * NR_PAE_ROOTS
    if mmu._special:
        old = mmu._special_root
        if old is not None:
            for index in range(NR_PAE_ROOTS):
                mmu.cache.drop_spte(old, index)
            del mmu.cache.by_hpa[old.hpa]
        # Lai's one-off special root: a level-3 page of its own, not in the hash.
        mmu._special_root = mmu.cache.new_page(mmu._pd_gfn, root_role())
        mmu._special_root.root_count = 1
        mmu._pdpt = mmu._special_root.spt
    else:
        for i, role in enumerate(mmu.rule.pd_roles(root_role())):
            sp = fault.find_or_create(mmu, mmu._pd_gfn, role)
            sp.root_count += 1
            mmu._roots[i] = sp
            mmu.pae_root[i] = sp.hpa | SPTE_PRESENT
    mmu._emit(RootsLoaded(mmu.cr3, tuple(mmu._pdpt[:NR_PAE_ROOTS])))


def current_pds(mmu) -> list[ShadowPage | None]:
    """The page directory of each quarter for the current CR3, linked or not (None: none cached).

    With the special rules the PDPT page is new at every CR3 load, but the
    page directories below it are cached and will be linked again, with
    their children, at the next fault in their quarter. So "reachable from
    the current roots" must mean these pages, linked yet or not, or a flush
    could miss an unsync child that the next fault makes visible again.
    """
    if not mmu._special:
        return list(mmu._roots)
    pds = []
    for i in range(NR_PAE_ROOTS):
        role = fault.child_role(mmu, mmu._special_root, i, i << 30, False, ACC_ALL)
        pds.append(mmu.cache.pages.get((mmu._pd_gfn, role)))
    return pds


def reload_obsolete_roots(mmu) -> None:
    """vcpu_enter_guest() with KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending (Linux 5.18+).

    kvm_mmu_free_obsolete_roots() frees the current root: for a PAE shadow
    that is pae_root, which has no shadow page, so is_obsolete_root() counts
    it obsolete and kvm_mmu_free_roots() drops all four page directories
    (the zapped ones are freed with their last user). kvm_mmu_reload() ->
    kvm_mmu_load() then runs mmu_alloc_shadow_roots() and
    kvm_mmu_sync_roots(), as a CR3 load does: valid directories are found
    again in the cache, the zapped quarters get new, empty ones.
    """
    if not mmu._obsolete_roots:
        return
    mmu._emit(RootsFreed(sum(sp is not None for sp in mmu._roots), mmu._obsolete_roots))
    alloc_roots(mmu)
    mmu.sync.sync_roots()
