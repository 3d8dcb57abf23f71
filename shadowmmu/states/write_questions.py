"""The "predict, then see" questions of notebook 07's write explorer, built from what the simulator did.

Each function takes facts the record already read off the trace events (the
action a GuestWrite took, the sPTEs SpteZapped named, a QuadrantSkip, what
translate() gave) and returns a question for ``sim.js``'s stepper:
``{ask, choices: [{value, label}], answer, explain}``. The right answer is
the fact; the other choices are the usual wrong guesses, each computed for
this store (no quadrant skip, "sPTE = byte offset / 8", nothing, whole pages).
Choices are sorted by label, so the right one is not always first:

    >>> q = trap_question("emulate", "guest page directory")
    >>> q["answer"], [c["value"] for c in q["choices"]]
    ('emulate', ['unsync', 'store', 'unprotect', 'emulate'])

Knows: nothing but the facts it is given. Does not know the simulator, HTML or widgets.
"""

from __future__ import annotations

_TRAP = {
    "emulate": "it traps, and KVM emulates it: the write path zaps what it changed",
    "unsync": "it traps once: the page table's shadow pages go unsync and the store goes through",
    "store": "it does not trap: the store simply lands in guest memory",
    "unprotect": ("it traps, but it is not a page-table write: KVM zaps every shadow page of the "
                  "frame and lets the guest re-run it"),
}
_TRAP_ORDER = ("unsync", "store", "unprotect", "emulate")


def _question(ask: str, truth: str, wrong, explain: str) -> dict:
    labels = [truth] + [w for w in dict.fromkeys(wrong) if w != truth]
    return {"ask": ask, "choices": [{"value": label, "label": label} for label in sorted(labels)],
            "answer": truth, "explain": explain}


def trap_question(action: str, table_name: str) -> dict:
    """How does KVM handle the store? One choice per GuestWrite action."""
    return {"ask": f"The guest stores into its {table_name}. How does KVM handle the store?",
            "choices": [{"value": a, "label": _TRAP[a]} for a in _TRAP_ORDER],
            "answer": action, "explain": _TRAP[action]}


def spte_label(zapped: list[str], pages_zapped: list[str]) -> str:
    """The answer to "which sPTEs does this store zap?", in words."""
    if pages_zapped:
        return "every shadow page of the frame, whole: " + ", ".join(pages_zapped)
    if zapped:
        return "sPTEs " + ", ".join(zapped)
    return "nothing: no sPTE is zapped"


def spte_question(table: str, offset: int, pages: list[str], zapped: list[str],
                  pages_zapped: list[str], indices_guess: list[int]) -> dict:
    """Which sPTEs does this store zap? (``zapped``: sPTE ids; ``pages``: the gfn's page ids.)"""
    truth = spte_label(zapped, pages_zapped)
    indices = sorted({int(z.split(":")[1]) for z in zapped}) or indices_guess
    everywhere = "sPTEs " + ", ".join(f"{p}:{i}" for p in pages for i in indices)
    by_eight = f"sPTE {pages[0]}:{offset // 8} (byte offset / 8)"
    where = "the guest page directory" if table == "pd" else "the guest page table"
    return _question(f"Which sPTEs of the shadow pages of {where} does this store zap?", truth,
                     (everywhere, by_eight, spte_label([], []), spte_label([], pages)),
                     "read off the trace: SpteZapped and ShadowPageZapped events")


def page_outcome_label(kind: str, pid: str, detail) -> str:
    """One shadow page's fate in the write path, in words."""
    if kind == "skip":
        return f"{pid} skips it: the bytes belong to another quadrant"
    if kind == "zap-page":
        return f"{pid} is zapped whole ({detail})"
    return f"{pid} applies it: get_written_sptes() names sPTE(s) " + ", ".join(str(i) for i in detail["named"])


def page_question(kind: str, pid: str, detail, named_if_applied: list[int]) -> dict:
    """What does the write path do with this shadow page: apply, skip for quadrant, zap whole?"""
    truth = page_outcome_label(kind, pid, detail)
    applied = {"zapped": [], "named": named_if_applied}
    wrong = (page_outcome_label("skip", pid, None), page_outcome_label("apply", pid, applied),
             page_outcome_label("zap-page", pid, "misaligned write"))
    return _question(f"kvm_mmu_track_write() reaches shadow page {pid}. What does it do with the store?",
                     truth, wrong, "read off the trace: QuadrantSkip, SpteZapped, ShadowPageZapped")


def gpa_label(gpa, what: str) -> str:
    """A translation in words: the frame, or no translation."""
    return f"nothing: the next access faults ({what})" if gpa is None else f"gpa 0x{gpa:X} ({what})"


def translate_question(va: int, before, guest_now, shadow_now) -> dict:
    """What does the shadow give for va after the store and before the guest's invlpg?"""
    labels = {None: gpa_label(None, "no sPTE"), before: gpa_label(before, "the old frame")}
    if guest_now is not None:
        labels.setdefault(guest_now, gpa_label(guest_now, "the frame the guest now says"))
    truth = labels.get(shadow_now) or gpa_label(shadow_now, "another frame")
    return _question(f"Before the guest's invlpg, what does ShadowMMU.translate(0x{va:08X}) give?",
                     truth, labels.values(), "ShadowMMU.translate() after the store, before invlpg")
