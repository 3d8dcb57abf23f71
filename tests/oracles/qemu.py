"""The QEMU oracle's helpers, in one place: QEMU's recorded answers and an independent 2-level walk.

``qemu_answers(snap)`` are QEMU's own gva2gpa translations (tools/capture_guest.py
recorded them; nobody here wrote them). ``mini_walk()`` is a second, tiny
translation written from the SDM's 32-bit paging with literal masks, sharing no
code with shadowmmu.sim.guest: tests/model/test_snapshot.py checks it against
QEMU, tests/oracles/test_qemu.py checks Guest.walk() and ShadowMMU against both.
"""

from shadowmmu.snapshot import Snapshot


def qemu_answers(snap: Snapshot):
    """(va, gpa or None) for every address QEMU translated in snap."""
    return tuple(snap.gva2gpa)


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
