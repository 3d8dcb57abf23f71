"""Every number of the address explorers' pictures (notebooks 02-05, 09), against an oracle.

Issue 20, point 11. Every preset address of every address explorer (the anatomy, the
PD and PT splits, the rule explorer under every rule) and every exercise of notebook
09's series (before and after its reveal) is drawn by node with the page's own code.
Each number in the words must be one that the oracle computes another way for that
address: its fields cut from the 32-character bit string (not ``decompose``), the
bit numbers and bit values, the quarter and half bounds of a guest table written out
(256 entries = 0x400 bytes a PD quarter, 512 entries = 0x800 bytes a PT half), the
neighbouring entries a zoom window shows and their PAE PDE pairs, and, for a rule,
the quadrant that rule's formula gives by hand. A planted wrong field value fails.
"""

from __future__ import annotations

import copy

import pytest

import shadowmmu.frontend.explorers as E
from frontend.picture_numbers import NUMBER, audit, num, texts
from shadowmmu.frontend.viewdata import explorer_tables
from shadowmmu.rules import QUADRANT_RULES


def cut(va: int, hi: int, lo: int) -> int:
    """Bits hi:lo of va, read off its binary string."""
    s = format(va, "032b")
    return int(s[31 - hi: 32 - lo], 2)


def address_oracle(va: int) -> set:
    k, j, i, b21 = cut(va, 31, 22), cut(va, 29, 21), cut(va, 20, 12), cut(va, 21, 21)
    out = {va, cut(va, 31, 30), k, j, i, cut(va, 21, 12), b21, cut(va, 11, 0), va & ~0xFFF}
    out |= set(range(32)) | {4, 8, 10, 12, 2, 9, 256, 512, 1024}
    for q in range(4):
        out |= {256 * q, 256 * q + 255, 0x400 * q, 0x400 * q + 0x3FF}
    out |= {0, 511, 1023, 0x7FF, 0x800, 0xFFF}
    for kk in range(max(0, k - 4), min(1023, k + 4) + 1):  # the zoom window's guest PDEs and their pairs
        out |= {kk, 2 * (kk % 256), 2 * (kk % 256) + 1}
    for ii in range(max(0, cut(va, 21, 12) - 4), min(1023, cut(va, 21, 12) + 4) + 1):
        out |= {ii, ii % 512}
    for name, rule in QUADRANT_RULES.items():  # each rule's PT quadrant, by hand from its formula
        out.add({"halves": int(j >= 256)}.get(name, b21))
    return out


ADDRESS_CONSTANTS = (r"32 bits", r"\bv?\d+\.\d+(?:\.\d+)?\+?", r"\bq[0-3]\b", r"\d+ KiB", r"\d-byte", r"spte_index >= 256", r"\bL[12]\b",
                     r"\d+/\d+/\d+(?:/\d+)?", r"seed \d+")


def _claims(numbers):
    def known(m):
        return None if num(m[0]) in numbers else f"{m[0]}: no oracle number"
    return [(NUMBER.pattern, known)]


def _views():
    T = explorer_tables()
    views = []
    for va in T["presets"]:
        views += [{"kind": k, "va": va} for k in ("address-anatomy", "pd-split", "pt-split")]
        views += [{"kind": k, "va": va, "hide": h} for k, h in (("pd-split", "pd"), ("pt-split", "pt"))]
        views += [{"kind": "rule", "va": va, "rule": r} for r in QUADRANT_RULES]
    for rec in E.exercise(seed=2024, count=12).exercises:
        views += [{"kind": "exercise", "va": rec["va"], "exercise": rec, "revealed": r} for r in (False, True)]
    return views


@pytest.fixture(scope="module")
def address_drawn(node):
    views = _views()
    return list(zip(views, E.draw_with_node(views)))


def _exercise_numbers(rec) -> set:
    out = {rec["seed"], rec["number"]}
    if rec["kind"] == "address":
        return out
    offset = int(rec["question"].split("byte ")[1].split()[0], 16)
    return out | {offset, offset // 4}


def test_every_number_of_every_address_picture_is_the_oracles(address_drawn):
    assert len(address_drawn) > 6 * 5
    errors = []
    for view, svg in address_drawn:
        numbers = address_oracle(view["va"])
        if view["kind"] == "exercise":
            numbers |= _exercise_numbers(view["exercise"])
        errors += [f"{view['kind']} 0x{view['va']:08X} {view.get('rule', '')}: {e}"
                   for e in audit(texts(svg), _claims(numbers), ADDRESS_CONSTANTS, constants_first=True)]
    assert errors == [], "\n".join(sorted(set(errors))[:40]) + f"\n({len(errors)} in all)"


def test_a_planted_wrong_field_fails():
    T = copy.deepcopy(explorer_tables())
    # PAE PDE = bits 29:21; plant a layout that reads bits 30:22 instead
    for layout in T["layouts"].values():
        for f in layout:
            if f["name"] == "shadow_pde_index":
                f["hi"], f["lo"] = 30, 22
    va = 0xDEADBEEF
    svg = E.node_call("address", "drawExplorer", [[T, "address-anatomy", {"kind": "address-anatomy", "va": va}]])[0]
    errors = audit(texts(svg), _claims(address_oracle(va)), ADDRESS_CONSTANTS, constants_first=True)
    assert errors, "a wrong PAE PDE index went unnoticed"
