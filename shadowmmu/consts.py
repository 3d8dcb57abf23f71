"""Constants and bit-field layouts, spelled as the kernel spells them.

This module knows nothing: no functions, no other shadowmmu module. Everything
else reads its sizes from here, so a number like 21 or 0x7FC never has to be
typed twice.

The layouts are data (one ``Field`` per index or offset, high:low inclusive,
as in the SDM), read by ``address.decompose()`` *and* by the diagrams in
``views``, so the arithmetic and the picture cannot drift apart:

    0xC0200000 =  1100000000   1000000000   000000000000      guest 10/10/12
                  31:22        21:12        11:0
    0xC0200000 =  11   000000001   000000000   000000000000   PAE 2/9/9/12
                  31:30  29:21       20:12        11:0
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
MiB = 1 << 20  # a mebibyte, for sizing guests

#: Index bits per level of a 32-bit (4-byte entry) and a 64-bit/PAE (8-byte
#: entry) table, as the pre-6.0 kvm_mmu_get_page() named them.
PT32_PT_BITS = 10
PT64_PT_BITS = 9
#: The same 9, under the name current kernels use (SPTE_LEVEL_BITS, Linux 6.0+).
SPTE_LEVEL_BITS = PT64_PT_BITS

PT32_ENT_PER_PAGE = 1 << PT32_PT_BITS  # 1024 gPTEs in a guest table
SPTE_ENT_PER_PAGE = 1 << PT64_PT_BITS  # 512 sPTEs in a shadow page
GPTE_SIZE = 4  # bytes of a 32-bit non-PAE guest entry
SPTE_SIZE = 8  # bytes of a PAE shadow entry

#: Levels, as enum pg_level numbers them.
PG_LEVEL_4K = 1
PG_LEVEL_2M = 2
#: Root levels: a 2-level guest, and the 3-level PAE shadow KVM gives it.
PT32_ROOT_LEVEL = 2
PT32E_ROOT_LEVEL = 3

#: A non-PAE guest has a 4 GiB linear address space; the PAE shadow splits it
#: into four 1 GiB quarters, one per pae_root entry.
VA_BITS = 32
VA_MAX = (1 << VA_BITS) - 1
NR_PAE_ROOTS = 4
GUEST_PAGES = 1 << (VA_BITS - PAGE_SHIFT)  # 2**20 guest 4 KiB pages
#: The addresses every notebook tabulates and offers as buttons, in the views and in the page.
PRESETS = (0x00000000, 0x00200000, 0xC0000000, 0xC0200000, 0xDEADBEEF, 0xFFFFFFFF)

#: Access bits of role.access (ACC_EXEC_MASK, ACC_WRITE_MASK, ACC_USER_MASK).
ACC_EXEC_MASK = 1
ACC_WRITE_MASK = 2
ACC_USER_MASK = 4
ACC_ALL = ACC_EXEC_MASK | ACC_WRITE_MASK | ACC_USER_MASK

#: 32-bit guest PTE/PDE bits (SDM vol. 3, "32-bit paging").
PT_PRESENT_MASK = 1 << 0
PT_WRITABLE_MASK = 1 << 1
PT_USER_MASK = 1 << 2
PT_ACCESSED_MASK = 1 << 5
PT_DIRTY_MASK = 1 << 6
PT_PAGE_SIZE_MASK = 1 << 7  # PDE.PS: a 4 MiB page
PT_GLOBAL_MASK = 1 << 8

CR0_PG = 1 << 31
CR0_WP = 1 << 16
CR4_PSE = 1 << 4
CR4_PAE = 1 << 5


@dataclass(frozen=True, slots=True)
class Field:
    """One index or offset of an address: bits hi:lo inclusive, as the SDM writes them:

    >>> Field("pdpte_index", 31, 30, "PDPTE").width
    2
    """

    name: str
    hi: int
    lo: int
    label: str

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1


#: The guest's own 2-level split of a 4 KiB mapping: 10/10/12.
GUEST_4K = (
    Field("guest_pde_index", 31, 22, "guest PDE"),
    Field("guest_pte_index", 21, 12, "guest PTE"),
    Field("page_offset", 11, 0, "offset"),
)
#: The guest's split of a 4 MiB PSE mapping: 10/22.
GUEST_4M = (
    Field("guest_pde_index", 31, 22, "guest PDE"),
    Field("pse_offset", 21, 0, "4 MiB offset"),
)
#: The PAE shadow's split of a 4 KiB mapping: 2/9/9/12.
PAE_4K = (
    Field("pdpte_index", 31, 30, "PDPTE"),
    Field("shadow_pde_index", 29, 21, "PAE PDE"),
    Field("shadow_pte_index", 20, 12, "PAE PTE"),
    Field("page_offset", 11, 0, "offset"),
)
#: The PAE shadow's split of a 2 MiB mapping: 2/9/21.
PAE_2M = (
    Field("pdpte_index", 31, 30, "PDPTE"),
    Field("shadow_pde_index", 29, 21, "PAE PDE"),
    Field("large_offset", 20, 0, "2 MiB offset"),
)
#: What each bit of an address does for both tables at once, 2/8/1/9/12 (notebook 02's
#: colours): bits 31:30 pick the PDPTE and so the PD quadrant; 29:22 the *pair* of PAE PDEs
#: one guest PDE becomes; bit 21 one PAE PDE of the pair, the PT quadrant; then the PAE PTE
#: and the byte in the page. The guest consumes 31:30 and 21 at a level where the shadow
#: does not: they become role.quadrant.
BIT_ROLES = (
    Field("pd_quadrant", 31, 30, "PDPTE index = PD quadrant"),
    Field("pde_pair", 29, 22, "the pair of PAE PDEs"),
    Field("pt_quadrant", 21, 21, "PT quadrant (low bit of the PAE PDE index)"),
    Field("shadow_pte_index", 20, 12, "PAE PTE index"),
    Field("page_offset", 11, 0, "page offset"),
)
