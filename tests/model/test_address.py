"""decompose() and parse_address() against the golden table, bit strings and hypothesis."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_oracles.golden import GOLDEN, IDS
from shadowmmu import AddressError, decompose, parse_address, pd_quadrant, pt_quadrant
from shadowmmu.address import check_va, parse_number
from shadowmmu.consts import GUEST_4K, GUEST_4M, PAE_2M, PAE_4K
from shadowmmu.exercises import check_answers, make_exercise

addresses = st.integers(min_value=0, max_value=0xFFFFFFFF)


@pytest.mark.parametrize("row", GOLDEN, ids=IDS)
def test_golden_table(row):
    va, gpde, gpte, pdpte, spde, spte, q1, gpde_off, gpte_off, _, _ = row
    d = decompose(va)
    assert (d.guest_pde_index, d.guest_pte_index) == (gpde, gpte)
    assert (d.pdpte_index, d.shadow_pde_index, d.shadow_pte_index) == (pdpte, spde, spte)
    assert (d.pd_quadrant, d.pt_quadrant) == (pdpte, q1)
    assert (d.guest_pde_offset, d.guest_pte_offset) == (gpde_off, gpte_off)
    assert (d.shadow_pde_offset, d.shadow_pte_offset) == (8 * spde, 8 * spte)


def test_binary_literal_grouped_at_field_boundaries():
    # 0xDEADBEEF written out along the PAE 2/9/9/12 split.
    va = 0b11_011110101_011011011_111011101111
    d = decompose(va)
    assert (d.pdpte_index, d.shadow_pde_index, d.shadow_pte_index, d.page_offset) == (
        0b11, 0b011110101, 0b011011011, 0b111011101111)
    # ... and along the guest 10/10/12 split.
    assert va == 0b1101111010_1011011011_111011101111
    assert (d.guest_pde_index, d.guest_pte_index) == (0b1101111010, 0b1011011011)


def _slice(va, hi, lo):
    """An oracle that shares no code with shadowmmu: cut the binary string."""
    text = format(va, "032b")
    return int(text[31 - hi: 32 - lo], 2)


@given(addresses)
def test_fields_match_string_slicing(va):
    d = decompose(va)
    for layout in (GUEST_4K, GUEST_4M, PAE_4K, PAE_2M):
        for field in layout:
            assert getattr(d, field.name) == _slice(va, field.hi, field.lo), field
    assert d.pd_quadrant == _slice(va, 31, 30) and d.pt_quadrant == _slice(va, 21, 21)


@given(addresses)
def test_structural_identities(va):
    d = decompose(va)
    assert d.guest_pte_index == 512 * d.pt_quadrant + d.shadow_pte_index
    assert d.shadow_pde_index == 2 * (d.guest_pde_index % 256) + d.pt_quadrant
    assert d.pdpte_index == d.guest_pde_index // 256
    # the PT quadrant is the parity of the PAE PDE index (even/odd interleave) ...
    assert d.pt_quadrant == d.shadow_pde_index % 2
    # ... and both readings put the address back together.
    assert (d.guest_pde_index << 22 | d.guest_pte_index << 12 | d.page_offset) == va
    assert (d.pdpte_index << 30 | d.shadow_pde_index << 21 | d.shadow_pte_index << 12
            | d.page_offset) == va
    assert d.large_offset == (d.shadow_pte_index << 12 | d.page_offset)
    assert pd_quadrant(va) == d.pd_quadrant and pt_quadrant(va) == d.pt_quadrant


@pytest.mark.parametrize("text,expected", [
    ("0xC0200000", 0xC0200000), ("c0200000", 0xC0200000), ("3221225472", 0xC0000000),
    ("0xC020_0000", 0xC0200000), ("  0xc0200000\t", 0xC0200000), ("0XFFFFFFFF", 0xFFFFFFFF),
    ("0", 0), ("0x0", 0), ("DEADBEEF", 0xDEADBEEF), (0, 0), (0xFFFFFFFF, 0xFFFFFFFF),
    ("4294967295", 0xFFFFFFFF), ("1_000", 1000),
])
def test_parse_accepts(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("bad,needle", [
    (-1, "outside"), (0x1_0000_0000, "outside"), ("0x100000000", "outside"),
    ("4294967296", "outside"), (1.0, "float"), (True, "bool"), (False, "bool"),
    (None, "NoneType"), ("", "empty"), ("   ", "empty"), ("0x", "not a number"),
    ("xyz", "not a number"), ("0xC02O0000", "not a number"), ("-1", "negative"),
    ("0x-1", "not a number"), ("1__0", "not a number"), ("_1", "not a number"),
    ("00200000", "ambiguous"), ("12 34", "not a number"), ("0b101", "ambiguous"),
    ("0B\x1e0", "not a number"),
])
def test_parse_rejects_with_clear_message(bad, needle):
    with pytest.raises(AddressError) as info:
        parse_address(bad)
    message = str(info.value)
    assert needle in message
    assert "0x00000000..0xFFFFFFFF" in message  # the valid range is always named
    assert isinstance(info.value, ValueError)


def test_ambiguous_message_offers_both_spellings():
    with pytest.raises(AddressError, match=r"0x00200000 for hex or 200000 for decimal"):
        parse_address("00200000")


@given(st.text(max_size=24))
def test_parse_any_text_returns_in_range_or_raises_address_error(text):
    try:
        va = parse_address(text)
    except AddressError as err:
        assert "0x00000000..0xFFFFFFFF" in str(err)
    else:
        assert 0 <= va <= 0xFFFFFFFF
        # Never truncated: the digits read back to the same number.
        digits = text.strip().replace("_", "").lower()
        assert int(digits, 10 if digits.isdigit() else 16) == va


@given(st.integers())
def test_parse_any_int(n):
    if 0 <= n <= 0xFFFFFFFF:
        assert parse_address(n) == n
    else:
        with pytest.raises(AddressError, match="outside"):
            parse_address(n)


def test_decompose_rejects_what_parse_rejects():
    with pytest.raises(AddressError):
        decompose(2**32)
    assert decompose("0xC0200000") == decompose(0xC0200000)


# -- the one parser for every number a reader types (addresses, byte offsets, answers)

@pytest.mark.parametrize("text, want", [("0x800", 0x800), ("2048", 2048), ("ABC", 0xABC),
                                        (" 0x0_ff ", 0xFF), ("0", 0)])
def test_parse_number_reads_what_parse_address_reads(text, want):
    assert parse_number(text, name="byte offset", maximum=0xFFF) == want
    assert parse_address(text) == want  # same rules, wider range


@pytest.mark.parametrize("text, message", [
    ("00200000", "ambiguous: write 0x00200000 for hex or 200000 for decimal"),
    ("0x1000", "outside 0x000..0xFFF"),
    ("-1", "negative"),
    ("xyz", "not a number; give hex like 0x800"),
    ("", "empty"),
])
def test_parse_number_refuses_with_a_message(text, message):
    with pytest.raises(AddressError, match=re.escape(message)):
        parse_number(text, name="byte offset", maximum=0xFFF, example="0x800")


@pytest.mark.parametrize("va, name, message", [
    (1 << 32, "va", "va 4294967296 is not a 32-bit guest virtual address: outside 0x00000000..0xFFFFFFFF"),
    (-4, "kernel_base", "kernel_base -4 is not a 32-bit guest virtual address: outside 0x00000000..0xFFFFFFFF"),
    ("0x1000", "va", "va '0x1000' is a str, not a 32-bit guest virtual address; give an int in 0x00000000..0xFFFFFFFF"),
    (True, "va", "va True is a bool, not a 32-bit guest virtual address; give an int in 0x00000000..0xFFFFFFFF"),
])
def test_check_va_refuses_like_every_other_refusal(va, name, message):
    with pytest.raises(AddressError) as err:
        check_va(va, name)
    assert str(err.value) == message


def test_check_va_passes_the_range_through():
    assert [check_va(v) for v in (0, 0xC0200000, 0xFFFFFFFF)] == [0, 0xC0200000, 0xFFFFFFFF]


def test_answers_use_the_same_parser():
    ex = make_exercise(2024, 0)
    name, want = ex.answers[0]
    assert check_answers(ex, {name: f"0x{want:X}"})[name] is True
    assert check_answers(ex, {name: str(want)})[name] is True
    # digits with a leading zero are ambiguous for an answer too: refused, not read as decimal
    assert check_answers(ex, {name: f"0{want}"})[name] is None
    assert check_answers(ex, {name: ""})[name] is None
