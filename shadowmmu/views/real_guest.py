"""Notebook 10's tables: a real Linux guest's page directory, halves, CR3 switch, QEMU tally.

These tabulate the records of ``scenarios.real`` (RealPde, PageTableHalves,
RealSwitch, OracleTally) for page tables captured from a real guest under
QEMU. The whole-guest tables of notebook 08 take a real guest as they are;
nothing here recounts what they show. The page directory's picture is the
page's (``frontend/real_draw.js``).

Knows: those records. Does not know: Guest or ShadowMMU objects, ipywidgets.
"""

from __future__ import annotations

from ..address import decompose
from .common import render_note, render_table, wrap_box
from .whole_guest import kind_label

def real_pd_rows(pdes) -> list[tuple]:
    """Per PD quadrant: VA range, guest PDEs, present PDEs, 4 MiB pages, page tables, PAE PDEs used."""
    rows = []
    for q in range(4):
        mine = [p for p in pdes if p.pd_quadrant == q]
        large = sum(p.large for p in mine)
        lo = q << 30
        rows.append((f"pae_root[{q}]", q, f"0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}",
                     f"{256 * q}-{256 * q + 255}", len(mine), large, len(mine) - large,
                     2 * len(mine)))
    large = sum(p.large for p in pdes)
    rows.append(("total", "", "", "0-1023", len(pdes), large, len(pdes) - large, 2 * len(pdes)))
    return rows


def render_real_pd_counts(pdes) -> str:
    """Notebook 10: the present PDEs of a real page directory, counted per PD quadrant."""
    return render_table(("root", "PD quadrant", "VA range", "guest PDEs", "present PDEs",
                         "4 MiB pages", "page tables", "PAE PDEs they fill"),
                        real_pd_rows(pdes),
                        caption="scenarios.page_directory_entries(), by VA bits 31:30")


def user_area_rows(spaces) -> list[tuple]:
    """Below the kernel half, per address space and guest PDE: first and last mapped VA, 4 KiB pages.

    Read from sim.records.address_spaces(); the PD quadrant and the PT
    quadrants come from ``decompose()`` of the mapped addresses.
    """
    rows = []
    for space in spaces:
        kernel_base = space.kernel_base if space.kernel_base is not None else 1 << 32
        by_pde: dict[int, list[int]] = {}
        for va, size, _, _ in space.mappings:
            if va < kernel_base:
                by_pde.setdefault(decompose(va).guest_pde_index, []).append(va)
        for pde, vas in sorted(by_pde.items()):
            d = decompose(vas[0])
            halves = sorted({decompose(va).pt_quadrant for va in vas})
            rows.append((space.name, pde, d.pd_quadrant, f"0x{vas[0]:08X}", f"0x{vas[-1]:08X}",
                         len(vas), ", ".join(map(str, halves))))
    return rows


def render_user_areas(spaces) -> str:
    """Notebook 10: where each process's own mappings are, one row per guest PDE."""
    return render_table(("address space", "guest PDE", "PD quadrant", "first mapped VA",
                         "last mapped VA", "4 KiB pages", "PT quadrants (VA bit 21)"),
                        user_area_rows(spaces),
                        caption="Guest.mappings() below 0xC0000000, grouped by guest PDE")


def pt_half_rows(halves) -> list[tuple]:
    """One row per guest page table (scenarios.PageTableHalves)."""
    return [(h.guest_pde_index, f"0x{h.gfn:X}", h.pd_quadrant,
             f"{h.shadow_pdes[0]}, {h.shadow_pdes[1]}", h.lower, h.upper, h.kind)
            for h in halves]


def render_pt_halves(halves, caption: str | None = None) -> str:
    """Notebook 10: every guest page table, its present gPTEs in the lower and upper half."""
    return render_table(("guest PDE", "PT frame", "PD quadrant", "PAE PDEs (even, odd)",
                         "present gPTEs 0-511", "present gPTEs 512-1023", "in use"),
                        pt_half_rows(halves),
                        caption=caption or "scenarios.page_table_halves()")


def half_summary_rows(halves, stats=None) -> list[tuple]:
    """How many page tables use which halves; and the level-1 pages that implies, against stats."""
    kinds = halves[0].KINDS if halves else ()
    rows = [(kind, sum(h.kind == kind for h in halves)) for kind in kinds]
    q0 = sum(bool(h.lower) for h in halves)
    q1 = sum(bool(h.upper) for h in halves)
    extra = ((stats.shadow_pages.get((1, 0, False), 0),),
             (stats.shadow_pages.get((1, 1, False), 0),)) if stats is not None else ((), ())
    rows = [r + (("",) if stats is not None else ()) for r in rows]
    rows.append(("halves in use: lower (-> level-1 pages, quadrant 0)", q0) + extra[0])
    rows.append(("halves in use: upper (-> level-1 pages, quadrant 1)", q1) + extra[1])
    return rows


def render_half_summary(halves, stats=None) -> str:
    """Notebook 10: page tables by halves in use, and (with stats) the level-1 pages the MMU made."""
    heads = ("guest page tables", "count") + (("ShadowMMU.stats()",) if stats is not None else ())
    return render_table(heads, half_summary_rows(halves, stats),
                        caption="A half with a present gPTE becomes one PAE page table once touched")


def real_switch_rows(sw) -> list[tuple]:
    """One row per kind of shadow page the second process reached: found in the cache vs created."""
    rows = []
    for r in sw.rows:
        half = "kernel, 0xC0000000 up" if r.pd_quadrant == 3 else "user space"
        rows.append((kind_label(r.level, r.quadrant, r.direct), f"pae_root[{r.pd_quadrant}] ({half})",
                     r.found, r.created))
    rows.append(("total", "", sw.found, sw.created))
    return rows


def render_real_switch(sw) -> str:
    """Notebook 10: after a CR3 switch between two real processes, which shadow pages were reused."""
    first, second = sw.names
    table = render_table(("shadow page", "reached from", "found in the cache", "created"),
                         real_switch_rows(sw),
                         caption=f"{second} after {first}: pages reachable from {second}'s roots "
                                 f"(host large pages {'on' if sw.host_large_pages else 'off'})")
    note = render_note(
        f"Before the switch the cache held {sw.before.total_shadow_pages} shadow pages; after "
        f"{second} ran, {sw.after.total_shadow_pages}. The two page directories share "
        f"{len(sw.shared_tables)} page tables (frames "
        f"{', '.join(f'0x{g:X}' for g in sw.shared_tables)}).")
    return wrap_box(table + note, "smmu-real-switch")


def _gpa_or(value) -> str:
    if value is None:
        return "unmapped"
    return value if isinstance(value, str) else f"0x{value:X}"


def oracle_sample_rows(tally) -> list[tuple]:
    """The kept rows of a scenarios.OracleTally: VA, QEMU, walk (with its level), shadow, agree."""
    rows = []
    for a in tally.sample:
        walk = _gpa_or(a.walk) + ("" if a.walk_level is None else
                                  " (4 KiB page)" if a.walk_level == 1 else " (4 MiB page)")
        rows.append((f"0x{a.va:08X}", _gpa_or(a.qemu), walk, _gpa_or(a.shadow),
                     "yes" if a.agrees else "NO"))
    return rows


def render_oracle_sample(tally) -> str:
    """Notebook 10: a few of QEMU's gva2gpa answers next to Guest.walk() and ShadowMMU.access()."""
    return render_table(("VA", "QEMU gva2gpa", "Guest.walk()", "ShadowMMU.access()", "agree"),
                        oracle_sample_rows(tally),
                        caption=f"Snapshot {tally.name}: a few of QEMU's answers")


def oracle_tally_rows(tallies) -> list[tuple]:
    """One row per scenarios.OracleTally: how many of QEMU's answers each translation matched."""
    return [(t.name, "on" if t.host_large_pages else "off", t.answers, t.mapped, t.unmapped,
             t.walk_agrees, t.shadow_agrees,
             "agrees" if t.check is None else t.check.describe())
            for t in tallies]


def render_oracle_tally(tallies) -> str:
    """Notebook 10: every gva2gpa answer of every snapshot, agreeing or not, counted live."""
    return render_table(("snapshot", "host large pages", "QEMU answers", "mapped", "unmapped",
                         "Guest.walk() agrees", "ShadowMMU.access() agrees",
                         "ShadowMMU.check()"),
                        oracle_tally_rows(tallies),
                        caption="scenarios.qemu_oracle(): each answer compared, none skipped")


def snapshot_rows(snapshots) -> list[tuple]:
    """Per snapshot: name, CR3, CR4, CPL, page-table frames captured, QEMU gva2gpa answers."""
    return [(s.name, f"0x{s.cr3:08X}", f"0x{s.cr4:08X}", s.cpl, len(s.pages), len(s.gva2gpa))
            for s in snapshots]


def render_snapshots(snapshots) -> str:
    """Notebook 10: the captured snapshots of a real guest (``scenarios.real_guest(...).snapshots``)."""
    names = ", ".join(f'"{s.name}"' for s in snapshots)
    return render_table(("snapshot", "CR3", "CR4", "CPL", "page-table frames", "gva2gpa answers"),
                        snapshot_rows(snapshots),
                        caption=f"scenarios.real_guest({names}).snapshots")
