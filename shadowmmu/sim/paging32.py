"""32-bit non-PAE paging as the CPU walks it: the entry format, the 2-level walk and its #PF (notebook 06).

This module knows the 32-bit paging format (SDM vol. 3, "32-bit paging"):
where the PDE and PTE of an address live, what their bits mean and how a
present entry is encoded, which access they refuse and with which error code,
and how to list the leaves of one page directory. It reads guest memory only through the functions it is given (a
4-byte entry reader, a frame lookup) and knows nothing of how that memory is
stored, who builds the tables (``sim.guest``), or of roles, quadrants, shadow
pages and the shadow MMU.

Entries are little-endian 4-byte words, as the CPU reads them:

    PDE of a page table  0x003FE027 = frame 0x003FE | A . . U W P
    PDE of a 4 MiB page  0xC00000E7 = base 0xC0000000 | PS D A . . U W P
                                       31:22            7  6 5     2 1 0

What we model of the CPU: CR0.PG and CR0.WP set (Linux runs with WP, so
supervisor writes honour R/W too), CR4.PAE clear, CR4.PSE as given (with it
clear, PDE bit 7 is ignored and the PDE points at a page table), no SMEP/SMAP,
no NX (32-bit non-PAE paging has none). A 4 MiB PDE is read as KVM reads it
(PSE-36, 36 physical address bits): bits 16:13 give physical bits 35:32, and
any of bits 21:17 set is a reserved-bit fault (error code bit 3), not a
mapping. A PDE whose page table lies outside guest memory faults as not
present, as KVM's walk does when no memslot backs the table; a leaf outside
guest memory is returned as it is (the CPU would send the access to the bus;
KVM would emulate it as MMIO). The walk is pure: it does not set
accessed/dirty bits. On real hardware with shadow paging the CPU walks KVM's
shadow tables, not the guest's, so guest A/D bits are written by KVM itself
(FNAME(update_accessed_dirty_bits), Linux 6.x); our shadow MMU does the same.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

from ..consts import (
    CR4_PSE,
    PAGE_SHIFT,
    PAGE_SIZE,
    PT_ACCESSED_MASK,
    PT_DIRTY_MASK,
    PT_GLOBAL_MASK,
    PT_PAGE_SIZE_MASK,
    PT_PRESENT_MASK,
    PT_USER_MASK,
    PT_WRITABLE_MASK,
)
from .events import GuestWalkStep

LARGE_PAGE_SHIFT = 22  # a 4 MiB PSE page
LARGE_PAGE_SIZE = 1 << LARGE_PAGE_SHIFT
PT32_ENTRIES = 1024
PAGE_MASK_32 = 0xFFFFF000
LARGE_MASK_32 = 0xFFC00000
#: PSE-36 as KVM sees a 32-bit guest (is_cpuid_PSE36() is always 1, 36
#: physical address bits): 4 MiB PDE bits 16:13 are physical bits 35:32
#: (pse36_gfn_delta()), and bits 21:17 are reserved (__reset_rsvds_bits_mask(),
#: arch/x86/kvm/mmu/mmu.c). The SDM's rule for MAXPHYADDR M is the same with M = 36.
PSE36_SHIFT = 13
PSE36_MASK = 0xF << PSE36_SHIFT  # PDE bits 16:13
PSE36_RSVD_MASK = 0x1F << 17  # PDE bits 21:17
#: Flags of a PDE that points at a page table as Linux writes it: everything
#: allowed, the leaf PTE carries the restrictions (_PAGE_TABLE).
TABLE_PDE_FLAGS = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK


class GuestPageFault(Exception):
    """The guest's own tables refuse an access; hardware would raise #PF:

        >>> err = GuestPageFault(0xC0001000, "PTE not present", write=True, user=False, present=False)
        >>> err.error_code, str(err)
        (2, '#PF at 0xc0001000 (write, supervisor): PTE not present')

    ``error_code`` is built like the CPU's: bit 0 set for a protection
    violation or a reserved bit (the entry was present), bit 1 for a write,
    bit 2 for a user access, bit 3 (RSVD) for a reserved bit set in an entry,
    which always comes with bit 0 (KVM's PFERR_RSVD_MASK | PFERR_PRESENT_MASK).
    KVM injects exactly this fault when FNAME(walk_addr_generic) fails.
    """

    def __init__(self, va: int, reason: str, *, write: bool, user: bool, present: bool,
                 rsvd: bool = False):
        self.va, self.reason, self.write, self.user = va, reason, write, user
        self.present, self.rsvd = present or rsvd, rsvd
        super().__init__(
            f"#PF at 0x{va:08x} ({'write' if write else 'read'}, "
            f"{'user' if user else 'supervisor'}): {reason}"
        )

    @property
    def error_code(self) -> int:
        return int(self.present) | int(self.write) << 1 | int(self.user) << 2 | int(self.rsvd) << 3


@dataclass(frozen=True, slots=True)
class GuestWalk:
    """The result of the guest's 2-level walk for one address:

        >>> from shadowmmu import Guest
        >>> g = Guest(16 << 20)
        >>> cr3 = g.new_address_space()
        >>> g.map_4k(cr3, 0xC0200000, 0x5000)
        >>> w = g.walk(cr3, 0xC0200ABC)
        >>> hex(w.gpa), w.level, w.writable, [s.index for s in w.steps]
        ('0x5abc', 1, True, [768, 512])

    ``level`` is 1 for a 4 KiB page (PDE then PTE), 2 for a 4 MiB PSE page
    (the PDE is the leaf; ``pte_gpa`` and ``pte`` are None). ``writable`` and
    ``user`` are the effective permissions (the AND over both levels).
    """

    va: int
    gpa: int
    level: int
    pde_gpa: int
    pde: int
    pte_gpa: int | None
    pte: int | None
    writable: bool
    user: bool

    @property
    def gfn(self) -> int:
        """The guest frame the access lands in."""
        return self.gpa >> PAGE_SHIFT

    @property
    def steps(self) -> tuple[GuestWalkStep, ...]:
        """The walk as trace events, PDE first."""
        pd_gfn = self.pde_gpa >> PAGE_SHIFT
        out = [GuestWalkStep(2, pd_gfn, (self.pde_gpa & 0xFFF) >> 2, self.pde_gpa, self.pde)]
        if self.pte_gpa is not None:
            out.append(GuestWalkStep(1, self.pte_gpa >> PAGE_SHIFT, (self.pte_gpa & 0xFFF) >> 2,
                                     self.pte_gpa, self.pte))
        return tuple(out)


def is_large(pde: int, cr4: int) -> bool:
    """Whether a PDE maps a 4 MiB page: PS set and CR4.PSE on (else bit 7 is ignored)."""
    return bool(pde & PT_PAGE_SIZE_MASK and cr4 & CR4_PSE)


def leaf_flags(writable: bool, user: bool, global_: bool, accessed: bool, dirty: bool) -> int:
    """The flag bits of a present leaf entry (PTE, or 4 MiB PDE without its PS bit)."""
    return (PT_PRESENT_MASK | PT_WRITABLE_MASK * bool(writable) | PT_USER_MASK * bool(user)
            | PT_GLOBAL_MASK * bool(global_) | PT_ACCESSED_MASK * bool(accessed)
            | PT_DIRTY_MASK * bool(dirty))


def pte_gpa_of(pde: int, va: int) -> int:
    """Where the PTE for va lives in the page table a PDE points at."""
    return (pde & PAGE_MASK_32) | ((va >> 10) & 0xFFC)


def _rsvd_reason(pde: int) -> str:
    """Why a 4 MiB PDE is refused: which of its reserved bits 21:17 are set."""
    bits = [b for b in range(21, 16, -1) if pde >> b & 1]
    return (f"reserved bit{'s' if len(bits) > 1 else ''} {', '.join(map(str, bits))} set in 4 MiB "
            f"PDE 0x{pde:08x} (PSE-36 with 36 physical bits: bits 21:17 must be 0)")


class WalkEntries(NamedTuple):
    """The walk's result as a tuple with names: GuestWalk's fields without ``va``, no events.

    ``level`` 1 is a 4 KiB page, 2 a 4 MiB page (``pte_gpa`` and ``pte`` None);
    ``writable`` and ``user`` are the effective permissions.
    """

    gpa: int
    level: int
    pde_gpa: int
    pde: int
    pte_gpa: int | None
    pte: int | None
    writable: bool
    user: bool


#: Builds a WalkEntries without the Python-level __new__ NamedTuple generates
#: (half the cost; the fault path walks 2**20 times in the benchmark).
_new_entries = tuple.__new__


def walk_entries(read32: Callable[[int], int], mem_size: int, cr4: int, pd_gfn: int, va: int,
                 write: bool = False, user: bool = False) -> WalkEntries:
    """The walk as a WalkEntries (gpa, level, pde_gpa, pde, pte_gpa, pte, writable, user):

    ``read32(gpa)`` reads one 4-byte entry of guest memory, ``mem_size`` is
    its size in bytes. Raises GuestPageFault as the CPU would raise #PF; does
    not check its input (Guest.walk() does).
    """
    pde_gpa = (pd_gfn << PAGE_SHIFT) | (va >> LARGE_PAGE_SHIFT) << 2
    pde = read32(pde_gpa)
    if not pde & PT_PRESENT_MASK:
        raise GuestPageFault(va, "PDE not present", write=write, user=user, present=False)
    if pde & PT_PAGE_SIZE_MASK and cr4 & CR4_PSE:
        # FNAME(walk_addr_generic) checks reserved bits right after P, before
        # any permission: the RSVD fault wins over a U/S or R/W violation.
        if pde & PSE36_RSVD_MASK:
            raise GuestPageFault(va, _rsvd_reason(pde), write=write, user=user, present=True,
                                 rsvd=True)
        pte_gpa = pte = None
        gpa = ((pde & LARGE_MASK_32) | (va & (LARGE_PAGE_SIZE - 1))
               | (pde & PSE36_MASK) << (32 - PSE36_SHIFT))
        level, eff = 2, pde
    else:
        pte_gpa = (pde & PAGE_MASK_32) | ((va >> 10) & 0xFFC)
        if pte_gpa >= mem_size:
            # No memslot behind the table: KVM's walk gives up with a
            # not-present fault (kvm_is_error_hva() -> error, errcode 0).
            raise GuestPageFault(va, f"PDE 0x{pde:08x} points at a page table at gpa "
                                 f"0x{pde & PAGE_MASK_32:08x}, outside guest memory "
                                 f"(0..0x{mem_size - 1:x})", write=write, user=user,
                                 present=False)
        pte = read32(pte_gpa)
        if not pte & PT_PRESENT_MASK:
            raise GuestPageFault(va, "PTE not present", write=write, user=user, present=False)
        gpa = (pte & PAGE_MASK_32) | (va & 0xFFF)
        level, eff = 1, pde & pte
    can_write, can_user = bool(eff & PT_WRITABLE_MASK), bool(eff & PT_USER_MASK)
    if user and not can_user:
        raise GuestPageFault(va, "user access to a supervisor page", write=write, user=user,
                             present=True)
    if write and not can_write:
        raise GuestPageFault(va, "write to a read-only page", write=write, user=user,
                             present=True)
    return _new_entries(WalkEntries, (gpa, level, pde_gpa, pde, pte_gpa, pte, can_write, can_user))


def leaves(read32: Callable[[int], int], frame: Callable[[int], bytes | None], cr4: int,
           pd_gfn: int) -> Iterator[tuple[int, int, int, int]]:
    """Every present leaf below one page directory as (va, size, gpa, entry), by address.

    ``frame(gfn)`` gives a page table's 4096 bytes, or None for a frame that
    reads as zeros. A 4 MiB PDE with reserved bits set is a fault, not a leaf.
    """
    pd_base = pd_gfn << PAGE_SHIFT
    for i in range(PT32_ENTRIES):
        pde = read32(pd_base | i << 2)
        if not pde & PT_PRESENT_MASK:
            continue
        if is_large(pde, cr4):
            if not pde & PSE36_RSVD_MASK:
                gpa = pde & LARGE_MASK_32 | (pde & PSE36_MASK) << (32 - PSE36_SHIFT)
                yield i << LARGE_PAGE_SHIFT, LARGE_PAGE_SIZE, gpa, pde
            continue
        table = frame(pde >> PAGE_SHIFT)
        if table is None:
            continue
        for j, (pte,) in enumerate(struct.iter_unpack("<I", table)):
            if pte & PT_PRESENT_MASK:
                yield i << LARGE_PAGE_SHIFT | j << PAGE_SHIFT, PAGE_SIZE, pte & PAGE_MASK_32, pte


def table_gfns(read32: Callable[[int], int], cr4: int, pd_gfn: int) -> set[int]:
    """The page directory's frame and the frames of the page tables its PDEs point at."""
    out = {pd_gfn}
    for i in range(PT32_ENTRIES):
        pde = read32(pd_gfn << PAGE_SHIFT | i << 2)
        if pde & PT_PRESENT_MASK and not is_large(pde, cr4):
            out.add(pde >> PAGE_SHIFT)
    return out
