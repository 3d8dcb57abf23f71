"""Every number of notebook 07's write pictures, checked against an oracle (issue 20, point 11).

Every step of every precomputed state is drawn by node. Each number in its words must
be one the oracle computes for that state another way: write_lab()'s guest and shadow
driven here through the same stores, the guest PT and PD read raw (every present
entry, its gpa, its frame) and the shadow read raw (hpa, gfn, access, every present
sPTE and its index, pae_root) after each store, the flush and the next access; the
store's offsets and entries by hand (entry = offset / 4; a PT half is 512 entries,
0x800 bytes; a PD quarter 256 entries, 0x400 bytes; the sPTEs a store names are
(o/4) mod 512, or 2(k mod 256) and +1); the translations before and after. The only
other numbers are the step counters and fixed phrases. A planted wrong sPTE fails.
"""

from __future__ import annotations

import copy

import pytest

from frontend.picture_numbers import NUMBER, audit, num, texts
from shadowmmu import GuestPageFault
from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.writes_explorer import guest_write_explorer
from shadowmmu.scenarios.write_lab import freed_pd_lab, write_lab, write_value, written_va

P, PS = 1, 1 << 7
ADDR = ((1 << 52) - 1) & ~0xFFF


def _raw(lab) -> set:
    out = set()
    for base in (lab.pd_gpa, lab.pt_gpa):
        for k in range(1024):
            e = lab.guest.read32(base + 4 * k)
            if e & P:
                out |= {k, e, base + 4 * k, e >> 12, e & ~0xFFF}
    for sp in lab.mmu.shadow_pages():
        out |= {sp.hpa, sp.gfn, sp.role.access} | {s for s in sp.spt if s & P}
        out |= {s & ADDR for s in sp.spt if s & P}  # the frames the shadow maps
        out |= {i for i, s in enumerate(sp.spt) if s & P}
    return out | {e for e in (lab.mmu.roots.pdpte(n) for n in range(4)) if e & P} | {lab.cr3, lab.cr3 >> 12}


def writes_oracle(table: str, offset: int, size: int, unsync: bool, stores: int) -> set:
    lab = freed_pd_lab(unsync) if table == "freed_pd" else write_lab(unsync)
    base = lab.pt_gpa if table == "pt" else lab.pd_gpa
    va, value = written_va(table, offset), write_value(table, size)
    numbers = _raw(lab) | {va, value, offset, size, stores, base, base >> 12, base + offset}
    numbers |= {lab.guest.read32(base + (offset & ~3) + 4 * n) for n in range(3)}
    for o in range(offset, offset + size):
        k = o // 4
        numbers |= {o, k, o & ~3, k % 512, 2 * (k % 256), 2 * (k % 256) + 1, k // 256, k // 512}
    for q in range(4):  # the byte and entry ranges each shadow page of the frame covers
        numbers |= {0x400 * q, 0x400 * q + 0x3FF, 256 * q, 256 * q + 255}
    numbers |= {0, 0x7FF, 0x800, 0xFFF, 511, 512, 1023}
    numbers |= {t for t in (lab.mmu.translate(va), lab.guest.translate(lab.cr3, va)) if t is not None}
    for n in range(stores):
        # a rep stos into the freed directory is no page-table write (KVM unprotects, not emulates)
        lab.mmu.guest_write(base + offset, value, size, page_table_write=table != "freed_pd")
        numbers |= _raw(lab) | {n + 1, len(lab.mmu.shadow_pages())}
        numbers |= {t for t in (lab.mmu.translate(va), lab.guest.translate(lab.cr3, va)) if t is not None}
        numbers |= {lab.guest.read32(base + (offset & ~3) + 4 * m) for m in range(3)}
    lab.mmu.invlpg(va)
    numbers |= _raw(lab)
    try:
        got = lab.mmu.access(va)
        numbers.add(got)
    except GuestPageFault:
        pass
    except Exception as err:  # a frame outside guest memory: the record names its gpa
        numbers.add(getattr(err, "gpa", 0))
    numbers |= _raw(lab)
    return numbers | {3}  # flooding counts to 3


WRITES_CONSTANTS = (
    r"\bbits? \d+(?::\d+)?", r"\d+ MiB", r"\d+ KiB", r"\bL[12]\s?q[0-3]\+*", r"\bL[123]\b", r"\bq[0-3]\b",
    r"\d-byte", r"flooding \d/3", r"\d+ of \d+", r"\bpae_root\[[0-3]\]", r"Linux \d+\.\d+\+?", r"\b\d+ bytes?\b",
    r"\(\d\)", r"\bfour\b", r"\d+ identical stores",
)


@pytest.fixture(scope="module")
def writes_drawn(node):
    x = guest_write_explorer()
    calls, where = [], []
    for key, rec in sorted(x.states.items()):
        for at, _ in enumerate(rec["steps"]):
            calls.append([x.tables, x.spec, rec, rec["inputs"], at])
            where.append((key, rec["inputs"], at))
    return x, list(zip(where, node_call(x.bundle, x.draw_function, calls)))


def _claims(numbers, steps):
    def known(m):
        return None if num(m[0]) in numbers or num(m[0]) <= steps else f"{m[0]}: no oracle number"
    return [(NUMBER.pattern, known)]


def _oracle(i):
    return writes_oracle(i["table"], i["offset"], i["size"], i["unsync"], i["stores"])


def test_every_number_of_every_07_step_is_the_oracles(writes_drawn):
    x, drawn = writes_drawn
    oracles, errors = {}, []
    for (key, i, at), svg in drawn:
        if key not in oracles:
            oracles[key] = _oracle(i)
        steps = len(x.states[key]["steps"])
        errors += [f"{key} step {at}: {e}" for e in audit(texts(svg), _claims(oracles[key], steps),
                                                           WRITES_CONSTANTS, constants_first=True)]
    assert errors == [], "\n".join(sorted(set(errors))[:40]) + f"\n({len(errors)} in all)"


def test_a_planted_wrong_spte_fails(writes_drawn):
    x, _ = writes_drawn
    key = next(k for k in sorted(x.states) if k.startswith("pd|128|4|"))
    rec = x.states[key]
    bad = copy.deepcopy(rec)
    for step in bad["steps"]:
        step["text"] = step["text"].replace("L2q0:64, L2q0:65", "L2q0:66, L2q0:67")  # not 2 x (32 mod 256)
    svgs = node_call(x.bundle, x.draw_function, [[x.tables, x.spec, bad, bad["inputs"], at]
                                                  for at in range(len(bad["steps"]))])
    errors = [e for svg in svgs for e in audit(texts(svg), _claims(_oracle(rec["inputs"]), len(rec["steps"])),
                                               WRITES_CONSTANTS, constants_first=True)]
    assert any("66" in e or "67" in e for e in errors), errors
