"""Prepared guests and experiments for the simulator notebooks (06, 07, 08, 10).

This module builds guests with ``guest.Guest``, runs ``mmu.ShadowMMU`` on them
and returns plain records; it knows nothing of HTML, widgets or notebooks
(``views`` draws what these functions return). Everything is deterministic: no
randomness, frames handed out in a fixed order, so a notebook shows the same
numbers on every run.

Three guests, smallest first:

* ``small_guest()`` (notebook 06): two processes sharing a kernel half: one
  4 MiB page of direct map at 0xC0000000, a kernel page table for
  0xDE800000..0xDEBFFFFF (0xDEADBEEF lives there), and one user page per process.
* ``write_lab()`` (notebook 07): one process whose page table for
  0x08000000..0x083FFFFF has entries in both halves, all faulted in, so that both
  of its PAE page tables exist when the guest writes to it.
* ``linux_like_guest()`` (notebook 08): the 3G/1G split, the kernel's direct map
  in 4 MiB pages from 0xC0000000 (PD quadrant 3), a kernel page table at
  0xF8000000, and processes with code, heap and stack:

      VA                          guest PDE  PD quadrant  PAE PDE  PT quadrant
      0x08048000 code (4 pages)       32          0          64         0
      0x08200000 heap (8 pages)       32          0          65         1
      0xBFFFC000 stack (4 pages)     767          2         511         1
      0xC0000000 direct map (4 MiB)  768..        3        0, 1..   (2 MiB leaves)
      0xF8000000 kernel (4 pages)    992          3         448         0
"""

from __future__ import annotations

from dataclasses import dataclass

from ..consts import PAGE_SHIFT, PAGE_SIZE
from ..sim.events import GuestFaultInjected, GuestWalkStep
from ..sim.guest import Guest, GuestPageFault
from ..sim.mmu import Mismatch, MMUStats, ShadowMMU
from ..rules import QUADRANT_RULES

MiB = 1 << 20

# --------------------------------------------------------------------------
# Notebook 06: a small guest and one access at a time
# --------------------------------------------------------------------------

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


def fresh_small_mmu(cr3_index: int = 0, **options) -> ShadowMMU:
    """A ShadowMMU on a new small_guest(), CR3 of process cr3_index loaded."""
    guest, cr3s = small_guest()
    mmu = ShadowMMU(guest, **options)
    mmu.load_cr3(cr3s[cr3_index])
    return mmu


def preset_faults(addresses) -> list[AccessResult]:
    """Each address faulted on its own fresh small guest (the static table of notebook 06)."""
    return [run_access(fresh_small_mmu(), va) for va in addresses]


# --------------------------------------------------------------------------
# Notebook 07: the guest writes its page tables
# --------------------------------------------------------------------------

#: The user page table of write_lab(): VAs (all under guest PDE 32) and their frames.
LAB_MAPS = ((0x08000000, 0x00100000), (0x08001000, 0x00101000), (0x08200000, 0x00102000))
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
    access_after: int | None


def _pages_of(mmu: ShadowMMU, gfn: int) -> tuple:
    return tuple((sp.role.describe(), sum(1 for s in sp.spt if s & 1), sp.unsync)
                 for sp in mmu.shadow_pages() if sp.gfn == gfn and sp.role.level <= 2)


def write_value(table: str, size: int) -> int:
    """The value write_experiment() stores: a remapped gPTE (pt) or an empty PDE (pd)."""
    if table == "pd":
        return 0
    full = LAB_NEW_PTE_HI << 32 | LAB_NEW_PTE
    return full & ((1 << (8 * size)) - 1)


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
    entry = offset // 4
    va = 0x08000000 | entry << PAGE_SHIFT if table == "pt" else entry << 22
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
    return WriteResult(table, offset, size, value, unsync, va, before, after, write_trace,
                       t_before, t_write, g_write, invlpg_trace, t_invlpg, acc)


# --------------------------------------------------------------------------
# Notebook 08: a Linux-like guest
# --------------------------------------------------------------------------

#: Per process: (name, first VA, pages). Code and heap share guest PDE 32 (two halves).
PROCESS_LAYOUT = (("code", 0x08048000, 4), ("heap", 0x08200000, 8), ("stack", 0xBFFFC000, 4))
#: Kernel pages mapped with 4 KiB entries (a vmalloc/fixmap-like area): (VA, pages).
KERNEL_4K = (0xF8000000, 4)
KERNEL_BASE = 0xC0000000


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
    guest, cr3s = linux_like_guest(processes, mem_mib)
    mmu = ShadowMMU(guest, rule, host_large_pages=host_large_pages, trace=False)
    touch_everything(mmu, cr3s)
    return mmu.stats()


def run_whole_guest(processes: int = 3, mem_mib: int = 64, host_large_pages: bool = True,
                    rule: str = "mainline") -> tuple[MMUStats, Mismatch | None]:
    """touch_everything() on a fresh linux_like_guest(): (stats, check() of each process, first mismatch)."""
    guest, cr3s = linux_like_guest(processes, mem_mib)
    mmu = ShadowMMU(guest, rule, host_large_pages=host_large_pages, trace=False)
    verdict = None
    for cr3 in cr3s:
        touch_everything(mmu, (cr3,))
        verdict = verdict or mmu.check()
    return mmu.stats(), verdict


def bug_lab(processes: int = 2, mem_mib: int = 16) -> dict[str, Mismatch | None]:
    """Every quadrant rule run on the Linux-like guest; check()'s verdict per rule name.

    Correct rules give None; "halves" (the misconception) gives a wrong
    translation. Each process is checked right after it ran, as its CR3 is
    the one check() compares against; the first mismatch is kept.
    """
    out: dict[str, Mismatch | None] = {}
    for name in QUADRANT_RULES:
        guest, cr3s = linux_like_guest(processes, mem_mib)
        mmu = ShadowMMU(guest, name, trace=False)
        verdict = None
        for cr3 in cr3s:
            touch_everything(mmu, (cr3,))
            verdict = mmu.check()
            if verdict is not None:
                break
        out[name] = verdict
    return out


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


__all__ = [
    "SMALL_KERNEL", "SMALL_USER", "small_guest", "AccessResult", "run_access", "fresh_small_mmu",
    "preset_faults", "LAB_MAPS", "LAB_NEW_PTE", "WriteLab", "write_lab", "WriteResult",
    "write_value", "write_experiment", "PROCESS_LAYOUT", "KERNEL_4K", "linux_like_guest",
    "touch_everything", "whole_guest_stats", "run_whole_guest", "bug_lab", "cr3_switch",
]


# --------------------------------------------------------------------------
# Notebook 10: a real Linux guest, captured under QEMU
# --------------------------------------------------------------------------
#
# The snapshots in shadowmmu/data/ (shadowmmu.snapshot) hold a real
# guest's page directory and page tables and nothing else of its memory, plus
# QEMU's own gva2gpa answers. Everything below builds a *fresh* Guest for each
# experiment: the shadow MMU writes accessed bits into guest memory, as KVM
# does, and a guest shared between experiments would make the second one see
# the first one's A bits.

from functools import lru_cache  # noqa: E402  (kept with the section that uses it)
from typing import ClassVar  # noqa: E402

from ..address import decompose  # noqa: E402
from ..consts import CR4_PSE, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK  # noqa: E402
from ..sim.mmu import SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT  # noqa: E402
from ..snapshot import Snapshot, available_snapshots, load_snapshot  # noqa: E402

#: The two user-mode snapshots (two busy loops of /init, two address spaces), in capture order.
REAL_PAIR = ("user-1", "user-2")
#: Addresses the capture probed in every snapshot (the series' presets), plus busybox's text.
ORACLE_VAS = (0x00000000, 0x00200000, 0x08048000, 0xC0000000, 0xC0200000, 0xDEADBEEF,
              0xFFFFFFFF)


def real_snapshot_names() -> tuple[str, ...]:
    """The names of the committed snapshots, sorted:

        >>> real_snapshot_names()
        ('kernel-boot', 'user-1', 'user-2')
    """
    return tuple(p.name.split(".")[0] for p in available_snapshots())


@lru_cache(maxsize=None)
def real_snapshot(name: str) -> Snapshot:
    """One committed snapshot by name (loaded once; treat it as read-only):

        >>> hex(real_snapshot("user-1").cr3)
        '0x2c9a000'
    """
    for path in available_snapshots():
        if path.name.split(".")[0] == name:
            return load_snapshot(path)
    raise ValueError(f"no snapshot named {name!r}; there are: {', '.join(real_snapshot_names())}")


@dataclass(frozen=True, slots=True)
class RealGuest:
    """A Guest built from one or more snapshots of the same machine, and how they were merged.

    ``cr3s[i]`` is snapshot ``names[i]``'s CR3, all address spaces of
    ``guest``. ``shared`` lists the frames captured by more than one snapshot
    with the same bytes; ``conflicts`` those captured with different bytes,
    where the first snapshot named wins (``kept``).
    """

    guest: Guest
    snapshots: tuple
    shared: tuple[int, ...]
    conflicts: tuple[int, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.snapshots)

    @property
    def cr3s(self) -> tuple[int, ...]:
        return tuple(s.cr3 for s in self.snapshots)

    @property
    def kept(self) -> str:
        """Whose bytes a conflicting frame holds: the first snapshot named."""
        return self.snapshots[0].name


def real_guest(*names: str) -> RealGuest:
    """A fresh Guest holding the page tables of the named snapshots, one address space each:

        >>> rg = real_guest("user-1", "user-2")
        >>> [hex(c) for c in rg.guest.address_spaces], len(rg.shared), rg.conflicts
        (['0x2c9a000', '0x2cd9000'], 10, ())
        >>> hex(rg.guest.walk(rg.cr3s[1], 0xC0000000).gpa)
        '0x0'

    Memory is the union of the snapshots' pages (page directories and page
    tables; every other frame reads as zeros, which no walk ever reads). A
    frame two snapshots both captured, but with different bytes, takes the
    first snapshot's bytes: the first named is the one run first, and it
    then sees exactly its own tables. The user snapshots share their ten
    kernel page tables byte for byte, so there is no conflict to resolve.
    """
    names = names or REAL_PAIR
    snaps = tuple(real_snapshot(n) for n in names)
    if len({s.cr4 for s in snaps}) != 1:
        raise ValueError("the snapshots disagree on CR4: "
                         + ", ".join(f"{s.name} 0x{s.cr4:08x}" for s in snaps))
    pages: dict[int, bytes] = {}
    seen: dict[int, int] = {}
    conflicts: set[int] = set()
    for snap in snaps:
        for gfn, data in snap.pages.items():
            if gfn not in pages:
                pages[gfn], seen[gfn] = data, 1
                continue
            seen[gfn] += 1
            if pages[gfn] != data:
                conflicts.add(gfn)  # the first snapshot's bytes stay
    guest = Guest.from_pages(pages, cr3=snaps[0].cr3, cr4=snaps[0].cr4)
    for snap in snaps[1:]:
        guest.adopt_address_space(snap.cr3)
    shared = tuple(sorted(g for g, n in seen.items() if n > 1 and g not in conflicts))
    return RealGuest(guest, snaps, shared, tuple(sorted(conflicts)))


def real_guest_pair(names: tuple[str, str] = REAL_PAIR) -> RealGuest:
    """real_guest() of the two user snapshots: two processes, one kernel half."""
    return real_guest(*names)


def probed_pages(snap: Snapshot) -> tuple[int, ...]:
    """The 4 KiB pages QEMU translated in snap (gva2gpa gave a gpa), page-aligned, sorted:

        >>> len(probed_pages(real_snapshot("user-1")))
        5262

    Every page mapped through a page table, and a sample of each 4 MiB page
    (every 16th 4 KiB page and the last, so both 2 MiB halves of it).
    """
    return tuple(sorted({va & ~(PAGE_SIZE - 1) for va, gpa in snap.gva2gpa if gpa is not None}))


@dataclass(frozen=True, slots=True)
class RealPde:
    """One present PDE of a real page directory: a page table or a 4 MiB page."""

    index: int
    pde: int
    large: bool
    pd_quadrant: int
    va: int

    @property
    def kind(self) -> str:
        return "4 MiB page" if self.large else "page table"


def page_directory_entries(guest: Guest, cr3: int) -> tuple[RealPde, ...]:
    """The present PDEs of the directory at cr3, read from guest memory, with their PD quadrant:

        >>> pdes = page_directory_entries(real_guest("user-1").guest, 0x02C9A000)
        >>> len(pdes), sum(p.large for p in pdes), pdes[0].index, pdes[0].pd_quadrant
        (26, 12, 32, 0)

    A PDE with bit 7 (PS) set maps a 4 MiB page when CR4.PSE is on, as here;
    the quadrant is ``decompose(index << 22).pd_quadrant``, VA bits 31:30.
    """
    base = (cr3 >> PAGE_SHIFT) << PAGE_SHIFT
    out = []
    for index in range(1024):
        pde = guest.read32(base | index << 2)
        if pde & PT_PRESENT_MASK:
            large = bool(pde & PT_PAGE_SIZE_MASK and guest.cr4 & CR4_PSE)
            va = index << 22
            out.append(RealPde(index, pde, large, decompose(va).pd_quadrant, va))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PageTableHalves:
    """A guest page table's present entries, per half: 0-511 (PT quadrant 0), 512-1023 (1)."""

    #: The kinds, in the order they are tabulated.
    KINDS: ClassVar[tuple[str, ...]] = ("lower half only", "upper half only", "both halves", "empty")

    guest_pde_index: int
    gfn: int
    lower: int
    upper: int

    @property
    def pd_quadrant(self) -> int:
        return decompose(self.guest_pde_index << 22).pd_quadrant

    @property
    def shadow_pdes(self) -> tuple[int, int]:
        """The two PAE PDEs (even: lower half, odd: upper half) in its PD quadrant's page directory."""
        lo, hi = decompose(self.guest_pde_index << 22), decompose(self.guest_pde_index << 22 | 1 << 21)
        return lo.shadow_pde_index, hi.shadow_pde_index

    @property
    def kind(self) -> str:
        """"both halves", "lower half only", "upper half only" or "empty"."""
        if self.lower and self.upper:
            return "both halves"
        if self.lower:
            return "lower half only"
        return "upper half only" if self.upper else "empty"


def page_table_halves(guest: Guest, cr3: int) -> tuple[PageTableHalves, ...]:
    """Each page table of the directory at cr3, with its present gPTEs counted per half:

        >>> halves = page_table_halves(real_guest("user-1").guest, 0x02C9A000)
        >>> len(halves), sum(bool(h.lower) + bool(h.upper) for h in halves)
        (14, 18)

    A half with a present gPTE is a PAE page table KVM will build once the
    guest touches it: role.quadrant 0 for the lower, 1 for the upper.
    """
    out = []
    for pde in page_directory_entries(guest, cr3):
        if pde.large:
            continue
        gfn = pde.pde >> PAGE_SHIFT
        present = [bool(guest.read32(gfn << PAGE_SHIFT | j << 2) & PT_PRESENT_MASK)
                   for j in range(1024)]
        out.append(PageTableHalves(pde.index, gfn, sum(present[:512]), sum(present[512:])))
    return tuple(out)


def fault_in(mmu: ShadowMMU, snap: Snapshot) -> int:
    """Load snap's CR3 and read every page QEMU translated (probed_pages()); returns how many."""
    mmu.load_cr3(snap.cr3)
    pages = probed_pages(snap)
    for va in pages:
        mmu.access(va)
    return len(pages)


def real_guest_run(names: tuple[str, ...] = REAL_PAIR[:1], host_large_pages: bool = True,
                   rule: str = "mainline") -> tuple[RealGuest, ShadowMMU]:
    """A fresh real_guest(*names) and a ShadowMMU (trace off) that ran each snapshot in turn."""
    rg = real_guest(*names)
    mmu = ShadowMMU(rg.guest, rule, host_large_pages=host_large_pages, trace=False)
    for snap in rg.snapshots:
        fault_in(mmu, snap)
    return rg, mmu


def real_guest_stats(names: tuple[str, ...] = REAL_PAIR[:1], host_large_pages: bool = True,
                     rule: str = "mainline") -> MMUStats:
    """The MMU's stats after real_guest_run():

        >>> s = real_guest_stats(("user-1",), host_large_pages=True)
        >>> s.shadow_pages[(2, 0, False)], s.shadow_pages[(1, 1, False)]
        (1, 11)
    """
    return real_guest_run(names, host_large_pages, rule)[1].stats()


@dataclass(frozen=True, slots=True)
class SwitchRow:
    """Shadow pages of one kind that the second process used: found in the cache or created."""

    level: int
    quadrant: int
    direct: bool
    pd_quadrant: int  # the root it hangs under; 3 is the kernel half (VA >= 0xC0000000)
    found: int
    created: int


@dataclass(frozen=True, slots=True)
class RealSwitch:
    """What a CR3 switch from the first snapshot's process to the second's reuses."""

    names: tuple[str, str]
    host_large_pages: bool
    before: MMUStats  # after the first process ran
    after: MMUStats  # after the second ran too
    rows: tuple[SwitchRow, ...]
    shared_tables: tuple[int, ...]  # gfns of page tables both page directories point to

    @property
    def found(self) -> int:
        return sum(r.found for r in self.rows)

    @property
    def created(self) -> int:
        return sum(r.created for r in self.rows)


def real_cr3_switch(names: tuple[str, str] = REAL_PAIR, host_large_pages: bool = True,
                    rule: str = "mainline") -> RealSwitch:
    """Run the first process, switch CR3 to the second and run it; count what it found vs created:

        >>> sw = real_cr3_switch()
        >>> sw.found, sw.created, len(sw.shared_tables)
        (14, 9, 10)

    "Found" means the shadow page (same gfn, same role) was already in the
    cache before the switch, as kvm_mmu_find_shadow_page() would find it;
    "created" that the second process's faults made it. Counted over the
    pages reachable from the new roots once the second process has touched
    every page QEMU translated for it.
    """
    rg = real_guest(*names)
    first, second = rg.snapshots
    mmu = ShadowMMU(rg.guest, rule, host_large_pages=host_large_pages, trace=False)
    fault_in(mmu, first)
    before_stats = mmu.stats()
    before = {sp.hpa for sp in mmu.shadow_pages()}
    fault_in(mmu, second)
    counts: dict[tuple, list[int]] = {}
    for sp, i in mmu.reachable_pages():
        key = (sp.role.level, sp.role.quadrant, sp.role.direct, i)
        counts.setdefault(key, [0, 0])[sp.hpa not in before] += 1
    rows = tuple(SwitchRow(*k, *v) for k, v in
                 sorted(counts.items(), key=lambda kv: (-kv[0][0], kv[0][3], kv[0][2], kv[0][1])))
    tables = [{p.pde >> PAGE_SHIFT for p in page_directory_entries(rg.guest, s.cr3) if not p.large}
              for s in rg.snapshots]
    return RealSwitch((first.name, second.name), host_large_pages, before_stats, mmu.stats(), rows,
                      tuple(sorted(tables[0] & tables[1])))


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


def real_probe(rg: RealGuest, index: int, va: int) -> tuple:
    """What we know about va in snapshot index of rg: (QEMU's answer or "not asked", guest walk or #PF text).

    QEMU's answer is the first gva2gpa entry for exactly va: a gpa, None
    (QEMU said "Unmapped") or the string "not asked".
    """
    snap = rg.snapshots[index]
    qemu: object = "not asked"
    for probe_va, gpa in snap.gva2gpa:
        if probe_va == va:
            qemu = gpa
            break
    try:
        walk: object = rg.guest.walk(snap.cr3, va)
    except GuestPageFault as err:
        walk = str(err)
    return qemu, walk


__all__ += [
    "REAL_PAIR", "ORACLE_VAS", "real_snapshot_names", "real_snapshot", "RealGuest", "real_guest",
    "real_guest_pair", "probed_pages", "RealPde", "page_directory_entries", "PageTableHalves",
    "page_table_halves", "fault_in", "real_guest_run", "real_guest_stats",
    "SwitchRow", "RealSwitch", "real_cr3_switch", "OracleAnswer",
    "OracleTally", "qemu_oracle", "real_probe",
]
