"""Notebook 10's guest: a real 32-bit Linux guest captured under QEMU, shadowed.

The snapshots in shadowmmu/data/ (``snapshot``) hold a real guest's page
directory and page tables and nothing else of its memory, plus QEMU's own
gva2gpa answers. Everything here builds a *fresh* Guest for each experiment:
the shadow MMU writes accessed bits into guest memory, as KVM does, and a guest
shared between experiments would make the second one see the first one's A bits.

Knows: ``snapshot``, ``sim.Guest``, ``sim.ShadowMMU``. Does not know: HTML,
views, widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from ..address import decompose
from ..consts import CR4_PSE, PAGE_SHIFT, PAGE_SIZE, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK
from ..sim.guest import Guest
from ..sim.mmu import MMUStats, ShadowMMU
from ..snapshot import Snapshot, available_snapshots, load_snapshot

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


def probed_pages(snap: Snapshot) -> tuple[int, ...]:
    """The 4 KiB pages QEMU translated in snap (gva2gpa gave a gpa), page-aligned, sorted:

        >>> pages = probed_pages(real_snapshot("user-1"))
        >>> pages == tuple(sorted(set(pages))) and all(va % 4096 == 0 for va in pages)
        True

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


def real_guest_mmu(name: str) -> tuple[RealGuest, ShadowMMU]:
    """A fresh real_guest(name) and a tracing ShadowMMU with its CR3 loaded, nothing faulted in yet."""
    rg = real_guest(name)
    mmu = ShadowMMU(rg.guest)
    mmu.load_cr3(rg.cr3s[0])
    return rg, mmu


def real_guest_stats(names: tuple[str, ...] = REAL_PAIR[:1], host_large_pages: bool = True,
                     rule: str = "mainline") -> MMUStats:
    """The MMU's stats after real_guest_run():

        >>> s = real_guest_stats(("user-1",), host_large_pages=True)
        >>> sorted(q for (level, q, direct), n in s.shadow_pages.items() if level == 2 for _ in range(n))
        [0, 1, 2, 3]

    (one process, one CR3: one page directory per quadrant).
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
    #: Each page reachable from the second process's roots, in reachable_pages() order:
    #: (gfn, level, quadrant, direct, pd_quadrant, found in the cache before the switch).
    pages: tuple[tuple[int, int, int, bool, int, bool], ...] = ()

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
    pages = []
    for sp, i in mmu.reachable_pages():
        key = (sp.role.level, sp.role.quadrant, sp.role.direct, i)
        counts.setdefault(key, [0, 0])[sp.hpa not in before] += 1
        pages.append((sp.gfn, *key, sp.hpa in before))
    rows = tuple(SwitchRow(*k, *v) for k, v in
                 sorted(counts.items(), key=lambda kv: (-kv[0][0], kv[0][3], kv[0][2], kv[0][1])))
    tables = [{p.pde >> PAGE_SHIFT for p in page_directory_entries(rg.guest, s.cr3) if not p.large}
              for s in rg.snapshots]
    return RealSwitch((first.name, second.name), host_large_pages, before_stats, mmu.stats(), rows,
                      tuple(sorted(tables[0] & tables[1])), tuple(pages))
