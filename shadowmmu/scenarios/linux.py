"""Notebook 08's guest: a Linux-like guest, whole-guest statistics, the bug lab, a CR3 switch.

``linux_like_guest()``: the 3G/1G split, the kernel's direct map in 4 MiB
pages from 0xC0000000 (PD quadrant 3), a kernel page table at 0xF8000000, and
processes with code, heap and stack:

    VA                          guest PDE  PD quadrant  PAE PDE  PT quadrant
    0x08048000 code (4 pages)       32          0          64         0
    0x08200000 heap (8 pages)       32          0          65         1
    0xBFFFC000 stack (4 pages)     767          2         511         1
    0xC0000000 direct map (4 MiB)  768..        3        0, 1..   (2 MiB leaves)
    0xF8000000 kernel (4 pages)    992          3         448         0

Knows: ``sim.Guest``, ``sim.ShadowMMU``, ``rules``. Does not know: HTML, views,
widgets.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE, MiB
from ..rules import QUADRANT_RULES
from ..sim.guest import KERNEL_BASE, Guest
from ..sim.mmu import Mismatch, MMUStats, ShadowMMU
from .small import run_access

#: Per process: (name, first VA, pages). Code and heap share guest PDE 32 (two halves).
PROCESS_LAYOUT = (("code", 0x08048000, 4), ("heap", 0x08200000, 8), ("stack", 0xBFFFC000, 4))
#: Kernel pages mapped with 4 KiB entries (a vmalloc/fixmap-like area): (VA, pages).
KERNEL_4K = (0xF8000000, 4)


def linux_like_guest(processes: int = 3, mem_mib: int = 64) -> tuple[Guest, tuple[int, ...]]:
    """A 32-bit Linux-like guest with the 3G/1G split; returns (guest, cr3s):

        >>> g, cr3s = linux_like_guest(2, 64)
        >>> len(cr3s), hex(g.walk(cr3s[1], 0xC0123456).gpa), hex(g.walk(cr3s[1], 0xBFFFF000).gpa)
        (2, '0x123456', '0x2f000')

    The kernel maps all of guest memory at 0xC0000000 with 4 MiB pages
    (mem_mib / 4 PDEs from 768), and KERNEL_4K pages at 0xF8000000 through one
    kernel page table. Each process has PROCESS_LAYOUT: 16 pages in three
    areas, its frames handed out upward from 0x10000 (64 KiB), 16 per
    process. Guest page tables come from the top eighth of memory.
    """
    if not 1 <= processes <= 16:
        raise ValueError(f"processes {processes!r} must be 1..16")
    if mem_mib % 4 or not 16 <= mem_mib <= 1024:
        raise ValueError(f"mem_mib {mem_mib!r} must be a multiple of 4 in 16..1024")
    guest = Guest(mem_mib * MiB)
    cr3s = tuple(guest.new_address_space() for _ in range(processes))
    for i in range(mem_mib // 4):
        guest.map_4m(cr3s[0], KERNEL_BASE + i * 4 * MiB, i * 4 * MiB, user=False,
                     accessed=True, dirty=True, global_=True)
    kva, kpages = KERNEL_4K
    for n in range(kpages):
        guest.map_4k(cr3s[0], kva + n * PAGE_SIZE, 0x8000 + n * PAGE_SIZE, user=False,
                     accessed=True, dirty=True, global_=True)
    frame = 0x10
    for cr3 in cr3s:
        for name, va, pages in PROCESS_LAYOUT:
            for n in range(pages):
                guest.map_4k(cr3, va + n * PAGE_SIZE, frame << PAGE_SHIFT,
                             writable=name != "code", accessed=True, dirty=name != "code")
                frame += 1
    return guest, cr3s


def touch_everything(mmu: ShadowMMU, cr3s) -> None:
    """Run each process in turn: load its CR3, read every page it maps (both 2 MiB halves of a 4 MiB page)."""
    guest = mmu.guest
    for cr3 in cr3s:
        mmu.load_cr3(cr3)
        for va, size, _, _ in list(guest.mappings(cr3)):
            mmu.access(va)
            if size > PAGE_SIZE:
                mmu.access(va + size // 2)


def whole_guest_stats(host_large_pages: bool = True, processes: int = 3, mem_mib: int = 64,
                      rule: str = "mainline") -> MMUStats:
    """The MMU's stats after touch_everything() on a fresh linux_like_guest()."""
    mmu, cr3s = _fresh_mmu(processes, mem_mib, host_large_pages, rule)
    touch_everything(mmu, cr3s)
    return mmu.stats()


def run_whole_guest(processes: int = 3, mem_mib: int = 64, host_large_pages: bool = True,
                    rule: str = "mainline") -> tuple[MMUStats, Mismatch | None]:
    """touch_everything() on a fresh linux_like_guest(), each process checked right after it ran
    (run_each()): (stats, the first mismatch check() found, or None)."""
    mmu, cr3s = _fresh_mmu(processes, mem_mib, host_large_pages, rule)
    verdict = None
    for _ in run_each(mmu, cr3s):
        verdict = verdict or mmu.check()
    return mmu.stats(), verdict


def run_each(mmu: ShadowMMU, cr3s):
    """touch_everything() one process at a time; yields each process's index right after it ran.

    While the caller looks, that process's CR3 is the one loaded (what check() compares against).
    """
    for n, cr3 in enumerate(cr3s):
        touch_everything(mmu, (cr3,))
        yield n


def bug_lab(processes: int = 2, mem_mib: int = 16) -> dict[str, Mismatch | None]:
    """Every quadrant rule run on the Linux-like guest; check()'s verdict per rule name.

    Correct rules give None; "halves" (the misconception) gives a wrong
    translation. Each process is checked right after it ran (run_whole_guest()),
    as its CR3 is the one check() compares against; the first mismatch is kept.
    """
    return {name: run_whole_guest(processes, mem_mib, rule=name)[1] for name in QUADRANT_RULES}


def _fresh_mmu(processes: int, mem_mib: int, host_large_pages: bool,
               rule: str) -> tuple[ShadowMMU, tuple[int, ...]]:
    guest, cr3s = linux_like_guest(processes, mem_mib)
    return ShadowMMU(guest, rule, host_large_pages=host_large_pages, trace=False), cr3s


def cr3_switch(processes: int = 2, mem_mib: int = 64) -> tuple[tuple, tuple]:
    """Run process 0, then switch to process 1: (events of the switch, what the first faults found).

    Returns (load_cr3 trace, run_access results for process 1's first touch of
    each kind of page), to show which shadow pages a CR3 switch reuses.
    """
    guest, cr3s = linux_like_guest(processes, mem_mib)
    mmu = ShadowMMU(guest)
    touch_everything(mmu, cr3s[:1])
    mmu.load_cr3(cr3s[1])
    switch = tuple(mmu.last_trace)
    probes = (0x08048000, 0xBFFFC000, 0xC0000000, 0xF8000000)
    return switch, tuple(run_access(mmu, va) for va in probes)
