"""The words of notebook 07's write record: what each step says, from facts the record read off the trace.

``states.writes`` cuts a store into steps; this module only phrases them: which
part of the table a shadow page covers, why the store trapped (or did not), what
the write path did to one shadow page, and what the re-run of an unprotected
store did:

    >>> covers({"byte_lo": 0x400, "byte_hi": 0x7FF, "first_gpte": 256, "nr_gptes": 256})
    'bytes 0x400-0x7FF (guest entries 256-511)'

Knows: nothing but the facts it is given. Does not know the simulator, HTML or widgets.
"""

from __future__ import annotations


def covers(p: dict) -> str:
    return (f"bytes 0x{p['byte_lo']:03X}-0x{p['byte_hi']:03X} (guest entries "
            f"{p['first_gpte']}-{p['first_gpte'] + p['nr_gptes'] - 1})")


def _flood(p: dict | None) -> str:
    if p is None or p["level"] == 1:
        return ""
    return f" Its write-flooding count is now {p['flooding']} (KVM zaps it at 3)."


def visit_text(kind, page, detail, offset, size, end) -> str:
    later = end.get(page["id"])
    if kind == "skip":
        return (f"{page['id']} shadows {covers(page)}; byte 0x{offset:03X} is another quadrant's, so "
                f"get_written_sptes() returns NULL and the page is skipped (QuadrantSkip).") + _flood(later)
    if kind == "zap-page":
        n = len(page["sptes"])
        why = (f"{'an' if size == 8 else 'a'} {size}-byte store at byte 0x{offset:03X} is misaligned for 4-byte gPTEs "
               "(detect_write_misaligned())" if detail == "misaligned write" else
               "it has now seen 3 emulated writes with no fault in between (detect_write_flooding())"
               if detail == "write flooding" else
               "kvm_mmu_unprotect_page() zaps every shadow page of the gfn, whatever the bytes written")
        root = (" It is a root in use: KVM empties it and marks it obsolete (role.invalid)"
                if page["root"] else "")
        return f"{page['id']}: {why}, so KVM zaps the whole page and its {n} present sPTE(s).{root}"
    named = ", ".join(f"{page['id']}:{i}" for i in detail["named"])
    zapped = ", ".join(f"{page['id']}:{i}" for i in detail["zapped"])
    what = f"present, so zapped: {zapped}" if zapped else "not present: nothing to zap"
    return (f"{page['id']} shadows {covers(page)}, which hold byte 0x{offset:03X}: get_written_sptes() "
            f"names sPTE(s) {named}, {what}.") + _flood(later)



def trap_text(action: str, why: str, unsynced: list[str]) -> str:
    """Why the store trapped, or did not, and what KVM does with it (one text per GuestWrite action)."""
    return {"emulate": (f"{why}: the store traps and KVM emulates it, then kvm_mmu_track_write() "
                        "visits every shadow page of the gfn."),
            "unsync": ("The page table is write-protected but not tracked: its first write fault makes "
                       f"its shadow pages unsync ({', '.join(unsynced)}"
                       "; mmu_try_to_unsync_pages()) and the store goes through. Nothing is zapped, "
                       "and later stores to it no longer trap."),
            "store": ("The page table's shadow pages are unsync, so its frame is writable: the store "
                      "simply lands and KVM sees nothing."),
            "unprotect": (f"{why}: the store faults. But the instruction is a rep stos (clear_page()), which "
                          "x86_page_table_writing_insn() does not flag as a page-table write, so KVM does "
                          "not emulate it: retry_instruction() calls kvm_mmu_unprotect_page(), which zaps "
                          "every shadow page of the gfn, and the guest will re-run the instruction. No "
                          "kvm_mmu_track_write(), no get_written_sptes().")}[action]


def rerun_text(pages: int, rerun_action: str | None, news: str) -> str:
    """What the re-run of an unprotected store did (``rerun_action``: its GuestWrite action)."""
    outcome = "lands" if rerun_action == "store" else f"traps again ({rerun_action})"
    return (f"kvm_mmu_unprotect_page() zapped {pages} shadow page(s) and KVM re-enters the guest, which "
            f"runs the rep stos again. Its store now {outcome} (after one more fault that only maps the "
            "frame writable, which the simulator, storing by guest-physical address, leaves out): entry "
            f"bytes now {news}. Nothing shadows the frame any more, so the rest of the rep stos lands "
            "untrapped too. Had CR3 still pointed at this directory, the roots reloaded before the re-run "
            "would track it again, and KVM, seeing the same instruction fault at the same address "
            "(last_retry_eip, last_retry_addr), would emulate it.")
