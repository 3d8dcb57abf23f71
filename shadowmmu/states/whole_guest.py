"""Notebook 08's explorer state: the Linux-like guest under one rule, as one plain record.

``whole_guest_record(inputs)`` runs ``scenarios.linux``'s guest (the 3G/1G
split, 64 MiB of memory, ``processes`` processes), one process at a time, under
the quadrant rule ``rule`` with host large pages on or off, and records:

* ``census``: shadow pages per level and ``role.quadrant`` (``ShadowMMU.stats()``);
* ``overhead``: the shadow pages' bytes against the guest's own page-table bytes;
* ``verdict``: "right", or "wrong" with the first ``check()`` mismatch;
* ``map``: the address map, per PD quadrant and 2 MiB slot (below), with the
  shadow page that covers each slot of each process's address space;
* ``switch``: per process, the shadow pages its run created and those it found
  already in the cache (what a CR3 switch reuses).

The address map. A 4 GiB linear axis would draw a 4 KiB page 1/1,048,576 of
its width, so the map is cut into one strip per PD quadrant (1 GiB, one PAE
page directory, ``pae_root[q]``) and each strip into its 512 *slots* (2 MiB,
one PAE PDE each). The record lists, per strip, the slots something is mapped
in (``kind`` "pages": 4 KiB mappings; "large": half a 4 MiB guest page fills
it) and the runs of empty slots between them (``gaps``); per process and slot,
the runs of guest-mapped pages and of present leaf sPTEs as ``[first page,
count]`` (``[first, count, ok]`` for sPTEs) in the slot's 512 pages. Data only:
how wide a slot is drawn and where a mark sits is decided by the page
(``frontend/js/guest.js``).

Knows: ``scenarios.linux``, ``ShadowMMU`` and ``sim.inspection``. Does not know
HTML, SVG or widgets.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE
from ..rules import QUADRANT_RULES
from ..scenarios.linux import linux_like_guest, run_each
from ..sim.inspection import pae_pdes
from ..sim.mmu import ShadowMMU
from ..sim.spte import SPTE_PRESENT

#: The guest's memory: fixed, so that every state's map has the same slots.
MEM_MIB = 64
#: How many processes the explorer offers (its state space is every rule x large x these);
#: a kernel also answers any count in PROCESSES_VALID.
PROCESS_COUNTS = (1, 2, 3, 4)
PROCESSES_VALID = range(1, 9)
SLOTS, PAGES_PER_SLOT, SLOT_SHIFT = 512, 512, 21
INPUTS = ("rule", "large", "processes")


def normalise_inputs(inputs: dict) -> dict:
    """The inputs checked: rule (a QUADRANT_RULES name), large (bool), processes (PROCESS_COUNTS)."""
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise ValueError(f"unknown input {', '.join(unknown)}; the inputs are {', '.join(INPUTS)}")
    rule = inputs.get("rule", "mainline")
    if rule not in QUADRANT_RULES:
        raise ValueError(f"rule {rule!r} is not a quadrant rule; choose one of {', '.join(QUADRANT_RULES)}")
    large = inputs.get("large", True)
    if not isinstance(large, bool):
        raise ValueError(f"large (host large pages) must be true or false, not {large!r}")
    processes = inputs.get("processes", 3)
    if isinstance(processes, bool) or not isinstance(processes, int) or processes not in PROCESSES_VALID:
        raise ValueError(f"processes {processes!r} must be a whole number in "
                         f"{PROCESSES_VALID.start}..{PROCESSES_VALID.stop - 1}")
    return {"rule": rule, "large": large, "processes": processes}


def _hex(va: int) -> str:
    return f"0x{va:08X}"


def _runs(items):
    """Runs of consecutive page indices with one tag: [(first, count, tag)] from sorted (index, tag)."""
    out = []
    for k, tag in items:
        if out and out[-1][0] + out[-1][1] == k and out[-1][2] == tag:
            out[-1][1] += 1
        else:
            out.append([k, 1, tag])
    return [tuple(r) for r in out]


def _merge(runs):
    """Runs (first, count, tag) sorted and joined where they touch with the same tag."""
    out = []
    for k, c, tag in sorted(runs):
        if out and out[-1][0] + out[-1][1] >= k and out[-1][2] == tag:
            out[-1][1] = max(out[-1][1], k + c - out[-1][0])
        else:
            out.append([k, c, tag])
    return [tuple(r) for r in out]


def _page_entry(sp, created_by: int | None) -> dict:
    return {"label": f"{sp.role.describe()} gfn 0x{sp.gfn:x}", "level": sp.role.level,
            "quadrant": sp.role.quadrant, "direct": sp.role.direct, "gfn": sp.gfn,
            "created_by": created_by}


def _process_rows(mmu: ShadowMMU, guest, cr3, ids: dict, seen: dict):
    """One process's slots, right after it ran: {(q, j): cell data} (cover, guest and sPTE pages)."""
    cells: dict = {}
    for va, size, gpa, _ in guest.mappings(cr3):
        for half in range(0, size, 1 << SLOT_SHIFT):
            slot = (va + half) >> SLOT_SHIFT
            cell = cells.setdefault((slot >> 9, slot & 511), {"guest": [], "shadow": [], "cover": None})
            first = ((va + half) >> PAGE_SHIFT) & 511
            cell["guest"].append((first, min(size, 1 << SLOT_SHIFT) // PAGE_SIZE, 1))
    for q, j, pd, pde, child in pae_pdes(mmu.roots, mmu.cache):
        cell = cells.setdefault((q, j), {"guest": [], "shadow": [], "cover": None})
        base = q << 30 | j << SLOT_SHIFT
        sp = pd if child is None else child
        cell["cover"] = ids.setdefault(sp.hpa, len(ids))
        seen.setdefault(sp.hpa, sp)
        if child is None:  # a 2 MiB leaf: one sPTE for the whole slot
            ok = mmu.translate(base) == guest.translate(cr3, base)
            cell["shadow"] = [(0, PAGES_PER_SLOT, ok)]
            cell["large_leaf"] = True
            continue
        cell["shadow"] = _runs((k, mmu.translate(base | k << PAGE_SHIFT) == guest.translate(cr3, base | k << PAGE_SHIFT))
                               for k, spte in enumerate(child.spt) if spte & SPTE_PRESENT)
    return cells


def _layout(occupied: dict) -> list:
    """Per quadrant: (gaps, slots) in address order; occupied maps (q, j) -> "pages" | "large"."""
    strips = []
    for q in range(4):
        gaps, slots, j = [], [], 0
        while j < SLOTS:
            if (q, j) in occupied:
                first_of_run = occupied[q, j] == "pages" or occupied.get((q, j - 1)) != "large"
                slots.append({"index": j, "kind": occupied[q, j],
                              "va": _hex(q << 30 | j << SLOT_SHIFT),
                              "tick": _hex(q << 30 | j << SLOT_SHIFT) if first_of_run else ""})
                j += 1
                continue
            end = j
            while end < SLOTS and (q, end) not in occupied:
                end += 1
            gaps.append({"first": j, "slots": end - j, "va": _hex(q << 30 | j << SLOT_SHIFT),
                         "va_end": _hex((q << 30 | end << SLOT_SHIFT) - 1)})
            j = end
        strips.append((gaps, slots))
    return strips


def _cell_record(cell: dict | None, slot: dict, pages: list, n: int) -> dict:
    """One row's slot: its covering page (index into pages), mark text, and the guest and sPTE
    runs ([first, count] and [first, count, ok] in the slot's pages).

    Keys left out when they hold their default, to keep the state space small:
    ``reused`` (False: the page was made by this row's process), ``wrong`` (0:
    sPTEs that disagree with the guest's walk), ``mark`` (""), ``cover`` (None).
    """
    if cell is None:
        return {"guest": [], "shadow": []}
    out: dict = {}
    cover = cell["cover"]
    page = pages[cover] if cover is not None else None
    if page is not None:
        out["cover"] = cover
        if page["created_by"] != n:
            out["reused"] = True
        if cell.get("large_leaf"):
            out["mark"] = "2M"
        elif slot["kind"] == "large":
            out["mark"] = f"D{page['quadrant']}" if page["direct"] else f"q{page['quadrant']}"
    wrong = sum(c for _, c, ok in cell["shadow"] if not ok)
    if wrong:
        out["wrong"] = wrong
    out["guest"] = [[k, c] for k, c, _ in _merge(cell["guest"])]
    out["shadow"] = [[k, c, int(ok)] for k, c, ok in cell["shadow"]]
    return out


def _census(stats, special: bool) -> dict:
    kinds = [(3, False)] if special else []
    kinds += [(2, False), (1, False), (1, True)]
    names = {(3, False): "L3 special PDPT page", (2, False): "L2 page directories",
             (1, False): "L1 page tables", (1, True): "L1 direct pages"}
    rows = [{"level": lvl, "direct": d, "label": names[lvl, d],
             "cells": [{"quadrant": q, "count": stats.shadow_pages.get((lvl, q, d), 0)} for q in range(4)],
             "total": sum(stats.shadow_pages.get((lvl, q, d), 0) for q in range(4))}
            for lvl, d in kinds]
    counted = sum(r["total"] for r in rows)
    if counted != stats.total_shadow_pages:
        raise RuntimeError(f"census rows miss some shadow pages: {sorted(stats.shadow_pages)}")
    return {"rows": rows, "total": stats.total_shadow_pages}


def _overhead(stats) -> dict:
    shadow, own = stats.shadow_bytes, stats.guest_table_bytes
    tenths = (10 * shadow + own // 2) // own  # the ratio to one decimal, rounded half up
    return {"shadow_pages": shadow // PAGE_SIZE, "shadow_bytes": shadow,
            "guest_table_frames": own // PAGE_SIZE, "guest_table_bytes": own,
            "ratio_text": f"{tenths // 10}.{tenths % 10}", "leaf_sptes": stats.leaf_sptes,
            "large_sptes": stats.large_sptes, "faults": stats.faults}


def whole_guest_record(inputs: dict) -> dict:
    """The record for checked inputs (``normalise_inputs``): see the module docstring."""
    i = normalise_inputs(inputs)
    rule = QUADRANT_RULES[i["rule"]]
    guest, cr3s = linux_like_guest(i["processes"], MEM_MIB)
    mmu = ShadowMMU(guest, i["rule"], host_large_pages=i["large"], trace=False)
    ids: dict = {}  # hpa -> index in pages (shadow pages covering a slot, in the order first met)
    seen: dict = {}  # hpa -> the ShadowPage
    made_by: dict = {}  # hpa -> the process whose run created the page (hpas are never reused)
    per_process, verdict, switch = [], None, []
    before: set = set()
    for n in run_each(mmu, cr3s):
        now = {sp.hpa for sp in mmu.shadow_pages()}
        for hpa in now - before:
            made_by[hpa] = n
        mismatch = mmu.check()
        if verdict is None and mismatch is not None:
            verdict = (n, mismatch)
        per_process.append(_process_rows(mmu, guest, cr3s[n], ids, seen))
        reused: dict = {}
        for sp, _ in mmu.reachable_pages():
            if sp.hpa in before:
                reused[sp.role.describe()] = reused.get(sp.role.describe(), 0) + 1
        switch.append({"process": f"process {n + 1}", "created": len(now - before),
                       "reused": [{"kind": k, "count": c} for k, c in reused.items()],
                       "reused_total": sum(reused.values())})
        before = now
    pages = [None] * len(ids)
    for hpa, idx in ids.items():
        pages[idx] = _page_entry(seen[hpa], made_by[hpa])
    occupied = {}
    for cells in per_process:
        for key, cell in cells.items():
            if cell["guest"] or cell["shadow"]:
                full = _merge(cell["guest"]) == [(0, PAGES_PER_SLOT, 1)] or cell.get("large_leaf")
                if not full or occupied.get(key) == "pages":
                    occupied[key] = "pages"
                else:
                    occupied.setdefault(key, "large")
    strips = []
    for q, (gaps, slots) in enumerate(_layout(occupied)):
        rows = [{"label": f"process {n + 1}",
                 "cells": [_cell_record(cells.get((q, s["index"])), s, pages, n) for s in slots]}
                for n, cells in enumerate(per_process)]
        strips.append({"quadrant": q, "va": _hex(q << 30), "va_end": _hex(((q + 1) << 30) - 1),
                       "gaps": gaps, "slots": slots, "rows": rows})
    for p in pages:  # JSON-ready: process numbers from 1
        p["created_by"] = f"process {p['created_by'] + 1}"
    stats = mmu.stats()
    return {
        "rule": {"name": rule.name, "formula": rule.formula, "correct": rule.correct, "title": rule.title},
        "large": i["large"], "processes": i["processes"], "mem_mib": MEM_MIB,
        "census": _census(stats, rule.roots == "special"),
        "overhead": _overhead(stats),
        "verdict": ({"verdict": "right", "text": "check() agrees with the guest's walk everywhere"}
                    if verdict is None else
                    {"verdict": "wrong", "text": verdict[1].describe(), "va": _hex(verdict[1].va),
                     "process": f"process {verdict[0] + 1}"}),
        "map": {"pages_per_slot": PAGES_PER_SLOT, "strips": strips, "pages": pages},
        "switch": switch,
    }
