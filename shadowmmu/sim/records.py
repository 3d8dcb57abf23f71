"""Plain records of the simulator's state, built once, for the views: they never walk live objects.

    >>> from shadowmmu.sim.guest import Guest
    >>> g = Guest(16 << 20); cr3 = g.new_address_space(); g.map_4k(cr3, 0x08048000, 0x5000)
    >>> [(hex(va), size) for va, size, _, _ in address_spaces(g, (cr3,))[0].mappings]
    [('0x8048000', 4096)]

Knows: ``Guest.mappings()`` and ``ShadowMMU.shadow_pages()``. Does not know:
HTML, views, widgets; it computes nothing the guest or the MMU does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .guest import Guest
from .mmu import ShadowMMU
from .spte import SPTE_PRESENT


@dataclass(frozen=True, slots=True)
class AddressSpace:
    """One address space's mappings as (va, size, gpa, flags), by VA, and the guest's kernel base."""

    name: str
    cr3: int
    kernel_base: int | None
    mappings: tuple[tuple[int, int, int, int], ...]


def address_spaces(guest: Guest, cr3s: Sequence[int],
                   names: Sequence[str] | None = None) -> tuple[AddressSpace, ...]:
    """Every cr3's mappings, read from the guest once; names default to "process 1", "process 2", ..."""
    return tuple(AddressSpace(names[n] if names else f"process {n + 1}", cr3, guest.kernel_base,
                              tuple(guest.mappings(cr3)))
                 for n, cr3 in enumerate(cr3s))


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One shadow page as the cache view shows it."""

    gfn: int
    level: int
    quadrant: int
    direct: bool
    root: bool  # a root in use (root_count > 0)
    present: int  # present sPTEs
    unsync: bool


def page_records(mmu: ShadowMMU) -> tuple[PageRecord, ...]:
    """Every shadow page of mmu, in shadow_pages() order."""
    return tuple(PageRecord(sp.gfn, sp.role.level, sp.role.quadrant, sp.role.direct,
                            sp.root_count > 0, sum(1 for s in sp.spt if s & SPTE_PRESENT), sp.unsync)
                 for sp in mmu.shadow_pages())
