"""Notebook 06's views: a page fault step by step, from the simulator's trace.

Everything here draws records the simulator made: the frozen events of
``ShadowMMU.last_trace``, ``scenarios.AccessResult``. The numbers shown are
the ones the simulator used (the index of the sPTE it wrote, the quadrant of
the page it created), not recomputed from the address; the tests compare
them with the golden table.

Knows: the event classes of ``sim.events``, the sPTE bit layout of
``sim.spte``. Does not know: Guest or ShadowMMU objects (it is given
records), ipywidgets.
"""

from __future__ import annotations

from ..consts import PT_PAGE_SIZE_MASK
from ..sim.events import (
    GuestFaultInjected,
    GuestWalkStep,
    GuestWrite,
    PageSynced,
    PageUnsync,
    QuadrantSkip,
    RootObsolete,
    RootsFreed,
    RootsLoaded,
    ShadowPageCreated,
    ShadowPageFault,
    ShadowPageFound,
    ShadowPageZapped,
    ShadowWalkStep,
    SpteInstalled,
    SpteZapped,
    TlbFlush,
    WriteProtect,
)
from ..sim.spte import SPTE_LARGE, SPTE_PRESENT, SPTE_USER, SPTE_WRITABLE, spte_bits, spte_frame
from .common import (
    _BOX,
    PALETTE,
    esc,
    gfn_text,
    render_table,
    text_colour,
    value_span,
)

#: One colour and one label per kind of trace event; the label is always printed.
#: The two walks of the shadow tables share a colour (one concept) and differ in words.
EVENT_STYLE = {
    "ShadowWalkStep": ("CPU walks shadow", PALETTE["blue"]),
    "ShadowWalkStep/fetch": ("FNAME(fetch) walk", PALETTE["blue"]),
    "ShadowPageFault": ("#PF exits to KVM", PALETTE["yellow"]),
    "GuestWalkStep": ("guest walk", PALETTE["orange"]),
    "GuestFaultInjected": ("guest #PF", PALETTE["vermillion"]),
    "ShadowPageCreated": ("new shadow page", PALETTE["bluish_green"]),
    "ShadowPageFound": ("cached shadow page", PALETTE["sky_blue"]),
    "SpteInstalled": ("install sPTE", PALETTE["reddish_purple"]),
    "SpteZapped": ("zap sPTE", PALETTE["vermillion"]),
    "ShadowPageZapped": ("zap whole page", PALETTE["vermillion"]),
    "QuadrantSkip": ("quadrant skip", PALETTE["grey"]),
    "GuestWrite": ("guest write", PALETTE["black"]),
    "PageUnsync": ("unsync", PALETTE["orange"]),
    "PageSynced": ("resync", PALETTE["sky_blue"]),
    "WriteProtect": ("write-protect", PALETTE["grey"]),
    "RootsLoaded": ("roots", PALETTE["black"]),
    "RootObsolete": ("obsolete root", PALETTE["vermillion"]),
    "RootsFreed": ("roots reloaded", PALETTE["black"]),
    "TlbFlush": ("flush", PALETTE["grey"]),
}


def event_chip(event: object) -> str:
    """The coloured, labelled kind of one trace event: ``<span class="smmu-event ...">shadow walk</span>``."""
    name = type(event).__name__
    key = name + ("/fetch" if getattr(event, "walker", "cpu") == "fetch" else "")
    label, bg = EVENT_STYLE.get(key, (name, PALETTE["grey"]))
    return (f'<span class="smmu-event" data-event="{esc(name)}" style="background:{bg};'
            f'color:{text_colour(bg)};padding:0 4px;border-radius:3px;white-space:nowrap">'
            f"{esc(label)}</span>")


def explain_event(event: object) -> str:
    """Why the simulator took this step, in HTML, its numbers as value_spans (notebooks 06-07)."""
    e = event
    if isinstance(e, ShadowWalkStep):
        return _explain_shadow_step(e)
    if isinstance(e, ShadowPageFault):
        why = ("a present sPTE refuses the access" if e.error_code & 1 else
               "no present sPTE for this address")
        return (f"the CPU's walk fails ({why}): a page fault, which exits to KVM; "
                f"<code>kvm_mmu_page_fault()</code> calls <code>FNAME(page_fault)</code>, "
                f"which first walks the guest's own tables")
    if isinstance(e, GuestWalkStep):
        if e.level == 2:
            if e.entry & PT_PAGE_SIZE_MASK:
                tail = "a 4 MiB page (PS set): the guest walk ends here"
            else:
                tail = f"points at the guest page table at {gfn_text(e.entry >> 12)}"
            return (f"KVM walks the guest's own tables (<code>FNAME(walk_addr)</code> &rarr; "
                    f"<code>FNAME(walk_addr_generic)</code>): "
                    f"guest PDE {value_span('guest_pde_index', e.index)} = VA bits 31:22, in the "
                    f"guest PD at {gfn_text(e.table_gfn)}: {tail}")
        return (f"guest PTE {value_span('guest_pte_index', e.index)} = VA bits 21:12: frame "
                f"0x{e.entry >> 12:X}")
    if isinstance(e, GuestFaultInjected):
        return f"the guest's own tables refuse ({esc(e.reason)}): KVM injects #PF; no shadow page is made"
    if isinstance(e, (ShadowPageCreated, ShadowPageFound)):
        r = e.role
        if isinstance(e, ShadowPageFound):
            head = ("<code>kvm_mmu_find_shadow_page()</code> finds this (gfn, role) in the "
                    "cache: reused, nothing new")
        else:
            head = "not in the cache: a new shadow page"
        if r.level == 2:
            return (f"{head}; PD quadrant {value_span('pd_quadrant', r.quadrant)} of the guest PD at "
                    f"{gfn_text(e.gfn)} (<code>mmu_alloc_root()</code> gives root i quadrant i)")
        if r.direct:
            return (f"{head}: a <b>direct</b> page mapping the 2 MiB from {gfn_text(e.gfn)} (half of a "
                    f"guest 4 MiB page that cannot be one 2 MiB sPTE: the host backs it with "
                    f"4 KiB pages, or a guest table lies inside it); quadrant "
                    f"{value_span('pt_quadrant', r.quadrant)}, inherited bookkeeping")
        lo = 512 * r.quadrant
        return (f"{head} for the guest PT at {gfn_text(e.gfn)}, level 1, quadrant "
                f"{value_span('pt_quadrant', r.quadrant)} = parent PAE PDE index &amp; 1 "
                f"(<code>kvm_mmu_child_role()</code>, Linux 6.0+): it shadows guest PTEs "
                f"{lo}..{lo + 511}")
    if isinstance(e, SpteInstalled):
        if e.what == "link":
            return (f"PAE PDE {value_span('shadow_pde_index', e.index)} of the {e.role.describe()} "
                    f"page now points at that page table (<code>link_shadow_page()</code>, "
                    f"<code>make_nonleaf_spte()</code>); bits: {esc(spte_bits(e.spte))}")
        flags = (("writable" if e.spte & SPTE_WRITABLE else "read-only")
                 + (", user" if e.spte & SPTE_USER else ", supervisor"))
        if e.what == "leaf 2M":
            return (f"a 2 MiB leaf in PAE PDE {value_span('shadow_pde_index', e.index)}: frame "
                    f"0x{spte_frame(e.spte):X}, {flags}; no page table below it "
                    f"(the host has a large page there); bits: {esc(spte_bits(e.spte))}")
        return (f"leaf sPTE {value_span('shadow_pte_index', e.index)} of the {e.role.describe()} page: "
                f"frame 0x{spte_frame(e.spte):X}, {flags} (<code>mmu_set_spte()</code> &rarr; "
                f"<code>make_spte()</code>); bits: {esc(spte_bits(e.spte))}")
    if isinstance(e, SpteZapped):
        return (f"sPTE {e.index} of the {e.role.describe()} page at {gfn_text(e.gfn)} cleared: "
                f"{esc(e.reason)} (<code>mmu_page_zap_pte()</code>)")
    if isinstance(e, ShadowPageZapped):
        return f"the whole {e.role.describe()} page at {gfn_text(e.gfn)} is dropped: {esc(e.reason)}"
    if isinstance(e, QuadrantSkip):
        return (f"<code>get_written_sptes()</code> returns NULL for the {e.role.describe()} page: "
                f"byte 0x{e.offset:X} belongs to another quadrant, so it is skipped")
    if isinstance(e, GuestWrite):
        what = {"emulate": "the frame is write-protected: KVM emulates the store, then "
                           "<code>kvm_mmu_track_write()</code> (Linux 6.6+) zaps what it changed",
                "unsync": "first store to a protected page table: its shadow pages go unsync "
                          "and the store goes through (<code>mmu_try_to_unsync_pages()</code>)",
                "store": "nothing traps: a plain store"}.get(e.action, esc(e.action))
        return f"{e.size}-byte store of 0x{e.value:X} at gpa 0x{e.gpa:X}: {what}"
    if isinstance(e, PageUnsync):
        return f"the {e.role.describe()} page at {gfn_text(e.gfn)} may now disagree with the guest PT"
    if isinstance(e, PageSynced):
        tail = ("; it stays unsync and writable until the guest flushes"
                if getattr(e, "still_unsync", False) else "")
        return (f"gPTE(s) re-read for the {e.role.describe()} page at {gfn_text(e.gfn)}: "
                f"{e.zapped} changed sPTE(s) dropped{tail}")
    if isinstance(e, RootObsolete):
        return (f"the {e.role.describe()} page was a root in use: KVM empties it and marks it "
                f"invalid (<code>role.invalid</code>, an obsolete root) instead of freeing it, "
                f"and asks the vCPU to drop it (<code>KVM_REQ_MMU_FREE_OBSOLETE_ROOTS</code>)")
    if isinstance(e, RootsFreed):
        return (f"before the guest runs again, <code>kvm_mmu_free_obsolete_roots()</code> frees "
                f"the vCPU's {e.freed} roots ({e.obsolete} of them obsolete; <code>pae_root</code> "
                f"has no shadow page of its own, so all four go) and <code>kvm_mmu_reload()</code> "
                f"loads them again: cached page directories are found, zapped ones made anew")
    if isinstance(e, RootsLoaded):
        return "<code>pae_root</code> filled: four PAE page directories, one guest PD"
    if isinstance(e, TlbFlush):
        return "the guest flushes its TLB" + (f" for 0x{e.va:08X}" if e.va is not None else "")
    if isinstance(e, WriteProtect):
        return (f"{e.sptes} leaf sPTE(s) mapping {gfn_text(e.gfn)} lose W: a guest table KVM shadows "
                f"(newly, or again as the guest's flush resyncs it) must trap stores")
    return esc(getattr(event, "describe", lambda: str(event))())


def _explain_shadow_step(e: ShadowWalkStep) -> str:
    """One step of either walk of the shadow tables: the CPU's (hardware) or FNAME(fetch)'s (KVM)."""
    state = ("empty" if not e.spte & SPTE_PRESENT else
             "a 2 MiB leaf" if e.level == 2 and e.spte & SPTE_LARGE else "present")
    if e.spte & SPTE_PRESENT:
        state += f" ({esc(spte_bits(e.spte))})"
    cpu = e.walker == "cpu"
    if e.level == 3:
        pick = (f"VA bits 31:30 = {value_span('pdpte_index', e.index)} pick "
                f"<code>pae_root[{e.index}]</code>, the PAE page directory with PD quadrant "
                f"{value_span('pd_quadrant', e.index)}")
        if cpu:
            return (f"the CPU's own walk (hardware, no KVM code), from CR3 = <code>pae_root</code>: "
                    f"{pick}; {state}")
        return (f"<code>FNAME(fetch)</code> walks the shadow tables from the root "
                f"(<code>shadow_walk_init_using_root()</code>): {pick}; {state}")
    if e.level == 2:
        if cpu:
            more = {"empty": ": nothing maps this 2 MiB yet, so the access faults",
                    "present": ": it links to a PAE page table"}.get(state.split(" (")[0], "")
        else:
            more = {"empty": ": KVM fills it in next",
                    "present": ": KVM checks where it leads"}.get(state.split(" (")[0], "")
        return (f"PAE PDE {value_span('shadow_pde_index', e.index)} = VA bits 29:21 of that "
                f"page directory: {state}{more}")
    if cpu:
        more = ": the access faults" if state == "empty" else ": the CPU checks its permissions"
    else:
        more = ": KVM installs the leaf here" if state == "empty" else ": KVM replaces it"
    return f"PAE PTE {value_span('shadow_pte_index', e.index)} = VA bits 20:12: {state}{more}"


def fault_summary(trace) -> dict:
    """What one access did, read off its events (not recomputed from the address):

    keys ``root`` (pae_root index), ``shadow_pde_index``, ``guest_pde_index``,
    ``guest_pte_index``, ``pt_quadrant`` (of the level-1 page used, or None),
    ``shadow_pte_index`` (the 4 KiB leaf installed, or None), ``large`` (a 2 MiB
    leaf was installed), ``created``/``found`` (role descriptions), ``fault``
    (the injected #PF reason or None), ``hit`` (no shadow fault at all).
    """
    out = {"root": None, "shadow_pde_index": None, "guest_pde_index": None,
           "guest_pte_index": None, "pt_quadrant": None, "shadow_pte_index": None,
           "large": False, "created": [], "found": [], "fault": None, "hit": True}
    for e in trace:
        if isinstance(e, ShadowWalkStep):
            if e.level == 3 and out["root"] is None:
                out["root"] = e.index
            elif e.level == 2 and out["shadow_pde_index"] is None:
                out["shadow_pde_index"] = e.index
        elif isinstance(e, GuestWalkStep):
            out["hit"] = False
            out["guest_pde_index" if e.level == 2 else "guest_pte_index"] = e.index
        elif isinstance(e, GuestFaultInjected):
            out["hit"], out["fault"] = False, e.reason
        elif isinstance(e, (ShadowPageCreated, ShadowPageFound)):
            out["created" if isinstance(e, ShadowPageCreated) else "found"].append(e.role.describe())
            if e.role.level == 1:
                out["pt_quadrant"] = e.role.quadrant
        elif isinstance(e, SpteInstalled):
            if e.what == "leaf":
                out["shadow_pte_index"] = e.index
                if out["pt_quadrant"] is None:
                    out["pt_quadrant"] = e.role.quadrant
            elif e.what == "leaf 2M":
                out["large"] = True
    return out


def render_fault_summary(result) -> str:
    """One access (a scenarios.AccessResult) in a sentence of tagged numbers (notebook 06)."""
    s = fault_summary(result.trace)
    parts = [f"{'write' if result.write else 'read'} of {value_span('va', result.va)}: "]
    if s["root"] is not None:
        parts.append(f"root <code>pae_root[{value_span('pdpte_index', s['root'])}]</code> (PD quadrant "
                     f"{value_span('pd_quadrant', s['root'])})")
    if s["shadow_pde_index"] is not None:
        parts.append(f", PAE PDE {value_span('shadow_pde_index', s['shadow_pde_index'])}")
    if s["guest_pde_index"] is not None:
        parts.append(f", guest PDE {value_span('guest_pde_index', s['guest_pde_index'])}")
    if s["guest_pte_index"] is not None:
        parts.append(f", guest PTE {value_span('guest_pte_index', s['guest_pte_index'])}")
    if s["pt_quadrant"] is not None:
        parts.append(f", level-1 page quadrant {value_span('pt_quadrant', s['pt_quadrant'])}")
    if s["shadow_pte_index"] is not None:
        parts.append(f", leaf sPTE {value_span('shadow_pte_index', s['shadow_pte_index'])}")
    if s["large"]:
        parts.append(", a 2 MiB leaf sPTE")
    if s["fault"]:
        verdict = f"the guest's tables refuse it: #PF injected ({esc(s['fault'])})"
    elif s["hit"]:
        verdict = "no fault: the shadow tables already map it"
    else:
        made = ", ".join(s["created"]) or "none"
        reused = ", ".join(s["found"]) or "none"
        verdict = f"shadow pages created: {esc(made)}; found in the cache: {esc(reused)}"
    gpa = "" if result.gpa is None else f" &rarr; gpa 0x{result.gpa:X}"
    return (f'<div class="smmu-fault-summary" data-va="0x{result.va:08X}">{"".join(parts)}'
            f"{gpa}. {verdict}.</div>")


def render_trace(trace, *, current: int | None = None, caption: str | None = None) -> str:
    """Every event of one simulator call, numbered, each with why (notebooks 06-07).

    ``current`` (0-based) marks one row with a "&#9654;" and the class
    ``smmu-step-current``, for the step-by-step view; the mark is text, not
    only colour.
    """
    rows = []
    for n, e in enumerate(trace):
        here = n == current
        mark = "&#9654; " if here else ""
        style = ' style="background:#eef;font-weight:bold"' if here else ""
        cls = ' class="smmu-step smmu-step-current"' if here else ' class="smmu-step"'
        rows.append(f'<tr{cls} data-step="{n}"{style}><td style="border:1px solid #999;'
                    f'padding:2px 6px;text-align:right">{mark}{n + 1}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px">{event_chip(e)}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px">{esc(e.describe())}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px;text-align:left">'
                    f"{explain_event(e)}</td></tr>")
    if not rows:
        rows.append('<tr><td colspan="4">no events</td></tr>')
    th = "".join(f'<th style="border:1px solid #999;padding:2px 6px">{h}</th>'
                 for h in ("step", "kind", "event (describe())", "why"))
    cap = f'<caption style="text-align:left">{esc(caption)}</caption>' if caption else ""
    return (f'<table class="smmu-table smmu-trace" style="border-collapse:collapse;{_BOX}">'
            f"{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_fault_presets(results) -> str:
    """One row per access (scenarios.AccessResult), each on a fresh guest (notebook 06's static table)."""
    rows = []
    for r in results:
        s = fault_summary(r.trace)
        show = lambda v: "-" if v is None else str(v)  # noqa: E731
        outcome = (f"#PF: {s['fault']}" if s["fault"] else
                   f"gpa 0x{r.gpa:X}" if r.gpa is not None else "-")
        leaf = ("2 MiB leaf" if s["large"] else show(s["shadow_pte_index"]))
        rows.append((f"0x{r.va:08X}", outcome, show(s["root"]), show(s["shadow_pde_index"]),
                     show(s["guest_pde_index"]), show(s["guest_pte_index"]),
                     ", ".join(s["created"]) or "-", show(s["pt_quadrant"]), leaf))
    return render_table(("VA", "outcome", "pae_root", "PAE PDE", "guest PDE", "guest PTE",
                         "shadow pages created", "L1 quadrant", "leaf sPTE"), rows,
                        caption="Each address faulted on a fresh scenarios.small_guest(), "
                                "by ShadowMMU.access()")


def render_shadow_pages(pages, gfn: int | None = None, caption: str | None = None) -> str:
    """The shadow-page cache (or the pages of one gfn) from sim.records.page_records(): role, sPTEs, unsync."""
    rows = []
    for sp in pages:
        if gfn is not None and sp.gfn != gfn:
            continue
        kind = ("root in use" if sp.root else "direct" if sp.direct else
                "PD, not loaded" if sp.level == 2 else "page table")
        rows.append((f"0x{sp.gfn:X}", sp.level, sp.quadrant, "yes" if sp.direct else "no", kind,
                     sp.present, "yes" if sp.unsync else "no"))
    return render_table(("gfn", "level", "quadrant", "direct", "kind", "sPTEs present",
                         "unsync"), rows, caption=caption or "ShadowMMU.shadow_pages()")
