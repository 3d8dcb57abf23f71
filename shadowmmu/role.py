"""Shadow-page roles: the cache key that tells shadow pages of one guest page apart (notebook 05).

This module knows the fields of a role and how the kernel fills them. It does
not know quadrant rules other than the mainline one (``rules`` does), guest
memory or the shadow MMU.

A shadow page is found again by (gfn, role). For a 32-bit non-PAE guest one
gfn needs several shadow pages: the guest page directory (1024 4-byte PDEs,
4 GiB) is shadowed by four PAE page directories of 512 8-byte PDEs (1 GiB
each), and each guest page table (1024 PTEs, 4 MiB) by two PAE page tables
(512 PTEs, 2 MiB each). ``role.quadrant`` is what tells them apart.

Where the quadrant comes from, in mainline since Linux 6.0:

* level 2: mmu_alloc_shadow_roots() allocates all four PAE page directories up
  front, every one for the same guest-PD gfn, and mmu_alloc_root() gives the
  i-th quadrant = i. The PDPT above them (``pae_root``) is a bare per-vCPU page,
  not a shadow page, so nothing derives these from a parent.
* level 1: kvm_mmu_child_role() copies the parent's role, lowers the level,
  sets direct/access, and takes the quadrant from the *index of the parent
  PAE PDE* that points at the new page: ``spte_index(sptep) & 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .consts import (
    ACC_ALL,
    NR_PAE_ROOTS,
    PAGE_SHIFT,
    PG_LEVEL_4K,
    PT32_ROOT_LEVEL,
    PT32E_ROOT_LEVEL,
    SPTE_ENT_PER_PAGE,
    SPTE_LEVEL_BITS,
    SPTE_SIZE,
)


@dataclass(frozen=True, slots=True)
class PageRole:
    """The fields of union kvm_mmu_page_role this model needs.

        >>> PageRole(level=1, has_4_byte_gpte=True, quadrant=1)
        PageRole(level=1, has_4_byte_gpte=True, quadrant=1, direct=False, access=7)

    ``level``: 1 = a page of PTEs, 2 = a page directory, 3 = the PDPT level.
    ``has_4_byte_gpte``: the guest uses 32-bit non-PAE paging (renamed from
    the inverted ``gpte_is_8_bytes`` in Linux 5.17). ``quadrant``: which part
    of the guest table this shadow page covers; only meaningful when
    has_4_byte_gpte. ``direct``: the page maps a linear range (e.g. half of a
    guest 4 MiB page) instead of shadowing a guest table. ``access``: the
    ACC_* permissions accumulated along the walk (ACC_ALL = 7).
    """

    level: int
    has_4_byte_gpte: bool
    quadrant: int = 0
    direct: bool = False
    access: int = ACC_ALL

    def __post_init__(self) -> None:
        if self.quadrant and not self.has_4_byte_gpte:
            raise ValueError(f"quadrant {self.quadrant} without has_4_byte_gpte: {self}")
        if not 0 <= self.quadrant <= 3:
            raise ValueError(f"role.quadrant is 2 bits (0..3), got {self.quadrant}")
        if not 0 <= self.access <= ACC_ALL:
            raise ValueError(f"role.access is 0..{ACC_ALL}, got {self.access}")

    def describe(self) -> str:
        """A short label for tables: ``L1 q1 direct``."""
        text = f"L{self.level} q{self.quadrant}"
        return text + (" direct" if self.direct else "")


def spte_index(spte_addr: int) -> int:
    """The index of an sPTE in its 4 KiB shadow page, from the sPTE's byte address:

        >>> spte_index(0x1000 + 8 * 245)
        245

    The entry number, not a byte offset. Mirrors spte_index() (Linux 6.0+), which
    replaced the ``(sptep - parent_sp->spt)`` pointer arithmetic: a difference of
    two ``u64 *`` already counts entries, so both give the same parity.
    """
    return (spte_addr // SPTE_SIZE) % SPTE_ENT_PER_PAGE


def shadow_index(va: int, level: int) -> int:
    """The index of va's entry in a PAE shadow page of ``level`` (3 = pae_root, 2 = PD, 1 = PT):

        >>> [shadow_index(0xDEADBEEF, level) for level in (3, 2, 1)]
        [3, 245, 219]

    VA bits 31:30, 29:21 and 20:12, the PAE 2/9/9/12 split. SPTE_INDEX() (Linux
    6.0+, spte.h; SHADOW_PT_INDEX() before) with its 9 bits per level above the
    page offset: the index the shadow walk uses at each level, where
    spte_index() recovers it from an sPTE's address. At level 3 the nine bits
    hold only va's two top ones, pae_root's ``(addr >> 30) & 3``.
    """
    return (va >> _INDEX_SHIFT[level]) & _INDEX_MASK


#: SPTE_LEVEL_SHIFT(level) for levels 1..3 (index 0 unused), and the 9-bit index mask:
#: worked out once, as shadow_index() runs several times per simulated access.
_INDEX_SHIFT = (None,) + tuple(PAGE_SHIFT + SPTE_LEVEL_BITS * (level - 1) for level in (1, 2, 3))
_INDEX_MASK = SPTE_ENT_PER_PAGE - 1


def root_role(*, has_4_byte_gpte: bool = True) -> PageRole:
    """The MMU-wide root role of a shadow MMU for a paging guest without EPT/NPT:

        >>> root_role()
        PageRole(level=3, has_4_byte_gpte=True, quadrant=0, direct=False, access=7)

    kvm_init_shadow_mmu() raises a 2-level guest's root level to
    PT32E_ROOT_LEVEL: the shadow is always at least PAE, even on a 64-bit host.
    """
    return PageRole(level=PT32E_ROOT_LEVEL, has_4_byte_gpte=has_4_byte_gpte)


def pae_root_roles(root: PageRole | None = None) -> tuple[PageRole, ...]:
    """The roles of the four PAE page directories of a 32-bit non-PAE guest:

        >>> [r.quadrant for r in pae_root_roles()]
        [0, 1, 2, 3]

    All four shadow the same guest-PD gfn (CR3's), at level 2, quadrant i for
    pae_root[i]; all four are always allocated (there are no guest PDPTEs to
    check). Mirrors mmu_alloc_shadow_roots() and mmu_alloc_root() (Linux 6.0+;
    before 6.0 the same quadrant came from gva = i << 30 through the address
    formula).
    """
    root = root or root_role()
    return tuple(
        replace(root, level=PT32_ROOT_LEVEL, quadrant=i) for i in range(NR_PAE_ROOTS)
    )


class RoleWarning(ValueError):
    """A WARN_ON_ONCE() the kernel would hit: the model refuses instead of going on."""


def child_role(parent: PageRole, spte_index: int, *, direct: bool = False,
               access: int = ACC_ALL) -> PageRole:
    """The role of the shadow page that parent's entry spte_index will point at:

        >>> root = pae_root_roles()[3]
        >>> child_role(root, 1).quadrant, child_role(root, 2).quadrant
        (1, 0)

    A copy of the parent's role with level - 1, direct and access from the
    caller; with 4-byte gPTEs the quadrant is the parity of the parent PAE PDE's
    index (= VA bit 21). Direct children (halves of a guest 4 MiB page) keep
    has_4_byte_gpte (since Linux 5.17), so they get a quadrant too. Mirrors
    kvm_mmu_child_role() (Linux 6.0+), including its WARN_ON_ONCE: with 4-byte
    gPTEs only level-1 children may be derived, because the level-2 pages are the
    pre-allocated roots.
    """
    if not 0 <= spte_index < SPTE_ENT_PER_PAGE:
        raise ValueError(f"spte_index {spte_index} is outside 0..{SPTE_ENT_PER_PAGE - 1}")
    role = replace(parent, level=parent.level - 1, direct=direct, access=access, quadrant=0)
    if role.has_4_byte_gpte:
        if role.level != PG_LEVEL_4K:
            raise RoleWarning(
                f"kvm_mmu_child_role() WARNs: a 4-byte-gPTE child at level {role.level}; "
                "only level-1 children are derived, the PAE page directories are roots"
            )
        role = replace(role, quadrant=spte_index & 1)
    return role
