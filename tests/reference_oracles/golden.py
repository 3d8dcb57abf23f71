"""The golden table: eleven addresses worked out by hand, none of it printed by shadowmmu.

Where each column comes from (primary sources; every value re-derives with pencil
and paper from the address):

* gPDE = VA[31:22], gPTE = VA[21:12]: 32-bit paging (Intel SDM vol. 3A, "32-Bit
  Paging": 10/10/12); PDPTE = VA[31:30], sPDE = VA[29:21], sPTE = VA[20:12]: PAE
  paging ("PAE Paging": 2/9/9/12).
* PD quadrant = the PDPTE index: ``mmu_alloc_shadow_roots()`` gives pae_root[i]
  ``role.quadrant = i`` (Linux v6.10, arch/x86/kvm/mmu/mmu.c); PT quadrant = VA[21] =
  sPDE & 1: ``kvm_mmu_child_role()`` (``spte_index(sptep) & 1``, v6.0+), equal for
  every row to the pre-6.0 address formula of ``kvm_mmu_get_page()``.
* byte offsets = 4 x index (4-byte guest entries).
* the write columns apply ``get_written_sptes()`` (v6.10) to those offsets: a gPTE
  write at offset o zaps sPTE (o/4) mod 512 of the PT of quadrant o div 2048; a gPDE
  write zaps sPDEs 2(k mod 256) and +1 of the PD of quadrant k div 256 (k = o/4).

The 0xDEADBEEF row was also checked against an outside tool (phip1611/paging-calculator:
x86 PDE 890; x86 PAE PDPT 3, PD 245, PT 219). Columns:

va, gPDE, gPTE, PDPTE (= PD quadrant), sPDE, sPTE, PT quadrant,
gPDE byte offset, gPTE byte offset,
gPTE write -> (PT quadrant, sPTE), gPDE write -> (PD quadrant, (sPDE, sPDE + 1))
"""

GOLDEN = [
    (0x00000000, 0, 0, 0, 0, 0, 0, 0x000, 0x000, (0, 0), (0, (0, 1))),
    (0x001FF000, 0, 511, 0, 0, 511, 0, 0x000, 0x7FC, (0, 511), (0, (0, 1))),
    (0x00200000, 0, 512, 0, 1, 0, 1, 0x000, 0x800, (1, 0), (0, (0, 1))),
    (0x00400000, 1, 0, 0, 2, 0, 0, 0x004, 0x000, (0, 0), (0, (2, 3))),
    (0x3FFFFFFF, 255, 1023, 0, 511, 511, 1, 0x3FC, 0xFFC, (1, 511), (0, (510, 511))),
    (0x40000000, 256, 0, 1, 0, 0, 0, 0x400, 0x000, (0, 0), (1, (0, 1))),
    (0xBFFFFFFF, 767, 1023, 2, 511, 511, 1, 0xBFC, 0xFFC, (1, 511), (2, (510, 511))),
    (0xC0000000, 768, 0, 3, 0, 0, 0, 0xC00, 0x000, (0, 0), (3, (0, 1))),
    (0xC0200000, 768, 512, 3, 1, 0, 1, 0xC00, 0x800, (1, 0), (3, (0, 1))),
    (0xDEADBEEF, 890, 731, 3, 245, 219, 1, 0xDE8, 0xB6C, (1, 219), (3, (244, 245))),
    (0xFFFFFFFF, 1023, 1023, 3, 511, 511, 1, 0xFFC, 0xFFC, (1, 511), (3, (510, 511))),
]
IDS = [f"0x{row[0]:08X}" for row in GOLDEN]
