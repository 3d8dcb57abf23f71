"""The reverse view and the write path, checked against the forward walk (kernel-facts §5, §6)."""

import pytest

from reference_oracles.golden import GOLDEN, IDS
from shadowmmu import (
    PageRole,
    detect_write_misaligned,
    get_level1_sp_gpa,
    get_written_sptes,
    pae_root_roles,
    shadowed_part,
    write_effects,
)

PT = [PageRole(level=1, has_4_byte_gpte=True, quadrant=q) for q in (0, 1)]
PD = list(pae_root_roles())


@pytest.mark.parametrize("row", GOLDEN, ids=IDS)
def test_golden_write_columns(row):
    gpde_off, gpte_off = row[7], row[8]
    (pt_q, spte), (pd_q, sptes) = row[9], row[10]
    assert get_written_sptes(PT[pt_q], gpte_off) == (spte,)
    assert get_written_sptes(PT[1 - pt_q], gpte_off) is None
    assert get_written_sptes(PD[pd_q], gpde_off) == sptes
    assert [q for q in range(4) if get_written_sptes(PD[q], gpde_off) is not None] == [pd_q]


def test_every_gpte_write_hits_what_the_walk_reads():
    # Forward: any VA using gPTE j reads PT quadrant VA[21] and sPTE VA[20:12].
    for j in range(1024):
        va = (5 << 22) | (j << 12)          # any guest PDE would do
        want_q, want_spte = (va >> 21) & 1, (va >> 12) & 511
        hits = {q: get_written_sptes(PT[q], 4 * j) for q in (0, 1)}
        assert hits == {want_q: (want_spte,), 1 - want_q: None}, j


def test_every_gpde_write_hits_the_two_sptes_of_its_4mib_region():
    for k in range(1024):
        region = range(k << 22, (k + 1) << 22, 1 << 12)
        reached = {((va >> 30) & 3, (va >> 21) & 511) for va in region}
        written = {(q, s) for q in range(4) for s in (get_written_sptes(PD[q], 4 * k) or ())}
        assert written == reached, k


def _misaligned_oracle(offset, nbytes):
    entries = {b // 4 for b in range(offset, offset + nbytes)}
    aligned_byte = nbytes == 1 and offset % 4 == 0
    return not aligned_byte and (len(entries) > 1 or nbytes < 4)


def test_misalignment_filter_exhaustively():
    survivors = set()
    for offset in range(4096):
        for nbytes in (1, 2, 3, 4, 8):
            got = detect_write_misaligned(offset, nbytes)
            assert got == _misaligned_oracle(offset, nbytes), (offset, nbytes)
            if not got:
                survivors.add((offset % 4, nbytes))
    # Only aligned 4-byte and aligned 1-byte writes are handled entry by entry.
    assert survivors == {(0, 4), (0, 1)}


def test_eight_byte_store_is_misaligned_for_4_byte_gptes():
    assert detect_write_misaligned(0x800, 8)
    effects = write_effects([*PT, *PD], 0x800, 8)
    assert [e.action for e in effects] == ["zap-page"] * 6


def test_write_effects_skip_other_quadrants():
    # 0xDEADBEEF's gPDE (byte 0xDE8) belongs to PD quadrant 3 only.
    effects = write_effects(PD, 0xDE8)
    assert [(e.role.quadrant, e.action, e.sptes) for e in effects] == [
        (0, "skip", ()), (1, "skip", ()), (2, "skip", ()), (3, "zap", (244, 245))]


def test_write_effects_ignore_direct_pages():
    direct = PageRole(level=1, has_4_byte_gpte=True, quadrant=1, direct=True)
    assert write_effects([direct, PT[1]], 0xB6C) == write_effects([PT[1]], 0xB6C)


def test_level1_sp_gpa():
    # the 0xDEADBEEF gPTE sits at byte 2924 = 2048*1 + 4*219 of its guest PT
    assert get_level1_sp_gpa(0x1234, PT[1]) + 4 * 219 == 0x1234 * 4096 + 2924
    assert get_level1_sp_gpa(0x1234, PT[0]) == 0x1234000
    with pytest.raises(ValueError, match="level-1"):
        get_level1_sp_gpa(1, PD[0])


def test_shadowed_part_of_each_page():
    assert [(p.first_gpte, p.byte_lo, p.byte_hi) for p in map(shadowed_part, PT)] == [
        (0, 0, 2047), (512, 2048, 4095)]
    assert [(p.first_gpte, p.byte_lo, p.byte_hi) for p in map(shadowed_part, PD)] == [
        (0, 0, 1023), (256, 1024, 2047), (512, 2048, 3071), (768, 3072, 4095)]
    assert {shadowed_part(r).sptes_per_gpte for r in PD} == {2}


def test_bad_write_offsets_are_refused():
    with pytest.raises(ValueError):
        get_written_sptes(PT[0], 4096)
