"""The sPTE encoding (sim.spte) against values written out by hand from the kernel.

Source: arch/x86/kvm/mmu/spte.c, torvalds/linux read at 0337f585f57f (v5.13):
kvm_mmu_reset_all_pte_masks() for shadow paging picks present = bit 0, user = bit 2,
accessed = bit 5, dirty = bit 6, x = 0, host-writable = bit 9, MMU-writable = bit 10;
SPTE_MMU_PRESENT_MASK is bit 11 (spte.h); PT_WRITABLE_MASK bit 1, PT_PAGE_SIZE_MASK bit 7.
make_spte() (not a prefetch) = MMU-present | present | accessed | [user] | [PS] |
host-writable | pfn << 12 | [W | MMU-writable | D when writable]; make_nonleaf_spte() =
MMU-present | child | present | W | user | accessed. Every combination below is typed in.
"""

import pytest

from shadowmmu.sim.spte import leaf_spte, link_spte, spte_bits, spte_flags

# (writable, user, large) -> the low 12 bits, by hand
LEAF_LOW_BITS = {
    (False, False, False): 0x800 | 0x200 | 0x20 | 0x1,  # 0xA21
    (False, True, False): 0x800 | 0x200 | 0x20 | 0x4 | 0x1,  # 0xA25
    (True, False, False): 0x800 | 0x400 | 0x200 | 0x40 | 0x20 | 0x2 | 0x1,  # 0xE63
    (True, True, False): 0x800 | 0x400 | 0x200 | 0x40 | 0x20 | 0x4 | 0x2 | 0x1,  # 0xE67
    (False, False, True): 0x800 | 0x200 | 0x80 | 0x20 | 0x1,  # 0xAA1
    (False, True, True): 0x800 | 0x200 | 0x80 | 0x20 | 0x4 | 0x1,  # 0xAA5
    (True, False, True): 0x800 | 0x400 | 0x200 | 0x80 | 0x40 | 0x20 | 0x2 | 0x1,  # 0xEE3
    (True, True, True): 0x800 | 0x400 | 0x200 | 0x80 | 0x40 | 0x20 | 0x4 | 0x2 | 0x1,  # 0xEE7
}


@pytest.mark.parametrize("key", sorted(LEAF_LOW_BITS))
def test_leaf_bits(key):
    writable, user, large = key
    for gfn in (0, 0x5, 0x123, 0xFFFFF, (1 << 40) - 1):
        assert leaf_spte(gfn, writable, user, large) == gfn << 12 | LEAF_LOW_BITS[key]


def test_link_bits():
    assert link_spte(0x100004000) == 0x100004000 | 0x827
    assert spte_bits(link_spte(0x100004000)) == "frame 0x100004, P, W, U, A, MMU-present"


def test_names():
    assert spte_flags(0x5000 | 0xE67) == "P W U A D"
    assert spte_flags(0x5000 | 0xAA1) == "P S A 2M"
    assert spte_flags(0) == "not present" and spte_bits(0) == "0: empty"
    assert spte_bits(0x5A65) == "frame 0x5, P, U, A, D, host-writable, MMU-present"  # write-protected
