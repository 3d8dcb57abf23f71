"""QEMU as the referee (notebook 10): every gva2gpa answer against the guest walk and the shadow MMU.

Knows: the snapshots' recorded answers, ``sim.Guest`` and ``sim.ShadowMMU``
(through ``scenarios.real``). Does not know: HTML, views, widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sim.paging32 import GuestPageFault
from ..sim.mmu import Mismatch, ShadowMMU
from .real import ORACLE_VAS, real_guest


@dataclass(frozen=True, slots=True)
class OracleAnswer:
    """One gva2gpa question: QEMU's answer, our guest walk's, and the shadow MMU's (None: unmapped)."""

    va: int
    qemu: int | None
    walk: int | None
    walk_level: int | None  # 1: through a page table, 2: a 4 MiB page
    shadow: int | None

    @property
    def agrees(self) -> bool:
        return self.qemu == self.walk == self.shadow


@dataclass(frozen=True, slots=True)
class OracleTally:
    """All of one snapshot's gva2gpa answers against the walk and the shadow MMU."""

    name: str
    host_large_pages: bool
    answers: int
    mapped: int
    unmapped: int
    walk_agrees: int
    shadow_agrees: int
    check: Mismatch | None  # ShadowMMU.check() afterwards
    sample: tuple[OracleAnswer, ...]


def qemu_oracle(name: str, host_large_pages: bool = True, rule: str = "mainline",
                sample: tuple[int, ...] = ORACLE_VAS) -> OracleTally:
    """Ask the guest walk and a fresh ShadowMMU every question QEMU answered in snapshot name:

        >>> t = qemu_oracle("user-1")
        >>> t.answers == t.walk_agrees == t.shadow_agrees, t.check
        (True, None)

    In QEMU's order, each gva2gpa address is walked (Guest.walk()) and read
    through the shadow (ShadowMMU.access(), a guest #PF counting as
    "unmapped"). ``sample`` picks the rows to keep; an address QEMU was not
    asked is skipped.
    """
    rg = real_guest(name)
    snap, guest = rg.snapshots[0], rg.guest
    mmu = ShadowMMU(guest, rule, host_large_pages=host_large_pages, trace=False)
    mmu.load_cr3(snap.cr3)
    wanted = {va: None for va in sample}
    walk_ok = shadow_ok = mapped = 0
    for va, qemu in snap.gva2gpa:
        try:
            w = guest.walk(snap.cr3, va)
            walk, level = w.gpa, w.level
        except GuestPageFault:
            walk = level = None
        try:
            shadow = mmu.access(va)
        except GuestPageFault:
            shadow = None
        mapped += qemu is not None
        walk_ok += walk == qemu
        shadow_ok += shadow == qemu
        if va in wanted and wanted[va] is None:
            wanted[va] = OracleAnswer(va, qemu, walk, level, shadow)
    rows = tuple(a for a in wanted.values() if a is not None)
    return OracleTally(snap.name, host_large_pages, len(snap.gva2gpa), mapped,
                       len(snap.gva2gpa) - mapped, walk_ok, shadow_ok, mmu.check(), rows)
