"""Notebook 10's records: one address of a real Linux snapshot three ways, its page directory, a CR3 switch.

``real_probe_record({snapshot, va, host_large_pages})`` translates one address
of a captured snapshot three ways: QEMU's own gva2gpa answer (recorded at
capture time), the guest's 2-level walk (``Guest.walk()``) and the shadow MMU
(``ShadowMMU.access()`` on a fresh guest with that snapshot's CR3 loaded, and
its trace: the shadow pages found or created, with gfn and ``role.quadrant``).
``real_pd_record(name)`` is a snapshot's page directory: each present PDE,
what it maps, and which PAE page directory (PD quadrant) and pair of PAE PDEs
shadow it (one per snapshot, not per address: the explorer sends the three
once). ``cr3_switch_record({first, host_large_pages, rule})`` runs
one user process, switches CR3 to the other and sorts the shadow pages the
second reaches into found in the cache and created
(``scenarios.real_cr3_switch()``).

Each probe starts from a fresh guest and MMU, so a record depends on its
inputs only (the old explorer kept one MMU per snapshot, and a second address
behind the same page-table half found that half's page; here every address is
the first one). Numbers above 2**53 never occur here except sPTEs, which are
sent as text.

Knows: ``scenarios.real``/``scenarios.qemu``, ``sim.ShadowMMU`` and its events.
Does not know: HTML, SVG, widgets, the page.
"""

from __future__ import annotations

from ..address import AddressError, decompose, parse_address
from ..consts import PAGE_SHIFT, PAGE_SIZE
from ..rules import QUADRANT_RULES
from ..sim.events import ShadowPageCreated, ShadowPageFound, SpteInstalled
from ..sim.mmu import ShadowMMU
from ..sim.paging32 import GuestPageFault
from ..scenarios.real import (REAL_PAIR, page_directory_entries, page_table_halves, real_cr3_switch,
                              real_guest, real_snapshot, real_snapshot_names)

#: The addresses the explorer offers, each with what it is in these snapshots (from
#: their page directories and QEMU's answers; some are unmapped in some snapshots).
PROBE_PRESETS = (
    ("busybox's first page", 0x08048000),
    ("busybox, VA bit 21 set", 0x08200000),
    ("user-1's stack", 0xBFAD1000),
    ("user-2's stack", 0xBFD5D000),
    ("NULL", 0x00000000),
    ("direct map, through a page table", 0xC0200000),
    ("direct map, a 4 MiB page", 0xC0400000),
    ("read-only 4 MiB page", 0xC1000000),
    ("past the direct map", 0xC4833000),
    ("near the top", 0xFFFFB000),
    ("unmapped", 0xDEADBEEF),
)
PROBE_FIELDS = ("snapshot", "va", "host_large_pages")
SWITCH_FIELDS = ("first", "host_large_pages", "rule")

_PDE_WRITABLE, _PDE_USER, _PDE_GLOBAL = 1 << 1, 1 << 2, 1 << 8


def _flag(inputs: dict, name: str, default: bool) -> bool:
    value = inputs.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _snapshot_name(value, valid=None) -> str:
    valid = valid or real_snapshot_names()
    if value not in valid:
        raise ValueError(f"snapshot {value!r} is not one of {', '.join(valid)}")
    return value


def probe_inputs(inputs: dict) -> dict:
    """The probe's inputs checked: snapshot (a name), va (0..0xFFFFFFFF, int or text), host_large_pages.

        >>> probe_inputs({"snapshot": "user-2", "va": "0xC0200000"})
        {'snapshot': 'user-2', 'va': 3223322624, 'host_large_pages': True}
    """
    try:
        va = parse_address(inputs.get("va"))
    except AddressError as err:
        raise ValueError(str(err)) from None
    return {"snapshot": _snapshot_name(inputs.get("snapshot", "user-1")), "va": va,
            "host_large_pages": _flag(inputs, "host_large_pages", True)}


def switch_inputs(inputs: dict) -> dict:
    """The CR3 switch's inputs checked: first (user-1 or user-2), host_large_pages, rule."""
    rule = inputs.get("rule", "mainline")
    if rule not in QUADRANT_RULES:
        raise ValueError(f"rule {rule!r} is not one of {', '.join(QUADRANT_RULES)}")
    return {"first": _snapshot_name(inputs.get("first", REAL_PAIR[0]), REAL_PAIR),
            "host_large_pages": _flag(inputs, "host_large_pages", True), "rule": rule}


def probe_space() -> list[dict]:
    """Every snapshot x every preset address x host large pages on/off (the static page's states)."""
    return [{"snapshot": n, "va": va, "host_large_pages": large} for n in real_snapshot_names()
            for _, va in PROBE_PRESETS for large in (True, False)]


def switch_space() -> list[dict]:
    """Both orders x host large pages on/off x every quadrant rule."""
    return [{"first": f, "host_large_pages": large, "rule": r} for f in REAL_PAIR
            for large in (True, False) for r in QUADRANT_RULES]


def real_pd_record(name: str) -> dict:
    """Snapshot name's page directory: each present PDE, what it maps, which PAE PDEs shadow it.

        >>> pd = real_pd_record("user-1")
        >>> len(pd["pdes"]), pd["pdes"][0]["index"], pd["pdes"][0]["pae_pdes"]
        (26, 32, [64, 65])

    A PDE's two PAE PDEs sit in the page directory of its PD quadrant (VA bits
    31:30): the even one for VA bit 21 = 0 (gPTEs 0-511), the odd one for 1.
    A page table lists its present gPTEs per half; a 4 MiB page its frame.
    """
    rg = real_guest(name)
    cr3 = rg.cr3s[0]
    halves = {h.guest_pde_index: h for h in page_table_halves(rg.guest, cr3)}
    pdes = []
    for p in page_directory_entries(rg.guest, cr3):
        lo, hi = decompose(p.va), decompose(p.va | 1 << 21)
        entry = {"index": p.index, "pde": p.pde, "kind": p.kind, "va": p.va,
                 "pd_quadrant": p.pd_quadrant, "pae_pdes": [lo.shadow_pde_index, hi.shadow_pde_index],
                 "writable": bool(p.pde & _PDE_WRITABLE), "user": bool(p.pde & _PDE_USER)}
        if p.large:
            entry.update(frame=p.pde & 0xFFC00000, global_=bool(p.pde & _PDE_GLOBAL))
        else:
            h = halves[p.index]
            entry.update(frame=h.gfn << PAGE_SHIFT, lower=h.lower, upper=h.upper)
        pdes.append({k.rstrip("_"): v for k, v in entry.items()})
    quadrants = []
    for q in range(4):
        mine = [e for e in pdes if e["pd_quadrant"] == q]
        large = sum(e["kind"] == "4 MiB page" for e in mine)
        quadrants.append({"pd_quadrant": q, "va_lo": q << 30, "va_hi": (q << 30) + (1 << 30) - 1,
                          "present": len(mine), "large": large, "tables": len(mine) - large})
    return {"snapshot": name, "cr3": cr3, "pdes": pdes, "quadrants": quadrants}


def _qemu_answer(name: str, va: int) -> dict:
    """QEMU's gva2gpa for va: asked for exactly va, or for its 4 KiB page (plus the offset), or not."""
    answers = real_snapshot(name).gva2gpa
    exact = [gpa for probe_va, gpa in answers if probe_va == va]
    if exact:
        return {"asked": "exact", "gpa": exact[0]}
    page = va & ~(PAGE_SIZE - 1)
    paged = [gpa for probe_va, gpa in answers if probe_va == page]
    if paged:
        return {"asked": "page", "gpa": None if paged[0] is None else paged[0] + (va - page)}
    return {"asked": "no", "gpa": None}


def _page_entry(event, how: str) -> dict:
    return {"how": how, "gfn": event.gfn, "level": event.role.level, "quadrant": event.role.quadrant,
            "direct": event.role.direct, "role": event.role.describe()}


def real_probe_record(inputs: dict) -> dict:
    """One address of one snapshot: QEMU, the guest walk, the shadow MMU, and whether they agree.

        >>> r = real_probe_record({"snapshot": "user-1", "va": 0x08048000})
        >>> hex(r["gpa"]), r["qemu"], r["agree"], [(p["how"], p["role"]) for p in r["pages"]]
        ('0x1e71000', {'asked': 'exact', 'gpa': 31920128}, True, [('root', 'L2 q0'), ('created', 'L1 q0')])

    ``pages`` is the root the access starts from (made when CR3 was loaded)
    then each shadow page FNAME(fetch) found or created, in trace order;
    ``steps`` the whole trace in words. ``agree``: the walk and the shadow
    give the same gpa (or both fault), and so does QEMU when it was asked
    about the page.
    """
    i = probe_inputs(inputs)
    name, va = i["snapshot"], i["va"]
    rg = real_guest(name)
    cr3 = rg.cr3s[0]
    d = decompose(va)
    try:
        w = rg.guest.walk(cr3, va)  # pure: touches no accessed bit
        walk = {"gpa": w.gpa, "level": w.level, "pde": w.pde, "pte": w.pte, "fault": None}
    except GuestPageFault as err:
        walk = {"gpa": None, "level": None, "pde": None, "pte": None, "fault": str(err)}
    mmu = ShadowMMU(rg.guest, host_large_pages=i["host_large_pages"])
    mmu.load_cr3(cr3)
    root = mmu.reachable_pages()[d.pd_quadrant][0]  # mainline: four roots, one per quadrant
    try:
        gpa, fault = mmu.access(va), None
    except GuestPageFault as err:
        gpa, fault = None, str(err)
    trace = mmu.last_trace
    pages = [{"how": "root", "gfn": root.gfn, "level": root.role.level,
              "quadrant": root.role.quadrant, "direct": root.role.direct, "role": root.role.describe()}]
    leaf = None
    for e in trace:
        if isinstance(e, ShadowPageFound):
            pages.append(_page_entry(e, "found"))
        elif isinstance(e, ShadowPageCreated):
            pages.append(_page_entry(e, "created"))
        elif isinstance(e, SpteInstalled) and e.what != "link":
            leaf = {"what": e.what, "index": e.index, "gfn": e.gfn, "role": e.role.describe(),
                    "spte": f"0x{e.spte:016X}"}
    qemu = _qemu_answer(name, va)
    agree = walk["gpa"] == gpa and (qemu["asked"] == "no" or qemu["gpa"] == gpa)
    return {
        "snapshot": name, "va": va, "host_large_pages": i["host_large_pages"], "cr3": cr3,
        "fields": {"guest_pde_index": d.guest_pde_index, "guest_pte_index": d.guest_pte_index,
                   "page_offset": d.page_offset, "pd_quadrant": d.pd_quadrant,
                   "shadow_pde_index": d.shadow_pde_index, "shadow_pte_index": d.shadow_pte_index,
                   "pt_quadrant": d.pt_quadrant},
        "gpa": gpa, "fault": fault, "walk": walk, "qemu": qemu, "agree": agree,
        "pages": pages, "leaf": leaf, "steps": [e.describe() for e in trace],
    }


def cr3_switch_record(inputs: dict) -> dict:
    """The first user process runs, CR3 switches to the other: what the second found vs created.

        >>> r = cr3_switch_record({"first": "user-1"})
        >>> r["second"], r["found"], r["created"], len(r["shared_tables"])
        ('user-2', 14, 9, 10)

    From ``scenarios.real_cr3_switch()``: ``pages`` lists each shadow page
    reachable from the second process's roots with its PD quadrant and
    whether it was in the cache before the switch; ``rows`` counts them by
    kind and root.
    """
    i = switch_inputs(inputs)
    names = (i["first"], REAL_PAIR[1] if i["first"] == REAL_PAIR[0] else REAL_PAIR[0])
    sw = real_cr3_switch(names, i["host_large_pages"], i["rule"])
    pages = [{"gfn": gfn, "level": level, "quadrant": quadrant, "direct": direct,
              "pd_quadrant": pdq, "found": found}
             for gfn, level, quadrant, direct, pdq, found in sw.pages]
    rows = [{"level": r.level, "quadrant": r.quadrant, "direct": r.direct,
             "pd_quadrant": r.pd_quadrant, "found": r.found, "created": r.created} for r in sw.rows]
    return {"first": names[0], "second": names[1], "host_large_pages": i["host_large_pages"],
            "rule": i["rule"], "rule_correct": QUADRANT_RULES[i["rule"]].correct,
            "found": sw.found, "created": sw.created,
            "before_total": sw.before.total_shadow_pages, "after_total": sw.after.total_shadow_pages,
            "shared_tables": list(sw.shared_tables), "rows": rows, "pages": pages}
