"""The sPTE bit layout, in one place: what the simulator writes and what views and scenarios read.

The bits KVM's shadow MMU sets in a PAE sPTE when the host uses shadow paging
(no EPT/NPT), as ``kvm_mmu_reset_all_pte_masks()`` chooses them and
``make_spte()`` / ``make_nonleaf_spte()`` combine them (arch/x86/kvm/mmu/spte.c
and spte.h, Linux 5.13 to 6.x; bit 11 is ``SPTE_MMU_PRESENT_MASK`` since 5.13):

    bit 0 present (P)   bit 1 writable (W)   bit 2 user (U)   bit 5 accessed (A)
    bit 6 dirty (D)     bit 7 PS (2 MiB leaf)
    bit 9 host-writable (DEFAULT_SPTE_HOST_WRITABLE)   bit 10 MMU-writable (DEFAULT_SPTE_MMU_WRITABLE)
    bit 11 SPTE_MMU_PRESENT_MASK (KVM's own "this sPTE is present")   bits 51:12 address

* A link (``make_nonleaf_spte()``): child address | MMU-present | P | W | U | A.
* A leaf (``make_spte()``, for a fault, so not a prefetch: A is set):
  frame | MMU-present | P | A | host-writable, plus U if the guest allows
  user access, PS for a 2 MiB leaf, and W | MMU-writable | D only if the
  sPTE is writable. A read-only leaf (a clean gPTE, or a write-protected
  guest table) has none of W, MMU-writable, D.
* Write protection (``spte_write_protect()`` with pt_protect, as
  ``kvm_mmu_slot_gfn_write_protect()`` does it) clears W and MMU-writable
  and leaves D.
* A ``pae_root`` entry is the page directory's address | P only
  (``mmu_alloc_shadow_roots()``).

What the model leaves out, with the assumptions that make the rest exact:
the host is not SME/SEV (``shadow_me_mask`` = 0); ``nx_huge_pages`` is off
(with it on, a 2 MiB leaf gets NX, bit 63); a 32-bit guest has no NX, so
``shadow_x_mask`` = 0 and no leaf carries bit 63; no prefetched sPTEs
(FNAME(pte_prefetch) makes leaves without A); an empty entry is shown as 0
(newer kernels fill empty entries with ``SHADOW_NONPRESENT_VALUE``); the
CPU's own A/D updates to sPTEs change nothing here, as A is already set and
D comes with W. Host memory is made up: shadow pages get host-physical
addresses sequential from 4 GiB (``SHADOW_HPA_BASE``) and guest frames are
backed one-to-one (host pfn = gfn).

    >>> spte = leaf_spte(0x5, writable=True, user=False)
    >>> hex(spte), spte_frame(spte), spte_flags(spte | SPTE_LARGE)
    ('0x5e63', 5, 'P W S A D 2M')

Knows: ``consts.PAGE_SHIFT``. Does not know: shadow pages, roles, the guest.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE

SPTE_PRESENT = 1 << 0  # PT_PRESENT_MASK = shadow_present_mask
SPTE_WRITABLE = 1 << 1  # PT_WRITABLE_MASK
SPTE_USER = 1 << 2  # PT_USER_MASK = shadow_user_mask
SPTE_ACCESSED = 1 << 5  # PT_ACCESSED_MASK = shadow_accessed_mask
SPTE_DIRTY = 1 << 6  # PT_DIRTY_MASK = shadow_dirty_mask
SPTE_LARGE = 1 << 7  # PT_PAGE_SIZE_MASK
SPTE_HOST_WRITABLE = 1 << 9  # DEFAULT_SPTE_HOST_WRITABLE
SPTE_MMU_WRITABLE = 1 << 10  # DEFAULT_SPTE_MMU_WRITABLE
SPTE_MMU_PRESENT = 1 << 11  # SPTE_MMU_PRESENT_MASK
SPTE_ADDR_MASK = ((1 << 52) - 1) & ~(PAGE_SIZE - 1)
#: make_nonleaf_spte(): links allow everything; permissions are enforced in the leaves.
SPTE_LINK_FLAGS = SPTE_MMU_PRESENT | SPTE_PRESENT | SPTE_WRITABLE | SPTE_USER | SPTE_ACCESSED
#: What write protection takes away (spte_write_protect(), pt_protect).
SPTE_WRITE_BITS = SPTE_WRITABLE | SPTE_MMU_WRITABLE
#: A pae_root entry: the page directory's address and P, nothing else.
PAE_ROOT_FLAGS = SPTE_PRESENT
SHADOW_HPA_BASE = 1 << 32
LARGE_SHIFT = 21  # a 2 MiB shadow leaf
LARGE_GFNS = 1 << (LARGE_SHIFT - PAGE_SHIFT)  # 512 frames per 2 MiB


def leaf_spte(gfn: int, writable: bool, user: bool, large: bool = False) -> int:
    """make_spte() for a faulted-in leaf of host frame gfn (identity backing), as in the module doc."""
    spte = (gfn << PAGE_SHIFT | SPTE_MMU_PRESENT | SPTE_PRESENT | SPTE_ACCESSED
            | SPTE_HOST_WRITABLE | SPTE_USER * user | SPTE_LARGE * large)
    if writable:
        spte |= SPTE_WRITABLE | SPTE_MMU_WRITABLE | SPTE_DIRTY
    return spte


def link_spte(child_hpa: int) -> int:
    """make_nonleaf_spte(): an sPTE pointing at the shadow page at child_hpa."""
    return child_hpa | SPTE_LINK_FLAGS


def leaf_gpa(spte: int, level: int, va: int) -> int:
    """The address a leaf sPTE of ``level`` (1: 4 KiB, 2: 2 MiB) gives va: its frame, va's offset in it."""
    shift = PAGE_SHIFT if level == 1 else LARGE_SHIFT
    return (spte & SPTE_ADDR_MASK & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))


def spte_frame(spte: int) -> int:
    """The frame number an sPTE holds (bits 51:12): a guest frame in a leaf, a shadow page's in a link."""
    return (spte & SPTE_ADDR_MASK) >> PAGE_SHIFT


def spte_flags(spte: int) -> str:
    """The sPTE's hardware bits as words: "P W U A D", "P S A 2M", "not present"."""
    if not spte & SPTE_PRESENT:
        return "not present"
    words = ["P", "W" if spte & SPTE_WRITABLE else "", "U" if spte & SPTE_USER else "S",
             "A" if spte & SPTE_ACCESSED else "", "D" if spte & SPTE_DIRTY else "",
             "2M" if spte & SPTE_LARGE else ""]
    return " ".join(w for w in words if w)


def spte_bits(spte: int) -> str:
    """Every bit set in an sPTE, named, KVM's software bits included (the views' legend for a value)."""
    if not spte:
        return "0: empty"
    names = [(SPTE_PRESENT, "P"), (SPTE_WRITABLE, "W"), (SPTE_USER, "U"), (SPTE_ACCESSED, "A"),
             (SPTE_DIRTY, "D"), (SPTE_LARGE, "PS"), (SPTE_HOST_WRITABLE, "host-writable"),
             (SPTE_MMU_WRITABLE, "MMU-writable"), (SPTE_MMU_PRESENT, "MMU-present")]
    out = [name for bit, name in names if spte & bit]
    if spte & SPTE_ADDR_MASK:
        out.insert(0, f"frame 0x{spte_frame(spte):X}")
    return ", ".join(out)
