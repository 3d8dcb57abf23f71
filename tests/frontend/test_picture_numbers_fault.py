"""Every number of notebook 06's fault pictures, checked against an oracle (issue 20, point 11).

Every step of every precomputed state is drawn by node. Each number in its words must
be one the oracle below computes for that state another way: the address cut by bit
slicing (bits 31:30, 29:21, 20:12, 31:22, 21:12, 11:0; bit 21's half of a guest PT);
the small guest's two page directories and their page tables read raw (every present
entry, its gpa, its frame), before and after the access; and the shadow tables of a
ShadowMMU driven here to the same state (every shadow page's hpa and gfn, every
present sPTE and pae_root entry, read entry by entry). The only other numbers a picture
may hold are the step counter and the fixed phrases of the constants list (bit
numbers such as "bit 6", sizes such as "2 MiB"). A planted wrong hpa fails.
"""

from __future__ import annotations

import copy

import pytest

from frontend.picture_numbers import NUMBER, audit, num, texts
from shadowmmu import GuestPageFault
from shadowmmu.frontend.fault_explorer import FaultExplorer, page_fault_explorer
from shadowmmu.frontend.node import node_call
from explorer_records.small_oracle import before_state

P, PS = 1, 1 << 7


def _guest_numbers(guest, cr3s) -> set:
    out = set()
    for cr3 in cr3s:
        out |= {cr3, cr3 >> 12}
        for k in range(1024):
            pde = guest.read32(cr3 + 4 * k)
            if not pde & P:
                continue
            out |= {k, pde, cr3 + 4 * k, pde >> 12, pde & ~0xFFF, k << 22}
            if pde & PS:
                out |= {(pde & 0xFFC00000) >> 12, pde & 0xFFC00000}
                continue
            for i in range(1024):
                pte = guest.read32((pde & ~0xFFF) + 4 * i)
                if pte & P:
                    out |= {i, pte, (pde & ~0xFFF) + 4 * i, pte >> 12, pte & ~0xFFF}
    return out


def _shadow_numbers(mmu) -> set:
    out = set()
    for sp in mmu.shadow_pages():
        out |= {sp.hpa, sp.gfn, sp.hpa >> 12, sp.role.access}
        out |= {s for s in sp.spt if s & P} | {i for i, s in enumerate(sp.spt) if s & P}
    out |= {e for e in (mmu.roots.pdpte(n) for n in range(4)) if e & P}
    return out


def fault_oracle(va: int, write: bool, process: int, before: str) -> set:
    mmu, cr3s = before_state(va, process, before)
    guest = mmu.guest
    numbers = _guest_numbers(guest, cr3s) | _shadow_numbers(mmu)
    cached = len(mmu.shadow_pages())
    try:
        gpa = mmu.access(va, write=write)
        numbers |= {gpa, gpa >> 12, gpa & ~0xFFF}
    except GuestPageFault:
        pass
    numbers |= _guest_numbers(guest, cr3s) | _shadow_numbers(mmu)
    numbers |= set(range(cached, len(mmu.shadow_pages()) + 1))  # "N shadow pages in the cache", step by step
    b21 = (va >> 21) & 1
    numbers |= {va, va >> 30, (va >> 21) & 511, (va >> 12) & 511, va >> 22, (va >> 12) & 0x3FF, b21,
                va & 0xFFF, 512 * b21, 512 * b21 + 511, (va >> 12) & 0x3FF - 512 * b21,
                (va >> 22) % 256, va & ~0xFFF}
    numbers |= {process + 1, 1, 2}  # "process 1/2", the two processes
    return numbers


FAULT_CONSTANTS = (
    r"\bbits? \d+(?::\d+)?", r"VA bits \d+:\d+", r"\d+ MiB", r"\d+ KiB", r"\bL[123]\b", r"\bq[0-3]\b", r"\b2M\b",
    r"role\.quadrant 0 to 3", r"\d+ of \d+", r"\bpae_root\[[0-3]\]", r"error code 0x[0-7]\b", r"Linux \d+\.\d+\+?",
    r"\b\d+-\d+ of", r"PG_LEVEL_4K", r"\d-byte", r"\bspte_index & 1 = \d+ & 1 = \d\b", r"\b\d+\. ", r"\bfour\b",
)


@pytest.fixture(scope="module")
def fault_drawn(node):
    x = page_fault_explorer()
    calls, where = [], []
    for key, rec in sorted(x.states.items()):
        for n, step in enumerate(rec["steps"]):
            calls.append([x.tables, x.spec, rec, rec["inputs"], {"step": n, "asking": None}])
            where.append((key, rec["inputs"], n))
            if "predict" in step:
                calls.append([x.tables, x.spec, rec, rec["inputs"], {"step": n - 1, "asking": n}])
                where.append((key, rec["inputs"], f"asking {n}"))
    return x, list(zip(where, node_call(FaultExplorer.bundle, "drawFault", calls)))


def _claims(numbers, steps):
    def known(m):
        return None if num(m[0]) in numbers or num(m[0]) <= steps else f"{m[0]}: no oracle number"
    return [(NUMBER.pattern, known)]


def test_every_number_of_every_06_step_is_the_oracles(fault_drawn):
    x, drawn = fault_drawn
    oracles, errors = {}, []
    for (key, i, n), svg in drawn:
        if key not in oracles:
            oracles[key] = fault_oracle(i["va"], i["write"], i["process"], i["before"])
        steps = len(x.states[key]["steps"])
        errors += [f"{key} step {n}: {e}" for e in audit(texts(svg), _claims(oracles[key], steps), FAULT_CONSTANTS,
                                                                    constants_first=True)]
    assert errors == [], "\n".join(sorted(set(errors))[:40]) + f"\n({len(errors)} in all)"


def test_a_planted_wrong_hpa_fails(fault_drawn):
    x, _ = fault_drawn
    rec = x.states[sorted(x.states)[0]]
    bad = copy.deepcopy(rec)
    last = bad["steps"][-1]["tree"]
    page = bad["trees"][last]["shadow"]["pages"][0]
    page["id"] = "0x1000F0000"
    svg = node_call(FaultExplorer.bundle, "drawFault", [[x.tables, x.spec, bad, bad["inputs"]]])[0]
    i = rec["inputs"]
    errors = audit(texts(svg), _claims(fault_oracle(i["va"], i["write"], i["process"], i["before"]),
                                       len(rec["steps"])), FAULT_CONSTANTS, constants_first=True)
    assert any("0x1000F0000" in e for e in errors), errors
