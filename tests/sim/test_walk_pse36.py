"""The guest walk of a 4 MiB page as KVM does it: PSE-36 with 36 physical bits.

Every expected value below is worked out by hand from two sources, never
printed by the walker:

* the SDM (vol. 3, "32-bit paging", the 4 MiB PDE format): with CR4.PSE set
  and PDE.PS = 1, the PDE maps a 4 MiB page; physical bits 31:22 come from
  PDE bits 31:22, bits (M-1):32 from PDE bits (M-20):13, and PDE bits
  21:(M-19) are reserved, where M is MAXPHYADDR capped at 40. A reserved bit
  set gives #PF with error code bit 3 (RSVD) and bit 0 (P).
* KVM (torvalds/linux, arch/x86/kvm/mmu/): is_cpuid_PSE36() in mmu.c returns 1
  for every guest, and __reset_rsvds_bits_mask() reserves rsvd_bits(17, 21) of
  a 4 MiB PDE of a 2-level guest with CR4.PSE (nothing in a 4 KiB PTE or in a
  PDE that points at a table, nothing at all with CR4.PSE clear);
  __is_rsvd_bits_set() picks the mask row by bit 7 of the entry.
  pse36_gfn_delta() moves PDE bits 16:13 up to gfn bits 23:20 (a shift by
  7), i.e. physical bits 35:32. That is the SDM's rule with M = 36.
  FNAME(walk_addr_generic) (paging_tmpl.h) tests P, then the reserved bits
  (errcode = RSVD | P), and only after the loop the permissions; the error
  path ORs in the W and U bits of the access.

So for the PDE 0x000000E7 | bit b (frame 0, PS D A U W P: no permission can
fail) and VA 0x0031BBCD (PDE index 0x0031BBCD >> 22 = 0, offset in the page
0x31BBCD):

* b = 13, 14, 15, 16 -> gpa = 1 << (32 + b - 13) | 0x31BBCD;
* b = 17 .. 21       -> #PF, error code 0b1001 = 0x9 for a supervisor read,
  0xB for a supervisor write, 0xD for a user read, 0xF for a user write.
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from shadowmmu import Guest, GuestPageFault, ShadowMMU
from shadowmmu.sim.paging32 import GuestWalk, WalkEntries

CR4_PSE = 1 << 4
PD_GFN = 0x10
CR3 = PD_GFN << 12
VA = 0x0031BBCD
PS_D_A_U_W_P = 0b1110_0111  # 0xE7


def _guest(pde: int, cr4: int = CR4_PSE, extra: dict | None = None,
           mem_size: int = 1 << 32) -> Guest:
    pd = bytearray(4096)
    pd[0:4] = pde.to_bytes(4, "little")
    pages = {PD_GFN: bytes(pd)}
    pages.update(extra or {})
    return Guest.from_pages(pages, cr3=CR3, cr4=cr4, mem_size=mem_size)


@pytest.mark.parametrize("bit, gpa", [
    (13, 0x1_0031_BBCD),
    (14, 0x2_0031_BBCD),
    (15, 0x4_0031_BBCD),
    (16, 0x8_0031_BBCD),
])
def test_bits_16_13_are_physical_bits_35_32(bit, gpa):
    walk = _guest(1 << bit | PS_D_A_U_W_P).walk(CR3, VA)
    assert (walk.level, walk.gpa) == (2, gpa)


@pytest.mark.parametrize("bit", [17, 18, 19, 20, 21])
@pytest.mark.parametrize("write, user, code", [
    (False, False, 0x9),  # RSVD | P
    (True, False, 0xB),   # RSVD | W | P
    (False, True, 0xD),   # RSVD | U | P
    (True, True, 0xF),    # RSVD | U | W | P
])
def test_bits_21_17_are_reserved(bit, write, user, code):
    with pytest.raises(GuestPageFault) as info:
        _guest(1 << bit | PS_D_A_U_W_P).walk(CR3, VA, write=write, user=user)
    assert info.value.error_code == code
    assert info.value.rsvd and info.value.present
    assert f"reserved bit {bit} set in 4 MiB PDE 0x{1 << bit | 0xE7:08x}" in info.value.reason


def test_the_example_of_issue_13():
    # PDE 0x000200E7 has bit 17 set (0x00020000 = 1 << 17): KVM injects 0x9;
    # the walker used to read bits 20:13 as 39:32 and return gpa 0x100031BBCD.
    with pytest.raises(GuestPageFault) as info:
        _guest(0x000200E7).walk(CR3, VA)
    assert info.value.error_code == 0x9
    assert str(info.value) == (
        "#PF at 0x0031bbcd (read, supervisor): reserved bit 17 set in 4 MiB PDE 0x000200e7 "
        "(PSE-36 with 36 physical bits: bits 21:17 must be 0)")


def test_every_reserved_bit_is_named():
    # bits 21, 19 and 17: 0x00200000 | 0x00080000 | 0x00020000 = 0x002A0000
    with pytest.raises(GuestPageFault, match=r"reserved bits 21, 19, 17 set in 4 MiB PDE 0x002a00e7"):
        _guest(0x002A00E7).walk(CR3, VA)


def test_reserved_bits_win_over_a_permission_fault():
    # 0x00200083: bit 21, PS, W, P, supervisor-only. A user read would be a U/S
    # violation (0x5), but the reserved-bit check comes first: RSVD | U | P = 0xD.
    with pytest.raises(GuestPageFault) as info:
        _guest(0x00200083).walk(CR3, VA, user=True)
    assert info.value.error_code == 0xD


def test_with_cr4_pse_clear_nothing_is_reserved():
    # Bit 7 is ignored: 0x000200E7 points at a page table in frame 0x20. PTE index
    # (0x0031BBCD >> 12) & 0x3FF = 0x31B, at byte 4 * 0x31B = 0xC6C of that table.
    pt = bytearray(4096)
    pt[0xC6C:0xC70] = (0x00555003).to_bytes(4, "little")
    walk = _guest(0x000200E7, cr4=0, extra={0x20: bytes(pt)}).walk(CR3, VA)
    assert (walk.level, walk.gpa) == (1, 0x555BCD)


def test_a_table_pde_and_a_pte_have_no_reserved_bits():
    # PDE 0x003FE027 (table at frame 0x3FE, bits 21:13 = 0b111111111) and a PTE
    # with bit 7 (PAT) set: 0x003FE083 -> frame 0x3FE, gpa 0x3FE000 | 0xBCD.
    pt = bytearray(4096)
    pt[0xC6C:0xC70] = (0x003FE083).to_bytes(4, "little")
    walk = _guest(0x003FE027, extra={0x3FE: bytes(pt)}).walk(CR3, VA)
    assert (walk.level, walk.gpa) == (1, 0x3FEBCD)


def test_how_many_of_the_2_20_pdes_fault():
    # Of the 2**20 values of PDE bits 31:12, those with any of bits 21:17 set
    # fault: all but the 2**15 with those five bits clear, 2**20 - 2**15 = 1,015,808.
    # The others map gpa = bits 31:22 | bits 16:13 << 19 | offset.
    guest = _guest(0)
    faults = 0
    for high in range(1 << 20):
        pde = high << 12 | PS_D_A_U_W_P
        guest.write(CR3, pde)
        try:
            gpa = guest.walk_entries(PD_GFN, VA)[0]
        except GuestPageFault as err:
            assert err.error_code == 0x9
            faults += 1
            continue
        assert gpa == (pde & 0xFFC0_0000) | ((pde >> 13) & 0xF) << 32 | 0x31BBCD
    assert faults == 1_015_808


def test_the_shadow_mmu_injects_the_same_fault():
    # 0x00020087: bit 17, PS U W P, A and D clear: KVM's walk fails before it
    # would set A (FNAME(update_accessed_dirty_bits) runs only on success).
    guest = _guest(0x00020087)
    mmu = ShadowMMU(guest)
    mmu.load_cr3(CR3)
    with pytest.raises(GuestPageFault) as info:
        mmu.access(VA)
    assert info.value.error_code == 0x9
    assert "reserved bit 17" in info.value.reason
    with pytest.raises(GuestPageFault) as info:
        mmu.access(VA, write=True, user=True)
    assert info.value.error_code == 0xF
    assert mmu.stats().guest_faults == 2
    assert mmu.translate(VA) is None  # no sPTE was installed
    assert guest.read(CR3) == 0x00020087  # A was not set
    assert mmu.check() is None


def test_the_shadow_mmu_maps_a_clean_pse36_neighbour_and_refuses_above_4_gib():
    # PDE 1 = 0x00C000E7 (frame 0xC00000, bits 16:13 clear) maps gpa 0xC00000 + offset;
    # PDE 0 = 0x000020E7 (bit 13) maps 0x1_0000_0000 + offset: above the 4 GiB of guest
    # memory, where KVM has no memslot and would emulate the access as MMIO.
    guest = _guest(0x000020E7)
    guest.write(CR3 + 4, 0x00C000E7)
    mmu = ShadowMMU(guest)
    mmu.load_cr3(CR3)
    assert mmu.access(0x00400123) == 0xC00123
    with pytest.raises(ValueError, match=r"va 0x0031bbcd maps to gpa 0x10031bbcd, outside guest memory"):
        mmu.access(VA)
    assert mmu.translate(VA) is None
    assert mmu.check() is None


def test_a_shadowed_4mib_pde_rewritten_with_a_reserved_bit():
    # PDE 0 = 0x000000E7 maps gpa 0 + offset; the guest then stores 0x000400E7 (bit 18)
    # into it. The PD is write-tracked, so the store is emulated and zaps both sPDEs of
    # PDE 0; the next access walks the new PDE and gets RSVD | P = 0x9.
    guest = _guest(PS_D_A_U_W_P)
    mmu = ShadowMMU(guest)
    mmu.load_cr3(CR3)
    assert mmu.access(VA) == 0x31BBCD
    mmu.guest_write(CR3, 0x000400E7)
    assert mmu.translate(VA) is None
    with pytest.raises(GuestPageFault, match="reserved bit 18") as info:
        mmu.access(VA)
    assert info.value.error_code == 0x9
    assert mmu.check() is None


def test_guest_walk_is_va_and_the_fast_walks_fields():
    # paging32 keeps two records of one walk: GuestWalk (with va, steps) and the tuple
    # WalkEntries the fault path reads; their fields must not drift apart.
    assert [f.name for f in fields(GuestWalk)] == ["va", *WalkEntries._fields]
