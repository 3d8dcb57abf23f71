"""An independent run of one guest store, for checking write records (tests/explorer_records, tests/in_browser).

It builds ``scenarios.write_lab()`` and drives ``ShadowMMU`` directly, as notebook 07's
experiment does, and reads the *shadow pages themselves* before and after: an sPTE is
zapped if it was present and is no longer (or its page went). No trace event, no
record code is used. The quadrant a byte belongs to is derived by hand: a guest PT's
4096 bytes are two shadowed halves of 2048 (PT quadrant = byte >> 11), a guest PD's four
quarters of 1024 (PD quadrant = byte >> 10); a PDE k is PAE PDEs 2(k mod 256) and +1.
"""

from __future__ import annotations

from shadowmmu.scenarios.write_lab import write_lab, write_value
from shadowmmu.sim.spte import SPTE_PRESENT


def pid(sp) -> str:
    """The record's page id convention (documented in writes.js), for the first generation."""
    return f"L{sp.role.level}q{sp.role.quadrant}"


def present(sp) -> set[int]:
    return {i for i, s in enumerate(sp.spt) if s & SPTE_PRESENT}


def hand_quadrant(table: str, offset: int) -> int:
    return offset >> 11 if table == "pt" else offset >> 10


def run(table: str, offset: int, size: int, unsync: bool) -> dict:
    """One store of write_experiment()'s value: what the shadow pages lost, then what invlpg dropped.

    "freed_pd" is set up here by hand, not by scenarios.freed_pd_lab(): the process touches
    the kernel at 0xC0000000 and 0xC0200000, clears its PDE 32 as it exits, CR3 moves to a
    new process; then the store is a rep stos (not a page-table write).
    """
    lab = write_lab(unsync)
    mmu, cr3 = lab.mmu, lab.cr3
    if table == "freed_pd":
        for kernel_va in (0xC0000000, 0xC0200000):
            mmu.access(kernel_va)
        mmu.guest_write(lab.pd_gpa + 32 * 4, 0)
        cr3 = lab.guest.new_address_space()
        mmu.load_cr3(cr3)
    base = lab.pt_gpa if table == "pt" else lab.pd_gpa
    gfn = base >> 12
    pages = [sp for sp in mmu.shadow_pages() if sp.gfn == gfn]
    before = {sp: present(sp) for sp in pages}
    entry = offset // 4
    va = (0x08000000 | entry << 12) if table == "pt" else entry << 22
    t_before = mmu.translate(va)
    mmu.guest_write(base + offset, write_value(table, size), size, page_table_write=table != "freed_pd")
    zapped, gone = [], []
    for sp, had in before.items():
        if sp.valid:
            zapped += [f"{pid(sp)}:{i}" for i in sorted(had - present(sp))]
        else:
            gone.append(pid(sp))
            zapped += [f"{pid(sp)}:{i}" for i in sorted(had)]
    t_write, g_write = mmu.translate(va), lab.guest.translate(cr3, va)
    live = [sp for sp in mmu.shadow_pages() if sp.gfn == gfn]
    mid = {sp: present(sp) for sp in live}
    unsynced = sorted(pid(sp) for sp in live if sp.unsync)
    mmu.invlpg(va)
    dropped = [f"{pid(sp)}:{i}" for sp, had in mid.items() for i in sorted(had - present(sp))]
    return {"zapped": zapped, "gone": gone, "va": va, "before": t_before, "shadow": t_write,
            "guest": g_write, "unsynced": unsynced, "invlpg_dropped": dropped,
            "pages": [pid(sp) for sp in pages]}
