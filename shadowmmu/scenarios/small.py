"""Notebook 06's guest: two processes sharing a kernel half, and one access at a time.

``small_guest()`` maps one 4 MiB page of direct map at 0xC0000000, a kernel
page table for 0xDE800000..0xDEBFFFFF (0xDEADBEEF lives there), and one user
page per process. ``run_access()`` returns a plain ``AccessResult`` record
(the translation, or the guest fault, and the trace) for the views.

Knows: ``sim.Guest``, ``sim.ShadowMMU``, ``sim.events``. Does not know: HTML,
views, widgets. Deterministic: frames are handed out in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..consts import PAGE_SIZE, MiB
from ..sim.events import GuestFaultInjected, GuestWalkStep
from ..sim.guest import Guest
from ..sim.paging32 import GuestPageFault
from ..sim.mmu import ShadowMMU

#: What small_guest() maps, (VA, gpa, size) per address space; the kernel half is shared.
SMALL_KERNEL = ((0xC0000000, 0x00000000, 4 * MiB), (0xDEADB000, 0x00123000, PAGE_SIZE),
                (0xDEAD0000, 0x00124000, PAGE_SIZE), (0xFFFFF000, 0x00125000, PAGE_SIZE))
SMALL_USER = (((0x00200000, 0x00200000, PAGE_SIZE), (0x08048000, 0x00201000, PAGE_SIZE)),
              ((0x08048000, 0x00301000, PAGE_SIZE),))


def small_guest() -> tuple[Guest, tuple[int, ...]]:
    """Two processes and a kernel half, 16 MiB of guest memory; returns (guest, cr3s):

        >>> g, cr3s = small_guest()
        >>> hex(g.walk(cr3s[0], 0xDEADBEEF).gpa), hex(g.walk(cr3s[1], 0x08048000).gpa)
        ('0x123eef', '0x301000')

    0x00000000 is left unmapped, as Linux leaves it, so touching it is a
    guest page fault.
    """
    guest = Guest(16 * MiB)
    cr3s = tuple(guest.new_address_space() for _ in SMALL_USER)
    for va, gpa, size in SMALL_KERNEL:
        (guest.map_4m if size > PAGE_SIZE else guest.map_4k)(cr3s[0], va, gpa, dirty=True,
                                                             accessed=True, user=False)
    for cr3, maps in zip(cr3s, SMALL_USER):
        for va, gpa, _ in maps:
            guest.map_4k(cr3, va, gpa)
    return guest, cr3s


@dataclass(frozen=True, slots=True)
class AccessResult:
    """One guest access and what the shadow MMU did for it (the events of ``last_trace``)."""

    va: int
    write: bool
    gpa: int | None
    fault: str | None  # the #PF injected into the guest, if any
    trace: tuple

    @property
    def faulted(self) -> bool:
        """Did KVM take a shadow page fault (a guest walk happened), or did the shadow map it?"""
        return any(isinstance(e, (GuestWalkStep, GuestFaultInjected)) for e in self.trace)


def run_access(mmu: ShadowMMU, va: int, write: bool = False, user: bool = False) -> AccessResult:
    """mmu.access(), with a guest #PF turned into a result instead of an exception:

        >>> g, cr3s = small_guest(); mmu = ShadowMMU(g); mmu.load_cr3(cr3s[0])
        >>> r = run_access(mmu, 0x00000000); r.gpa, r.fault
        (None, '#PF at 0x00000000 (read, supervisor): PTE not present')
    """
    try:
        gpa, fault = mmu.access(va, write=write, user=user), None
    except GuestPageFault as err:
        gpa, fault = None, str(err)
    return AccessResult(va, write, gpa, fault, tuple(mmu.last_trace))


def small_session(cr3_index: int = 0, **options) -> tuple[ShadowMMU, tuple[int, ...]]:
    """A ShadowMMU on a new small_guest(), CR3 of process cr3_index loaded, and the guest's CR3s."""
    guest, cr3s = small_guest()
    mmu = ShadowMMU(guest, **options)
    mmu.load_cr3(cr3s[cr3_index])
    return mmu, cr3s


def fresh_small_mmu(cr3_index: int = 0, **options) -> ShadowMMU:
    """A ShadowMMU on a new small_guest(), CR3 of process cr3_index loaded."""
    return small_session(cr3_index, **options)[0]


def preset_faults(addresses) -> list[AccessResult]:
    """Each address faulted on its own fresh small guest (the static table of notebook 06)."""
    return [run_access(fresh_small_mmu(), va) for va in addresses]
