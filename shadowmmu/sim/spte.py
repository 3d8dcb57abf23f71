"""The sPTE bit layout, in one place: what the simulator writes and what views and scenarios read.

A simplified PAE entry (8 bytes):

    bit 0 present   bit 1 writable   bit 2 user   bit 7 PS (2 MiB leaf)   bits 51:12 address

Non-leaf sPTEs hold a shadow page's made-up host-physical address (sequential
from 4 GiB, ``SHADOW_HPA_BASE``); guest frames are backed one-to-one (host pfn
= gfn), so a leaf sPTE holds the guest frame.

    >>> spte = leaf_spte(0x5, writable=True, user=False)
    >>> hex(spte), spte_frame(spte), spte_flags(spte | SPTE_LARGE)
    ('0x5003', 5, 'P W S 2M')

Knows: ``consts.PAGE_SHIFT``. Does not know: shadow pages, roles, the guest.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE

SPTE_PRESENT = 1 << 0
SPTE_WRITABLE = 1 << 1
SPTE_USER = 1 << 2
SPTE_LARGE = 1 << 7
SPTE_ADDR_MASK = ((1 << 52) - 1) & ~(PAGE_SIZE - 1)
#: Non-leaf sPTEs allow everything; permissions are enforced in the leaves.
SPTE_LINK_FLAGS = SPTE_PRESENT | SPTE_WRITABLE | SPTE_USER
SHADOW_HPA_BASE = 1 << 32
LARGE_SHIFT = 21  # a 2 MiB shadow leaf
LARGE_GFNS = 1 << (LARGE_SHIFT - PAGE_SHIFT)  # 512 frames per 2 MiB


def leaf_spte(gfn: int, writable: bool, user: bool) -> int:
    """A present leaf sPTE for host frame gfn (identity backing) with the given permissions."""
    return gfn << PAGE_SHIFT | SPTE_PRESENT | SPTE_WRITABLE * writable | SPTE_USER * user


def spte_frame(spte: int) -> int:
    """The frame number an sPTE holds (bits 51:12): a guest frame in a leaf, a shadow page's in a link."""
    return (spte & SPTE_ADDR_MASK) >> PAGE_SHIFT


def spte_flags(spte: int) -> str:
    """The sPTE's permission and size bits as words: "P W U", "P S 2M", "not present"."""
    if not spte & SPTE_PRESENT:
        return "not present"
    return " ".join(["P", "W" if spte & SPTE_WRITABLE else "", "U" if spte & SPTE_USER else "S",
                     "2M" if spte & SPTE_LARGE else ""]).replace("  ", " ").strip()
