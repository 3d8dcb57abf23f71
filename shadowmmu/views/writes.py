"""Notebook 07's views: a guest write, what it zapped, the stale translation until the flush.

Knows: the ``scenarios.WriteResult`` record it is given, ``writes``.
Does not know: Guest or ShadowMMU objects, ipywidgets.
"""

from __future__ import annotations

from ..sim.events import (
    GuestWrite,
    PageUnsync,
    QuadrantSkip,
    RootsFreed,
    ShadowPageZapped,
    SpteZapped,
)
from ..writes import detect_write_misaligned
from .common import esc, render_note, render_table, wrap_box
from .fault import render_trace


def _gpa_text(v: int | str | None) -> str:
    """A gpa, None (not mapped) or a sentence saying why there is no gpa."""
    if v is None:
        return "not mapped"
    return v if isinstance(v, str) else f"0x{v:X}"


def write_outcome(r) -> dict:
    """What one scenarios.WriteResult did, counted off its write trace."""
    action = next((e.action for e in r.write_trace if isinstance(e, GuestWrite)), "-")
    return {
        "action": action,
        "zapped": [(e.role.describe(), e.index) for e in r.write_trace
                   if isinstance(e, SpteZapped)],
        "skipped": [e.role.describe() for e in r.write_trace if isinstance(e, QuadrantSkip)],
        "pages_zapped": [e.role.describe() for e in r.write_trace
                         if isinstance(e, ShadowPageZapped)],
        "unsynced": sum(isinstance(e, PageUnsync) for e in r.write_trace),
        "roots_reloaded": any(isinstance(e, RootsFreed) for e in r.write_trace),
    }


def render_translate_timeline(r) -> str:
    """translate() for the written entry's VA: before, after the write, after the guest's invlpg."""
    rows = [("before the write", _gpa_text(r.translate_before), "the old frame"),
            ("after the write, before any flush", _gpa_text(r.translate_after_write),
             "STALE: the guest now says " + _gpa_text(r.guest_after_write)
             if r.translate_after_write is not None and r.translate_after_write != r.guest_after_write
             else "nothing stale left"),
            ("after the guest's invlpg", _gpa_text(r.translate_after_invlpg),
             "the next access faults the new entry in" if r.translate_after_invlpg is None
             else "mapped"),
            ("next access (a fault)", _gpa_text(r.access_after), "what the guest asked for")]
    return render_table(("moment", f"ShadowMMU.translate(0x{r.va:08X})", "meaning"), rows,
                        caption="What the shadow tables alone give, with no fault")


def render_write_result(r) -> str:
    """One guest store into a page table: what trapped, what was zapped or skipped, and the stale window."""
    o = write_outcome(r)
    table = "guest page table (of guest PDE 32)" if r.table == "pt" else "guest page directory"
    entry = r.offset // 4
    mis = detect_write_misaligned(r.offset & 0xFFF, r.size)
    head = (f'<div class="smmu-write" data-table="{r.table}" data-action="{esc(o["action"])}">'
            f"<b>{r.size}-byte store at byte 0x{r.offset:03X} of the {table}</b> (entry {entry}, "
            f"the one for VA 0x{r.va:08X}); page tables "
            f"{'may go unsync, as KVM lets them' if r.unsync else 'write-tracked, as if also a page directory (a simulator switch)'}; "
            f"{'misaligned for 4-byte gPTEs: every shadow page of the frame is zapped' if mis else 'aligned'}."
            f"</div>")
    before = render_table(("shadow page", "sPTEs present", "unsync"),
                          [(a, b, "yes" if c else "no") for a, b, c in r.pages_before],
                          caption="shadow pages of the written frame, before")
    after = render_table(("shadow page", "sPTEs present", "unsync"),
                         [(a, b, "yes" if c else "no") for a, b, c in r.pages_after] or
                         [("(none left: all zapped)", "-", "-")],
                         caption=("... and after the write (new roots, reloaded)"
                                  if o["roots_reloaded"] else "... and after the write"))
    pages = f'<div style="display:flex;gap:12px;align-items:flex-start">{before}{after}</div>'
    if o["roots_reloaded"]:
        pages += render_note(
            "The zapped page directories were roots in use. KVM does not leave the vCPU without "
            "roots: it marks them obsolete (role.invalid) and, before the guest runs its next "
            "instruction, frees them and loads new ones (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, then "
            "kvm_mmu_reload()). The table after the write shows those new, empty roots; the "
            "next access faults in what it needs.")
    return wrap_box(head + render_trace(r.write_trace, caption="ShadowMMU.guest_write(): events")
                 + pages + render_translate_timeline(r), "smmu-write-view")


def render_write_presets(results) -> str:
    """One row per scenarios.WriteResult: the static table of notebook 07."""
    rows = []
    for r in results:
        o = write_outcome(r)
        rows.append((r.table.upper(), f"0x{r.offset:03X}", r.size,
                     "unsync" if r.unsync else "kept protected", o["action"],
                     "; ".join(f"{p} sPTE {i}" for p, i in o["zapped"]) or "-",
                     ", ".join(o["skipped"]) or "-", ", ".join(o["pages_zapped"]) or "-",
                     _gpa_text(r.translate_after_write), _gpa_text(r.translate_after_invlpg)))
    return render_table(("table", "byte", "size", "PTs", "handled as", "sPTEs zapped",
                         "quadrant skips", "pages zapped", "translate() after write",
                         "after invlpg"), rows,
                        caption="scenarios.write_experiment() on a fresh scenarios.write_lab()")
