"""The reverse view: from a shadow page back to the guest, and from a guest write to sPTEs (notebook 07).

This module knows roles and table geometry. It does not know guest memory or
the shadow MMU's state; the simulator asks it which sPTEs a write touches.

Going backwards needs the quadrant too. A level-1 shadow page with quadrant q
shadows guest PTEs 512q..512q+511, i.e. bytes 2048q..2048q+2047 of its guest
page table; a level-2 page with quadrant q shadows guest PDEs 256q..256q+255,
i.e. bytes 1024q..1024q+1023 of the guest page directory, and each of those
4-byte PDEs is *two* 8-byte PAE PDEs (4 MiB = 2 x 2 MiB).

When the guest writes a table page that KVM keeps write-protected (always the
guest page directory; a guest page table only while it cannot go unsync), the
write is trapped and emulated, then kvm_mmu_track_write() (Linux 6.6+;
kvm_mmu_pte_write() before) visits every shadow page of that gfn: a misaligned write zaps the whole page;
otherwise get_written_sptes() names the one or two sPTEs to zap, or nothing,
when the written bytes belong to another quadrant's part of the guest table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .consts import (
    GPTE_SIZE,
    PAGE_SHIFT,
    PAGE_SIZE,
    PG_LEVEL_4K,
    PT32_ROOT_LEVEL,
    SPTE_ENT_PER_PAGE,
    SPTE_LEVEL_BITS,
    SPTE_SIZE,
)
from .role import PageRole


def get_level1_sp_gpa(gfn: int, role: PageRole) -> int:
    """Guest-physical address of the first gPTE a level-1 shadow page shadows:

        >>> hex(get_level1_sp_gpa(0x1234, PageRole(level=1, has_4_byte_gpte=True, quadrant=1)))
        '0x1234800'

    For 4-byte gPTEs quadrant 0 selects the lower and quadrant 1 the upper
    2 KiB (512 entries x 4 bytes) of the guest page table. Mirrors FNAME(get_level1_sp_gpa) (Linux
    6.3, paging_tmpl.h), used to resync unsync pages and at invlpg.
    """
    if role.level != PG_LEVEL_4K:
        raise ValueError(f"get_level1_sp_gpa() is for level-1 pages, got {role.describe()}")
    offset = (role.quadrant << SPTE_LEVEL_BITS) * GPTE_SIZE if role.has_4_byte_gpte else 0
    return (gfn << PAGE_SHIFT) + offset


@dataclass(frozen=True, slots=True)
class ShadowedPart:
    """Which part of its guest table one shadow page stands for.

    ``first_gpte``..``first_gpte + nr_gptes - 1`` are guest entry indices,
    ``byte_lo``..``byte_hi`` (inclusive) their bytes in the guest table, and
    ``sptes_per_gpte`` how many of this page's sPTEs each of them becomes.
    """

    first_gpte: int
    nr_gptes: int
    byte_lo: int
    byte_hi: int
    sptes_per_gpte: int


def shadowed_part(role: PageRole) -> ShadowedPart:
    """The slice of the guest table (PD or PT) that a 4-byte-gPTE shadow page covers:

        >>> shadowed_part(PageRole(level=2, has_4_byte_gpte=True, quadrant=3))
        ShadowedPart(first_gpte=768, nr_gptes=256, byte_lo=3072, byte_hi=4095, sptes_per_gpte=2)
    """
    if not role.has_4_byte_gpte or role.direct:
        raise ValueError(f"{role.describe()} does not shadow a 4-byte guest table")
    if role.level == PT32_ROOT_LEVEL:
        n, per = SPTE_ENT_PER_PAGE // 2, 2
    elif role.level == PG_LEVEL_4K:
        n, per = SPTE_ENT_PER_PAGE, 1
    else:
        raise ValueError(f"no level-{role.level} shadow pages for a 2-level guest")
    first = role.quadrant * n
    return ShadowedPart(first, n, first * GPTE_SIZE, (first + n) * GPTE_SIZE - 1, per)


def detect_write_misaligned(offset: int, nbytes: int, pte_size: int = GPTE_SIZE) -> bool:
    """Whether a guest write of nbytes at byte offset of a table is treated as misaligned:

        >>> detect_write_misaligned(0x7FC, 4), detect_write_misaligned(0x7FC, 8)
        (False, True)

    An aligned 1-byte write is fine (Linux clears PTE bits with a byte-wide
    ``andb``). Otherwise a write is misaligned if it is shorter than 4 bytes or
    spans two entries; so with 4-byte gPTEs an 8-byte store is misaligned too.
    Mirrors detect_write_misaligned() (Linux 6.x).
    """
    if nbytes == 1 and offset % pte_size == 0:
        return False
    first_entry = offset // pte_size
    last_entry = (offset + nbytes - 1) // pte_size
    return first_entry != last_entry or nbytes < 4


def get_written_sptes(role: PageRole, offset: int, nbytes: int = GPTE_SIZE) -> tuple[int, ...] | None:
    """The sPTE indices of a shadow page hit by a guest write at byte offset of its guest table:

        >>> pd3 = PageRole(level=2, has_4_byte_gpte=True, quadrant=3)
        >>> get_written_sptes(pd3, 0xDE8)           # guest PDE 890 -> PAE PDEs 244 and 245
        (244, 245)
        >>> get_written_sptes(pd3, 0x004) is None   # guest PDE 1 belongs to quadrant 0
        True

    With 4-byte gPTEs every guest entry is twice as far into the shadow: double
    the offset. A guest PDE maps 4 MiB = two 2 MiB PAE PDEs, so at the PD level
    double again and return two. The part above the 4 KiB page is the quadrant
    the bytes belong to; another quadrant's page is skipped (None). Call only
    for writes that passed detect_write_misaligned(). Mirrors
    get_written_sptes() (Linux 6.x).
    """
    if not 0 <= offset < PAGE_SIZE or nbytes < 1:
        raise ValueError(f"a write at byte {offset} of {nbytes} bytes is not inside one table")
    page_offset, nr = offset, 1
    if role.has_4_byte_gpte:
        page_offset *= 2  # 4-byte entries -> 8-byte entries
        if role.level == PT32_ROOT_LEVEL:
            page_offset = (page_offset // SPTE_SIZE) * SPTE_SIZE * 2  # one PDE -> two
            nr = 2
        if page_offset >> PAGE_SHIFT != role.quadrant:
            return None
        page_offset %= PAGE_SIZE
    first = page_offset // SPTE_SIZE
    return tuple(range(first, first + nr))


@dataclass(frozen=True, slots=True)
class WriteEffect:
    """What one guest write does to one shadow page of the written gfn.

    ``action`` is "zap-page" (misaligned: the whole shadow page goes), "zap"
    (``sptes`` are zapped) or "skip" (the bytes belong to another quadrant).
    """

    role: PageRole
    action: str
    sptes: tuple[int, ...]


def write_effects(roles, offset: int, nbytes: int = GPTE_SIZE) -> tuple[WriteEffect, ...]:
    """What a guest write of nbytes at offset does to each shadow page (by role) of its gfn:

        >>> from shadowmmu.role import pae_root_roles
        >>> [e.action for e in write_effects(pae_root_roles(), 0x404)]
        ['skip', 'zap', 'skip', 'skip']

    Direct pages shadow no guest table and never appear here (the kernel walks
    only shadow pages with gPTEs). Write flooding, which is stateful, is the
    simulator's business.
    """
    misaligned = detect_write_misaligned(offset, nbytes)
    effects = []
    for role in roles:
        if role.direct:
            continue
        if misaligned:
            effects.append(WriteEffect(role, "zap-page", ()))
            continue
        sptes = get_written_sptes(role, offset, nbytes)
        effects.append(WriteEffect(role, "skip", ()) if sptes is None
                       else WriteEffect(role, "zap", sptes))
    return tuple(effects)
