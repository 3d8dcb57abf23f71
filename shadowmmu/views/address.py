"""Notebook 02's views: one address read two ways (10/10/12 against 2/9/9/12).

The bit budget the pictures are drawn from (``consts.GUEST_4K`` and
``consts.PAE_4K``), for one real value:

    0xDEADBEEF =   11     01111010    1    011011011   111011101111
                  31:30     29:22     21      20:12         11:0
                  PDPTE   PDE pair   PT q    PAE PTE       offset
                   = 3     = 122     = 1      = 219        = 0xEEF
                 guest PDE 890 = 256 x 3 + 122;  PAE PDE 245 = 2 x 122 + 1

Knows: ``address.decompose()`` and the layouts in ``consts``; draws what they
give. Does not know: roles, rules, the simulator, ipywidgets.
"""

from __future__ import annotations

from typing import Iterable

from ..address import Decomposition, decompose
from ..consts import BIT_ROLES, GUEST_4K, PAE_4K, Field
from .common import (
    FIELD_COLOURS,
    FIELD_LABELS,
    PRESETS,
    esc,
    field_chip,
    render_table,
    text_colour,
    wrap_box,
)


def _group_of_bit(bit: int) -> str:
    for f in BIT_ROLES:
        if f.lo <= bit <= f.hi:
            return f.name
    raise ValueError(bit)


def _field_row(d: Decomposition, layout: tuple[Field, ...]) -> str:
    cells = []
    for f in layout:
        value = getattr(d, f.name)
        shown = f"0x{value:03X}" if f.name == "page_offset" else str(value)
        cells.append(
            f'<td colspan="{f.width}" data-layout-field="{f.name}" title="{esc(f.label)} '
            f'{f.hi}:{f.lo} = {shown}" style="border:1px solid #000;text-align:center;'
            f'padding:1px 2px;font-size:11px;line-height:1.2">{esc(f.label)}<br>'
            f"{f.hi}:{f.lo}<br>= {shown}</td>")
    return "".join(cells)


def render_address_anatomy(d: Decomposition | int | str) -> str:
    """One address, read 10/10/12 by the guest and 2/9/9/12 by the PAE shadow (notebook 02).

    Two rows of the same 32 bits, each bit coloured by the part it plays (see
    ``consts.BIT_ROLES``), with the fields of each split bracketed underneath:

        >>> "guest PDE 31:22 = 890" in render_address_anatomy(0xDEADBEEF)
        True
    """
    d = d if isinstance(d, Decomposition) else decompose(d)
    bit_cells = []
    for b in range(31, -1, -1):
        group = _group_of_bit(b)
        bg = FIELD_COLOURS[group]
        bit_cells.append(
            f'<td class="smmu-bit-cell smmu-f-{group}" data-bit="{b}" title="bit {b}: '
            f'{esc(FIELD_LABELS[group])}" style="background:{bg};color:{text_colour(bg)};'
            f'width:17px;text-align:center;border:1px solid #fff">{(d.va >> b) & 1}</td>')
    bits_row = "".join(bit_cells)
    numbers = "".join(f'<td style="font-size:9px;text-align:center;color:#555">{b}</td>'
                      for b in range(31, -1, -1))
    label = 'style="text-align:right;padding-right:6px;white-space:nowrap"'
    table = (
        f'<table class="smmu-anatomy" style="border-collapse:collapse">'
        f"<tr><td {label}>bit</td>{numbers}</tr>"
        f"<tr><td {label}>guest 10/10/12</td>{bits_row}</tr>"
        f'<tr data-split="guest"><td {label}></td>{_field_row(d, GUEST_4K)}</tr>'
        f'<tr><td {label}>PAE 2/9/9/12</td>{bits_row}</tr>'
        f'<tr data-split="pae"><td {label}></td>{_field_row(d, PAE_4K)}</tr>'
        "</table>")
    legend = "".join(
        f"<li>{field_chip(f.name, (f'{f.hi}:{f.lo}' if f.hi != f.lo else str(f.hi)) + ' ' + f.label)}</li>"
        for f in BIT_ROLES)
    same = (f"guest PDE {d.guest_pde_index} = 256 &times; {d.pdpte_index} + "
            f"{d.shadow_pde_index // 2}; PAE PDE {d.shadow_pde_index} = 2 &times; "
            f"{d.shadow_pde_index // 2} + {d.pt_quadrant}; guest PTE {d.guest_pte_index} = "
            f"512 &times; {d.pt_quadrant} + {d.shadow_pte_index}")
    return wrap_box(
        f'<div style="font-weight:bold">0x{d.va:08X}</div>{table}'
        f'<ul style="list-style:none;padding:0;margin:4px 0">{legend}</ul>'
        f'<div class="smmu-identities">{same}</div>', "smmu-anatomy-view")


def preset_rows(addresses: Iterable[int] = PRESETS) -> list[tuple[str, ...]]:
    """The numbers of the preset table, as strings (for tests and for render_preset_table)."""
    rows = []
    for va in addresses:
        d = decompose(va)
        rows.append((f"0x{va:08X}", str(d.guest_pde_index), str(d.guest_pte_index),
                     str(d.pdpte_index), str(d.pd_quadrant), str(d.shadow_pde_index),
                     str(d.shadow_pte_index), str(d.pt_quadrant), f"0x{d.page_offset:03X}"))
    return rows


PRESET_HEADERS = ("VA", "guest PDE 31:22", "guest PTE 21:12", "PDPTE 31:30", "PD quadrant",
                  "PAE PDE 29:21", "PAE PTE 20:12", "PT quadrant (bit 21)", "offset 11:0")


def render_preset_table(addresses: Iterable[int] = PRESETS) -> str:
    """The static table each notebook shows before its live widget."""
    return render_table(PRESET_HEADERS, preset_rows(addresses),
                        caption="Computed by shadowmmu.decompose()")
