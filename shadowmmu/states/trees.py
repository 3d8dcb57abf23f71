"""The two trees as plain records: the guest's tables beside KVM's shadow of them (notebooks 06-08).

One record, ``tree_record(mmu, cr3, va)``, holds what the "two trees"
picture draws for one address of one address space:

    guest   cr3, pd_gfn, the present guest PDEs (and the one va walks, present
            or not), the guest PT that PDE points at with its present PTEs,
            and the data page va lands in (the guest's translation, no
            permission check: the picture shows it before the walk reaches it)
    shadow  pae_root's 4 entries, every valid shadow page (hpa, gfn, role
            level/quadrant/direct/access, root or not, unsync) with its present
            sPTEs sparse (index, value, flags, and the page it links or the
            gfn it maps), and the gfns write-tracked / write-protected

Pages are named by their made-up host-physical address, in hex
(``"0x100003000"``): the simulator hands them out in order, so the names are
the same in every run. ``apply_event()`` moves a tree one trace event
forward (a page created, an sPTE installed, a guest entry's A/D bits set),
so a fault's steps can each carry the tree after them without the
simulator stopping mid-fault; ``fault.py`` checks that the last tree so
built equals ``tree_record()`` of the MMU afterwards.

Knows: ShadowMMU's public state (``pae_root``, ``shadow_pages()``, the
cache's write-track counts and ``is_protected()``), ``Guest.read()`` and
``Guest.translate()``, the trace events and the sPTE layout of ``sim.spte``.
Does not know: HTML, the page, widgets; it draws nothing.
"""

from __future__ import annotations

import copy

from ..consts import CR4_PSE, PAGE_SHIFT, PAGE_SIZE, PG_LEVEL_4K, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK
from ..sim.events import (
    GuestWalkStep,
    PageSynced,
    PageUnsync,
    ShadowPageCreated,
    SpteInstalled,
    SpteZapped,
    WriteProtect,
)
from ..sim.spte import SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT, SPTE_WRITE_BITS, spte_flags, spte_frame

GUEST_ENTRIES = 1024  # 4-byte entries in a 4 KiB guest table
#: Events that move nothing in the picture (walks, faults, lookups, flushes).
STILL = ("ShadowWalkStep", "ShadowPageFault", "ShadowPageFound", "GuestFaultInjected",
         "QuadrantSkip", "GuestWrite", "TlbFlush", "RootsLoaded")


def page_id(hpa: int) -> str:
    """A shadow page's name in the records: its host-physical address in hex."""
    return f"0x{hpa:x}"


def _gentry(index: int, value: int, pse: bool) -> dict:
    """One guest entry: index, value, and what it points at (a table frame, a 4 MiB frame, a page)."""
    out = {"index": index, "value": value, "present": bool(value & PT_PRESENT_MASK)}
    if out["present"]:
        large = pse and bool(value & PT_PAGE_SIZE_MASK)
        out["kind"] = "4M" if large else "entry"
        out["gfn"] = (value & 0xFFC00000 if large else value & 0xFFFFF000) >> PAGE_SHIFT
    return out


def guest_tree(guest, cr3: int, va: int) -> dict:
    """The guest side: CR3, present PDEs (+ the walked one), the walked guest PT, the data page."""
    pd_gfn = cr3 >> PAGE_SHIFT
    pse = bool(guest.cr4 & CR4_PSE)
    walked = va >> 22
    pdes = []
    for i in range(GUEST_ENTRIES):
        value = guest.read((pd_gfn << PAGE_SHIFT) | i << 2)
        if value & PT_PRESENT_MASK or i == walked:
            pdes.append(_gentry(i, value, pse))
    pde = next(p for p in pdes if p["index"] == walked)
    pt = None
    if pde["present"] and pde["kind"] == "entry" and pde["gfn"] < guest.mem_size >> PAGE_SHIFT:
        walked_pte = (va >> PAGE_SHIFT) & (GUEST_ENTRIES - 1)
        ptes = []
        for i in range(GUEST_ENTRIES):
            value = guest.read((pde["gfn"] << PAGE_SHIFT) | i << 2)
            if value & PT_PRESENT_MASK or i == walked_pte:
                ptes.append(_gentry(i, value, False))
        pt = {"gfn": pde["gfn"], "walked": walked_pte, "ptes": ptes}
    gpa = guest.translate(cr3, va)
    data = None if gpa is None else {"gfn": gpa >> PAGE_SHIFT, "gpa": gpa}
    return {"cr3": cr3, "pd_gfn": pd_gfn, "walked_pde": walked, "pdes": pdes, "pt": pt, "data": data}


def _spte(sp_level: int, index: int, value: int) -> dict:
    """One present sPTE: a link (to a page), a 4 KiB leaf or a 2 MiB leaf (to a gfn)."""
    if sp_level > PG_LEVEL_4K and not value & SPTE_LARGE:
        return {"index": index, "value": value, "kind": "link", "page": page_id(value & SPTE_ADDR_MASK)}
    return {"index": index, "value": value, "kind": "leaf 2M" if value & SPTE_LARGE else "leaf",
            "gfn": spte_frame(value), "flags": spte_flags(value)}


def _marks(pages: list[dict]) -> dict:
    """Which gfns are write-tracked and write-protected, from the pages that shadow them.

    The cache's rule (sim.cache): a gfn shadowed by an indirect level-2 page is
    write-tracked; a gfn shadowed by indirect pages is protected unless every one
    of them is unsync. tree_record() reads the cache itself; this is for trees
    moved by apply_event(), and the two are compared at the end of every fault.
    """
    by_gfn: dict[int, list[dict]] = {}
    for p in pages:
        if not p["direct"]:
            by_gfn.setdefault(p["gfn"], []).append(p)
    tracked = sorted(g for g, ps in by_gfn.items() if any(p["level"] > PG_LEVEL_4K for p in ps))
    protected = sorted(g for g, ps in by_gfn.items()
                       if g in tracked or any(not p["unsync"] for p in ps))
    return {"write_tracked": tracked, "write_protected": protected}


def _page(sp_or_event, hpa: int, root: bool, unsync: bool, spt=None) -> dict:
    role = sp_or_event.role
    sptes = [] if spt is None else [_spte(role.level, i, v) for i, v in enumerate(spt) if v & SPTE_PRESENT]
    return {"id": page_id(hpa), "hpa": hpa, "gfn": sp_or_event.gfn, "level": role.level,
            "quadrant": role.quadrant, "direct": role.direct, "access": role.access,
            "root": root, "unsync": unsync, "sptes": sptes}


def shadow_tree(mmu) -> dict:
    """The shadow side: pae_root, every valid shadow page with its present sPTEs, the marks."""
    pages = [_page(sp, sp.hpa, sp.root_count > 0, sp.unsync, sp.spt) for sp in mmu.shadow_pages()]
    roots = [{"index": i, "value": v, "page": page_id(v & SPTE_ADDR_MASK) if v & SPTE_PRESENT else None}
             for i, v in enumerate(mmu.pae_root)]
    gfns = sorted({p["gfn"] for p in pages if not p["direct"]})
    return {"pae_root": roots, "pages": pages,
            "write_tracked": sorted(g for g in gfns if g in mmu.cache.write_track),
            "write_protected": [g for g in gfns if mmu.cache.is_protected(g)]}


def tree_record(mmu, cr3: int, va: int) -> dict:
    """Both trees for (cr3, va) as the MMU and the guest hold them now:

        >>> from shadowmmu.scenarios.small import small_session
        >>> mmu, cr3s = small_session(0)
        >>> t = tree_record(mmu, cr3s[0], 0xDEADBEEF)
        >>> [(p["level"], p["quadrant"]) for p in t["shadow"]["pages"]], t["guest"]["walked_pde"]
        ([(2, 0), (2, 1), (2, 2), (2, 3)], 890)
    """
    return {"guest": guest_tree(mmu.guest, cr3, va), "shadow": shadow_tree(mmu)}


def _find(tree: dict, pid: str) -> dict:
    return next(p for p in tree["shadow"]["pages"] if p["id"] == pid)


def _page_of(tree: dict, gfn: int, role) -> dict:
    return next(p for p in tree["shadow"]["pages"]
                if p["gfn"] == gfn and p["level"] == role.level and p["quadrant"] == role.quadrant
                and p["direct"] == role.direct and p["access"] == role.access)


def _set_spte(page: dict, index: int, value: int | None) -> None:
    page["sptes"] = [s for s in page["sptes"] if s["index"] != index]
    if value:
        page["sptes"].append(_spte(page["level"], index, value))
        page["sptes"].sort(key=lambda s: s["index"])


def _guest_entry(tree: dict, ev: GuestWalkStep) -> None:
    g = tree["guest"]
    entries = g["pdes"] if ev.level == 2 else (g["pt"] or {}).get("ptes", [])
    for n, e in enumerate(entries):
        if e["index"] == ev.index:
            entries[n] = _gentry(ev.index, ev.entry, ev.level == 2 and e.get("kind") == "4M")


def _sort_pages(pages: list[dict]) -> None:
    # shadow_pages() order: level down, then gfn, quadrant, direct, hpa
    pages.sort(key=lambda p: (-p["level"], p["gfn"], p["quadrant"], p["direct"], p["hpa"]))


def apply_event(tree: dict, ev) -> dict:
    """The tree after one trace event (a new dict; ``tree`` is left as it was).

    Raises ValueError for an event this picture cannot follow (a whole page
    zapped, roots freed): the fault explorer's guests never produce one, and
    the end-of-fault comparison would catch a wrong guess anyway.
    """
    name = type(ev).__name__
    if name in STILL:
        return tree
    out = copy.deepcopy(tree)
    shadow = out["shadow"]
    if isinstance(ev, GuestWalkStep):
        _guest_entry(out, ev)
        return out
    if isinstance(ev, ShadowPageCreated):
        shadow["pages"].append(_page(ev, ev.hpa, ev.role.level > PG_LEVEL_4K, False))
        _sort_pages(shadow["pages"])
    elif isinstance(ev, SpteInstalled):
        _set_spte(_page_of(out, ev.gfn, ev.role), ev.index, ev.spte)
    elif isinstance(ev, SpteZapped):
        _set_spte(_page_of(out, ev.gfn, ev.role), ev.index, None)
    elif isinstance(ev, PageUnsync):
        _page_of(out, ev.gfn, ev.role)["unsync"] = True
    elif isinstance(ev, PageSynced):
        if not ev.still_unsync and ev.whole:
            _page_of(out, ev.gfn, ev.role)["unsync"] = False
    elif isinstance(ev, WriteProtect):
        for p in shadow["pages"]:
            for s in p["sptes"]:
                if s["kind"] == "leaf" and s["gfn"] == ev.gfn and s["value"] & SPTE_WRITE_BITS:
                    _set_spte(p, s["index"], s["value"] & ~SPTE_WRITE_BITS)
    else:
        raise ValueError(f"the two-trees picture cannot follow a {name} event ({ev.describe()})")
    shadow.update(_marks(shadow["pages"]))
    return out


def tree_size(tree: dict) -> dict:
    """How much a tree holds: shadow pages, present sPTEs, guest entries (for the readouts)."""
    pages = tree["shadow"]["pages"]
    return {"shadow_pages": len(pages), "sptes": sum(len(p["sptes"]) for p in pages),
            "shadow_bytes": PAGE_SIZE * len(pages)}
