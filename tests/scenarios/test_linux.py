"""Notebook 08's Linux-like guest (scenarios.linux), against values derived by hand.

The guest (linux_like_guest's docstring): all memory mapped at 0xC0000000 in 4 MiB
pages (mem_mib / 4 PDEs from 768), KERNEL_4K = 4 pages at 0xF8000000 -> gpa 0x8000
upward, and per process PROCESS_LAYOUT = code 0x08048000 (4 pages), heap 0x08200000
(8), stack 0xBFFFC000 (4), its 16 frames handed out upward from 0x10, process after
process: process 0 has frames 0x10..0x1F, process 1 0x20..0x2F.

Shadow pages of one process, by hand (mainline): the four PAE page directories, then
one level-1 page per (guest PT, quadrant) touched. Code and heap share guest PDE 32
but sit in PAE PDEs 64 (0x08048000 >> 21 = 0x40, even: quadrant 0) and 65
(0x08200000 >> 21 = 0x41, odd: quadrant 1): two pages. The stack, PAE PDE
0xBFFFC000 >> 21 & 0x1FF = 511: one page (quadrant 1). The kernel's 4 KiB area,
PAE PDE 0xF8000000 >> 21 & 0x1FF = 448: one page (quadrant 0). The direct map: with
host large pages, 2 MiB leaves and no level-1 page; without, two direct level-1 pages
per 4 MiB guest page (16 MiB: 4 pages, so 8).
"""

import pytest

from shadowmmu.scenarios.linux import (
    bug_lab,
    cr3_switch,
    linux_like_guest,
    run_each,
    run_whole_guest,
    touch_everything,
    whole_guest_stats,
)
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.sim.mmu import ShadowMMU


def test_the_layout_by_hand():
    guest, cr3s = linux_like_guest(2, 64)
    assert len(cr3s) == 2
    for cr3 in cr3s:  # the kernel half, shared
        assert guest.walk(cr3, 0xC0123456).gpa == 0x00123456
        assert guest.walk(cr3, 0xC3FFFFFF).gpa == 0x03FFFFFF   # the last byte of 64 MiB
        assert guest.walk(cr3, 0xF8003FFF).gpa == 0x0000BFFF   # 0x8000 + 3 pages + 0xFFF
    p0, p1 = cr3s
    assert [guest.walk(p0, va).gpa for va in (0x08048000, 0x08200000, 0xBFFFC000, 0xBFFFF000)] == [
        0x10000, 0x14000, 0x1C000, 0x1F000]
    assert [guest.walk(p1, va).gpa for va in (0x08048000, 0x08200000, 0xBFFFC000, 0xBFFFF000)] == [
        0x20000, 0x24000, 0x2C000, 0x2F000]
    # mappings of a process: 16 direct-map PDEs + 4 kernel pages + 16 of its own
    assert len(list(guest.mappings(p0))) == 64 // 4 + 4 + 16


@pytest.mark.parametrize("kwargs, message", [
    ({"processes": 0}, "processes 0 must be 1..16"),
    ({"processes": 17}, "processes 17 must be 1..16"),
    ({"mem_mib": 10}, "mem_mib 10 must be a multiple of 4 in 16..1024"),
    ({"mem_mib": 2048}, "mem_mib 2048 must be a multiple of 4 in 16..1024"),
])
def test_bad_sizes_are_refused_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        linux_like_guest(**kwargs)


ROOTS = {(2, q, False): 1 for q in range(4)}
OWN = {(1, 0, False): 2, (1, 1, False): 2}


@pytest.mark.parametrize("large, pages", [
    (True, ROOTS | OWN | {(1, 1, True): 1}),
    (False, ROOTS | OWN | {(1, 0, True): 4, (1, 1, True): 4})])
def test_shadow_pages_of_one_process_by_hand(large, pages):
    """quadrant 0: code (PAE PDE 64) and the kernel's 4 KiB area (448); quadrant 1: heap
    (65) and stack (511). Direct pages without host large pages: the two 2 MiB halves of
    each 4 MiB page. With them, all but one half is a 2 MiB leaf: the guest's page tables
    sit in the top eighth of its 16 MiB (14..16 MiB), write-tracked, so the half of the
    direct map over them, 0xC0E00000 (PAE PDE 7, odd: quadrant 1), cannot be one large
    sPTE and gets a direct level-1 page."""
    stats = whole_guest_stats(host_large_pages=large, processes=1, mem_mib=16)
    assert stats.shadow_pages == pages
    assert stats.total_shadow_pages == (9 if large else 16)


def test_run_each_yields_after_each_process_with_its_cr3_loaded():
    guest, cr3s = linux_like_guest(3, 16)
    mmu = ShadowMMU(guest, trace=False)
    seen = [(n, mmu.cr3) for n in run_each(mmu, cr3s)]
    assert seen == [(0, cr3s[0]), (1, cr3s[1]), (2, cr3s[2])]


def test_run_whole_guest_is_touch_everything_with_a_check_per_process():
    stats, verdict = run_whole_guest(2, 16)
    guest, cr3s = linux_like_guest(2, 16)
    mmu = ShadowMMU(guest, trace=False)
    touch_everything(mmu, cr3s)
    assert verdict is None and stats == mmu.stats()


def test_bug_lab_catches_the_misconception_only():
    verdicts = bug_lab()
    assert set(verdicts) == set(QUADRANT_RULES)
    assert {name for name, v in verdicts.items() if v is not None} == {"halves"}
    # the same verdict as run_whole_guest's for that rule (one build-run-check)
    assert verdicts["halves"] == run_whole_guest(2, 16, rule="halves")[1]


def test_the_misconception_fails_in_the_first_process():
    """"halves" gives PAE PDE 65 (heap, bit 21 = 1) quadrant 0, the code's page table
    half: checking process 0 alone already finds a wrong translation."""
    assert run_whole_guest(1, 16, rule="halves")[1] is not None


def test_a_cr3_switch_reuses_the_kernel_page_table():
    """Process 1 has its own guest PD, so its own four PAE page directories: every first
    touch faults. Its own page tables are new shadow pages; the kernel's 4 KiB page table
    (0xF8000000) is the guest page process 0 already had shadowed, so it is found; the
    direct map (a 2 MiB leaf in the new PD) needs no level-1 page at all."""
    switch, probes = cr3_switch()
    assert switch != ()
    by_va = {r.va: r for r in probes}
    assert all(r.faulted for r in probes)

    def kinds(va):
        return [type(e).__name__ for e in by_va[va].trace
                if type(e).__name__ in ("ShadowPageCreated", "ShadowPageFound")]
    assert kinds(0x08048000) == kinds(0xBFFFC000) == ["ShadowPageCreated"]
    assert kinds(0xF8000000) == ["ShadowPageFound"]
    assert kinds(0xC0000000) == []
    assert [by_va[va].gpa for va in (0x08048000, 0xBFFFC000, 0xC0000000, 0xF8000000)] == [
        0x20000, 0x2C000, 0x0, 0x8000]
