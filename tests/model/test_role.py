"""PageRole, the four PAE roots and child_role(), against kernel-facts §1, §3 and §7."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowmmu import PageRole, RoleWarning, child_role, decompose, pae_root_roles, root_role, shadow_index, spte_index
from shadowmmu.address import field_values


def test_root_role_is_pae_even_for_a_two_level_guest():
    r = root_role()
    assert (r.level, r.has_4_byte_gpte, r.direct, r.quadrant) == (3, True, False, 0)


def test_four_pae_roots_share_everything_but_the_quadrant():
    roots = pae_root_roles()
    assert [r.quadrant for r in roots] == [0, 1, 2, 3]
    assert {r.level for r in roots} == {2}
    assert all(r.has_4_byte_gpte and not r.direct for r in roots)
    assert {dataclasses.replace(r, quadrant=0) for r in roots} == {roots[0]}


def test_roles_are_frozen_and_hashable():
    r = pae_root_roles()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.quadrant = 1
    assert len({*pae_root_roles(), *pae_root_roles()}) == 4


@given(st.integers(0, 3), st.integers(0, 511), st.booleans(), st.integers(0, 7))
def test_child_role_is_parent_copy_with_parity_quadrant(q, index, direct, access):
    parent = pae_root_roles()[q]
    child = child_role(parent, index, direct=direct, access=access)
    assert child.level == 1
    assert child.quadrant == index % 2          # written independently of `& 1`
    assert child.direct == direct and child.access == access
    # direct children keep has_4_byte_gpte (Linux 5.17+), unlike mmu.rst's wording
    assert child.has_4_byte_gpte


def test_consecutive_pae_pdes_alternate():
    parent = pae_root_roles()[3]
    assert [child_role(parent, i).quadrant for i in range(6)] == [0, 1, 0, 1, 0, 1]
    # 255 and 256 are neighbours, not a top/bottom boundary
    assert child_role(parent, 255).quadrant == 1 and child_role(parent, 256).quadrant == 0


def test_child_of_8_byte_gpte_parent_has_no_quadrant():
    parent = PageRole(level=2, has_4_byte_gpte=False)
    assert child_role(parent, 7).quadrant == 0


def test_deriving_a_level_2_child_warns_like_the_kernel():
    with pytest.raises(RoleWarning, match="WARN"):
        child_role(root_role(), 3)


@pytest.mark.parametrize("bad", [-1, 512])
def test_child_role_rejects_out_of_range_index(bad):
    with pytest.raises(ValueError, match="0..511"):
        child_role(pae_root_roles()[0], bad)


def test_role_validation():
    with pytest.raises(ValueError, match="has_4_byte_gpte"):
        PageRole(level=1, has_4_byte_gpte=False, quadrant=1)
    with pytest.raises(ValueError, match="0..3"):
        PageRole(level=1, has_4_byte_gpte=True, quadrant=4)
    with pytest.raises(ValueError, match="access"):
        PageRole(level=1, has_4_byte_gpte=True, access=8)


@given(st.integers(0, 511), st.integers(0, 2**20))
def test_spte_index_counts_entries_not_bytes(index, page):
    base = page * 4096
    assert spte_index(base + 8 * index) == index
    assert spte_index(base + 8 * index + 7) == index


# Addresses written as the PAE split reads them: PDPTE 31:30 _ PDE 29:21 _ PTE 20:12 _ offset 11:0.
@pytest.mark.parametrize("va, pdpte, pde, pte", [
    (0b00_000000000_000000000_000000000000, 0, 0, 0),
    (0b00_000000000_000000000_111111111111, 0, 0, 0),  # the offset reaches no index
    (0b00_000000000_111111111_000000000000, 0, 0, 511),  # 0x001FF000
    (0b00_000000001_000000000_000000000000, 0, 1, 0),  # 0x00200000: the second PAE PDE
    (0b00_111111111_000000000_000000000000, 0, 511, 0),  # 0x3FE00000
    (0b01_000000000_000000000_000000000000, 1, 0, 0),  # 0x40000000: the second quarter
    (0b11_000000001_000000000_000000000000, 3, 1, 0),  # 0xC0200000
    (0b11_011110101_011011011_111011101111, 3, 245, 219),  # 0xDEADBEEF
    (0b11_111111111_111111111_111111111111, 3, 511, 511),  # 0xFFFFFFFF
])
def test_shadow_index_reads_the_pae_fields(va, pdpte, pde, pte):
    assert (shadow_index(va, 3), shadow_index(va, 2), shadow_index(va, 1)) == (pdpte, pde, pte)


@given(st.integers(0, 2**32 - 1))
def test_shadow_index_agrees_with_decompose(va):
    d = decompose(va)
    assert (shadow_index(va, 3), shadow_index(va, 2), shadow_index(va, 1)) == \
        (d.pdpte_index, d.shadow_pde_index, d.shadow_pte_index)


def test_shadow_index_agrees_with_decompose_on_every_guest_page():
    # decompose()'s own arithmetic (field_values over the consts layouts), on all 2**20 pages
    # at once; an offset that sets every other bit shows no index reads into the offset.
    pages = np.arange(2**20, dtype=np.int64)
    for offset in (0, 0xFFF):
        va = pages << 12 | offset
        fields = field_values(va)
        for level, name in ((3, "pdpte_index"), (2, "shadow_pde_index"), (1, "shadow_pte_index")):
            assert np.array_equal(shadow_index(va, level), fields[name]), (offset, level)

