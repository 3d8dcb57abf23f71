"""Which translations a shadow MMU may still serve between a guest write and the guest's flush.

This module knows the guest's walk (``guest.translate(cr3, va)``) and the
shadow's (``mmu.translate(va)``) through those two calls only; it does not
know roles, rules, shadow pages or how the MMU keeps itself coherent. It
lives with the simulator and imports nothing from the package.

The rule it checks, as on real hardware with a TLB: after a guest store to
its page tables, and until the guest flushes that address (invlpg, a full
TLB flush or a CR3 load), the CPU may still use the translation it had at
the last flush, or any the guest has had since; never a third one. Right
after the flush, only the guest's current translation (or none: the shadow
will fault it in) is allowed.

    >>> from shadowmmu import Guest, ShadowMMU
    >>> g = Guest(16 << 20); cr3 = g.new_address_space(); g.map_4k(cr3, 0x1000, 0x5000)
    >>> mmu = ShadowMMU(g); mmu.load_cr3(cr3); _ = mmu.access(0x1000)
    >>> window = FlushWindow(g, [0x1000]); window.flush(cr3)
    >>> mmu.guest_write(g.walk(cr3, 0x1000).pte_gpa, 0x7000 | 0x67)  # remap, no flush
    >>> window.stale(cr3, mmu)      # the old frame 0x5000 is still allowed
    []
    >>> window.flush(cr3, 0x1000)   # the guest flushed without the MMU hearing of it
    >>> window.stale(cr3, mmu)      # a stale translation: va, what the shadow gave
    [(4096, 20480)]
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FlushWindow", "page_base"]


def page_base(gpa: int | None) -> int | None:
    """The 4 KiB frame address of gpa (None stays None)."""
    return None if gpa is None else gpa & ~0xFFF


class FlushWindow:
    """Per watched VA, the page frames the shadow may give it since the guest last flushed it."""

    def __init__(self, guest, vas: Iterable[int]):
        self.guest = guest
        self.vas = tuple(dict.fromkeys(vas))
        self.allowed: dict[int, set[int | None]] = {}

    def _view(self, cr3: int, va: int) -> int | None:
        return page_base(self.guest.translate(cr3, va))

    def flush(self, cr3: int, va: int | None = None) -> None:
        """The guest flushed va (None: every watched VA): only its current translation is allowed."""
        for v in self.vas if va is None else (va,):
            self.allowed[v] = {self._view(cr3, v)}

    def note(self, cr3: int) -> None:
        """The guest may have changed its tables: its current translations join the allowed ones."""
        for va in self.vas:
            now = self._view(cr3, va)
            if now is not None:
                self.allowed.setdefault(va, set()).add(now)

    def permits(self, va: int, gpa: int | None) -> bool:
        """May the shadow give gpa for va now? (None, no translation, is always allowed.)"""
        return gpa is None or page_base(gpa) in self.allowed.get(va, ())

    def stale(self, cr3: int, mmu) -> list[tuple[int, int]]:
        """note(cr3), then every watched (va, gpa) the shadow gives that is not allowed."""
        self.note(cr3)
        out = []
        for va in self.vas:
            got = mmu.translate(va)
            if not self.permits(va, got):
                out.append((va, got))
        return out
