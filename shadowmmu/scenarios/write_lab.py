"""Notebook 07's guest: write protection, unsync page tables, misaligned writes, unprotect-and-retry.

``write_lab()`` is one process whose page table for 0x08000000..0x083FFFFF has
entries in both halves, all faulted in, so both of its PAE page tables exist
when the guest writes to it; ``freed_pd_lab()`` is the same after that process
exits, its page directory freed but still shadowed; ``write_experiment()`` runs
one write on a fresh lab and returns a ``WriteResult`` record (before, after,
the traces).

Knows: ``sim.Guest``, ``sim.ShadowMMU``. Does not know: HTML, views, widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..consts import PAGE_SHIFT, PAGE_SIZE, MiB
from ..sim.fault import OutsideGuestMemory
from ..sim.guest import Guest
from ..sim.paging32 import GuestPageFault
from ..sim.mmu import ShadowMMU
from ..sim.spte import SPTE_PRESENT

#: The user page table of write_lab(): VAs (all under guest PDE 32) and their frames.
LAB_MAPS = ((0x08000000, 0x00100000), (0x08001000, 0x00101000), (0x08200000, 0x00102000))
#: Kernel addresses freed_pd_lab()'s process touched before it exited (PDE 768's two halves).
KERNEL_TOUCHED = (0xC0000000, 0xC0200000)
#: What a 4-byte gPTE write stores: the same page, moved to frame 0x1F0000 (P W U A D).
LAB_NEW_PTE = 0x001F0067
LAB_NEW_PTE_HI = 0x001F1067


@dataclass(slots=True)
class WriteLab:
    """write_lab()'s guest and MMU, and where its tables are."""

    guest: Guest
    mmu: ShadowMMU
    cr3: int
    pd_gpa: int
    pt_gpa: int


def write_lab(unsync: bool = True) -> WriteLab:
    """A guest whose PT for guest PDE 32 has gPTEs 0, 1 and 512, all three faulted in:

        >>> lab = write_lab()
        >>> sorted(sp.role.describe() for sp in lab.mmu.shadow_pages() if sp.gfn == lab.pt_gpa >> 12)
        ['L1 q0', 'L1 q1']

    Both PAE page tables of that guest PT exist: quadrant 0 (gPTEs 0-511,
    behind PAE PDE 64) and quadrant 1 (gPTEs 512-1023, behind PAE PDE 65).
    ``unsync=False`` is ShadowMMU's switch that keeps page tables write-protected.
    """
    guest = Guest(16 * MiB)
    cr3 = guest.new_address_space()
    guest.map_4m(cr3, 0xC0000000, 0x0, user=False, accessed=True, dirty=True)
    for va, gpa in LAB_MAPS:
        guest.map_4k(cr3, va, gpa, accessed=True, dirty=True)
    mmu = ShadowMMU(guest, unsync=unsync)
    mmu.load_cr3(cr3)
    for va, _ in LAB_MAPS:
        mmu.access(va, write=True)
    walk = guest.walk(cr3, LAB_MAPS[0][0])
    return WriteLab(guest, mmu, cr3, walk.pde_gpa & ~0xFFF, walk.pte_gpa & ~0xFFF)


def freed_pd_lab(unsync: bool = True) -> WriteLab:
    """write_lab() after its process exits: ``pd_gpa`` is a freed page directory, still shadowed:

        >>> lab = freed_pd_lab()
        >>> [(sp.role.describe(), sp.root_count) for sp in lab.mmu.shadow_pages() if sp.gfn == lab.pd_gpa >> 12]
        [('L2 q0', 0), ('L2 q1', 0), ('L2 q2', 0), ('L2 q3', 0)]

    The process has run kernel code at KERNEL_TOUCHED (two 2 MiB leaf sPTEs,
    0 and 1 of L2 q3). Its user mapping is torn down first (the guest clears
    PDE 32, an emulated store), then CR3 moves to a second process that
    shares the kernel half. The old directory's four shadow pages stay in the
    cache, no longer roots, and its frame stays write-tracked until they go,
    as in KVM until the guest reuses the frame. ``cr3`` is the second process's.
    """
    lab = write_lab(unsync)
    for va in KERNEL_TOUCHED:  # the process ran in the kernel too: two 2 MiB leaves in L2 q3
        lab.mmu.access(va)
    lab.mmu.guest_write(lab.pd_gpa + (LAB_MAPS[0][0] >> 22) * 4, 0)
    cr3 = lab.guest.new_address_space()
    lab.mmu.load_cr3(cr3)
    return WriteLab(lab.guest, lab.mmu, cr3, lab.pd_gpa, lab.pt_gpa)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """One guest store into a page table of write_lab(), before, during and after its flush."""

    table: str  # "pt" or "pd"
    offset: int
    size: int
    value: int
    unsync: bool
    va: int  # the address whose entry the first written byte belongs to
    pages_before: tuple  # (describe, present sPTEs, unsync) per shadow page of the gfn
    pages_after: tuple
    write_trace: tuple
    translate_before: int | None
    translate_after_write: int | None
    guest_after_write: int | None
    invlpg_trace: tuple
    translate_after_invlpg: int | None
    access_after: int | str | None  # a gpa, None (guest #PF), or why no gpa (MMIO)


def _pages_of(mmu: ShadowMMU, gfn: int) -> tuple:
    return tuple((sp.role.describe(), sum(1 for s in sp.spt if s & SPTE_PRESENT), sp.unsync)
                 for sp in mmu.shadow_pages() if sp.gfn == gfn and sp.role.level <= 2)


def write_value(table: str, size: int) -> int:
    """The value write_experiment() stores: a remapped gPTE (pt) or an empty PDE (pd, freed_pd)."""
    if table != "pt":
        return 0
    full = LAB_NEW_PTE_HI << 32 | LAB_NEW_PTE
    return full & ((1 << (8 * size)) - 1)


def written_va(table: str, offset: int) -> int:
    """The first address mapped by the entry that byte offset of write_lab()'s PT or PD belongs to:

        >>> hex(written_va("pt", 0x800)), hex(written_va("pd", 0x080))
        ('0x8200000', '0x8000000')
    """
    entry = offset // 4
    return LAB_MAPS[0][0] | entry << PAGE_SHIFT if table == "pt" else entry << 22


def write_experiment(table: str = "pt", offset: int = 0, size: int = 4,
                     unsync: bool = True) -> WriteResult:
    """Store into write_lab()'s guest PT ("pt") or PD ("pd") at byte offset, then invlpg:

        >>> r = write_experiment("pt", 0x000, 4, unsync=True)
        >>> hex(r.translate_after_write), hex(r.guest_after_write), r.translate_after_invlpg
        ('0x100000', '0x1f0000', None)

    Between the write and the guest's invlpg the shadow may still give the old
    frame (the page table went unsync); after it, nothing, and the next access
    faults the new frame in. ``va`` is the address the written entry maps.
    """
    if table not in ("pt", "pd"):
        raise ValueError(f"table {table!r} must be 'pt' or 'pd'")
    if size not in (1, 2, 4, 8):
        raise ValueError(f"size {size!r} must be 1, 2, 4 or 8 bytes")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= PAGE_SIZE - size:
        raise ValueError(f"byte offset {offset!r} must be in 0..{PAGE_SIZE - size} "
                         f"for a {size}-byte write")
    lab = write_lab(unsync)
    mmu, guest = lab.mmu, lab.guest
    base = lab.pt_gpa if table == "pt" else lab.pd_gpa
    va = written_va(table, offset)
    gfn = base >> PAGE_SHIFT
    value = write_value(table, size)
    before = _pages_of(mmu, gfn)
    t_before = mmu.translate(va)
    mmu.guest_write(base + offset, value, size)
    write_trace = tuple(mmu.last_trace)
    t_write = mmu.translate(va)
    g_write = guest.translate(lab.cr3, va)
    after = _pages_of(mmu, gfn)
    mmu.invlpg(va)
    invlpg_trace = tuple(mmu.last_trace)
    t_invlpg = mmu.translate(va)
    try:
        acc = mmu.access(va)
    except GuestPageFault:
        acc = None
    except OutsideGuestMemory as err:  # a misaligned store can point the entry anywhere
        acc = f"gpa 0x{err.gpa:X}: outside guest memory (KVM: MMIO)"
    return WriteResult(table, offset, size, value, unsync, va, before, after, write_trace,
                       t_before, t_write, g_write, invlpg_trace, t_invlpg, acc)
