"""What notebook 10's records must say, found without shadowmmu.states or scenarios.real.

Each guest here is built straight from the snapshot files (``Guest.from_pages``,
not ``scenarios.real_guest``); QEMU's recorded gva2gpa answers and the tiny
SDM walk of tests/reference_oracles/qemu.py are the outside referees. ``probe_errors``
and ``switch_errors`` list every way a record differs from them (empty: the
record is right), so a planted wrong record can be shown to fail.
"""

from __future__ import annotations

from reference_oracles.qemu import entry, mini_walk
from shadowmmu import Guest, GuestPageFault, ShadowMMU
from shadowmmu.sim.events import ShadowPageCreated, ShadowPageFound
from shadowmmu.snapshot import available_snapshots, load_snapshot

_SNAPS = {p.name.split(".")[0]: load_snapshot(p) for p in available_snapshots()}


def snapshot(name: str):
    return _SNAPS[name]


def fresh_mmu(names, host_large_pages=True, rule="mainline"):
    """A guest holding the named snapshots' pages (first named wins a frame) and a ShadowMMU on it."""
    pages: dict[int, bytes] = {}
    for n in names:
        for gfn, data in _SNAPS[n].pages.items():
            pages.setdefault(gfn, data)
    first = _SNAPS[names[0]]
    guest = Guest.from_pages(pages, cr3=first.cr3, cr4=first.cr4)
    for n in names[1:]:
        guest.adopt_address_space(_SNAPS[n].cr3)
    return guest, ShadowMMU(guest, rule, host_large_pages=host_large_pages)


def shadow_gpa(name: str, va: int, host_large_pages: bool = True):
    """ShadowMMU.access(va) on a fresh guest of snapshot name (None: the guest faults), and the trace."""
    _, mmu = fresh_mmu([name], host_large_pages)
    mmu.load_cr3(_SNAPS[name].cr3)
    try:
        return mmu.access(va), mmu.last_trace
    except GuestPageFault:
        return None, mmu.last_trace


def qemu_said(name: str, va: int):
    """("exact"|"page"|"no", gpa): QEMU's answer for va, or for its page plus the offset."""
    answers = dict(reversed(_SNAPS[name].gva2gpa))  # the first answer for an address wins
    if va in answers:
        return "exact", answers[va]
    page = va & ~0xFFF
    if page in answers:
        return "page", None if answers[page] is None else answers[page] | (va & 0xFFF)
    return "no", None


def probe_errors(rec: dict) -> list[str]:
    """How a real_probe_record differs from the simulator run here, the SDM walk and QEMU."""
    name, va, large = rec["snapshot"], rec["va"], rec["host_large_pages"]
    gpa, trace = shadow_gpa(name, va, large)
    walk = mini_walk(_SNAPS[name], va)
    asked, qemu = qemu_said(name, va)
    agree = gpa == walk and (asked == "no" or qemu == gpa)
    made = [(type(e).__name__, e.gfn, e.role.level, e.role.quadrant, e.role.direct) for e in trace
            if isinstance(e, (ShadowPageFound, ShadowPageCreated))]
    got = [("ShadowPageFound" if p["how"] == "found" else "ShadowPageCreated", p["gfn"], p["level"],
            p["quadrant"], p["direct"]) for p in rec["pages"] if p["how"] != "root"]
    errors = []
    for what, want, have in (("gpa", gpa, rec["gpa"]), ("walk gpa", walk, rec["walk"]["gpa"]),
                             ("qemu", (asked, qemu), (rec["qemu"]["asked"], rec["qemu"]["gpa"])),
                             ("agree", agree, rec["agree"]), ("pages", made, got),
                             ("root quadrant", va >> 30, rec["pages"][0]["quadrant"])):
        if want != have:
            errors.append(f"{name} 0x{va:08X} {what}: record {have!r}, oracle {want!r}")
    return errors


def pd_by_hand(name: str) -> list[tuple]:
    """(index, kind, pd_quadrant, even PAE PDE, odd PAE PDE) per present PDE, from the raw bytes."""
    snap = _SNAPS[name]
    out = []
    for i in range(1024):
        pde = entry(snap.pages[snap.cr3 >> 12], i)
        if pde & 1:
            kind = "4 MiB page" if pde & 0x80 else "page table"
            out.append((i, kind, i // 256, 2 * (i % 256), 2 * (i % 256) + 1))
    return out


def switch_by_trace(first: str, second: str, host_large_pages: bool, rule: str):
    """(found, created, rows) for second after first, counted from the trace of second's run.

    Created: a ShadowPageCreated event while second's CR3 is loaded and its pages read.
    Found: a page reachable from second's roots afterwards that second did not create.
    rows: {(level, quadrant, direct, pd_quadrant): [found, created]}.
    """
    _, mmu = fresh_mmu([first, second], host_large_pages, rule)
    mmu.load_cr3(_SNAPS[first].cr3)
    for va in sorted({va & ~0xFFF for va, gpa in _SNAPS[first].gva2gpa if gpa is not None}):
        mmu.access(va)
    created = set()
    mmu.load_cr3(_SNAPS[second].cr3)
    created |= {(e.gfn, e.role) for e in mmu.last_trace if isinstance(e, ShadowPageCreated)}
    for va in sorted({va & ~0xFFF for va, gpa in _SNAPS[second].gva2gpa if gpa is not None}):
        mmu.access(va)
        created |= {(e.gfn, e.role) for e in mmu.last_trace if isinstance(e, ShadowPageCreated)}
    rows: dict[tuple, list[int]] = {}
    for sp, q in mmu.reachable_pages():
        new = (sp.gfn, sp.role) in created
        rows.setdefault((sp.role.level, sp.role.quadrant, sp.role.direct, q), [0, 0])[new] += 1
    return sum(v[0] for v in rows.values()), sum(v[1] for v in rows.values()), rows


def switch_errors(rec: dict) -> list[str]:
    """How a cr3_switch_record differs from the trace recount."""
    found, created, rows = switch_by_trace(rec["first"], rec["second"], rec["host_large_pages"],
                                           rec["rule"])
    got = {(r["level"], r["quadrant"], r["direct"], r["pd_quadrant"]): [r["found"], r["created"]]
           for r in rec["rows"]}
    per_page = {}
    for p in rec["pages"]:
        k = (p["level"], p["quadrant"], p["direct"], p["pd_quadrant"])
        per_page.setdefault(k, [0, 0])[not p["found"]] += 1
    errors = []
    for what, want, have in (("found", found, rec["found"]), ("created", created, rec["created"]),
                             ("rows", rows, got), ("pages", rows, per_page)):
        if want != have:
            errors.append(f"{rec['first']}->{rec['second']} {rec['rule']} {what}: record {have!r}, "
                          f"trace {want!r}")
    return errors


def probe_dataset(name: str, va: int, host_large_pages: bool = True) -> dict:
    """The real-guest explorer's root data-* for these inputs, as the oracles say (absent: None)."""
    gpa, _ = shadow_gpa(name, va, host_large_pages)
    asked, qemu = qemu_said(name, va)
    agree = gpa == mini_walk(_SNAPS[name], va) and (asked == "no" or qemu == gpa)
    hexed = lambda v: None if v is None else f"0x{v:08X}"  # noqa: E731
    return {"snapshot": name, "address": hexed(va), "gpa": hexed(gpa), "qemu": asked,
            "qemuGpa": hexed(qemu), "agree": "1" if agree else "0",
            "largePages": "1" if host_large_pages else "0"}
