"""The golden table, typed by hand from shared/reference/kernel-facts.md.

These numbers were computed there with two independent formulas and checked
against an outside tool (paging-calculator for 0xDEADBEEF); none of them was
printed by shadowmmu. Columns:

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
