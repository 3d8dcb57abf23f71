"""The bug lab: plug in the misconception rule and watch the simulator's own check catch it.

The misconception ("halves") says the two PAE page tables of one guest page
table are the top and bottom halves of the parent PAE page directory:
quadrant = (sPDE index >= 256). But the two halves of guest PT k sit behind
sPDEs 2(k mod 256) and 2(k mod 256)+1 -- always on the same side of 256 -- so
"halves" gives both halves the *same* quadrant, and they share one shadow
page. Worked by hand for the smallest case: VA 0x00000000 (gPDE 0, gPTE 0)
and VA 0x00200000 (gPDE 0, gPTE 512) use sPDEs 0 and 1, both below 256, so
both get quadrant 0 and sPTE 0 of one page; the second fault overwrites the
first, and VA 0 then translates to the upper half's frame.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowmmu import CORRECT_RULES, Guest, Mismatch, ShadowMMU, find_misconception_example

MIB = 1 << 20


def test_the_smallest_example():
    assert find_misconception_example("halves") == Mismatch(
        va=0x00000000, shadow_gpa=0x2000, guest_gpa=0x1000, reason="shadow maps another frame")


@pytest.mark.parametrize("rule", CORRECT_RULES)
def test_correct_rules_pass_the_same_scenario(rule):
    assert find_misconception_example(rule) is None


def two_halves(rule, pde, pte, first, second, order):
    """gPDE pde's page table maps gPTE pte -> first and gPTE 512+pte -> second; fault both."""
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    low, high = pde << 22 | pte << 12, pde << 22 | (512 + pte) << 12
    g.map_4k(cr3, low, first << 12)
    g.map_4k(cr3, high, second << 12)
    mmu = ShadowMMU(g, rule)
    mmu.load_cr3(cr3)
    for va in ((low, high) if order else (high, low)):
        assert mmu.access(va) == g.walk(cr3, va).gpa  # the fault path itself is right ...
    return low, high, mmu


@settings(max_examples=60, deadline=None)
@given(pde=st.integers(0, 1023), pte=st.integers(0, 511), first=st.integers(0x100, 0x1FF),
       second=st.integers(0x200, 0x2FF), order=st.booleans())
def test_halves_is_caught_for_every_guest_page_table(pde, pte, first, second, order):
    low, high, mmu = two_halves("halves", pde, pte, first, second, order)
    # ... but the two halves share one shadow page and one sPTE, so whichever VA
    # faulted first now sees the other's frame; check() reports that VA.
    bad = mmu.check()
    assert bad is not None and bad.reason == "shadow maps another frame"
    assert bad.va == (low if order else high)
    assert {sp.role.quadrant for sp in mmu.shadow_pages() if sp.role.level == 1} == {0 if pde % 256 < 128 else 1}


@settings(max_examples=30, deadline=None)
@given(rule=st.sampled_from(CORRECT_RULES), pde=st.integers(0, 1023), pte=st.integers(0, 511),
       order=st.booleans())
def test_correct_rules_never_fire(rule, pde, pte, order):
    low, high, mmu = two_halves(rule, pde, pte, 0x111, 0x222, order)
    assert mmu.check() is None
    assert sorted(sp.role.quadrant for sp in mmu.shadow_pages() if sp.role.level == 1) == [0, 1]


def test_halves_also_misroutes_trapped_writes():
    # Kept-protected PTs: a store to gPTE 512 (byte 0x800) belongs to quadrant 1,
    # but under "halves" the only shadow page has quadrant 0: get_written_sptes()
    # skips it, so the sPTE built from the old gPTE 512 survives the write.
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4k(cr3, 0x00200000, 0x5000)
    mmu = ShadowMMU(g, "halves", unsync=False)
    mmu.load_cr3(cr3)
    mmu.access(0x00200000)
    mmu.guest_write(0xE01800, 0x6007)
    assert [type(e).__name__ for e in mmu.last_trace] == ["GuestWrite", "QuadrantSkip"]
    assert mmu.check(sync=False) == Mismatch(0x00200000, 0x5000, 0x6000, "shadow maps another frame")


def test_halves_with_large_guest_pages_and_small_host_pages():
    # Direct pages are keyed by (half gfn, role): the two halves of a 4 MiB page
    # have different gfns, so even "halves" keeps them apart -- the bug needs a
    # guest page table, where both halves share the gfn.
    g = Guest(16 * MIB)
    cr3 = g.new_address_space()
    g.map_4m(cr3, 0x00000000, 0x400000)
    mmu = ShadowMMU(g, "halves", host_large_pages=False)
    mmu.load_cr3(cr3)
    mmu.access(0x00000000)
    mmu.access(0x00200000)
    assert mmu.check() is None
