"""The QEMU oracle's helpers, in one place: QEMU's recorded answers and an independent 2-level walk.

``qemu_answers(snap)`` are QEMU's own gva2gpa translations and ``qemu_tlb(snap)`` its
``info tlb`` listing (tools/capture_guest.py recorded both; nobody here wrote them).
``mini_walk()`` is a second, tiny
translation written from the SDM's 32-bit paging with literal masks, sharing no
code with shadowmmu.sim.guest: tests/model/test_snapshot.py checks it against
QEMU, tests/reference_oracles/test_qemu.py checks Guest.walk() and ShadowMMU against both.
"""

import re

from shadowmmu.snapshot import Snapshot

# One line of `info tlb` for a 32-bit guest: "00000000c0000000: 0000000000000000 --P-DA--W"
# (QEMU 7.2 prints 16 hex digits on both sides; older versions printed 8).
_TLB_LINE = re.compile(r"^\s*([0-9a-fA-F]+):\s+([0-9a-fA-F]+)\s+(\S+)\s*$")


def qemu_answers(snap: Snapshot):
    """(va, gpa or None) for every address QEMU translated in snap."""
    return tuple(snap.gva2gpa)


def qemu_tlb(snap: Snapshot) -> list[tuple[int, int, str]]:
    """QEMU's ``info tlb`` of snap as (va, pa, flags) tuples, one per leaf, in QEMU's order.

    The flags are QEMU's nine letters, NX G PSE D A PCD PWT U W, '-' for clear.
    Remember QEMU's quirks: a 4 KiB leaf shows the PTE's own U/W (``info mem``
    combines them with the PDE's), PTE bit 7 is hidden, and a 4 MiB frame is
    printed masked to 2 MiB alignment.
    """
    entries = []
    for line in snap.info_tlb.splitlines():
        if not line.strip():
            continue
        m = _TLB_LINE.match(line)
        if m is None:
            raise ValueError(f"snapshot {snap.name!r}: unexpected info tlb line {line!r}")
        entries.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return entries


def entry(page: bytes, index: int) -> int:
    """The index-th little-endian 4-byte entry of a 4096-byte table."""
    return int.from_bytes(page[4 * index : 4 * index + 4], "little")


def mini_walk(snap: Snapshot, va: int) -> int | None:
    """Translate va the way a non-PAE CPU does: PDE from bits 31:22, then PSE or PTE."""
    pde = entry(snap.pages[snap.cr3 >> 12], va >> 22)
    if not pde & 0b1:  # P
        return None
    if pde & 0b1000_0000 and snap.cr4 & 0b1_0000:  # PS, with CR4.PSE
        pse36 = (pde >> 13) & 0xFF  # PDE bits 20:13 are physical bits 39:32
        return (pse36 << 32) | (pde & 0xFFC0_0000) | (va & 0x003F_FFFF)
    pte = entry(snap.pages[pde >> 12], (va >> 12) & 0x3FF)
    if not pte & 0b1:
        return None
    return (pte & 0xFFFF_F000) | (va & 0xFFF)
