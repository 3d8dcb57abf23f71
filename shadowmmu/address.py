"""Address anatomy: one 32-bit guest virtual address, read two ways (notebook 02).

This module knows addresses and bit fields only; it does not know roles,
quadrant rules, guest memory or the shadow MMU.

A non-PAE guest walks 10/10/12: bits 31:22 pick one of 1024 PDEs, 21:12 one of
1024 PTEs. KVM's PAE shadow walks 2/9/9/12: bits 31:30 pick one of 4 PDPTEs,
29:21 one of 512 PDEs, 20:12 one of 512 PTEs. At each level the guest table
consumes one bit more than the shadow table of the same level (two bits at the
top). Those leftover bits are role.quadrant:

    0xDEADBEEF =  11   011110101   011011011   111011101111
                 31:30   29:21       20:12         11:0
                 PDPTE  PAE PDE     PAE PTE       offset
                  = 3    = 245       = 219        = 0xEEF     bit 21 = 1: PT quadrant 1

Bits 31:30 are the PD quadrant (which of the four PAE page directories); bit 21
is the PT quadrant (which of the two PAE page tables), and it is also the low
bit of the PAE PDE index, so consecutive PAE PDEs alternate 0, 1, 0, 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .consts import (
    BIT_ROLES,
    GPTE_SIZE,
    GUEST_4K,
    GUEST_4M,
    PAE_2M,
    PAE_4K,
    SPTE_SIZE,
    VA_MAX,
)

VALID_RANGE = f"0x00000000..0x{VA_MAX:08X}"


class AddressError(ValueError):
    """A value that is not a 32-bit guest virtual address; the message names it."""


_HEX = re.compile(r"(?:0[xX])?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*")
_DEC = re.compile(r"[0-9]+(?:_[0-9]+)*")


def parse_number(value: object, *, name: str = "address", maximum: int = VA_MAX,
                 example: str = "0xC0200000") -> int:
    """The number in 0..maximum that value spells: the one parser for every number a reader types.

        >>> parse_number("0x800", name="byte offset", maximum=0xFFF), parse_number("2048", maximum=0xFFF)
        (2048, 2048)

    The rules of parse_address() (below), with another range: an int, or a
    string of hex (with or without 0x) or decimal digits, underscores between
    digits and spaces around; digits-only with a leading zero is refused as
    ambiguous. Bad input raises an AddressError (a ValueError) naming the input
    and the valid range; nothing is clamped.
    """
    valid = f"0x{0:0{len(f'{maximum:X}')}X}..0x{maximum:X}" if maximum != VA_MAX else VALID_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise AddressError(
            f"{name} {value!r} is a {type(value).__name__}; give an integer or a hex "
            f"string in {valid}"
        )
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise AddressError(f"{name} is empty; give a value in {valid}")
        if text.startswith("-"):
            raise AddressError(f"{name} {value!r} is negative; give a value in {valid}")
        if _DEC.fullmatch(text) and len(text) > 1 and text[0] == "0":
            raise AddressError(
                f"{name} {value!r} is ambiguous: write 0x{text} for hex or "
                f"{text.lstrip('0_') or '0'} for decimal ({valid})"
            )
        if text[:2].lower() == "0b" and _HEX.fullmatch(text):
            raise AddressError(
                f"{name} {value!r} is ambiguous: binary is not accepted; write 0x{text} "
                f"if you meant hex ({valid})"
            )
        if _DEC.fullmatch(text):
            number = int(text.replace("_", ""), 10)
        elif _HEX.fullmatch(text):
            digits = text[2:] if text[:2].lower() == "0x" else text
            number = int(digits.replace("_", ""), 16)
        else:
            raise AddressError(
                f"{name} {value!r} is not a number; give hex like {example} or "
                f"decimal, in {valid}"
            )
    else:
        number = value
    if not 0 <= number <= maximum:
        raise AddressError(f"{name} {value!r} is outside {valid}")
    return number


def parse_address(value: object, *, name: str = "address") -> int:
    """The 32-bit guest virtual address that value spells:

        >>> hex(parse_address(" 0xC020_0000 "))
        '0xc0200000'
        >>> parse_address("3221225472") == parse_address("c0000000") == 0xC0000000
        True

    Accepts an int, or a string of hex (with or without 0x) or decimal digits,
    underscores between digits and spaces around. A string of decimal digits
    only is read as decimal; anything containing a-f, or starting 0x, as hex.
    Rejects bools, floats, negatives, values above 0xFFFFFFFF, empty and
    malformed strings with an AddressError naming the input and the valid
    range. Nothing is clamped or truncated.
    """
    return parse_number(value, name=name)


def check_va(va: int, name: str = "va") -> int:
    """va itself if it is an int guest virtual address, else an AddressError naming it and the range:

        >>> check_va(0xC0200000) == 0xC0200000
        True
        >>> check_va(1 << 32, "kernel_base")
        Traceback (most recent call last):
        ...
        shadowmmu.address.AddressError: kernel_base 4294967296 is not a 32-bit guest virtual address: outside 0x00000000..0xFFFFFFFF

    For callers that take an int only (the simulator): no strings, no parsing.
    """
    if isinstance(va, bool) or not isinstance(va, int):
        raise AddressError(f"{name} {va!r} is a {type(va).__name__}, not a 32-bit guest virtual "
                           f"address; give an int in {VALID_RANGE}")
    if not 0 <= va <= VA_MAX:
        raise AddressError(f"{name} {va!r} is not a 32-bit guest virtual address: outside {VALID_RANGE}")
    return va


def bits(value, hi: int, lo: int):
    """Bits hi:lo of value (inclusive, as the SDM writes them), shifted down:

        >>> bits(0xC0200000, 31, 30), bits(0xC0200000, 21, 21)
        (3, 1)

    Works on ints and on numpy integer arrays alike.
    """
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def layout_field(layout, name: str):
    """The field called name in one of the layouts of consts:

        >>> from shadowmmu.consts import PAE_4K
        >>> f = layout_field(PAE_4K, "shadow_pde_index"); (f.hi, f.lo)
        (29, 21)
    """
    for f in layout:
        if f.name == name:
            return f
    raise KeyError(f"no field {name!r} in the layout; it has {', '.join(f.name for f in layout)}")


_PD_QUADRANT = layout_field(BIT_ROLES, "pd_quadrant")
_PT_QUADRANT = layout_field(BIT_ROLES, "pt_quadrant")


def pd_quadrant(va):
    """Which of the four PAE page directories maps va: bits 31:30, the PDPTE index.

        >>> pd_quadrant(0xC0200000)
        3

    The four roots all shadow the same guest page directory; each covers one
    contiguous quarter of it (guest PDEs 256q..256q+255), i.e. 1 GiB of address
    space. Mirrors mmu_alloc_shadow_roots() (Linux 6.0+), which gives pae_root[i]
    role.quadrant = i, and shadow_walk_init_using_root(), which picks
    pae_root[(addr >> 30) & 3].
    """
    return bits(va, _PD_QUADRANT.hi, _PD_QUADRANT.lo)


def pt_quadrant(va):
    """Which of the two PAE page tables holds va's half of its guest page table:

        >>> pt_quadrant(0xC0200000)
        1

    Bit 21, the low bit of the PAE PDE index: consecutive PAE PDEs alternate
    0, 1, 0, 1, so in the parent PAE page directory the halves interleave. In the
    guest page table itself they are the lower and upper 512 entries. Mirrors
    kvm_mmu_child_role() (Linux 6.0+).
    """
    return bits(va, _PT_QUADRANT.hi, _PT_QUADRANT.lo)


@dataclass(frozen=True, slots=True)
class Decomposition:
    """Everything the guest and the shadow tables do with one address.

    Indices are entry numbers; ``*_offset`` fields are byte offsets inside the
    4 KiB table that holds the entry (guest entries are 4 bytes, shadow 8).
    """

    va: int
    # guest 10/10/12 (and 10/22 for a 4 MiB PSE page)
    guest_pde_index: int
    guest_pte_index: int
    page_offset: int
    pse_offset: int
    # PAE shadow 2/9/9/12 (and 2/9/21 for a 2 MiB page)
    pdpte_index: int
    shadow_pde_index: int
    shadow_pte_index: int
    large_offset: int
    # the bits the guest consumes and the shadow does not
    pd_quadrant: int
    pt_quadrant: int
    # byte offsets of the entries inside their 4 KiB tables
    guest_pde_offset: int
    guest_pte_offset: int
    shadow_pde_offset: int
    shadow_pte_offset: int


def decompose(va: object) -> Decomposition:
    """Both readings of one guest virtual address (anything parse_address accepts):

        >>> d = decompose(0xDEADBEEF)
        >>> d.guest_pde_index, d.guest_pte_index, d.pdpte_index, d.shadow_pde_index, d.shadow_pte_index
        (890, 731, 3, 245, 219)
        >>> d.pd_quadrant, d.pt_quadrant, hex(d.guest_pte_offset)
        (3, 1, '0xb6c')
    """
    return Decomposition(**field_values(parse_address(va)))


#: The layouts decompose() reads its fields from (consts), in order; a name in two
#: layouts (page_offset, shadow_pte_index) names the same bits in both.
DECOMPOSE_LAYOUTS = (GUEST_4K, GUEST_4M, PAE_4K, PAE_2M, BIT_ROLES)
#: Each entry's byte offset inside its 4 KiB table: (offset field, index field, entry size).
ENTRY_OFFSETS = (("guest_pde_offset", "guest_pde_index", GPTE_SIZE),
                 ("guest_pte_offset", "guest_pte_index", GPTE_SIZE),
                 ("shadow_pde_offset", "shadow_pde_index", SPTE_SIZE),
                 ("shadow_pte_offset", "shadow_pte_index", SPTE_SIZE))


def field_values(va) -> dict:
    """Every field of Decomposition for va, read off the layouts in consts (an int or a numpy array):

        >>> v = field_values(0xDEADBEEF)
        >>> v["guest_pde_index"], v["shadow_pde_index"], v["pt_quadrant"], hex(v["shadow_pte_offset"])
        (890, 245, 1, '0x6d8')
    """
    names = Decomposition.__dataclass_fields__
    out = {"va": va}
    for layout in DECOMPOSE_LAYOUTS:
        for f in layout:
            if f.name in names:
                out[f.name] = bits(va, f.hi, f.lo)
    for offset, index, size in ENTRY_OFFSETS:
        out[offset] = size * out[index]
    return out
