"""Inspection: the leaves and pages reachable from the roots, check() against the guest, stats.

Functions that read the parts of a ShadowMMU (its ``Roots``, its cache, the
guest) and change nothing: ``ShadowMMU.check()`` resyncs first, as the
guest's next flush would, then calls ``check()`` here. ``stats()`` reads the
facade's public counters. ``find_misconception_example`` runs the smallest
guest on which a quadrant rule goes wrong (in ``mmu``, as it builds one).

Knows: the roots, the cache, the guest's walk, the sPTE layout. Does not know:
views or widgets; it draws nothing.
"""

from __future__ import annotations

from ..address import check_va
from ..consts import NR_PAE_ROOTS, PAGE_SHIFT, PAGE_SIZE, PG_LEVEL_4K, PT32_ROOT_LEVEL
from .cache import ShadowPageCache
from .guest import Guest
from .paging32 import GuestPageFault
from .roots import Roots
from .shadow_page import Mismatch, MMUStats, ShadowPage
from .spte import (
    LARGE_SHIFT,
    SPTE_ADDR_MASK,
    SPTE_LARGE,
    SPTE_PRESENT,
    SPTE_USER,
    SPTE_WRITABLE,
    leaf_gpa,
)


def pae_pdes(roots: Roots, cache: ShadowPageCache):
    """Every present PAE PDE reachable from the current roots as (quadrant, index, pd, pde, child).

    ``child`` is the shadow page the PDE points at, or None for a 2 MiB leaf.
    """
    if roots.cr3 is None:
        return
    by_hpa = cache.by_hpa
    for i in range(NR_PAE_ROOTS):
        entry = roots.pdpte(i)
        if not entry & SPTE_PRESENT:
            continue
        pd = by_hpa[entry & SPTE_ADDR_MASK]
        for j, pde in enumerate(pd.spt):
            if pde & SPTE_PRESENT:
                yield i, j, pd, pde, None if pde & SPTE_LARGE else by_hpa[pde & SPTE_ADDR_MASK]


def leaves(roots: Roots, cache: ShadowPageCache):
    """Every present leaf reachable from the current roots as (va, size, spte), by address."""
    for i, j, _, pde, child in pae_pdes(roots, cache):
        base = i << 30 | j << LARGE_SHIFT
        if child is None:
            yield base, 1 << LARGE_SHIFT, pde
            continue
        for k, spte in enumerate(child.spt):
            if spte & SPTE_PRESENT:
                yield base | k << PAGE_SHIFT, PAGE_SIZE, spte


def reachable_pages(roots: Roots, cache: ShadowPageCache) -> list[tuple[ShadowPage, int]]:
    """The shadow pages the CPU's walk can reach from the current roots, each with its PD quadrant.

    Quarter by quarter: the page directory (pae_root's, or the one the
    special PDPT page links: the special rules link a quarter's page
    directory at its first fault), then its children in sPTE order; a page
    two entries point at is listed once, under the first quarter that
    reaches it. The special PDPT page itself is not listed.
    """
    if roots.cr3 is None:
        return []
    by_hpa = cache.by_hpa
    out, seen = [], set()
    for i in range(NR_PAE_ROOTS):
        entry = roots.pdpte(i)
        if not entry & SPTE_PRESENT:
            continue
        pd = by_hpa[entry & SPTE_ADDR_MASK]
        if pd.hpa not in seen:
            seen.add(pd.hpa)
            out.append((pd, i))
        for spte in pd.spt:
            if spte & SPTE_PRESENT and not spte & SPTE_LARGE:
                child = by_hpa[spte & SPTE_ADDR_MASK]
                if child.hpa not in seen:
                    seen.add(child.hpa)
                    out.append((child, i))
    return out

def _compare(roots: Roots, cache: ShadowPageCache, guest: Guest, va: int, spte: int,
             page_gpa: int) -> Mismatch | None:
    try:
        walk = guest.walk_entries(roots.pd_gfn, va)
    except GuestPageFault:
        return Mismatch(va, page_gpa, None, "the guest does not map it")
    gpa = walk.gpa
    if gpa & ~(PAGE_SIZE - 1) != page_gpa:
        return Mismatch(va, page_gpa, gpa, "shadow maps another frame")
    if spte & SPTE_WRITABLE and not walk.writable:
        return Mismatch(va, page_gpa, gpa, "shadow allows a write the guest forbids")
    if spte & SPTE_USER and not walk.user:
        return Mismatch(va, page_gpa, gpa, "shadow allows a user access the guest forbids")
    if spte & SPTE_WRITABLE and cache.is_protected(page_gpa >> PAGE_SHIFT):
        return Mismatch(va, page_gpa, gpa, "a shadowed guest table is mapped writable")
    return None


def check(roots: Roots, cache: ShadowPageCache, guest: Guest, va: int | None = None) -> Mismatch | None:
    """The smallest VA where the shadow tables disagree with the guest's walk, or None.

    We visit every present leaf sPTE (not 2**20 addresses) and compare its
    frame and permissions with the guest walk, in address order; give ``va``
    to check one address only. Unsync pages are compared as they are (their
    stale entries are mismatches): ``ShadowMMU.check()`` resyncs them first.
    """
    if roots.cr3 is None:
        return None
    if va is not None:
        found = roots.walk(check_va(va), traced=False)
        if found is None:
            return None
        spte, level, _, _ = found
        page = leaf_gpa(spte, level, va) & ~(PAGE_SIZE - 1)
        return _compare(roots, cache, guest, va & ~(PAGE_SIZE - 1), spte, page)
    for base, size, spte in leaves(roots, cache):
        frame = spte & SPTE_ADDR_MASK
        if size == PAGE_SIZE:
            bad = _compare(roots, cache, guest, base, spte, frame)
            if bad:
                return bad
            continue
        for off in range(0, size, PAGE_SIZE):
            bad = _compare(roots, cache, guest, base + off, spte, frame + off)
            if bad:
                return bad
            if off == 0 and _large_agrees(roots, guest, base, frame):
                break
    return None


def _large_agrees(roots: Roots, guest: Guest, va: int, frame: int) -> bool:
    """A 2 MiB leaf whose first page matched agrees everywhere if the guest maps a 4 MiB page there."""
    try:
        walk = guest.walk_entries(roots.pd_gfn, va)
    except GuestPageFault:
        return False
    return walk.level == 2 and walk.gpa == frame


def stats(mmu) -> MMUStats:
    """What a ShadowMMU holds now and has done so far (read through its public attributes)."""
    kinds: dict = {}
    present = leaves = large = 0
    for sp in mmu.shadow_pages():
        key = (sp.role.level, sp.role.quadrant, sp.role.direct)
        kinds[key] = kinds.get(key, 0) + 1
        for spte in sp.spt:
            if spte & SPTE_PRESENT:
                present += 1
                if sp.role.level == PG_LEVEL_4K:
                    leaves += 1
                elif spte & SPTE_LARGE and sp.role.level == PT32_ROOT_LEVEL:
                    leaves += 1
                    large += 1
    protected = sum(1 for gfn in mmu.cache.gfn_pages if mmu.cache.is_protected(gfn))
    return MMUStats(
        shadow_pages=kinds, sptes_present=present, leaf_sptes=leaves, large_sptes=large,
        gfns_write_tracked=len(mmu.cache.write_track), gfns_write_protected=protected,
        unsync_pages=len(mmu.sync.unsync_pages()), accesses=mmu.accesses, faults=mmu.faults,
        guest_faults=mmu.guest_faults, writes_emulated=mmu.writes_emulated,
        writes_unsync=mmu.writes_unsync, writes_stored=mmu.writes_stored,
        sptes_zapped=mmu.sptes_zapped, pages_zapped=mmu.pages_zapped,
        pages_synced=mmu.pages_synced, quadrant_skips=mmu.quadrant_skips,
        shadow_bytes=PAGE_SIZE * (len(mmu.cache.pages) + (mmu.roots.special_root is not None)),
        guest_table_bytes=PAGE_SIZE * len(mmu.guest.table_frames()),
        writes_unprotected=mmu.writes_unprotected,
    )
