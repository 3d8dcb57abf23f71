"""The simulator's records: a shadow page (struct kvm_mmu_page), a mismatch found by check(), the stats.

Knows: ``PageRole`` and the sPTE size. Does not know: the cache, the fault
path, the guest; nothing here changes state except ShadowPage's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..consts import PT32_ROOT_LEVEL, SPTE_ENT_PER_PAGE, SPTE_SIZE
from ..role import PageRole


@dataclass(slots=True, eq=False)
class ShadowPage:
    """One shadow page (struct kvm_mmu_page): 512 sPTEs shadowing part of a guest table, or a linear range:

        >>> sp = ShadowPage(gfn=0x3FF, role=PageRole(level=1, has_4_byte_gpte=True, quadrant=1),
        ...                 hpa=0x100000000)
        >>> sp.describe(), hex(sp.sptep(219))
        ('gfn 0x3ff L1 q1 at hpa 0x100000000', '0x1000006d8')

    ``spt`` holds the sPTEs; ``gptes`` (indirect level-1 pages only) the gPTE
    each present leaf was built from, which resync compares against;
    ``parent_ptes`` the addresses of the sPTEs that point here. Mutable: this
    is the simulator's working state; read it, do not change it.
    """

    gfn: int
    role: PageRole
    hpa: int
    spt: list = field(default_factory=lambda: [0] * SPTE_ENT_PER_PAGE)
    gptes: list | None = None
    parent_ptes: set = field(default_factory=set)
    unsync: bool = False
    root_count: int = 0
    write_flooding_count: int = 0
    #: False once zapped (role.invalid); a root still in use stays allocated, obsolete,
    #: until the vCPU's next entry frees its roots (root_count drops to 0).
    valid: bool = True

    @property
    def has_gptes(self) -> bool:
        """sp_has_gptes(): shadows a guest table (not direct, not the special PDPT page)."""
        return not self.role.direct and self.role.level <= PT32_ROOT_LEVEL

    def sptep(self, index: int) -> int:
        """The host-physical address of sPTE index (spte_index() runs it backwards)."""
        return self.hpa + SPTE_SIZE * index

    def describe(self) -> str:
        flags = " unsync" if self.unsync else ""
        return f"gfn 0x{self.gfn:x} {self.role.describe()} at hpa 0x{self.hpa:x}{flags}"


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A place where the shadow tables disagree with the guest's own walk:

        >>> Mismatch(va=0x200000, shadow_gpa=0x1000, guest_gpa=0x2000,
        ...          reason="shadow maps another frame").describe()
        'VA 0x00200000: shadow -> 0x1000, guest -> 0x2000 (shadow maps another frame)'
    """

    va: int
    shadow_gpa: int
    guest_gpa: int | None
    reason: str

    def describe(self) -> str:
        guest = "not mapped" if self.guest_gpa is None else f"0x{self.guest_gpa:x}"
        return f"VA 0x{self.va:08x}: shadow -> 0x{self.shadow_gpa:x}, guest -> {guest} ({self.reason})"


@dataclass(frozen=True, slots=True)
class MMUStats:
    """Counts of what the shadow MMU holds and has done (describe() prints them as a table).

    ``shadow_pages`` maps (level, quadrant, direct) to a page count.
    """

    shadow_pages: dict
    sptes_present: int
    leaf_sptes: int
    large_sptes: int
    gfns_write_tracked: int
    gfns_write_protected: int
    unsync_pages: int
    accesses: int
    faults: int
    guest_faults: int
    writes_emulated: int
    writes_unsync: int
    writes_stored: int
    sptes_zapped: int
    pages_zapped: int
    pages_synced: int
    quadrant_skips: int
    shadow_bytes: int
    guest_table_bytes: int
    writes_unprotected: int = 0  # stores that took the unprotect-and-retry path

    @property
    def total_shadow_pages(self) -> int:
        return sum(self.shadow_pages.values())

    def describe(self) -> str:
        kinds = ", ".join(f"L{lvl} q{q}{' direct' if d else ''}: {n}"
                          for (lvl, q, d), n in sorted(self.shadow_pages.items(), reverse=True))
        return "\n".join([
            f"shadow pages     {self.total_shadow_pages} ({kinds or 'none'})",
            f"sPTEs in use     {self.sptes_present} ({self.leaf_sptes} leaves, {self.large_sptes} of 2 MiB)",
            f"guest frames     {self.gfns_write_tracked} write-tracked, "
            f"{self.gfns_write_protected} write-protected; {self.unsync_pages} unsync pages",
            f"accesses         {self.accesses}, faults {self.faults}, injected #PF {self.guest_faults}",
            f"guest writes     {self.writes_emulated} emulated, {self.writes_unsync} unsynced a table, "
            f"{self.writes_stored} plain stores"
            + (f", {self.writes_unprotected} unprotected and re-run" if self.writes_unprotected else ""),
            f"zapped           {self.sptes_zapped} sPTEs, {self.pages_zapped} pages; "
            f"{self.pages_synced} syncs; {self.quadrant_skips} quadrant skips",
            f"memory           {self.shadow_bytes} B of shadow pages vs "
            f"{self.guest_table_bytes} B of guest page tables",
        ])
